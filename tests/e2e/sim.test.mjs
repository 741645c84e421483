// The dashboard's simulator in a real browser (Debian's chromium through
// playwright-core): every enrolled badge of every format is in its list and
// is presented by its credential (the controller encodes the frame, as
// `aeogatectl sim present READER --credential ...` does), each grant
// checked in the trail; a reader that does not take a format refuses it.
// The API refuses bad credentials and the wrong role, presenting nothing.
// Screenshots go to BUILD_DIR/e2e-shots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, toastSays, failOnConsoleErrors, openDashboard } from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
const BADGES = ['h10301:12:3456', 'h10302:0:34359738367', 'h10304:1200:52002', 'h10306:300:4000',
  'c1k35:1001:500000', 'c1k48:2000000:4000000', 'uid:04a1b2c3d4e5f6'];
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('manager1', 'manager');
  stack.addUser('guard1', 'guard');
  mustCtl(stack, ['level', 'add', 'everywhere', '--zone', 'dock', '--zone', 'bonded-cage']);
  mustCtl(stack, ['person', 'add', 'E7', '--name', 'Sam Simulated', '--level', 'everywhere']);
  for (const b of BADGES) {
    const [fmt, ...rest] = b.split(':');
    mustCtl(stack, ['badge', 'issue', 'E7', ...(fmt === 'uid' ? ['--uid', rest[0]] : ['--wiegand', b])]);
  }
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const events = () => mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('the API refuses bad credentials and the wrong role; nothing is presented', async () => {
  const mgr = await login(stack, 'manager1');
  const guard = await login(stack, 'guard1');
  const before = events().length;
  for (const [credential, re] of [['nope', /FORMAT:FACILITY:NUMBER/], ['h10301:999:1', /do not fit/],
    ['raw:26:0123456', /raw/], ['uid:zz', /FORMAT:FACILITY:NUMBER/], ['', /'credential' must be/]]) {
    const r = await api(stack, mgr, 'POST', '/api/sim/present', { reader: 'dock-1-in', credential });
    assert.equal(r.status, 400, `${credential}: ${r.text}`);
    assert.match(r.body.error.message, re);
  }
  let r = await api(stack, mgr, 'POST', '/api/sim/present', { reader: 'dock-1-in', credential: 'h10301:12:3456', bits: '0101' });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, mgr, 'POST', '/api/sim/present', { reader: 'dock-1-in', credential: 42 });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, guard, 'POST', '/api/sim/present', { reader: 'dock-1-in', credential: 'h10301:12:3456' });
  assert.equal(r.status, 403, r.text);
  assert.equal(events().length, before, 'nothing was presented');
});

test('the simulator lists every enrolled badge of every format and presents each', async () => {
  // Signed in with every console error and page error collected (lib.mjs).
  const { context, page, errors } = await openDashboard(browser, stack, 'manager1',
    { size: { width: 1280, height: 900 } });
  failOnConsoleErrors(context);
  await page.click('#tabs button[data-tab=sim]');
  await page.waitForSelector(`#sim-badge option[value="${BADGES.at(-1)}"]`, { state: 'attached', timeout: 15000 });
  const options = await page.$$eval('#sim-badge option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.deepEqual([...options].sort(), [...BADGES].sort());

  await page.selectOption('#sim-reader', 'dock-1-in');
  for (const b of BADGES) {
    await page.evaluate(() => { const r = document.querySelector('#sim-result'); r.textContent = ''; delete r.dataset.granted; });
    await page.selectOption('#sim-badge', b);
    await page.click('#sim-present button[type=submit]');
    await page.waitForSelector('#sim-result[data-granted="1"]', { timeout: 15000 });
    assert.match(await page.textContent('#sim-result'), /Granted to E7/);
    const granted = events().filter((e) => e.kind === 'access.granted');
    assert.equal(granted.at(-1).credential, b, `${b} was read as itself`);
    await toastSays(page, `Badge ${b} presented at dock-1-in`);
  }
  await page.screenshot({ path: join(SHOTS, 'sim-every-format-manager.png'), fullPage: true });

  // cage-1-in takes h10301, h10304 and h10302 only.
  await page.selectOption('#sim-reader', 'cage-1-in');
  await page.selectOption('#sim-badge', 'c1k48:2000000:4000000');
  await page.evaluate(() => { document.querySelector('#sim-result').textContent = ''; });
  await page.click('#sim-present button[type=submit]');
  await page.waitForSelector('#sim-result[data-granted="0"]', { timeout: 15000 });
  assert.match(await page.textContent('#sim-result'), /Denied/);
  assert.equal(events().filter((e) => e.kind === 'access.denied').at(-1).reason, 'unknown_format');
  assert.deepEqual(errors, []);
  await context.close();
});
