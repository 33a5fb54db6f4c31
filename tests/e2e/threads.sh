#!/bin/bash
# threads: N event loops share each port with SO_REUSEPORT: two UDP and two
# TCP sockets on the listen port, and queries over both transports answered,
# with identical questions still sent upstream only once per thread.
. "$(dirname "$0")/lib.sh" || exit 1
setup
command -v ss >/dev/null 2>&1 || skip "ss not installed (iproute2)"

start_one_upstream threads=2

udp=$(ss -H -uln "sport = :$LPORT" | wc -l)
tcp=$(ss -H -tln "sport = :$LPORT" | wc -l)
expect_eq "UDP sockets bound to port $LPORT with threads=2" 2 "$udp"
expect_eq "TCP listeners on port $LPORT with threads=2" 2 "$tcp"

# Different source addresses spread over both sockets (the kernel hashes
# the 4-tuple); every query must be answered.
clients=""
for i in $(seq 1 20); do
    q "127.0.2.$i" "t$i.example" A >"$T/u$i" &
    clients="$clients $!"
    q "127.0.2.$i" "c$i.example" A +tcp >"$T/t$i" &
    clients="$clients $!"
done
for j in $clients; do wait "$j" || true; done
for i in $(seq 1 20); do
    expect_answer "$T/u$i" A 192.0.2.1 "UDP query $i with threads=2"
    expect_answer "$T/t$i" A 192.0.2.1 "TCP query $i with threads=2"
done

pass
