// The dashboard in a real browser (Debian's chromium through playwright-core;
// never a downloaded browser): roles, the live feed, alarms and their
// acknowledgement, enrolment, the badge lifecycle, reports and exports,
// levels, zone settings, schedules and holidays, door modes and schedules,
// a person's PIN, the muster page and a zone's anti-passback and occupancy
// settings, the lockdown banner.
// Screenshots go to BUILD_DIR/e2e-screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, BUILD_DIR, launchChromium, closeChromium, clickRowAction, answerConfirm, clickForConfirm, watchConsole, pick,
} from './lib.mjs';

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
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

// Every console error counts, the signed-out page's included: /api/me
// answers 200 {"signed_in": false} before sign-in.
async function signIn(user, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  // Every role lands on the Overview (overview.test.mjs); these tests start from the feed.
  await page.waitForSelector('#tab-overview:not([hidden]) #ov-door-counts');
  await page.click('#tabs button[data-tab=feed]');
  return { page, context, errors };
}

async function visibleTabs(page) {
  return page.$$eval('#tabs button', (bs) => bs.filter((b) => !b.hidden).map((b) => b.dataset.tab));
}

test('each role sees only what it may, with no console errors in any tab', async () => {
  const expect = {
    // "My password" (account) is every role's.
    guard1: ['overview', 'feed', 'doors', 'muster', 'visitors', 'history', 'account'],
    manager1: ['overview', 'feed', 'doors', 'muster', 'people', 'levels', 'visitors', 'history', 'reports', 'sim', 'account'],
    auditor1: ['overview', 'feed', 'doors', 'muster', 'people', 'levels', 'visitors', 'history', 'reports', 'account'],
    admin1: ['overview', 'feed', 'doors', 'muster', 'people', 'levels', 'visitors', 'history', 'reports', 'sim', 'users', 'account'],
  };
  // An open alarm, so every role also renders its banner (with or without controls).
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  for (const [user, tabs] of Object.entries(expect)) {
    const { page, context, errors } = await signIn(user);
    assert.deepEqual(await visibleTabs(page), tabs, user);
    assert.match(await page.textContent('#tz'), /Europe\/Amsterdam/);
    await page.waitForSelector('.alarm-banner[data-kind="door.forced"][data-door="cage-1"]');
    const controls = await page.$$('.alarm-banner[data-door="cage-1"] button.ack');
    assert.equal(controls.length > 0, user !== 'auditor1', `${user}: acknowledge controls`);
    if (user === 'auditor1') {
      await page.click('#tabs button[data-tab=people]');
      assert.equal(await page.isHidden('#person-add'), true, 'auditor cannot enrol');
    }
    for (const tab of tabs) {
      await page.click(`#tabs button[data-tab=${tab}]`);
      await page.waitForLoadState('networkidle');
    }
    await page.screenshot({ path: join(SHOTS, `role-${user}.png`) });
    assert.deepEqual(errors, [], `${user}: console errors`);
    await context.close();
  }
});

test('a badge presented with aeogatectl appears in the live feed within a second', async () => {
  const { page, context } = await signIn('guard1');
  const t0 = Date.now();
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0badc0de']);
  assert.equal(r.status, 1, 'unknown badge is denied');
  await page.waitForSelector('#feed li[data-kind="access.denied"]', { timeout: 15000 });
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  const text = await page.textContent('#feed li[data-kind="access.denied"]');
  assert.match(text, /unknown badge/);
  assert.match(text, /dock-1/);
  await page.screenshot({ path: join(SHOTS, 'feed-denied.png') });
  await context.close();
});

test('a forced door raises an alarm; a guard acknowledges it with a comment, then closes it', async () => {
  const { page, context, errors } = await signIn('guard1');
  mustCtl(stack, ['sim', 'door', 'dock-1', 'open']);
  const banner = '.alarm-banner[data-kind="door.forced"][data-door="dock-1"][data-state="open"]';
  await page.waitForSelector(banner, { timeout: 15000 });
  const id = Number(await page.getAttribute(banner, 'data-alarm-id'));
  assert.match(await page.textContent(banner), /DOOR FORCED/);
  await page.click('#tabs button[data-tab=doors]');
  await page.waitForSelector('.door[data-door="dock-1"][data-state="forced"]', { timeout: 15000 });
  await page.screenshot({ path: join(SHOTS, 'door-forced.png') });
  mustCtl(stack, ['sim', 'door', 'dock-1', 'close']);
  await page.waitForSelector('.door[data-door="dock-1"]:not([data-state="forced"])', { timeout: 15000 });

  // Acknowledging needs a comment: an empty one is stopped in the browser.
  const mine = `.alarm-banner[data-alarm-id="${id}"]`;
  await page.click(`${mine} button.ack`);
  assert.equal(await page.getAttribute(mine, 'data-state'), 'open');
  await page.fill(`${mine} input.ack-comment`, 'Checked dock 1: driver opened it, door closed');
  await page.click(`${mine} button.ack`);
  await page.waitForSelector(`${mine}[data-state="acknowledged"]`, { timeout: 15000 });
  assert.match(await page.textContent(mine), /guard1/);
  await page.screenshot({ path: join(SHOTS, 'alarm-acknowledged.png') });
  const alarms = JSON.parse(mustCtl(stack, ['alarm', 'list', '--json']));
  const a = alarms.find((x) => x.id === id);
  assert.equal(a.state, 'acknowledged');
  assert.match(a.acknowledged_by, /guard1/);
  assert.equal(a.comment, 'Checked dock 1: driver opened it, door closed');

  // Closing takes an outcome (ui/alarms.js), recorded in alarm.closed.
  await page.fill(`${mine} input.close-outcome`, 'driver briefed');
  await page.click(`${mine} button.close-alarm`);
  await page.waitForSelector(mine, { state: 'detached', timeout: 15000 });
  assert.equal(JSON.parse(mustCtl(stack, ['alarm', 'list', '--json'])).find((x) => x.id === id).state, 'closed');
  const closed = mustCtl(stack, ['alarm', 'history', String(id), '--json']);
  assert.equal(JSON.parse(closed).history.at(-1).detail.outcome, 'driver briefed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('alarms acknowledged elsewhere update every open dashboard', async () => {
  const { page, context } = await signIn('manager1');
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  const open = JSON.parse(mustCtl(stack, ['alarm', 'list', '--open', '--json']))
    .filter((x) => x.door === 'cage-1' && x.state === 'open');
  assert.ok(open.length >= 1);
  for (const x of open) await page.waitForSelector(`.alarm-banner[data-alarm-id="${x.id}"]`, { timeout: 15000 });
  for (const x of open) mustCtl(stack, ['alarm', 'ack', String(x.id), '--comment', 'from the CLI']);
  for (const x of open) {
    await page.waitForSelector(`.alarm-banner[data-alarm-id="${x.id}"][data-state="acknowledged"]`, { timeout: 15000 });
    mustCtl(stack, ['alarm', 'close', String(x.id)]);
    await page.waitForSelector(`.alarm-banner[data-alarm-id="${x.id}"]`, { state: 'detached', timeout: 15000 });
  }
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
  await page.waitForSelector('#feed li[data-kind="access.granted"]', { timeout: 15000 });
  assert.match(await page.textContent('#feed li[data-kind="access.granted"]'), /E2042/);

  // The simulator panel does the same from the browser.
  await page.click('#tabs button[data-tab=sim]');
  await page.selectOption('#sim-reader', 'dock-1-in');
  await page.selectOption('#sim-badge', 'uid:0a0b0c0d');
  await page.click('#sim-present button[type=submit]');
  await page.waitForSelector('#sim-result[data-granted="1"]', { timeout: 15000 });
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
  await page.waitForSelector('#conn:not([data-state="connected"])', { timeout: 15000 });
  stack.web = spawn(web.spawnfile, args, { stdio: 'ignore' });
  const r = stack.ctl(['sim', 'present', 'cage-1-in', '--uid', '0c0c0c0c']);
  assert.equal(r.status, 1);
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 10000 });
  await page.waitForSelector('#feed li[data-kind="access.denied"][data-seq]', { timeout: 15000 });
  const cage = await page.$$eval('#feed li[data-kind="access.denied"]', (ls) => ls.filter((l) => l.textContent.includes('cage-1')).length);
  assert.equal(cage, 1, 'the event missed while disconnected arrives exactly once');
  await context.close();
});

test('a manager walks a badge through its lifecycle with the buttons', async () => {
  mustCtl(stack, ['person', 'add', 'E3000', '--name', 'Badge Life', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E3000', '--uid', '0d0e0f10']);
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=people]');
  const row = '#badges tr[data-badge="uid:0d0e0f10"]';
  await page.waitForSelector(row);
  for (const [action, status] of [['suspend', 'suspended'], ['reinstate', 'active'], ['stolen', 'lost'],
    ['reinstate', 'active'], ['returned', 'returned']]) {
    await clickRowAction(page, row, action);
    if (action === 'stolen') await answerConfirm(page);
    await page.waitForFunction(([sel, want]) => {
      const r = document.querySelector(sel);
      // The status word, then any red flag it raises (suspended, lost).
      return r && r.children[2].firstChild.textContent === want;
    }, [row, status], { timeout: 15000 });
  }
  assert.equal(await page.$(`${row} button[data-action="reinstate"]`), null, 'returned is final');
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0d0e0f10']);
  assert.equal(r.status, 1, 'a returned badge is denied');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an auditor downloads an export and its manifest, and aeogatectl verifies them', async () => {
  const pubkey = JSON.parse(mustCtl(stack, ['audit', 'pubkey', '--json'])).public_key;
  const { page, context, errors } = await signIn('auditor1', { acceptDownloads: true });
  const dir = mkdtempSync(join(profile, 'downloads-'));
  await page.click('#tabs button[data-tab=reports]');
  await page.waitForSelector('#report-name option[value="access"]', { state: 'attached' });
  for (const [report, format] of [['access', 'csv'], ['', 'jsonl']]) {
    await page.selectOption('#report-name', report);
    await page.selectOption('#report-form select[name=format]', format);
    // A site-time range around now: from yesterday to tomorrow.
    await page.fill('#report-form input[name=from]', isoLocal(-86400e3));
    await page.fill('#report-form input[name=to]', isoLocal(86400e3));
    await page.click('#report-form button[type=submit]');
    await page.waitForSelector('#report-result:not([hidden])', { timeout: 10000 });
    const files = [];
    for (const link of ['#report-file', '#report-manifest']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
      const path = join(dir, download.suggestedFilename());
      await download.saveAs(path);
      files.push(path);
    }
    assert.match(files[0], format === 'csv' ? /aeogate-access-\d{8}T\d{6}Z\.csv$/ : /aeogate-audit-.*\.jsonl$/);
    assert.equal(files[1], files[0] + '.manifest.json');
    const manifest = JSON.parse(readFileSync(files[1], 'utf8'));
    assert.equal(manifest.statement.report, report || null);
    assert.ok(manifest.statement.filter.from && manifest.statement.filter.to, 'the range went along');
    const v = stack.ctl(['audit', 'verify', files[0], '--pubkey', pubkey]);
    assert.equal(v.status, 0, `${v.stdout} ${v.stderr}`);
    assert.match(v.stdout, /: ok: (.* )?\d+ rows/);
    await page.screenshot({ path: join(SHOTS, `auditor-export-${report || 'audit'}.png`) });
  }
  assert.deepEqual(errors, []);
  await context.close();
});

// A datetime-local value in the site's zone, offset ms from now (whole seconds).
function isoLocal(offsetMs) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Amsterdam', hourCycle: 'h23', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(Date.now() + offsetMs)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// aeogatectl sim present --json: { status, granted, reason }.
function present(reader, uid) {
  const r = stack.ctl(['sim', 'present', reader, '--uid', uid, '--json']);
  const out = JSON.parse(r.stdout);
  return { status: r.status, granted: out.granted, reason: out.reason };
}

test('a manager edits a person in the UI: a past valid-until denies the badge as expired, clearing it grants again', async () => {
  mustCtl(stack, ['person', 'add', 'E4000', '--name', 'Val Idity', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E4000', '--uid', '0e0e0e0e']);
  assert.equal(present('dock-1-in', '0e0e0e0e').granted, true, 'granted before the edit');
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=people]');
  const row = '#persons tr[data-person="E4000"]';
  await clickRowAction(page, row, 'edit');
  const form = '#person-edit[data-person="E4000"]';
  await page.waitForSelector(`${form}:not([hidden])`);
  // The person's badges, with their status.
  assert.match(await page.textContent(`${form} #person-edit-badges tr[data-badge="uid:0e0e0e0e"]`), /active/);
  assert.equal(await page.inputValue(`${form} input[name=valid_until]`), '');

  // Valid until yesterday (site time): the last day it covered is over.
  const yesterday = isoLocal(-86400e3).slice(0, 10);
  await page.fill(`${form} input[name=name]`, 'Val Edited');
  await page.fill(`${form} input[name=valid_until]`, yesterday);
  await page.click(`${form} button[type=submit]`);
  await page.waitForSelector('#person-edit-status:text("Saved.")', { timeout: 15000 });
  await page.waitForSelector(`${row} td.validity:not([data-valid-until=""])`, { timeout: 15000 });
  assert.match(await page.textContent(row), /Val Edited/);
  assert.match(await page.textContent(`${row} td.validity`), /until /);
  const shown = JSON.parse(mustCtl(stack, ['person', 'show', 'E4000', '--json']));
  assert.equal(shown.name, 'Val Edited');
  // The end of yesterday in Amsterdam: today's site midnight, as UTC.
  const until = new Date(shown.valid_until);
  assert.ok(until.getTime() <= Date.now() && Date.now() - until.getTime() <= 86400e3, shown.valid_until);
  assert.match(shown.valid_until, /T2[23]:00:00\.000Z$/, 'midnight in Amsterdam is 22:00 or 23:00 UTC');
  assert.equal(await page.inputValue(`${form} input[name=valid_until]`), yesterday, 'the form shows the last day');
  await page.screenshot({ path: join(SHOTS, 'manager-person-expired.png') });

  let p = present('dock-1-in', '0e0e0e0e');
  assert.equal(p.status, 1);
  assert.equal(p.granted, false);
  assert.equal(p.reason, 'expired');

  // Clear it: no bound ("none"), and the next read is granted.
  await page.click(`${form} button[data-clear="valid_until"]`);
  assert.equal(await page.inputValue(`${form} input[name=valid_until]`), '');
  await page.click(`${form} button[type=submit]`);
  await page.waitForSelector(`${row} td.validity[data-valid-until=""]`, { timeout: 15000 });
  // The form is filled again from its own request after the save: wait for it, not only the table.
  await page.waitForFunction((sel) => /none/.test(document.querySelector(sel)?.textContent || ''),
    `${form} [data-now="valid_until"]`, { timeout: 15000 });
  assert.match(await page.textContent(`${form} [data-now="valid_until"]`), /none/);
  assert.equal(JSON.parse(mustCtl(stack, ['person', 'show', 'E4000', '--json'])).valid_until, null);
  p = present('dock-1-in', '0e0e0e0e');
  assert.equal(p.status, 0);
  assert.equal(p.granted, true);

  // Levels: take dock-all away (denied: no access), give it back.
  await page.uncheck(`${form} input[name=level][value="dock-all"]`);
  await page.click(`${form} button[type=submit]`);
  await page.waitForFunction((sel) => document.querySelector(sel).children[3].textContent === '', `${row}`, { timeout: 15000 });
  assert.equal(present('dock-1-in', '0e0e0e0e').reason, 'no_access');
  await page.check(`${form} input[name=level][value="dock-all"]`);
  await page.click(`${form} button[type=submit]`);
  await page.waitForFunction((sel) => document.querySelector(sel).children[3].textContent === 'dock-all', `${row}`, { timeout: 15000 });
  assert.equal(present('dock-1-in', '0e0e0e0e').granted, true);
  const updated = mustCtl(stack, ['events', '--json']).trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'person.updated' && e.person === 'E4000');
  assert.equal(updated.length, 4, 'each save is one person.updated event');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a manager adds a level, changes its zones and removes it in the UI', async () => {
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=levels]');
  await page.waitForSelector('#level-add:not([hidden])');
  await page.fill('#level-add input[name=name]', 'cage-only');
  await page.check('#level-add input[name=zone][value="bonded-cage"]');
  await page.click('#level-add button[type=submit]');
  const row = '#levels tr[data-level="cage-only"]';
  await page.waitForSelector(`${row} .chip[data-zone="bonded-cage"]`, { timeout: 15000 });
  await pick(page, `${row} select.add-zone`, 'dock');
  await page.click(`${row} button[data-action="add-zone"]`);
  await page.waitForSelector(`${row} .chip[data-zone="dock"]`, { timeout: 15000 });
  await page.click(`${row} .chip[data-zone="bonded-cage"] button[data-action="remove-zone"]`);
  await page.waitForSelector(`${row} .chip[data-zone="bonded-cage"]`, { state: 'detached', timeout: 15000 });
  let levels = JSON.parse(mustCtl(stack, ['level', 'list', '--json']));
  assert.deepEqual(levels.find((l) => l.name === 'cage-only').zones, ['dock']);
  // The last zone cannot be taken away (the controller refuses it): no button.
  assert.equal(await page.$(`${row} .chip[data-zone="dock"] button`), null);
  await page.screenshot({ path: join(SHOTS, 'manager-levels.png') });
  await page.click(`${row} button[data-action="remove-level"]`);
  await answerConfirm(page);
  await page.waitForSelector(row, { state: 'detached', timeout: 15000 });
  levels = JSON.parse(mustCtl(stack, ['level', 'list', '--json']));
  assert.equal(levels.some((l) => l.name === 'cage-only'), false);
  assert.deepEqual(errors, []);
  await context.close();

  // An auditor sees the levels without the controls.
  const aud = await signIn('auditor1');
  await aud.page.click('#tabs button[data-tab=levels]');
  await aud.page.waitForSelector('#levels tr[data-level="dock-all"]');
  assert.equal(await aud.page.isHidden('#level-add'), true);
  assert.equal(await aud.page.$('#levels button'), null);
  await aud.context.close();
});

test('tablet sizes: no horizontal scroll and a one-line header for guard and manager', async () => {
  // A person with a long name and badges, so the persons tab and the edit form have something wide.
  mustCtl(stack, ['person', 'add', 'E5000', '--name', 'Maximiliana Fernández-Oyelaran de la Cruz',
    '--level', 'dock-all', '--valid-until', '2031-06-30']);
  mustCtl(stack, ['badge', 'issue', 'E5000', '--uid', '04a1b2c3d4e5f6a7b8c9']);
  for (const user of ['guard1', 'manager1']) {
    for (const [width, height] of [[768, 1024], [1024, 768], [1100, 800]]) {
      const { page, context, errors } = await signIn(user, { viewport: { width, height } });
      for (const tab of await visibleTabs(page)) {
        await page.click(`#tabs button[data-tab=${tab}]`);
        await page.waitForLoadState('networkidle');
        if (tab === 'people') {
          await clickRowAction(page, '#persons tr[data-person="E5000"]', 'edit');
          await page.waitForSelector('#person-edit:not([hidden])');
        }
        const m = await page.evaluate(() => {
          const mid = (e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; };
          return {
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            h1: mid(document.querySelector('.topbar h1')),
            logout: mid(document.querySelector('#logout')),
            conn: mid(document.querySelector('#conn')),
          };
        });
        const what = `${user} ${width}x${height} ${tab}`;
        assert.ok(m.scrollWidth <= m.innerWidth, `${what}: scrollWidth ${m.scrollWidth} > ${m.innerWidth}`);
        assert.ok(Math.abs(m.logout - m.h1) < 8, `${what}: Sign out wrapped off the header line`);
        assert.ok(Math.abs(m.conn - m.h1) < 8, `${what}: the connection state wrapped`);
        if (width !== 1100) await page.screenshot({ path: join(SHOTS, `tablet-${user}-${width}x${height}-${tab}.png`), fullPage: true });
      }
      assert.deepEqual(errors, [], `${user} ${width}x${height}`);
      await context.close();
    }
  }
});

test('the door board shows each mode; a guard unlocks a door with a comment and the feed shows it', async () => {
  mustCtl(stack, ['door', 'mode', 'cage-1', 'locked', '--comment', 'e2e: night mode']);
  const { page, context, errors } = await signIn('guard1');
  await page.click('#tabs button[data-tab=doors]');
  const card = '.door[data-door="cage-1"]';
  await page.waitForSelector(`${card}[data-mode="locked"]`, { timeout: 15000 });
  assert.match(await page.textContent(`${card} .mode`), /locked/);
  assert.equal(await page.getAttribute('.door[data-door="dock-1"]', 'data-mode'), 'card');

  // No comment, no unlock: the browser stops it and nothing is recorded.
  const before = JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq;
  await page.click(`${card} button.unlock`);
  await page.fill(`${card} input.unlock-comment`, 'Driver NL-42 for bay 3');
  await page.click(`${card} button.unlock`);
  // A momentary unlock is dangerous: it waits for the confirmation dialog.
  await page.click('dialog.confirm-dialog button.confirm-ok');
  await page.click('#tabs button[data-tab=feed]');
  const item = '#feed li[data-kind="door.remote_unlock"]';
  await page.waitForSelector(item, { timeout: 15000 });
  const text = await page.textContent(item);
  assert.match(text, /cage-1/);
  assert.match(text, /guard1/);
  assert.match(text, /Driver NL-42 for bay 3/);
  await page.screenshot({ path: join(SHOTS, 'door-remote-unlock.png') });

  const unlocks = mustCtl(stack, ['events', '--json', '--since', String(before)]).split('\n')
    .filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind === 'door.remote_unlock');
  assert.equal(unlocks.length, 1, 'exactly one remote unlock: the empty comment sent nothing');
  assert.equal(unlocks[0].door, 'cage-1');
  assert.equal(unlocks[0].detail.operator, 'user:guard1');
  assert.equal(unlocks[0].detail.comment, 'Driver NL-42 for bay 3');
  assert.deepEqual(errors, []);
  await context.close();
  mustCtl(stack, ['door', 'mode', 'cage-1', 'card']);
});

test('a duress PIN is the first alarm guards see, with the person, above newer alarms', async () => {
  mustCtl(stack, ['person', 'add', 'E9001', '--name', 'Dana Example', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E9001', '--uid', '0e0e9001']);
  mustCtl(stack, ['person', 'pin', 'E9001'], { input: '4711\n' });
  mustCtl(stack, ['door', 'mode', 'dock-1', 'card_and_pin']);
  const { page, context, errors } = await signIn('guard1');

  // The badge waits for its PIN (exit 3); the duress PIN (last digit + 1) opens it.
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0e0e9001']);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /pending {2}pin/);
  mustCtl(stack, ['sim', 'keys', 'dock-1-in', '4712#']);
  const duress = '.alarm-banner[data-kind="alarm.duress"][data-door="dock-1"]';
  await page.waitForSelector(duress, { timeout: 15000 });
  // The feed shows the grant as any other.
  await page.waitForSelector('#feed li[data-kind="access.granted"]', { timeout: 15000 });

  // A newer alarm does not push it down. cage-1 may still be released by
  // the previous test's remote unlock: wait until it is locked again, so
  // that opening it is forced.
  for (let i = 0; ; i++) {
    const doors = JSON.parse(mustCtl(stack, ['door', 'list', '--json']));
    if (doors.find((d) => d.name === 'cage-1').lock === 'locked') break;
    assert.ok(i < 600, 'cage-1 never locked again');
    await new Promise((res) => setTimeout(res, 100));
  }
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  await page.waitForSelector('.alarm-banner[data-kind="door.forced"][data-door="cage-1"]', { timeout: 15000 });
  const kinds = await page.$$eval('#alarms .alarm-banner', (bs) => bs.map((b) => b.dataset.kind));
  assert.equal(kinds[0], 'alarm.duress', `order: ${kinds.join(', ')}`);
  const text = await page.textContent(duress);
  assert.match(text, /DURESS/);
  assert.match(text, /E9001/);
  assert.match(await page.getAttribute(duress, 'class'), /alarm-duress/);
  await page.screenshot({ path: join(SHOTS, 'alarm-duress.png') });
  assert.deepEqual(errors, []);
  await context.close();
  mustCtl(stack, ['door', 'mode', 'dock-1', 'card']);
});

// Chromium logs every 4xx answer as a console error: the refusals a test
// provokes on purpose are expected there, nothing else is.
function unexpected(errors, ...statuses) {
  return errors.filter((e) => !statuses.some((s) => e.includes(`status of ${s}`)));
}

function events(kind, since) {
  return mustCtl(stack, ['events', '--json', '--since', String(since)]).split('\n')
    .filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind === kind);
}

// No horizontal scroll at tablet width on the tabs given.
async function noHorizontalScroll(page, tabs, what) {
  await page.setViewportSize({ width: 768, height: 1024 });
  for (const tab of tabs) {
    await page.click(`#tabs button[data-tab=${tab}]`);
    await page.waitForLoadState('networkidle');
    const m = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(m[0] <= m[1], `${what} ${tab}: scrollWidth ${m[0]} > ${m[1]}`);
    await page.screenshot({ path: join(SHOTS, `tablet-${what}-${tab}.png`), fullPage: true });
  }
}

test('a manager adds a schedule, gives it to a level, adds and removes a holiday and sets a zone to vetting required', async () => {
  mustCtl(stack, ['level', 'add', 'dock-day', '--zone', 'dock']);
  const since = JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq;
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=levels]');
  await page.waitForSelector('#schedule-add:not([hidden])');

  // schedule add weekdays --interval 'mon-fri 07:00-17:00' --interval 'sat 08:00-12:00'
  await page.fill('#schedule-add input[name=name]', 'weekdays');
  await page.fill('#schedule-add textarea[name=intervals]', 'mon-fri 07:00-17:00\nsat 08:00-12:00\n');
  await page.click('#schedule-add button[type=submit]');
  const row = '#schedules tr[data-schedule="weekdays"]';
  await page.waitForSelector(row, { timeout: 15000 });
  assert.deepEqual(await page.$$eval(`${row} .chip[data-interval]`, (cs) => cs.map((c) => c.dataset.interval)),
    ['mon-fri 07:00-17:00', 'sat 08:00-12:00']);
  assert.deepEqual(JSON.parse(mustCtl(stack, ['schedule', 'show', 'weekdays', '--json'])).intervals,
    ['mon-fri 07:00-17:00', 'sat 08:00-12:00']);
  assert.equal(await page.textContent(`${row} td.users`), 'none');

  // A malformed interval: aeogated's message, nothing changed.
  await page.fill(`${row} input.add-interval`, 'mon-fri 7-17');
  await page.click(`${row} button[data-action="add-interval"]`);
  await page.waitForSelector('#schedules-error:text("interval")', { timeout: 15000 });
  assert.match(await page.textContent('#schedules-error'), /interval 'mon-fri 7-17'/);
  assert.equal(await page.inputValue(`${row} input.add-interval`), 'mon-fri 7-17', 'what was typed stays to be fixed');
  // schedule set weekdays --add-interval 'hol 10:00-14:00', then --remove-interval it.
  await page.fill(`${row} input.add-interval`, 'hol 10:00-14:00');
  await page.click(`${row} button[data-action="add-interval"]`);
  const hol = `${row} .chip[data-interval="hol 10:00-14:00"]`;
  await page.waitForSelector(hol, { timeout: 15000 });
  assert.equal(await page.textContent('#schedules-error'), '');
  assert.equal(await page.inputValue(`${row} input.add-interval`), '');
  await page.click(`${hol} button[data-action="remove-interval"]`);
  await page.waitForSelector(hol, { state: 'detached', timeout: 15000 });

  // level set dock-day --schedule weekdays
  const level = '#levels tr[data-level="dock-day"]';
  await pick(page, `${level} select.set-schedule`, 'weekdays');
  await page.click(`${level} button[data-action="set-schedule"]`);
  await page.waitForSelector(`${level} td.schedule[data-schedule="weekdays"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${level} td.schedule .current`), 'weekdays');
  await page.waitForSelector(`${row} td.users:text("level dock-day")`, { timeout: 15000 });
  assert.equal(JSON.parse(mustCtl(stack, ['level', 'list', '--json'])).find((l) => l.name === 'dock-day').schedule, 'weekdays');

  // schedule remove weekdays is refused while dock-day uses it: the refusal is shown.
  await page.click(`${row} button[data-action="remove-schedule"]`);
  await answerConfirm(page);
  await page.waitForSelector('#schedules-error:text("in use")', { timeout: 15000 });
  assert.match(await page.textContent('#schedules-error'), /schedule 'weekdays' is in use by level 'dock-day'/);
  assert.ok(await page.$(row), 'the schedule stays');
  await page.screenshot({ path: join(SHOTS, 'manager-schedules.png'), fullPage: true });

  // holiday add 2031-12-25 --name 'Christmas Day', then holiday remove.
  await page.fill('#holiday-add input[name=date]', '2031-12-25');
  await page.fill('#holiday-add input[name=name]', 'Christmas Day');
  await page.click('#holiday-add button[type=submit]');
  const day = '#holidays tr[data-holiday="2031-12-25"]';
  await page.waitForSelector(day, { timeout: 15000 });
  assert.match(await page.textContent(day), /Christmas Day/);
  assert.deepEqual(JSON.parse(mustCtl(stack, ['holiday', 'list', '--json'])), [{ date: '2031-12-25', name: 'Christmas Day' }]);
  // The same date again: aeogated's refusal, shown.
  await page.fill('#holiday-add input[name=date]', '2031-12-25');
  await page.fill('#holiday-add input[name=name]', 'Twice');
  await page.click('#holiday-add button[type=submit]');
  await page.waitForSelector('#holiday-add .error:text("already a holiday")', { timeout: 15000 });
  await clickForConfirm(page, `${day} button[data-action="remove-holiday"]`);
  await answerConfirm(page);
  await page.waitForSelector(day, { state: 'detached', timeout: 15000 });
  assert.deepEqual(JSON.parse(mustCtl(stack, ['holiday', 'list', '--json'])), []);

  // zone set bonded-cage --vetting required
  const zone = '#zones tr[data-zone="bonded-cage"]';
  assert.equal(await page.getAttribute(`${zone} td.vetting`, 'data-vetting'), 'none');
  await pick(page, `${zone} select.set-vetting`, 'required');
  await page.click(`${zone} button[data-action="set-vetting"]`);
  await page.waitForSelector(`${zone} td.vetting[data-vetting="required"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${zone} td.vetting .current`), 'required');
  assert.equal(JSON.parse(mustCtl(stack, ['zone', 'show', 'bonded-cage', '--json'])).vetting, 'required');
  await page.screenshot({ path: join(SHOTS, 'manager-zones-holidays.png'), fullPage: true });
  await noHorizontalScroll(page, ['levels'], 'manager');

  // Each change is the op's own event, by this user.
  const op = 'user:manager1';
  assert.equal(events('schedule.added', since)[0].detail.operator, op);
  assert.equal(events('schedule.updated', since).length, 2);
  assert.equal(events('holiday.added', since)[0].detail.operator, op);
  assert.equal(events('holiday.removed', since).length, 1);
  const z = events('zone.updated', since);
  assert.equal(z.length, 1);
  assert.deepEqual([z[0].zone, z[0].detail.before.vetting, z[0].detail.after.vetting, z[0].detail.operator],
    ['bonded-cage', 'none', 'required', op]);

  // Back: no schedule for the level (none), then the schedule goes, the zone back to none.
  await page.setViewportSize({ width: 1280, height: 900 });
  await pick(page, `${level} select.set-schedule`, '');
  await page.click(`${level} button[data-action="set-schedule"]`);
  await page.waitForSelector(`${level} td.schedule[data-schedule=""]`, { timeout: 15000 });
  assert.equal(JSON.parse(mustCtl(stack, ['level', 'list', '--json'])).find((l) => l.name === 'dock-day').schedule, null);
  await page.click(`${row} button[data-action="remove-schedule"]`);
  await answerConfirm(page);
  await page.waitForSelector(row, { state: 'detached', timeout: 15000 });
  assert.equal(await page.textContent('#schedules-error'), '');
  await pick(page, `${zone} select.set-vetting`, 'none');
  await page.click(`${zone} button[data-action="set-vetting"]`);
  await page.waitForSelector(`${zone} td.vetting[data-vetting="none"]`, { timeout: 15000 });
  assert.deepEqual(unexpected(errors, 400, 409), []);
  await context.close();
});

test('a manager sets a door to locked with a comment: the card shows the mode from the stream, the feed the event', async () => {
  mustCtl(stack, ['person', 'add', 'E6000', '--name', 'Mo Des', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E6000', '--uid', '06060606']);
  assert.equal(present('dock-1-in', '06060606').granted, true);
  const since = JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq;
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=doors]');
  const card = '.door[data-door="dock-1"]';
  await page.waitForSelector(`${card}[data-mode="card"] form.door-mode-form`);

  // An until in the past: aeogated refuses it, the message is shown, nothing changes.
  await pick(page, `${card} select.mode-select`, 'locked');
  const past = isoLocal(-3600e3).slice(0, 16);
  await page.fill(`${card} input.mode-until`, past);
  await page.click(`${card} button.set-mode`);
  await page.waitForSelector(`${card} .door-mode-form .door-error:text("until")`, { timeout: 15000 });
  assert.match(await page.textContent(`${card} .door-mode-form .door-error`), /'until' must be in the future/);
  assert.equal(JSON.parse(mustCtl(stack, ['door', 'list', '--json'])).find((d) => d.name === 'dock-1').mode, 'card');
  // A door event redraws the board: the refusal and what was picked stay.
  await page.$eval(card, (c) => { c.dataset.old = '1'; });
  mustCtl(stack, ['door', 'mode', 'cage-1', 'card']);
  await page.waitForSelector(`${card}:not([data-old])`, { timeout: 15000 });
  assert.match(await page.textContent(`${card} .door-mode-form .door-error`), /'until' must be in the future/);
  assert.equal(await page.inputValue(`${card} select.mode-select`), 'locked');
  assert.equal(await page.inputValue(`${card} input.mode-until`), past);

  // door mode dock-1 locked --until (tomorrow) --comment ...
  const until = isoLocal(86400e3).slice(0, 16);
  await page.fill(`${card} input.mode-until`, until);
  await page.fill(`${card} input.mode-comment`, 'Stock count: dock closed');
  await page.click(`${card} button.set-mode`);
  await page.waitForSelector(`${card}[data-mode="locked"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-mode-form .door-error`), '');
  assert.match(await page.textContent(`${card} .mode`), /^mode locked .* until /);
  assert.match(await page.getAttribute(`${card} .mode time`, 'title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'until: UTC on hover');
  assert.equal(await page.inputValue(`${card} select.mode-select`), 'locked');
  assert.equal(await page.inputValue(`${card} input.mode-comment`), '');
  await page.screenshot({ path: join(SHOTS, 'manager-door-mode.png') });
  const d = JSON.parse(mustCtl(stack, ['door', 'list', '--json'])).find((x) => x.name === 'dock-1');
  assert.equal(d.mode, 'locked');
  const untilMs = new Date(d.until).getTime();
  assert.ok(Math.abs(untilMs - (Date.now() + 86400e3)) < 120e3, `until ${d.until} is about a day from now`);
  const p = present('dock-1-in', '06060606');
  assert.equal(p.granted, false);
  assert.equal(p.reason, 'door_locked');

  await page.click('#tabs button[data-tab=feed]');
  const item = '#feed li[data-kind="door.mode"]:has-text("dock-1")';
  await page.waitForSelector(item, { timeout: 15000 });
  const text = await page.textContent(item);
  assert.match(text, /dock-1/);
  assert.match(text, /card → locked/);
  assert.match(text, /manager1/);
  assert.match(text, /Stock count: dock closed/);
  const modes = events('door.mode', since).filter((e) => e.door === 'dock-1');
  assert.equal(modes.length, 1, 'the refused attempt recorded nothing');
  assert.deepEqual([modes[0].door, modes[0].detail.mode, modes[0].detail.was, modes[0].detail.cause,
    modes[0].detail.operator, modes[0].detail.comment],
  ['dock-1', 'locked', 'card', 'manual', 'user:manager1', 'Stock count: dock closed']);
  await page.screenshot({ path: join(SHOTS, 'manager-door-mode-feed.png') });

  // A change made elsewhere reaches the open board through the stream alone.
  await page.click('#tabs button[data-tab=doors]');
  mustCtl(stack, ['door', 'mode', 'dock-1', 'card']);
  await page.waitForSelector(`${card}[data-mode="card"]`, { timeout: 15000 });
  assert.equal(await page.inputValue(`${card} select.mode-select`), 'card');
  assert.equal(present('dock-1-in', '06060606').granted, true);
  await noHorizontalScroll(page, ['doors'], 'manager-modes');
  assert.deepEqual(unexpected(errors, 400), []);
  await context.close();
});

test('an auditor sees schedules, holidays, vetting and door modes without the controls; a guard has none of them', async () => {
  mustCtl(stack, ['schedule', 'add', 'night', '--interval', 'all 22:00-06:00']);
  mustCtl(stack, ['level', 'add', 'dock-night', '--zone', 'dock', '--schedule', 'night']);
  mustCtl(stack, ['holiday', 'add', '2031-01-01', '--name', "New Year's Day"]);
  mustCtl(stack, ['zone', 'set', 'bonded-cage', '--vetting', 'required']);
  mustCtl(stack, ['door', 'mode', 'cage-1', 'unlocked', '--comment', 'e2e: open day']);

  const aud = await signIn('auditor1');
  await aud.page.click('#tabs button[data-tab=levels]');
  const row = '#schedules tr[data-schedule="night"]';
  await aud.page.waitForSelector(row);
  assert.deepEqual(await aud.page.$$eval(`${row} .chip`, (cs) => cs.map((c) => c.dataset.interval)), ['all 22:00-06:00']);
  assert.equal(await aud.page.textContent(`${row} td.users`), 'level dock-night');
  assert.equal(await aud.page.textContent('#levels tr[data-level="dock-night"] td.schedule'), 'night');
  assert.match(await aud.page.textContent('#holidays tr[data-holiday="2031-01-01"]'), /New Year's Day/);
  assert.equal(await aud.page.textContent('#zones tr[data-zone="bonded-cage"] td.vetting'), 'required');
  for (const form of ['#schedule-add', '#holiday-add', '#level-add']) {
    assert.equal(await aud.page.isHidden(form), true, `auditor: ${form}`);
  }
  assert.deepEqual(await aud.page.$$eval('#tab-levels button, #tab-levels select, #tab-levels input, #tab-levels textarea',
    (xs) => xs.filter((x) => x.offsetParent !== null).map((x) => x.outerHTML)), [], 'auditor: no controls');
  await aud.page.screenshot({ path: join(SHOTS, 'auditor-levels.png'), fullPage: true });
  await aud.page.click('#tabs button[data-tab=doors]');
  await aud.page.waitForSelector('.door[data-door="cage-1"][data-mode="unlocked"]');
  assert.equal(await aud.page.$('.door form'), null, 'auditor: no door controls');
  assert.deepEqual(aud.errors, []);
  await aud.context.close();

  const g = await signIn('guard1');
  assert.equal((await visibleTabs(g.page)).includes('levels'), false);
  await g.page.click('#tabs button[data-tab=doors]');
  await g.page.waitForSelector('.door[data-door="cage-1"][data-mode="unlocked"] form.door-unlock-form');
  assert.equal(await g.page.$('.door-mode-form'), null, 'guard: no mode control');
  assert.equal(await g.page.$('#tab-levels form:not([hidden])'), null, 'guard: no manager forms');
  await g.page.screenshot({ path: join(SHOTS, 'guard-doors-modes.png') });
  assert.deepEqual(g.errors, []);
  await g.context.close();

  mustCtl(stack, ['door', 'mode', 'cage-1', 'card']);
  mustCtl(stack, ['zone', 'set', 'bonded-cage', '--vetting', 'none']);
});

// ---------------------------------------------------------------- door schedules, mode --clear, PINs

import { h10301Bits } from './lib.mjs';

// The first event of kind after seq that pred accepts, waited for (bounded) through aeogatectl.
async function waitEvent(since, kind, pred = () => true, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = events(kind, since).find(pred);
    if (e) return e;
    assert.ok(Date.now() < deadline, `no ${kind} event after seq ${since}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const lastSeq = () => JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq;
const doorOf = (name) => JSON.parse(mustCtl(stack, ['door', 'list', '--json'])).find((d) => d.name === name);

test('a manager sets a door schedule on the card: shown on the door and as door.updated; a first person in opens it; clearing it gives card back', async () => {
  mustCtl(stack, ['schedule', 'add', 'e2e-allday', '--interval', 'all 00:00-24:00']);
  mustCtl(stack, ['schedule', 'add', 'e2e-gone', '--interval', 'sun 01:00-02:00']);
  mustCtl(stack, ['level', 'add', 'e2e-cage', '--zone', 'bonded-cage']);
  mustCtl(stack, ['person', 'add', 'E8000', '--name', 'First In', '--level', 'e2e-cage']);
  mustCtl(stack, ['badge', 'issue', 'E8000', '--wiegand', 'h10301:80:8000']);
  // Earlier tests left cage-1 in a manual card mode, which would hold its schedule off.
  mustCtl(stack, ['door', 'mode', 'cage-1', '--clear']);
  const since = lastSeq();
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=doors]');
  const card = '.door[data-door="cage-1"]';
  await page.waitForSelector(`${card} form.door-schedule-form select.door-schedule-select option[value="e2e-gone"]`,
    { state: 'attached', timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-schedule`), 'schedule none');
  assert.equal(await page.$(`${card} button.clear-door-schedule`), null, 'nothing to clear yet');

  // A schedule removed after the board read the list (the board reads it
  // again on schedule events: here it keeps getting the old list), then
  // picked: aeogated's refusal, shown on the card; nothing changes.
  const stale = mustCtl(stack, ['schedule', 'list', '--json']);
  await page.route('**/api/schedules', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: stale }));
  mustCtl(stack, ['schedule', 'remove', 'e2e-gone']);
  await pick(page, `${card} select.door-schedule-select`, 'e2e-gone');
  await page.click(`${card} button.set-door-schedule`);
  await page.waitForSelector(`${card} .door-schedule-form .door-error:text("e2e-gone")`, { timeout: 15000 });
  assert.match(await page.textContent(`${card} .door-schedule-form .door-error`), /no such schedule: e2e-gone/);
  assert.equal(doorOf('cage-1').schedule, null);
  await page.unroute('**/api/schedules');

  // door schedule cage-1 --mode unlocked --schedule e2e-allday --first-person-in
  await pick(page, `${card} select.door-schedule-select`, 'e2e-allday');
  await pick(page, `${card} select.door-schedule-mode`, 'unlocked');
  await pick(page, `${card} select.door-schedule-fpi`, '1');
  await page.click(`${card} button.set-door-schedule`);
  await page.waitForSelector(`${card} .door-schedule[data-schedule="e2e-allday"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-schedule-form .door-error`), '');
  assert.equal(await page.textContent(`${card} .door-schedule`),
    'schedule unlocked inside e2e-allday, after the first person in');
  assert.equal(await page.getAttribute(card, 'data-mode'), 'card', 'first person in: card until a badge is granted');
  assert.equal(await page.inputValue(`${card} select.door-schedule-select`), 'e2e-allday');
  assert.equal(await page.inputValue(`${card} select.door-schedule-fpi`), '1');
  assert.deepEqual(doorOf('cage-1').schedule,
    { schedule: 'e2e-allday', mode: 'unlocked', first_person_in: true, active: false });
  const upd = await waitEvent(since, 'door.updated', (e) => e.door === 'cage-1');
  assert.deepEqual([upd.detail.before.schedule, upd.detail.after.schedule, upd.detail.operator],
    [null, { schedule: 'e2e-allday', mode: 'unlocked', first_person_in: true }, 'user:manager1']);
  await page.screenshot({ path: join(SHOTS, 'manager-door-schedule.png') });

  // The first person in: the door takes the schedule's mode, the card says so.
  const r = stack.ctl(['sim', 'present', 'cage-1-in', '--bits', h10301Bits(80, 8000)]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  await page.waitForSelector(`${card}[data-mode="unlocked"] .door-schedule[data-active="1"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-schedule`),
    'schedule unlocked inside e2e-allday, after the first person in (now)');
  const fp = await waitEvent(since, 'door.mode', (e) => e.door === 'cage-1');
  assert.deepEqual([fp.detail.mode, fp.detail.cause], ['unlocked', 'first_person']);

  // The feed shows the door.updated event with the schedule.
  await page.click('#tabs button[data-tab=feed]');
  const item = '#feed li[data-kind="door.updated"]:has-text("cage-1")';
  await page.waitForSelector(item, { timeout: 15000 });
  assert.match(await page.textContent(item), /schedule none → unlocked inside e2e-allday, after the first person in/);

  // door schedule cage-1 --clear: the door goes back to card.
  await page.click('#tabs button[data-tab=doors]');
  const clearSince = lastSeq();
  await page.click(`${card} button.clear-door-schedule`);
  await page.waitForSelector(`${card}[data-mode="card"] .door-schedule[data-schedule=""]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-schedule`), 'schedule none');
  assert.equal(await page.$(`${card} button.clear-door-schedule`), null);
  assert.equal(doorOf('cage-1').schedule, null);
  const cleared = await waitEvent(clearSince, 'door.updated', (e) => e.door === 'cage-1');
  assert.deepEqual([cleared.detail.before.schedule, cleared.detail.after.schedule],
    [{ schedule: 'e2e-allday', mode: 'unlocked', first_person_in: true }, null]);
  const back = await waitEvent(clearSince, 'door.mode', (e) => e.door === 'cage-1');
  assert.deepEqual([back.detail.mode, back.detail.was, back.detail.cause], ['card', 'unlocked', 'schedule']);

  // A guard sees the door's schedule, without the control.
  mustCtl(stack, ['door', 'schedule', 'cage-1', '--mode', 'locked', '--schedule', 'e2e-allday']);
  const g = await signIn('guard1');
  await g.page.click('#tabs button[data-tab=doors]');
  await g.page.waitForSelector(`${card}[data-mode="locked"] .door-schedule[data-schedule="e2e-allday"]`, { timeout: 15000 });
  assert.equal(await g.page.textContent(`${card} .door-schedule`), 'schedule locked inside e2e-allday (now)');
  assert.equal(await g.page.$('.door-schedule-form'), null, 'guard: no schedule control');
  assert.deepEqual(g.errors, []);
  await g.context.close();
  mustCtl(stack, ['door', 'schedule', 'cage-1', '--clear']);
  mustCtl(stack, ['schedule', 'remove', 'e2e-allday']);
  assert.equal(doorOf('cage-1').mode, 'card');
  assert.deepEqual(unexpected(errors, 404), []);
  await context.close();
});

test('a manager sets a door mode, then "Clear mode" gives the door back its default, card', async () => {
  const since = lastSeq();
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=doors]');
  const card = '.door[data-door="dock-1"]';
  await page.waitForSelector(`${card} form.door-mode-form button.clear-mode`);
  await pick(page, `${card} select.mode-select`, 'locked');
  await page.click(`${card} button.set-mode`);
  await page.waitForSelector(`${card}[data-mode="locked"]`, { timeout: 15000 });
  assert.equal(doorOf('dock-1').mode, 'locked');

  await page.fill(`${card} input.mode-comment`, 'count done');
  await page.click(`${card} button.clear-mode`);
  await page.waitForSelector(`${card}[data-mode="card"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${card} .door-mode-form .door-error`), '');
  assert.equal(await page.inputValue(`${card} select.mode-select`), 'card');
  assert.equal(await page.inputValue(`${card} input.mode-comment`), '');
  const d = doorOf('dock-1');
  assert.deepEqual([d.mode, d.until], ['card', null]);
  const modes = events('door.mode', since).filter((e) => e.door === 'dock-1');
  assert.equal(modes.length, 2, JSON.stringify(modes));
  assert.deepEqual([modes[1].detail.mode, modes[1].detail.was, modes[1].detail.cause, modes[1].detail.cleared,
    modes[1].detail.comment, modes[1].detail.operator], ['card', 'locked', 'manual', true, 'count done', 'user:manager1']);
  assert.deepEqual(errors, []);
  await context.close();
});

// A badge and its PIN on the simulated board: sim present waits (exit 3),
// sim keys types the PIN; the outcome is the access event that follows.
async function badgeAndPin(reader, uid, keys, person) {
  const since = lastSeq();
  const r = stack.ctl(['sim', 'present', reader, '--uid', uid]);
  if (r.status !== 3) return { status: r.status, out: r.stdout + r.stderr };
  assert.match(r.stdout, /pending {2}pin/);
  mustCtl(stack, ['sim', 'keys', reader, keys]);
  const deadline = Date.now() + 15000;
  for (;;) {
    const e = mustCtl(stack, ['events', '--json', '--since', String(since)]).split('\n').filter(Boolean)
      .map((l) => JSON.parse(l)).find((x) => /^access\./.test(x.kind) && x.person === person);
    if (e) return { status: 3, event: e };
    assert.ok(Date.now() < deadline, `no access event for ${person} after seq ${since}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('a manager sets a PIN typed twice (never shown or kept), the board takes it at a card + PIN door; locked by wrong PINs, unlocked, cleared', async () => {
  const PIN = '580314';
  mustCtl(stack, ['person', 'add', 'E7000', '--name', 'Pin Holder', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E7000', '--uid', '07070707']);
  mustCtl(stack, ['door', 'mode', 'dock-1', 'card_and_pin']);
  const since = lastSeq();
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=people]');
  await clickRowAction(page, '#persons tr[data-person="E7000"]', 'edit');
  const box = '#person-pin[data-person="E7000"]';
  await page.waitForSelector(`${box}:not([hidden]) #person-pin-status[data-pin="none"]`, { timeout: 15000 });
  assert.equal(await page.textContent('#person-pin-status'), 'none');
  for (const f of ['#person-pin-new', '#person-pin-again']) assert.equal(await page.getAttribute(f, 'type'), 'password');
  assert.equal(await page.isHidden('#person-pin-clear'), true, 'no PIN: nothing to clear');
  assert.equal(await page.isHidden('#person-pin-unlock'), true);

  // Typed differently: nothing is sent.
  await page.fill('#person-pin-new', PIN);
  await page.fill('#person-pin-again', '580315');
  await page.click('#person-pin-set');
  await page.waitForSelector(`${box} .error:text("differ")`);
  assert.equal(await page.inputValue('#person-pin-new'), '', 'the fields are emptied');
  // Not digits: the controller's words.
  await page.fill('#person-pin-new', '12ab');
  await page.fill('#person-pin-again', '12ab');
  await page.click('#person-pin-set');
  await page.waitForSelector(`${box} .error:text("digits")`, { timeout: 15000 });
  assert.match(await page.textContent(`${box} .error`), /'pin' must be 4 to 8 digits/);
  assert.equal(events('person.pin_set', since).length, 0, 'refused attempts change nothing');

  // person pin E7000, typed twice; Enter in the second field sets it.
  await page.fill('#person-pin-new', PIN);
  await page.fill('#person-pin-again', PIN);
  await page.press('#person-pin-again', 'Enter');
  await page.waitForSelector(`${box} #person-pin-status[data-pin="set"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${box} .error`), '');
  assert.equal(await page.textContent('#person-pin-result'), 'PIN set.');
  assert.equal(await page.inputValue('#person-pin-new'), '');
  assert.equal(await page.inputValue('#person-pin-again'), '');
  assert.equal(await page.isHidden('#person-pin-clear'), false);
  const kept = await page.evaluate(() => [document.documentElement.outerHTML, document.body.innerText,
    JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }),
    [...document.querySelectorAll('input')].map((i) => i.value).join(' ')].join('\n'));
  assert.equal(kept.includes(PIN), false, 'the page keeps no copy of the PIN');
  const set = events('person.pin_set', since);
  assert.equal(set.length, 1);
  assert.deepEqual([set[0].person, set[0].detail.action, set[0].detail.after.pin, set[0].detail.operator],
    ['E7000', 'set', 'set', 'user:manager1']);
  assert.equal(JSON.stringify(set[0]).includes(PIN), false, 'no PIN in the event');
  await page.screenshot({ path: join(SHOTS, 'manager-person-pin.png') });

  // That PIN opens the card + PIN door; another does not.
  let a = await badgeAndPin('dock-1-in', '07070707', `${PIN}#`, 'E7000');
  assert.equal(a.event.kind, 'access.granted', JSON.stringify(a));
  a = await badgeAndPin('dock-1-in', '07070707', '111111#', 'E7000');
  assert.deepEqual([a.event.kind, a.event.reason], ['access.denied', 'wrong_pin']);

  // Wrong PINs in a row lock it ([policy] pin_attempts, default 5): the panel follows the stream.
  for (let i = 2; i <= 5; i++) {
    a = await badgeAndPin('dock-1-in', '07070707', '111111#', 'E7000');
    assert.deepEqual([a.event.kind, a.event.reason], ['access.denied', 'wrong_pin'], `attempt ${i}`);
  }
  await page.waitForSelector(`${box} #person-pin-status[data-pin="locked"]`, { timeout: 15000 });
  assert.match(await page.textContent('#person-pin-status'), /^locked/);
  a = await badgeAndPin('dock-1-in', '07070707', `${PIN}#`, 'E7000');
  assert.equal(a.status, 1, 'a locked PIN is refused at the badge');
  assert.match(a.out, /pin_locked/);

  // person pin-unlock E7000: the same PIN works again.
  await page.click('#person-pin-unlock');
  await page.waitForSelector(`${box} #person-pin-status[data-pin="set"]`, { timeout: 15000 });
  assert.equal(await page.textContent('#person-pin-result'), 'PIN unlocked.');
  assert.equal(await page.isHidden('#person-pin-unlock'), true);
  assert.equal(events('person.pin_unlocked', since)[0].detail.operator, 'user:manager1');
  a = await badgeAndPin('dock-1-in', '07070707', `${PIN}#`, 'E7000');
  assert.equal(a.event.kind, 'access.granted', JSON.stringify(a));

  // person pin E7000 --clear: the badge alone is refused pin_required at once.
  await page.click('#person-pin-clear');
  await answerConfirm(page);
  await page.waitForSelector(`${box} #person-pin-status[data-pin="none"]`, { timeout: 15000 });
  assert.equal(await page.textContent('#person-pin-result'), 'PIN cleared.');
  assert.equal(JSON.parse(mustCtl(stack, ['person', 'show', 'E7000', '--json'])).pin, 'none');
  assert.equal(events('person.pin_set', since).filter((e) => e.detail.action === 'clear').length, 1);
  a = await badgeAndPin('dock-1-in', '07070707', `${PIN}#`, 'E7000');
  assert.equal(a.status, 1);
  assert.match(a.out, /pin_required/);
  // The panel closes with the edit form, its fields empty.
  await page.click('#person-edit-close');
  assert.equal(await page.isHidden('#person-pin'), true);
  assert.deepEqual(unexpected(errors, 400), []);
  await context.close();
  mustCtl(stack, ['door', 'mode', 'dock-1', '--clear']);
});

test('a guard reads the muster page live and prints it; a manager sets a zone\'s anti-passback and occupancy', async () => {
  mustCtl(stack, ['level', 'add', 'muster-all', '--zone', 'bonded-cage', '--zone', 'dock']);
  for (const [id, uid] of [['M9001', '0a9b0001'], ['M9002', '0a9b0002'], ['M9003', '0a9b0003']]) {
    mustCtl(stack, ['person', 'add', id, '--name', `Muster ${id}`, '--level', 'muster-all']);
    mustCtl(stack, ['badge', 'issue', id, '--uid', uid]);
  }
  mustCtl(stack, ['sim', 'present', 'cage-1-in', '--uid', '0a9b0001']);
  mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '0a9b0002']);

  const { page, context, errors } = await signIn('guard1');
  await page.click('#tabs button[data-tab=muster]');
  const cage = '#muster .muster-zone[data-zone="bonded-cage"]';
  await page.waitForSelector(`${cage} tr[data-person="M9001"]`, { timeout: 15000 });
  const row = await page.$$eval(`${cage} tr[data-person="M9001"] td`, (tds) => tds.map((t) => t.textContent));
  assert.equal(row[0], 'M9001');
  assert.equal(row[1], 'Muster M9001');
  assert.equal(row[3], 'cage-1');
  const since = JSON.parse(mustCtl(stack, ['muster', 'bonded-cage', '--json'])).find((r) => r.person === 'M9001').since;
  assert.ok(row[2].length > 0 && since.endsWith('Z'), `since shown: ${row[2]}`);
  await page.waitForSelector('#muster .muster-zone[data-zone="dock"] tr[data-person="M9002"]');
  assert.equal(await page.$(`${cage} tr[data-person="M9002"]`), null, 'the dock entry is not in the cage');

  // Live: an entry appears and an exit disappears without reloading.
  mustCtl(stack, ['sim', 'present', 'cage-1-in', '--uid', '0a9b0003']);
  await page.waitForSelector(`${cage} tr[data-person="M9003"]`, { timeout: 15000 });
  mustCtl(stack, ['sim', 'present', 'cage-1-out', '--uid', '0a9b0001']);
  await page.waitForSelector(`${cage} tr[data-person="M9001"]`, { state: 'detached', timeout: 15000 });

  // One printable page: printing hides the header, tabs and controls.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('#tabs'), false, 'tabs hidden in print');
  assert.equal(await page.isVisible('#muster-print'), false, 'print button hidden in print');
  assert.equal(await page.isVisible(`${cage} tr[data-person="M9003"]`), true);
  await page.screenshot({ path: join(SHOTS, 'muster-print.png'), fullPage: true });
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 1000, 'the muster page prints');
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(errors, [], 'guard: console errors');
  await context.close();

  // The manager's zone page: occupancy and anti-passback, set from the page.
  const m = await signIn('manager1');
  await m.page.click('#tabs button[data-tab=levels]');
  const zone = '#zones tr[data-zone="bonded-cage"]';
  await m.page.waitForSelector(`${zone} td.occupancy`);
  // Earlier tests may have left people inside: the limit is the count now, so the zone is full.
  const inside = JSON.parse(mustCtl(stack, ['zone', 'show', 'bonded-cage', '--json'])).occupancy;
  assert.ok(inside >= 1, 'M9003 is inside');
  await m.page.fill(`${zone} input.set-max-occupancy`, String(inside));
  await m.page.click(`${zone} button[data-action="set-max-occupancy"]`);
  await m.page.waitForSelector(`${zone} td.occupancy[data-full]`, { timeout: 15000 });
  assert.equal(await m.page.textContent(`${zone} td.occupancy .current`), `${inside} / ${inside}`);
  let z = JSON.parse(mustCtl(stack, ['zone', 'show', 'bonded-cage', '--json']));
  assert.equal(z.max_occupancy, inside);
  assert.equal(stack.ctl(['sim', 'present', 'cage-1-in', '--uid', '0a9b0002']).status, 1, 'full: denied');

  await pick(m.page, `${zone} select.set-apb`, 'soft');
  await m.page.click(`${zone} button[data-action="set-apb"]`);
  await m.page.waitForSelector(`${zone} td.apb[data-apb="soft"]`, { timeout: 15000 });
  mustCtl(stack, ['sim', 'present', 'cage-1-out', '--uid', '0a9b0001']); // not inside: a soft violation
  await m.page.waitForSelector(`${zone} td.apb .violations`, { timeout: 15000 });
  assert.match(await m.page.textContent(`${zone} td.apb .violations`), /1 soft violation/);
  await pick(m.page, `${zone} select.set-apb`, 'timed');
  await m.page.fill(`${zone} input.apb-minutes`, '15');
  await m.page.click(`${zone} button[data-action="set-apb"]`);
  await m.page.waitForSelector(`${zone} td.apb[data-apb="timed:15"]`, { timeout: 15000 });
  await m.page.fill(`${zone} input.set-max-occupancy`, '');
  await m.page.click(`${zone} button[data-action="set-max-occupancy"]`);
  await m.page.waitForSelector(`${zone} td.occupancy:not([data-full])`, { timeout: 15000 });
  z = JSON.parse(mustCtl(stack, ['zone', 'show', 'bonded-cage', '--json']));
  assert.deepEqual([z.apb, z.max_occupancy, z.apb_violations], ['timed:15', null, 1]);
  await m.page.screenshot({ path: join(SHOTS, 'manager-zone-area.png'), fullPage: true });
  mustCtl(stack, ['zone', 'set', 'bonded-cage', '--apb', 'off']);
  assert.deepEqual(m.errors, [], 'manager: console errors');
  await m.context.close();
});

test('a lockdown set with aeogatectl shows a red banner to a guard at once, and to a fresh sign-in; release removes it', async () => {
  const { page, context, errors } = await signIn('guard1');
  assert.equal(await page.isHidden('#lockdown'), true, 'no banner without a lockdown');

  mustCtl(stack, ['site', 'lockdown', '--comment', 'e2e: intruder at the fence']);
  await page.waitForSelector('#lockdown:not([hidden])', { timeout: 15000 });
  const text = await page.textContent('#lockdown');
  assert.match(text, /LOCKDOWN/);
  assert.match(text, /whole site/);
  assert.match(text, /intruder at the fence/);
  const bg = await page.$eval('#lockdown', (n) => getComputedStyle(n).backgroundColor);
  assert.equal(bg, 'rgb(176, 0, 32)', 'the banner is red');
  await page.screenshot({ path: join(SHOTS, 'lockdown-banner.png') });
  // The door board says which doors are locked down, the feed who did it and why.
  await page.click('#tabs button[data-tab=doors]');
  await page.waitForSelector('.door[data-door="cage-1"] .site-state[data-locked-down]', { timeout: 15000 });
  assert.match(await page.textContent('.door[data-door="dock-1"] .site-state'), /LOCKED DOWN/);
  await page.click('#tabs button[data-tab=feed]');
  const item = '#feed li[data-kind="site.lockdown"]';
  await page.waitForSelector(item, { timeout: 15000 });
  assert.match(await page.textContent(item), /whole site.*intruder at the fence/);

  // Another role signing in now sees it from status, not from the stream.
  const other = await signIn('auditor1');
  await other.page.waitForSelector('#lockdown:not([hidden])', { timeout: 15000 });
  assert.match(await other.page.textContent('#lockdown'), /whole site/);

  mustCtl(stack, ['site', 'release', '--comment', 'e2e: all clear']);
  await page.waitForSelector('#lockdown', { state: 'hidden', timeout: 15000 });
  await other.page.waitForSelector('#lockdown', { state: 'hidden', timeout: 15000 });

  // A zone lockdown names its zone.
  mustCtl(stack, ['site', 'lockdown', '--zone', 'bonded-cage', '--comment', 'e2e: seal broken']);
  await page.waitForSelector('#lockdown:not([hidden])', { timeout: 15000 });
  assert.match(await page.textContent('#lockdown'), /zone bonded-cage/);
  mustCtl(stack, ['site', 'release', '--zone', 'bonded-cage', '--comment', 'e2e: seal checked']);
  await page.waitForSelector('#lockdown', { state: 'hidden', timeout: 15000 });
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await other.context.close();
  await context.close();
});
