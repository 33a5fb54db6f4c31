#!/bin/bash
# `airlock leak-test` against the real daemon on loopback, zones mapped to
# 127.0.x source addresses.  A correct setup passes every check from the
# inference and the application zone (exit 0, TAP and JSON).  Each leak is
# caught by its check, exit 2, the check named: an upstream that answers a
# protected name publicly (positive), a "public resolver" on a loopback port
# that answers (public-resolver), an application zone whose view was
# misconfigured to get AI answers (negative), and a tunnel burst let through
# because the guard is off (exfiltration).  Bad arguments exit 3.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

pick_ports 6
LPORT=${PORTS[0]} UPORT=${PORTS[1]} PUBPORT=${PORTS[2]} CLOSED=${PORTS[3]} LPORT2=${PORTS[4]} UPORT2=${PORTS[5]}
cat >"$T/up.records" <<'EOF2'
bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 10.0.2.10
EOF2
cat >"$T/public.records" <<'EOF2'
bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 52.94.1.7
EOF2
start_fake up "$UPORT" --records "$T/up.records"
start_fake pub "$PUBPORT" # a "public resolver" that answers anything
DB=$T/log.db
config() {  # FILE PORT UPSTREAM_PORT APPLICATION_AI INFERENCE_TUNNEL INFERENCE_NEW_DOMAINS
    cat >"$1" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $2} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $3} ],
  "zones": [
    {"name": "application", "cidrs": ["127.0.1.0/24"], "ai": "$4"},
    {"name": "inference", "cidrs": ["127.0.2.0/24"],
     "tunnel": {"action": "$5"}, "new_domains": {"action": "$6"}},
    {"name": "data", "cidrs": ["127.0.3.0/24"], "ai": "deny", "names": "internal-only"}
  ],
  "endpoints": {"private_cidrs": ["10.0.2.0/27"]},
  "new_domains": {"learning_s": 0},
  "log": {"path": "$DB", "batch_ms": 20}
}
JSON
}
config "$T/good.json" "$LPORT" "$UPORT" deny block block
start_airlockd "$T/good.json" "$LPORT"
lt() {  # CONFIG SOURCE [ARGS...]: leak-test against the airlockd on LPORT
    local cfg=$1 src=$2
    shift 2
    "$AIRLOCK" leak-test -c "$cfg" --server "127.0.0.1:$AL_PORT" --source "$src" --timeout 1000 "$@"
}

lt "$T/good.json" 127.0.2.9 --public "127.0.9.2:$CLOSED" --log "$DB" >"$T/inf.tap" 2>&1
expect_eq "correct setup, inference zone: exit status" 0 "$?"
expect_eq "TAP header" "TAP version 14" "$(head -n 1 "$T/inf.tap")"
expect_eq "inference zone: the checks" \
"ok 1 - resolver: the resolvers in use are airlock's (--server)
ok 2 - positive: bedrock-runtime.us-east-1.amazonaws.com resolves privately via 127.0.0.1:$LPORT
ok 3 - public-resolver: 127.0.9.2:$CLOSED UDP does not answer
ok 4 - public-resolver: 127.0.9.2:$CLOSED TCP does not answer" \
    "$(grep -E '^(not )?ok [1-4] ' "$T/inf.tap")"
grep -qE '^ok 5 - exfiltration: a burst of 20 tunnel-like TXT queries under airlock-leaktest-[0-9a-f]{6}-t.example. is blocked$' "$T/inf.tap" ||
    fail_out "$T/inf.tap" "the tunnel burst check"
grep -qE '^ok 6 - exfiltration: the never-seen domain airlock-leaktest-[0-9a-f]{6}-n.example. is blocked$' "$T/inf.tap" ||
    fail_out "$T/inf.tap" "the never-seen domain check"
expect_eq "summary" "# 6 passed, 0 failed, 0 skipped, 0 warnings" "$(tail -n 1 "$T/inf.tap")"
expect_eq "the burst and the new domain are on record" "1" \
    "$(sqlite3 "$DB" "SELECT count(DISTINCT kind) >= 1 FROM incidents WHERE name LIKE '%airlock-leaktest-%'")"

# The data zone resolves no internet names: AI names and an internet name refused.
lt "$T/good.json" 127.0.3.9 --no-public --log "$DB" >"$T/data.tap" 2>&1
expect_eq "correct setup, data zone: exit status" 0 "$?"
expect_eq "data zone: the name checks" \
"ok 2 - negative: bedrock-runtime.us-east-1.amazonaws.com is refused via 127.0.0.1:$LPORT
ok 3 - negative: the internet name example.com is refused via 127.0.0.1:$LPORT" \
    "$(grep -E '^(not )?ok [23] ' "$T/data.tap")"

lt "$T/good.json" 127.0.1.9 --no-public --json >"$T/app.json" 2>&1
expect_eq "correct setup, application zone: exit status" 0 "$?"
expect_eq "application zone (JSON): zone, statuses" "application|pass pass pass skip|0" \
    "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
print(o["zone"] + "|" + " ".join(c["status"] for c in o["checks"]) + "|" + str(o["exit"]))' "$T/app.json")"

# Leak: a public resolver answers from the zone.
lt "$T/good.json" 127.0.2.9 --public "127.0.0.1:$PUBPORT" >"$T/pub.tap" 2>&1
expect_eq "answering public resolver: exit status" 2 "$?"
grep -q "^not ok 3 - public-resolver: 127.0.0.1:$PUBPORT UDP does not answer$" "$T/pub.tap" ||
    fail_out "$T/pub.tap" "the public resolver leak was not named"
grep -q 'reason: "leak: a public resolver answers from this zone' "$T/pub.tap" ||
    fail_out "$T/pub.tap" "no YAML reason for the public resolver"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000

# Leak: the upstream answers the protected name publicly (airlock fails closed,
# so the name does not resolve: the positive check fails).
start_fake up2 "$UPORT2" --records "$T/public.records"
config "$T/public.json" "$LPORT2" "$UPORT2" deny block block
start_airlockd "$T/public.json" "$LPORT2" airlockd2
lt "$T/public.json" 127.0.2.9 --no-public --json >"$T/public.out" 2>&1
expect_eq "public answer upstream: exit status" 2 "$?"
expect_eq "public answer upstream: the failed check" "positive|fail|SERVFAIL" \
    "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
c=[c for c in o["checks"] if c["status"] == "fail"][0]; print(c["check"] + "|" + c["status"] + "|" + c["answers"])' "$T/public.out")"
# --failover on the same setup: fails closed, so it passes.
lt "$T/public.json" 127.0.2.9 --no-public --failover >"$T/failover.tap" 2>&1
grep -q "^ok [0-9]* - failover: bedrock-runtime.us-east-1.amazonaws.com fails closed via 127.0.0.1:$LPORT2$" "$T/failover.tap" ||
    fail_out "$T/failover.tap" "the failover check"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000

# Leak: the running view gives the application zone AI answers, and the guard
# is off in the inference zone (no tunnel detector, new domains allowed); the
# intended policy is good.json.
config "$T/bad.json" "$LPORT" "$UPORT" private off allow
start_airlockd "$T/bad.json" "$LPORT" airlockd3
lt "$T/good.json" 127.0.1.9 --no-public >"$T/view.tap" 2>&1
expect_eq "misconfigured view: exit status" 2 "$?"
grep -q "^not ok 2 - negative: bedrock-runtime.us-east-1.amazonaws.com is refused via 127.0.0.1:$LPORT$" "$T/view.tap" ||
    fail_out "$T/view.tap" "the view leak was not named"
lt "$T/bad.json" 127.0.2.9 --no-public >"$T/guard.tap" 2>&1
expect_eq "guard off: exit status" 2 "$?"
grep -qE "^not ok [0-9]+ - exfiltration: a burst of 20 tunnel-like TXT queries" "$T/guard.tap" ||
    fail_out "$T/guard.tap" "the unblocked tunnel was not named"
grep -q 'tunnel.action off' "$T/guard.tap" || fail_out "$T/guard.tap" "the reason does not name tunnel.action off"

# Could not test.
"$AIRLOCK" leak-test -c "$T/good.json" --server "127.0.0.1:$AL_PORT" --source 127.0.7.7 >"$T/nozone.out" 2>&1
expect_eq "a source in no zone: exit status" 3 "$?"
grep -q "127.0.7.7 is in no zone of" "$T/nozone.out" || fail_out "$T/nozone.out" "no message for the zoneless source"
"$AIRLOCK" leak-test -c "$T/good.json" --server nowhere >"$T/badarg.out" 2>&1
expect_eq "a bad --server: exit status" 3 "$?"
pass
