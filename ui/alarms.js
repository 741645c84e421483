// Alarms as a workflow (README "Alarms"): the banners' order (priority,
// then age), the escalated state, closing with an outcome (required here,
// optional on the CLI), and the alarm's whole history (GET
// /api/alarms/history, as `aeogatectl alarm history ID`). app.js builds the
// banners and calls these; the controller holds every fact shown.
import { get } from './api.js';
import { timeElement, kindText } from './format.js';
import { el } from './dom.js';

// The controller's EVENT_PRIORITY_OTHER: an alarm kind it does not rank.
const PRIORITY_OTHER = 7;

// Most urgent first: the kind's priority (1 = duress), then the oldest.
export function sortAlarms(alarms) {
  const raised = (a) => Date.parse(a.raised) || 0;
  return [...alarms].sort((a, b) => (a.priority ?? PRIORITY_OTHER) - (b.priority ?? PRIORITY_OTHER)
    || raised(a) - raised(b) || (a.id ?? 0) - (b.id ?? 0));
}

// An operator as the trail names them, without the internal prefix.
function who(op) {
  return String(op || '?').replace(/^user:/, '');
}

// The banner's urgent line: escalated alarms were left unacknowledged too long.
export function escalatedNote(a) {
  if (!a.escalated || a.state !== 'open') return null;
  return el('span', { class: 'alarm-escalated-note' },
    'ESCALATED: not acknowledged in time (since ', timeElement(a.escalated), ')');
}

// Close with an outcome: the form a guard fills in; submit(outcome) posts it.
export function closeForm(a, submit, errEl) {
  const form = el('form', { class: 'alarm-close-form' });
  const outcome = el('input', {
    name: 'outcome', placeholder: 'outcome (required)', maxlength: 256, required: true,
    class: 'close-outcome', 'aria-label': `outcome of alarm ${a.id}`,
  });
  form.append(outcome, el('button', { type: 'submit', class: 'close-alarm', text: 'Close' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = outcome.value.trim();
    if (!text) {
      errEl.textContent = 'An outcome is required: say how the alarm ended.';
      outcome.focus();
      return;
    }
    await submit(text);
  });
  return form;
}

// One line of an alarm's history, in words.
export function stepText(e) {
  const d = e.detail || {};
  switch (e.kind) {
    case 'alarm.acknowledged':
      return `Acknowledged by ${who(d.operator)}${d.comment ? `: “${d.comment}”` : ''}`;
    case 'alarm.escalated':
      return `Escalated: not acknowledged within ${Math.round((d.limit_ms || 0) / 1000)} s`;
    case 'alarm.closed':
      return `Closed by ${who(d.operator)}${d.outcome ? `, outcome: “${d.outcome}”` : ''}`
        + (d.comment ? ` (${d.comment})` : '');
    default:
      return `Raised: ${kindText(e.kind)}${e.door ? ` at ${e.door}` : ''}`
        + (e.person ? `, person ${e.person}` : '');
  }
}

// The history panel: loaded from the controller each time it is opened.
export function historyPanel(a, onError) {
  const list = el('ol', { class: 'alarm-history-list' });
  const panel = el('details', { class: 'alarm-history' },
    el('summary', { text: 'History' }), list);
  panel.addEventListener('toggle', async () => {
    if (!panel.open) return;
    list.replaceChildren(el('li', { text: 'loading…' }));
    try {
      const h = await get(`/api/alarms/history?id=${encodeURIComponent(a.id)}`);
      list.replaceChildren(...h.history.map((e) => el('li', { 'data-kind': e.kind },
        timeElement(e.ts), ' ', stepText(e))));
    } catch (e) {
      list.replaceChildren(el('li', { class: 'error', text: e.message }));
      onError(e);
    }
  });
  return panel;
}
