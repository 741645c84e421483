// Alarms as a workflow in a real browser (Debian's chromium through
// playwright-core), each step checked through aeogatectl too: the banners
// are ordered by priority then age; an alarm left unacknowledged past
// [audit] alarm_ack_limit (3 s here) turns its banner urgent
// (alarm.escalated); a guard acknowledges with a comment, must give an
// outcome to close, and reads the alarm's history in its panel; an auditor
// sees the alarms and their history but no controls. The sound is on for a
// guard, and a browser that refuses audio gets a clear "Enable sound"
// prompt. The API refuses bad input to alarm history and close.
// Screenshots go to BUILD_DIR/e2e-shots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, waitFor, toastSays, failOnConsoleErrors } from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let browser;
let profile;

// gate-9 raises door.held one second after it is forced open.
const EXTRA = `
[door gate-9]
zone = yard
lock = sim
contact = sim
held_time = 1s

[audit]
alarm_ack_limit = 3s
`;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true, extraConfig: EXTRA });
  stack.addUser('guard1', 'guard');
  stack.addUser('auditor1', 'auditor');
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

// Desktop browsers refuse audio until the page had a user gesture (their
// autoplay rule: an AudioContext starts "suspended" and resume() waits for
// a gesture); headless chromium lets every page play. This init script
// gives the real AudioContext that rule back: a trusted click or key press
// in the page is the gesture, so the prompt is tested as a guard meets it.
const AUTOPLAY_RULE = `(() => {
  let gesture = false;
  for (const t of ['pointerdown', 'mousedown', 'keydown', 'touchstart']) {
    window.addEventListener(t, (e) => { if (e.isTrusted) gesture = true; }, true);
  }
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      this.blocked = !gesture;
      if (this.blocked) super.suspend();
    }
    get state() { return this.blocked ? 'suspended' : super.state; }
    resume() {
      if (this.blocked && !gesture) return new Promise(() => {});
      this.blocked = false;
      return super.resume();
    }
  };
})();`;

const alarms = () => JSON.parse(mustCtl(stack, ['alarm', 'list', '--json']));
const events = () => mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function signIn(user) {
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
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  return { page, context, errors };
}

// The alarms of each kind at each door, as raised here.
function alarmId(kind, door) {
  const a = alarms().find((x) => x.kind === kind && x.door === door);
  assert.ok(a, `no ${kind} alarm at ${door}`);
  return a.id;
}

test('alarm history and close refuse bad input with a clear message and change nothing', async () => {
  mustCtl(stack, ['sim', 'door', 'dock-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'dock-1', 'close']);
  await waitFor('the dock-1 alarm', () => alarms().some((a) => a.door === 'dock-1'));
  const id = alarmId('door.forced', 'dock-1');
  const guard = await login(stack, 'guard1');
  const auditor = await login(stack, 'auditor1');
  let r = await api(stack, guard, 'GET', '/api/alarms/history');
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /id/);
  r = await api(stack, guard, 'GET', '/api/alarms/history?id=abc');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'GET', '/api/alarms/history?id=0');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'GET', '/api/alarms/history?id=999999');
  assert.equal(r.status, 404, r.text);
  assert.match(r.body.error.message, /no alarm 999999/);
  r = await api(stack, auditor, 'GET', `/api/alarms/history?id=${id}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.history[0].kind, 'door.forced');
  r = await api(stack, null, 'GET', `/api/alarms/history?id=${id}`);
  assert.equal(r.status, 401, r.text);

  mustCtl(stack, ['alarm', 'ack', String(id), '--comment', 'looked']);
  const before = events().length;
  r = await api(stack, guard, 'POST', '/api/alarms/close', { id, outcome: '' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /outcome/);
  r = await api(stack, guard, 'POST', '/api/alarms/close', { id, outcome: 'x'.repeat(5000) });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/alarms/close', { id, outcome: 42 });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/alarms/close', '{"id":');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/alarms/close', '');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, auditor, 'POST', '/api/alarms/close', { id, outcome: 'auditor tries' });
  assert.equal(r.status, 403, r.text);
  assert.equal(alarms().find((a) => a.id === id).state, 'acknowledged');
  assert.equal(events().length, before, 'a refused close recorded nothing');

  r = await api(stack, guard, 'POST', '/api/alarms/close', { id, outcome: 'wind blew the door' });
  assert.equal(r.status, 200, r.text);
  const closed = events().filter((e) => e.kind === 'alarm.closed');
  assert.equal(closed.at(-1).detail.outcome, 'wind blew the door');
});

test('a guard sees alarms by priority, the escalated banner, acknowledges, closes with an outcome and reads the history', async () => {
  // gate-9 forced (priority 2), then held (4) a second later; then cage-1
  // forced (2), newer than the held one but above it.
  mustCtl(stack, ['sim', 'door', 'gate-9', 'open']);
  await waitFor('door.held at gate-9', () => alarms().some((a) => a.kind === 'door.held' && a.door === 'gate-9'), 30000);
  mustCtl(stack, ['sim', 'door', 'gate-9', 'close']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  const forcedGate = alarmId('door.forced', 'gate-9');
  const held = alarmId('door.held', 'gate-9');
  const forcedCage = alarmId('door.forced', 'cage-1');

  const { page, errors } = await signIn('guard1');
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"]`, { timeout: 15000 });
  const order = await page.$$eval('#alarms > .alarm-banner', (bs) => bs.map((b) => Number(b.dataset.alarmId)));
  assert.deepEqual(order, [forcedGate, forcedCage, held], 'priority first (forced before held), then the oldest');

  // Past the 3 s limit each escalates: the banner turns urgent.
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"][data-escalated="true"]`, { timeout: 30000 });
  const banner = page.locator(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"]`);
  assert.match(await banner.getAttribute('class'), /alarm-escalated/);
  assert.match(await banner.textContent(), /ESCALATED/);
  const esc = events().filter((e) => e.kind === 'alarm.escalated' && e.detail.alarm === forcedCage);
  assert.equal(esc.length, 1, 'one alarm.escalated for the alarm');
  await page.screenshot({ path: join(SHOTS, 'alarms-escalated-guard.png'), fullPage: true });

  // Acknowledge with a comment.
  await banner.locator('input.ack-comment').fill('checked, door closed');
  await banner.locator('button.ack').click();
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"][data-state="acknowledged"]`, { timeout: 15000 });
  assert.equal(alarms().find((a) => a.id === forcedCage).comment, 'checked, door closed');
  assert.doesNotMatch(await banner.textContent(), /ESCALATED/, 'an acknowledged alarm is no longer urgent');
  assert.match(await banner.locator('.alarm-ack time').getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'acknowledged at: UTC on hover');

  // Its history, in the panel.
  await banner.locator('details.alarm-history summary').click();
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"] .alarm-history-list li[data-kind="alarm.acknowledged"]`, { timeout: 15000 });
  const steps = await banner.locator('.alarm-history-list li').evaluateAll((ls) => ls.map((l) => l.dataset.kind));
  assert.deepEqual(steps, ['door.forced', 'alarm.escalated', 'alarm.acknowledged']);
  for (const t of await banner.locator('.alarm-history-list li time').evaluateAll((ts) => ts.map((x) => x.title))) {
    assert.match(t, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'each step: UTC on hover');
  }
  const hist = await banner.locator('.alarm-history-list').textContent();
  assert.match(hist, /Acknowledged by guard1: “checked, door closed”/);
  assert.match(hist, /Escalated: not acknowledged within 3 s/);
  assert.doesNotMatch(hist, /user:/);

  // Closing needs an outcome: an empty one is refused in the page.
  await banner.locator('button.close-alarm').click();
  assert.equal(alarms().find((a) => a.id === forcedCage).state, 'acknowledged');
  await banner.locator('input.close-outcome').fill('   ');
  await banner.locator('button.close-alarm').click();
  await page.waitForFunction((id) => document.querySelector(`#alarms > .alarm-banner[data-alarm-id="${id}"] .alarm-error`).textContent.length > 0, forcedCage);
  assert.match(await banner.locator('.alarm-error').textContent(), /outcome is required/);
  assert.equal(alarms().find((a) => a.id === forcedCage).state, 'acknowledged');
  await banner.locator('input.close-outcome').fill('false alarm: cleaner');
  await banner.locator('button.close-alarm').click();
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${forcedCage}"]`, { state: 'detached', timeout: 15000 });
  const closed = events().filter((e) => e.kind === 'alarm.closed' && e.detail.alarm === forcedCage);
  assert.equal(closed.length, 1);
  assert.equal(closed[0].detail.outcome, 'false alarm: cleaner');
  await toastSays(page, 'Alarm closed: “false alarm: cleaner”');
  assert.equal(closed[0].detail.operator, 'user:guard1');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('an auditor sees the alarms and their history but no acknowledge or close', async () => {
  const { page, errors } = await signIn('auditor1');
  const held = alarmId('door.held', 'gate-9');
  const banner = page.locator(`#alarms > .alarm-banner[data-alarm-id="${held}"]`);
  await banner.waitFor({ timeout: 15000 });
  assert.equal(await banner.locator('input.ack-comment').count(), 0);
  assert.equal(await banner.locator('button.close-alarm').count(), 0);
  await banner.locator('details.alarm-history summary').click();
  await page.waitForSelector(`#alarms > .alarm-banner[data-alarm-id="${held}"] .alarm-history-list li[data-kind="door.held"]`, { timeout: 15000 });
  // Sound is off by default for an auditor: no prompt.
  assert.equal(await page.isVisible('#sound-enable'), false);
  await page.screenshot({ path: join(SHOTS, 'alarms-auditor.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('sound is on for a guard; a browser that refuses audio gets an "Enable sound" prompt', async () => {
  const { page, context, errors } = await signIn('guard1');
  assert.match(await page.textContent('#sound'), /sound: on/);
  // Signed in by typing: that was the gesture, so no prompt.
  assert.equal(await page.isVisible('#sound-enable'), false);
  await context.close();

  // A console opened from its session (a restarted browser): no gesture yet,
  // so audio is refused and the guard is asked for a click.
  const s = await login(stack, 'guard1');
  const [name, ...value] = s.cookie.split('=');
  const ctx2 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  failOnConsoleErrors(ctx2);
  await ctx2.addCookies([{ name, value: value.join('='), url: stack.base }]);
  await ctx2.addInitScript(AUTOPLAY_RULE);
  const page2 = await ctx2.newPage();
  const errors2 = [];
  page2.on('pageerror', (e) => errors2.push(String(e)));
  await page2.goto(stack.base + '/');
  await page2.waitForSelector('#app-view:not([hidden])', { timeout: 15000 });
  await page2.waitForSelector('#sound-enable:not([hidden])', { timeout: 15000 });
  assert.match(await page2.textContent('#sound-enable'), /Enable sound/);
  await page2.screenshot({ path: join(SHOTS, 'alarms-enable-sound-guard.png') });
  await page2.click('#sound-enable');
  await page2.waitForSelector('#sound-enable[hidden]', { state: 'attached', timeout: 15000 });
  // Turned off, the choice is kept: no prompt when the console opens again.
  await page2.click('#sound');
  assert.match(await page2.textContent('#sound'), /sound: off/);
  const page3 = await ctx2.newPage();
  page3.on('pageerror', (e) => errors2.push(String(e)));
  await page3.goto(stack.base + '/');
  await page3.waitForSelector('#app-view:not([hidden])', { timeout: 15000 });
  await page3.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  assert.match(await page3.textContent('#sound'), /sound: off/);
  assert.equal(await page3.isVisible('#sound-enable'), false);
  assert.deepEqual(errors, []);
  assert.deepEqual(errors2, []);
  await ctx2.close();
});
