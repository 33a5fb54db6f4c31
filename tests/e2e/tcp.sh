#!/bin/bash
# DNS over TCP: kdig gets an answer; two queries pipelined on one connection
# are answered as they complete (the fast one first); a connection that sends
# nothing is closed after tcp_idle_ms.
. "$(dirname "$0")/lib.sh" || exit 1
setup
command -v kdig >/dev/null 2>&1 || skip "kdig not installed (knot-dnsutils)"

start_one_upstream tcp_idle_ms=1000 upstream_ms=2000

# kdig over TCP.
kdig -p "$LPORT" @127.0.0.1 -b 127.0.2.1 +tcp +retry=0 +time=3 \
    kdig-a.example A >"$T/kdig" 2>&1
expect_status "$T/kdig" NOERROR "kdig +tcp kdig-a.example"
expect_answer "$T/kdig" A 192.0.2.1 "kdig +tcp kdig-a.example"
grep -q '(TCP)' "$T/kdig" || fail_out "$T/kdig" "kdig +tcp: expected the reply over TCP"

# Pipelining: delay800 then fast on one connection; fast must come back first.
"$PY" - "$LPORT" >"$T/pipeline" 2>&1 <<'PYEOF'
import sys, time
import dns.message, dns.rcode
from dnstcp import a_addrs, connect, read_reply, send_queries

s = connect(int(sys.argv[1]))
slow = dns.message.make_query("delay800-a.example.", "A", use_edns=0)
fast = dns.message.make_query("fast-a.example.", "A", use_edns=0)
fast.id = (slow.id + 1) & 0xFFFF
t0 = time.monotonic()
send_queries(s, (slow, fast))

got = []
try:
    for _ in range(2):
        r = read_reply(s)
        got.append((r.id, r.question[0].name.to_text().lower(),
                    dns.rcode.to_text(r.rcode()), a_addrs(r),
                    int((time.monotonic() - t0) * 1000)))
except Exception as e:
    print("error after %d replies: %s" % (len(got), e))
for g in got:
    print("reply id=%d name=%s rcode=%s a=%s after=%dms" % g)
order = [g[1] for g in got]
if order != ["fast-a.example.", "delay800-a.example."]:
    sys.exit("expected replies for fast-a.example. then delay800-a.example., saw %s" % order)
for (qid, name, rcode, addrs, _), m in zip(got, (fast, slow)):
    if qid != m.id or rcode != "NOERROR" or addrs != ["192.0.2.1"]:
        sys.exit("%s: expected id %d NOERROR A 192.0.2.1, saw id %d %s %s"
                 % (name, m.id, qid, rcode, addrs))
if got[0][4] >= 700:
    sys.exit("fast-a.example. answered after %d ms: it waited for the slow query" % got[0][4])
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/pipeline" "pipelined TCP queries on one connection"

# Past the per-connection pipeline limit (64 unanswered): 200 queries sent
# in one burst on one connection, half of them slow, all get their answer.
"$PY" - "$LPORT" >"$T/burst" 2>&1 <<'PYEOF'
import sys
import dns.message, dns.rcode
from dnstcp import a_addrs, connect, read_reply, send_queries

s = connect(int(sys.argv[1]), timeout=10)
want, msgs = {}, []
for i in range(200):
    name = ("delay300-b%d.example." if i % 2 else "burst%d.example.") % i
    m = dns.message.make_query(name, "A", use_edns=0)
    m.id = i
    want[i] = name
    msgs.append(m)
send_queries(s, msgs)

bad = []
for _ in range(200):
    r = read_reply(s)
    name = want.pop(r.id, None)
    if name is None or r.question[0].name.to_text().lower() != name or a_addrs(r) != ["192.0.2.1"]:
        bad.append((r.id, r.question[0].name.to_text(), dns.rcode.to_text(r.rcode()), a_addrs(r)))
if bad or want:
    sys.exit("wrong replies %s; unanswered ids %s" % (bad[:5], sorted(want)[:10]))
print("200 answers on one connection")
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/burst" "200 pipelined TCP queries on one connection"

# A ~63 KB answer: airlockd gets TC over UDP, fetches it over TCP from the
# upstream, and serves all 240 records to a TCP client.
q 127.0.2.1 huge-a.example TXT +tcp >"$T/huge"
expect_status "$T/huge" NOERROR "dig +tcp huge-a.example TXT"
expect_eq "TXT records in the ~63 KB answer" 240 "$(section_of "$T/huge" ANSWER | grep -c 'TXT')"

# A client that sends queries for that answer but never reads: its replies
# stall in the socket buffers, and the connection must still be closed
# about one idle period (1000 ms) after writing stopped making progress.
"$PY" - "$LPORT" >"$T/stall" 2>&1 <<'PYEOF'
import socket, sys, time
import dns.message
from dnstcp import connect, send_queries

s = connect(int(sys.argv[1]), timeout=None, rcvbuf=4096)
msgs = []
for i in range(64):
    m = dns.message.make_query("huge-a.example.", "TXT", use_edns=0)
    m.id = i
    msgs.append(m)
send_queries(s, msgs)
time.sleep(4)  # never read meanwhile
s.settimeout(5)
total, closed = 0, False
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            closed = True
            break
        total += len(chunk)
except ConnectionResetError:
    closed = True
except socket.timeout:
    pass
full = 64 * 63000
print("read %d bytes after the stall; closed by server: %s" % (total, closed))
if not closed or total >= full:
    sys.exit("a client that does not read kept its connection: read %d bytes, closed=%s"
             % (total, closed))
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/stall" "TCP client that never reads is disconnected"

# Idle: a connection that sends nothing is closed after tcp_idle_ms (1000).
"$PY" - "$LPORT" >"$T/idle" 2>&1 <<'PYEOF'
import socket, sys, time
from dnstcp import connect

s = connect(int(sys.argv[1]), timeout=3.5)
t0 = time.monotonic()
try:
    data = s.recv(1)
    how = "EOF" if data == b"" else "data %r" % data
except socket.timeout:
    sys.exit("idle connection still open after 3.5 s (tcp_idle_ms 1000)")
except ConnectionResetError:
    how = "reset"
ms = int((time.monotonic() - t0) * 1000)
print("idle connection ended by %s after %d ms" % (how, ms))
if how.startswith("data"):
    sys.exit("expected the server to close the idle connection, it sent %s" % how)
if ms < 500:
    sys.exit("expected the close after about 1000 ms (tcp_idle_ms), saw %d ms" % ms)
if ms > 3000:
    sys.exit("expected the close within 3000 ms, saw %d ms" % ms)
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/idle" "idle TCP connection"

pass
