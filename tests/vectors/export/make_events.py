#!/usr/bin/env python3
"""Writes the events of the export golden test (test_export_golden.sh) as
aeogate-test-seed --json lines: hand-picked rows that exercise every rule of
the CSV and JSONL writers (nulls, quotes, commas, line breaks, formula-leading
cells, unicode, control characters, invalid UTF-8, details that are not
canonical JSON or not JSON at all), then a deterministic run of ordinary and
odd rows long enough to cross every page and chunk boundary.

    make_events.py [ROWS]     (default 6000 generated rows after the hand-picked ones)
"""
import json
import sys
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 1, 5, 8, 0, 0, tzinfo=timezone.utc)
n = 0


def ts():
    global n
    n += 1
    return (T0 + timedelta(seconds=7 * n, milliseconds=n % 1000)).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (n % 1000)


def ev(kind, **f):
    o = {"ts": ts(), "kind": kind}
    o.update(f)
    print(json.dumps(o, ensure_ascii=False))


ACCESS = dict(door="dock-1", reader="dock-1-in", zone="dock", person="E1",
              credential="uid:04a1b2c3")
ev("access.granted", detail='{"direction":"in"}', **ACCESS)
ev("access.denied", door="dock-1", reader="dock-1-in", zone="dock", person="-X1",
   credential="uid:04a1b2c4", reason="no_access", detail='{"direction":"in"}')
ev("person.added", person="-X1",
   detail='{"after":{"name":"=HYPERLINK(\\"x\\",\\"y\\"), \\"quoted\\""},"operator":"uid:0"}')
ev("alarm.acknowledged", detail='{"comment":"line one\\nline two\\r\\nthree\\ttab","operator":"uid:0"}')
ev("person.updated", detail='{"name":"Zoë Ångström 東京 🚪","operator":"uid:0"}')
ev("review.signed", detail='{"comment":"ctl \\u0001 and \\u001f and \\b\\f","operator":"x"}')
ev("config.changed", detail='{ "b": 1, "a": [1, 2, {"d": null, "c": true}] }')
ev("config.changed", detail='{"a":1.50,"b":-0,"c":1e3,"d":0.1}')
ev("config.changed", detail='{"n":123456789012345678901234}')
ev("config.changed", detail='not json, "quoted", =1+2')
ev("config.changed", detail='[3,1,2]')
ev("config.changed", detail='"just a string"')
ev("config.changed", detail='{"a":1,"a":2}')
ev("config.changed", detail='{"p":"a\\/b","u":"\\u00e9\\u2028"}')
ev("config.changed", detail='{"q":"say \\"hi\\" \\\\ back"}')
ev("config.changed", detail='{"m":-5,"n":1234567890123456789,"z":0}')
ev("config.changed", detail='{"n":123456789012345678}')
ev("access.denied", door="=cmd", reader="+x", zone="@z", person="'quoted",
   credential="\tTAB", reason="\rCR", detail='{"direction":"out"}')
ev("access.denied", door="do,or", reader='d"q', zone="zone-ü", person="a\nb",
   credential="c\r\nd", reason="-1")
ev("access.granted", person={"hex": "45ff31"}, zone="dock",
   detail={"hex": "7b2261223a22ff227d"})
ev("access.granted", door="", reader="", zone="", person="", credential="", reason="")
ev("system.note")
ev("system.note", person="'", door="'=", detail="=SUM(A1:A2)")
ev("system.note", detail="-1")
ev("system.note", detail='  {"a":1}  ')
ev("system.note", detail='{"k\\"ey":1,"k\\\\e":2}')
ev("system.note", detail='{"z":{"y":{"x":{"w":[{"v":"deep"}]}}},"a":{}}')
ev("system.note", detail="{}")
ev("system.note", detail='{"a":"' + "x" * 5000 + '"}')
ev("system.note", person="p" * 3000, detail='{"long":"' + "é" * 2500 + '"}')
ev("system.note", detail='{"a":"\\u0000"}')
ev("system.note", detail='{"tab":"\\t","slash":"/","uni":"\\ud83d\\ude80"}')
ev("door.forced", door="cage-1", zone="bonded-cage")
ev("alarm.tamper", door="cage-1", reader="cage-1-in", zone="bonded-cage",
   detail='{"line":"tamper"}')

# A deterministic run: mostly ordinary rows, every 97th an odd one.
ODD = ['{"c":"a,b"}', '{"c":"new\\nline"}', '{"c":"=1"}', 'raw text, "q"',
       '{"b":2, "a":1}', '{"r":2.5}', '{"u":"ü\\u00fc"}', '{"e":"\\u0007"}']
rows = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
seed = 12345
for i in range(rows):
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    k = seed % 7
    person = "P%05d" % (seed % 500)
    if i % 97 == 0:
        ev("access.denied", door="dock-1", reader="dock-1-in", zone="dock",
           person="-P%d" % i, credential="h10301:1:%d" % i, reason="no_access",
           detail=ODD[(i // 97) % len(ODD)])
    elif k < 3:
        ev("access.granted", door="dock-1", reader="dock-1-in", zone="dock", person=person,
           credential="h10301:1:%d" % (seed % 500), detail='{"direction":"in"}')
    elif k < 5:
        ev("access.denied", door="cage-1", reader="cage-1-in", zone="bonded-cage",
           person=person, credential="h10301:1:%d" % (seed % 500), reason="outside_schedule",
           detail='{"direction":"in"}')
    elif k == 5:
        ev("door.opened", door="office-1", zone="office")
    else:
        ev("person.updated", person=person,
           detail='{"after":{"name":"Name %d"},"before":{"name":"Old, \\"%d\\""},"operator":"uid:0"}'
           % (i, i))
