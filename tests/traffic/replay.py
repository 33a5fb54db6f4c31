#!/usr/bin/python3
"""Replays a gen.py stream at a DNS server on loopback and scores it.

Sends each "NAME TYPE" line over UDP from a chosen 127.0.0.0/8 source (so
airlockd maps it to a zone), in order, with up to --window queries in
flight and at most --rate queries a second, and records every answer's
rcode.  Prints a JSON summary: for a tunnel stream (its --meta says so)
the first blocked query, the payload bytes that got through before it and
how many later queries were still answered; for a benign stream the
distinct names that got a blocked answer and the false-positive rate.
Exit status 0 whatever the figures (the caller asserts); 2 for bad usage,
including any address outside 127.0.0.0/8, before anything is sent.
"""

import argparse
import ipaddress
import json
import selectors
import socket
import struct
import sys
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
TIMEOUT = "TIMEOUT"
EDNS_PAYLOAD = 1232
LIST_MAX = 50                # blocked names listed in a benign summary


def usage_error(msg):
    print("replay.py: %s" % msg, file=sys.stderr)
    sys.exit(2)


def loopback(value, what):
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        usage_error("%s %r is not an IP address" % (what, value))
    if addr.version != 4 or addr not in LOOPBACK:
        usage_error("%s %s is outside 127.0.0.0/8: this tool only talks to loopback"
                    % (what, value))
    return str(addr)


def parse_blocked(text):
    out = set()
    for item in text.split(","):
        item = item.strip().upper()
        if not item:
            continue
        if item == TIMEOUT:
            out.add(TIMEOUT)
            continue
        try:
            out.add(dns.rcode.to_text(dns.rcode.from_text(item)))
        except dns.exception.DNSException:
            usage_error("--blocked: %r is neither an rcode nor TIMEOUT" % item)
    if not out:
        usage_error("--blocked names no rcode")
    return out


def read_stream(path):
    rows = []
    try:
        f = sys.stdin if path == "-" else open(path, encoding="latin-1")
    except OSError as e:
        usage_error("cannot read %s: %s" % (path, e))
    with f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                usage_error("%s:%d: expected NAME TYPE, saw %r" % (path, lineno, line.rstrip()))
            try:
                rows.append((dns.name.from_text(parts[0]), dns.rdatatype.from_text(parts[1])))
            except dns.exception.DNSException as e:
                usage_error("%s:%d: %s" % (path, lineno, e))
    return rows


class Replay:
    """One UDP socket, bound to the source address and connected to the
    server, with a table of queries in flight keyed by message id."""

    def __init__(self, args, rows):
        self.rows = rows
        self.window = args.window
        self.rate = args.rate
        self.timeout = args.timeout
        self.results = [None] * len(rows)     # (rcode text, tc, ms)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((args.source, 0))
        self.sock.connect((args.server, args.port))
        self.sock.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ)
        self.pending = {}                     # id -> (index, sent at, deadline)
        self.next_id = 1
        self.late = 0                         # answers after their timeout
        self.stray = 0                        # answers matching no query

    def free_id(self):
        while self.next_id in self.pending:
            self.next_id = (self.next_id + 1) & 0xFFFF
        qid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        return qid

    def send(self, i):
        name, rdtype = self.rows[i]
        q = dns.message.make_query(name, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        q.id = self.free_id()
        now = time.monotonic()
        try:
            self.sock.send(q.to_wire())
        except OSError:
            pass                              # counted as a timeout
        self.pending[q.id] = (i, now, now + self.timeout)

    def receive(self):
        while True:
            try:
                data = self.sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue                      # ICMP port unreachable
            now = time.monotonic()
            if len(data) < 12:
                self.stray += 1
                continue
            qid = struct.unpack("!H", data[:2])[0]
            entry = self.pending.get(qid)
            if entry is None:
                self.late += 1
                continue
            i = entry[0]
            name, rdtype = self.rows[i]
            try:
                r = dns.message.from_wire(data)
                if not r.question or r.question[0].name != name or r.question[0].rdtype != rdtype:
                    self.stray += 1
                    continue
                rcode = dns.rcode.to_text(r.rcode())
                tc = bool(r.flags & dns.flags.TC)
            except dns.exception.DNSException:
                rcode = dns.rcode.to_text(data[3] & 0xF)
                tc = bool(data[2] & 0x02)
            del self.pending[qid]
            self.results[i] = (rcode, tc, (now - entry[1]) * 1000.0)

    def expire(self, now):
        for qid, (i, sent, deadline) in list(self.pending.items()):
            if deadline <= now:
                del self.pending[qid]
                self.results[i] = (TIMEOUT, False, (now - sent) * 1000.0)

    def run(self):
        n = len(self.rows)
        nxt = 0
        start = time.monotonic()
        while nxt < n or self.pending:
            now = time.monotonic()
            while nxt < n and len(self.pending) < self.window:
                if self.rate > 0 and now < start + nxt / self.rate:
                    break
                self.send(nxt)
                nxt += 1
                now = time.monotonic()
            waits = [d for _, _, d in self.pending.values()]
            if nxt < n and len(self.pending) < self.window and self.rate > 0:
                waits.append(start + nxt / self.rate)
            wait = max(0.0, min(waits) - time.monotonic()) if waits else 0.0
            if self.sel.select(wait):
                self.receive()
            self.expire(time.monotonic())
        self.sock.close()
        return time.monotonic() - start


def summarize(args, rows, results, elapsed, meta, blocked_set, replay):
    n = len(rows)
    rcodes = {}
    for rc, _, _ in results:
        rcodes[rc] = rcodes.get(rc, 0) + 1
    blocked = [rc in blocked_set for rc, _, _ in results]
    answered = [rc != TIMEOUT for rc, _, _ in results]
    out = {
        "stream": args.stream,
        "server": "%s:%d" % (args.server, args.port),
        "source": args.source,
        "window": args.window,
        "rate": args.rate,
        "blocked_rcodes": sorted(blocked_set),
        "queries": n,
        "answered": sum(answered),
        "timeouts": rcodes.get(TIMEOUT, 0),
        "truncated": sum(1 for _, tc, _ in results if tc),
        "late_answers": replay.late,
        "stray_answers": replay.stray,
        "rcodes": rcodes,
        "blocked_queries": sum(blocked),
        "elapsed_s": round(elapsed, 3),
        "qps": round(n / elapsed, 1) if elapsed > 0 else None,
    }
    kind = args.kind
    if kind == "auto":
        kind = meta.get("kind", "benign") if meta else "benign"
    out["kind"] = kind
    if kind == "tunnel":
        payload = meta.get("payload") if meta else None
        if payload is not None and len(payload) != n:
            usage_error("--meta has %d payload entries for %d queries" % (len(payload), n))
        phase = meta.get("phase") if meta else None
        first = next((i for i, b in enumerate(blocked) if b), None)
        stop = n if first is None else first
        out.update({
            "tool": meta.get("tool") if meta else None,
            "encoding": meta.get("encoding") if meta else None,
            "first_blocked_index": first,
            "first_blocked_query": None if first is None else "%s %s" % (
                rows[first][0].to_text(omit_final_dot=True),
                dns.rdatatype.to_text(rows[first][1])),
            "first_blocked_phase": phase[first] if phase and first is not None else None,
            "queries_before_block": stop,
            # Not blocked = answered with another rcode, or unanswered
            # (a query that timed out may still have reached the tunnel's
            # server), unless TIMEOUT is in the blocked set.
            "answered_after_block": 0 if first is None else sum(
                1 for i in range(first + 1, n) if answered[i] and not blocked[i]),
            "unblocked_after_block": 0 if first is None else sum(
                1 for i in range(first + 1, n) if not blocked[i]),
        })
        if payload is not None:
            out.update({
                "payload_bytes_total": sum(payload),
                "payload_bytes_before_block": sum(payload[:stop]),
                "payload_bytes_through": sum(p for p, b in zip(payload, blocked) if not b),
            })
        else:
            out.update({"payload_bytes_total": None, "payload_bytes_before_block": None,
                        "payload_bytes_through": None})
    else:
        category = meta.get("category") if meta else None
        if category is not None and len(category) != n:
            usage_error("--meta has %d categories for %d queries" % (len(category), n))
        names = {}
        for i, (name, _) in enumerate(rows):
            key = name.to_text(omit_final_dot=True).lower()
            entry = names.setdefault(key, [False, category[i] if category else None])
            if blocked[i]:
                entry[0] = True
        bad = sorted(k for k, (b, _) in names.items() if b)
        by_cat = {}
        for k in bad:
            c = names[k][1] or "unknown"
            by_cat[c] = by_cat.get(c, 0) + 1
        out.update({
            "distinct_names": len(names),
            "blocked_distinct_names": len(bad),
            "false_positive_rate": len(bad) / len(names) if names else 0.0,
            "query_false_positive_rate": sum(blocked) / n if n else 0.0,
            "blocked_by_category": by_cat,
            "blocked_names": bad[:LIST_MAX],
        })
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stream", help="a gen.py stream file ('-' for stdin)")
    p.add_argument("--meta", help="its gen.py meta file (kind, payload per query, category)")
    p.add_argument("--server", default="127.0.0.1", help="DNS server, in 127.0.0.0/8")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("-b", "--source", default="127.0.0.1",
                   help="source address, in 127.0.0.0/8 (picks the airlock zone)")
    p.add_argument("--window", type=int, default=1,
                   help="queries in flight at once (default 1: one after the other)")
    p.add_argument("--rate", type=float, default=None,
                   help="at most this many queries a second (default: the meta's qps, "
                   "else no limit; 0 = no limit)")
    p.add_argument("--timeout", type=float, default=2.0,
                   help="seconds to wait for each answer (default 2)")
    p.add_argument("--blocked", default="REFUSED,NXDOMAIN",
                   help="rcodes that mean blocked, comma-separated; TIMEOUT counts "
                   "unanswered queries too (default REFUSED,NXDOMAIN)")
    p.add_argument("--kind", choices=["auto", "tunnel", "benign"], default="auto",
                   help="how to score (default: the meta's kind, else benign)")
    p.add_argument("--limit", type=int, help="replay only the first N queries")
    p.add_argument("--records", help="write one JSON line per query here")
    p.add_argument("--out", help="write the summary here too")
    args = p.parse_args()

    args.server = loopback(args.server, "--server")
    args.source = loopback(args.source, "--source")
    if not 1 <= args.port <= 65535:
        usage_error("--port %d is not a port" % args.port)
    if args.window < 1 or args.timeout <= 0:
        usage_error("--window must be >= 1 and --timeout > 0")
    blocked_set = parse_blocked(args.blocked)
    meta = None
    if args.meta:
        try:
            with open(args.meta, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            usage_error("cannot read --meta %s: %s" % (args.meta, e))
    if args.rate is None:
        args.rate = (meta or {}).get("qps") or 0.0
    rows = read_stream(args.stream)
    if args.limit is not None:
        rows = rows[:args.limit]
        if meta:
            for key in ("payload", "phase", "category"):
                if key in meta:
                    meta[key] = meta[key][:args.limit]
    try:
        replay = Replay(args, rows)
    except OSError as e:
        usage_error("cannot use source %s: %s" % (args.source, e))
    elapsed = replay.run()
    summary = summarize(args, rows, replay.results, elapsed, meta, blocked_set, replay)
    if args.records:
        with open(args.records, "w", encoding="utf-8") as f:
            for i, ((name, rdtype), (rc, tc, ms)) in enumerate(zip(rows, replay.results)):
                f.write(json.dumps({"i": i, "name": name.to_text(omit_final_dot=True),
                                    "type": dns.rdatatype.to_text(rdtype), "rcode": rc,
                                    "tc": tc, "ms": round(ms, 3),
                                    "blocked": rc in blocked_set}) + "\n")
    text = json.dumps(summary, indent=1, sort_keys=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
