#!/bin/bash
# The flow monitor end to end: names resolved through the real daemon, then
# an AWS flow log whose destinations are those answers.  The approved Bedrock
# endpoint passes; a name outside the catalog is unapproved_endpoint with
# its hostname (and a policy_violation, the inference zone being denied the
# internet); an address never answered is no_dns_answer; the data zone's
# egress, DNS to a foreign resolver, a 200 MiB connection logged by both
# interfaces (counted once) and a REJECT sweep are each found, written to the
# incidents table with the flow, its file and the name as evidence; given
# after a later file, the same flows find the same names.  Then
# --follow, with airlockd running again: each finding is committed as its
# window closes (airlockd can still write), and a name resolved after the
# follow started explains the flows that come after it.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

pick_ports 2
LPORT=${PORTS[0]} UPORT=${PORTS[1]}
cat >"$T/up.records" <<'EOF2'
bedrock-runtime.us-east-1.amazonaws.com. 300 IN A 10.0.2.10
evil.example. 300 IN A 203.0.113.50
late.example. 300 IN A 203.0.113.51
EOF2
start_fake up "$UPORT" --records "$T/up.records"
DB=$T/log.db
cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [
    {"name": "application", "cidrs": ["127.0.1.0/24"], "ai": "deny"},
    {"name": "inference", "cidrs": ["127.0.2.0/24"], "new_domains": {"action": "allow"}},
    {"name": "data", "cidrs": ["127.0.3.0/24"], "ai": "deny"}
  ],
  "endpoints": {"private_cidrs": ["10.0.2.0/27"]},
  "log": {"path": "$DB", "batch_ms": 20},
  "rules": [
    {"id": "NET-002", "from": "inference", "to": "external_ai", "proto": "https", "action": "allow"},
    {"id": "NET-011", "from": "data", "to": "internet", "proto": "any", "action": "deny"},
    {"id": "NET-012", "from": "inference", "to": "internet", "proto": "any", "action": "deny"}
  ]
}
JSON
start_airlockd "$T/airlock.json" "$LPORT"
q 127.0.2.9 bedrock-runtime.us-east-1.amazonaws.com A >"$T/a1"
expect_answer "$T/a1" A 10.0.2.10 "the Bedrock endpoint, privately"
q 127.0.2.9 evil.example A >"$T/a2"
expect_answer "$T/a2" A 203.0.113.50 "a name outside the catalog"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"

# Flows a few seconds after the answers (AWS version 2, one file per interface).
NOW=$(date +%s)
S=$((NOW + 5)) E=$((NOW + 65))
V2="2 123456789012"
{
    echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    echo "$V2 eni-inf 127.0.2.9 10.0.2.10 40001 443 6 10 5000 $S $E ACCEPT OK"
    echo "$V2 eni-inf 127.0.2.9 203.0.113.50 40002 443 6 10 7000 $S $E ACCEPT OK"
    echo "$V2 eni-inf 127.0.2.9 198.51.100.99 40003 443 6 10 9000 $S $E ACCEPT OK"
    echo "$V2 eni-inf 127.0.2.9 192.0.2.53 40004 53 17 1 80 $S $E ACCEPT OK"
    echo "$V2 eni-inf 127.0.2.9 10.0.2.10 40005 443 6 9000 104857600 $S $E ACCEPT OK"
    echo "$V2 eni-inf 127.0.2.9 10.0.2.10 40005 443 6 9000 104857600 $((S + 60)) $((E + 60)) ACCEPT OK"
    echo "$V2 eni-inf - - - - - - - $S $E - NODATA"
    echo "$V2 eni-inf not-an-ip 127.0.2.9 1 443 6 1 1 $S $E ACCEPT OK"
} >"$T/inference.log"
{
    # The endpoint's own interface logs the big connection too: once only.
    echo "$V2 eni-vpce 127.0.2.9 10.0.2.10 40005 443 6 9000 104857600 $S $E ACCEPT OK"
    echo "$V2 eni-data 127.0.3.9 198.51.100.7 40100 443 6 5 800 $S $E ACCEPT OK"
    for i in $(seq 1 25); do
        echo "$V2 eni-data 127.0.1.9 127.0.3.$i 40200 22 6 1 40 $S $E REJECT OK"
    done
} >"$T/other.log"
gzip -k "$T/other.log"

"$AIRLOCK" flows -c "$T/airlock.json" "$T/inference.log" "$T/other.log.gz" >"$T/flows.out" 2>"$T/flows.err"
expect_eq "airlock flows exit status (findings)" 1 "$?"
grep -q "inference.log:9: srcaddr: \"not-an-ip\" is not an IP address (skipped)" "$T/flows.err" ||
    fail_out "$T/flows.err" "the bad line was not reported with its line number"
grep -q "inference.log (aws): 9 lines, 6 flows, 1 NODATA, 0 SKIPDATA, 1 bad" "$T/flows.err" ||
    fail_out "$T/flows.err" "the counts of inference.log"
grep -qx "airlock flows: 11 incidents written" "$T/flows.err" ||
    fail_out "$T/flows.err" "the count of incidents written"
sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$1"; }
expect_eq "incidents: kind, severity, client, name, destination, rule, count, bytes" \
"data_zone_egress|critical|127.0.3.9||198.51.100.7||1|800
dns_bypass|high|127.0.2.9||192.0.2.53||1|80
large_transfer|high|127.0.2.9|bedrock-runtime.us-east-1.amazonaws.com.|10.0.2.10||1|209715200
no_dns_answer|warning|127.0.2.9||198.51.100.99||1|9000
no_dns_answer|warning|127.0.3.9||198.51.100.7||1|800
policy_violation|high|127.0.2.9|evil.example.|203.0.113.50|NET-012|1|7000
policy_violation|high|127.0.2.9||198.51.100.99|NET-012|1|9000
policy_violation|high|127.0.3.9||198.51.100.7|NET-011|1|800
policy_violation|high|127.0.2.9||192.0.2.53|NET-012|1|80
rejected_probe|high|127.0.1.9||127.0.3.20||20|40
unapproved_endpoint|warning|127.0.2.9|evil.example.|203.0.113.50||1|7000" \
    "$(sql "SELECT kind, severity, client, name, json_extract(detail, '\$.flow.dst'), json_extract(detail, '\$.rule'),
                   json_extract(detail, '\$.count'), json_extract(detail, '\$.bytes_total')
            FROM incidents ORDER BY kind, json_extract(detail, '\$.flow.dst') DESC")"
expect_eq "each incident names the file and line of its own flow" "data_zone_egress|$T/other.log.gz|2
dns_bypass|$T/inference.log|5" \
    "$(sql "SELECT kind, json_extract(detail, '\$.flow.file'), json_extract(detail, '\$.flow.line')
            FROM incidents WHERE kind IN ('data_zone_egress', 'dns_bypass') ORDER BY kind")"
expect_eq "the unapproved endpoint's incident links the query that resolved it" "evil.example.|127.0.2.9" \
    "$(sql "SELECT q.qname, q.client FROM incidents i JOIN queries q ON q.id = i.query_id WHERE i.kind = 'unapproved_endpoint'")"
"$AIRLOCK" flows -c "$T/airlock.json" --no-write --json "$T/inference.log" >"$T/flows.json" 2>/dev/null
expect_eq "--json --no-write: one object per finding, nothing more written" "7|11" \
    "$(python3 -c 'import json,sys; print(len([json.loads(l) for l in open(sys.argv[1])]))' "$T/flows.json")|$(sql "SELECT count(*) FROM incidents")"

# Files out of time order: a file three days later first (its answers
# are not the ones above), then inference.log.  The log's answers are read
# again for inference.log's flows, which are judged as when read alone.
L=$((NOW + 3 * 86400))
{
    echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    echo "$V2 eni-inf 127.0.2.9 198.51.100.98 40010 443 6 1 40 $L $((L + 60)) ACCEPT OK"
} >"$T/later.log"
"$AIRLOCK" flows -c "$T/airlock.json" --no-write --json "$T/later.log" "$T/inference.log" >"$T/order.json" 2>"$T/order.err"
expect_eq "airlock flows exit status (files out of time order)" 1 "$?"
grep -q "inference.log:2: a flow at .*, older than the flows before it: the query log's answers are read again from" "$T/order.err" ||
    fail_out "$T/order.err" "the flow out of time order was not reported with its file and line"
grep -q "flows out of time order: the query log's answers read again 1 time " "$T/order.err" ||
    fail_out "$T/order.err" "the count of rereads"
findings() {
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)["detail"]
    if d["flow"]["file"].endswith("/inference.log"):
        print(json.loads(l)["kind"], d["flow"]["dst"], d.get("name", "-"))' "$1" | sort
}
expect_eq "inference.log's findings after a later file: as when read alone" "$(findings "$T/flows.json")" \
    "$(findings "$T/order.json")"
# In time order but for one flow of 1970 between: that one is read again
# for (once), and inference.log's flows are judged as when read alone.
{
    echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    echo "$V2 eni-inf 127.0.2.9 198.51.100.97 40011 443 6 1 40 0 60 ACCEPT OK"
} >"$T/early.log"
"$AIRLOCK" flows -c "$T/airlock.json" --no-write --json "$T/inference.log" "$T/early.log" "$T/later.log" \
    >"$T/gap.json" 2>"$T/gap.err"
expect_eq "airlock flows exit status (a flow of 1970 between)" 1 "$?"
grep -q "flows out of time order: the query log's answers read again 1 time " "$T/gap.err" ||
    fail_out "$T/gap.err" "the count of rereads with a flow of 1970 between"
expect_eq "inference.log's findings with a flow of 1970 after it: as when read alone" "$(findings "$T/flows.json")" \
    "$(findings "$T/gap.json")"

start_airlockd "$T/airlock.json" "$LPORT" airlockd2
F=$T/follow.log
S=$(($(date +%s) - 1000))
{
    echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    echo "$V2 eni-data 127.0.3.9 198.51.100.8 40300 443 6 5 800 $S $((S + 60)) ACCEPT OK"
    # From outside the zones: not judged, but it closes the window of the one above.
    echo "$V2 eni-x 192.0.2.1 192.0.2.2 40301 443 6 1 40 $((S + 700)) $((S + 760)) ACCEPT OK"
} >"$F"
"$AIRLOCK" flows -c "$T/airlock.json" --follow "$F" >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW_PID=$!
PIDS="$PIDS $FOLLOW_PID"
FOLLOWED="json_extract(detail, '\$.flow.file') = '$F'"
wait_sql "SELECT kind FROM incidents WHERE $FOLLOWED ORDER BY kind" "data_zone_egress
no_dns_answer
policy_violation" "--follow: a finding is committed as its window closes" 5000
sqlite3 -cmd ".timeout 200" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" >"$T/lock.err" 2>&1 ||
    fail_out "$T/lock.err" "--follow holds the log's write lock: airlockd's writer would wait"
q 127.0.2.9 late.example A >"$T/a3"
expect_answer "$T/a3" A 203.0.113.51 "a name resolved while --follow runs"
wait_sql "SELECT count(*) FROM queries WHERE qname = 'late.example.'" 1 "airlockd logs a query while --follow runs" 5000
S=$(($(date +%s) + 5))
{
    echo "$V2 eni-inf 127.0.2.9 203.0.113.51 40302 443 6 10 700 $S $((S + 60)) ACCEPT OK"
    echo "$V2 eni-x 192.0.2.1 192.0.2.2 40303 443 6 1 40 $((S + 700)) $((S + 760)) ACCEPT OK"
} >>"$F"
wait_sql "SELECT kind, name FROM incidents WHERE $FOLLOWED AND json_extract(detail, '\$.flow.dst') = '203.0.113.51'
     ORDER BY kind" "policy_violation|late.example.
unapproved_endpoint|late.example." "--follow: the answer written after the first flows explains the next one" 5000
kill -TERM "$FOLLOW_PID"
wait_exit "$FOLLOW_PID" 5000
expect_eq "airlock flows --follow stops on SIGTERM" 143 "$EXIT_STATUS"
pass
