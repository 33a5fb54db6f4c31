#!/bin/bash
# Prometheus /metrics: every line of the exposition is well formed, and the
# counters move by exactly what dig's queries did (by zone, type, rcode and
# decision; cache, upstream, latency histogram, query log), reloads are
# counted by result, other paths get 404 and other methods 405; a metrics
# address beyond loopback is a config error unless allow_remote is set.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_upstream
CFG=$T/airlock.json
URL=http://127.0.0.1:$MPORT/metrics

# The scraper: GET URL, check the status, the content type and every line
# (HELP, TYPE or a sample of a typed family with a float value), then
# write the samples to OUT as "series value".  With --status METHOD, only
# print the status code of that request.
cat >"$T/scrape.py" <<'EOF'
import re, sys, urllib.error, urllib.request

if sys.argv[1] == "--status":
    req = urllib.request.Request(sys.argv[3], method=sys.argv[2],
                                 data=b"x=1" if sys.argv[2] == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            print(r.status)
    except urllib.error.HTTPError as e:
        print(e.code)
    sys.exit(0)

url, out = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(url, timeout=5) as r:
    if r.status != 200:
        sys.exit(f"GET {url}: status {r.status}, expected 200")
    ctype = r.headers.get("Content-Type", "")
    if not ctype.startswith("text/plain; version=0.0.4"):
        sys.exit(f"GET {url}: Content-Type {ctype!r}, expected text/plain; version=0.0.4")
    text = r.read().decode("utf-8")
if not text.endswith("\n"):
    sys.exit("the exposition does not end with a newline")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = NAME + r'="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? (\S+)$")
types, samples, seen = {}, [], set()
for n, line in enumerate(text.splitlines(), 1):
    m = re.match(rf"^# (HELP|TYPE) ({NAME}) (.+)$", line)
    if m:
        if m.group(1) == "TYPE":
            if m.group(3) not in ("counter", "gauge", "histogram", "summary", "untyped"):
                sys.exit(f"line {n}: bad type: {line}")
            if m.group(2) in types:
                sys.exit(f"line {n}: second TYPE for {m.group(2)}")
            types[m.group(2)] = m.group(3)
        continue
    m = SAMPLE.match(line)
    if not m:
        sys.exit(f"line {n}: not a HELP, TYPE or sample line: {line!r}")
    float(m.group(3))  # raises on a bad value
    name = m.group(1)
    family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
    if family not in types:
        sys.exit(f"line {n}: sample of {name} without a TYPE line before it")
    series = name + (m.group(2) or "")
    if series in seen:
        sys.exit(f"line {n}: duplicate series {series}")
    seen.add(series)
    samples.append(f"{series} {m.group(3)}")
with open(out, "w") as f:
    f.write("\n".join(samples) + "\n")
EOF

scrape() {  # OUT
    "$PY" "$T/scrape.py" "$URL" "$1" 2>"$1.err" || fail "scrape: $(cat "$1.err")"
}

val() {  # FILE SERIES: its value, 0 when absent
    awk -v s="$2" '$1 == s { v = $2 } END { print (v == "" ? 0 : v) }' "$1"
}

# expect_delta WHAT BEFORE AFTER SERIES N: the series moved by exactly N.
expect_delta() {
    local a b
    a=$(val "$2" "$4")
    b=$(val "$3" "$4")
    [ $((b - a)) -eq "$5" ] || fail "$1: $4 moved by $((b - a)) ($a -> $b), expected $5"
}

qt() {  # the queries_total series for ZONE TYPE RCODE DECISION
    printf 'airlock_queries_total{zone="%s",type="%s",rcode="%s",decision="%s"}' "$@"
}

sum_of() {  # FILE NAME: the sum of every series of the metric NAME
    awk -v n="$2" 'index($1, n "{") == 1 || $1 == n { s += $2 } END { print s + 0 }' "$1"
}

# A config error: a metrics address beyond loopback (checked by -t).
write_config "$T/remote.json" "$LPORT" "$UPORT" "127.0.2.0/24"
add_json "$T/remote.json" '{"metrics": {"address": "0.0.0.0", "port": 9153}}'
"$AIRLOCKD" -t -c "$T/remote.json" >"$T/remote.out" 2>&1 && fail "airlockd -t accepted metrics.address 0.0.0.0 without allow_remote"
grep -q 'remote.json: metrics.address: "0.0.0.0" is not a loopback address' "$T/remote.out" \
    || fail "airlockd -t: expected an error naming remote.json and metrics.address, saw: $(cat "$T/remote.out")"
add_json "$T/remote.json" '{"metrics": {"address": "0.0.0.0", "port": 9153, "allow_remote": true}}'
"$AIRLOCKD" -t -c "$T/remote.json" >"$T/remote.out" 2>&1 \
    || fail "airlockd -t rejected metrics.address 0.0.0.0 with allow_remote: $(cat "$T/remote.out")"

# The daemon: one zone 127.0.2.0/24, a query log, metrics on loopback.
write_config "$CFG" "$LPORT" "$UPORT" "127.0.2.0/24" upstream_holddown_ms=0
add_json "$CFG" "{\"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT}, \"log\": {\"path\": \"$T/log.db\", \"batch_ms\": 20}}"
start_airlockd "$CFG" "$LPORT"

scrape "$T/s0"
expect_eq "airlock_build_info" 1 "$(awk '/^airlock_build_info\{version="[^"]+"\}/ { print $2 }' "$T/s0")"
expect_int "airlock_start_time_seconds" -gt 1600000000 "$(val "$T/s0" airlock_start_time_seconds)"
expect_eq "airlock_log_available" 1 "$(val "$T/s0" airlock_log_available)"

# Traffic: six queries from the zone, one from outside every zone.
q 127.0.2.1 a1.example A >"$T/a1"
expect_status "$T/a1" NOERROR "a1.example A (to the upstream)"
q 127.0.2.1 a1.example A >"$T/a1b"
expect_status "$T/a1b" NOERROR "a1.example A again (from the cache)"
q 127.0.2.1 a1.example A +tcp >"$T/a1c"
expect_status "$T/a1c" NOERROR "a1.example A over TCP (from the cache)"
q 127.0.2.2 nx1.example AAAA >"$T/nx1"
expect_status "$T/nx1" NXDOMAIN "nx1.example AAAA"
q 127.0.2.3 t1.example TXT >"$T/t1"
expect_status "$T/t1" NOERROR "t1.example TXT"
q 127.0.2.4 c1.example CAA >"$T/c1"
expect_status "$T/c1" NOERROR "c1.example CAA (type other)"
q 127.0.3.1 r1.example A >"$T/r1"
expect_status "$T/r1" REFUSED "from 127.0.3.1 (in no zone)"

scrape "$T/s1"
W="after the first queries"
expect_delta "$W" "$T/s0" "$T/s1" "$(qt e2e A NOERROR upstream)" 1
expect_delta "$W" "$T/s0" "$T/s1" "$(qt e2e A NOERROR cache)" 2
expect_delta "$W" "$T/s0" "$T/s1" "$(qt e2e AAAA NXDOMAIN upstream)" 1
expect_delta "$W" "$T/s0" "$T/s1" "$(qt e2e TXT NOERROR upstream)" 1
expect_delta "$W" "$T/s0" "$T/s1" "$(qt e2e other NOERROR upstream)" 1
expect_delta "$W" "$T/s0" "$T/s1" "$(qt '' A REFUSED refused)" 1
expect_eq "$W: all of airlock_queries_total" $(($(sum_of "$T/s0" airlock_queries_total) + 7)) \
    "$(sum_of "$T/s1" airlock_queries_total)"
expect_delta "$W" "$T/s0" "$T/s1" airlock_query_duration_seconds_count 7
expect_eq "$W: _count equals the +Inf bucket" "$(val "$T/s1" airlock_query_duration_seconds_count)" \
    "$(val "$T/s1" 'airlock_query_duration_seconds_bucket{le="+Inf"}')"
expect_delta "$W" "$T/s0" "$T/s1" airlock_cache_hits_total 2
expect_delta "$W" "$T/s0" "$T/s1" airlock_cache_misses_total 4
expect_eq "$W: airlock_cache_entries" 4 "$(val "$T/s1" airlock_cache_entries)"
expect_int "$W: airlock_cache_bytes" -gt 0 "$(val "$T/s1" airlock_cache_bytes)"
UP="upstream=\"127.0.0.1#$UPORT\""
expect_delta "$W" "$T/s0" "$T/s1" "airlock_upstream_queries_total{$UP}" 4
expect_delta "$W" "$T/s0" "$T/s1" "airlock_upstream_rtt_seconds_count{$UP}" 4
expect_delta "$W" "$T/s0" "$T/s1" "airlock_upstream_failures_total{$UP,reason=\"timeout\"}" 0
expect_delta "$W" "$T/s0" "$T/s1" "airlock_upstream_failures_total{$UP,reason=\"error\"}" 0
expect_delta "$W" "$T/s0" "$T/s1" airlock_refused_no_zone_total 1
expect_delta "$W" "$T/s0" "$T/s1" airlock_queries_received_total 7
expect_delta "$W" "$T/s0" "$T/s1" airlock_tcp_connections_total 1
expect_delta "$W" "$T/s0" "$T/s1" airlock_tcp_queries_received_total 1

# The query log: every answered query becomes a row (written in batches).
rows0=$(val "$T/s0" airlock_log_rows_written_total)
deadline=$(($(now_ms) + 5000))
while :; do
    scrape "$T/s1log"
    [ $(($(val "$T/s1log" airlock_log_rows_written_total) - rows0)) -ge 7 ] && break
    [ "$(now_ms)" -lt "$deadline" ] || break
    sleep 0.1
done
expect_delta "query log rows" "$T/s0" "$T/s1log" airlock_log_rows_written_total 7
expect_eq "airlock_log_rows_dropped_total" 0 "$(val "$T/s1log" airlock_log_rows_dropped_total)"
expect_eq "airlock_log_queue_rows" 0 "$(val "$T/s1log" airlock_log_queue_rows)"

# Upstream failures: an error rcode, then silence past upstream_ms.
q 127.0.2.1 servfail1.example A >"$T/sf"
expect_status "$T/sf" SERVFAIL "servfail1.example A (the upstream answers SERVFAIL)"
q 127.0.2.1 drop1.example A >"$T/dr"
expect_status "$T/dr" SERVFAIL "drop1.example A (the upstream never answers)"
scrape "$T/s2"
W="after the upstream failures"
expect_delta "$W" "$T/s1" "$T/s2" "airlock_upstream_failures_total{$UP,reason=\"error\"}" 1
expect_delta "$W" "$T/s1" "$T/s2" "airlock_upstream_failures_total{$UP,reason=\"timeout\"}" 1
expect_delta "$W" "$T/s1" "$T/s2" "airlock_upstream_queries_total{$UP}" 2
expect_delta "$W" "$T/s1" "$T/s2" "airlock_upstream_rtt_seconds_count{$UP}" 0
expect_delta "$W" "$T/s1" "$T/s2" "$(qt e2e A SERVFAIL failed)" 2

# Other paths and methods.
expect_eq "GET /nope" 404 "$("$PY" "$T/scrape.py" --status GET "http://127.0.0.1:$MPORT/nope")"
expect_eq "POST /metrics" 405 "$("$PY" "$T/scrape.py" --status POST "$URL")"
expect_eq "HEAD /metrics" 200 "$("$PY" "$T/scrape.py" --status HEAD "$URL")"

# The limits: a request head over 4 KiB gets 431; past 16 open
# connections a new one is closed at once, and the server serves again
# once they are gone.
limits=$("$PY" - "$MPORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s
def status_of(request):
    s = conn()
    s.sendall(request)
    code = s.recv(64).split(b" ")[1].decode()
    # Our side closed, then the server's: it no longer counts this
    # connection when the 16 below arrive.
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    return code
status = status_of(b"GET /metrics HTTP/1.1\r\nX-Filler: " + b"a" * 5000 + b"\r\n\r\n")
# A NUL in the head: 400 at once, not the 10 s timeout (timeout=5 above).
status += "/" + status_of(b"GET /metrics HTTP/1.1\r\n\0\r\n\r\n")
# Earlier scrapes' connections close once the server reads their EOF.
time.sleep(0.5)
held = [conn() for _ in range(16)]
extra = conn()
closed = extra.recv(64) == b""
# The 16 were held, not dropped: each still answers its request (a lower
# cap would have closed some of them).
served = 0
for h in held:
    h.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    served += h.recv(64).startswith(b"HTTP/1.1 200")
    h.close()
# A request never finished is closed after the 10 s allowed to send one.
s = conn()
s.settimeout(15)
s.sendall(b"GET /metrics HTTP/1.1\r\n")
t0 = time.monotonic()
idle_closed = s.recv(64)
waited = time.monotonic() - t0
s.close()
print(status, "closed" if closed else "served", served,
      "timeout-ok" if 9 <= waited <= 12 and idle_closed in (b"",) or idle_closed.startswith(b"HTTP/1.1 4") and 9 <= waited <= 12 else "timeout-%.1f" % waited)
EOF
)
expect_eq "an oversized request, a NUL in the head; a 17th connection; the 16 held served; an unfinished request closed at 10 s" \
    "431/400 closed 16 timeout-ok" "$limits"
# The server may see the new connection before the 16 closes.
for _ in $(seq 1 20); do
    "$PY" "$T/scrape.py" "$URL" "$T/s2b" 2>/dev/null && break
    sleep 0.1
done
scrape "$T/s2b"

# wait_reloads FILE RESULT N: scrape into FILE until RESULT's count is N.
wait_reloads() {
    local deadline series="airlock_config_reloads_total{result=\"$2\"}"
    deadline=$(($(now_ms) + 3000))
    while :; do
        scrape "$1"
        [ "$(val "$1" "$series")" -eq "$3" ] && return 0
        [ "$(now_ms)" -lt "$deadline" ] || fail "$series: expected $3, saw $(val "$1" "$series")"
        sleep 0.05
    done
}

# Reloads: a good one, then a broken file.
expect_eq "reloads before any" 0 "$(val "$T/s2" 'airlock_config_reloads_total{result="success"}')"
sleep 1 # the reload's timestamp must differ from the start's
kill -HUP "$AL_PID"
wait_reloads "$T/s3" success 1
expect_eq "failed reloads after a good one" 0 "$(val "$T/s3" 'airlock_config_reloads_total{result="failure"}')"
expect_int "the last good reload's timestamp" -gt "$(val "$T/s0" airlock_config_last_reload_success_timestamp_seconds)" \
    "$(val "$T/s3" airlock_config_last_reload_success_timestamp_seconds)"
cp "$CFG" "$CFG.good"
printf '{ "listen": [\n' >"$CFG"
kill -HUP "$AL_PID"
wait_reloads "$T/s4" failure 1
expect_eq "good reloads after a failed one" 1 "$(val "$T/s4" 'airlock_config_reloads_total{result="success"}')"
expect_eq "the last good reload's timestamp after a failed one" \
    "$(val "$T/s3" airlock_config_last_reload_success_timestamp_seconds)" \
    "$(val "$T/s4" airlock_config_last_reload_success_timestamp_seconds)"
cp "$CFG.good" "$CFG"

# A reload empties the cache but keeps the counters.
expect_eq "airlock_cache_entries after the reload" 0 "$(val "$T/s4" airlock_cache_entries)"
expect_delta "cache hits across the reload" "$T/s2" "$T/s4" airlock_cache_hits_total 0
q 127.0.2.1 a1.example A >"$T/a1d"
expect_status "$T/a1d" NOERROR "a1.example A after the reload (to the upstream again)"
scrape "$T/s5"
expect_delta "after the reload" "$T/s4" "$T/s5" "$(qt e2e A NOERROR upstream)" 1
expect_delta "after the reload" "$T/s4" "$T/s5" airlock_cache_misses_total 1

pass
