// Human-readable text for events, and times in the site's time zone.
let zone = 'UTC';
let fmt = null;

export function setTimeZone(tz) {
  try {
    fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    });
    zone = tz;
  } catch {
    fmt = null;
    zone = 'UTC';
  }
}

export function timeZoneLabel() {
  return zone;
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (!fmt) setTimeZone(zone);
  return fmt ? fmt.format(d) : d.toISOString();
}

const REASONS = {
  bad_parity: 'badge read failed its parity check',
  unknown_format: 'badge format not accepted by this reader',
  unknown_credential: 'unknown badge',
  credential_revoked: 'badge revoked',
  credential_suspended: 'badge suspended',
  credential_lost: 'badge reported lost',
  person_inactive: 'person suspended',
  person_terminated: 'person terminated',
  not_yet_valid: 'not yet valid',
  expired: 'validity expired',
  no_access: 'no access level for this zone',
  door_locked_down: 'door locked down',
  internal_error: 'controller error (denied)',
  outside_schedule: 'outside schedule',
  bad_password: 'wrong password',
  unknown_user: 'unknown user',
  disabled: 'user disabled',
  throttled: 'too many attempts (locked out)',
};

export function reasonText(code) {
  if (!code) return '';
  return REASONS[code] || code.replace(/_/g, ' ');
}

const KINDS = {
  'access.granted': 'Access granted',
  'access.denied': 'Access denied',
  'door.forced': 'DOOR FORCED',
  'door.held': 'DOOR HELD OPEN',
  'door.opened': 'Door opened',
  'door.closed': 'Door closed',
  'door.locked': 'Door locked',
  'door.unlocked': 'Door unlocked',
  'door.rex': 'Exit button',
  'user.login': 'Sign-in',
  'user.login_failed': 'Failed sign-in',
  'user.logout': 'Sign-out',
  'system.start': 'Controller started',
  'system.stop': 'Controller stopped',
};

export function kindText(kind) {
  return KINDS[kind] || kind;
}

export function isAlarm(ev) {
  return ev.kind === 'door.forced' || ev.kind === 'door.held' || ev.kind.startsWith('alarm.');
}

export function eventClass(ev) {
  if (isAlarm(ev)) return 'ev-alarm';
  if (ev.kind === 'access.denied' || ev.kind === 'user.login_failed') return 'ev-denied';
  if (ev.kind === 'access.granted') return 'ev-granted';
  return 'ev-info';
}
