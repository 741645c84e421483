// Date and date-time inputs that read the same in every browser locale:
// a native <input type=date> shows 'dd.mm.yyyy' under de-DE and 'mm/dd/yyyy'
// under en-US; these are text inputs in the dashboard's one format
// ('2026-12-06', '2026-12-06 20:36[:55]', site time) with a pattern, plus a
// button that opens the browser's own picker and copies its choice in.
// Every date input on the page, present or added later, is turned into one.
const KINDS = {
  date: { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: 'YYYY-MM-DD', pick: 'Pick a date' },
  'datetime-local': {
    pattern: '\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2})?',
    placeholder: 'YYYY-MM-DD HH:MM',
    pick: 'Pick a date and time',
  },
};

function upgrade(input) {
  const kind = KINDS[input.type];
  if (!kind || input.dataset.dateInput || input.classList.contains('date-native')) return;
  const native = document.createElement('input');
  native.type = input.type;
  if (input.step) native.step = input.step;
  native.tabIndex = -1;
  native.className = 'date-native';
  native.setAttribute('aria-hidden', 'true');
  native.setAttribute('aria-label', kind.pick);
  const was = input.type;
  input.type = 'text';
  input.dataset.dateInput = was;
  input.pattern = kind.pattern;
  input.placeholder = kind.placeholder;
  input.inputMode = 'numeric';
  input.autocomplete = 'off';
  if (!input.title) input.title = `${kind.placeholder}, site time`;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary date-pick';
  button.textContent = 'Pick';
  const name = input.getAttribute('aria-label') || (input.labels && input.labels[0] ? input.labels[0].textContent.trim() : '');
  button.setAttribute('aria-label', name ? `${kind.pick}: ${name}` : kind.pick);
  button.addEventListener('click', (ev) => {
    ev.preventDefault();
    native.value = input.value.trim().replace(' ', 'T');
    try {
      native.showPicker();
    } catch {
      native.focus();
    }
  });
  native.addEventListener('change', () => {
    input.value = native.value.replace('T', ' ');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    input.focus();
  });
  const box = document.createElement('span');
  box.className = 'date-input';
  input.replaceWith(box);
  box.append(input, button, native);
}

export function setupDateInputs(root = document) {
  root.querySelectorAll('input[type=date], input[type=datetime-local]').forEach(upgrade);
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches('input[type=date], input[type=datetime-local]')) upgrade(n);
        else n.querySelectorAll('input[type=date], input[type=datetime-local]').forEach(upgrade);
      }
    }
  }).observe(root.body || root, { childList: true, subtree: true });
}
