// The dashboard's frame: the top bar's menu button at phone width, the
// polite toasts that confirm every change, and what the bar shows before
// and after sign-in (no connection pill before anyone signed in).
const TOAST_MS = 6000;
const TOAST_MAX = 4;

// What a successful POST did, in words: one entry per endpoint that changes
// something (the web side's routes). The body says which thing.
const DONE = [
  [/^\/api\/persons$/, (b) => `Enrolled ${b.name || b.id} (${b.id})`],
  [/^\/api\/persons\/([^/]+)\/suspend$/, (b, m) => `Person ${m[1]} suspended`],
  [/^\/api\/persons\/([^/]+)\/reinstate$/, (b, m) => `Person ${m[1]} reinstated`],
  [/^\/api\/persons\/([^/]+)\/terminate$/, (b, m) => `Person ${m[1]} terminated`],
  [/^\/api\/persons\/([^/]+)\/update$/, (b, m) => `Saved ${m[1]}`],
  [/^\/api\/persons\/([^/]+)\/pin$/, (b, m) => (b.clear ? `PIN of ${m[1]} cleared` : `PIN of ${m[1]} set`)],
  [/^\/api\/persons\/([^/]+)\/pin-unlock$/, (b, m) => `PIN of ${m[1]} unlocked`],
  [/^\/api\/persons\/([^/]+)\/photo$/, (b, m) => `Photo of ${m[1]} saved`],
  [/^\/api\/persons\/([^/]+)\/photo\/remove$/, (b, m) => `Photo of ${m[1]} removed`],
  [/^\/api\/badges$/, (b) => `Badge ${b.credential} issued to ${b.person}`],
  [/^\/api\/badges\/revoke$/, (b) => `Badge ${b.credential} revoked`],
  [/^\/api\/badges\/suspend$/, (b) => `Badge ${b.credential} suspended`],
  [/^\/api\/badges\/lost$/, (b) => `Badge ${b.credential} reported lost or stolen`],
  [/^\/api\/badges\/return$/, (b) => `Badge ${b.credential} returned`],
  [/^\/api\/badges\/reinstate$/, (b) => `Badge ${b.credential} reinstated`],
  [/^\/api\/alarms\/ack$/, (b) => `Alarm acknowledged${b.comment ? `: “${b.comment}”` : ''}`],
  [/^\/api\/alarms\/close$/, (b) => `Alarm closed${b.outcome ? `: “${b.outcome}”` : ''}`],
  [/^\/api\/doors\/mode$/, (b) => (b.clear ? `Door ${b.door}: mode cleared` : `Door ${b.door}: mode ${b.mode}`)],
  [/^\/api\/doors\/unlock$/, (b) => `Door ${b.door} unlocked`],
  [/^\/api\/doors\/schedule$/, (b) => (b.clear ? `Door ${b.door}: schedule cleared` : `Door ${b.door}: schedule saved`)],
  [/^\/api\/zones\/set$/, (b) => `Zone ${b.zone} saved`],
  [/^\/api\/site\/lockdown$/, (b) => (b.zones ? `Zone ${b.zones.join(', ')} locked down` : 'Lockdown started')],
  [/^\/api\/site\/release$/, (b) => (b.zones ? `Zone ${b.zones.join(', ')} released` : 'Lockdown released')],
  [/^\/api\/site\/plan\/remove$/, () => 'Site plan removed'],
  [/^\/api\/site\/threat$/, (b) => `Threat level set to ${b.level}`],
  [/^\/api\/schedules$/, (b) => `Schedule ${b.name} added`],
  [/^\/api\/schedules\/update$/, (b) => `Schedule ${b.name} saved`],
  [/^\/api\/schedules\/remove$/, (b) => `Schedule ${b.name} removed`],
  [/^\/api\/holidays$/, (b) => `Holiday ${b.name} (${b.date}) added`],
  [/^\/api\/holidays\/remove$/, (b) => `Holiday ${b.date} removed`],
  [/^\/api\/levels$/, (b) => `Level ${b.name} added`],
  [/^\/api\/levels\/update$/, (b) => `Level ${b.name} saved`],
  [/^\/api\/levels\/remove$/, (b) => `Level ${b.name} removed`],
  [/^\/api\/visitors$/, (b) => `Visitor ${b.name || b.id} registered`],
  [/^\/api\/visitors\/end$/, (b) => `Visit of ${b.id} ended`],
  [/^\/api\/users$/, (b) => `User ${b.name} added`],
  [/^\/api\/users\/disable$/, (b) => `User ${b.name} disabled; their sessions ended`],
  [/^\/api\/users\/enable$/, (b) => `User ${b.name} enabled`],
  [/^\/api\/users\/passwd$/, (b) => `Password of ${b.name} reset; their sessions ended`],
  [/^\/api\/me\/password$/, () => 'Your password was changed'],
  [/^\/api\/sim\/present$/, (b) => `Badge ${b.credential || b.uid || `${String(b.bits).length} bits`} presented at ${b.reader}`],
  [/^\/api\/sim\/door$/, (b) => `Door ${b.door} ${b.state === 'open' ? 'opened' : 'closed'} (simulated)`],
  [/^\/api\/sim\/rex$/, (b) => `Exit button pressed at ${b.door} (simulated)`],
];

// The words for a change the dashboard made (null: not a change, e.g. sign-in).
export function doneText(path, body) {
  for (const [re, text] of DONE) {
    const m = re.exec(path);
    if (m) {
      try {
        return text(body || {}, m);
      } catch {
        return 'Saved';
      }
    }
  }
  return null;
}

export function toast(text, { kind = 'ok' } = {}) {
  const box = document.querySelector('#toasts');
  if (!box || !text) return;
  const t = document.createElement('div');
  t.className = `toast toast-${kind}`;
  t.textContent = text;
  box.append(t);
  while (box.children.length > TOAST_MAX) box.firstElementChild.remove();
  setTimeout(() => t.remove(), TOAST_MS);
}

function menuOpen(open) {
  const b = document.querySelector('#menu-toggle');
  document.body.classList.toggle('menu-open', open);
  b.setAttribute('aria-expanded', open ? 'true' : 'false');
}

// Signed in or not: the bar's connection pill and menu appear only for a session.
export function setSignedIn(yes) {
  document.body.dataset.signedIn = yes ? '1' : '';
  document.querySelector('#conn').hidden = !yes;
  menuOpen(false);
}

export function setupShell() {
  const b = document.querySelector('#menu-toggle');
  b.addEventListener('click', () => {
    const open = !document.body.classList.contains('menu-open');
    menuOpen(open);
    if (open) {
      const first = document.querySelector('#tabs button:not([hidden])');
      if (first) first.focus();
    }
  });
  // Choosing a page closes the menu; Escape closes it and gives the focus back.
  document.querySelector('#tabs').addEventListener('click', (ev) => {
    if (ev.target.closest('button[data-tab]')) menuOpen(false);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && document.body.classList.contains('menu-open')) {
      menuOpen(false);
      b.focus();
    }
  });
  window.addEventListener('aeogate:done', (ev) => toast(doneText(ev.detail.path, ev.detail.body)));
}

// Each table cell learns its column's heading (data-label), which the phone
// layout shows in front of it when a table turns into stacked cards.
function labelCells(table) {
  const heads = [...table.querySelectorAll(':scope > thead th')].map((th) => th.textContent.trim());
  if (!heads.length) return;
  for (const tr of table.querySelectorAll(':scope > tbody > tr')) {
    [...tr.children].forEach((td, i) => {
      if (heads[i] && td.dataset.label !== heads[i]) td.dataset.label = heads[i];
    });
  }
}

export function setupStackedTables() {
  const all = () => document.querySelectorAll('table.grid').forEach(labelCells);
  all();
  new MutationObserver((records) => {
    const tables = new Set();
    for (const r of records) {
      const t = r.target.closest && r.target.closest('table.grid');
      if (t) tables.add(t);
    }
    tables.forEach(labelCells);
  }).observe(document.body, { childList: true, subtree: true });
}
