// The people page's "Import people (CSV)" panel in a real browser (Debian's
// chromium through playwright-core): a manager uploads a file with a bad row
// (its errors shown as line / column / reason, nothing committed), the fixed
// file as a dry run (counts shown, nothing committed), then for real (the
// persons appear in the list), and "Export people (CSV)" gives the same rows
// back, byte for byte what aeogatectl person export writes.
// Screenshots go to BUILD_DIR/e2e-screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, mustCtl, BUILD_DIR, launchChromium, closeChromium, failOnConsoleErrors } from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-screenshots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('manager1', 'manager');
  stack.addUser('auditor1', 'auditor');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  // The refusals these tests provoke on purpose; any other console error fails.
  failOnConsoleErrors(context, { refusals: [/422 .*\/api\/persons\/import/] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', stack.users[user]);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  await page.click('#tabs button[data-tab=people]');
  return { page, context, errors };
}

async function upload(page, name, text, { dryRun }) {
  await page.setInputFiles('#people-import input[name=file]',
    { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.setChecked('#people-import input[name=dry_run]', dryRun);
  await page.click('#people-import button[type=submit]');
  await page.waitForSelector('#people-import-status[data-committed]', { timeout: 15000 });
  await page.waitForSelector('#people-import:not([aria-busy])', { timeout: 15000 });
  return page.textContent('#people-import-status');
}

const personIds = () => JSON.parse(mustCtl(stack, ['person', 'list', '--json'])).map((p) => p.id);
const HEADER = 'id,name,valid_from,valid_until,levels,credentials,vetting_status,vetting_checked,vetting_recheck_due,vetting_reference';
const GOOD = [
  'P1,Petra Import,2026-01-01,2030-12-31,dock-all,uid:0a0b0c01,cleared,2026-01-05,2099-01-05,CASE-1',
  'P2,Piet Import,,,dock-all,,,,,',
];

test('a manager imports people from a CSV file and exports them back', async () => {
  const { page, context, errors } = await signIn('manager1');
  assert.equal(await page.isVisible('#people-import'), true);
  assert.equal(await page.isChecked('#people-import input[name=dry_run]'), true, 'dry run is the default');

  // A bad row: its error in the table, nothing committed, even with the dry run off.
  const bad = [HEADER, GOOD[0], 'P2,Piet Import,,,nosuchlevel,,,,,', ''].join('\n');
  let status = await upload(page, 'people-bad.csv', bad, { dryRun: false });
  assert.match(status, /1 of 2 rows are bad; nothing committed/);
  assert.equal(await page.getAttribute('#people-import-status', 'data-committed'), '0');
  await page.waitForSelector('#people-import-errors:not([hidden]) tr[data-line="3"]');
  const cells = await page.$$eval('#people-import-errors tbody tr[data-line="3"] td', (tds) => tds.map((t) => t.textContent));
  assert.equal(cells[0], '3');
  assert.equal(cells[1], 'levels');
  assert.match(cells[2], /nosuchlevel/);
  await page.screenshot({ path: join(SHOTS, 'import-bad-row.png') });
  assert.equal(await page.$('#persons tr[data-person="P1"]'), null, 'the person list is unchanged');
  assert.ok(!personIds().includes('P1'));

  // The fixed file as a dry run: the counts, nothing committed.
  const good = [HEADER, ...GOOD, ''].join('\n');
  status = await upload(page, 'people.csv', good, { dryRun: true });
  assert.match(status, /added 2, updated 0, unchanged 0, badges 1 \(dry run: nothing committed\)/);
  assert.equal(await page.isHidden('#people-import-errors'), true);
  assert.equal(await page.$('#persons tr[data-person="P1"]'), null);
  assert.ok(!personIds().includes('P1'));

  // For real: the persons appear in the list.
  status = await upload(page, 'people.csv', good, { dryRun: false });
  assert.match(status, /added 2, updated 0, unchanged 0, badges 1: committed/);
  assert.equal(await page.getAttribute('#people-import-status', 'data-committed'), '1');
  await page.waitForSelector('#persons tr[data-person="P1"]', { timeout: 15000 });
  await page.waitForSelector('#persons tr[data-person="P2"]', { timeout: 15000 });
  await page.waitForSelector('#badges tr[data-badge="uid:0a0b0c01"]', { timeout: 15000 });
  await page.screenshot({ path: join(SHOTS, 'import-committed.png') });

  // Export: the same rows back, the bytes aeogatectl person export writes.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#people-export')]);
  assert.match(download.suggestedFilename(), /^aeogate-people-.*\.csv$/);
  const exported = readFileSync(await download.path(), 'utf8');
  mustCtl(stack, ['person', 'export', join(stack.dir, 'people-ctl.csv')]);
  assert.equal(exported, readFileSync(join(stack.dir, 'people-ctl.csv'), 'utf8'));
  assert.equal(exported, [HEADER, ...GOOD, ''].join('\r\n'));

  // And it round-trips: importing the export changes nothing.
  status = await upload(page, 'people-export.csv', exported, { dryRun: false });
  assert.match(status, /added 0, updated 0, unchanged 2, badges 0/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an auditor sees neither the import panel nor the export', async () => {
  const { page, context } = await signIn('auditor1');
  assert.equal(await page.isHidden('#people-import'), true);
  await context.close();
});
