#!/bin/bash
# A SIGHUP storm under load: while a client sends 20000 UDP queries (cached
# and uncached names), the config file is swapped by atomic renames between
# two good configs and two broken ones (bad JSON, an unknown key) and
# airlockd gets 50 SIGHUPs at random short intervals, with `airlock ctl
# reload` in a loop besides.  No query is lost (a second try after 1 s is
# allowed), every answer is right, airlockd keeps running, the reload
# counters add up to the reloads it logged (both kinds seen), and after a
# good config then a broken one, the good one is in force.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_upstream
CFG=$T/airlock.json SOCK=$T/ctl.sock

# good1: one zone, 127.0.2.0/24; good2: also 127.0.4.0/24.  Both keep the
# same metrics and control sections (those change only at restart).
make_config() {  # OUT CIDRS EXTRA-JSON
    write_config "$1" "$LPORT" "$UPORT" "$2"
    add_json "$1" "{\"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT}, \"control\": {\"path\": \"$SOCK\"}}"
    add_json "$1" "$3"
}
make_config "$T/good1.json" "127.0.2.0/24" '{}'
make_config "$T/good2.json" "127.0.2.0/24 127.0.4.0/24" '{}'
make_config "$T/badkey.json" "127.0.2.0/24" '{"cache_size": 16}'
head -c 200 "$T/good2.json" >"$T/badjson.json"
"$AIRLOCKD" -t -c "$T/badkey.json" >"$T/badkey.out" 2>&1 \
    && fail "airlockd -t accepted an unknown key: $(cat "$T/badkey.out")"
grep -q 'cache_size' "$T/badkey.out" \
    || fail "airlockd -t: expected the unknown key named, saw: $(cat "$T/badkey.out")"
cp "$T/good1.json" "$CFG"
start_airlockd "$CFG" "$LPORT"

# swap NAME: the config becomes NAME, by an atomic rename.
swap() {
    cp "$T/$1.json" "$CFG.tmp" || fail "cannot copy $1"
    mv "$CFG.tmp" "$CFG" || fail "cannot swap in $1"
}
metric() { scrape_value "$MPORT" "$1"; }  # SERIES: its value now
reloads() {  # RESULT
    metric "airlock_config_reloads_total{result=\"$1\"}"
}

# The load: 20000 queries, 64 in flight, half to 50 names that stay in the
# cache, half to names asked once.  A query not answered within 1 s is sent
# once more; a second silence is a lost query.
"$PY" - "$LPORT" >"$T/load.out" 2>&1 <<'PYEOF' &
import asyncio, sys, time
import dns.message, dns.rcode
from dnsudp import udp

PORT, TOTAL, WINDOW = int(sys.argv[1]), 20000, 64


async def main():
    loop = asyncio.get_running_loop()
    s = udp("127.0.2.5")
    s.connect(("127.0.0.1", PORT))
    waiting = {}  # id -> future
    bad, lost, retried = [], [], [0]

    def on_readable():
        while True:
            try:
                data = s.recv(4096)
            except BlockingIOError:
                return
            try:
                m = dns.message.from_wire(data)
            except Exception as e:
                bad.append("unparsable reply: %s" % e)
                continue
            f = waiting.get(m.id)
            if f and not f.done():
                f.set_result(m)

    loop.add_reader(s.fileno(), on_readable)
    sem = asyncio.Semaphore(WINDOW)

    async def one(i):
        name = "hot%d.example." % (i % 50) if i % 2 else "u%d.example." % i
        q = dns.message.make_query(name, "A", use_edns=0)
        q.id = i % 65536
        async with sem:
            for attempt in range(2):
                f = loop.create_future()
                waiting[q.id] = f
                s.send(q.to_wire())
                try:
                    r = await asyncio.wait_for(f, 1.0)
                    break
                except asyncio.TimeoutError:
                    retried[0] += attempt == 0
                    r = None
            waiting.pop(q.id, None)
        if r is None:
            lost.append(name)
            return
        got = (dns.rcode.to_text(r.rcode()), r.question[0].name.to_text().lower(),
               [rd.address for rr in r.answer for rd in rr if rr.rdtype == 1])
        if got != ("NOERROR", name, ["192.0.2.1"]):
            bad.append("%s: %s" % (name, got))

    t0 = time.monotonic()
    await asyncio.gather(*[one(i) for i in range(TOTAL)])
    took = time.monotonic() - t0
    print("%d queries in %.1f s: %d lost, %d wrong, %d sent twice"
          % (TOTAL, took, len(lost), len(bad), retried[0]))
    if lost or bad:
        sys.exit("lost %s; wrong %s" % (lost[:5], bad[:5]))


asyncio.run(main())
PYEOF
LOAD=$!
PIDS="$PIDS $LOAD"

# `airlock ctl reload` in a loop meanwhile, whatever the file holds.
(
    while kill -0 "$LOAD" 2>/dev/null; do
        "$AIRLOCK" ctl -s "$SOCK" reload >>"$T/ctl.out" 2>&1
        sleep 0.1
    done
) &
CTL=$!
PIDS="$PIDS $CTL"

# The storm: 50 SIGHUPs, 10-150 ms apart, each after a swap.
names=(good1 badjson good2 badkey)
for i in $(seq 1 50); do
    swap "${names[RANDOM % 4]}"
    kill -HUP "$AL_PID" || fail "airlockd gone at SIGHUP $i"
    sleep "0.$(printf '%03d' $((10 + RANDOM % 140)))"
done
wait "$LOAD"
rc=$?
forget_pid "$LOAD"
wait "$CTL"
forget_pid "$CTL"
[ $rc -eq 0 ] || fail_out "$T/load.out" "queries during the SIGHUP storm"
kill -0 "$AL_PID" 2>/dev/null || fail "airlockd died in the SIGHUP storm"
grep -q '^ok$' "$T/ctl.out" || fail "no 'airlock ctl reload' succeeded: $(head -5 "$T/ctl.out")"
grep -q 'airlock.json' "$T/ctl.out" || fail "no 'airlock ctl reload' failed naming the file: $(head -5 "$T/ctl.out")"

# wait_reloads RESULT N: until the counter says N (5 s).
wait_reloads() {
    local deadline seen
    deadline=$(($(now_ms) + 5000))
    while :; do
        seen=$(reloads "$1")
        [ "$seen" = "$2" ] && return 0
        [ "$(now_ms)" -lt "$deadline" ] || fail "reloads $1: expected $2, saw '$seen'"
        sleep 0.05
    done
}
# The counters match what airlockd logged: every reload was counted once.
sleep 0.5 # the last SIGHUP's reload is done
ok=$(grep -c ']: reloaded ' "$T/airlockd.err")
failed=$(grep -c 'reload failed: ' "$T/airlockd.err")
say "$(cat "$T/load.out"); reloads: $ok good, $failed failed"
expect_int "good reloads logged" -ge 5 "$ok"
expect_int "failed reloads logged" -ge 5 "$failed"
expect_eq "good reloads counted (as logged)" "$ok" "$(reloads success)"
expect_eq "failed reloads counted (as logged)" "$failed" "$(reloads failure)"
grep -q 'badkey.json\|airlock.json: .*cache_size' "$T/airlockd.err" \
    || fail "no failed reload named the unknown key cache_size"

# The last good config stays in force after a broken one: first good1
# (127.0.4.1 refused), then good2 (127.0.4.1 served), then a broken file.
swap good1
kill -HUP "$AL_PID"
wait_reloads success $((ok + 1))
expect_status_soon 127.0.4.1 g1.example REFUSED "from 127.0.4.1 under good1"
swap good2
kill -HUP "$AL_PID"
wait_reloads success $((ok + 2))
swap badjson
kill -HUP "$AL_PID"
wait_reloads failure $((failed + 1))
q 127.0.4.1 g2.example A >"$T/g2"
expect_status "$T/g2" NOERROR "from 127.0.4.1 after good2 then a broken file"
expect_answer "$T/g2" A 192.0.2.1 "from 127.0.4.1 after good2 then a broken file"
q 127.0.2.1 g2b.example A >"$T/g2b"
expect_answer "$T/g2b" A 192.0.2.1 "from 127.0.2.1 after good2 then a broken file"
pass
