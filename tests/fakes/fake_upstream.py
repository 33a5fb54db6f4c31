#!/usr/bin/python3
"""Scriptable fake upstream DNS server for airlock's end-to-end tests.

Listens on UDP and TCP on one loopback address and port. The first label of
each query name picks a behaviour (drop, delayN, tc, wrongid, nx, ...), so one
fake serves every test; see usage() below or run with --help.
"""

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import struct
import sys
import traceback

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rrset

USAGE_EPILOG = """\
behaviour by the first label of the qname (prefix, case-insensitive):
  drop*       never answer
  delayN*     answer normally after N ms (other queries are not blocked)
  tc*         UDP: TC=1 and no records; TCP: normal answer
  wrongid*    UDP: first a reply with a wrong ID and A 198.51.100.66,
              50 ms later the correct reply
  wrongq*     UDP: first a reply with the right ID but question evil.example.
              and A 198.51.100.66, 50 ms later the correct reply
  wrongport*  UDP: first a reply with A 198.51.100.66 from another source
              port, 50 ms later the correct reply from the right socket
  race*       UDP: a burst from the right socket, as a spoofer who guessed
              the port would send: first the right ID with the name in
              lower case (not the case asked: DNS 0x20), then 2000 wrong
              IDs, all A 198.51.100.66; 100 ms later the correct reply
  servfail*   SERVFAIL            refused*  REFUSED
  nx*         NXDOMAIN, SOA of the parent name in authority (TTL 300, min 60)
  nodata*     NOERROR, no answer, SOA in authority
  big*        60 A records 192.0.2.1..60 (TC over UDP if it does not fit)
  huge*       TXT: 240 records of 250 bytes each, a ~63 KB answer (TCP only)
  ttlN*       normal answer with TTL N
  cname*      CNAME to target.example. plus the target's records
  garbage*    100 random bytes after the query's ID (UDP and TCP)
  garbagetcp* UDP: TC=1 and no records; TCP: as garbage*
  short*      the normal reply cut in the middle of its first answer record
              (TC not set; UDP and TCP)
  oversize*   UDP: the normal reply padded to 3000 bytes (EDNS padding),
              sent whatever size the query advertised
  outbw*      the normal reply plus records outside the question's
              bailiwick: victim.example. A 198.51.100.66 in answer,
              victim.example. NS ns.evil.example. in authority, A
              198.51.100.66 for both in additional; and in bailiwick the
              parent's NS ns1.<parent> with its glue A 192.0.2.53
  extra*      the normal reply plus additional A 198.51.100.66 records for
              extra1.example. and extra2.example.
  otherwise   A -> --answer-a, AAAA -> --answer-aaaa, TXT -> "fake",
              other types -> NODATA with SOA; TTL 300
--records FILE (zone-file lines "NAME TTL IN TYPE DATA", absolute names)
comes first: a name held there is answered from it alone, following CNAMEs
within the file (other types: NODATA); its first label still picks a
behaviour above only when the name is not held.
the spoofing behaviours answer normally over TCP.
"""

DEFAULT_TTL = 300
SOA_TTL = 300
SOA_MINIMUM = 60
OUR_PAYLOAD = 1232
SPOOF_A = "198.51.100.66"
SPOOF_DELAY_S = 0.050
RACE_FORGED = 2000
RACE_DELAY_S = 0.100
EVIL_NAME = dns.name.from_text("evil.example.")
CNAME_TARGET = dns.name.from_text("target.example.")
VICTIM_NAME = dns.name.from_text("victim.example.")
EVIL_NS = dns.name.from_text("ns.evil.example.")
GLUE_A = "192.0.2.53"
GARBAGE_LEN = 100
OVERSIZE_LEN = 3000
BIG_COUNT = 60
HUGE_COUNT = 240
MAX_DELAY_MS = 60000
TCP_IDLE_S = 30.0

DELAY_RE = re.compile(r"^delay(\d*)")
TTL_RE = re.compile(r"^ttl(\d*)")


class Action:
    """One reply to send: after delay_s seconds, from the main socket or the
    spoof socket (another UDP source port)."""

    def __init__(self, wire, delay_s=0.0, spoof_socket=False):
        self.wire = wire
        self.delay_s = delay_s
        self.spoof_socket = spoof_socket


def warn(msg):
    sys.stderr.write("fake_upstream: %s\n" % msg)
    sys.stderr.flush()


def header_only_reply(data, rcode):
    """A bare reply (no sections) built from a query's raw header, for
    queries dnspython cannot or should not turn into a response."""
    if len(data) < 12:
        return None
    qid, flags = struct.unpack("!HH", data[:4])
    if flags & 0x8000:
        return None                     # a response: never answer those
    flags = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | (rcode & 0xF)
    return struct.pack("!HHHHHH", qid, flags, 0, 0, 0, 0)


def parent_of(name):
    try:
        return name.parent()
    except dns.name.NoParent:
        return name


def spoof_rrset(name):
    """name A SPOOF_A: what the spoofing and out-of-bailiwick behaviours plant."""
    return dns.rrset.from_text(name, DEFAULT_TTL, "IN", "A", SPOOF_A)


def soa_rrset(qname):
    zone = parent_of(qname)
    rdata = dns.rdtypes.ANY.SOA.SOA(
        dns.rdataclass.IN, dns.rdatatype.SOA,
        dns.name.Name((b"ns",) + zone.labels),
        dns.name.Name((b"hostmaster",) + zone.labels),
        1, 3600, 600, 86400, SOA_MINIMUM)
    return dns.rrset.from_rdata(zone, SOA_TTL, rdata)


class Fake:
    def __init__(self, args):
        self.args = args
        self.records = load_records(args.records) if args.records else {}
        self.log = None
        if args.log:
            self.log = open(args.log, "a", encoding="utf-8")
        self.spoof_sock = None

    # ----- logging -----

    def log_query(self, proto, query):
        if self.log is None:
            return
        q = query.question[0]
        # The name lower-cased (to match on), then as it arrived (DNS 0x20).
        line = "%s %s %s %d %s\n" % (proto, q.name.to_text().lower(),
                                     dns.rdatatype.to_text(q.rdtype), query.id, q.name.to_text())
        try:
            self.log.write(line)
            self.log.flush()
        except OSError as e:
            warn("log write failed: %s" % e)

    # ----- building replies -----

    def reply(self, query, rcode=dns.rcode.NOERROR, aa=True):
        r = dns.message.make_response(query, our_payload=OUR_PAYLOAD)
        if aa:
            r.flags |= dns.flags.AA
        r.set_rcode(rcode)
        return r

    def add_data(self, r, owner, qtype, ttl):
        """Add the default records for owner/qtype; False if there are none."""
        if qtype == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text(owner, ttl, "IN", "A",
                                                self.args.answer_a))
        elif qtype == dns.rdatatype.AAAA:
            r.answer.append(dns.rrset.from_text(owner, ttl, "IN", "AAAA",
                                                self.args.answer_aaaa))
        elif qtype == dns.rdatatype.TXT:
            r.answer.append(dns.rrset.from_text(owner, ttl, "IN", "TXT",
                                                '"fake"'))
        else:
            return False
        return True

    def from_records(self, query):
        """The reply from --records, or None when the name is not held."""
        q = query.question[0]
        name = q.name
        if name not in self.records:
            return None
        r = self.reply(query)
        for _ in range(8):
            held = self.records.get(name)
            if held is None:
                break
            cname = held.get(dns.rdatatype.CNAME)
            if cname is not None and q.rdtype != dns.rdatatype.CNAME:
                r.answer.append(cname)
                name = cname[0].target
                continue
            if q.rdtype in held:
                r.answer.append(held[q.rdtype])
            break
        if not r.answer:
            r.authority.append(soa_rrset(q.name))
        return r

    def normal(self, query, ttl=DEFAULT_TTL):
        q = query.question[0]
        r = self.reply(query)
        if not self.add_data(r, q.name, q.rdtype, ttl):
            r.authority.append(soa_rrset(q.name))
        return r

    def spoofed(self, query, qid=None, qname=None):
        r = self.reply(query)
        if qid is not None:
            r.id = qid
        owner = query.question[0].name
        if qname is not None:
            owner = qname
            r.question = [dns.rrset.RRset(qname, dns.rdataclass.IN,
                                          dns.rdatatype.A)]
        r.answer.append(spoof_rrset(owner))
        return r

    def race(self, query, proto):
        """The race* burst: forgeries with the answer SPOOF_A, the one with
        the right ID first so a full socket buffer does not drop it."""
        lower = dns.name.from_text(query.question[0].name.to_text().lower())
        right = self.spoofed(query, qname=lower)
        actions = [Action(self.to_wire(query, right, proto))]
        wrong = bytearray(self.to_wire(query, self.spoofed(query), proto))
        for _ in range(RACE_FORGED):
            qid = random.randrange(0x10000)
            if qid == query.id:
                qid ^= 0x8000
            struct.pack_into("!H", wrong, 0, qid)
            actions.append(Action(bytes(wrong)))
        actions.append(Action(self.to_wire(query, self.normal(query), proto),
                              RACE_DELAY_S))
        return actions

    def fault(self, query, proto, first):
        """The Actions of the garbage*, short*, oversize*, outbw* and
        extra* behaviours; None for other names."""
        q = query.question[0]
        if first.startswith("garbagetcp") and proto == "udp":
            r = self.reply(query)
            r.flags |= dns.flags.TC
            return [Action(self.to_wire(query, r, proto))]
        if first.startswith("garbage"):
            return [Action(struct.pack("!H", query.id) + os.urandom(GARBAGE_LEN - 2))]
        if first.startswith("short"):
            wire = self.normal(query).to_wire()
            return [Action(wire[:12 + len(q.name.to_wire()) + 4 + 8])]
        if first.startswith("oversize") and proto == "udp":
            r = self.normal(query)
            pad = max(0, OVERSIZE_LEN - len(r.to_wire()) - 4)
            r.use_edns(0, payload=OUR_PAYLOAD, options=[
                dns.edns.GenericOption(dns.edns.OptionType.PADDING, b"\0" * pad)])
            return [Action(r.to_wire(max_size=65535))]
        if first.startswith("outbw") or first.startswith("extra"):
            r = self.normal(query)
            if first.startswith("extra"):
                r.additional += [spoof_rrset("extra1.example."), spoof_rrset("extra2.example.")]
                return [Action(self.to_wire(query, r, proto))]
            parent = q.name.parent()
            ns1 = dns.name.Name((b"ns1",) + parent.labels)
            r.answer.append(spoof_rrset(VICTIM_NAME))
            r.authority += [
                dns.rrset.from_text(parent, DEFAULT_TTL, "IN", "NS", ns1.to_text()),
                dns.rrset.from_text(VICTIM_NAME, DEFAULT_TTL, "IN", "NS", EVIL_NS.to_text())]
            r.additional += [
                dns.rrset.from_text(ns1, DEFAULT_TTL, "IN", "A", GLUE_A),
                spoof_rrset(EVIL_NS), spoof_rrset(VICTIM_NAME)]
            return [Action(self.to_wire(query, r, proto))]
        return None

    def to_wire(self, query, r, proto):
        """Render r; over UDP, truncate (TC=1, no records) if it does not
        fit the query's advertised buffer, as a real server does."""
        wire = r.to_wire(max_size=65535)
        if proto != "udp":
            return wire
        limit = 512
        if query.edns >= 0:
            limit = max(512, query.payload)
        if len(wire) <= limit:
            return wire
        r.answer = []
        r.authority = []
        r.additional = []
        r.flags |= dns.flags.TC
        return r.to_wire(max_size=65535)

    # ----- deciding -----

    def handle(self, data, proto):
        """Return the list of Actions answering one received message."""
        if len(data) < 12:
            return []
        flags = struct.unpack("!H", data[2:4])[0]
        if flags & 0x8000:
            return []
        if (flags >> 11) & 0xF != dns.opcode.QUERY:
            wire = header_only_reply(data, dns.rcode.NOTIMP)
            return [Action(wire)] if wire else []
        try:
            query = dns.message.from_wire(data)
        except Exception:               # anything unparseable
            wire = header_only_reply(data, dns.rcode.FORMERR)
            return [Action(wire)] if wire else []
        if len(query.question) != 1:
            wire = header_only_reply(data, dns.rcode.FORMERR)
            return [Action(wire)] if wire else []
        self.log_query(proto, query)
        return self.decide(query, proto)

    def decide(self, query, proto):
        mode = self.args.mode
        if mode == "drop":
            return []
        if mode == "servfail":
            return [Action(self.to_wire(query, self.reply(
                query, dns.rcode.SERVFAIL, aa=False), proto))]
        if mode == "refused":
            return [Action(self.to_wire(query, self.reply(
                query, dns.rcode.REFUSED, aa=False), proto))]
        if query.edns > 0:
            return [Action(self.to_wire(query, self.reply(
                query, dns.rcode.BADVERS, aa=False), proto))]

        q = query.question[0]
        labels = q.name.labels
        first = labels[0].decode("latin-1").lower() if labels else ""

        def one(r, delay_s=0.0):
            return [Action(self.to_wire(query, r, proto), delay_s)]

        held = self.from_records(query)
        if held is not None:
            return one(held)

        if first.startswith("drop"):
            return []
        m = DELAY_RE.match(first)
        if m:
            ms = min(int(m.group(1) or 0), MAX_DELAY_MS)
            return one(self.normal(query), ms / 1000.0)
        if first.startswith("tc"):
            if proto == "udp":
                r = self.reply(query)
                r.flags |= dns.flags.TC
                return one(r)
            return one(self.normal(query))
        if first.startswith("wrongid") and proto == "udp":
            bad = self.spoofed(query, qid=(query.id + 0x1111) & 0xFFFF)
            return [Action(self.to_wire(query, bad, proto)),
                    Action(self.to_wire(query, self.normal(query), proto),
                           SPOOF_DELAY_S)]
        if first.startswith("wrongq") and proto == "udp":
            bad = self.spoofed(query, qname=EVIL_NAME)
            return [Action(self.to_wire(query, bad, proto)),
                    Action(self.to_wire(query, self.normal(query), proto),
                           SPOOF_DELAY_S)]
        if first.startswith("wrongport") and proto == "udp":
            bad = self.spoofed(query)
            return [Action(self.to_wire(query, bad, proto),
                           spoof_socket=True),
                    Action(self.to_wire(query, self.normal(query), proto),
                           SPOOF_DELAY_S)]
        if first.startswith("race") and proto == "udp":
            return self.race(query, proto)
        if first.startswith("servfail"):
            return one(self.reply(query, dns.rcode.SERVFAIL, aa=False))
        if first.startswith("refused"):
            return one(self.reply(query, dns.rcode.REFUSED, aa=False))
        if first.startswith("nx"):
            r = self.reply(query, dns.rcode.NXDOMAIN)
            r.authority.append(soa_rrset(q.name))
            return one(r)
        if first.startswith("nodata"):
            r = self.reply(query)
            r.authority.append(soa_rrset(q.name))
            return one(r)
        if first.startswith("big") and q.rdtype == dns.rdatatype.A:
            r = self.reply(query)
            addrs = ["192.0.2.%d" % i for i in range(1, BIG_COUNT + 1)]
            r.answer.append(dns.rrset.from_text_list(
                q.name, DEFAULT_TTL, "IN", "A", addrs))
            return one(r)
        if first.startswith("huge") and q.rdtype == dns.rdatatype.TXT:
            r = self.reply(query)
            r.answer.append(dns.rrset.from_text_list(
                q.name, DEFAULT_TTL, "IN", "TXT",
                ['"%03d%s"' % (i, "x" * 247) for i in range(HUGE_COUNT)]))
            return one(r)
        faulty = self.fault(query, proto, first)
        if faulty is not None:
            return faulty
        m = TTL_RE.match(first)
        if m:
            ttl = min(int(m.group(1) or 0), 0x7FFFFFFF)
            return one(self.normal(query, ttl))
        if first.startswith("cname") and q.rdtype != dns.rdatatype.CNAME:
            r = self.reply(query)
            r.answer.append(dns.rrset.from_text(
                q.name, DEFAULT_TTL, "IN", "CNAME", CNAME_TARGET.to_text()))
            self.add_data(r, CNAME_TARGET, q.rdtype, DEFAULT_TTL)
            return one(r)
        return one(self.normal(query))


class UdpServer(asyncio.DatagramProtocol):
    def __init__(self, fake):
        self.fake = fake
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            actions = self.fake.handle(data, "udp")
        except Exception:
            warn("udp: " + traceback.format_exc())
            return
        loop = asyncio.get_running_loop()
        for a in actions:
            if a.delay_s > 0:
                loop.call_later(a.delay_s, self.send, a, addr)
            else:
                self.send(a, addr)

    def send(self, action, addr):
        try:
            if action.spoof_socket:
                self.fake.spoof_sock.sendto(action.wire, addr)
            elif self.transport is not None and not self.transport.is_closing():
                self.transport.sendto(action.wire, addr)
        except OSError as e:
            warn("udp send to %s failed: %s" % (addr, e))

    def error_received(self, exc):
        pass                            # ICMP errors from gone clients


class TcpConnection:
    """One client connection: length-framed queries, answered as each
    completes; the connection closes when the client does (after pending
    replies) or after TCP_IDLE_S without a query."""

    def __init__(self, fake, reader, writer):
        self.fake = fake
        self.reader = reader
        self.writer = writer
        self.pending = 0
        self.eof = False

    async def run(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                hdr = await asyncio.wait_for(self.reader.readexactly(2),
                                             TCP_IDLE_S)
                (n,) = struct.unpack("!H", hdr)
                data = await asyncio.wait_for(self.reader.readexactly(n),
                                              TCP_IDLE_S)
                try:
                    actions = self.fake.handle(data, "tcp")
                except Exception:
                    warn("tcp: " + traceback.format_exc())
                    continue
                for a in actions:
                    if a.delay_s > 0:
                        self.pending += 1
                        loop.call_later(a.delay_s, self.send_later, a)
                    else:
                        self.send(a)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError,
                ConnectionError, OSError):
            pass
        except Exception:
            warn("tcp: " + traceback.format_exc())
        self.eof = True
        if self.pending == 0:
            self.close()

    def send_later(self, action):
        self.pending -= 1
        self.send(action)
        if self.eof and self.pending == 0:
            self.close()

    def send(self, action):
        if self.writer.is_closing():
            return
        try:
            self.writer.write(struct.pack("!H", len(action.wire)) + action.wire)
        except (ConnectionError, OSError):
            pass

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


def load_records(path):
    """{name: {rdtype: rrset}} from zone-file lines with absolute names."""
    records = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split(";", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 4)
            if len(parts) != 5 or parts[2].upper() != "IN":
                raise SystemExit("%s:%d: expected NAME TTL IN TYPE DATA" % (path, lineno))
            rrset = dns.rrset.from_text(parts[0], int(parts[1]), "IN", parts[3], parts[4])
            held = records.setdefault(rrset.name, {})
            if rrset.rdtype in held:
                held[rrset.rdtype].union_update(rrset)
            else:
                held[rrset.rdtype] = rrset
    return records


def write_pidfile(path):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, path)


async def serve(args):
    fake = Fake(args)
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET

    async def on_tcp(reader, writer):
        await TcpConnection(fake, reader, writer).run()

    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpServer(fake), local_addr=(args.addr, args.port),
            family=family)
        server = await asyncio.start_server(on_tcp, host=args.addr,
                                            port=args.port, family=family,
                                            reuse_address=True)
        spoof = socket.socket(family, socket.SOCK_DGRAM)
        spoof.bind((args.addr, 0))
        spoof.setblocking(False)
        fake.spoof_sock = spoof
    except OSError as e:
        warn("cannot listen on %s port %d: %s" % (args.addr, args.port, e))
        return 1

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.pidfile:
        write_pidfile(args.pidfile)
    await stop.wait()
    server.close()
    transport.close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


def main():
    p = argparse.ArgumentParser(
        description="Scriptable fake upstream DNS server (UDP and TCP).",
        epilog=USAGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--answer-a", default="192.0.2.1")
    p.add_argument("--answer-aaaa", default="2001:db8::1")
    p.add_argument("--mode", default="answer",
                   choices=["answer", "drop", "servfail", "refused"])
    p.add_argument("--records", help="zone-file lines answered first (see below)")
    p.add_argument("--log", help="append one line per query received")
    p.add_argument("--pidfile", help="written once both sockets are bound")
    args = p.parse_args()
    try:
        dns.rrset.from_text("x.", 1, "IN", "A", args.answer_a)
        dns.rrset.from_text("x.", 1, "IN", "AAAA", args.answer_aaaa)
    except dns.exception.DNSException:
        p.error("--answer-a must be IPv4 and --answer-aaaa IPv6")
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
