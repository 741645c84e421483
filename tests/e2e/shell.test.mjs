// The dashboard's shell at desk, tablet and phone sizes (issue 17, parts 11
// and 12): every page each role can open, walked as that role at 1440x900,
// 1024x768 and 390x844 — no console error (the signed-out page included),
// no horizontal scroll, no serious or critical axe-core violation; each
// page's screenshot goes to BUILD_DIR/e2e-shots/<role>-<page>-<size>.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, mustCtl, launchChromium, closeChromium, SIZES, openDashboard, checkPage,
} from './lib.mjs';

let stack;
let browser;
let profile;

const ROLES = { guard: 'guard1', manager: 'manager1', auditor: 'auditor1', admin: 'admin1' };

before(async () => {
  stack = await startStack({ demo: true });
  for (const [role, name] of Object.entries(ROLES)) stack.addUser(name, role);
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E100', '--name', 'Ada Lovelace', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E100', '--wiegand', 'h10301:12:3456']);
  // An open alarm, so every page also carries its banner.
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

// Opens a page (tab) the way a person at this size would: at phone width
// through the menu button, which the top bar collapses into.
async function openTab(page, tab) {
  const menu = page.locator('#menu-toggle');
  if (await menu.isVisible()) {
    if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
    await page.waitForSelector('#tabs:not([hidden])', { state: 'visible' });
  }
  await page.click(`#tabs button[data-tab="${tab}"]`);
  await page.waitForSelector(`#tab-${tab}:not([hidden])`);
  if (await menu.isVisible()) {
    assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'choosing a page closes the menu');
  }
  // What the page loads on opening is in before it is judged.
  await page.waitForLoadState('networkidle');
}

test('the sign-in page at each size: no error, no red "disconnected", nothing to scroll sideways', async () => {
  const problems = [];
  for (const size of SIZES) {
    const { context, page, errors } = await openDashboard(browser, stack, null, { size });
    assert.equal(await page.isVisible('#conn'), false, 'no connection pill before anyone signed in');
    assert.equal(await page.isVisible('#logout'), false);
    await page.waitForLoadState('networkidle');
    problems.push(...await checkPage(page, errors, { role: 'signed-out', name: 'signin', size }));
    await context.close();
  }
  assert.deepEqual(problems, []);
});

for (const [role, user] of Object.entries(ROLES)) {
  test(`${role}: every page at 1440x900, 1024x768 and 390x844 passes the shell checks`, async () => {
    const problems = [];
    for (const size of SIZES) {
      const { context, page, errors } = await openDashboard(browser, stack, user, { size });
      const tabs = await page.$$eval('#tabs button', (bs) => bs.filter((b) => !b.hidden).map((b) => b.dataset.tab));
      assert.ok(tabs.length >= 4, `${role} sees its pages: ${tabs}`);
      // Sign out is reachable at every size (through the menu on a phone).
      const menu = page.locator('#menu-toggle');
      assert.equal(await menu.isVisible(), size.width < 700, `${role} ${size.name}: the menu button`);
      if (await menu.isVisible()) {
        await menu.click();
        assert.ok(await page.isVisible('#logout'), 'Sign out in the menu');
        await page.keyboard.press('Escape');
        assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'Escape closes the menu');
      } else {
        assert.ok(await page.isVisible('#logout'));
      }
      for (const tab of tabs) {
        await openTab(page, tab);
        problems.push(...await checkPage(page, errors, { role, name: tab, size }));
      }
      await context.close();
    }
    assert.deepEqual(problems, []);
  });
}
