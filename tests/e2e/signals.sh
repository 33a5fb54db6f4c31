#!/bin/bash
# SIGUSR1 logs the counters so far; SIGTERM: the query in flight is still
# answered, then airlockd exits 0.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream upstream_ms=3000

q 127.0.2.1 counted-a.example A >"$T/counted"
expect_answer "$T/counted" A 192.0.2.1 "counted-a.example"
kill -USR1 "$AL_PID"
for _ in $(seq 1 50); do
    grep -q 'counters so far:' "$T/airlockd.err" && break
    sleep 0.05
done
line=$(grep 'counters so far:' "$T/airlockd.err" | tail -n 1)
case $line in
*" cache_misses=1 "*) ;;
*) fail "SIGUSR1: expected a counters line with cache_misses=1, saw '$line'" ;;
esac

q 127.0.2.1 delay1000-a.example A >"$T/inflight" &
dig_pid=$!
# The query is in flight once the upstream has it; then ~200 ms more.
wait_log "$T/up.log" delay1000-a.example 2000 \
    || fail "the upstream never saw delay1000-a.example"
sleep 0.2
t0=$(now_ms)
kill -TERM "$AL_PID"

wait "$dig_pid"
expect_status "$T/inflight" NOERROR "delay1000-a.example in flight during SIGTERM"
expect_answer "$T/inflight" A 192.0.2.1 "delay1000-a.example in flight during SIGTERM"

wait_exit "$AL_PID" 3000
[ "$EXIT_STATUS" != running ] \
    || fail "airlockd still running 3 s after SIGTERM (in-flight query long done)"
expect_eq "airlockd exit status after SIGTERM" 0 "$EXIT_STATUS"
elapsed=$(($(now_ms) - t0))
expect_int "ms from SIGTERM to exit" -le 3000 "$elapsed"
if grep -Eq 'Sanitizer|runtime error:' "$T/airlockd.err"; then
    fail "airlockd stderr has a sanitizer report"
fi

pass
