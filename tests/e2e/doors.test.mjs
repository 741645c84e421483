// Door commands on each door card, per role, in a real browser (Debian's
// chromium through playwright-core), each checked through aeogatectl: a
// guard has the momentary unlock (red, behind a confirmation: Cancel sends
// nothing), an auditor has no command at all, a manager also sets the
// door mode (unlocked is red and confirmed) and locks down the door's zone
// (red, confirmed, with a required comment). The API refuses the same
// commands from the wrong role and with bad input, and nothing changes.
// Screenshots go to BUILD_DIR/e2e-shots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, waitFor, toastSays, failOnConsoleErrors, pick,
} from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('guard1', 'guard');
  stack.addUser('auditor1', 'auditor');
  stack.addUser('manager1', 'manager');
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const status = () => JSON.parse(mustCtl(stack, ['status', '--json']));
const events = () => mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const door = (name) => JSON.parse(mustCtl(stack, ['door', 'list', '--json'])).find((d) => d.name === name);

async function doorsAs(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  failOnConsoleErrors(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.click('#tabs button[data-tab=doors]');
  await page.waitForSelector('.door[data-door="cage-1"]', { timeout: 15000 });
  return { page, context, errors };
}

// Red as a person sees it: the danger class and the colour it paints. Read
// at once, the always-red Unlock button was once seen not red in CI under
// load (cause not found): red is waited for, up to 5 s, and false after.
const isRed = (page, sel) => page.waitForFunction((s) => {
  const b = document.querySelector(s);
  return b && b.classList.contains('danger') && getComputedStyle(b).backgroundColor === 'rgb(180, 35, 24)';
}, sel, { timeout: 5000 }).then(() => true, () => false);

test('the API refuses door commands from the wrong role and with bad input; nothing changes', async () => {
  const guard = await login(stack, 'guard1');
  const auditor = await login(stack, 'auditor1');
  const before = events().length;
  let r = await api(stack, auditor, 'POST', '/api/doors/unlock', { door: 'cage-1', comment: 'auditor tries' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, guard, 'POST', '/api/doors/mode', { door: 'cage-1', mode: 'unlocked' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, guard, 'POST', '/api/site/lockdown', { zones: ['bonded-cage'], comment: 'guard tries' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, guard, 'POST', '/api/doors/unlock', { door: 'cage-1', comment: '' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /comment/);
  r = await api(stack, guard, 'POST', '/api/doors/unlock', '{"door":');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/doors/unlock', '');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/doors/unlock', { door: 'cage-1', comment: 'x'.repeat(5000) });
  assert.equal(r.status, 400, r.text);
  assert.equal(events().length, before, 'a refused command records nothing');
  assert.equal(door('cage-1').mode ?? 'card', 'card');
  assert.equal(status().lockdown, null);
});

test('an auditor sees no door command', async () => {
  const { page, context, errors } = await doorsAs('auditor1');
  for (const sel of ['button.unlock', 'form.door-mode-form', 'button.lockdown-zone', 'button.clear-mode']) {
    assert.equal(await page.locator(`#doors ${sel}`).count(), 0, `auditor sees ${sel}`);
  }
  await page.screenshot({ path: join(SHOTS, 'doors-auditor.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a guard unlocks a door for a moment, after a red confirmation; Cancel sends nothing', async () => {
  const { page, context, errors } = await doorsAs('guard1');
  const card = '.door[data-door="dock-1"]';
  assert.equal(await page.locator('#doors form.door-mode-form').count(), 0, 'a guard has no door mode');
  assert.equal(await page.locator('#doors button.lockdown-zone').count(), 0, 'a guard has no lockdown');
  assert.ok(await isRed(page, `${card} button.unlock`), 'the unlock button is red');

  const before = events().length;
  await page.fill(`${card} input.unlock-comment`, 'Courier for reception');
  await page.click(`${card} button.unlock`);
  await page.waitForSelector('dialog.confirm-dialog[open]');
  assert.match(await page.textContent('dialog.confirm-dialog'), /Unlock dock-1\?/);
  await page.screenshot({ path: join(SHOTS, 'doors-unlock-confirm-guard.png') });
  await page.click('dialog.confirm-dialog button.confirm-cancel');
  await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
  assert.equal(events().length, before, 'Cancel sent nothing');

  await page.click(`${card} button.unlock`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
  assert.equal(events().length, before, 'Escape sent nothing');

  await page.click(`${card} button.unlock`);
  await page.click('dialog.confirm-dialog button.confirm-ok');
  await waitFor('door.remote_unlock', () => events().some((e) => e.kind === 'door.remote_unlock'), 15000);
  const unlocks = events().filter((e) => e.kind === 'door.remote_unlock');
  assert.equal(unlocks.length, 1);
  assert.equal(unlocks[0].door, 'dock-1');
  assert.equal(unlocks[0].detail.comment, 'Courier for reception');
  await toastSays(page, 'Door dock-1 unlocked');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a manager sets the unlocked mode and locks down the door\'s zone, each red and confirmed', async () => {
  const { page, context, errors } = await doorsAs('manager1');
  const card = '.door[data-door="cage-1"]';
  assert.equal(await isRed(page, `${card} button.set-mode`), false, 'card mode is not dangerous');
  await pick(page, `${card} select.mode-select`, 'unlocked');
  assert.ok(await isRed(page, `${card} button.set-mode`), 'setting unlocked is red');
  await page.fill(`${card} input.mode-comment`, 'Inventory: cage open');
  await page.click(`${card} button.set-mode`);
  await page.waitForSelector('dialog.confirm-dialog[open]');
  assert.match(await page.textContent('dialog.confirm-dialog'), /Leave cage-1 unlocked\?/);
  await page.click('dialog.confirm-dialog button.confirm-cancel');
  await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
  assert.equal(door('cage-1').mode ?? 'card', 'card', 'Cancel changed nothing');
  await page.click(`${card} button.set-mode`);
  await page.click('dialog.confirm-dialog button.confirm-ok');
  await page.waitForSelector(`${card}[data-mode="unlocked"]`, { timeout: 15000 });
  assert.equal(door('cage-1').mode, 'unlocked');
  await toastSays(page, 'Door cage-1: mode unlocked');
  await page.click(`${card} button.clear-mode`);
  await page.waitForSelector(`${card}[data-mode="card"]`, { timeout: 15000 });
  await toastSays(page, 'Door cage-1: mode cleared');

  // Lockdown of the door's zone: red, confirmed, a comment required.
  const lock = `${card} button.lockdown-zone`;
  assert.match(await page.textContent(lock), /Lock down zone bonded-cage/);
  assert.ok(await isRed(page, lock));
  await page.click(lock);
  await page.waitForSelector('dialog.confirm-dialog[open] input.confirm-comment');
  await page.click('dialog.confirm-dialog button.confirm-ok');
  assert.match(await page.textContent('dialog.confirm-dialog .error'), /comment is required/);
  assert.equal(status().lockdown, null);
  await page.fill('dialog.confirm-dialog input.confirm-comment', 'Seal broken on cage 1');
  await page.screenshot({ path: join(SHOTS, 'doors-lockdown-confirm-manager.png') });
  await page.click('dialog.confirm-dialog button.confirm-ok');
  await page.waitForSelector(`${card} .site-state[data-locked-down="1"]`, { timeout: 15000 });
  assert.deepEqual(status().lockdown, ['bonded-cage']);
  await toastSays(page, 'Zone bonded-cage locked down');
  const locked = events().filter((e) => e.kind === 'site.lockdown');
  assert.equal(locked.at(-1).detail.comment, 'Seal broken on cage 1');
  assert.equal(locked.at(-1).detail.operator, 'user:manager1');
  assert.equal(await page.locator(lock).count(), 0, 'no second lockdown of a locked-down zone');
  mustCtl(stack, ['site', 'release', '--zone', 'bonded-cage', '--comment', 'seal replaced']);
  assert.deepEqual(errors, []);
  await context.close();
});

// Door events reload the board while an earlier reload may still be
// waiting for its answer: an answer that comes back late must not draw the
// door as it was. The first /api/doors answer after the route is set is
// held (it says what the door was then) and let go only after a newer load
// has drawn the door's mode as it is now.
test('a late answer to an earlier reload does not put a door\'s old mode back on the board', async () => {
  const { page, context, errors } = await doorsAs('manager1');
  const card = '.door[data-door="cage-1"]';
  mustCtl(stack, ['door', 'mode', 'cage-1', 'locked']);
  await page.waitForSelector(`${card}[data-mode="locked"]`, { timeout: 15000 });

  let release;
  const intercepted = new Promise((resolve) => {
    let first = true;
    page.route('**/api/doors', async (route) => {
      if (!first) return route.continue();
      first = false;
      const response = await route.fetch(); // the door as it is now: card_and_pin or older
      resolve();
      await new Promise((r) => { release = r; });
      await route.fulfill({ response });
    });
  });
  mustCtl(stack, ['door', 'mode', 'cage-1', 'card_and_pin']);
  await intercepted;
  mustCtl(stack, ['door', 'mode', 'cage-1', '--clear']);
  await page.waitForSelector(`${card}[data-mode="card"]`, { timeout: 15000 });

  release();
  const seen = new Set();
  for (let i = 0; i < 20; i++) {
    seen.add(await page.$eval(card, (c) => c.dataset.mode));
    await page.waitForTimeout(100);
  }
  assert.deepEqual([...seen], ['card'], 'the board showed an older mode after the newest');
  assert.equal(door('cage-1').mode ?? 'card', 'card');
  await page.unroute('**/api/doors');
  assert.deepEqual(errors, []);
  await context.close();
});
