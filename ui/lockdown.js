// The lockdown banner: while a lockdown holds (site lockdown), every role
// sees a red banner naming what is locked down and the threat level, taken
// from status at sign-in and kept current by the site.* events of the live
// stream (each carries the state after it in detail.after).

// What status.lockdown and site.lockdown/site.release's detail.after hold:
// null (none), "site", or the list of zones.
export function lockdownText(lockdown) {
  if (lockdown === 'site') return 'the whole site';
  if (Array.isArray(lockdown) && lockdown.length) {
    return `zone${lockdown.length > 1 ? 's' : ''} ${lockdown.join(', ')}`;
  }
  return '';
}

export class LockdownBanner {
  constructor(node) {
    this.node = node;
    this.lockdown = null;
    this.threat = 0;
    this.comment = '';
  }

  // At sign-in: the state as system.status gives it.
  fromStatus(status) {
    this.lockdown = status.lockdown ?? null;
    this.threat = status.threat_level || 0;
    this.comment = '';
    this.render();
  }

  // A live event: site.lockdown and site.release change the banner, site.threat its level.
  onEvent(ev) {
    const d = ev.detail || {};
    if (ev.kind === 'site.lockdown' || ev.kind === 'site.release') {
      this.lockdown = d.after ?? null;
      this.comment = ev.kind === 'site.lockdown' ? d.comment || '' : '';
    } else if (ev.kind === 'site.threat' && d.after) {
      this.threat = d.after.threat_level || 0;
    } else {
      return;
    }
    this.render();
  }

  render() {
    const what = lockdownText(this.lockdown);
    this.node.hidden = !what;
    this.node.dataset.lockdown = what ? JSON.stringify(this.lockdown) : '';
    if (!what) {
      this.node.replaceChildren();
      return;
    }
    const parts = [`LOCKDOWN: ${what}. Every badge is refused except responders'; exit buttons still open.`];
    if (this.threat) parts.push(`Threat level ${this.threat}.`);
    if (this.comment) parts.push(`“${this.comment}”`);
    this.node.textContent = parts.join(' ');
  }
}
