#!/bin/bash
# Upstream failover: a silent first upstream times out and the second
# answers; the silent one is then held down, so the next query goes straight
# to the second. When every upstream fails the client gets SERVFAIL.
. "$(dirname "$0")/lib.sh" || exit 1
setup

pick_ports 6
LPORT=${PORTS[0]} DEAD=${PORTS[1]} LIVE=${PORTS[2]}
LPORT2=${PORTS[3]} SFAIL=${PORTS[4]} DEAD2=${PORTS[5]}
start_fake dead "$DEAD" --mode drop --answer-a 192.0.2.111
start_fake live "$LIVE" --answer-a 192.0.2.222
write_config "$T/airlock.json" "$LPORT" "$DEAD $LIVE" "127.0.2.0/24" \
    upstream_ms=800 query_ms=4000 upstream_holddown_ms=5000
start_airlockd "$T/airlock.json" "$LPORT"
C=127.0.2.1

q $C first-a.example A +time=5 >"$T/first"
expect_status "$T/first" NOERROR "first-a.example (first upstream silent)"
expect_answer "$T/first" A 192.0.2.222 "first-a.example (first upstream silent)"
expect_eq "queries the live upstream got for first-a.example" 1 \
    "$(log_count "$T/live.log" first-a.example)"

t0=$(now_ms)
q $C second-a.example A +time=5 >"$T/second"
elapsed=$(($(now_ms) - t0))
expect_status "$T/second" NOERROR "second-a.example (first upstream held down)"
expect_answer "$T/second" A 192.0.2.222 "second-a.example (first upstream held down)"
expect_int "ms to answer second-a.example with the dead upstream held down (upstream_ms 800)" \
    -lt 800 "$elapsed"

expect_int "queries the dead upstream got for first-a.example" -ge 1 \
    "$(log_count "$T/dead.log" first-a.example)"
others=$(awk '$2 != "first-a.example."' "$T/dead.log" | tr '\n' ';')
expect_eq "queries the held-down upstream got besides first-a.example" "" "$others"

# Every upstream fails: one answers SERVFAIL, the other never answers.
start_fake sfail "$SFAIL" --mode servfail
start_fake dead2 "$DEAD2" --mode drop
write_config "$T/allbad.json" "$LPORT2" "$SFAIL $DEAD2" "127.0.2.0/24" \
    upstream_ms=800 query_ms=4000 upstream_holddown_ms=5000
start_airlockd "$T/allbad.json" "$LPORT2" airlockd-allbad
t0=$(now_ms)
q $C allbad-a.example A +time=6 >"$T/allbad"
elapsed=$(($(now_ms) - t0))
expect_status "$T/allbad" SERVFAIL "allbad-a.example (all upstreams failing)"
expect_answer "$T/allbad" A "" "allbad-a.example (all upstreams failing)"
expect_int "ms to SERVFAIL allbad-a.example (query_ms 4000)" -le 4500 "$elapsed"
expect_int "queries the SERVFAIL upstream got for allbad-a.example" -ge 1 \
    "$(log_count "$T/sfail.log" allbad-a.example)"

pass
