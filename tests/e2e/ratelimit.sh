#!/bin/bash
# Response-rate limiting and no amplification.  (a) A flood from an address
# in no zone, of queries shaped to provoke a large reply (a big EDNS option,
# records in every section, two OPTs, NOTIFY, EDNS version 1, a bare
# header): every reply is REFUSED, carries only the header, the question
# and at most a bare OPT, is no larger than its query, and full replies
# stay within refused_per_second per second; every slip-th limited reply
# comes back empty with TC.  FORMERR, NOTIMP and BADVERS to a client in a
# zone are no larger than the query either.  (b) A client in a zone over
# responses_per_second is limited while a client in another /24 is not;
# after a slipped (TC) reply the client gets its answer over TCP.  (c) The
# counters in /metrics move by what the clients saw.  (d) A reload that
# turns refused_per_second off lifts the limit.  (e) The query log has a
# row for every query but the limited ones, which log_gaps counts (cause
# "rate limited").
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_upstream
CFG=$T/airlock.json

config() {  # REFUSED_PER_SECOND
    cat >"$CFG" <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "e2e", "cidrs": ["127.0.2.0/24", "127.0.4.0/24", "127.0.6.0/24"]} ],
  "metrics": {"port": $MPORT},
  "log": {"path": "$T/log.db", "batch_ms": 20},
  "rate_limit": {"refused_per_second": $1, "responses_per_second": 10, "slip": 2,
                 "ipv4_prefix": 24}
}
EOF
}
config 5
start_airlockd "$CFG" "$LPORT"

cat >"$T/rrl.py" <<'EOF'
"""flood PORT SRC SHAPES RATE SECONDS [BESIDE_SRC]: queries from SRC at RATE
per second for SECONDS, cycling through SHAPES (comma-separated); with
BESIDE_SRC, another client asks one name every 0.25 s meanwhile.  Prints
key=value counts; exits 1 (with the reason) when a reply is larger than its
query or carries more than the header, the question and a bare OPT.
tcretry PORT SRC: UDP queries until one comes back with TC, then the same
question over TCP from SRC; prints its rcode and address."""
import select, struct, sys, time

import dns.edns, dns.flags, dns.message, dns.opcode, dns.query, dns.rcode, dns.rrset
from dnsudp import udp

def plain(i):
    return dns.message.make_query("nz%d.example." % i, "A", use_edns=False).to_wire()

def big_edns(i):
    return dns.message.make_query("big%d.example." % i, "TXT", use_edns=0, payload=4096,
                                  options=[dns.edns.GenericOption(65001, b"\0" * 400)]).to_wire()

def sections(i):
    m = dns.message.make_query("sec%d.example." % i, "A", use_edns=0, payload=4096)
    m.answer.append(dns.rrset.from_text("sec%d.example." % i, 300, "IN", "A", "192.0.2.9"))
    m.authority.append(dns.rrset.from_text("example.", 300, "IN", "NS", "ns.example."))
    m.additional.append(dns.rrset.from_text("ns.example.", 300, "IN", "TXT", '"%s"' % ("x" * 200)))
    return m.to_wire()

def two_opts(i):
    w = bytearray(dns.message.make_query("opt%d.example." % i, "A", use_edns=0).to_wire())
    w += b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
    struct.pack_into("!H", w, 10, struct.unpack_from("!H", w, 10)[0] + 1)
    return bytes(w)

def notify(i):
    m = dns.message.make_query("notify%d.example." % i, "SOA", use_edns=False)
    m.set_opcode(dns.opcode.NOTIFY)
    return m.to_wire()

def badvers(i):
    m = dns.message.make_query("v1-%d.example." % i, "A")
    m.use_edns(edns=1)
    return m.to_wire()

def header_only(i):
    return struct.pack("!HHHHHH", 0, 0x0100, 0, 0, 0, 0)

def named(i):
    return dns.message.make_query("rrl%d.e2e.example." % i, "A", use_edns=False).to_wire()

SHAPES = {f.__name__: f for f in (plain, big_edns, sections, two_opts, notify, badvers, header_only, named)}

def check_small(query, reply):
    """The reply: no larger than the query; header, question, bare OPT."""
    if len(reply) > len(query):
        return "reply of %d bytes to a query of %d" % (len(reply), len(query))
    an, ns, ar = struct.unpack_from("!HHH", reply, 6)
    if an or ns or ar > 1:
        return "reply with sections %d/%d/%d" % (an, ns, ar)
    if ar:
        m = dns.message.from_wire(reply)
        if m.opt is None or m.options:
            return "additional record other than a bare OPT"
    return None

def flood(port, src, shapes, rate, seconds, beside=None):
    makers = [SHAPES[n] for n in shapes.split(",")]
    s, b = udp(src), udp(beside) if beside else None
    sent, out, n, bsent, bout = {}, [], 0, 0, []
    total = int(round(seconds * rate))
    start = last = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if n < total:
            due = min(int((now - start) * rate) + 1, total)
            while n < due:
                w = bytearray(makers[n % len(makers)](n))
                struct.pack_into("!H", w, 0, n & 0xffff)
                sent[n & 0xffff] = bytes(w)
                s.sendto(w, ("127.0.0.1", port))
                n += 1
            last = now
        elif now > max(end, last) + 0.7:
            break
        if b and now < end and bsent < int((now - start) / 0.25) + 1:
            q = dns.message.make_query("beside%d.e2e.example." % bsent, "A", use_edns=False)
            b.sendto(q.to_wire(), ("127.0.0.1", port))
            bsent += 1
        r, _, _ = select.select([s] + ([b] if b else []), [], [], 0.005)
        for sock in r:
            while True:
                try:
                    data = sock.recv(65535)
                except BlockingIOError:
                    break
                (out if sock is s else bout).append(data)
    full = tc = refused = noerror = other = 0
    qbytes = sum(len(w) for w in sent.values())
    rbytes = 0
    for r in out:
        q = sent.get(struct.unpack_from("!H", r)[0])
        if q is None:
            sys.exit("reply with an ID never sent")
        flags = struct.unpack_from("!H", r, 2)[0]
        rbytes += len(r)
        if flags & 0x0200:
            tc += 1
            why = check_small(q, r)
            if why:
                sys.exit("%s (TC)" % why)
        else:
            full += 1
        rc = flags & 0xf
        if rc == dns.rcode.REFUSED:
            refused += 1
            why = check_small(q, r)
            if why:
                sys.exit("%s (REFUSED)" % why)
        elif rc == dns.rcode.NOERROR:
            noerror += 1
        else:
            other += 1
    bok = sum(1 for r in bout
              if not struct.unpack_from("!H", r, 2)[0] & 0x0200
              and [a.to_text() for rr in dns.message.from_wire(r).answer for a in rr] == ["192.0.2.1"])
    print("sent=%d replies=%d seconds=%d full=%d tc=%d refused=%d noerror=%d other=%d qbytes=%d "
          "rbytes=%d beside_sent=%d beside_ok=%d" % (n, len(out), int(last - start) + 1, full, tc,
                                                   refused, noerror, other, qbytes, rbytes, bsent, bok))

def once(port, src, shape):
    """One query of SHAPE from a zone client: the rcode, and the size check."""
    w = SHAPES[shape](7)
    s = udp(src)
    s.setblocking(True)
    s.settimeout(3)
    s.sendto(w, ("127.0.0.1", port))
    r = s.recv(65535)
    why = check_small(w, r)
    rc = dns.message.from_wire(r).rcode()
    print("%s %s" % (dns.rcode.to_text(rc), why or "small"))

def tcretry(port, src):
    s = udp(src)
    for i in range(200):
        q = dns.message.make_query("retry%d.e2e.example." % i, "A", use_edns=False)
        s.sendto(q.to_wire(), ("127.0.0.1", port))
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], 0.02)
            if not r:
                continue
            m = dns.message.from_wire(s.recv(65535))
            if m.flags & dns.flags.TC and not m.answer:
                t = dns.query.tcp(q, "127.0.0.1", port=port, source=src, timeout=5)
                print(dns.rcode.to_text(t.rcode()),
                      " ".join(a.to_text() for rr in t.answer for a in rr) or "-")
                return
            break
    print("NO-TC -")

cmd = sys.argv[1]
if cmd == "flood":
    flood(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]),
          sys.argv[7] if len(sys.argv) > 7 else None)
elif cmd == "once":
    once(int(sys.argv[2]), sys.argv[3], sys.argv[4])
elif cmd == "tcretry":
    tcretry(int(sys.argv[2]), sys.argv[3])
EOF

metric() { scrape_value "$MPORT" "$1" || fail "no metric $1"; }
# rrl ARGS...: runs rrl.py; fails with its message when it does.
rrl() { "$PY" "$T/rrl.py" "$@" 2>"$T/rrl.err" || fail "rrl.py $*: $(cat "$T/rrl.err")"; }
# get KEY LINE: the value of KEY=... in LINE.
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p; s/^$1=\([0-9]*\).*/\1/p" <<<"$2" | head -n 1; }

drop0=$(metric airlock_rrl_dropped_total)
slip0=$(metric airlock_rrl_slipped_total)
nozone0=$(metric airlock_refused_no_zone_total)

# (a) 3 s at 300 queries/s from 127.0.9.1, in no zone.
SHAPES=plain,big_edns,sections,two_opts,notify,badvers,header_only
line=$(rrl flood "$LPORT" 127.0.9.1 "$SHAPES" 300 3) || exit 1
say "no zone: $line"
sent=$(get sent "$line")
expect_int "no-zone flood: queries sent" -eq 900 "$sent"
expect_eq "no-zone flood: replies other than REFUSED" 0 "$(get other "$line")"
expect_eq "no-zone flood: NOERROR replies" 0 "$(get noerror "$line")"
expect_eq "no-zone flood: every reply REFUSED" "$(get replies "$line")" "$(get refused "$line")"
# 5 a second over the seconds the flood took, one more for the second
# boundary it straddled and one spare.
nozone_full=$(get full "$line")
expect_int "no-zone flood: full REFUSED replies (refused_per_second 5)" -le $((5 * ($(get seconds "$line") + 2))) "$nozone_full"
expect_int "no-zone flood: full REFUSED replies" -ge 5 "$(get full "$line")"
# slip 2: every second limited reply comes back with TC, about half.
expect_int "no-zone flood: slipped (TC) replies" -ge 300 "$(get tc "$line")"
expect_int "no-zone flood: slipped (TC) replies" -le 450 "$(get tc "$line")"
expect_int "no-zone flood: reply bytes vs query bytes" -lt "$(get qbytes "$line")" "$(get rbytes "$line")"

# FORMERR, NOTIMP and BADVERS to a client in a zone: no larger either.
for pair in two_opts:FORMERR notify:NOTIMP badvers:BADVERS header_only:FORMERR big_edns:NOERROR; do
    out=$(rrl once "$LPORT" 127.0.6.1 "${pair%%:*}") || exit 1
    case ${pair#*:} in
    NOERROR) expect_eq "${pair%%:*} from a zone client (answered)" NOERROR "${out%% *}" ;;
    *) expect_eq "${pair%%:*} from a zone client" "${pair#*:} small" "$out" ;;
    esac
    sleep 0.15 # below responses_per_second
done

# (b) 127.0.2.5 asks 200 names a second for 3 s; 127.0.4.5, another /24,
# asks 4 a second meanwhile.
line=$(rrl flood "$LPORT" 127.0.2.5 named 200 3 127.0.4.5) || exit 1
say "zone: $line"
expect_eq "zone flood: replies other than NOERROR" 0 "$(($(get other "$line") + $(get refused "$line")))"
expect_int "zone flood: full answers (responses_per_second 10)" -le $((10 * ($(get seconds "$line") + 2))) "$(get full "$line")"
expect_int "zone flood: full answers" -ge 10 "$(get full "$line")"
expect_int "zone flood: slipped (TC) replies" -ge 200 "$(get tc "$line")"
expect_int "another /24 during the flood: queries" -ge 10 "$(get beside_sent "$line")"
expect_eq "another /24 during the flood: answered in full" "$(get beside_sent "$line")" "$(get beside_ok "$line")"

out=$(rrl tcretry "$LPORT" 127.0.2.6) || exit 1
expect_eq "after a slipped reply, the same question over TCP" "NOERROR 192.0.2.1" "$out"

# (c) The counters moved by what the clients saw (TC replies are the
# slipped ones; each flood's full replies the no-zone REFUSED or answers).
sleep 0.2
drop1=$(metric airlock_rrl_dropped_total)
slip1=$(metric airlock_rrl_slipped_total)
nozone1=$(metric airlock_refused_no_zone_total)
expect_int "airlock_rrl_slipped_total moved" -ge 500 $((slip1 - slip0))
expect_int "airlock_rrl_dropped_total moved" -ge 500 $((drop1 - drop0))
expect_int "airlock_refused_no_zone_total moved (the full REFUSED)" -ge "$nozone_full" $((nozone1 - nozone0))
expect_int "airlock_refused_no_zone_total moved (the full REFUSED)" -le $((nozone_full + 2)) $((nozone1 - nozone0))

# (d) A reload with refused_per_second 0: a burst of 40 is answered in
# full, none with TC.
config 0
kill -HUP "$AL_PID"
deadline=$(($(now_ms) + 3000))
while :; do
    line=$(rrl flood "$LPORT" 127.0.9.1 plain 400 0.1) || exit 1
    [ "$(get full "$line")" = 40 ] && [ "$(get tc "$line")" = 0 ] && break
    [ "$(now_ms)" -lt "$deadline" ] || fail "after a reload with refused_per_second 0: $line (expected full=40 tc=0)"
    sleep 0.2
done

# (e) Every query is a row or counted in log_gaps, the limited ones under
# "rate limited" (written at the stop, as they are less than 10 s old).
queries=$(($(metric airlock_queries_received_total) - $(metric airlock_queries_dropped_malformed_total)))
limited=$(($(metric airlock_rrl_dropped_total) + $(metric airlock_rrl_slipped_total)))
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 10000
expect_eq "exit status" 0 "$EXIT_STATUS"
need_sqlite3
expect_eq "rows lost as rate limited in log_gaps" "$limited" \
    "$(sqlite3 "$T/log.db" "SELECT coalesce(sum(rows_lost), 0) FROM log_gaps WHERE cause = 'rate limited'")"
expect_eq "rows lost otherwise" 0 \
    "$(sqlite3 "$T/log.db" "SELECT coalesce(sum(rows_lost), 0) FROM log_gaps WHERE cause <> 'rate limited'")"
expect_eq "queries rows + rate limited (= queries received, but for the malformed ones dropped)" "$queries" \
    $(($(sqlite3 "$T/log.db" "SELECT count(*) FROM queries") + limited))

pass
