// Dashboard users (README "Dashboard"): the admin's Users page adds a user
// (a typed password, or one the controller generates and shows once),
// disables, enables and resets them — the same ops as `aeogatectl user
// add|disable|enable|passwd` (POST /api/users, /api/users/disable,
// /api/users/enable, /api/users/passwd). Every user changes their own
// password on "My password" (POST /api/me/password: current and new, the
// new one typed twice); every session of theirs ends then, this one too.
import { get, post, ApiError, newestLoad } from './api.js';
import { timeElement } from './format.js';
import { rowMenu } from './menu.js';
import { el } from './dom.js';

const $ = (sel) => document.querySelector(sel);
const MIN_CHARS = 12; // AEOGATE_PASSWORD_MIN_CHARS: the controller says so too

// A generated password, shown once: whoever needs it copies it now.
function showGenerated(box, user, password) {
  box.replaceChildren(
    el('span', { text: `Password for ${user}, shown once — copy it now: ` }),
    el('code', { class: 'generated-password', text: password }));
  box.hidden = false;
}

// A typed password twice, or nothing when "generate" is chosen: the body's
// password part, or an error text.
function passwordPart(generate, pw1, pw2) {
  if (generate) return { body: { generate: true } };
  if (pw1.length < MIN_CHARS) return { error: `The password needs at least ${MIN_CHARS} characters.` };
  if (pw1 !== pw2) return { error: 'The two passwords differ.' };
  return { body: { password: pw1 } };
}

// onError(e): the page's handler (401 → sign in); onSignedOut(msg): after
// the own password changed, the session is gone.
export function setupUsers({ onError, onSignedOut }) {
  const list = $('#users');
  const add = $('#user-add');
  const addStatus = $('#user-add-status');
  const generated = $('#user-generated');

  const usersLoad = newestLoad();
  async function load() {
    const newest = usersLoad();
    try {
      const users = await get('/api/users');
      if (!newest()) return;
      list.replaceChildren(...users.map((u) => el('tr', { 'data-user': u.name, 'data-disabled': u.disabled ? 'true' : 'false' },
        el('td', { text: u.name }), el('td', { text: u.role }),
        el('td', { class: 'user-state', text: u.disabled ? 'disabled' : 'active' }),
        el('td', {}, timeElement(u.created)),
        el('td', { class: 'actions' }, ...actions(u)))));
    } catch (e) {
      if (newest()) onError(e);
    }
  }

  // The row's actions behind one Actions menu: Disable (red, confirmed) or
  // Enable, and Reset password, which opens the row's reset form.
  function actions(u) {
    const err = el('span', { class: 'error', role: 'alert' });
    const form = resetForm(u, err);
    const menu = rowMenu(`user ${u.name}`, [
      u.disabled
        ? { text: 'Enable', action: 'enable', run: () => change('/api/users/enable', { name: u.name }, err, `${u.name} enabled.`) }
        : {
          text: 'Disable', action: 'disable', danger: true,
          confirm: { title: `Disable ${u.name}?`, text: `${u.name} can no longer sign in; their open sessions end now.`, ok: `Disable ${u.name}` },
          run: () => change('/api/users/disable', { name: u.name }, err, `${u.name} disabled; their sessions ended.`),
        },
      {
        text: 'Reset password', action: 'reset',
        run: () => {
          form.hidden = false;
          form.querySelector('input').focus();
        },
      },
    ]);
    return [menu, form, err];
  }

  function resetForm(u, err) {
    const gen = el('input', { type: 'checkbox', class: 'reset-generate', checked: true, 'aria-label': `generate a password for ${u.name}` });
    const pw1 = el('input', { type: 'password', class: 'reset-pw1', autocomplete: 'new-password', 'aria-label': `new password for ${u.name}`, placeholder: 'new password' });
    const pw2 = el('input', { type: 'password', class: 'reset-pw2', autocomplete: 'new-password', 'aria-label': `new password for ${u.name}, again`, placeholder: 'again' });
    const typed = el('span', { class: 'typed', hidden: true }, pw1, pw2);
    gen.addEventListener('change', () => { typed.hidden = gen.checked; });
    const form = el('form', { class: 'user-reset-form', hidden: true, 'aria-label': `Reset the password of ${u.name}` },
      el('label', {}, gen, ' generate'), typed,
      el('button', { type: 'submit', class: 'user-reset-submit', text: 'Reset' }),
      el('button', {
        type: 'button', class: 'secondary user-reset-cancel', text: 'Cancel',
        onclick: () => {
          form.hidden = true;
          pw1.value = pw2.value = '';
          err.textContent = '';
        },
      }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const part = passwordPart(gen.checked, pw1.value, pw2.value);
      if (part.error) {
        err.textContent = part.error;
        return;
      }
      const r = await change('/api/users/passwd', { name: u.name, ...part.body }, err,
        `Password of ${u.name} reset; their sessions ended.`);
      pw1.value = pw2.value = '';
      if (r && r.password) showGenerated(generated, u.name, r.password);
    });
    return form;
  }

  async function change(path, body, err, done) {
    try {
      const r = await post(path, body);
      err.textContent = '';
      addStatus.textContent = done;
      await load();
      return r;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onError(e);
      else err.textContent = e.message;
      return null;
    }
  }

  const addGen = add.querySelector('input[name=generate]');
  const addTyped = add.querySelector('.typed');
  addGen.addEventListener('change', () => { addTyped.hidden = addGen.checked; });
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = add.querySelector('.error');
    const name = add.elements.name.value.trim();
    const part = passwordPart(addGen.checked, add.elements.pw1.value, add.elements.pw2.value);
    if (!name) {
      err.textContent = 'A name is required.';
      return;
    }
    if (part.error) {
      err.textContent = part.error;
      return;
    }
    generated.hidden = true;
    const r = await change('/api/users', { name, role: add.elements.role.value, ...part.body }, err, `User ${name} added.`);
    if (!r) return;
    add.reset();
    addTyped.hidden = addGen.checked;
    if (r.password) showGenerated(generated, name, r.password);
  });

  // My password: every role.
  const mine = $('#my-password');
  mine.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = mine.querySelector('.error');
    const current = mine.elements.current.value;
    const part = passwordPart(false, mine.elements.pw1.value, mine.elements.pw2.value);
    if (!current) {
      err.textContent = 'Type your current password.';
      return;
    }
    if (part.error) {
      err.textContent = part.error;
      return;
    }
    try {
      await post('/api/me/password', { current, password: part.body.password });
      mine.reset();
      err.textContent = '';
      onSignedOut('Password changed: sign in with the new one.');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onError(e);
      else err.textContent = e.message;
    }
  });

  return { load, clear: () => { generated.hidden = true; generated.replaceChildren(); } };
}
