// The Overview, in a real browser (Debian's chromium through playwright-core):
// every role lands on it after sign-in and sees the doors by state with
// counts, the open alarms with their age, the people on site, the readers
// offline and the storage and clock health; a door forced through the
// simulator moves the counts live (no reload), and closing it moves them back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, mustCtl, BUILD_DIR, launchChromium, closeChromium, signInPage } from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  for (const role of ['guard', 'manager', 'auditor', 'admin']) stack.addUser(`${role}1`, role);
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E1001', '--name', 'Dora Dock', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E1001', '--uid', '04e1e1e1']);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const signIn = (user) => signInPage(browser, stack, user);

const count = (page, state) => page.getAttribute(`#ov-door-counts li[data-state="${state}"]`, 'data-count');
const waitCount = (page, state, n) => page.waitForSelector(
  `#ov-door-counts li[data-state="${state}"][data-count="${n}"]`, { timeout: 15000 });
// Each count is the number of doors shown in that state (dock-1 relocks on
// its own after the grant: compare with the board, not with a number).
const countsMatchBoard = (page) => page.waitForFunction(() => [...document.querySelectorAll('#ov-door-counts li')]
  .every((li) => Number(li.dataset.count)
    === document.querySelectorAll(`#ov-door-grid [data-state="${li.dataset.state}"]`).length), null, { timeout: 15000 });

test('every role lands on the Overview and sees a forced door move the counts live', async () => {
  // Someone on site: a granted in-read puts Dora in the dock.
  const r = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '04e1e1e1']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const user of ['guard1', 'manager1', 'auditor1', 'admin1']) {
    const { page, context, errors } = await signIn(user);
    // The landing page, without a click.
    await page.waitForSelector('#tab-overview:not([hidden]) #ov-door-counts');
    assert.equal(await page.getAttribute('#tabs button[data-tab=overview]', 'class'), 'active', user);
    assert.equal(await page.isHidden('#tab-feed'), true, `${user}: the feed is not the landing page`);
    // Both doors are counted; cage-1 is locked, nothing forced.
    await waitCount(page, 'forced', 0);
    const total = (await Promise.all(['locked', 'unlocked', 'open', 'forced', 'held', 'offline']
      .map((s) => count(page, s)))).reduce((a, n) => a + Number(n), 0);
    assert.equal(total, 2, `${user}: every door counted once`);
    assert.equal(await page.textContent('#ov-door-counts li[data-state="forced"] .word'), 'forced');
    // The door grid (no plan): each door with its state word.
    assert.equal(await page.getAttribute('#ov-door-grid [data-door="cage-1"]', 'data-state'), 'locked');
    assert.match(await page.textContent('#ov-door-grid [data-door="cage-1"]'), /locked/);
    // People on site, readers offline, storage and clock.
    await page.waitForSelector('#ov-people[data-count="1"]');
    assert.equal(await page.getAttribute('#ov-readers-offline', 'data-count'), '0');
    assert.match(await page.textContent('#ov-health [data-field="db_bytes"]'), /\d+(\.\d)? (B|KiB|MiB)/);
    assert.match(await page.textContent('#ov-health [data-field="free_bytes"]'), /\d+(\.\d)? (B|KiB|MiB|GiB|TiB)/);
    assert.match(await page.textContent('#ov-health [data-field="clock_synced"]'), /synchronized|unknown/);
    await countsMatchBoard(page);

    // Forced open through the simulator: the counts move without a reload.
    await page.evaluate(() => { window.__notReloaded = true; });
    mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
    await waitCount(page, 'forced', 1);
    await page.waitForSelector('#ov-door-grid [data-door="cage-1"][data-state="forced"]');
    assert.match(await page.textContent('#ov-door-grid [data-door="cage-1"]'), /forced/);
    await countsMatchBoard(page);
    // The alarm, with its priority and age.
    await page.waitForSelector('#ov-alarms .ov-alarm:has-text("cage-1")', { timeout: 15000 });
    assert.match(await page.textContent('#ov-alarms .ov-alarm:has-text("cage-1")'), /forced[\s\S]*\d+ (s|min) ago/);
    if (user === 'guard1') await page.screenshot({ path: join(SHOTS, 'overview-guard-forced.png') });
    mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
    await waitCount(page, 'forced', 0);
    await page.waitForSelector('#ov-door-grid [data-door="cage-1"][data-state="locked"]', { timeout: 15000 });
    await countsMatchBoard(page);
    assert.equal(await page.evaluate(() => window.__notReloaded), true, `${user}: no reload`);

    // A door tile opens the door's panel.
    await page.click('#ov-door-grid [data-door="cage-1"]');
    await page.waitForSelector('#tab-doors:not([hidden]) #doors [data-door="cage-1"]');
    await page.click('#tabs button[data-tab=overview]');
    await page.waitForSelector('#tab-overview:not([hidden]) #ov-door-counts');
    await page.screenshot({ path: join(SHOTS, `overview-${user}.png`) });
    assert.deepEqual(errors, [], `${user}: page errors`);
    // Close the open alarm so the next role starts from the same board.
    if (user !== 'auditor1') {
      const alarms = JSON.parse(mustCtl(stack, ['alarm', 'list', '--json']));
      for (const a of alarms.filter((x) => x.state !== 'closed')) {
        mustCtl(stack, ['alarm', 'ack', String(a.id), '--comment', 'checked']);
        mustCtl(stack, ['alarm', 'close', String(a.id)]);
      }
    }
    await context.close();
  }
});

test('the Overview fits a phone (390 px) and a tablet (1024 px) without sideways scrolling', async () => {
  for (const viewport of [{ width: 390, height: 844 }, { width: 1024, height: 768 }]) {
    const { page, context } = await signInPage(browser, stack, 'guard1', viewport);
    await page.waitForSelector('#tab-overview:not([hidden]) #ov-door-counts');
    await page.waitForSelector('#ov-health [data-field="db_bytes"]');
    // The Overview's own boxes: none wider than the window (the top bar is shell17's).
    const over = await page.$$eval('#overview, #overview *', (els) => els
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1)
      .map((e) => `${e.tagName}#${e.id}.${e.className}`));
    assert.deepEqual(over, [], `${viewport.width} px`);
    await page.screenshot({ path: join(SHOTS, `overview-guard-${viewport.width}.png`), fullPage: true });
    await context.close();
  }
});
