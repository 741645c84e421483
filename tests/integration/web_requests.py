"""Raw HTTP/1.1 requests to aeogate-web for tests/integration/test_web_requests.sh.

urllib and curl fix up what a test must control (Content-Length, Host,
Origin, keep-alive), so requests here are written byte for byte and each
answer is read exactly: the status line, the headers and Content-Length
bytes of body, nothing more.

    web_requests.py PORT empty-posts USER PASSWORD N
    web_requests.py PORT edge-cases USER PASSWORD
    web_requests.py PORT allowed-hosts USER PASSWORD   (aeogate-web runs with
        --allowed-hosts dash.example,other.example:9443)

Each prints "ok - ..." lines and exits non-zero with a message on the first
check that fails.
"""
import json
import socket
import sys
import urllib.request

PORT = int(sys.argv[1])
TIMEOUT = 30  # a bound for a hung answer on a loaded machine, not a pacing


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg)


class Conn:
    """One keep-alive connection; read() returns exactly one answer."""

    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
        self.buf = b""

    def send(self, raw):
        self.s.sendall(raw)

    def _fill(self):
        b = self.s.recv(65536)
        if not b:
            raise EOFError("connection closed")
        self.buf += b

    def read(self):
        """(status, headers dict lower-case, body bytes) of the next answer."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed_after(self):
        """True when the server closes without sending anything more."""
        if self.buf:
            return False
        try:
            b = self.s.recv(65536)
        except ConnectionResetError:
            return True
        return not b

    def close(self):
        self.s.close()


def raw(method, path, headers=(), body=b"", host=None):
    h = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, "127.0.0.1:%d" % PORT if host is None else host)
    for line in headers:
        h += line + "\r\n"
    return (h + "\r\n").encode() + body


def once(method, path, headers=(), body=b"", host=None):
    c = Conn()
    try:
        c.send(raw(method, path, headers, body, host))
        return c.read()
    finally:
        c.close()


def error_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def login(user, password):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/api/login" % PORT, method="POST",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        body = json.load(r)
        return r.headers["Set-Cookie"].split(";")[0], body["csrf"]


def empty_posts(user, password, n):
    """POSTs with no body, and a GET with one: each is answered once, and
    the in-flight cap (AEOGATE_WEB_INFLIGHT_MAX) is never used up by them."""
    cookie, csrf = login(user, password)
    auth = ["Cookie: " + cookie, "X-CSRF-Token: " + csrf]
    kinds = [
        # name, request, expected status, expected error code (None: success)
        ("POST suspend, Content-Length: 0",
         raw("POST", "/api/persons/E1001/suspend", auth + ["Content-Length: 0"]),
         403, "permission_denied"),
        # lws reads what follows a POST without a length as its body: the
        # answer closes the connection instead (Connection: close).
        ("POST suspend, no Content-Length",
         raw("POST", "/api/persons/E1001/suspend", auth), 403, "permission_denied"),
        ("POST suspend, Content-Length: 0 and a JSON type",
         raw("POST", "/api/persons/E1001/suspend",
             auth + ["Content-Length: 0", "Content-Type: application/json"]),
         403, "permission_denied"),
        ("GET status with a body",
         raw("GET", "/api/status", auth + ["Content-Length: 2", "Content-Type: application/json"],
             b"{}"), 200, None),
    ]
    for i in range(n):
        name, req, want, want_code = kinds[i % len(kinds)]
        c = Conn()
        try:
            c.send(req)
            status, headers, body = c.read()
            if status != want or error_code(body) != want_code:
                fail("%s (#%d): %d %s, expected %d %s" % (name, i, status, body[:200], want,
                                                          want_code))
            if headers.get("connection", "").lower() == "close":
                if "Content-Length" in req.decode("latin-1"):
                    fail("%s (#%d): the connection was closed after the answer" % (name, i))
                if not c.closed_after():
                    fail("%s (#%d): more after the answer: %r" % (name, i, c.buf[:200]))
                continue
            # One answer only: the next request on the connection gets its own.
            c.send(raw("GET", "/api/me", ["Cookie: " + cookie]))
            status, _, body = c.read()
            if status != 200 or json.loads(body).get("user") != user:
                fail("%s (#%d): the next request on the connection got %d %s" %
                     (name, i, status, body[:200]))
        except (EOFError, OSError) as e:
            fail("%s (#%d): %s" % (name, i, e))
        finally:
            c.close()
    ok("%d requests without a body (or a GET with one): each answered once" % n)

    status, _, body = once("GET", "/api/status", ["Cookie: " + cookie])
    if status != 200:
        fail("after %d empty requests a normal request got %d %s" % (n, status, body[:200]))
    ok("after them a normal request still gets 200 (the in-flight cap is free)")

    # Logout with an empty body, each on a session of its own.
    for length in (["Content-Length: 0"], []):
        cookie2, csrf2 = login(user, password)
        c = Conn()
        c.send(raw("POST", "/api/logout", ["Cookie: " + cookie2, "X-CSRF-Token: " + csrf2] + length))
        status, headers, body = c.read()
        if status != 200 or not json.loads(body).get("logged_out"):
            fail("POST /api/logout %s got %d %s" % (length, status, body[:200]))
        if "Max-Age=0" not in headers.get("set-cookie", ""):
            fail("logout did not clear the cookie: %s" % headers)
        if length:
            c.send(raw("GET", "/api/me", ["Cookie: " + cookie2]))
            status, _, body = c.read()
        else:
            if not c.closed_after():
                fail("more after the logout's answer: %r" % c.buf[:200])
            status, _, body = once("GET", "/api/me", ["Cookie: " + cookie2])
        c.close()
        if status != 200 or json.loads(body) != {"signed_in": False}:
            fail("after logout /api/me got %d %s" % (status, body[:200]))
    ok("POST /api/logout with Content-Length: 0 or none is answered once and ends the session")


def ws_headers(cookie, protocol="aeogate-stream", origin=None):
    h = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Cookie: " + cookie]
    if protocol is not None:
        h.append("Sec-WebSocket-Protocol: " + protocol)
    if origin is not None:
        h.append("Origin: " + origin)
    return h


def expect(name, got, want_status, want_code=None):
    status, _, body = got
    if status != want_status or (want_code and error_code(body) != want_code):
        fail("%s: %d %s, expected %d %s" % (name, status, body[:200], want_status,
                                             want_code or ""))
    if status >= 400 and status != 101:
        msg = json.loads(body)["error"]["message"]
        if not msg:
            fail("%s: no message" % name)


def edge_cases(user, password):
    cookie, csrf = login(user, password)
    here = "127.0.0.1:%d" % PORT
    auth = ["Cookie: " + cookie, "X-CSRF-Token: " + csrf]
    # A guard may acknowledge alarms: with a valid type this reaches the
    # controller, which answers 404 for an alarm that does not exist.
    ack = b'{"id":999999,"comment":"edge case"}'

    def post_ack(ctype, extra=(), host=None):
        h = auth + ["Content-Length: %d" % len(ack)] + list(extra)
        if ctype is not None:
            h.append("Content-Type: " + ctype)
        return once("POST", "/api/alarms/ack", h, ack, host=host)

    # The stream: only with its subprotocol, only at /api/stream.
    expect("stream upgrade", once("GET", "/api/stream", ws_headers(cookie)), 101)
    expect("stream upgrade without a subprotocol",
           once("GET", "/api/stream", ws_headers(cookie, None)), 400, "bad_request")
    expect("stream upgrade with another subprotocol",
           once("GET", "/api/stream", ws_headers(cookie, "chat")), 400, "bad_request")
    # lws binds the first name it knows: the internal control-socket protocol must not be one.
    for protos in ("aeogate-ctl", "aeogate-ctl, aeogate-stream", "http, aeogate-stream",
                   "aeogate-stream, aeogate-stream"):
        expect("stream upgrade with subprotocols " + protos,
               once("GET", "/api/stream", ws_headers(cookie, protos)), 400, "bad_request")
    expect("upgrade elsewhere, no subprotocol",
           once("GET", "/api/status", ws_headers(cookie, None)), 404, "not_found")
    expect("upgrade elsewhere with the subprotocol",
           once("GET", "/index.html", ws_headers(cookie)), 404, "not_found")
    ok("a WebSocket upgrade without the aeogate-stream subprotocol, or off /api/stream, "
       "gets 400/404, not 101")

    # Content-Type: the media type exactly, any case, parameters allowed.
    for ctype in ("application/json", "application/json; charset=utf-8", "Application/JSON",
                  "application/json ;charset=UTF-8", "application/json;"):
        expect("Content-Type: %s" % ctype, post_ack(ctype), 404, "not_found")
    for ctype in ("application/jsonx", "application/json-patch+json", "application/jsonp; a=b",
                  "text/plain; type=application/json", "application", "", None):
        expect("Content-Type: %s" % ctype, post_ack(ctype), 415, "unsupported_media_type")
    ok("Content-Type is application/json exactly (any case, parameters allowed); "
       "application/jsonx and the like get 415")

    # Host: the listen address (or localhost, it being loopback) and port.
    for host in (here, "localhost:%d" % PORT, "LOCALHOST:%d" % PORT):
        expect("Host: " + host, once("GET", "/api/status", ["Cookie: " + cookie], host=host), 200)
    for host in ("evil.example:%d" % PORT, "evil.example", "127.0.0.1", "127.0.0.1:%d" % (PORT + 1),
                 "127.0.0.1.nip.io:%d" % PORT, "[::1]:%d" % PORT, "127.0.0.1:%d:1" % PORT,
                 "user@127.0.0.1:%d" % PORT, ""):
        expect("Host: " + host, once("GET", "/api/status", ["Cookie: " + cookie], host=host),
               421, "misdirected_request")
        expect("Host: %s (static)" % host, once("GET", "/index.html", host=host),
               421, "misdirected_request")
    expect("Host: evil (login)", once("POST", "/api/login",
           ["Content-Type: application/json", "Content-Length: 2"], b"{}", host="evil.example"),
           421, "misdirected_request")
    expect("Host: evil (stream)", once("GET", "/api/stream", ws_headers(cookie),
                                       host="evil.example:%d" % PORT), 421, "misdirected_request")
    ok("a Host other than the listen address gets 421 (API, files, login, stream)")

    # Origin: scheme, host and port of what is served.
    for origin in ("http://" + here, "http://localhost:%d" % PORT):
        expect("Origin: " + origin, post_ack("application/json", ["Origin: " + origin]),
               404, "not_found")
    for origin in ("https://" + here, "http://evil.example", "http://evil.example:%d" % PORT,
                   "http://127.0.0.1:%d" % (PORT + 1), "null", "http://" + here + "/",
                   "ws://" + here, here, "http://127.0.0.1"):
        expect("Origin: " + origin, post_ack("application/json", ["Origin: " + origin]),
               403, "bad_origin")
        expect("Origin: %s (GET)" % origin,
               once("GET", "/api/status", ["Cookie: " + cookie, "Origin: " + origin]),
               403, "bad_origin")
        expect("Origin: %s (stream)" % origin,
               once("GET", "/api/stream", ws_headers(cookie, origin=origin)), 403, "bad_origin")
    expect("stream, same origin",
           once("GET", "/api/stream", ws_headers(cookie, origin="http://" + here)), 101)
    ok("an Origin whose scheme, host or port is not what is served gets 403")


def allowed_hosts(user, password):
    cookie, _ = login(user, password)
    for host in ("dash.example:%d" % PORT, "DASH.example:%d" % PORT, "other.example:9443",
                 "127.0.0.1:%d" % PORT):
        expect("Host: " + host, once("GET", "/api/status", ["Cookie: " + cookie], host=host), 200)
    for host in ("dash.example", "dash.example:9443", "other.example:%d" % PORT,
                 "evil.example:%d" % PORT, "sub.dash.example:%d" % PORT):
        expect("Host: " + host, once("GET", "/api/status", ["Cookie: " + cookie], host=host),
               421, "misdirected_request")
    expect("Origin http://dash.example", once("GET", "/api/status",
           ["Cookie: " + cookie, "Origin: http://dash.example:%d" % PORT]), 200)
    expect("Origin https://dash.example", once("GET", "/api/status",
           ["Cookie: " + cookie, "Origin: https://dash.example:%d" % PORT]), 403, "bad_origin")
    ok("--allowed-hosts: the names listed (with the listen port unless one is given) and "
       "the listen address, nothing else")


def main():
    cmd = sys.argv[2]
    if cmd == "empty-posts":
        empty_posts(sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif cmd == "edge-cases":
        edge_cases(sys.argv[3], sys.argv[4])
    elif cmd == "allowed-hosts":
        allowed_hosts(sys.argv[3], sys.argv[4])
    else:
        fail("unknown command " + cmd)


main()
