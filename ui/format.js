// Human-readable text for events, and times in the site's time zone.
let zone = 'UTC';
let fmt = null;

// One format for every time on every page, whatever the browser's locale:
// site time, ISO order, 24 h ('2026-12-06 20:36:55'); dates alone as
// '2026-12-06'. The parts come from Intl (which knows the zone's rules),
// the order and separators from here.
export function setTimeZone(tz) {
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
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

function isoParts(d) {
  if (!fmt) setTimeZone(zone);
  const p = Object.fromEntries(fmt.formatToParts(d).map((x) => [x.type, x.value]));
  return p;
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = isoParts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// A "last day" or "since" field: the site-time date alone.
export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = isoParts(d);
  return `${p.year}-${p.month}-${p.day}`;
}

// The same instant in UTC, for the hover text (title) of every shown time.
export function formatUtc(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// A <time> element: site time shown, UTC on hover.
export function timeElement(iso, { dateOnly = false } = {}) {
  const t = document.createElement('time');
  if (iso) t.setAttribute('datetime', iso);
  t.textContent = dateOnly ? formatDate(iso) : formatTime(iso);
  const utc = formatUtc(iso);
  if (utc) t.title = utc;
  return t;
}

// The zone's offset from UTC at an instant, in ms (positive east of Greenwich).
function zoneOffsetMs(tz, utcMs) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day),
    Number(p.hour), Number(p.minute), Number(p.second));
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

// A wall-clock time in the site's zone ('YYYY-MM-DDTHH:MM[:SS]', as a
// datetime-local input gives it) as UTC ISO 8601 ('…Z'). A time in the hour
// a DST change skips or repeats resolves to one valid reading of it.
export function siteLocalToUtc(local, tz = zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) throw new Error(`not a time: ${local}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]),
    Number(m[6] || 0));
  let t = wall - zoneOffsetMs(tz, wall);
  t = wall - zoneOffsetMs(tz, t);
  return new Date(t).toISOString().replace(/\.000Z$/, 'Z');
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
  ambiguous_credential: 'the frame matches two enrolled badges',
  storage_failure: 'could not be recorded (storage failing)',
  vetting_required: 'vetting required for this zone',
  vetting_overdue: 'vetting re-check overdue',
  door_locked: 'door locked (mode)',
  pin_required: 'PIN required',
  wrong_pin: 'wrong PIN',
  pin_locked: 'PIN locked after wrong attempts',
  two_person_timeout: 'no second person in time (two-person rule)',
  escort_required: 'visitor without escort',
  door_locked_down: 'door locked down',
  threat_level: 'clearance below the threat level',
  interlock: 'interlock: another door of the airlock is open',
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

const MODES = {
  card: 'card',
  card_and_pin: 'card + PIN',
  unlocked: 'unlocked',
  locked: 'locked (badges refused)',
};

// A door's mode as the door board shows it.
export function modeText(mode) {
  return MODES[mode] || mode || 'card';
}

const KINDS = {
  'access.granted': 'Access granted',
  'access.denied': 'Access denied',
  'access.pending': 'Waiting for a second person',
  'visitor.added': 'Visitor registered',
  'visitor.ended': 'Visit ended',
  'door.forced': 'DOOR FORCED',
  'door.held': 'DOOR HELD OPEN',
  'door.opened': 'Door opened',
  'door.closed': 'Door closed',
  'door.locked': 'Door locked',
  'door.unlocked': 'Door unlocked',
  'door.rex': 'Exit button',
  'door.mode': 'Door mode',
  'door.remote_unlock': 'Door unlocked remotely',
  'door.updated': 'Door schedule changed',
  'door.rex_dropped': 'Exit button dropped (interlock)',
  'site.lockdown': 'SITE LOCKDOWN',
  'site.release': 'Lockdown released',
  'site.threat': 'Threat level changed',
  'sync.applied': 'Office change set applied',
  'sync.rejected': 'Office message refused',
  'user.login': 'Sign-in',
  'user.login_failed': 'Failed sign-in',
  'user.logout': 'Sign-out',
  'system.start': 'Controller started',
  'system.stop': 'Controller stopped',
  'alarm.tamper': 'TAMPER',
  'alarm.storage': 'STORAGE FAULT',
  'alarm.duress': 'DURESS',
  'alarm.acknowledged': 'Alarm acknowledged',
  'alarm.closed': 'Alarm closed',
  'badge.issued': 'Badge issued',
  'badge.revoked': 'Badge revoked',
  'badge.suspended': 'Badge suspended',
  'badge.reinstated': 'Badge reinstated',
  'badge.lost': 'Badge lost or stolen',
  'badge.returned': 'Badge returned',
  'person.added': 'Person enrolled',
  'person.updated': 'Person changed',
  'person.terminated': 'Person terminated',
  'person.pin_set': 'PIN set or cleared',
  'person.pin_unlocked': 'PIN unlocked',
  'person.photo': 'Photo changed',
  'level.added': 'Level added',
  'level.updated': 'Level changed',
  'level.removed': 'Level removed',
  'zone.updated': 'Zone changed',
  'person.vetted': 'Vetting recorded',
  'schedule.added': 'Schedule added',
  'schedule.updated': 'Schedule changed',
  'schedule.removed': 'Schedule removed',
  'holiday.added': 'Holiday added',
  'holiday.removed': 'Holiday removed',
  'alarm.backup': 'BACKUP FAILED',
  'alarm.escalated': 'ALARM ESCALATED',
  'alarm.tamper_restored': 'Tamper cleared',
  'apb.forgiven': 'Anti-passback forgiven',
  'apb.violation': 'Anti-passback violation',
  'audit.head_invalid': 'AUDIT HEAD INVALID',
  'audit.pruned': 'Old events pruned',
  'audit.truncated': 'AUDIT LOG TRUNCATED',
  'clock.jump': 'Clock stepped',
  'clock.sync_changed': 'Clock sync changed',
  'config.reloaded': 'Configuration reloaded',
  'expiry.warning': 'Validity ending soon',
  'reader.keyset': 'Reader key set',
  'reader.input': 'Reader input changed',
  'reader.remote_status': 'Attached reader status changed',
  'reader.comset': 'Reader address or speed changed',
  'site.plan': 'Site plan changed',
  'site.marker': 'Door placed on the site plan',
  'reader.noise': 'Reader noise',
  'reader.offline': 'Reader offline',
  'reader.online': 'Reader online',
  'reader.secure_channel': 'Reader secure channel',
  'reader.tamper': 'Reader tamper',
  'review.signed': 'Access review signed',
  'system.backup': 'Backup written',
  'system.storage_reserve_restored': 'Storage reserve restored',
  'system.unclean_stop': 'Controller had stopped uncleanly',
  'user.added': 'User added',
  'user.disabled': 'User disabled',
  'user.enabled': 'User enabled',
  'user.password_changed': 'Password changed',
  'user.removed': 'User removed',
};

export function kindText(kind) {
  return KINDS[kind] || kind;
}

// A display rule, not the alarm list: which kinds raise an alarm is the
// controller's kinds table (include/aeogate/event.h); this marks the events
// that may change the alarm list (so it is reloaded) and are shown in red.
// docs/web.md, "The dashboard", says why the two differ.
export function isAlarm(ev) {
  return ev.kind === 'door.forced' || ev.kind === 'door.held' || ev.kind.startsWith('alarm.');
}

// Which alarm a guard must see first: a duress PIN (someone is being forced
// through a door) before every other kind. Lower ranks first.
export function alarmRank(kind) {
  return kind === 'alarm.duress' ? 0 : 1;
}

export function eventClass(ev) {
  if (isAlarm(ev)) return 'ev-alarm';
  if (ev.kind === 'access.denied' || ev.kind === 'user.login_failed') return 'ev-denied';
  if (ev.kind === 'access.granted') return 'ev-granted';
  return 'ev-info';
}

// The site-zone calendar date ('YYYY-MM-DD') of a UTC instant (ms).
function siteDateOf(ms, tz = zone) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

function nextDate(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// Validity dates, as a date input shows them in the site's zone. A validity
// starts at the start of its first day and ends, exclusively, at the end of
// its last: "valid until 2026-03-31" lets the badge in all of March 31st,
// site time, and stores the instant 2026-04-01T00:00 site time (in UTC).
export function validFromToUtc(date, tz = zone) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date: ${date}`);
  return siteLocalToUtc(`${date}T00:00`, tz);
}

export function validUntilToUtc(date, tz = zone) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date: ${date}`);
  return siteLocalToUtc(`${nextDate(date)}T00:00`, tz);
}

// The date input value for a stored bound ('' for none): the day a
// valid_from starts on, the last day a valid_until still covers.
export function validFromDate(iso, tz = zone) {
  return iso ? siteDateOf(new Date(iso).getTime(), tz) : '';
}

export function validUntilDate(iso, tz = zone) {
  return iso ? siteDateOf(new Date(iso).getTime() - 1, tz) : '';
}

// Who did it, as a person reads it: a dashboard user by name (never the
// controller's internal 'user:' prefix), the command line by what it is.
export function actorText(op) {
  if (!op) return '';
  if (op.startsWith('user:')) return op.slice(5);
  if (op === 'uid:0') return 'root (command line)';
  if (op.startsWith('uid:')) return `command line (uid ${op.slice(4)})`;
  // A change the security office signed (README "Signed change sets and commands").
  if (op.startsWith('office:')) return `the office (${op.slice(7)})`;
  return op;
}

const nameOf = (d, key) => (d.after && d.after[key]) || (d.before && d.before[key]) || d[key] || '';
const changes = (d) => Object.keys(d.after || {})
  .filter((k) => d.before && k in d.before)
  .map((k) => `${k.replace(/_/g, ' ')} ${d.before[k] ?? 'none'} → ${d.after[k] ?? 'none'}`)
  .join(', ');

// "Ann Example (E1042)", or the id alone when the controller knows no name
// (people by name beside their id, issue 17: the id stays, two people may
// share a name and the log keys on the id).
export function personText(id, name) {
  if (!id) return '';
  return name ? `${name} (${id})` : id;
}
const who = (ev) => personText(ev.person, ev.person_name);
const subject = (ev) => (ev.person_name ? who(ev) : `Person ${ev.person}`);

// One sentence per kind that a person caused: what changed, then (added by
// eventSentence) by whom and their comment.
const SENTENCES = {
  'level.added': (d) => `Level ${nameOf(d, 'name') || d.level} added`,
  'level.updated': (d) => `Level ${nameOf(d, 'name') || d.level} changed`,
  'level.removed': (d) => `Level ${nameOf(d, 'name') || d.level} removed`,
  'person.added': (d, ev) => `${nameOf(d, 'name') ? nameOf(d, 'name') + ' ' : ''}(${ev.person}) enrolled`,
  'person.updated': (d, ev) => `${subject(ev)} changed${changes(d) ? ': ' + changes(d) : ''}`,
  'person.suspended': (d, ev) => `${subject(ev)} suspended`,
  'person.reinstated': (d, ev) => `${subject(ev)} reinstated`,
  'person.terminated': (d, ev) => `${subject(ev)} terminated`,
  'person.pin_set': (d, ev) => `PIN of ${who(ev)} set or cleared`,
  'person.pin_unlocked': (d, ev) => `PIN of ${who(ev)} unlocked`,
  'person.vetted': (d, ev) => `Vetting of ${who(ev)} recorded`,
  'person.photo': (d, ev) => `Photo of ${who(ev)} ${d.action === 'removed' ? 'removed' : 'set'}`,
  'badge.issued': (d, ev) => `Badge ${ev.credential} issued to ${who(ev)}`,
  'badge.revoked': (d, ev) => `Badge ${ev.credential} of ${who(ev)} revoked`,
  'badge.suspended': (d, ev) => `Badge ${ev.credential} of ${who(ev)} suspended`,
  'badge.reinstated': (d, ev) => `Badge ${ev.credential} of ${who(ev)} reinstated`,
  'badge.lost': (d, ev) => `Badge ${ev.credential} of ${who(ev)} reported lost or stolen`,
  'badge.returned': (d, ev) => `Badge ${ev.credential} of ${who(ev)} returned`,
  'schedule.added': (d) => `Schedule ${d.schedule || nameOf(d, 'name')} added`,
  'schedule.updated': (d) => `Schedule ${d.schedule || nameOf(d, 'name')} changed`,
  'schedule.removed': (d) => `Schedule ${d.schedule || nameOf(d, 'name')} removed`,
  'holiday.added': (d) => `Holiday ${nameOf(d, 'name')} (${d.date || nameOf(d, 'date')}) added`,
  'holiday.removed': (d) => `Holiday ${d.date || nameOf(d, 'date')} removed`,
  'zone.updated': (d, ev) => `Zone ${d.zone || ev.zone} changed${changes(d) ? ': ' + changes(d) : ''}`,
  'user.login': (d) => `${d.user} signed in`,
  'user.logout': (d) => `${d.user} signed out`,
  'user.login_failed': (d) => `Failed sign-in as ${d.user || 'an unknown user'}`,
  'user.added': (d) => `User ${d.user} (${d.role || nameOf(d, 'role')}) added`,
  'user.disabled': (d) => `User ${d.user} disabled`,
  'user.enabled': (d) => `User ${d.user} enabled`,
  'user.password_changed': (d) => `Password of ${d.user} changed`,
  'user.removed': (d) => `User ${d.user} removed`,
  'alarm.acknowledged': () => 'Alarm acknowledged',
  'alarm.closed': () => 'Alarm closed',
  'visitor.added': (d, ev) => `Visitor ${nameOf(d, 'name') || ev.person} registered`,
  'visitor.ended': (d, ev) => `Visit of ${who(ev)} ended`,
  'sync.applied': (d) => `Change set ${d.version} applied (${d.ops} ${d.ops === 1 ? 'change' : 'changes'})`,
  'sync.rejected': (d) => `Message from the office refused (${(d.reason || '').replace(/_/g, ' ')})`,
};

// The feed's sentence for an event a person caused (null for the others):
// 'Level dock-staff added by demo-admin',
// 'Alarm acknowledged by demo-guard: "checked, door closed"'.
export function eventSentence(ev) {
  const f = SENTENCES[ev.kind];
  if (!f) return null;
  const d = ev.detail || {};
  let s;
  try {
    s = f(d, ev);
  } catch {
    s = kindText(ev.kind);
  }
  const who = actorText(d.operator || d.by);
  if (who) s += ` by ${who}`;
  const said = d.comment || d.outcome;
  if (said) s += `: "${said}"`;
  return s;
}
