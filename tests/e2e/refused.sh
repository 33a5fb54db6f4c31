#!/bin/bash
# Clients outside every zone's CIDRs get REFUSED over UDP and TCP, and their
# queries never reach an upstream; clients inside a zone are answered.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream

q 127.0.3.1 outside-udp.example A >"$T/out1"
expect_status "$T/out1" REFUSED "UDP query from 127.0.3.1 (no zone)"
expect_answer "$T/out1" A "" "UDP query from 127.0.3.1 (no zone)"

q 127.0.3.1 outside-tcp.example A +tcp >"$T/out2"
expect_status "$T/out2" REFUSED "TCP query from 127.0.3.1 (no zone)"
expect_answer "$T/out2" A "" "TCP query from 127.0.3.1 (no zone)"

q 127.0.2.1 inside.example A >"$T/out3"
expect_status "$T/out3" NOERROR "UDP query from 127.0.2.1 (zone e2e)"
expect_answer "$T/out3" A 192.0.2.1 "UDP query from 127.0.2.1 (zone e2e)"

q 127.0.2.1 inside-tcp.example A +tcp >"$T/out4"
expect_status "$T/out4" NOERROR "TCP query from 127.0.2.1 (zone e2e)"
expect_answer "$T/out4" A 192.0.2.1 "TCP query from 127.0.2.1 (zone e2e)"

expect_eq "upstream queries for outside-udp.example (refused client)" 0 \
    "$(log_count "$T/up.log" outside-udp.example)"
expect_eq "upstream queries for outside-tcp.example (refused client)" 0 \
    "$(log_count "$T/up.log" outside-tcp.example)"

pass
