// Door commands on each door card (README "Dashboard"): the dangerous ones
// — a momentary unlock, the unlocked mode, a lockdown of the door's zone —
// are red and wait for a confirmation dialog that names what will happen.
// The role rules are the controller's (door.unlock: guard, manager, admin;
// door.mode and site.lockdown: manager, admin); app.js shows each control
// only to those roles and the controller refuses the others anyway.
import { post } from './api.js';
import { el } from './dom.js';

// A modal confirmation (<dialog>, keyboard and screen-reader friendly):
// resolves true when the person confirmed, false on Cancel or Escape.
// With askComment, resolves the comment typed (required) instead of true.
export function confirmAction({ title, text, confirmText, askComment = null }) {
  return new Promise((resolve) => {
    const comment = askComment ? el('input', {
      class: 'confirm-comment', maxlength: 256, 'aria-required': 'true', placeholder: askComment,
      'aria-label': askComment,
    }) : null;
    const error = el('p', { class: 'error', role: 'alert' });
    const ok = el('button', { type: 'submit', class: 'danger confirm-ok', text: confirmText });
    const cancel = el('button', { type: 'button', class: 'secondary confirm-cancel', text: 'Cancel' });
    const form = el('form', { method: 'dialog' },
      el('h2', { text: title }), el('p', { class: 'confirm-text', text }), comment, error,
      el('div', { class: 'confirm-buttons' }, cancel, ok));
    const dialog = el('dialog', { class: 'confirm-dialog', 'aria-label': title }, form);
    let answer = false;
    const done = () => {
      dialog.remove();
      resolve(answer);
    };
    form.addEventListener('submit', (ev) => {
      if (comment) {
        const t = comment.value.trim();
        if (!t) {
          ev.preventDefault();
          error.textContent = 'A comment is required.';
          comment.focus();
          return;
        }
        answer = t;
      } else {
        answer = true;
      }
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', done);
    document.body.append(dialog);
    dialog.showModal();
    (comment || cancel).focus();
  });
}

// "Lock down zone Z" on a door card: site lockdown --zone Z --comment TEXT.
// Already locked down, the card says so (doorSiteLine) and the release is
// in the Lockdown panel, where the whole picture is.
// onError(e): the failure (an ApiError), or null once it worked.
export function lockdownZoneButton(d, { onDone, onError }) {
  if (d.locked_down) return null;
  return el('button', {
    type: 'button', class: 'danger lockdown-zone', text: `Lock down zone ${d.zone}`,
    'data-zone': d.zone,
    onclick: async () => {
      const comment = await confirmAction({
        title: `Lock down zone ${d.zone}?`,
        text: `Every badge in zone ${d.zone} is refused except responders'; exit buttons still open. `
          + 'Say why (recorded in the trail).',
        confirmText: `Lock down ${d.zone}`,
        askComment: 'why (required)',
      });
      if (!comment) return;
      try {
        await post('/api/site/lockdown', { zones: [d.zone], comment });
        onError(null);
      } catch (e) {
        onError(e);
      }
      onDone();
    },
  });
}
