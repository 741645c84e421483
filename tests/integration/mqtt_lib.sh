# A real MQTT broker for the fleet tests: Debian's mosquitto on a free
# loopback port, with mutual TLS (a throwaway CA, server and client
# certificates made here with openssl) and a password file, anonymous
# clients refused, persistence in the test's directory. Source it after
# lib.sh.
#
#   mqtt_start            makes the CA, certificates and password file once,
#                         starts the broker; exports MQTT_PORT, MQTT_CA,
#                         MQTT_CERT, MQTT_KEY, MQTT_USER, MQTT_PASSFILE (a file
#                         holding the password) and MQTT_URL
#   mqtt_stop             SIGTERM: the broker saves its database and exits
#   mqtt_kill             SIGKILL: what it saved last is all that survives
#   mqtt_restart          stops it if it runs, starts it again on the same
#                         port with the same persistence
#   mqtt_sub_start TOPIC OUTFILE [CLIENT_ID]
#                         a QoS-1 subscriber (mosquitto_sub -v) in the
#                         background, writing "topic payload" lines to
#                         OUTFILE; its session is persistent, so a broker
#                         restart neither loses nor skips what it queued
#   mqtt_sub_stop [OUTFILE]  stops that subscriber (every one without OUTFILE)
#   mqtt_pub TOPIC MESSAGE [mosquitto_pub args]  publishes QoS 1
#
# Persistence: the broker saves its database every second and at exit, so
# a restart keeps the QoS-1 messages queued for persistent sessions; a
# SIGKILL loses at most the last second, which QoS 1 re-sends from the
# publisher's side (its PUBACK never came).

command -v mosquitto >/dev/null && command -v mosquitto_sub >/dev/null &&
	command -v mosquitto_pub >/dev/null && command -v mosquitto_passwd >/dev/null || {
	echo "SKIP: needs mosquitto and mosquitto-clients (scripts/deps)"
	exit 77
}
command -v openssl >/dev/null || {
	echo "SKIP: needs openssl"
	exit 77
}

MQTT_DIR="$T/mqtt"
MQTT_PID=""
MQTT_PORT=""
declare -A MQTT_SUB_PID=()

# _bg_forget PID: PID has ended; cleanup must not signal it (or a process
# that later reuses its number).
_bg_forget() {
	local keep=() p
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# _mqtt_certs: a CA, a server certificate for 127.0.0.1/localhost and a
# client certificate, all signed by that CA (EC P-256: quick to make).
_mqtt_certs() {
	local d=$MQTT_DIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=aeogate test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		>/dev/null 2>&1 || fail "openssl: cannot make the test CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" >/dev/null 2>&1 ||
		fail "openssl: cannot make the server key"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/server.ext" -out "$d/server.crt" >/dev/null 2>&1 ||
		fail "openssl: cannot sign the server certificate"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/client.key" -out "$d/client.csr" -subj "/CN=aeogate-sync" >/dev/null 2>&1 ||
		fail "openssl: cannot make the client key"
	printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/client.ext" -out "$d/client.crt" >/dev/null 2>&1 ||
		fail "openssl: cannot sign the client certificate"
}

# _mqtt_run: starts the broker on $MQTT_PORT with $MQTT_DIR/mosquitto.conf
# and waits until a client with the test's credentials gets through.
_mqtt_run() {
	mosquitto -c "$MQTT_DIR/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	MQTT_PID=$!
	BG_PIDS+=("$MQTT_PID")
	local deadline=$((SECONDS + 20))
	until mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t aeogate-test/ready -m up >/dev/null 2>&1; do
		kill -0 "$MQTT_PID" 2>/dev/null || {
			tail -n 20 "$T/mosquitto.log" >&2
			fail "mosquitto exited at start"
		}
		[ $SECONDS -lt $deadline ] || {
			tail -n 20 "$T/mosquitto.log" >&2
			fail "mosquitto did not come up on port $MQTT_PORT"
		}
		sleep 0.1
	done
}

mqtt_start() {
	mkdir -p "$MQTT_DIR/db"
	_mqtt_certs
	MQTT_USER=aeogate-test
	MQTT_PASSFILE="$MQTT_DIR/password"
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$MQTT_PASSFILE"
	mosquitto_passwd -c -b "$MQTT_DIR/passwd" "$MQTT_USER" "$(cat "$MQTT_PASSFILE")" >/dev/null ||
		fail "mosquitto_passwd failed"
	MQTT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	MQTT_CA="$MQTT_DIR/ca.crt"
	MQTT_CERT="$MQTT_DIR/client.crt"
	MQTT_KEY="$MQTT_DIR/client.key"
	MQTT_URL="mqtts://127.0.0.1:$MQTT_PORT"
	export MQTT_PORT MQTT_CA MQTT_CERT MQTT_KEY MQTT_USER MQTT_PASSFILE MQTT_URL
	MQTT_CLIENT_ARGS=(-h 127.0.0.1 -p "$MQTT_PORT" --cafile "$MQTT_CA" --cert "$MQTT_CERT"
		--key "$MQTT_KEY" -u "$MQTT_USER" -P "$(cat "$MQTT_PASSFILE")")
	# As root, mosquitto would drop to the mosquitto user, which cannot read
	# the test's directory (umask 027): it stays the user that runs the test.
	cat >"$MQTT_DIR/mosquitto.conf" <<CONF
user $(id -un)
per_listener_settings false
allow_anonymous false
password_file $MQTT_DIR/passwd
persistence true
persistence_location $MQTT_DIR/db/
autosave_interval 1
max_queued_messages 100000
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true

listener $MQTT_PORT 127.0.0.1
cafile $MQTT_CA
certfile $MQTT_DIR/server.crt
keyfile $MQTT_DIR/server.key
require_certificate true
tls_version tlsv1.2
CONF
	_mqtt_run
}

_mqtt_end() {
	local sig=$1
	[ -n "$MQTT_PID" ] || return 0
	kill "-$sig" "$MQTT_PID" 2>/dev/null || true
	wait "$MQTT_PID" 2>/dev/null || true
	_bg_forget "$MQTT_PID"
	MQTT_PID=""
}

mqtt_stop() { _mqtt_end TERM; }
mqtt_kill() { _mqtt_end KILL; }

mqtt_restart() {
	[ -n "$MQTT_PORT" ] || fail "mqtt_restart before mqtt_start"
	mqtt_stop
	_mqtt_run
}

mqtt_sub_start() {
	local topic=$1 out=$2 id=${3:-aeogate-test-sub-${#MQTT_SUB_PID[@]}}
	# First register the persistent session and its subscription (-E: exit
	# once the broker acknowledged it), so nothing published from here on
	# is missed while the background subscriber connects. A session that
	# already exists may hand this first client queued messages: they go to
	# OUTFILE too.
	mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -q 1 -c -i "$id" -t "$topic" -E -v >>"$out" 2>>"$T/mosquitto_sub.log" ||
		fail "mosquitto_sub could not subscribe to $topic"
	mosquitto_sub "${MQTT_CLIENT_ARGS[@]}" -q 1 -c -i "$id" -t "$topic" -v >>"$out" 2>>"$T/mosquitto_sub.log" &
	MQTT_SUB_PID[$out]=$!
	BG_PIDS+=("$!")
}

mqtt_sub_stop() {
	local out pid
	for out in "${!MQTT_SUB_PID[@]}"; do
		[ $# -eq 0 ] || [ "$out" = "$1" ] || continue
		pid=${MQTT_SUB_PID[$out]}
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		_bg_forget "$pid"
		unset "MQTT_SUB_PID[$out]"
	done
}

mqtt_pub() {
	local topic=$1 msg=$2
	shift 2
	mosquitto_pub "${MQTT_CLIENT_ARGS[@]}" -q 1 -t "$topic" -m "$msg" "$@" || fail "mosquitto_pub to $topic failed"
}
