#!/bin/bash
# Upstream faults and reply scrubbing: a first upstream that answers with
# random bytes (over UDP, or over TCP after TC), a reply cut short, a reply
# larger than the advertised EDNS size, or a reply carrying records outside
# the question's bailiwick; a second, good upstream behind it. The client
# gets the good answer or SERVFAIL, never 198.51.100.66; asked again it gets
# the same (nothing bad was cached); scrubbed records reach neither the
# client nor the cache, and airlock_upstream_scrubbed_records_total counts them.
# An upstream port where nothing listens fails the try at once.
. "$(dirname "$0")/lib.sh" || exit 1
setup

pick_ports 4
LPORT=${PORTS[0]} BAD=${PORTS[1]} GOOD=${PORTS[2]} MPORT=${PORTS[3]}
SPOOF=198.51.100.66
C=127.0.2.1

# The good upstream holds the fault names itself (its first label would
# otherwise pick the same fault); everything else it answers 192.0.2.222.
cat >"$T/good.zone" <<'EOF'
garbage-a.example. 300 IN A 192.0.2.222
garbagetcp-a.example. 300 IN A 192.0.2.222
short-a.example. 300 IN A 192.0.2.222
EOF
start_fake bad "$BAD"
start_fake good "$GOOD" --answer-a 192.0.2.222 --records "$T/good.zone"
# Hold-down off: the faulty upstream stays first for every question.
write_config "$T/airlock.json" "$LPORT" "$BAD $GOOD" "127.0.2.0/24" \
    upstream_ms=800 query_ms=4000 upstream_holddown_ms=0
add_json "$T/airlock.json" "{\"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT}}"
start_airlockd "$T/airlock.json" "$LPORT"

# counter NAME: the value of an unlabelled counter in /metrics.
counter() { scrape_value "$MPORT" "$1" || fail "cannot scrape $1"; }

# never_bad FILE WHAT: no forged address and no out-of-bailiwick name.
never_bad() {
    expect_not_in "$1" "$SPOOF" "$2"
    expect_not_in "$1" victim.example "$2"
    expect_not_in "$1" evil.example "$2"
    expect_not_in "$1" extra1.example "$2"
    expect_not_in "$1" extra2.example "$2"
}

expect_eq "scrubbed records at start" 0 "$(counter airlock_upstream_scrubbed_records_total)"

# Garbage (100 random bytes after the right ID) is ignored as a mismatch,
# over UDP and over TCP after TC; the good upstream answers, and that is
# what is cached.
for name in garbage-a.example garbagetcp-a.example; do
    asked=1 # UDP only; garbagetcp: UDP (TC), then TCP
    [ "$name" = garbagetcp-a.example ] && asked=2
    m0=$(counter airlock_upstream_mismatched_replies_total)
    for try in first cached; do
        q $C "$name" A +time=6 >"$T/$name.$try"
        expect_status "$T/$name.$try" NOERROR "$name ($try)"
        expect_answer "$T/$name.$try" A 192.0.2.222 "$name ($try)"
        never_bad "$T/$name.$try" "$name ($try)"
    done
    expect_int "mismatched upstream replies after $name" -ge $((m0 + 1)) \
        "$(counter airlock_upstream_mismatched_replies_total)"
    expect_eq "queries the faulty upstream got for $name (the second was cached)" "$asked" \
        "$(log_count "$T/bad.log" "$name")"
    expect_eq "queries the good upstream got for $name" 1 "$(log_count "$T/good.log" "$name")"
done
expect_eq "transports the faulty upstream saw for garbagetcp-a.example" "udp tcp" \
    "$(log_protos "$T/bad.log" garbagetcp-a.example)"

# A reply cut in the middle of its answer record (TC not set) is as
# useless as an error: the good upstream is asked, its answer cached.
for try in first cached; do
    out=$T/short.$try
    q $C short-a.example A +time=6 >"$out"
    never_bad "$out" "short-a.example ($try)"
    expect_status "$out" NOERROR "short-a.example ($try)"
    expect_answer "$out" A 192.0.2.222 "short-a.example ($try)"
done
expect_eq "queries the faulty upstream got for short-a.example" 1 "$(log_count "$T/bad.log" short-a.example)"
expect_eq "queries the good upstream got for short-a.example (the second was cached)" 1 \
    "$(log_count "$T/good.log" short-a.example)"

# A 3000-byte UDP reply to a query that advertised 1232: its answer is
# sound, so it is used; the padding does not reach the client.
for try in first cached; do
    out=$T/oversize.$try
    q $C oversize-a.example A +time=6 >"$out"
    expect_status "$out" NOERROR "oversize-a.example ($try)"
    expect_answer "$out" A 192.0.2.1 "oversize-a.example ($try)"
    expect_not_in "$out" PAD "oversize-a.example ($try)"
    size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)$/\1/p' "$out")
    expect_int "bytes of the reply to oversize-a.example ($try)" -le 512 "${size:-99999}"
done
expect_eq "queries the faulty upstream got for oversize-a.example" 1 \
    "$(log_count "$T/bad.log" oversize-a.example)"

# Records outside the bailiwick: dropped from every section, before the
# cache; the in-bailiwick NS and its glue stay.
s0=$(counter airlock_upstream_scrubbed_records_total)
for try in first cached; do
    out=$T/outbw.$try
    q $C outbw-a.example A >"$out"
    expect_status "$out" NOERROR "outbw-a.example ($try)"
    never_bad "$out" "outbw-a.example ($try)"
    expect_eq "answer section of outbw-a.example ($try)" "outbw-a.example. A 192.0.2.1" \
        "$(section_of "$out" ANSWER | awk '{ print $1, $4, $5 }')"
    expect_eq "authority section of outbw-a.example ($try)" "example. NS ns1.example." \
        "$(section_of "$out" AUTHORITY | awk '{ print $1, $4, $5 }')"
    expect_eq "additional section of outbw-a.example ($try)" "ns1.example. A 192.0.2.53" \
        "$(section_of "$out" ADDITIONAL | awk '{ print $1, $4, $5 }')"
done
expect_eq "queries the faulty upstream got for outbw-a.example (the second was cached)" 1 \
    "$(log_count "$T/bad.log" outbw-a.example)"
# victim.example A in answer, its NS in authority, two A in additional.
expect_eq "scrubbed records after outbw-a.example" $((s0 + 4)) \
    "$(counter airlock_upstream_scrubbed_records_total)"

# Additional records for names nobody asked about.
s0=$(counter airlock_upstream_scrubbed_records_total)
q $C extra-a.example A >"$T/extra"
expect_status "$T/extra" NOERROR "extra-a.example"
expect_answer "$T/extra" A 192.0.2.1 "extra-a.example"
never_bad "$T/extra" "extra-a.example"
expect_eq "additional section of extra-a.example" "" "$(section_of "$T/extra" ADDITIONAL)"
expect_eq "scrubbed records after extra-a.example" $((s0 + 2)) \
    "$(counter airlock_upstream_scrubbed_records_total)"

# The forged names were never cached: asked directly, they go upstream and
# get the upstream's own answer.
for name in victim.example extra1.example ns.evil.example; do
    q $C "$name" A >"$T/direct.$name"
    expect_status "$T/direct.$name" NOERROR "$name asked directly"
    expect_answer "$T/direct.$name" A 192.0.2.1 "$name asked directly"
    expect_eq "queries the faulty upstream got for $name" 1 "$(log_count "$T/bad.log" "$name")"
done

# An upstream port where nothing listens: the ICMP error reaches the try's
# connected socket, so the try fails at once (an error, not a timeout of
# upstream_ms) and the good upstream answers.
pick_ports 3
CLOSED=${PORTS[0]} LPORT2=${PORTS[1]} MPORT2=${PORTS[2]}
write_config "$T/closed.json" "$LPORT2" "$CLOSED $GOOD" "127.0.2.0/24" \
    upstream_ms=3000 query_ms=8000 upstream_holddown_ms=0
add_json "$T/closed.json" "{\"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT2}}"
start_airlockd "$T/closed.json" "$LPORT2" closed
dig -p "$LPORT2" @127.0.0.1 -b "$C" +tries=1 +time=5 closed-a.example A >"$T/closed.out" 2>&1
expect_status "$T/closed.out" NOERROR "closed-a.example with the first upstream's port closed"
expect_answer "$T/closed.out" A 192.0.2.222 "closed-a.example with the first upstream's port closed"
expect_eq "errors of the closed upstream" 1 \
    "$(scrape_value "$MPORT2" "airlock_upstream_failures_total{upstream=\"127.0.0.1#$CLOSED\",reason=\"error\"}")"
expect_eq "timeouts of the closed upstream" 0 \
    "$(scrape_value "$MPORT2" "airlock_upstream_failures_total{upstream=\"127.0.0.1#$CLOSED\",reason=\"timeout\"}")"

pass
