// The dashboard's shell at desk, tablet and phone sizes (issue 17, parts 11
// and 12): every page each role can open, walked as that role at 1440x900,
// 1024x768 and 390x844 — no console error (the signed-out page included),
// no horizontal scroll, no serious or critical axe-core violation; each
// page's screenshot goes to BUILD_DIR/e2e-shots/<role>-<page>-<size>.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, mustCtl, launchChromium, closeChromium, SIZES, openDashboard, checkPage,
  horizontalOverflow, axeScan,
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
        problems.push(...await checkPage(page, errors, { role, name: 'menu', size }));
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

// The checks above must be able to fail: each is shown a page with its fault.
test('the harness catches a console error, a horizontal overflow and an axe violation', async () => {
  const { context, page, errors } = await openDashboard(browser, stack, 'guard1', { size: SIZES[2] });
  await page.evaluate(() => {
    console.error('planted error');
    const wide = document.createElement('div');
    wide.style.width = '2000px';
    wide.style.height = '4px';
    const nameless = document.createElement('button');
    nameless.id = 'planted-nameless';
    document.querySelector('main').append(wide, nameless);
  });
  assert.ok((await horizontalOverflow(page)).over > 1000, 'overflow seen');
  assert.ok((await axeScan(page)).some((v) => /button-name/.test(v)), 'axe sees a button without a name');
  const problems = await checkPage(page, errors, { role: 'planted', name: 'faults', size: SIZES[2] });
  assert.ok(problems.some((p) => /console error planted error/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /horizontal overflow/.test(p)));
  await context.close();
});

// Part 8: one date format whatever the browser's locale; UTC on hover.
for (const locale of ['en-US', 'de-DE']) {
  test(`under ${locale}: times read 2026-12-06 20:36:55 in site time, date inputs YYYY-MM-DD`, async () => {
    const { context, page, errors } = await openDashboard(browser, stack, 'manager1', { locale, timezoneId: 'America/Los_Angeles' });
    assert.equal(await page.evaluate(() => navigator.language), locale);
    await page.click('#tabs button[data-tab=feed]'); // the Overview is the landing page
    const t = page.locator('#feed li time').first();
    await t.waitFor();
    const shown = await t.textContent();
    assert.match(shown, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const utc = await t.getAttribute('title');
    assert.match(utc, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    // Site time is the controller's zone (Europe/Amsterdam), not the browser's.
    const iso = await t.getAttribute('datetime');
    const want = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Amsterdam', dateStyle: 'short', timeStyle: 'medium' })
      .format(new Date(iso));
    assert.equal(shown, want);

    await page.click('#tabs button[data-tab=people]');
    const until = page.locator('#person-add input[name=valid_until]');
    assert.equal(await until.getAttribute('type'), 'text');
    assert.equal(await until.getAttribute('placeholder'), 'YYYY-MM-DD');
    const id = `L${locale.slice(0, 2).toUpperCase()}1`;
    await page.fill('#person-add input[name=id]', id);
    await page.fill('#person-add input[name=name]', `Locale ${locale}`);
    // The Pick button's calendar is the browser's own; its choice lands in the field as YYYY-MM-DD.
    assert.match(await page.getAttribute('#person-add .date-pick', 'aria-label'), /Pick a date: Valid until/);
    await page.$eval('#person-add .date-native', (n) => {
      n.value = '2031-02-28';
      n.dispatchEvent(new Event('change'));
    });
    assert.equal(await until.inputValue(), '2031-02-28');
    await until.fill('2031-03-31');
    await page.click('#person-add button[type=submit]');
    // Part 9: the change is confirmed by a polite toast.
    const toast = page.locator('#toasts .toast', { hasText: `Enrolled Locale ${locale} (${id})` });
    await toast.waitFor();
    assert.equal(await page.getAttribute('#toasts', 'role'), 'status');
    assert.equal(await page.getAttribute('#toasts', 'aria-live'), 'polite');
    const row = page.locator('#persons tr', { hasText: id });
    await row.waitFor();
    assert.match(await row.textContent(), /until 2031-03-31/, 'the last day, as a date');
    const out = JSON.parse(mustCtl(stack, ['person', 'show', id, '--json']));
    assert.equal(Date.parse(out.valid_until), Date.parse('2031-03-31T22:00:00Z'), 'the end of March 31st, site time (CEST)');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

// Part 9: the feed in words, with who did it and without internal prefixes.
test('the feed says "Level dock-staff added by manager1", with no user: prefix anywhere', async () => {
  const { context, page, errors } = await openDashboard(browser, stack, 'manager1');
  await page.click('#tabs button[data-tab=levels]');
  await page.fill('#level-add input[name=name]', 'dock-staff');
  await page.check('#level-add-zones input[value="dock"]');
  await page.click('#level-add button[type=submit]');
  await page.locator('#toasts .toast', { hasText: 'Level dock-staff added' }).waitFor();
  await page.click('#tabs button[data-tab=feed]');
  const item = page.locator('#feed li[data-kind="level.added"]', { hasText: 'dock-staff' });
  await item.waitFor();
  assert.match(await item.textContent(), /Level dock-staff added by manager1/);
  assert.doesNotMatch(await page.textContent('#feed'), /user:/);
  assert.deepEqual(errors, []);
  await context.close();
});

// Parts 9 and 12: one Actions menu per row, by keyboard; destructive actions
// red and confirmed in a dialog that keeps the focus and closes on Escape.
test('keyboard only: a badge row\'s menu, a revoke cancelled with Escape, then confirmed', async () => {
  mustCtl(stack, ['badge', 'issue', 'E100', '--uid', '0a0b0c0d']);
  const { context, page, errors } = await openDashboard(browser, stack, 'manager1');
  await page.click('#tabs button[data-tab=people]');
  const row = '#badges tr[data-badge="uid:0a0b0c0d"]';
  await page.waitForSelector(row);
  await page.waitForLoadState('networkidle'); // the page's reload of the list is in
  assert.equal(await page.locator(`${row} button`).count() >= 1, true);
  assert.equal(await page.locator(`${row} button:visible`).count(), 1, 'one menu button, not five');
  await page.focus(`${row} .row-menu-button`);
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute(`${row} .row-menu-button`, 'aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'suspend', 'focus on the first item');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'revoke');
  const bg = await page.$eval(`${row} [data-action=revoke]`, (b) => getComputedStyle(b).backgroundColor);
  assert.equal(bg, 'rgb(180, 35, 24)', 'revoke is red');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('row-menu-button')), true, 'focus back on the button');
  assert.deepEqual(await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return [cs.outlineStyle, cs.outlineWidth];
  }), ['solid', '3px'], 'the keyboard focus is visible');
  assert.equal(await page.isVisible(`${row} [role=menu]`), false);

  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#confirm-dialog[open]');
  assert.match(await page.textContent('#confirm-dialog'), /Revoke badge uid:0a0b0c0d\?/);
  // The focus stays in the dialog (the page behind is inert).
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement.closest('#confirm-dialog')), true, `tab ${i}`);
  }
  await page.keyboard.press('Escape');
  await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
  assert.match(mustCtl(stack, ['badge', 'list']), /0a0b0c0d.*active/);

  await page.focus(`${row} .row-menu-button`);
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#confirm-dialog[open]');
  await page.focus('#confirm-ok');
  await page.keyboard.press('Enter');
  await page.locator('#toasts .toast', { hasText: 'Badge uid:0a0b0c0d revoked' }).waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.children[2].textContent === 'revoked', row);
  assert.deepEqual(errors, []);
  await context.close();
});
