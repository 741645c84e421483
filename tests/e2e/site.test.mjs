// Lockdown, threat level, responder and clearance from the dashboard, in a
// real browser (Debian's chromium through playwright-core), each checked
// through aeogatectl too: a manager locks down a zone with a comment from
// the Doors tab, a guard sees the red banner (and none of the controls),
// the manager releases it and the banner goes, sets threat level 2, and on
// the person panel makes a person a responder with clearance 3. The API
// refuses bad input (an empty comment, threat level 6, a guard) with the
// controller's words and changes nothing.
// Screenshots go to BUILD_DIR/e2e-screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, clickRowAction, answerConfirm,
  failOnConsoleErrors,
} from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-screenshots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('manager1', 'manager');
  stack.addUser('guard1', 'guard');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E1001', '--name', 'Rita Responder', '--level', 'dock-all']);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const status = () => JSON.parse(mustCtl(stack, ['status', '--json']));
// aeogatectl events --json: one event per line.
const events = () => mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const person = (id) => JSON.parse(mustCtl(stack, ['person', 'show', id, '--json']));

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The refusals these tests provoke on purpose; any other console error fails.
  failOnConsoleErrors(context, { refusals: [/400 .*\/api\/site\/lockdown/] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  await page.click('#tabs button[data-tab=doors]');
  return { page, context, errors };
}

test('the API refuses an empty comment, threat level 6 and a guard, and changes nothing', async () => {
  const mgr = await login(stack, 'manager1');
  const guard = await login(stack, 'guard1');
  let r = await api(stack, mgr, 'POST', '/api/site/lockdown', { comment: '', zones: ['dock'] });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /comment/);
  r = await api(stack, mgr, 'POST', '/api/site/lockdown', { zones: ['dock'] });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, mgr, 'POST', '/api/site/lockdown', { comment: 'x', zones: ['nowhere'] });
  assert.equal(r.status, 404, r.text);
  r = await api(stack, mgr, 'POST', '/api/site/threat', { level: 6, comment: 'too high' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /level/);
  r = await api(stack, mgr, 'POST', '/api/site/threat', { level: 2, comment: '' });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, mgr, 'POST', '/api/site/release', { comment: 'nothing held' });
  assert.equal(r.status, 409, r.text);
  r = await api(stack, guard, 'POST', '/api/site/lockdown', { comment: 'guard tries' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, guard, 'POST', '/api/site/threat', { level: 1, comment: 'guard tries' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, guard, 'POST', '/api/persons/E1001/update', { clearance: 5 });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, mgr, 'POST', '/api/persons/E1001/update', { clearance: 6 });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, mgr, 'POST', '/api/persons/E1001/update', { responder: 'yes' });
  assert.equal(r.status, 400, r.text);
  const s = status();
  assert.equal(s.lockdown, null);
  assert.equal(s.threat_level, 0);
  assert.equal(person('E1001').clearance, 0);
  assert.equal(person('E1001').responder, false);
  assert.deepEqual(events().filter((e) => e.kind.startsWith('site.')), []);
});

test('a manager locks a zone down with a comment, a guard sees the banner, the manager releases it and sets threat level 2', async () => {
  const mgr = await signIn('manager1');
  const guard = await signIn('guard1');
  assert.equal(await guard.page.isVisible('#site-controls'), false, 'a guard has no lockdown controls');
  assert.equal(await guard.page.isVisible('#lockdown'), false);
  const { page } = mgr;
  await page.waitForSelector('#site-controls:not([hidden]) #site-zones input[data-zone="dock"]', { timeout: 15000 });
  assert.match(await page.textContent('#site-state'), /no lockdown; threat level 0/);

  // Without a comment the controller refuses, in its words; nothing changes.
  await page.check('#site-zones input[data-zone="dock"]');
  await page.click('#site-lockdown');
  await answerConfirm(page);
  await page.waitForFunction(() => document.querySelector('#site-error').textContent.length > 0);
  assert.match(await page.textContent('#site-error'), /comment/);
  assert.equal(status().lockdown, null);

  await page.fill('#site-comment', 'Seal found broken on the dock');
  // A lockdown waits for its confirmation: cancelled, nothing happens.
  await page.click('#site-lockdown');
  await answerConfirm(page, { accept: false });
  assert.equal(status().lockdown, null);
  await page.click('#site-lockdown');
  await answerConfirm(page);
  await page.waitForSelector('#site-state[data-lockdown=\'["dock"]\']', { timeout: 15000 });
  assert.equal(await page.textContent('#site-error'), '');
  assert.deepEqual(status().lockdown, ['dock']);
  const locked = events().filter((e) => e.kind === 'site.lockdown');
  assert.equal(locked.length, 1);
  assert.equal(locked[0].detail.comment, 'Seal found broken on the dock');
  assert.equal(locked[0].detail.operator, 'user:manager1');

  // The guard's banner, from the live stream.
  await guard.page.waitForSelector('#lockdown:not([hidden])', { timeout: 15000 });
  const banner = await guard.page.textContent('#lockdown');
  assert.match(banner, /LOCKDOWN: zone dock/);
  assert.match(banner, /Seal found broken on the dock/);
  await guard.page.screenshot({ path: join(SHOTS, 'site-lockdown-guard.png'), fullPage: true });
  await page.screenshot({ path: join(SHOTS, 'site-lockdown-manager.png'), fullPage: true });

  // Release (the zone still ticked), with a comment.
  await page.fill('#site-comment', 'Seal replaced, customs informed');
  await page.click('#site-release');
  await page.waitForSelector('#site-state[data-lockdown=""]', { timeout: 15000 });
  assert.equal(status().lockdown, null);
  await guard.page.waitForSelector('#lockdown[hidden]', { state: 'attached', timeout: 15000 });

  // Threat level 2.
  await page.selectOption('#site-threat-level', '2');
  await page.fill('#site-comment', 'Regional alert');
  await page.click('#site-threat-set');
  await page.waitForSelector('#site-state[data-threat="2"]', { timeout: 15000 });
  assert.equal(status().threat_level, 2);
  const threat = events().filter((e) => e.kind === 'site.threat');
  assert.equal(threat.length, 1);
  assert.equal(threat[0].detail.after.threat_level, 2);
  assert.equal(threat[0].detail.comment, 'Regional alert');
  assert.deepEqual(mgr.errors, []);
  assert.deepEqual(guard.errors, []);
  await mgr.context.close();
  await guard.context.close();
});

test('a manager makes a person a responder with clearance 3 on the person panel', async () => {
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=people]');
  await clickRowAction(page, '#persons tr[data-person="E1001"]', 'edit');
  const box = '#person-site[data-person="E1001"]';
  await page.waitForSelector(`${box}:not([hidden])[data-responder="no"][data-clearance="0"]`, { timeout: 15000 });
  await page.check('#person-responder');
  await page.selectOption('#person-clearance', '3');
  await page.click('#person-site-save');
  await page.waitForSelector(`${box}[data-responder="yes"][data-clearance="3"]`, { timeout: 15000 });
  assert.equal(await page.textContent('#person-site-result'), 'Saved.');
  const p = person('E1001');
  assert.equal(p.responder, true);
  assert.equal(p.clearance, 3);
  const upd = events().filter((e) => e.kind === 'person.updated' && e.person === 'E1001');
  assert.equal(upd.length, 1);
  assert.equal(upd[0].detail.after.clearance, 3);
  assert.deepEqual(errors, []);
  await context.close();

  // A guard never sees the panel.
  const g = await signIn('guard1');
  assert.equal(await g.page.isVisible('#person-site'), false);
  await g.context.close();
});
