#!/bin/bash
# airlock ctl over airlockd's control socket: a stale socket file is
# replaced at start and a live one refuses a second daemon; the socket has
# the configured mode and group; status tells the pid and the zones; stats
# move with queries; flush-log commits at once despite a 10 s batch_ms;
# flush-cache (all, or a name and below) makes the upstream see a cached
# name again, with a fresh TTL; reload takes a good config (the zone moves)
# and refuses a broken one naming the file while the old one keeps
# serving; an unknown command exits 1, no daemon exits 2 naming the socket.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"

pick_ports 4
LPORT=${PORTS[0]} UPORT=${PORTS[1]} LPORT2=${PORTS[2]} SPORT=${PORTS[3]}
start_fake up "$UPORT"
CFG=$T/airlock.json SOCK=$T/ctl.sock DB=$T/log.db
GROUP=$(id -gn)

# set_key FILE KEY JSON: sets a top-level key of the config.
set_key() {
    "$PY" - "$1" "$2" "$3" <<'EOF' || fail "set_key $1 $2"
import json, sys
path = sys.argv[1]
with open(path) as f:
    cfg = json.load(f)
cfg[sys.argv[2]] = json.loads(sys.argv[3])
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
EOF
}

# jget FILE KEY[.KEY...]: a value of the JSON answer in FILE (strings bare,
# the rest as JSON).
jget() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# ctl OUT ARGS...: airlock ctl on SOCK; stdout to OUT, stderr to OUT.err;
# sets RC to its exit status.
ctl() {
    local out=$1
    shift
    "$AIRLOCK" ctl -s "$SOCK" "$@" >"$out" 2>"$out.err"
    RC=$?
}

expect_rc() {  # WHAT EXPECTED OUT
    [ "$RC" = "$2" ] || fail_out "$3" "$1: expected exit $2, saw $RC (stderr: $(cat "$3.err"))"
}

# qp NAME: a query from 127.0.2.1 with a fixed source port, so that with
# two threads (SO_REUSEPORT) it always reaches the same worker and cache.
qp() {
    dig -p "$LPORT" @127.0.0.1 -b "127.0.2.1#$SPORT" +tries=1 +time=3 "$1" A 2>&1
}

zones='[{"name": "e2e", "cidrs": ["127.0.2.0/24"]}, {"name": "other", "cidrs": ["127.0.4.0/24"]}]'
write_config "$CFG" "$LPORT" "$UPORT" "127.0.2.0/24" threads=2
set_key "$CFG" zones "$zones"
set_key "$CFG" control "{\"path\": \"$SOCK\", \"mode\": \"0600\", \"group\": \"$GROUP\"}"
set_key "$CFG" log "{\"path\": \"$DB\", \"batch_ms\": 10000, \"batch_rows\": 100000}"

# A group that does not exist is a config error naming control.group.
cp "$CFG" "$T/badgroup.json"
set_key "$T/badgroup.json" control "{\"path\": \"$SOCK\", \"group\": \"no-such-group-e2e\"}"
"$AIRLOCK" check-config "$T/badgroup.json" >/dev/null 2>"$T/badgroup.err" \
    && fail "check-config accepted control.group \"no-such-group-e2e\""
grep -q 'badgroup.json: control.group: no group "no-such-group-e2e"' "$T/badgroup.err" \
    || fail "control.group error should name the file and the path, saw: $(cat "$T/badgroup.err")"

# A stale socket file (its process gone: nobody listens) is replaced.
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK" \
    || fail "could not make a stale socket"
[ -S "$SOCK" ] || fail "no stale socket file at $SOCK"
start_airlockd "$CFG" "$LPORT"
grep -q "control socket $SOCK: replaced a stale socket file" "$T/airlockd.err" \
    || fail "no line saying the stale socket was replaced"

# The mode and group as configured.
expect_eq "socket mode" 600 "$(stat -c %a "$SOCK")"
expect_eq "socket group" "$GROUP" "$(stat -c %G "$SOCK")"

# A live socket: a second daemon with the same control.path does not start.
cp "$CFG" "$T/second.json"
set_key "$T/second.json" listen "[{\"address\": \"127.0.0.1\", \"port\": $LPORT2}]"
set_key "$T/second.json" log "{\"path\": \"$T/log2.db\"}"
# shellcheck disable=SC2086  # AS_USER is empty or two words
"$AIRLOCKD" -c "$T/second.json" $AS_USER >"$T/second.out" 2>"$T/second.err" &
SECOND=$!
PIDS="$PIDS $SECOND"
wait_exit "$SECOND" 5000
expect_eq "exit status of a second airlockd on a live control socket" 1 "$EXIT_STATUS"
grep -q "control socket $SOCK: another process is listening on it" "$T/second.err" \
    || fail "the second airlockd should say the socket is in use, saw: $(cat "$T/second.err")"
[ -S "$SOCK" ] || fail "the second airlockd removed the live socket"

# status: JSON and lines.
ctl "$T/status" --json status
expect_rc "ctl status --json" 0 "$T/status"
expect_eq "status ok" true "$(jget "$T/status" ok)"
expect_eq "status pid" "$AL_PID" "$(jget "$T/status" pid)"
expect_eq "status zones" 2 "$(jget "$T/status" zones)"
expect_eq "status zone_names" '["e2e", "other"]' "$(jget "$T/status" zone_names)"
expect_eq "status config" "$CFG" "$(jget "$T/status" config)"
expect_eq "status threads" 2 "$(jget "$T/status" threads)"
expect_eq "status listen" "[\"127.0.0.1:$LPORT\"]" "$(jget "$T/status" listen)"
expect_eq "status upstreams" "[\"127.0.0.1:$UPORT\"]" "$(jget "$T/status" upstreams)"
expect_eq "status log_path" "$DB" "$(jget "$T/status" log_path)"
expect_eq "status log_writing" true "$(jget "$T/status" log_writing)"
expect_eq "status ready" true "$(jget "$T/status" ready)"
"$AIRLOCK" ctl -c "$CFG" status >"$T/status.txt" 2>&1 || fail "ctl -c CONFIG status failed: $(cat "$T/status.txt")"
grep -Eq "^pid +$AL_PID\$" "$T/status.txt" || fail_out "$T/status.txt" "no aligned 'pid $AL_PID' line"
grep -Eq "^zone_names +e2e, other\$" "$T/status.txt" || fail_out "$T/status.txt" "no 'zone_names e2e, other' line"

# flush-log: with batch_ms 10 s nothing is committed yet (this is within
# the writer's first 10 s); after flush-log the rows are in the file.
sql() { sqlite3 -batch -noheader "$DB" "$1"; }
qp logme-a.example >"$T/l1"
expect_answer "$T/l1" A 192.0.2.1 "logme-a.example"
qp logme-b.example >"$T/l2"
expect_eq "rows for logme-* before flush-log" 0 \
    "$(sql "SELECT COUNT(*) FROM queries WHERE qname LIKE 'logme-%'" 2>/dev/null || echo 0)"
ctl "$T/flushlog" flush-log
expect_rc "ctl flush-log" 0 "$T/flushlog"
expect_eq "rows for logme-* right after flush-log" 2 \
    "$(sql "SELECT COUNT(*) FROM queries WHERE qname LIKE 'logme-%'")"
written=$(awk '$1 == "written" { print $2 }' "$T/flushlog")
expect_int "flush-log's written" -ge 2 "$written"

# stats: the counters move with the queries.
ctl "$T/stats1" --json stats
expect_rc "ctl stats" 0 "$T/stats1"
q1=$(jget "$T/stats1" queries)
h1=$(jget "$T/stats1" cache_hits)
w1=$(jget "$T/stats1" query_log.written)
qp stats-a.example >/dev/null
qp stats-a.example >/dev/null
qp stats-b.example >/dev/null
ctl "$T/flushlog2" flush-log
ctl "$T/stats2" --json stats
expect_int "queries after 3 more" -eq $((q1 + 3)) "$(jget "$T/stats2" queries)"
expect_int "cache_hits after a repeated name" -eq $((h1 + 1)) "$(jget "$T/stats2" cache_hits)"
expect_int "query_log.written after flush-log" -ge $((w1 + 3)) "$(jget "$T/stats2" query_log.written)"
expect_eq "query_log.dropped" 0 "$(jget "$T/stats2" query_log.dropped)"
ctl "$T/stats.txt" stats
grep -Eq '^query_log\.written +[0-9]+$' "$T/stats.txt" || fail_out "$T/stats.txt" "no query_log.written line"

# flush-cache: a cached answer (its TTL counting down, the upstream not
# asked again) is asked for again after the flush, with a fresh TTL.
qp flushme.example >"$T/f1"
expect_eq "flushme.example TTL from the upstream" 300 "$(first_ttl "$T/f1" A)"
sleep 1.2
qp flushme.example >"$T/f2"
expect_int "flushme.example TTL from the cache" -lt 300 "$(first_ttl "$T/f2" A)"
expect_eq "upstream queries for flushme.example before the flush" 1 "$(log_count "$T/up.log" flushme.example)"
ctl "$T/fc" --json flush-cache
expect_rc "ctl flush-cache" 0 "$T/fc"
expect_int "entries dropped by flush-cache" -ge 1 "$(jget "$T/fc" dropped)"
expect_eq "threads that flushed" 2 "$(jget "$T/fc" threads)"
qp flushme.example >"$T/f3"
expect_eq "upstream queries for flushme.example after the flush" 2 "$(log_count "$T/up.log" flushme.example)"
expect_eq "flushme.example TTL after the flush" 300 "$(first_ttl "$T/f3" A)"

# flush-cache NAME: that name and below only (not "drop*": the fake ignores those).
qp gone.example >/dev/null
qp a.gone.example >/dev/null
qp keep.example >/dev/null
ctl "$T/fcn" --json flush-cache GONE.example
expect_rc "ctl flush-cache GONE.example" 0 "$T/fcn"
expect_eq "entries dropped for gone.example and below" 2 "$(jget "$T/fcn" dropped)"
expect_eq "flush-cache name" gone.example. "$(jget "$T/fcn" name)"
qp a.gone.example >/dev/null
qp keep.example >/dev/null
expect_eq "upstream queries for a.gone.example" 2 "$(log_count "$T/up.log" a.gone.example)"
expect_eq "upstream queries for keep.example (still cached)" 1 "$(log_count "$T/up.log" keep.example)"
ctl "$T/fcbad" flush-cache 'a..b'
expect_rc "ctl flush-cache a..b" 1 "$T/fcbad"

# reload, good: the zone e2e moves to 127.0.3.0/24, "other" goes.
q 127.0.3.1 before.example A >"$T/r0"
expect_status "$T/r0" REFUSED "from 127.0.3.1 before the reload"
cp "$CFG" "$T/good.json"
set_key "$T/good.json" zones '[{"name": "e2e", "cidrs": ["127.0.3.0/24"]}]'
cp "$T/good.json" "$CFG"
ctl "$T/reload" reload
expect_rc "ctl reload (good config)" 0 "$T/reload"
expect_eq "ctl reload output" ok "$(cat "$T/reload")"
expect_status_soon 127.0.3.1 moved.example NOERROR "from 127.0.3.1 after the reload"
expect_status_soon 127.0.2.1 moved.example REFUSED "from 127.0.2.1 after the reload"
ctl "$T/status2" --json status
expect_eq "status zones after the reload" 1 "$(jget "$T/status2" zones)"

# reload, broken: exit 1 with the file named; the old config serves on.
printf '{ "listen": [ {"address": "127.0.0.1", "port": %s} ],\n  "upstreams": [\n' "$LPORT" >"$CFG"
ctl "$T/rbad" reload
expect_rc "ctl reload (broken config)" 1 "$T/rbad"
grep -q "airlock ctl: reload: $CFG" "$T/rbad.err" \
    || fail "ctl reload's error should name $CFG, saw: $(cat "$T/rbad.err")"
ctl "$T/rbadj" --json reload
expect_rc "ctl --json reload (broken config)" 1 "$T/rbadj"
expect_eq "reload ok" false "$(jget "$T/rbadj" ok)"
case $(jget "$T/rbadj" error) in
"$CFG:"*) ;;
*) fail "reload's JSON error should start with the file, saw: $(jget "$T/rbadj" error)" ;;
esac
q 127.0.3.1 still.example A >"$T/r2"
expect_status "$T/r2" NOERROR "from 127.0.3.1 after the failed reload (old config)"
expect_answer "$T/r2" A 192.0.2.1 "from 127.0.3.1 after the failed reload (old config)"
cp "$T/good.json" "$CFG"

# Unknown commands and bad usage.
ctl "$T/unknown" frobnicate
expect_rc "ctl frobnicate" 1 "$T/unknown"
grep -q 'unknown command "frobnicate"; expected status|stats|reload|flush-cache|flush-log' "$T/unknown.err" \
    || fail "unknown command message, saw: $(cat "$T/unknown.err")"
ctl "$T/noarg" --json status extra
expect_rc "ctl status extra" 1 "$T/noarg"
ctl "$T/nocmd"
expect_rc "ctl with no command" 2 "$T/nocmd"
"$AIRLOCK" ctl -s "$SOCK" -c "$CFG" status >/dev/null 2>&1
expect_eq "exit of ctl with -s and -c" 2 "$?"
"$AIRLOCK" ctl --help >"$T/help" || fail "ctl --help failed"
grep -Eq '^  /.*/airlock/control\.sock$' "$T/help" || fail_out "$T/help" "ctl --help should print the default socket"

# Raw protocol: a line too long is refused, an idle client is answered.
"$PY" - "$SOCK" >"$T/raw" <<'EOF' || fail "raw client failed"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"x" * 2000)
print(s.recv(4096).decode().strip())
EOF
grep -q '"ok":false,"error":"command longer than 1023 bytes' "$T/raw" || fail_out "$T/raw" "long command"

# Stop: the socket file goes; then ctl cannot connect (exit 2, the path
# and the reason named).
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status after SIGTERM" 0 "$EXIT_STATUS"
grep -Eq 'Sanitizer|runtime error:' "$T/airlockd.err" && fail "airlockd stderr has a sanitizer report"
[ -e "$SOCK" ] && fail "the socket file $SOCK is still there after the stop"
ctl "$T/gone" status
expect_rc "ctl with no daemon" 2 "$T/gone"
grep -q "cannot connect to $SOCK: No such file or directory" "$T/gone.err" \
    || fail "no-daemon message, saw: $(cat "$T/gone.err")"

pass
