#!/bin/bash
# The investigation CLI on the query log of a running airlockd: `airlock
# log` with each filter returns exactly the rows of the queries sent (CSV
# and JSON read back with python3), `who-resolved` finds who was given an
# address and --at bounds it, `incidents` lists a row inserted by hand,
# invalid filters exit 2 naming the option, a missing database exits 1.
# airlockd keeps running (and writing) while the CLI reads.
. "$(dirname "$0")/lib.sh" || exit 1
setup
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"

pick_ports 2
LPORT=${PORTS[0]} UPORT=${PORTS[1]}
start_fake up "$UPORT"
DB=$T/log.db
cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "inference", "cidrs": ["127.0.2.0/24"]},
             {"name": "data", "cidrs": ["127.0.3.0/24"]} ],
  "timeouts": {"upstream_ms": 800},
  "log": {"path": "$DB", "batch_ms": 20}
}
JSON
start_airlockd "$T/airlock.json" "$LPORT"
UP=127.0.0.1:$UPORT

# After the readiness probes (127.0.0.1, logged as refused): rows from now
# on are the test's.
START=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
sleep 0.01

q 127.0.2.7 www.example A >"$T/o1"
expect_answer "$T/o1" A 192.0.2.1 "www.example A"
q 127.0.2.8 cname-x.example A >"$T/o2"
expect_answer "$T/o2" A 192.0.2.1 "cname-x.example A"
q 127.0.3.9 data.example AAAA >"$T/o3"
expect_answer "$T/o3" AAAA 2001:db8::1 "data.example AAAA"
q 127.0.3.9 nx-d.example A >"$T/o4"
expect_status "$T/o4" NXDOMAIN "nx-d.example"
q 127.0.9.1 outside.example A >"$T/o5"
expect_status "$T/o5" REFUSED "client in no zone"
q 127.0.2.7 www.example A >"$T/o6"
expect_answer "$T/o6" A 192.0.2.1 "www.example A again (cache)"
q 127.0.2.8 sub.www.example TXT >"$T/o7"
expect_status "$T/o7" NOERROR "sub.www.example TXT"
q 127.0.3.10 notwww.example A >"$T/o8"
expect_answer "$T/o8" A 192.0.2.1 "notwww.example A"

# cli OUT ARGS...: runs airlock, stdout to $T/OUT, stderr to $T/OUT.err;
# sets RC.
RC=""
cli() {
    local out=$1
    shift
    "$AIRLOCK" "$@" >"$T/$out" 2>"$T/$out.err"
    RC=$?
}

# cli_ok OUT ARGS...: as cli, and it must exit 0 with nothing on stderr.
cli_ok() {
    cli "$@"
    [ "$RC" = 0 ] || fail_out "$T/$1.err" "airlock ${*:2}: exit $RC"
    [ -s "$T/$1.err" ] && fail_out "$T/$1.err" "airlock ${*:2}: stderr not empty"
    return 0
}

# csv_cols FILE COL,COL,...: those columns of each data row, '|'-separated.
csv_cols() {
    "$PY" - "$1" "$2" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
idx = [rows[0].index(c) for c in sys.argv[2].split(",")]
for r in rows[1:]:
    print("|".join(r[i] for i in idx))
EOF
}

# Wait until the writer has committed the eight queries (batch_ms 20).
deadline=$(($(now_ms) + 5000))
while :; do
    cli n log --db "$DB" --since "$START" --limit 0 --csv
    [ "$RC" = 0 ] && [ "$(tail -n +2 "$T/n" | wc -l)" -ge 8 ] && break
    [ "$(now_ms)" -lt "$deadline" ] || fail_out "$T/n" "the 8 queries were not in the log after 5 s"
    sleep 0.05
done

COLS=client,zone,proto,name,type,rcode,action,reason,upstream,answers

# --client CIDR, CSV: the header, CRLF line ends, exactly these rows.
cli_ok c1 log --db "$DB" --client 127.0.2.0/24 --csv
expect_eq "CSV header" "time,client,port,zone,proto,name,type,rcode,action,reason,upstream,latency_us,answers" \
    "$(head -n 1 "$T/c1" | tr -d '\r')"
expect_eq "CSV lines ending in CRLF" 5 "$(grep -c $'\r$' "$T/c1")"
expect_eq "log --client 127.0.2.0/24" \
"127.0.2.7|inference|udp|www.example.|A|NOERROR|upstream||$UP|192.0.2.1
127.0.2.8|inference|udp|cname-x.example.|A|NOERROR|upstream||$UP|target.example. 192.0.2.1
127.0.2.7|inference|udp|www.example.|A|NOERROR|cache|||192.0.2.1
127.0.2.8|inference|udp|sub.www.example.|TXT|NOERROR|upstream||$UP|" \
    "$(csv_cols "$T/c1" "$COLS")"
# Times in microseconds, within the test; latency_us a number.
"$PY" - "$T/c1" "$START" <<'EOF' || fail "times or latencies in the CSV are wrong"
import csv, datetime, re, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
start = datetime.datetime.strptime(sys.argv[2], "%Y-%m-%dT%H:%M:%S.%fZ")
now = datetime.datetime.utcnow()
for r in rows:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["time"]), r["time"]
    t = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert start <= t <= now, (start, t, now)
    assert re.fullmatch(r"\d+", r["latency_us"]), r["latency_us"]
    assert 1024 <= int(r["port"]) <= 65535, r["port"]
assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
EOF

# The same log named by the config's log.path.
cli_ok c1c log -c "$T/airlock.json" --client 127.0.2.0/24 --csv
expect_eq "log -c CONFIG gives the same rows" "$(cat "$T/c1")" "$(cat "$T/c1c")"

cli_ok c2 log --db "$DB" --zone data --csv
expect_eq "log --zone data" \
"127.0.3.9|data|udp|data.example.|AAAA|NOERROR|upstream||$UP|2001:db8::1
127.0.3.9|data|udp|nx-d.example.|A|NXDOMAIN|upstream||$UP|
127.0.3.10|data|udp|notwww.example.|A|NOERROR|upstream||$UP|192.0.2.1" \
    "$(csv_cols "$T/c2" "$COLS")"

cli_ok c3 log --db "$DB" --name WWW.example --csv
expect_eq "log --name WWW.example (the name and below, not notwww.example.)" \
"127.0.2.7|www.example.|upstream
127.0.2.7|www.example.|cache
127.0.2.8|sub.www.example.|upstream" \
    "$(csv_cols "$T/c3" client,name,action)"

cli_ok c4 log --db "$DB" --type AAAA --csv
expect_eq "log --type AAAA" "127.0.3.9|data.example.|AAAA" "$(csv_cols "$T/c4" client,name,type)"

cli_ok c5 log --db "$DB" --action refused --since "$START" --csv
expect_eq "log --action refused --since START" "127.0.9.1||outside.example.|REFUSED|refused|no zone" \
    "$(csv_cols "$T/c5" client,zone,name,rcode,action,reason)"

cli_ok c6 log --db "$DB" --since "$START" --limit 2 --csv
expect_eq "log --limit 2: the two most recent, oldest first" \
"sub.www.example.
notwww.example." "$(csv_cols "$T/c6" name)"

LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S+00:00)
cli_ok c7 log --db "$DB" --client 127.0.2.7 --since "$START" --until "$LATER" --type A --csv
expect_eq "log --client IP --since --until --type" "www.example.|upstream
www.example.|cache" "$(csv_cols "$T/c7" name,action)"

# JSON, field by field, against the row as sqlite3 reads it.
cli_ok j1 log --db "$DB" --client 127.0.2.8 --type A --json
ROW=$(sqlite3 -readonly -separator '|' "$DB" \
    "SELECT id, ts_us, client_port, latency_us FROM queries WHERE qname = 'cname-x.example.'")
"$PY" - "$T/j1" "$ROW" "$UP" <<'EOF' || fail_out "$T/j1" "log --json: fields differ"
import datetime, json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
rid, ts, port, lat = (int(x) for x in sys.argv[2].split("|"))
assert list(o) == ["id", "time", "ts_us", "client", "client_port", "zone", "transport",
                   "qname", "qtype", "rcode", "action", "reason", "upstream",
                   "latency_us", "answers"], list(o)
t = datetime.datetime.fromtimestamp(ts // 1000000, datetime.timezone.utc)
want = {"id": rid, "time": t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (ts % 1000000),
        "ts_us": ts, "client": "127.0.2.8", "client_port": port, "zone": "inference",
        "transport": "udp", "qname": "cname-x.example.", "qtype": 1, "rcode": 0,
        "action": "upstream", "reason": "", "upstream": sys.argv[3], "latency_us": lat,
        "answers": [{"name": "cname-x.example.", "type": 5, "data": "target.example.", "ttl": 300},
                    {"name": "target.example.", "type": 1, "data": "192.0.2.1", "ttl": 300}]}
for k in want:
    assert o[k] == want[k] and type(o[k]) is type(want[k]), (k, o[k], want[k])
EOF

# The table for people: a header, columns aligned, times to the millisecond.
cli_ok t1 log --db "$DB" --client 127.0.2.7
expect_eq "table header" "time client port zone proto name type rcode action reason upstream latency_ms answers" \
    "$(head -n 1 "$T/t1" | tr -s ' ')"
expect_eq "table lines" 3 "$(wc -l <"$T/t1" | tr -d ' ')"
"$PY" - "$T/t1" <<'EOF' || fail_out "$T/t1" "table not aligned"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
col = lines[0].index("client")
for l in lines[1:]:
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  ", l), l
    assert l[col:].startswith("127.0.2.7 "), l
    assert re.search(r"  \d+\.\d{3}  192\.0\.2\.1$", l), l
EOF

# who-resolved: every answer that gave 192.0.2.1, with who asked.
cli_ok w1 who-resolved 192.0.2.1 --db "$DB" --since "$START" --csv
expect_eq "who-resolved CSV header" "time,client,zone,qname,name,ttl,query_id" "$(head -n 1 "$T/w1" | tr -d '\r')"
expect_eq "who-resolved 192.0.2.1" \
"127.0.2.7|inference|www.example.|www.example.
127.0.2.8|inference|cname-x.example.|target.example.
127.0.2.7|inference|www.example.|www.example.
127.0.3.10|data|notwww.example.|notwww.example." \
    "$(csv_cols "$T/w1" client,zone,qname,name)"
expect_eq "who-resolved query ids" \
    "$(sqlite3 -readonly "$DB" "SELECT q.id FROM answers a JOIN queries q ON q.id = a.query_id
        WHERE a.data = '192.0.2.1' AND q.client != '127.0.0.1' ORDER BY q.ts_us")" \
    "$(csv_cols "$T/w1" query_id)"
expect_eq "who-resolved TTL of the first (upstream) answer" 300 "$(csv_cols "$T/w1" ttl | head -n 1)"
cli_ok w2 who-resolved 2001:DB8::0001 --db "$DB" --json
"$PY" - "$T/w2" <<'EOF' || fail_out "$T/w2" "who-resolved 2001:DB8::0001 --json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["client"], r["zone"], r["qname"], r["name"], r["type"], r["ttl"]) for r in rows] == \
    [("127.0.3.9", "data", "data.example.", "data.example.", 28, 300)], rows
EOF
# --at: nothing was given before the first query; all four TTLs run now.
cli_ok w3 who-resolved 192.0.2.1 --db "$DB" --at "$START" --csv
expect_eq "who-resolved --at before the first query" "time,client,zone,qname,name,ttl,query_id" \
    "$(tr -d '\r' <"$T/w3")"
cli_ok w4 who-resolved 192.0.2.1 --db "$DB" --since "$START" --at 0s --csv
expect_eq "who-resolved --at now" 4 "$(csv_cols "$T/w4" client | wc -l | tr -d ' ')"

# incidents: airlockd writes none here; one inserted by hand (while it runs).
NOW_US=$(($(date +%s%6N)))
sqlite3 -cmd '.timeout 3000' "$DB" "INSERT INTO incidents (ts_us, severity, kind, zone, client, name, detail, query_id)
    VALUES ($NOW_US, 'high', 'e2e_test', 'inference', '127.0.2.7', 'www.example.', '{\"score\": 9, \"why\": \"test\"}',
            (SELECT MIN(id) FROM queries WHERE qname = 'www.example.')),
           ($NOW_US + 1, 'warning', 'e2e_other', 'data', '127.0.3.9', 'data.example.', 'plain, text', NULL)" \
    || fail "inserting incidents failed"
cli_ok i1 incidents --db "$DB" --severity high --json
"$PY" - "$T/i1" "$NOW_US" "$(sqlite3 -readonly "$DB" "SELECT MIN(id) FROM queries WHERE qname = 'www.example.'")" <<'EOF' \
    || fail_out "$T/i1" "incidents --severity high --json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["kind"] == "e2e_test"]
assert len(rows) == 1, rows
o = rows[0]
want = {"ts_us": int(sys.argv[2]), "severity": "high", "kind": "e2e_test", "zone": "inference",
        "client": "127.0.2.7", "name": "www.example.", "detail": {"score": 9, "why": "test"},
        "query_id": int(sys.argv[3])}
for k in want:
    assert o[k] == want[k], (k, o[k], want[k])
EOF
cli_ok i2 incidents --db "$DB" --kind e2e_other --csv
expect_eq "incidents --kind e2e_other" "warning|e2e_other|data|127.0.3.9|data.example.|plain, text|" \
    "$(csv_cols "$T/i2" severity,kind,zone,client,name,detail,query_id)"

# Still read-only beside the writer: a new query shows up.
q 127.0.2.9 late.example A >"$T/o9"
deadline=$(($(now_ms) + 5000))
until cli_ok l1 log --db "$DB" --client 127.0.2.9 --csv && [ "$(csv_cols "$T/l1" name)" = late.example. ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail_out "$T/l1" "late.example. not in the log after 5 s"
    sleep 0.05
done

# Usage and filter errors: exit 2, the option and value named.
expect_usage() {  # WHAT EXPECTED-IN-STDERR ARGS...
    local what=$1 want=$2
    shift 2
    cli u "$@"
    [ "$RC" = 2 ] || fail_out "$T/u.err" "$what: expected exit 2, saw $RC"
    grep -qF -- "$want" "$T/u.err" || fail_out "$T/u.err" "$what: expected '$want' in stderr"
    [ -s "$T/u" ] && fail_out "$T/u" "$what: expected nothing on stdout"
    return 0
}
expect_usage "bad --since" 'airlock log: --since "yesterday": not a time (expected e.g. 1h' \
    log --db "$DB" --since yesterday
expect_usage "bad --client" '--client "127.0.2.1/24": not an address or CIDR' log --db "$DB" --client 127.0.2.1/24
expect_usage "bad --type" '--type "BOGUS": not a record type' log --db "$DB" --type BOGUS
expect_usage "bad --action" '--action "dropped": not an action (expected one of cache, upstream, local, blocked, refused, failed)' \
    log --db "$DB" --action dropped
expect_usage "bad --limit" '--limit "ten": not a row count' log --db "$DB" --limit ten
expect_usage "bad --at" '--at "noon": not a time' who-resolved 192.0.2.1 --db "$DB" --at noon
expect_usage "since after until" 'is after --until' log --db "$DB" --since 1m --until 2h
expect_usage "--severity on log" 'airlock log: --severity does not apply here' log --db "$DB" --severity high
expect_usage "--action on incidents" 'airlock incidents: --action does not apply here' incidents --db "$DB" --action refused
expect_usage "--json and --csv" '--json and --csv exclude each other' log --db "$DB" --json --csv
expect_usage "unknown option" 'unknown option "--colour"' log --db "$DB" --colour red
expect_usage "no database" 'give --db PATH or -c CONFIG' log --client 127.0.2.7
expect_usage "who-resolved without an address" 'no address given' who-resolved --db "$DB"
expect_usage "who-resolved bad address" '"192.0.2.300": not an IP address' who-resolved 192.0.2.300 --db "$DB"

# A database that is not there: exit 1, the path named.
cli m log --db "$T/nope.db"
expect_eq "exit status for a missing database" 1 "$RC"
grep -qF "$T/nope.db: cannot open the query log: No such file or directory" "$T/m.err" \
    || fail_out "$T/m.err" "missing database: message"
[ -e "$T/nope.db" ] && fail "the CLI created $T/nope.db"

cli_ok h log --help
grep -q '^usage: airlock log ' "$T/h" || fail_out "$T/h" "log --help"

pass
