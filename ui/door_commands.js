// Door commands on each door card (README "Dashboard"): the dangerous ones
// — a momentary unlock, the unlocked mode, a lockdown of the door's zone —
// are red and wait for the confirmation dialog (ui/menu.js) that names what
// will happen.
// The role rules are the controller's (door.unlock: guard, manager, admin;
// door.mode and site.lockdown: manager, admin); app.js shows each control
// only to those roles and the controller refuses the others anyway.
import { post } from './api.js';
import { el } from './dom.js';
import { confirmDialog } from './menu.js';

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
      const comment = await confirmDialog({
        title: `Lock down zone ${d.zone}?`,
        text: `Every badge in zone ${d.zone} is refused except responders'; exit buttons still open. `
          + 'Say why (recorded in the trail).',
        ok: `Lock down ${d.zone}`,
        comment: 'why (required)',
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
