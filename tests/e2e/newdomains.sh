#!/bin/bash
# Newly seen domains through the daemon.  While learning (the first
# learning_s after the first sighting) every domain is recorded and none is
# blocked.  After it, a domain first seen less than age_s ago is REFUSED in
# a blocking zone (also when another zone's query put it in the cache),
# answered with a new_domain incident in an alert zone, answered quietly in
# an allow zone; domains seen while learning and allow-listed ones are
# never new; once age_s has passed the new domain is answered everywhere.
# The sightings survive a restart (learning does not start again), and a
# baseline exported with `airlock seen export` and imported into another
# log makes its domains known there at once; names with punctuation and
# escapes (b!c.example, \200y.example, #h.example) go through export,
# import and export again unchanged.  A full table (max_domains) still
# judges new domains, counts them in seen_full, and tells the alert zone
# once, not once per query.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

start_upstream
DB=$T/log.db
printf 'cdn.example\n' >"$T/allow.txt"
config() {  # FILE DB LEARNING_S
    cat >"$1" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [
    {"name": "inference", "cidrs": ["127.0.2.0/24"], "new_domains": {"action": "block"}},
    {"name": "application", "cidrs": ["127.0.1.0/24"], "new_domains": {"action": "alert"}},
    {"name": "management", "cidrs": ["127.0.4.0/24"], "new_domains": {"action": "allow"}},
    {"name": "sandbox", "cidrs": ["127.0.5.0/24"], "new_domains": {"action": "block", "response": "nxdomain"}}
  ],
  "guard": {"allow_lists": ["allow.txt"]},
  "new_domains": {"learning_s": $3, "age_s": 4},
  "log": {"path": "$2", "batch_ms": 20}
}
JSON
}
config "$T/airlock.json" "$DB" 2
start_airlockd "$T/airlock.json" "$LPORT"

# Learning: the first sighting starts it; nothing is blocked.
q 127.0.2.9 www.old.example A >"$T/l1"
expect_answer "$T/l1" A 192.0.2.1 "learning: a first sighting is answered in the blocking zone"
q 127.0.2.9 mail.known.example A >"$T/l2"
expect_answer "$T/l2" A 192.0.2.1 "learning: another domain"
sleep 2.3

# Learned: a new domain is blocked, an old one is not.
q 127.0.2.9 api.fresh.example A >"$T/n1"
expect_status "$T/n1" REFUSED "new domain, blocking zone"
q 127.0.5.9 x.fresh.example A >"$T/n2"
expect_status "$T/n2" NXDOMAIN "new domain, blocking zone with response nxdomain"
q 127.0.2.9 other.old.example A >"$T/o1"
expect_answer "$T/o1" A 192.0.2.1 "a domain seen while learning, another name under it"
q 127.0.2.9 img.cdn.example A >"$T/c1"
expect_answer "$T/c1" A 192.0.2.1 "an allow-listed domain is never new"
q 127.0.1.9 api.fresh.example A >"$T/a1"
expect_answer "$T/a1" A 192.0.2.1 "new domain, alert zone: answered"
q 127.0.1.9 api.fresh.example A >"$T/a2"
expect_answer "$T/a2" A 192.0.2.1 "new domain, alert zone, again (from the cache)"
q 127.0.4.9 api.fresh.example A >"$T/m1"
expect_answer "$T/m1" A 192.0.2.1 "new domain, allow zone"
# The alert zone's answer is cached; the blocking zone still may not have it.
q 127.0.2.9 api.fresh.example A >"$T/n3"
expect_status "$T/n3" REFUSED "new domain, blocking zone, answer in the cache"
expect_eq "queries for fresh.example that reached the upstream" 1 "$(grep -c 'fresh.example' "$T/up.log")"

# Aged: first seen more than age_s ago, answered everywhere.
sleep 4.2
q 127.0.2.9 api.fresh.example A >"$T/g1"
expect_answer "$T/g1" A 192.0.2.1 "a domain first seen more than age_s ago"

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"
grep -q "new_domain_blocked=3 " "$T/airlockd.err" || fail "counter new_domain_blocked=3 missing at exit"
grep -q "new_domain_alerts=2 " "$T/airlockd.err" || fail "counter new_domain_alerts=2 missing at exit"
sql() { sqlite3 -batch -noheader -separator '|' "$1" "$2"; }
expect_eq "first sightings saved (allow-listed names are not sightings)" \
"fresh.example.
known.example.
old.example." "$(sql "$DB" "SELECT domain FROM seen_domains ORDER BY domain")"
expect_eq "one incident per zone that was told: block and alert, none for allow" \
"warning|new_domain|inference|api.fresh.example.|fresh.example.|block|blocked|new domain
warning|new_domain|sandbox|x.fresh.example.|fresh.example.|block|blocked|new domain
info|new_domain|application|api.fresh.example.|fresh.example.|alert|upstream|" \
    "$(sql "$DB" "SELECT i.severity, i.kind, i.zone, i.name, json_extract(i.detail, '\$.domain'),
                        json_extract(i.detail, '\$.action'), q.action, q.reason
                 FROM incidents i JOIN queries q ON q.id = i.query_id ORDER BY i.id")"

# Restart on the same log: learning is over, the sightings are known.
start_airlockd "$T/airlock.json" "$LPORT" airlockd2
grep -q "newly seen domains: 3 known (3 read from" "$T/airlockd2.err" ||
    fail "airlockd2 did not report the 3 saved sightings"
q 127.0.2.9 www.known.example A >"$T/r1"
expect_answer "$T/r1" A 192.0.2.1 "after restart: a domain seen before"
q 127.0.2.9 www.later.example A >"$T/r2"
expect_status "$T/r2" REFUSED "after restart: a new domain, learning not started again"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000

# A baseline from this log into another instance's log.
"$AIRLOCK" seen export "$T/base.txt" --db "$DB" >"$T/export.out" 2>&1 || fail_out "$T/export.out" "seen export failed"
expect_eq "export output" "$T/base.txt: 4 domains" "$(cat "$T/export.out")"
expect_eq "the exported baseline's domains" "fresh.example. known.example. later.example. old.example." \
    "$(grep -v '^#' "$T/base.txt" | cut -d' ' -f1 | xargs)"
printf 'bad..example 2026-01-01T00:00:00Z\n' >"$T/bad.txt"
DB2=$T/other.db
if "$AIRLOCK" seen import "$T/bad.txt" --db "$DB2" >"$T/bad.out" 2>&1; then
    fail "a bad baseline was imported"
fi
expect_eq "bad baseline message" \
    "airlock seen: $T/bad.txt:1: \"bad..example\" is not a domain name (expected e.g. example.com: labels of 1-63 bytes, 255 in all, escapes \\DDD or \\X); nothing was imported" \
    "$(cat "$T/bad.out")"
# The fleet's baseline goes back a year: its learning period is long over.
{ cat "$T/base.txt"; echo "ancient.example. 2025-11-01T00:00:00Z"; } >"$T/fleet.txt"
"$AIRLOCK" seen import "$T/fleet.txt" --db "$DB2" >"$T/import.out" 2>&1 || fail_out "$T/import.out" "seen import failed"
expect_eq "import output" "$DB2: 5 domains added, 0 seen earlier than recorded" "$(cat "$T/import.out")"
"$AIRLOCK" seen import "$T/fleet.txt" --db "$DB2" >"$T/import2.out" 2>&1 || fail_out "$T/import2.out" "second import failed"
expect_eq "the same baseline again" "$DB2: 0 domains added, 0 seen earlier than recorded" "$(cat "$T/import2.out")"
# A week of learning, counted from the baseline's oldest sighting: over.
config "$T/other.json" "$DB2" 604800
start_airlockd "$T/other.json" "$LPORT" airlockd3
q 127.0.2.9 www.old.example A >"$T/i1"
expect_answer "$T/i1" A 192.0.2.1 "imported baseline: a known domain"
q 127.0.2.9 www.unseen.example A >"$T/i2"
expect_status "$T/i2" REFUSED "imported baseline: a domain nobody saw"

# Whatever names the clients ask, the baseline still goes from log to log
# (one odd name once made every later import fail).
for n in 'a.b!c.example' 'x.\200y.example' 'x.#h.example' 'x.a#b.example' 'a.b\.example'; do
    q 127.0.4.9 "$n" A >"$T/odd"
    expect_status "$T/odd" NOERROR "odd name $n, allow zone"
done
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "odd names saved as the daemon keeps them" \
'#h.example.
\200y.example.
a#b.example.
b!c.example.
b\.example.' "$(sql "$DB2" "SELECT domain FROM seen_domains ORDER BY domain" | grep -v '^[a-z]*\.example\.$')"
"$AIRLOCK" seen export "$T/odd1.txt" --db "$DB2" >"$T/odd1.out" 2>&1 || fail_out "$T/odd1.out" "export with odd names failed"
"$AIRLOCK" seen import "$T/odd1.txt" --db "$T/third.db" >"$T/odd2.out" 2>&1 || fail_out "$T/odd2.out" "import of odd names failed"
expect_eq "import of odd names" "$T/third.db: 11 domains added, 0 seen earlier than recorded" "$(cat "$T/odd2.out")"
"$AIRLOCK" seen export "$T/odd2.txt" --db "$T/third.db" >"$T/odd3.out" 2>&1 || fail_out "$T/odd3.out" "second export failed"
cmp -s "$T/odd1.txt" "$T/odd2.txt" || fail "export -> import -> export changed the baseline: $(diff "$T/odd1.txt" "$T/odd2.txt" | head -5)"
grep -qx '\\#h.example. [0-9T:.-]*Z' "$T/odd1.txt" || fail "a leading '#' was not written escaped: $(grep 'h.example' "$T/odd1.txt")"

# A full table: 16 domains fill it, then names of domains it has no room
# for, three queries each, in the alert zone.
DB4=$T/full.db
cat >"$T/full.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "application", "cidrs": ["127.0.1.0/24"], "new_domains": {"action": "alert"}} ],
  "new_domains": {"learning_s": 0, "max_domains": 16},
  "log": {"path": "$DB4", "batch_ms": 20}
}
JSON
start_airlockd "$T/full.json" "$LPORT" airlockd4
for i in $(seq 1 16); do
    q 127.0.1.9 "www.fill$i.example" A >"$T/fill"
    expect_answer "$T/fill" A 192.0.2.1 "filling the table: fill$i.example"
done
for i in 1 2 3; do
    for d in over1 over2; do
        q 127.0.1.9 "n$i.$d.example" A >"$T/over"
        expect_answer "$T/over" A 192.0.2.1 "full table, alert zone: n$i.$d.example answered"
    done
done
stop_daemon airlockd4
grep -q "seen_full=6 " "$T/airlockd4.err" || fail "counter seen_full=6 missing at exit: $(grep -o 'seen_full=[0-9]*' "$T/airlockd4.err")"
grep -q "new_domain_alerts=22 " "$T/airlockd4.err" || fail "counter new_domain_alerts=22 missing at exit"
expect_eq "incidents: one per domain remembered, one for the full table (not one per query)" \
    "17 1" "$(sql "$DB4" "SELECT count(*), count(*) FILTER (WHERE json_extract(detail, '\$.domain') = 'over1.example.') FROM incidents WHERE kind = 'new_domain'" | tr '|' ' ')"
expect_eq "the full table's incident says the table is full" "over1.example." \
    "$(sql "$DB4" "SELECT json_extract(detail, '\$.domain') FROM incidents WHERE json_extract(detail, '\$.table') = 'full'")"
pass
