#!/bin/bash
# EDNS and malformed input: EDNS version 1 gets BADVERS; replies advertise a
# UDP size of 1232; garbage gets FORMERR or silence and the daemon keeps
# answering; an opcode other than QUERY gets NOTIMP.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream buffer_size=1232
C=127.0.2.1

q $C edns1-a.example A +edns=1 +noednsnegotiation >"$T/badvers"
expect_status "$T/badvers" BADVERS "query with EDNS version 1"
grep -q '^; EDNS: version: 0' "$T/badvers" \
    || fail_out "$T/badvers" "BADVERS reply: expected an OPT record with EDNS version 0"

q $C edns0-a.example A >"$T/edns0"
expect_status "$T/edns0" NOERROR "query with EDNS version 0"
expect_answer "$T/edns0" A 192.0.2.1 "query with EDNS version 0"
udp=$(sed -n 's/^; EDNS: version: [0-9]*, flags:[a-z ]*; udp: \([0-9]*\).*/\1/p' "$T/edns0")
expect_eq "UDP size advertised in the reply's OPT record" 1232 "$udp"

q $C noedns-a.example A +noedns >"$T/noedns"
expect_status "$T/noedns" NOERROR "query without EDNS"
grep -q '^; EDNS:' "$T/noedns" \
    && fail_out "$T/noedns" "query without EDNS: expected no OPT record in the reply"

# Malformed packets: FORMERR (with the query's ID) or no reply at all.
"$PY" - "$LPORT" >"$T/malformed" 2>&1 <<'PYEOF'
import os, socket, struct, sys

port = int(sys.argv[1])
packets = [
    ("5 random bytes", os.urandom(5)),
    ("header with QDCOUNT=1 and no question",
     struct.pack("!HHHHHH", 0x4A4B, 0x0100, 1, 0, 0, 0)),
    ("question cut in the middle of its name",
     struct.pack("!HHHHHH", 0x4C4D, 0x0100, 1, 0, 0, 0) + b"\x07exam"),
]
bad = []
for what, pkt in packets:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.2.1", 0))
    s.settimeout(0.5)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        reply = s.recv(4096)
    except socket.timeout:
        print("%s: no reply" % what)
        continue
    if len(reply) < 12:
        bad.append("%s: reply shorter than a header: %s" % (what, reply.hex()))
        continue
    qid, flags = struct.unpack("!HH", reply[:4])
    rcode = flags & 0xF
    print("%s: reply id=%04x flags=%04x rcode=%d" % (what, qid, flags, rcode))
    if not flags & 0x8000:
        bad.append("%s: reply without QR set" % what)
    if rcode != 1:
        bad.append("%s: expected FORMERR (1) or no reply, saw rcode %d" % (what, rcode))
    if len(pkt) >= 12 and reply[:2] != pkt[:2]:
        bad.append("%s: reply ID %s is not the query's %s" % (what, reply[:2].hex(), pkt[:2].hex()))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/malformed" "malformed packets"

q $C after-garbage-a.example A >"$T/after"
expect_status "$T/after" NOERROR "normal query after the malformed packets"
expect_answer "$T/after" A 192.0.2.1 "normal query after the malformed packets"

# Opcode 2 (STATUS) is not implemented.
q $C opcode-a.example A +opcode=2 >"$T/opcode"
expect_status "$T/opcode" NOTIMP "query with opcode 2"

pass
