// Dashboard users in a real browser (Debian's chromium through
// playwright-core), each step checked by signing in through the API: the
// admin adds a user with a generated password shown once and one with a
// typed password (typed twice), disables a user (red, confirmed; their
// session ends), enables them, and resets a password (generated, shown
// once); a guard changes their own password (current + new twice) and
// signs in with it. The API refuses bad input and the wrong role, and
// nothing changes. Screenshots go to BUILD_DIR/e2e-shots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, clickRowAction, answerConfirm, toastSays, failOnConsoleErrors,
} from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: false });
  stack.addUser('admin1', 'admin');
  stack.addUser('guard1', 'guard');
  stack.addUser('manager1', 'manager');
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const userList = () => JSON.parse(mustCtl(stack, ['user', 'list', '--json']));
const canSignIn = async (name, password) => (await login(stack, name, password)).res.status === 200;

async function signIn(user, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // A wrong current password is refused on purpose (chromium logs every 4xx).
  failOnConsoleErrors(context, { refusals: [/400 .*\/api\/me\/password/] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', password ?? stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  return { page, context, errors };
}

test('the API refuses bad user input and the wrong role, and changes nothing', async () => {
  const admin = await login(stack, 'admin1');
  const guard = await login(stack, 'guard1');
  const mgr = await login(stack, 'manager1');
  const before = userList();
  let r = await api(stack, admin, 'POST', '/api/users', { name: 'x1', role: 'guard', generate: true, password: 'abcdefghijklmnop' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /not both/);
  r = await api(stack, admin, 'POST', '/api/users', { name: 'x1', role: 'guard', generate: 'yes' });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/users', { name: 'x1', role: 'guard', password: 'short' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /at least 12/);
  r = await api(stack, admin, 'POST', '/api/users', '{"name":');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/users/disable', '');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/users/disable', { name: 'nobody-here' });
  assert.equal(r.status, 404, r.text);
  r = await api(stack, admin, 'POST', '/api/users/passwd', { name: 'guard1', password: 'x'.repeat(5000) });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/users', { name: 'x1', role: 'admin', generate: true });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, mgr, 'POST', '/api/users/disable', { name: 'guard1' });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, mgr, 'POST', '/api/users/passwd', { name: 'guard1', generate: true });
  assert.equal(r.status, 403, r.text);
  // Own password: the current one must be right, the new one valid and different.
  r = await api(stack, guard, 'POST', '/api/me/password', { current: 'not-my-password-at-all', password: 'a-new-password-123' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /current password is not right/);
  r = await api(stack, guard, 'POST', '/api/me/password', { current: stack.users.guard1, password: 'short' });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/me/password', { current: stack.users.guard1, password: stack.users.guard1 });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /differ/);
  r = await api(stack, guard, 'POST', '/api/me/password', { password: 'a-new-password-123' });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, null, 'POST', '/api/me/password', { current: 'x', password: 'a-new-password-123' });
  assert.equal(r.status, 401, r.text);
  assert.deepEqual(userList(), before);
  assert.ok(await canSignIn('guard1'), 'the guard still signs in with the old password');
});

test('the admin adds users (generated, shown once; typed twice), disables (sessions end), enables and resets', async () => {
  const { page, context, errors } = await signIn('admin1');
  await page.click('#tabs button[data-tab=users]');
  await page.waitForSelector('#users tr[data-user="guard1"]');

  // Generated: shown once, and it works.
  await page.fill('#user-add input[name=name]', 'guard2');
  await page.selectOption('#user-add select[name=role]', 'guard');
  await page.click('#user-add button[type=submit]');
  await page.waitForSelector('#user-generated:not([hidden]) code.generated-password');
  const pw2 = await page.textContent('#user-generated code.generated-password');
  await toastSays(page, 'User guard2 added');
  assert.equal(pw2.length, 20);
  assert.match(await page.textContent('#user-generated'), /shown once/);
  await page.screenshot({ path: join(SHOTS, 'users-admin-generated.png'), fullPage: true });
  assert.ok(await canSignIn('guard2', pw2));
  await page.waitForSelector('#users tr[data-user="guard2"]');

  // Typed: twice, and the two must match.
  await page.fill('#user-add input[name=name]', 'auditor2');
  await page.selectOption('#user-add select[name=role]', 'auditor');
  await page.uncheck('#user-add input[name=generate]');
  await page.fill('#user-add input[name=pw1]', 'typed-password-one');
  await page.fill('#user-add input[name=pw2]', 'typed-password-two');
  await page.click('#user-add button[type=submit]');
  assert.match(await page.textContent('#user-add .error'), /differ/);
  assert.equal(userList().some((u) => u.name === 'auditor2'), false);
  await page.fill('#user-add input[name=pw2]', 'typed-password-one');
  await page.click('#user-add button[type=submit]');
  await page.waitForSelector('#users tr[data-user="auditor2"]');
  assert.equal(await page.isVisible('#user-generated'), false, 'a typed password is not shown');
  assert.ok(await canSignIn('auditor2', 'typed-password-one'));

  // Disable: red, confirmed; the user's open session ends.
  const session = await login(stack, 'guard2', pw2);
  assert.equal((await api(stack, session, 'GET', '/api/doors')).status, 200);
  const row = '#users tr[data-user="guard2"]';
  assert.match(await page.getAttribute(`${row} time`, 'title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'created: UTC on hover');
  // The row's actions are behind its one Actions menu; Disable is red.
  await page.click(`${row} .row-menu-button`);
  assert.ok(await page.$eval(`${row} [role=menuitem][data-action=disable]`, (b) => b.classList.contains('danger')));
  assert.equal(await page.$(`${row} [role=menuitem][data-action=enable]`), null, 'an active user has no Enable');
  await page.keyboard.press('Escape');
  // Cancelled: nothing changes.
  await clickRowAction(page, row, 'disable');
  await answerConfirm(page, { accept: false });
  assert.equal(userList().find((u) => u.name === 'guard2').disabled, false, 'Cancel changed nothing');
  await clickRowAction(page, row, 'disable');
  await answerConfirm(page);
  await page.waitForSelector(`${row}[data-disabled="true"]`);
  await toastSays(page, 'User guard2 disabled; their sessions ended');
  assert.equal(await page.textContent(`${row} .user-state`), 'disabled');
  assert.equal(userList().find((u) => u.name === 'guard2').disabled, true);
  assert.equal((await api(stack, session, 'GET', '/api/doors')).status, 401, 'the disabled user\'s session ended');
  assert.equal(await canSignIn('guard2', pw2), false);

  // Enable.
  await clickRowAction(page, row, 'enable');
  await page.waitForSelector(`${row}[data-disabled="false"]`);
  await toastSays(page, 'User guard2 enabled');
  assert.ok(await canSignIn('guard2', pw2));

  // Reset: generated, shown once; the old password stops working.
  assert.equal(await page.isVisible(`${row} form.user-reset-form`), false, 'the reset form waits for the menu');
  await clickRowAction(page, row, 'reset');
  await page.click(`${row} button.user-reset-submit`);
  await page.waitForFunction((old) => {
    const c = document.querySelector('#user-generated code.generated-password');
    return c && c.textContent !== old;
  }, pw2);
  const pw2b = await page.textContent('#user-generated code.generated-password');
  await toastSays(page, 'Password of guard2 reset');
  assert.ok(await canSignIn('guard2', pw2b));
  assert.equal(await canSignIn('guard2', pw2), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a guard changes their own password: current, new twice; signs in again with it', async () => {
  const { page, context, errors } = await signIn('guard1');
  assert.equal(await page.isVisible('#tabs button[data-tab=users]'), false, 'a guard has no Users page');
  await page.click('#tabs button[data-tab=account]');
  const f = '#my-password';
  await page.fill(`${f} input[name=current]`, stack.users.guard1);
  await page.fill(`${f} input[name=pw1]`, 'guard-one-new-pass');
  await page.fill(`${f} input[name=pw2]`, 'guard-one-new-typo');
  await page.click(`${f} button[type=submit]`);
  assert.match(await page.textContent(`${f} .error`), /differ/);
  await page.fill(`${f} input[name=current]`, 'wrong-current-password');
  await page.fill(`${f} input[name=pw2]`, 'guard-one-new-pass');
  await page.click(`${f} button[type=submit]`);
  await page.waitForFunction(() => /not right/.test(document.querySelector('#my-password .error').textContent));
  assert.ok(await canSignIn('guard1'), 'a refused change changed nothing');
  await page.fill(`${f} input[name=current]`, stack.users.guard1);
  await page.click(`${f} button[type=submit]`);
  await page.waitForSelector('#login-view:not([hidden])');
  assert.match(await page.textContent('#login-error'), /Password changed/);
  await toastSays(page, 'Your password was changed');
  assert.equal(await canSignIn('guard1'), false);
  stack.users.guard1 = 'guard-one-new-pass';
  await page.fill('#login-user', 'guard1');
  await page.fill('#login-pass', 'guard-one-new-pass');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  const pwEvents = mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.kind === 'user.password_changed');
  assert.equal(pwEvents.at(-1).detail.operator, 'user:guard1');
  assert.deepEqual(errors, []);
  await context.close();
});
