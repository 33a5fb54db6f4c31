"""DNS over UDP for the end-to-end tests that flood: a non-blocking socket
from a client address in 127/8 with room for many replies.  Imported by the
Python snippets in tests/e2e/*.sh."""
import socket


def udp(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((src, 0))
    s.setblocking(False)
    return s
