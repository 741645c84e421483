// ui/format.js in node (no browser): the one date format, the UTC hover text,
// site-time input parsing, and the feed's sentences with who and what.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const SOURCE_DIR = process.env.SOURCE_DIR || process.cwd();
const f = await import(join(SOURCE_DIR, 'ui/format.js'));

test('times are site time as 2026-12-06 20:36:55, dates alone as 2026-12-06, UTC on hover', () => {
  f.setTimeZone('Europe/Amsterdam');
  assert.equal(f.formatTime('2026-12-06T19:36:55.123Z'), '2026-12-06 20:36:55');
  assert.equal(f.formatTime('2026-07-01T22:00:00Z'), '2026-07-02 00:00:00', 'summer time, past midnight');
  assert.equal(f.formatTime('2026-12-06T23:00:00Z'), '2026-12-07 00:00:00', 'hour 00, not 24');
  assert.equal(f.formatDate('2026-12-06T23:30:00Z'), '2026-12-07');
  assert.equal(f.formatUtc('2026-12-06T19:36:55.123Z'), '2026-12-06 19:36:55 UTC');
  assert.equal(f.formatTime(null), '—');
  assert.equal(f.formatTime('not a time'), 'not a time');
  f.setTimeZone('America/New_York');
  assert.equal(f.formatTime('2026-12-06T19:36:55Z'), '2026-12-06 14:36:55');
  f.setTimeZone('Europe/Amsterdam');
});

test('a typed site time reads the same with a space or a T', () => {
  assert.equal(f.siteLocalToUtc('2026-12-06 20:36'), '2026-12-06T19:36:00Z');
  assert.equal(f.siteLocalToUtc('2026-12-06T20:36:10'), '2026-12-06T19:36:10Z');
  assert.throws(() => f.siteLocalToUtc('06/12/2026 20:36'), /not a time/);
});

test('the feed says who did what, never with the internal user: prefix', () => {
  assert.equal(f.eventSentence({ kind: 'level.added', detail: { after: { name: 'dock-staff' }, operator: 'user:demo-admin' } }),
    'Level dock-staff added by demo-admin');
  assert.equal(f.eventSentence({ kind: 'alarm.acknowledged',
    detail: { comment: 'checked, door closed', operator: 'user:demo-guard' } }),
  'Alarm acknowledged by demo-guard: "checked, door closed"');
  assert.equal(f.eventSentence({ kind: 'badge.issued', person: 'E1', credential: 'h10301:12:3456',
    detail: { operator: 'uid:0' } }), 'Badge h10301:12:3456 issued to E1 by root (command line)');
  assert.equal(f.eventSentence({ kind: 'access.granted', detail: {} }), null);
  assert.equal(f.actorText('user:guard1'), 'guard1');
  assert.equal(f.actorText('uid:1000'), 'command line (uid 1000)');
  assert.equal(f.eventSentence({ kind: 'badge.revoked', person: 'E1', credential: 'h10301:12:3456',
    detail: { operator: 'office:hq' } }), 'Badge h10301:12:3456 of E1 revoked by the office (hq)');
  assert.equal(f.eventSentence({ kind: 'sync.applied', detail: { version: 4, ops: 2, operator: 'office:hq' } }),
    'Change set 4 applied (2 changes) by the office (hq)');
  assert.equal(f.eventSentence({ kind: 'sync.rejected', detail: { reason: 'bad_signature', operator: 'uid:0' } }),
    'Message from the office refused (bad signature) by root (command line)');
});

test('every event kind the README lists has words of its own', () => {
  const readme = readFileSync(join(SOURCE_DIR, 'README.md'), 'utf8');
  const kinds = new Set([...readme.matchAll(/^\| `([a-z_]+\.[a-z_]+)`/gm)].map((m) => m[1])
    .filter((k) => !k.endsWith('.service')));
  assert.ok(kinds.size > 40, `kinds found: ${kinds.size}`);
  const bare = [...kinds].filter((k) => f.kindText(k) === k);
  assert.deepEqual(bare, []);
});
