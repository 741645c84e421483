// People by name beside their id (issue 17, part 3): the controller adds
// person_name to events (list and stream), badges and alarms when it reads
// them, never to the event itself (aeogatectl's events --json stays the
// hashed objects); the dashboard's live feed, its first page of history and
// the badge table show "Name (ID)", and the feed's person filter takes a name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, login, api, wsOpen, BUILD_DIR, launchChromium, closeChromium, clickRowAction, failOnConsoleErrors, openDashboard,
} from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
// One chromium for the file (launchChromium points TMPDIR at its profile, removed on close).
let chrome;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('guard1', 'guard');
  stack.addUser('manager1', 'manager');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E1', '--name', 'Ann Example', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E1', '--uid', '04a1b2c3']);
  mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '04a1b2c3']);
  chrome = await launchChromium();
});

after(async () => {
  await closeChromium(chrome);
  if (stack) await stack.stop();
});

test('the API gives names beside ids; aeogatectl events --json stays the hashed event', async () => {
  const s = await login(stack, 'guard1');
  const evs = await api(stack, s, 'GET', '/api/events?since=0&limit=1000');
  assert.equal(evs.status, 200);
  const granted = evs.body.find((e) => e.kind === 'access.granted');
  assert.equal(granted.person, 'E1');
  assert.equal(granted.person_name, 'Ann Example');
  // Events without a person carry no name.
  assert.ok(evs.body.filter((e) => !e.person).every((e) => !('person_name' in e)));
  // The CLI's objects are the hashed ones: no person_name.
  const cli = mustCtl(stack, ['events', '--json']).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(cli.some((e) => e.kind === 'access.granted'));
  assert.ok(cli.every((e) => !('person_name' in e)));

  const m = await login(stack, 'manager1');
  const badges = await api(stack, m, 'GET', '/api/badges');
  assert.equal(badges.status, 200);
  assert.equal(badges.body.find((b) => b.id === 'uid:04a1b2c3').person_name, 'Ann Example');

});

test('the stream carries the name beside the event, read when it is sent', async () => {
  const s = await login(stack, 'guard1');
  const ws = await wsOpen(stack, s.cookie);
  assert.equal(ws.status, 101);
  await ws.waitFor((m) => m.following);
  mustCtl(stack, ['person', 'set', 'E1', '--name', 'Ann Renamed']);
  mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '04a1b2c3']);
  const m = await ws.waitFor((x) => x.event && x.event.kind === 'access.granted', 10000);
  assert.equal(m.person_name, 'Ann Renamed');
  assert.equal(m.event.person, 'E1');
  assert.ok(!('person_name' in m.event), 'the event object is what was hashed');
  ws.close();
  mustCtl(stack, ['person', 'set', 'E1', '--name', 'Ann Example']);
});

test('the feed and the badge table show "Name (ID)"; the feed filter takes a name', async () => {
  const { browser } = chrome;
  {
    // Signed in with every console error and page error collected (lib.mjs).
    const { context, page, errors } = await openDashboard(browser, stack, 'guard1',
      { size: { width: 1440, height: 900 } });
    failOnConsoleErrors(context);
    await page.click('#tabs button[data-tab=feed]'); // the Overview is the landing page
    // From the first page of history (events.list with names).
    await page.waitForSelector('#feed li[data-kind="access.granted"]');
    assert.match(await page.textContent('#feed li[data-kind="access.granted"]'), /Ann (Example|Renamed) \(E1\)/);
    // Live, from the stream.
    const before = await page.$$eval('#feed li', (l) => l.length);
    mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '04a1b2c3']);
    await page.waitForFunction((n) => document.querySelectorAll('#feed li').length > n, before);
    assert.match(await page.textContent('#feed li[data-kind="access.granted"]'), /Ann Example \(E1\)/);
    // The person filter matches the name, not only the id.
    await page.fill('#f-person', 'ann ex');
    await page.waitForFunction(() => [...document.querySelectorAll('#feed li')].length > 0
      && [...document.querySelectorAll('#feed li')].every((li) => li.textContent.includes('(E1)')));
    await page.fill('#f-person', 'nobody-by-that-name');
    await page.waitForFunction(() => document.querySelectorAll('#feed li').length === 0);
    await page.screenshot({ path: join(SHOTS, 'names-feed-guard.png') });
    await context.close();

    const mctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    failOnConsoleErrors(mctx);
    const mp = await mctx.newPage();
    mp.on('pageerror', (e) => errors.push(String(e)));
    await mp.goto(stack.base + '/');
    await mp.fill('#login-user', 'manager1');
    await mp.fill('#login-pass', stack.users.manager1);
    await mp.click('#login-form button[type=submit]');
    await mp.waitForSelector('#app-view:not([hidden])');
    await mp.click('#tabs button[data-tab=people]');
    await mp.waitForSelector('#badges tr[data-badge="uid:04a1b2c3"]');
    assert.match(await mp.textContent('#badges tr[data-badge="uid:04a1b2c3"]'), /Ann Example \(E1\)/);
    await mp.screenshot({ path: join(SHOTS, 'names-badges-manager.png') });
    await mctx.close();
    assert.deepEqual(errors, []);
  }
});

test('red flags: expired, not yet valid, suspended and vetting overdue, in words', async () => {
  mustCtl(stack, ['person', 'add', 'F1', '--name', 'Sus Pended']);
  mustCtl(stack, ['person', 'suspend', 'F1']);
  mustCtl(stack, ['person', 'add', 'F2', '--name', 'Ex Pired', '--valid-until', '2001-01-01']);
  mustCtl(stack, ['person', 'add', 'F3', '--name', 'Not Yet', '--valid-from', '2099-01-01']);
  mustCtl(stack, ['person', 'add', 'F4', '--name', 'Over Due']);
  mustCtl(stack, ['person', 'vet', 'F4', '--status', 'cleared', '--checked', '2020-01-01',
    '--recheck-due', '2021-01-01']);
  mustCtl(stack, ['person', 'add', 'F5', '--name', 'Fine Person']);
  mustCtl(stack, ['badge', 'issue', 'F5', '--uid', '0a0b0c01']);
  mustCtl(stack, ['badge', 'suspend', 'uid:0a0b0c01']);

  const m = await login(stack, 'manager1');
  const persons = (await api(stack, m, 'GET', '/api/persons')).body;
  const flags = Object.fromEntries(persons.map((p) => [p.id, p.flags]));
  assert.deepEqual(flags.F1, ['person_inactive']);
  assert.deepEqual(flags.F2, ['expired']);
  assert.deepEqual(flags.F3, ['not_yet_valid']);
  assert.deepEqual(flags.F4, ['vetting_overdue']);
  assert.deepEqual(flags.F5, []);
  const badges = (await api(stack, m, 'GET', '/api/badges')).body;
  assert.deepEqual(badges.find((b) => b.id === 'uid:0a0b0c01').flags, ['credential_suspended']);
  assert.deepEqual(badges.find((b) => b.id === 'uid:04a1b2c3').flags, []);

  const { browser } = chrome;
  {
    // Signed in with every console error and page error collected (lib.mjs).
    const { context, page, errors } = await openDashboard(browser, stack, 'manager1',
      { size: { width: 1440, height: 900 } });
    failOnConsoleErrors(context);
    await page.click('#tabs button[data-tab=people]');
    await page.waitForSelector('#persons tr[data-person="F4"]');
    const words = {
      F1: 'person suspended', F2: 'validity expired', F3: 'not yet valid', F4: 'vetting re-check overdue',
    };
    for (const [id, w] of Object.entries(words)) {
      const row = `#persons tr[data-person="${id}"]`;
      assert.ok((await page.textContent(`${row} .flag`)).includes(w), `${id}: ${w}`);
      assert.equal(await page.getAttribute(row, 'class'), 'flagged');
      // Red, and a word beside it (never colour alone).
      const color = await page.$eval(`${row} .flag`, (e) => getComputedStyle(e).color);
      assert.equal(color, 'rgb(180, 35, 24)');
    }
    assert.equal(await page.$(`#persons tr[data-person="F5"] .flag`), null);
    assert.match(await page.textContent('#badges tr[data-badge="uid:0a0b0c01"] .flag'), /badge suspended/);
    assert.equal(await page.$('#badges tr[data-badge="uid:04a1b2c3"] .flag'), null);
    // The person panel says it too.
    await clickRowAction(page, '#persons tr[data-person="F3"]', 'edit');
    await page.waitForSelector('#person-edit:not([hidden]) #person-edit-id .flag');
    assert.match(await page.textContent('#person-edit-id'), /F3.*not yet valid/);
    await clickRowAction(page, '#persons tr[data-person="F5"]', 'edit');
    await page.waitForSelector('#person-edit[data-person="F5"] #person-edit-badges tr[data-badge="uid:0a0b0c01"] .flag');
    await page.screenshot({ path: join(SHOTS, 'flags-people-manager.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  }
});
