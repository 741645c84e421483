"""Helpers for integration tests that act as other local users (root only)."""
import json
import os


def as_uid(uid, fn, gid=None):
    """Runs fn in a forked child as uid (and gid, default uid, no
    supplementary groups); returns fn's result, passed back as JSON."""
    rd, wr = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(rd)
            os.setgroups([])
            os.setgid(uid if gid is None else gid)
            os.setuid(uid)
            os.write(wr, json.dumps(fn()).encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = b""
    while True:
        chunk = os.read(rd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    os.waitpid(child, 0)
    return json.loads(data)
