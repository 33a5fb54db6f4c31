"""DNS over TCP for the end-to-end tests: one connection from a zone
address in 127/8 to airlockd, queries framed with the 2-byte length, replies
read whole.  Imported by the Python snippets in tests/e2e/*.sh."""
import socket
import struct

import dns.message


def connect(port, src="127.0.2.1", timeout=5, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def send_queries(s, msgs):
    """Sends every message in one write, so the server sees them pipelined."""
    wire = b""
    for m in msgs:
        w = m.to_wire()
        wire += struct.pack("!H", len(w)) + w
    s.sendall(wire)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_reply(s):
    (n,) = struct.unpack("!H", recv_exact(s, 2))
    return dns.message.from_wire(recv_exact(s, n))


def a_addrs(r):
    return [rd.address for rr in r.answer for rd in rr if rr.rdtype == 1]
