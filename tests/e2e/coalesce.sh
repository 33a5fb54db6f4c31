#!/bin/bash
# Coalescing: ten clients asking for the same name at once are all answered
# from a single upstream query.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream upstream_ms=2000

digs=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    q "127.0.2.$i" delay500-a.example A >"$T/out$i" &
    digs="$digs $!"
done
for pid in $digs; do
    wait "$pid"
done

for i in 1 2 3 4 5 6 7 8 9 10; do
    expect_status "$T/out$i" NOERROR "client 127.0.2.$i, delay500-a.example"
    expect_answer "$T/out$i" A 192.0.2.1 "client 127.0.2.$i, delay500-a.example"
done
expect_eq "upstream queries for delay500-a.example after 10 concurrent clients" 1 \
    "$(log_count "$T/up.log" delay500-a.example)"

pass
