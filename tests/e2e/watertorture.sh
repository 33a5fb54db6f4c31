#!/bin/bash
# The water-torture pattern: thousands of random subdomains of one domain
# (victim.example) from several clients, with the tunnel detector in alert
# mode so the per-domain limit is what holds.  The upstream sees at most
# rate_limit.upstream_per_domain questions a second for victim.example;
# the rest get SERVFAIL at once, counted and logged with the reason
# "upstream rate limit".  A legitimate client asking other names (new ones,
# and a cached one) meanwhile gets every answer.  Before the torture, 1200
# newly seen domains with large answers fill the cache: its bytes stay
# within cache.size_mib and the newly seen domains within
# new_domains.max_domains.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

start_upstream
CFG=$T/airlock.json
DB=$T/log.db
PER_DOMAIN=50
cat >"$CFG" <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "e2e", "cidrs": ["127.0.2.0/24"], "tunnel": {"action": "alert"}} ],
  "cache": {"size_mib": 1},
  "timeouts": {"upstream_ms": 2000, "query_ms": 6000},
  "guard": {"max_domains": 64},
  "new_domains": {"max_domains": 16},
  "log": {"path": "$DB", "batch_ms": 20, "queue": 1024},
  "metrics": {"port": $MPORT},
  "rate_limit": {"upstream_per_domain": $PER_DOMAIN}
}
EOF
start_airlockd "$CFG" "$LPORT"

cat >"$T/wt.py" <<'EOF'
"""fill PORT N RATE: N newly seen domains with a 60-record answer
(big<random>.example) from 127.0.2.20 at RATE a second.
torture PORT N RATE: N random subdomains of victim.example
(nx<random>.victim.example) at RATE a second, round-robin from 127.0.2.10
to 127.0.2.13, while 127.0.2.50 asks legit-<k>.example and cached.example
in turn every 0.2 s.  Both print key=value counts."""
import os, select, struct, sys, time

import dns.message, dns.rcode
from dnsudp import udp

def run(port, n, rate, make, srcs, legit=None):
    socks = [udp(a) for a in srcs]
    lsock = udp(legit) if legit else None
    rcodes, lsent, lwant, lok = {}, 0, {}, 0
    start = last = time.monotonic()
    i = 0
    while True:
        now = time.monotonic()
        if i < n:
            due = min(int((now - start) * rate) + 1, n)
            while i < due:
                q = dns.message.make_query(make(i), "A", use_edns=False)
                q.id = i & 0xffff
                socks[i % len(socks)].sendto(q.to_wire(), ("127.0.0.1", port))
                i += 1
            last = now
        elif now > last + 3 and not lwant:
            break
        elif now > last + 8:
            break
        if lsock and i < n and lsent < int((now - start) / 0.2) + 1:
            name = "cached.example." if lsent % 2 else "legit-%d.example." % lsent
            q = dns.message.make_query(name, "A", use_edns=False)
            q.id = lsent
            lwant[lsent] = name
            lsock.sendto(q.to_wire(), ("127.0.0.1", port))
            lsent += 1
        ready, _, _ = select.select(socks + ([lsock] if lsock else []), [], [], 0.005)
        for s in ready:
            while True:
                try:
                    m = dns.message.from_wire(s.recv(65535))
                except BlockingIOError:
                    break
                if s is lsock:
                    name = lwant.pop(m.id, None)
                    addrs = [a.to_text() for rr in m.answer for a in rr if rr.rdtype == 1]
                    if name and m.rcode() == 0 and addrs == ["192.0.2.1"]:
                        lok += 1
                    elif name:
                        print("legit %s: %s %s" % (name, dns.rcode.to_text(m.rcode()), addrs),
                              file=sys.stderr)
                    continue
                r = dns.rcode.to_text(m.rcode()).lower()
                rcodes[r] = rcodes.get(r, 0) + 1
    print("sent=%d replies=%d seconds=%d %s legit_sent=%d legit_ok=%d" % (
        n, sum(rcodes.values()), int(last - start) + 1,
        " ".join("%s=%d" % kv for kv in sorted(rcodes.items())), lsent, lok))

port, n, rate = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
if sys.argv[1] == "fill":
    run(port, n, rate, lambda i: "big%s.example." % os.urandom(6).hex(), ["127.0.2.20"])
else:
    run(port, n, rate, lambda i: "nx%s.victim.example." % os.urandom(8).hex(),
        ["127.0.2.%d" % a for a in range(10, 14)], legit="127.0.2.50")
EOF

metric() { scrape_value "$MPORT" "$1" || fail "no metric $1"; }
# get KEY LINE: the value of KEY=... in LINE; 0 when absent (no such rcode).
get() {
    local v
    v=$(sed -n "s/.* $1=\([0-9]*\).*/\1/p; s/^$1=\([0-9]*\).*/\1/p" <<<"$2" | head -n 1)
    echo "${v:-0}"
}
sql() { sqlite3 -batch -noheader "$DB" "$1"; }

q 127.0.2.50 cached.example A >"$T/cached"
expect_answer "$T/cached" A 192.0.2.1 "cached.example before the flood"

# 1200 newly seen domains, ~1 KB answers each: more than the 1 MiB cache.
line=$("$PY" "$T/wt.py" fill "$LPORT" 1200 600) || fail "fill: $line"
say "fill: $line"
expect_int "fill: answered" -ge 1000 "$(get noerror "$line")"

limited0=$(metric airlock_servfail_upstream_rate_limited_total)
rss0=$(awk '/^VmRSS:/ {print $2}' /proc/"$AL_PID"/status)
# 3000 random subdomains of victim.example in about 3 s.
line=$("$PY" "$T/wt.py" torture "$LPORT" 3000 1000 2>"$T/legit.err") || fail "torture: $line"
say "torture: $line"
secs=$(get seconds "$line")
[ -s "$T/legit.err" ] && fail "legitimate client: $(head -n 5 "$T/legit.err")"
expect_int "legitimate queries during the flood" -ge 10 "$(get legit_sent "$line")"
expect_eq "legitimate queries answered NOERROR 192.0.2.1 during the flood" \
    "$(get legit_sent "$line")" "$(get legit_ok "$line")"
expect_int "torture: SERVFAIL (over upstream_per_domain)" -ge 1000 "$(get servfail "$line")"

# The upstream: at most PER_DOMAIN a second for victim.example, over the
# seconds the flood took, plus one for each second boundary it straddled
# and one spare.
ups=$(awk '$2 ~ /\.victim\.example\.$/' "$T/up.log" | wc -l)
say "upstream questions for victim.example: $ups in about $secs s"
expect_int "upstream questions for victim.example" -le $((PER_DOMAIN * (secs + 2))) "$ups"
expect_int "upstream questions for victim.example" -ge "$PER_DOMAIN" "$ups"
limited=$(($(metric airlock_servfail_upstream_rate_limited_total) - limited0))
expect_int "airlock_servfail_upstream_rate_limited_total moved" -ge "$(get servfail "$line")" "$limited"
expect_int "limited plus sent upstream" -ge 2900 $((limited + ups))

# The log's reason for the limited ones; no other domain was limited.
for _ in $(seq 1 100); do
    [ "$(sql "SELECT count(*) FROM queries WHERE reason = 'upstream rate limit'")" -ge "$limited" ] && break
    sleep 0.05
done
expect_eq "rows with reason 'upstream rate limit' (action failed, SERVFAIL)" "$limited" \
    "$(sql "SELECT count(*) FROM queries WHERE reason = 'upstream rate limit' AND action = 'failed' AND rcode = 2 AND qname LIKE '%.victim.example.'")"
expect_eq "rows with reason 'upstream rate limit' for other names" 0 \
    "$(sql "SELECT count(*) FROM queries WHERE reason = 'upstream rate limit' AND qname NOT LIKE '%.victim.example.'")"

# Memory bounds: the cache within size_mib, and it had to evict; the
# newly seen domains within max_domains, and the cap was reached.
bytes=$(metric airlock_cache_bytes)
expect_int "airlock_cache_bytes (cache.size_mib 1)" -le 1048576 "$bytes"
expect_int "airlock_cache_bytes" -gt 500000 "$bytes"
expect_int "airlock_cache_evictions_total" -gt 0 "$(metric airlock_cache_evictions_total)"
expect_int "newly seen domains saved (new_domains.max_domains 16)" -le 16 "$(sql "SELECT count(*) FROM seen_domains")"
expect_int "airlock_new_domains_not_remembered_total" -gt 1000 "$(metric airlock_new_domains_not_remembered_total)"
# And the whole process: with the cache already full, 3000 new names (and
# the detector's fixed tables, the rate table) grow airlockd by at most
# 2 MiB (a few hundred bytes kept per name would be more).
rss1=$(awk '/^VmRSS:/ {print $2}' /proc/"$AL_PID"/status)
say "airlockd RSS: ${rss0} KiB before the flood, ${rss1} KiB after"
if sanitized; then
    say "an ASan build keeps freed memory in quarantine: its RSS growth is not checked"
else
    expect_int "airlockd RSS growth over the flood (KiB)" -le 2048 $((rss1 - rss0))
fi

pass
