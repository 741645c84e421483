#!/bin/bash
# aeogate-web under TLS (libwebsockets with OpenSSL): the dashboard and the
# API answer over HTTPS only, the session cookie carries Secure, HttpOnly and
# SameSite=Strict, and a plain-HTTP request gets no session.
source "$(dirname "$0")/lib.sh"

WEB="$BUILD_DIR/controller/web/aeogate-web"
write_sim_config
start_daemon "$T/sim.ini"
echo "correct horse battery staple" | ctl user add guard1 --role guard >/dev/null

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl could not make a certificate"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	--ui "$SOURCE_DIR/ui" >>"$T/web.log" 2>&1 &
BG_PIDS+=($!)
wait_for 10 curl -ksf -o /dev/null "https://127.0.0.1:$PORT/" || fail "aeogate-web did not come up with TLS"

expect_exit 0 curl -ks -o "$T/index.html" -D "$T/h0" "https://127.0.0.1:$PORT/"
expect_contains "$(cat "$T/index.html")" "aeogate"
expect_contains "$(tr -d '\r' <"$T/h0")" "content-security-policy:"
pass "the dashboard is served over HTTPS with its security headers"

expect_exit 0 curl -ks -D "$T/h1" -o "$T/login.json" -H 'Content-Type: application/json' \
	-d '{"username":"guard1","password":"correct horse battery staple"}' \
	"https://127.0.0.1:$PORT/api/login"
cookie="$(tr -d '\r' <"$T/h1" | grep -i '^set-cookie:')"
expect_contains "$cookie" "aeogate_session="
expect_contains "$cookie" "Secure"
expect_contains "$cookie" "HttpOnly"
expect_contains "$cookie" "SameSite=Strict"
pass "the session cookie is Secure, HttpOnly and SameSite=Strict under TLS"

rc=0
curl -s --max-time 5 -o "$T/plain.out" -H 'Content-Type: application/json' \
	-d '{"username":"guard1","password":"correct horse battery staple"}' \
	"http://127.0.0.1:$PORT/api/login" >/dev/null 2>&1 || rc=$?
expect_not_contains "$(cat "$T/plain.out" 2>/dev/null)" '"token"'
expect_not_contains "$(cat "$T/plain.out" 2>/dev/null)" '"csrf"'
pass "plain HTTP on the TLS port gets no session (curl exit $rc)"
