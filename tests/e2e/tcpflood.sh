#!/bin/bash
# TCP abuse: with limits.tcp_clients 100 and tcp_idle_ms 1000, a flood of
# 1200 idle connections, slow clients trickling a query a byte every 300 ms
# and clients that send a 2-byte length and stall.  The connections open at
# once never exceed the cap (the counters, sampled all along, say so), those
# past it are closed at once, every idle or slow one is closed within about
# one idle period (a trickled query must arrive whole within tcp_idle_ms of
# its first byte), and UDP is served throughout: 200 queries, all answered.
# Afterwards a new TCP query is served.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_upstream
CFG=$T/airlock.json
write_config "$CFG" "$LPORT" "$UPORT" "127.0.2.0/24" tcp_clients=100 tcp_idle_ms=1000
add_json "$CFG" "{\"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT}}"
start_airlockd "$CFG" "$LPORT"

"$PY" - "$LPORT" "$MPORT" >"$T/flood.out" 2>&1 <<'PYEOF'
import asyncio, resource, struct, sys, time
import dns.message, dns.rcode
from dnsudp import udp

PORT, MPORT = int(sys.argv[1]), int(sys.argv[2])
CAP, IDLE = 100, 1.0
FLOOD, SLOW, STALL, UDP = 1200, 5, 5, 200
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = FLOOD + SLOW + STALL + 200
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, min(hard, 65536)), max(hard, want)))

problems = []
t_start = time.monotonic()


def now():
    return time.monotonic() - t_start


async def metrics():
    r, w = await asyncio.open_connection("127.0.0.1", MPORT)
    w.write(b"GET /metrics HTTP/1.0\r\n\r\n")
    body = await r.read()
    w.close()
    vals = {}
    for line in body.decode().splitlines():
        if line.startswith("airlock_tcp_connections"):
            name, v = line.split()
            vals[name] = int(float(v))
    return (vals["airlock_tcp_connections_total"],
            vals["airlock_tcp_connections_rejected_total"],
            vals["airlock_tcp_connections_idle_closed_total"])


async def wait_closed(reader, limit):
    """Seconds until the server ends the connection; None if it did not
    within limit.  Data received is an error here (nothing was asked)."""
    t0 = time.monotonic()
    try:
        data = await asyncio.wait_for(reader.read(1), limit)
        if data:
            problems.append("a connection that asked nothing got data %r" % data)
    except asyncio.TimeoutError:
        return None
    except (ConnectionResetError, BrokenPipeError):
        pass
    return time.monotonic() - t0


async def idle_client(results, deadline):
    """Past the listen backlog a connection may wait seconds (SYN and
    SYN-ACK retries) before the server takes it: the client's deadline is
    counted from the start of the flood, not from its own connect."""
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", PORT, local_addr=("127.0.2.9", 0)),
            deadline - time.monotonic())
    except (OSError, asyncio.TimeoutError) as e:
        results.append(("connect-failed", str(e)))
        return
    results.append(("closed", await wait_closed(r, deadline - time.monotonic())))
    w.close()


async def slow_client(results, stall):
    """stall: sends a 2-byte length and nothing more; else the whole query,
    one byte every 300 ms."""
    q = dns.message.make_query("slowloris.example.", "A", use_edns=0).to_wire()
    wire = struct.pack("!H", len(q)) + q
    r, w = await asyncio.open_connection("127.0.0.1", PORT, local_addr=("127.0.2.8", 0))
    t0 = time.monotonic()
    sent = 0
    closed = asyncio.ensure_future(wait_closed(r, 15))
    try:
        for i in range(2 if stall else len(wire)):
            if closed.done():
                break
            w.write(wire[i:i + 1])
            sent += 1
            if not stall:
                await asyncio.wait([closed], timeout=0.3)
    except (ConnectionResetError, BrokenPipeError):
        pass
    await closed
    took = time.monotonic() - t0
    results.append((stall, sent, len(wire), took if closed.result() is not None else None))
    w.close()


async def udp_queries(results):
    loop = asyncio.get_running_loop()
    s = udp("127.0.2.7")
    await loop.sock_connect(s, ("127.0.0.1", PORT))
    for i in range(UDP):
        m = dns.message.make_query("udp%d.example." % i, "A", use_edns=0)
        got = None
        for _ in range(2):  # one retry
            await loop.sock_sendall(s, m.to_wire())
            try:
                while True:
                    data = await asyncio.wait_for(loop.sock_recv(s, 4096), 1.0)
                    reply = dns.message.from_wire(data)
                    if reply.id == m.id:
                        got = reply
                        break
            except asyncio.TimeoutError:
                continue
            break
        if got is None:
            results.append((i, "NO-REPLY", []))
        else:
            results.append((i, dns.rcode.to_text(got.rcode()),
                            [rd.address for rr in got.answer for rd in rr if rr.rdtype == 1]))
        await asyncio.sleep(0.01)


async def main():
    base = await metrics()
    peak = [0]
    stop = asyncio.Event()

    async def sampler():
        while not stop.is_set():
            acc, rej, idle = await metrics()
            peak[0] = max(peak[0], (acc - base[0]) - (idle - base[2]))
            await asyncio.sleep(0.05)

    samp = asyncio.ensure_future(sampler())
    slow = []
    slow_tasks = [asyncio.ensure_future(slow_client(slow, i >= SLOW)) for i in range(SLOW + STALL)]
    await asyncio.sleep(0.2)  # the slow clients hold slots before the flood
    udp = []
    udp_task = asyncio.ensure_future(udp_queries(udp))
    idle = []
    t_flood = now()
    deadline = time.monotonic() + 40
    await asyncio.gather(*[idle_client(idle, deadline) for _ in range(FLOOD)])
    flood_s = now() - t_flood
    await asyncio.gather(*slow_tasks)
    await udp_task
    stop.set()
    await samp
    end = await metrics()
    accepted, rejected = end[0] - base[0], end[1] - base[1]
    idle_closed = end[2] - base[2]

    failed = [r for r in idle if r[0] == "connect-failed"]
    lives = sorted(r[1] for r in idle if r[0] == "closed" and r[1] is not None)
    held = [r for r in idle if r[0] == "closed" and r[1] is None]
    prompt = sum(1 for t in lives if t < 0.5)
    print("flood of %d took %.1f s: %d accepted, %d rejected, %d closed idle; "
          "peak open (accepted - idle closed) %d; %d closed by the server within 0.5 s, "
          "slowest close %.2f s, %d never closed, %d connects failed"
          % (FLOOD, flood_s, accepted, rejected, idle_closed, peak[0], prompt,
             lives[-1] if lives else -1, len(held), len(failed)))
    for stall, sent, total, took in slow:
        print("%s client: sent %d of %d bytes, closed after %s s"
              % ("stalled" if stall else "slow", sent, total,
                 "%.2f" % took if took is not None else "never"))
    bad_udp = [r for r in udp if r[1] != "NOERROR" or r[2] != ["192.0.2.1"]]
    print("udp: %d of %d answered NOERROR 192.0.2.1" % (len(udp) - len(bad_udp), UDP))

    if peak[0] > CAP:
        problems.append("%d connections open at once, above limits.tcp_clients %d" % (peak[0], CAP))
    if accepted + rejected < FLOOD + SLOW + STALL:
        problems.append("the server saw %d connections, expected at least %d"
                        % (accepted + rejected, FLOOD + SLOW + STALL))
    if rejected < FLOOD // 2:
        problems.append("only %d connections rejected at the cap" % rejected)
    # Those past the cap are closed at accept: as many quick closes.
    if prompt < rejected * 9 // 10:
        problems.append("%d rejected but only %d closed within 0.5 s" % (rejected, prompt))
    if held or failed:
        problems.append("%d idle connections not closed within 40 s, %d not connected"
                        % (len(held), len(failed)))
    # Every connection taken was closed by the idle timer: none of them
    # ever completed a query.
    if idle_closed != accepted:
        problems.append("%d connections accepted but %d closed idle" % (accepted, idle_closed))
    for stall, sent, total, took in slow:
        what = "stalled" if stall else "slow"
        if took is None or took > 3.0:
            problems.append("a %s client was not closed within 3 s: %s" % (what, took))
        if sent >= total:
            problems.append("a %s client delivered its whole query (%d bytes)" % (what, sent))
    if bad_udp:
        problems.append("UDP queries not answered right during the flood: %s" % bad_udp[:5])
    if problems:
        sys.exit("; ".join(problems))


asyncio.run(main())
PYEOF
rc=$?
[ $rc -eq 0 ] || fail_out "$T/flood.out" "TCP flood"
cat "$T/flood.out"

# After the flood a new TCP query is served.
q 127.0.2.1 after-flood.example A +tcp >"$T/after"
expect_status "$T/after" NOERROR "TCP query after the flood"
expect_answer "$T/after" A 192.0.2.1 "TCP query after the flood"
pass
