#!/bin/bash
# airlockd under a service manager.  The built unit passes
# `systemd-analyze verify` without a word and has the settings the service
# relies on (Type=notify, the config checked before start, only
# CAP_NET_BIND_SERVICE, NoNewPrivileges).  A NOTIFY_SOCKET listener sees
# READY=1 (with MAINPID) once airlockd answers, RELOADING=1 then READY=1
# around a SIGHUP reload, and STOPPING=1 on SIGTERM.
. "$(dirname "$0")/lib.sh" || exit 1
setup
UNIT=${AIRLOCK_UNIT:-${builddir:-.}/contrib/systemd/airlockd.service}
[ -f "$UNIT" ] || fail "no built unit at $UNIT (make builds it; set AIRLOCK_UNIT)"

for line in "Type=notify" "NotifyAccess=main" "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" \
    "AmbientCapabilities=CAP_NET_BIND_SERVICE" "NoNewPrivileges=yes" "ProtectSystem=strict" \
    "ExecReload=/bin/kill -HUP \$MAINPID"; do
    grep -qxF "$line" "$UNIT" || fail "the unit lacks \"$line\""
done
grep -qE '^ExecStartPre=.*/airlockd -t -c ' "$UNIT" || fail "the unit does not check the config before starting"
if command -v systemd-analyze >/dev/null 2>&1; then
    # The unit as installed, but running this build's airlockd.
    sed "s|^\\(Exec[A-Za-z]*=\\)[^ ]*/airlockd|\\1$AIRLOCKD|" "$UNIT" >"$T/airlockd.service"
    systemd-analyze verify --man=no "$T/airlockd.service" >"$T/verify.out" 2>&1 ||
        fail_out "$T/verify.out" "systemd-analyze verify failed"
    [ ! -s "$T/verify.out" ] || fail_out "$T/verify.out" "systemd-analyze verify complained"
else
    say "systemd-analyze not installed: the unit's syntax is not verified"
fi

# A service manager's notification socket.
$PY - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        log.write(msg.replace("\n", "|") + "\n")
PY
NOTIFY_PID=$!
PIDS="$PIDS $NOTIFY_PID"
for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
[ -S "$T/notify.sock" ] || fail "the notification socket did not appear"

start_upstream
write_config "$T/airlock.json" "$LPORT" "$UPORT" "127.0.2.0/24"
NOTIFY_SOCKET=$T/notify.sock start_airlockd "$T/airlock.json" "$LPORT"
wait_notes() {  # N: waits until the log has N lines
    local i
    for i in $(seq 50); do
        [ "$(wc -l <"$T/notify.log" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail_out "$T/notify.log" "expected $1 notifications"
}
wait_notes 1
grep -qE "^READY=1\|STATUS=serving 1 zones, config $T/airlock.json\|MAINPID=$AL_PID$" "$T/notify.log" ||
    fail_out "$T/notify.log" "no READY=1 with MAINPID $AL_PID"
kill -HUP "$AL_PID"
wait_notes 3
expect_eq "around the reload" "RELOADING=1
READY=1" "$(sed -n '2,3p' "$T/notify.log" | sed 's/|.*//')"
grep -qE '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "$T/notify.log" || fail_out "$T/notify.log" "RELOADING=1 without MONOTONIC_USEC"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"
wait_notes 4
expect_eq "on SIGTERM" "STOPPING=1" "$(sed -n 4p "$T/notify.log")"
pass
