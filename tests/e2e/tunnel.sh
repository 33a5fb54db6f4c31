#!/bin/bash
# The tunnel detector through the daemon: iodine-shaped queries (57
# characters of base32 per label, NULL type) are REFUSED in a blocking zone
# from the first one and never reach the upstream, with one tunnel_blocked
# incident that names the domain, the score and the features; in an alert
# zone they are answered and a tunnel_suspected incident is linked to the
# query's row; a zone with the detector off and plain host names pass; an
# allow-listed domain is never judged and a block-listed one always denied,
# its row naming the list and the entry.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

start_upstream
DB=$T/log.db
printf '# test allow-list\ncdn.example\n' >"$T/allow.txt"
printf '# test block-list\n\nbad.example\n=exact.example\n' >"$T/block.txt"
cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [
    {"name": "sandbox", "cidrs": ["127.0.5.0/24"], "tunnel": {"action": "block", "response": "nxdomain"}},
    {"name": "inference", "cidrs": ["127.0.2.0/24"], "tunnel": {"action": "alert"}},
    {"name": "lab", "cidrs": ["127.0.6.0/24"], "tunnel": {"action": "off"}}
  ],
  "guard": {"allow_lists": ["allow.txt"], "block_lists": ["block.txt"]},
  "log": {"path": "$DB", "batch_ms": 20}
}
JSON
start_airlockd "$T/airlock.json" "$LPORT"

# Base32 labels of 57 characters, as iodine sends them, each one new.
B32=abcdefghijklmnopqrstuvwxyz234567
payload() { printf 'paa3yd5mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpgaydcmrt%s' "${B32:$1:1}"; }

for i in 1 2 3; do
    q 127.0.5.9 "$(payload "$i").t.tun.example" NULL >"$T/b$i"
    expect_status "$T/b$i" NXDOMAIN "blocking zone, tunnel query $i"
done
expect_eq "tunnel queries that reached the upstream" 0 "$(grep -c 'tun.example' "$T/up.log")"
q 127.0.5.9 www.tun.example A >"$T/plain"
expect_answer "$T/plain" A 192.0.2.1 "blocking zone, a plain name of the same domain"

q 127.0.5.9 "$(payload 9).t.cdn.example" NULL >"$T/allowed"
expect_status "$T/allowed" NOERROR "blocking zone, tunnel-shaped name under an allow-listed domain"
q 127.0.5.9 www.bad.example A >"$T/listed"
expect_status "$T/listed" REFUSED "block-listed domain"
q 127.0.5.9 exact.example A >"$T/exact"
expect_status "$T/exact" REFUSED "block-listed exact name"
q 127.0.5.9 www.exact.example A >"$T/below"
expect_answer "$T/below" A 192.0.2.1 "a name below an exact-only entry"

q 127.0.2.9 "$(payload 4).t.tun.example" A >"$T/a"
expect_answer "$T/a" A 192.0.2.1 "alert zone, tunnel query answered"
q 127.0.6.9 "$(payload 5).t.tun.example" A >"$T/o"
expect_answer "$T/o" A 192.0.2.1 "detector off"

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"
grep -q "tunnel_blocked=3 " "$T/airlockd.err" || fail "counter tunnel_blocked=3 missing at exit"
grep -q "tunnel_alerts=1 " "$T/airlockd.err" || fail "counter tunnel_alerts=1 missing at exit"
sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$1"; }
expect_eq "incidents: one per domain and window in the blocking zone, one alert" \
"high|tunnel_blocked|sandbox|127.0.5.9|tun.example.|1|57|base32|1
warning|tunnel_suspected|inference|127.0.2.9|tun.example.|1|57|base32|0" \
    "$(sql "SELECT severity, kind, zone, client, json_extract(detail, '\$.domain'),
                   json_extract(detail, '\$.threshold'), json_extract(detail, '\$.features.longest_label'),
                   json_extract(detail, '\$.features.shape'), json_extract(detail, '\$.features.payload_type')
            FROM incidents ORDER BY id")"
expect_eq "the blocked queries' rows" "3|3|blocked|tunnel" \
    "$(sql "SELECT count(*), min(rcode), min(action), min(reason) FROM queries WHERE zone = 'sandbox' AND qtype = 10 AND qname LIKE '%.tun.example.'")"
expect_eq "the alert is linked to the answered query" "upstream|0" \
    "$(sql "SELECT q.action, q.rcode FROM incidents i JOIN queries q ON q.id = i.query_id
            WHERE i.kind = 'tunnel_suspected'")"
expect_eq "rows of the block-listed names" "www.bad.example.|blocked|list block: bad.example
exact.example.|blocked|list block: =exact.example" \
    "$(sql "SELECT qname, action, reason FROM queries WHERE reason LIKE 'list %' ORDER BY id")"
expect_int "the blocked incident's score" -ge 1 \
    "$(sql "SELECT CAST(json_extract(detail, '\$.score') AS INTEGER) FROM incidents WHERE kind = 'tunnel_blocked'")"

# A table too small for the traffic says so: 40 registered domains within
# one window through one thread's table of 32 slots (guard.max_domains 16).
# Each domain past the 32nd takes the slot of one still in its window.
cp "$T/airlock.json" "$T/small.json"
add_json "$T/small.json" "{\"threads\": 1, \"guard\": {\"max_domains\": 16}, \"metrics\": {\"port\": $MPORT}}"
start_airlockd "$T/small.json" "$LPORT" airlockd-small
expect_eq "domains forgotten before any query" 0 "$(scrape_value "$MPORT" airlock_guard_tunnel_domains_forgotten_total)"
for i in $(seq 1 40); do
    q 127.0.2.9 "www.d$i.example" A >"$T/d$i"
    expect_answer "$T/d$i" A 192.0.2.1 "domain $i of 40"
done
expect_int "domains forgotten for room" -ge 8 "$(scrape_value "$MPORT" airlock_guard_tunnel_domains_forgotten_total)"
stop_daemon airlockd-small
pass
