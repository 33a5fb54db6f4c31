#!/bin/bash
# The query log: each answered query is a row in SQLite with its client,
# zone, transport, action and reason, and the A/AAAA/CNAME answers given are
# rows linked to it; SIGTERM flushes everything; after kill -9 under load the
# database is still valid.  A log of schema version 1 (made with its SQL)
# is upgraded at start, its rows indexed as a slice while airlockd runs,
# and `airlock` finds the same rows in it before and after.
. "$(dirname "$0")/lib.sh" || exit 1
setup
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"

pick_ports 2
LPORT=${PORTS[0]} UPORT=${PORTS[1]}
start_fake up "$UPORT"
DB=$T/log.db
logged_config() {
    cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "inference", "cidrs": ["127.0.2.0/24"]},
             {"name": "data", "cidrs": ["127.0.3.0/24"]} ],
  "timeouts": {"upstream_ms": 800},
  "log": {"path": "$DB", "batch_ms": 50}
}
JSON
}
logged_config
start_airlockd "$T/airlock.json" "$LPORT"

q 127.0.2.7 cname-a.example A >"$T/o1"
expect_answer "$T/o1" A 192.0.2.1 "cname-a.example A"
q 127.0.2.7 cname-a.example A +tcp >"$T/o2"
q 127.0.3.9 nx-a.example AAAA >"$T/o3"
expect_status "$T/o3" NXDOMAIN "nx-a.example"
q 127.0.9.1 outside.example A >"$T/o4"
expect_status "$T/o4" REFUSED "client in no zone"
q 127.0.2.7 servfail-a.example A >"$T/o5"
expect_status "$T/o5" SERVFAIL "servfail-a.example"
q 127.0.2.7 edns1.example A +edns=1 +noednsnegotiation >"$T/o7"
expect_status "$T/o7" BADVERS "edns1.example"

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status after SIGTERM" 0 "$EXIT_STATUS"
grep -q "query log .* closed: " "$T/airlockd.err" || fail "no closing line for the query log"

sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$1"; }
# The readiness probes from 127.0.0.1 (no zone) are logged as refused too.
expect_eq "rows for the test queries" \
    "127.0.2.7|inference|udp|cname-a.example.|1|0|upstream||127.0.0.1:$UPORT
127.0.2.7|inference|tcp|cname-a.example.|1|0|cache||
127.0.3.9|data|udp|nx-a.example.|28|3|upstream||127.0.0.1:$UPORT
127.0.9.1||udp|outside.example.|1|5|refused|no zone|
127.0.2.7|inference|udp|servfail-a.example.|1|2|failed|upstreams failed|127.0.0.1:$UPORT
127.0.2.7|inference|udp|edns1.example.|1|16|refused|badvers|" \
    "$(sql "SELECT client, zone, transport, qname, qtype, rcode, action, reason, upstream
            FROM queries WHERE qname != 'ready-probe.invalid.' ORDER BY id")"
expect_eq "answer rows of the first cname-a.example query" \
    "cname-a.example.|5|target.example.
target.example.|1|192.0.2.1" \
    "$(sql "SELECT name, type, data FROM answers WHERE query_id =
            (SELECT MIN(id) FROM queries WHERE qname = 'cname-a.example.') ORDER BY rowid")"
expect_eq "queries with an answer row (both cname-a.example)" 2 \
    "$(sql "SELECT COUNT(DISTINCT query_id) FROM answers")"
expect_eq "who resolved 192.0.2.1" "127.0.2.7|cname-a.example." \
    "$(sql "SELECT DISTINCT q.client, q.qname FROM answers a JOIN queries q ON q.id = a.query_id
            WHERE a.data = '192.0.2.1'")"
expect_int "latency_us of the upstream answer" -gt 0 \
    "$(sql "SELECT latency_us FROM queries WHERE action = 'upstream' LIMIT 1")"
expect_eq "gap rows" 0 "$(sql "SELECT COUNT(*) FROM log_gaps")"

# kill -9 in the middle of a stream of queries: the database stays valid,
# and the loss is at most the batch not yet committed: every query answered
# more than a batch interval (50 ms) before the kill is in it.
start_airlockd "$T/airlock.json" "$LPORT" airlockd2
stream() {  # PREFIX N: N queries in parallel; sets CLIENTS to their PIDs
    local i
    CLIENTS=""
    for i in $(seq 1 "$2"); do
        q 127.0.2.7 "$1$i.example" A +tries=1 +time=3 >"$T/$1$i.out" &
        CLIENTS="$CLIENTS $!"
    done
}
stream early 100
for p in $CLIENTS; do wait "$p"; done
# A burst of 100 may lose a datagram or two on a loaded machine; what
# counts is that every query answered is on record.
answered=$(grep -l 'status: NOERROR' "$T"/early*.out | wc -l)
expect_int "early queries answered" -ge 90 "$answered"
sleep 0.3
stream late 100
kill -KILL "$AL_PID"
wait_exit "$AL_PID" 2000
for p in $CLIENTS; do wait "$p" 2>/dev/null; done
expect_eq "integrity after kill -9" ok "$(sql "PRAGMA integrity_check")"
expect_int "rows of the queries answered 300 ms before kill -9" -ge "$answered" \
    "$(sql "SELECT COUNT(*) FROM queries WHERE qname GLOB 'early*' AND rcode = 0")"
expect_int "rows of the queries in flight at kill -9" -le 100 \
    "$(sql "SELECT COUNT(*) FROM queries WHERE qname GLOB 'late*'")"
# And airlockd starts again on the same database at once.
start_airlockd "$T/airlock.json" "$LPORT" airlockd3
q 127.0.2.7 again.example A >"$T/o6"
expect_answer "$T/o6" A 192.0.2.1 "first query after restart"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd3 exit status after SIGTERM" 0 "$EXIT_STATUS"

# Version 1: 70 000 queries of the last hour-ish, one answer each; 65 536 of
# them make one slice, the rest stay in the tail.
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"
V1=$T/v1.db
BASE=$(($(date +%s) - 3600))
sqlite3 -batch "$V1" >/dev/null <<SQL || fail "cannot make the version 1 log"
CREATE TABLE queries (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL, client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL, qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL, latency_us INTEGER NOT NULL);
CREATE INDEX queries_ts ON queries(ts_us);
CREATE INDEX queries_client_ts ON queries(client, ts_us);
CREATE INDEX queries_qname ON queries(qname);
CREATE TABLE answers (query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE, name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);
CREATE INDEX answers_data ON answers(data);
CREATE INDEX answers_query ON answers(query_id);
CREATE TABLE incidents (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL, query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);
CREATE INDEX incidents_ts ON incidents(ts_us);
CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);
CREATE TABLE log_gaps (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL, last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
INSERT INTO queries SELECT i, $BASE * 1000000 + i * 1000, '127.0.2.' || (i % 50 + 1), 40000 + i % 1000,
    'inference', 'udp', 'h' || (i % 300) || '.example.', 1, 0, 'cache', '', '', 10 FROM n;
INSERT INTO answers SELECT id, qname, 1, '192.0.2.' || (id % 200 + 1), 60 FROM queries;
COMMIT;
PRAGMA user_version = 1;
SQL
SINCE=$(date -u -d "@$((BASE + 20))" +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u -d "@$((BASE + 69))" +%Y-%m-%dT%H:%M:%SZ)
lookups() {  # OUT-PREFIX: the same five lookups, as CSV
    "$AIRLOCK" who-resolved 192.0.2.7 --db "$V1" --limit 0 --csv >"$T/$1.w1" || fail "who-resolved ($1)"
    "$AIRLOCK" who-resolved 192.0.2.7 --db "$V1" --since "$SINCE" --until "$UNTIL" --limit 25 --csv \
        >"$T/$1.w2" || fail "who-resolved --since --until ($1)"
    "$AIRLOCK" log --db "$V1" --client 127.0.2.9 --limit 0 --csv >"$T/$1.c1" || fail "log --client ($1)"
    "$AIRLOCK" log --db "$V1" --client 127.0.2.9 --since "$SINCE" --until "$UNTIL" --limit 0 --csv \
        >"$T/$1.c2" || fail "log --client --since --until ($1)"
    "$AIRLOCK" log --db "$V1" --client 127.0.2.0/24 --name h7.example --limit 0 --csv \
        >"$T/$1.c3" || fail "log --client CIDR --name ($1)"
}
lookups before
# The answers to check against, from SQL.
expect_eq "who-resolved 192.0.2.7 rows" 350 "$(($(wc -l <"$T/before.w1") - 1))"
expect_eq "log --client 127.0.2.9 rows" 1400 "$(($(wc -l <"$T/before.c1") - 1))"
expect_eq "log --client 127.0.2.9 --since --until rows" \
    "$(sqlite3 "$V1" "SELECT count(*) FROM queries WHERE client = '127.0.2.9'
        AND ts_us >= ($BASE + 20) * 1000000 AND ts_us < ($BASE + 69) * 1000000")" \
    "$(($(wc -l <"$T/before.c2") - 1))"

sed "s|\"path\": \"$DB\"|\"path\": \"$V1\"|" "$T/airlock.json" >"$T/v1.json"
start_airlockd "$T/v1.json" "$LPORT" airlockd4
expect_eq "schema version after the upgrade" 4 "$(sqlite3 "$V1" "PRAGMA user_version")"
deadline=$(($(now_ms) + 20000))
until [ "$(sqlite3 "$V1" "SELECT group_concat(first_id || '-' || last_id) FROM log_slices")" = 1-65536 ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the version 1 rows were not indexed as a slice within 20 s"
    sleep 0.1
done
# A row per name (300), client (50) and address (200), each with its ids:
# every row of the slice once per table.
expect_eq "index rows of the slice" "300|50|200" \
    "$(sqlite3 "$V1" "SELECT (SELECT count(*) FROM qname_ids), (SELECT count(*) FROM client_ids),
        (SELECT count(*) FROM answer_ids)")"
expect_eq "ids in the slice's lists" "65536|65536|65536" \
    "$(sqlite3 "$V1" "SELECT (SELECT sum(json_array_length(ids)) FROM qname_ids),
        (SELECT sum(json_array_length(ids)) FROM client_ids), (SELECT sum(json_array_length(ids)) FROM answer_ids)")"
lookups after
for f in w1 w2 c1 c2 c3; do
    cmp -s "$T/before.$f" "$T/after.$f" || fail "airlock gives other rows after the upgrade ($f): $(diff "$T/before.$f" "$T/after.$f" | head -5)"
done
expect_eq "integrity of the upgraded log" ok "$(sqlite3 "$V1" "PRAGMA integrity_check")"

pass
