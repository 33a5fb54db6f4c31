#!/bin/bash
# Coalescing: ten clients asking for the same name at once are all answered
# from a single upstream query.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream upstream_ms=2000

digs=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    q "127.0.2.$i" delay500-a.example A >"$T/out$i" &
    digs="$digs $!"
done
for pid in $digs; do
    wait "$pid"
done

for i in 1 2 3 4 5 6 7 8 9 10; do
    expect_status "$T/out$i" NOERROR "client 127.0.2.$i, delay500-a.example"
    expect_answer "$T/out$i" A 192.0.2.1 "client 127.0.2.$i, delay500-a.example"
done
expect_eq "upstream queries for delay500-a.example after 10 concurrent clients" 1 \
    "$(log_count "$T/up.log" delay500-a.example)"

# The clients waiting on flights are bounded too: limits.inflight 16 lets
# 64 wait (4 per flight allowed).  100 clients asking one name that takes
# 1.5 s: the first 64 get the answer, the others SERVFAIL at once.
stop_daemon airlockd
write_config "$T/airlock.json" "$LPORT" "$UPORT" "127.0.2.0/24" upstream_ms=3000
add_json "$T/airlock.json" '{"limits": {"inflight": 16}}'
start_airlockd "$T/airlock.json" "$LPORT"
cat >"$T/waiters.py" <<'EOF'
import select, sys, time
import dns.message, dns.rcode
from dnsudp import udp

port = int(sys.argv[1])
socks = [udp("127.0.2.%d" % (i + 1)) for i in range(100)]
for s in socks:
    s.sendto(dns.message.make_query("delay1500-w.example.", "A", use_edns=False).to_wire(),
             ("127.0.0.1", port))
start, got, end = time.monotonic(), {}, time.monotonic() + 5
while len(got) < len(socks) and time.monotonic() < end:
    ready, _, _ = select.select([s for s in socks if s not in got], [], [], 0.2)
    for s in ready:
        got[s] = (dns.rcode.to_text(dns.message.from_wire(s.recv(4096)).rcode()), time.monotonic())
print(" ".join("%s=%d" % (rc, sum(1 for r, _ in got.values() if r == rc)) for rc in ("NOERROR", "SERVFAIL")),
      "servfail_late=%d" % sum(1 for r, t in got.values() if r == "SERVFAIL" and t - start > 1.0),
      "replies=%d" % len(got))
EOF
"$PY" "$T/waiters.py" "$LPORT" >"$T/waiters" 2>&1 ||
    fail_out "$T/waiters" "the 100 clients failed"
expect_eq "replies to 100 clients waiting on one name" \
    "NOERROR=64 SERVFAIL=36 servfail_late=0 replies=100" "$(cat "$T/waiters")"
expect_eq "upstream queries for delay1500-w.example" 1 "$(log_count "$T/up.log" delay1500-w.example)"

pass
