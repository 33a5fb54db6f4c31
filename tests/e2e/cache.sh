#!/bin/bash
# The cache: a repeated name reaches the upstream once and its TTL counts
# down; lookups ignore case but the reply echoes the client's question;
# NXDOMAIN is cached with its SOA; max_ttl clamps long TTLs.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream max_ttl=100
C=127.0.2.1

# A repeated name: one upstream query, the second answer's TTL has gone down.
q $C www-a.example A >"$T/first"
expect_status "$T/first" NOERROR "first www-a.example"
expect_answer "$T/first" A 192.0.2.1 "first www-a.example"
sleep 1.2
q $C www-a.example A >"$T/second"
expect_status "$T/second" NOERROR "second www-a.example"
expect_answer "$T/second" A 192.0.2.1 "second www-a.example"
expect_eq "upstream queries for www-a.example after two client queries" 1 \
    "$(log_count "$T/up.log" www-a.example)"
ttl1=$(first_ttl "$T/first" A)
ttl2=$(first_ttl "$T/second" A)
expect_int "TTL of the first answer (upstream 300, max_ttl 100)" -le 100 "$ttl1"
expect_int "TTL of the cached answer 1.2 s later (first was $ttl1)" -lt "$ttl1" "$ttl2"
expect_int "TTL of the cached answer 1.2 s later (first was $ttl1)" -ge $((ttl1 - 3)) "$ttl2"

# Case: the cache key ignores case, the question is echoed as asked.
q $C WWW-A.Example. A >"$T/case"
expect_status "$T/case" NOERROR "WWW-A.Example."
expect_answer "$T/case" A 192.0.2.1 "WWW-A.Example."
expect_eq "upstream queries for www-a.example after WWW-A.Example." 1 \
    "$(log_count "$T/up.log" www-a.example)"
question=$(question_of "$T/case")
[ "$question" = "WWW-A.Example." ] \
    || fail_out "$T/case" "question of the reply: expected 'WWW-A.Example.' (case kept), saw '$question'"

# NXDOMAIN is cached, and the cached reply still carries the SOA.
q $C nx-a.example A >"$T/nx1"
expect_status "$T/nx1" NXDOMAIN "first nx-a.example"
q $C nx-a.example A >"$T/nx2"
expect_status "$T/nx2" NXDOMAIN "second nx-a.example"
expect_eq "upstream queries for nx-a.example after two client queries" 1 \
    "$(log_count "$T/up.log" nx-a.example)"
soa=$(section_of "$T/nx2" AUTHORITY | awk '$4 == "SOA" { print $1 }')
[ "$soa" = "example." ] \
    || fail_out "$T/nx2" "cached NXDOMAIN: expected the SOA of example. in authority, saw '$soa'"
soa_ttl=$(section_of "$T/nx2" AUTHORITY | awk '$4 == "SOA" { print $2 }')
expect_int "TTL of the cached NXDOMAIN's SOA" -le 300 "$soa_ttl"

# max_ttl clamps a 5000 s TTL to 100.
q $C ttl5000-a.example A >"$T/clamp"
expect_status "$T/clamp" NOERROR "ttl5000-a.example"
expect_answer "$T/clamp" A 192.0.2.1 "ttl5000-a.example"
expect_int "TTL of ttl5000-a.example with max_ttl 100" -le 100 "$(first_ttl "$T/clamp" A)"
q $C ttl5000-a.example A >"$T/clamp2"
expect_int "TTL of cached ttl5000-a.example with max_ttl 100" -le 100 "$(first_ttl "$T/clamp2" A)"

pass
