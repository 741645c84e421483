// The dashboard in a real browser (Debian's chromium through playwright-core;
// never a downloaded browser): roles, the live feed, alarms, enrolment.
// Screenshots go to BUILD_DIR/e2e-screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { startStack, mustCtl, BUILD_DIR } from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-screenshots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  for (const [name, role] of [['guard1', 'guard'], ['manager1', 'manager'], ['auditor1', 'auditor'], ['admin1', 'admin']])
    stack.addUser(name, role);
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  // launch() gives chromium a fresh temporary profile of its own (playwright
  // refuses --user-data-dir); TMPDIR points it at ours so it is removed with it.
  profile = mkdtempSync(join(tmpdir(), 'aeogate-chromium-'));
  process.env.TMPDIR = profile;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (stack) await stack.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 5000 });
  return { page, context, errors };
}

async function visibleTabs(page) {
  return page.$$eval('#tabs button', (bs) => bs.filter((b) => !b.hidden).map((b) => b.dataset.tab));
}

test('each role sees only what it may', async () => {
  const expect = {
    guard1: ['feed', 'doors'],
    manager1: ['feed', 'doors', 'people', 'levels', 'sim'],
    auditor1: ['feed', 'doors', 'people', 'levels'],
    admin1: ['feed', 'doors', 'people', 'levels', 'sim', 'users'],
  };
  for (const [user, tabs] of Object.entries(expect)) {
    const { page, context, errors } = await signIn(user);
    assert.deepEqual(await visibleTabs(page), tabs, user);
    assert.match(await page.textContent('#tz'), /Europe\/Amsterdam/);
    if (user === 'auditor1') {
      await page.click('#tabs button[data-tab=people]');
      assert.equal(await page.isHidden('#person-add'), true, 'auditor cannot enrol');
    }
    await page.screenshot({ path: join(SHOTS, `role-${user}.png`) });
    assert.deepEqual(errors.filter((e) => !/401|403|501/.test(e)), [], `${user}: console errors`);
    await context.close();
  }
});

test('a badge presented with aeogatectl appears in the live feed within a second', async () => {
  const { page, context } = await signIn('guard1');
  const t0 = Date.now();
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0badc0de']);
  assert.equal(r.status, 1, 'unknown badge is denied');
  await page.waitForSelector('#feed li[data-kind="access.denied"]', { timeout: 2000 });
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  const text = await page.textContent('#feed li[data-kind="access.denied"]');
  assert.match(text, /unknown badge/);
  assert.match(text, /dock-1/);
  await page.screenshot({ path: join(SHOTS, 'feed-denied.png') });
  await context.close();
});

test('a forced door raises an alarm banner and shows on the door board', async () => {
  const { page, context } = await signIn('guard1');
  mustCtl(stack, ['sim', 'door', 'dock-1', 'open']);
  await page.waitForSelector('.alarm-banner[data-kind="door.forced"]', { timeout: 3000 });
  await page.click('#tabs button[data-tab=doors]');
  await page.waitForSelector('.door[data-door="dock-1"][data-state="forced"]', { timeout: 3000 });
  await page.screenshot({ path: join(SHOTS, 'door-forced.png') });
  mustCtl(stack, ['sim', 'door', 'dock-1', 'close']);
  await page.waitForSelector('.door[data-door="dock-1"]:not([data-state="forced"])', { timeout: 3000 });
  await context.close();
});

test('a manager enrols a person and issues a badge in the UI; the badge then opens the door', async () => {
  const { page, context } = await signIn('manager1');
  await page.click('#tabs button[data-tab=people]');
  await page.fill('#person-add input[name=id]', 'E2042');
  await page.fill('#person-add input[name=name]', 'Ana Ruiz');
  await page.fill('#person-add input[name=levels]', 'dock-all');
  await page.click('#person-add button[type=submit]');
  await page.waitForSelector('#persons tr[data-person="E2042"]');
  await page.fill('#badge-issue input[name=person]', 'E2042');
  await page.fill('#badge-issue input[name=credential]', 'uid:0a0b0c0d');
  await page.click('#badge-issue button[type=submit]');
  await page.waitForSelector('#badges tr[data-badge="uid:0a0b0c0d"]');
  await page.screenshot({ path: join(SHOTS, 'manager-enrolled.png') });

  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0a0b0c0d']);
  assert.equal(r.status, 0, `granted: ${r.stdout} ${r.stderr}`);
  await page.click('#tabs button[data-tab=feed]');
  await page.waitForSelector('#feed li[data-kind="access.granted"]', { timeout: 2000 });
  assert.match(await page.textContent('#feed li[data-kind="access.granted"]'), /E2042/);

  // The simulator panel does the same from the browser.
  await page.click('#tabs button[data-tab=sim]');
  await page.selectOption('#sim-reader', 'dock-1-in');
  await page.selectOption('#sim-badge', 'uid:0a0b0c0d');
  await page.click('#sim-present button[type=submit]');
  await page.waitForSelector('#sim-result[data-granted="1"]', { timeout: 3000 });
  await page.screenshot({ path: join(SHOTS, 'sim-granted.png') });
  await context.close();
});

test('the dashboard shows a lost connection and resumes after aeogate-web restarts', async () => {
  const { page, context } = await signIn('guard1');
  // Cut the stream by restarting only the web process on the same port.
  const { spawn } = await import('node:child_process');
  const web = stack.web;
  const args = web.spawnargs.slice(1);
  web.kill('SIGTERM');
  await new Promise((r) => web.once('exit', r));
  await page.waitForSelector('#conn:not([data-state="connected"])', { timeout: 3000 });
  stack.web = spawn(web.spawnfile, args, { stdio: 'ignore' });
  const r = stack.ctl(['sim', 'present', 'cage-1-in', '--uid', '0c0c0c0c']);
  assert.equal(r.status, 1);
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 10000 });
  await page.waitForSelector('#feed li[data-kind="access.denied"][data-seq]', { timeout: 3000 });
  const cage = await page.$$eval('#feed li[data-kind="access.denied"]', (ls) => ls.filter((l) => l.textContent.includes('cage-1')).length);
  assert.equal(cage, 1, 'the event missed while disconnected arrives exactly once');
  await context.close();
});
