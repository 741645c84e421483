// The dashboard's "Visitors" tab in a real browser (Debian's chromium
// through playwright-core): a manager registers a visitor with the form (a
// document number refused with the controller's words, nothing stored),
// the visitor appears in the register as aeogatectl visitor list has it,
// their badge opens the dock and the row turns "on site" live, "End visit"
// returns the badge (the next read is credential_revoked); a guard sees
// the register but neither the form nor the buttons; on the Levels & zones
// tab a manager sets a zone's two-person rule and escort (a bad window
// refused in the controller's words).
// Screenshots go to BUILD_DIR/e2e-screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, mustCtl, BUILD_DIR, launchChromium, closeChromium, failOnConsoleErrors, pick } from './lib.mjs';

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
  mustCtl(stack, ['person', 'add', 'E1001', '--name', 'Hana Host', '--level', 'dock-all']);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The refusals these tests provoke on purpose; any other console error fails.
  failOnConsoleErrors(context, { refusals: [/400 .*\/api\/(visitors|zones\/set)\)/] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  await page.click('#tabs button[data-tab=visitors]');
  await page.waitForSelector('#visitors[data-loaded]', { state: 'attached', timeout: 15000 });
  return { page, context, errors };
}

const register = () => JSON.parse(mustCtl(stack, ['visitor', 'list', '--json']));
// A visit ending next year, as a site-time datetime-local value.
const UNTIL = `${new Date().getUTCFullYear() + 1}-06-30T17:00`;

async function fillVisitor(page, document) {
  const f = '#visitor-add';
  await page.fill(`${f} input[name=id]`, 'V1');
  await page.fill(`${f} input[name=name]`, 'Vera Visitor');
  await page.fill(`${f} input[name=company]`, 'Acme Freight');
  await page.fill(`${f} input[name=host]`, 'E1001');
  await page.fill(`${f} input[name=document]`, document);
  await page.fill(`${f} input[name=vehicle]`, 'AB-123-CD');
  await page.fill(`${f} input[name=until]`, UNTIL);
  await page.fill(`${f} input[name=levels]`, 'dock-all');
  await page.fill(`${f} input[name=credential]`, 'uid:0a0b0c0d');
}

test('a manager registers a visitor, sees them on site, and ends the visit', async () => {
  const { page, context, errors } = await signIn('manager1');
  assert.equal(await page.isVisible('#visitor-add'), true);
  assert.equal(await page.isVisible('#visitors-empty'), true);

  // A document number is refused, in the controller's words; nothing is stored.
  await fillVisitor(page, 'passport 12345678');
  await page.click('#visitor-add button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#visitor-add .error').textContent.length > 0);
  assert.match(await page.textContent('#visitor-add .error'), /never its number/);
  assert.deepEqual(register(), []);

  await page.fill('#visitor-add input[name=document]', 'passport');
  await page.click('#visitor-add button[type=submit]');
  const row = '#visitors tr[data-visitor="V1"]';
  await page.waitForSelector(row, { timeout: 15000 });
  const v = register()[0];
  assert.equal(v.company, 'Acme Freight');
  assert.equal(v.host, 'E1001');
  assert.equal(v.document, 'passport');
  assert.equal(v.vehicle, 'AB-123-CD');
  assert.equal(v.ended, null);
  const cells = await page.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(cells.slice(0, 6), ['V1', 'Vera Visitor', 'Acme Freight', 'E1001', 'passport', 'AB-123-CD']);
  assert.equal(await page.textContent(`${row} .visit-state`), 'expected');

  // The visitor's badge opens the dock: the row turns "on site" from the live stream.
  assert.equal(stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0a0b0c0d']).status, 0);
  await page.waitForSelector(`${row}[data-state="on site"]`, { timeout: 15000 });
  await page.check('#visitors-on-site');
  assert.equal(await page.isVisible(row), true);
  await page.screenshot({ path: join(SHOTS, 'visitors-on-site.png'), fullPage: true });
  await page.uncheck('#visitors-on-site');

  // End visit: the badge is returned; the next read is credential_revoked.
  await page.click(`${row} button[data-action=end]`);
  await page.waitForSelector(`${row}[data-state="ended"]`, { timeout: 15000 });
  assert.equal(await page.isVisible(`${row} button[data-action=end]`), false);
  assert.notEqual(register()[0].ended, null);
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '0a0b0c0d']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /credential_revoked/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a guard sees the register but cannot change it', async () => {
  const { page, context, errors } = await signIn('guard1');
  await page.waitForSelector('#visitors tr[data-visitor="V1"]', { timeout: 15000 });
  assert.equal(await page.isVisible('#visitor-add'), false);
  assert.equal(await page.$$eval('#visitors button', (b) => b.length), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a manager sets a zone\'s two-person rule and escort on the Levels & zones tab', async () => {
  const { page, context, errors } = await signIn('manager1');
  await page.click('#tabs button[data-tab=levels]');
  const row = '#zones tr[data-zone="bonded-cage"]';
  await page.waitForSelector(`${row} td.two-person[data-two-person="off"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${row} td.two-person .current`), 'off (10 s)');
  assert.equal(await page.textContent(`${row} td.escort .current`), 'none (30 s)');

  await pick(page, `${row} select.set-two-person`, 'on');
  await page.fill(`${row} input.set-two-person-window`, '20');
  await page.click(`${row} button[data-action=set-two-person]`);
  await page.waitForSelector(`${row} td.two-person[data-two-person="on"]`, { timeout: 15000 });
  assert.equal(await page.textContent(`${row} td.two-person .current`), 'on (20 s)');

  await pick(page, `${row} select.set-escort`, 'required');
  await page.click(`${row} button[data-action=set-escort]`);
  await page.waitForSelector(`${row} td.escort[data-escort="required"]`, { timeout: 15000 });

  const zone = JSON.parse(mustCtl(stack, ['zone', 'list', '--json'])).find((z) => z.name === 'bonded-cage');
  assert.equal(zone.two_person, 'on');
  assert.equal(zone.two_person_window, 20);
  assert.equal(zone.escort, 'required');
  assert.equal(zone.escort_window, 30);

  // A bad window is refused in the controller's words and changes nothing.
  await page.fill(`${row} input.set-escort-window`, '100000');
  await page.click(`${row} button[data-action=set-escort]`);
  await page.waitForFunction(() => document.querySelector('#zones-error').textContent.length > 0);
  assert.match(await page.textContent('#zones-error'), /escort_window/);
  const after = JSON.parse(mustCtl(stack, ['zone', 'list', '--json'])).find((z) => z.name === 'bonded-cage');
  assert.equal(after.escort_window, 30);
  await page.screenshot({ path: join(SHOTS, 'zones-two-person-escort.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
