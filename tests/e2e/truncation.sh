#!/bin/bash
# Truncation: a TC reply from the upstream is retried over TCP and the client
# gets the full answer; a reply too big for the client's UDP buffer (512, or
# no EDNS) comes back with TC set; over TCP the client gets all of it.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream
C=127.0.2.1

# The upstream truncates tc-a.example over UDP; airlockd asks again over TCP.
q $C tc-a.example A +ignore >"$T/tc"
expect_status "$T/tc" NOERROR "tc-a.example over UDP"
expect_no_flag "$T/tc" tc "tc-a.example over UDP"
expect_answer "$T/tc" A 192.0.2.1 "tc-a.example over UDP"
expect_eq "transports airlockd used upstream for tc-a.example" "udp tcp" \
    "$(log_protos "$T/up.log" tc-a.example)"

# 60 A records (about 1000 bytes) do not fit a 512-byte buffer.
q $C big-a.example A +bufsize=512 +ignore >"$T/big512"
expect_status "$T/big512" NOERROR "big-a.example with +bufsize=512"
expect_flag "$T/big512" tc "big-a.example with +bufsize=512"
size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' "$T/big512")
expect_int "size of the big-a.example reply to a 512-byte buffer" -le 512 "$size"

all60=$(seq 1 60 | sed 's/^/192.0.2./' | tr '\n' ' ' | sed 's/ $//')
q $C big-a.example A +tcp >"$T/bigtcp"
expect_status "$T/bigtcp" NOERROR "big-a.example over TCP"
expect_no_flag "$T/bigtcp" tc "big-a.example over TCP"
expect_answer "$T/bigtcp" A "$all60" "big-a.example over TCP"

q $C big-a.example A +noedns +ignore >"$T/bignoedns"
expect_status "$T/bignoedns" NOERROR "big-a.example without EDNS"
expect_flag "$T/bignoedns" tc "big-a.example without EDNS"
size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' "$T/bignoedns")
expect_int "size of the big-a.example reply without EDNS" -le 512 "$size"

# With the default buffer (dig asks for 1232) the whole answer fits over UDP.
q $C big-a.example A +ignore >"$T/big1232"
expect_status "$T/big1232" NOERROR "big-a.example with dig's default buffer"
expect_no_flag "$T/big1232" tc "big-a.example with dig's default buffer"
expect_answer "$T/big1232" A "$all60" "big-a.example with dig's default buffer"

pass
