// The fleet page of aeogate-hub serve, in a real browser (Debian's chromium
// through playwright-core): the controllers the hub collected through a real
// broker are listed per site, the site selector filters them, an offline
// controller and an alarm show as a user sees them, a controller going
// offline and a new alarm appear without a reload, and the console stays
// clean. The fleet itself is tests/e2e/hub_fleet.sh (the integration
// helpers: mosquitto, aeogated, aeogate-hub run and serve).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SOURCE_DIR, BUILD_DIR, launchChromium, closeChromium, watchConsole, SIZES, SHOTS_DIR } from './lib.mjs';

let fleet;
let lines;
let base;
let browser;
let profile;
let skip = false;
let logDir;
// The fleet script's own log, for a failure's message.
const fleetLog = () => readFileSync(join(logDir, 'hub_fleet.log'), 'utf8').slice(-3000);

// The next line the fleet script prints (its protocol), or null when it ended.
function nextLine(timeoutMs = 180000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('hub_fleet.sh did not answer')), timeoutMs);
    const onExit = () => { clearTimeout(timer); resolve(null); };
    fleet.once('exit', onExit);
    lines.next().then(({ value, done }) => {
      clearTimeout(timer);
      fleet.off('exit', onExit);
      resolve(done ? null : value);
    }, reject);
  });
}

async function command(text) {
  fleet.stdin.write(`${text}\n`);
  assert.equal(await nextLine(), 'done', `hub_fleet.sh: ${text}; its log:\n${fleetLog()}`);
}

before(async () => {
  mkdirSync(SHOTS_DIR, { recursive: true });
  logDir = mkdtempSync(join(tmpdir(), 'aeogate-e2e-hub-'));
  fleet = spawn('bash', [join(SOURCE_DIR, 'tests/e2e/hub_fleet.sh')], {
    env: { ...process.env, BUILD_DIR, SOURCE_DIR },
    stdio: ['pipe', 'pipe', openSync(join(logDir, 'hub_fleet.log'), 'a')],
  });
  lines = createInterface({ input: fleet.stdout })[Symbol.asyncIterator]();
  const first = await nextLine();
  if (first === null && fleet.exitCode === 77) {
    skip = true;
    return;
  }
  assert.match(first ?? '', /^SERVE_URL=http:\/\/127\.0\.0\.1:\d+$/,
    `hub_fleet.sh printed ${first}; its log:\n${fleetLog()}`);
  base = first.slice('SERVE_URL='.length);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (fleet && fleet.exitCode === null) {
    fleet.stdin.end();
    await new Promise((r) => fleet.once('exit', r));
  }
  if (logDir && !process.env.KEEP_TMP) rmSync(logDir, { recursive: true, force: true });
});

const row = (page, site, controller) => `#controller-rows tr[data-site="${site}"][data-controller="${controller}"]`;

test('the office sees every controller per site, offline ones and alarms, live', async (t) => {
  if (skip) return t.skip('mosquitto missing');
  const context = await browser.newContext({ viewport: { width: SIZES[0].width, height: SIZES[0].height } });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${base}/`);

  // Both controllers, with what the hub stored for each.
  await page.waitForSelector(row(page, 's1', 'gate-1'));
  await page.waitForSelector(row(page, 's2', 'dock-2'));
  assert.equal(await page.textContent(`${row(page, 's1', 'gate-1')} .state .badge`), 'online');
  assert.equal(await page.textContent(`${row(page, 's2', 'dock-2')} .state .badge`), 'offline');
  const gateLag = Number(await page.textContent(`${row(page, 's1', 'gate-1')} td.lag`));
  const dockLag = Number(await page.textContent(`${row(page, 's2', 'dock-2')} td.lag`));
  assert.equal(gateLag, 0);
  assert.ok(dockLag > 0, `dock-2 is behind: lag ${dockLag}`);
  assert.equal(await page.textContent(`${row(page, 's2', 'dock-2')} td.stored`), '3');
  const key = await page.textContent(`${row(page, 's1', 'gate-1')} td.key`);
  assert.match(key, /^[0-9a-f]{16}$/, 'the pinned key id is shown');
  assert.equal(await page.textContent(`${row(page, 's1', 'gate-1')} td.applied`), '0');
  // The offline controller's row and its alarm count stand out in red.
  const colours = await page.evaluate(() => {
    const bad = getComputedStyle(document.documentElement).getPropertyValue('--bad').trim();
    const probe = document.createElement('span');
    probe.style.color = bad;
    document.body.append(probe);
    const want = getComputedStyle(probe).color;
    probe.remove();
    const r = document.querySelector('#controller-rows tr[data-controller="dock-2"]');
    return {
      want,
      badge: getComputedStyle(r.querySelector('.badge')).backgroundColor,
      alarms: getComputedStyle(r.querySelector('td.alarms')).color,
      ok: getComputedStyle(document.querySelector('#controller-rows tr[data-controller="gate-1"] td.alarms')).color,
    };
  });
  assert.equal(colours.badge, colours.want, 'the offline badge is red');
  assert.equal(colours.alarms, colours.want, 'the alarm count is red');
  assert.notEqual(colours.ok, colours.want, 'no alarm, no red');
  assert.equal(await page.textContent(`${row(page, 's2', 'dock-2')} td.alarms`), '1');

  // The hub's alarm, above the table, as text a guard reads.
  const alarm = await page.textContent('#alarm-list li[data-kind="bad_checkpoint"]');
  assert.match(alarm, /bad_checkpoint/);
  assert.match(alarm, /s2\/dock-2 seq \d+/);
  assert.equal(await page.isHidden('#no-alarms'), true);
  // Times: one format, UTC on hover.
  const time = page.locator('#alarm-list li time').first();
  assert.match(await time.textContent(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.match(await time.getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  assert.match(await page.textContent('#totals'), /2 controllers, 1 online/);
  await page.screenshot({ path: join(SHOTS_DIR, 'hub-fleet-all.png'), fullPage: true });

  // The site selector: one site at a time, then all again.
  const options = await page.$$eval('#site-select option', (o) => o.map((x) => x.textContent));
  assert.deepEqual(options, ['All sites', 's1', 's2']);
  await page.selectOption('#site-select', 's2');
  await page.waitForFunction(() => document.querySelectorAll('#controller-rows tr').length === 1);
  assert.equal(await page.locator(row(page, 's2', 'dock-2')).count(), 1);
  assert.equal(await page.locator(row(page, 's1', 'gate-1')).count(), 0);
  assert.equal(await page.locator('#alarm-list li').count(), 1);
  await page.selectOption('#site-select', 's1');
  await page.waitForSelector(row(page, 's1', 'gate-1'));
  assert.equal(await page.locator(row(page, 's2', 'dock-2')).count(), 0);
  assert.equal(await page.locator('#alarm-list li').count(), 0, 's1 has no alarm');
  assert.equal(await page.isVisible('#no-alarms'), true);
  // The choice holds across refreshes (a poll every 2 s): wait for two new answers.
  for (let i = 0; i < 2; i++) {
    const seen = await page.getAttribute('#generated time', 'datetime');
    await page.waitForFunction((s) => document.querySelector('#generated time')?.getAttribute('datetime') !== s,
      seen, { timeout: 20000 });
  }
  assert.equal(await page.inputValue('#site-select'), 's1');
  assert.equal(await page.locator('#controller-rows tr').count(), 1);

  // Live: gate-1 goes offline and gets an alarm; the page follows without a reload.
  await command('offline s1 gate-1');
  await page.waitForSelector(`${row(page, 's1', 'gate-1')} .badge.offline`, { timeout: 20000 });
  await command('forge s1 gate-1');
  await page.waitForSelector('#alarm-list li[data-kind="bad_checkpoint"]', { timeout: 20000 });
  assert.match(await page.textContent('#alarm-list li'), /s1\/gate-1/);
  await page.waitForFunction(() => document.querySelector(
    '#controller-rows tr[data-controller="gate-1"] td.alarms')?.textContent === '1', null, { timeout: 20000 });
  await page.selectOption('#site-select', '');
  await page.waitForFunction(() => document.querySelectorAll('#controller-rows tr').length === 2);
  assert.equal(await page.locator('#alarm-list li').count(), 2);
  assert.match(await page.textContent('#totals'), /2 controllers, 0 online/);
  await page.screenshot({ path: join(SHOTS_DIR, 'hub-fleet-live.png'), fullPage: true });

  // A phone-sized screen: the rows stack as cards, each value labelled.
  await page.setViewportSize({ width: SIZES[2].width, height: SIZES[2].height });
  await page.waitForSelector(row(page, 's2', 'dock-2'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'nothing is cut off sideways');
  assert.equal(await page.getAttribute(`${row(page, 's2', 'dock-2')} td.lag`, 'data-label'), 'Lag',
    'each stacked cell says which column it is');
  await page.screenshot({ path: join(SHOTS_DIR, 'hub-fleet-phone.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});
