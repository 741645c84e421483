// Row actions behind one menu button, and the confirmation a destructive
// action (revoke, terminate, stolen, lockdown) waits for. Both work by
// keyboard alone: the menu opens with Enter, Space or ArrowDown, moves with
// the arrow keys, Home and End, closes on Escape or Tab and gives the focus
// back; the confirmation is a modal <dialog> (the page behind is inert, so
// the focus stays inside) that Escape cancels.
let openMenu = null;
// The rows re-render when the stream says something changed: an open menu
// (and the item with the focus) is found again by its label and stays open.
let openLabel = null;
let focusedAction = null;

function closeMenu(focusButton) {
  openLabel = null;
  if (!openMenu) return;
  const { button, list } = openMenu;
  list.hidden = true;
  button.setAttribute('aria-expanded', 'false');
  openMenu = null;
  if (focusButton) button.focus();
}

document.addEventListener('click', (ev) => {
  if (openMenu && !openMenu.box.contains(ev.target)) closeMenu(false);
});

// items: [{ text, action, danger?, confirm?: { title, text, ok }, run }], null entries skipped.
export function rowMenu(label, items) {
  const list = document.createElement('div');
  list.className = 'row-menu-list';
  list.setAttribute('role', 'menu');
  list.hidden = true;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary row-menu-button';
  button.textContent = 'Actions';
  button.setAttribute('aria-haspopup', 'menu');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-label', `Actions: ${label}`);
  const box = document.createElement('span');
  box.className = 'row-menu';
  const entries = [];
  for (const it of items) {
    if (!it) continue;
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.tabIndex = -1;
    b.className = it.danger ? 'danger' : 'secondary';
    b.textContent = it.text;
    b.dataset.action = it.action;
    b.addEventListener('click', async () => {
      closeMenu(true);
      if (it.confirm && !(await confirmDialog({ danger: it.danger, ...it.confirm }))) return;
      it.run();
    });
    entries.push(b);
    list.append(b);
  }
  const focusAt = (i) => entries[(i + entries.length) % entries.length].focus();
  const show = () => {
    list.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    openMenu = { button, list, box };
    openLabel = label;
  };
  const open = () => {
    if (openMenu) closeMenu(false);
    show();
    focusAt(0);
  };
  list.addEventListener('focusin', (ev) => { focusedAction = ev.target.dataset.action || null; });
  if (openLabel === label && entries.length) {
    show();
    const again = entries.find((e) => e.dataset.action === focusedAction) || entries[0];
    queueMicrotask(() => { if (again.isConnected) again.focus(); });
  }
  button.addEventListener('click', () => (list.hidden ? open() : closeMenu(true)));
  button.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      open();
    }
  });
  list.addEventListener('keydown', (ev) => {
    const i = entries.indexOf(document.activeElement);
    if (ev.key === 'ArrowDown') focusAt(i + 1);
    else if (ev.key === 'ArrowUp') focusAt(i - 1);
    else if (ev.key === 'Home') focusAt(0);
    else if (ev.key === 'End') focusAt(-1);
    else if (ev.key === 'Escape') closeMenu(true);
    else if (ev.key === 'Tab') closeMenu(false);
    else return;
    if (ev.key !== 'Tab') ev.preventDefault();
    ev.stopPropagation();
  });
  if (!entries.length) return null;
  box.append(button, list);
  return box;
}

let dialog = null;

function buildDialog() {
  dialog = document.createElement('dialog');
  dialog.id = 'confirm-dialog';
  dialog.className = 'confirm-dialog';
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.setAttribute('aria-describedby', 'confirm-text');
  // Cancel is not a submit button: Enter in the comment field submits with
  // the OK button, the form's only one.
  dialog.innerHTML = '<form method="dialog"><h2 id="confirm-title"></h2><p id="confirm-text"></p>'
    + '<input id="confirm-comment" class="confirm-comment" maxlength="256" aria-required="true" hidden>'
    + '<p id="confirm-error" class="error" role="alert"></p>'
    + '<div class="buttons"><button type="button" class="secondary confirm-cancel" id="confirm-cancel">Cancel</button>'
    + '<button type="submit" value="ok" class="confirm-ok" id="confirm-ok"></button></div></form>';
  document.body.append(dialog);
  dialog.querySelector('#confirm-cancel').addEventListener('click', () => dialog.close('cancel'));
  // showModal makes the page inert, but Tab past the last control would
  // leave the document: cycle inside the dialog instead.
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const f = [...dialog.querySelectorAll('input:not([hidden]), button')];
    const i = f.indexOf(document.activeElement);
    const next = ev.shiftKey ? (i <= 0 ? f.length - 1 : i - 1) : (i === f.length - 1 ? 0 : i + 1);
    ev.preventDefault();
    f[next].focus();
  });
  dialog.querySelector('#confirm-comment').addEventListener('input', () => {
    dialog.querySelector('#confirm-error').textContent = '';
  });
  // A required comment that is empty keeps the dialog open and says so.
  dialog.querySelector('form').addEventListener('submit', (ev) => {
    const input = dialog.querySelector('#confirm-comment');
    if (input.hidden || input.value.trim()) return;
    ev.preventDefault();
    dialog.querySelector('#confirm-error').textContent = 'A comment is required.';
    input.focus();
  });
}

// A modal confirmation; resolves true when confirmed, false on Cancel or
// Escape. danger: the OK button (and the frame) red, for what cannot be
// taken back. comment: a label such as 'why (required)' adds a required
// text field, and the promise resolves to the text typed (trimmed) instead
// of true.
export function confirmDialog({
  title, text, ok = 'Confirm', danger = true, comment = null,
}) {
  if (!dialog) buildDialog();
  dialog.querySelector('#confirm-title').textContent = title;
  dialog.querySelector('#confirm-text').textContent = text || '';
  dialog.querySelector('#confirm-error').textContent = '';
  dialog.classList.toggle('danger', !!danger);
  const input = dialog.querySelector('#confirm-comment');
  input.hidden = !comment;
  input.value = '';
  input.placeholder = comment || '';
  if (comment) input.setAttribute('aria-label', comment);
  else input.removeAttribute('aria-label');
  const okButton = dialog.querySelector('#confirm-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger confirm-ok' : 'confirm-ok';
  const back = document.activeElement;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  (comment ? input : dialog.querySelector('#confirm-cancel')).focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (back && back.isConnected) back.focus();
      const yes = dialog.returnValue === 'ok';
      resolve(yes && comment ? input.value.trim() : yes);
    }, { once: true });
  });
}
