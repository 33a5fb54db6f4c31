#!/bin/bash
# Answer checks: a reply with the wrong ID, the wrong question or from the
# wrong source port is ignored, and the real reply that follows 50 ms later
# is used and cached; the forged address 198.51.100.66 never reaches a client.
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_one_upstream
C=127.0.2.1

for name in wrongid-a.example wrongq-a.example wrongport-a.example; do
    for try in first cached; do
        out="$T/$name.$try"
        q $C "$name" A >"$out"
        expect_status "$out" NOERROR "$name ($try)"
        expect_not_in "$out" 198.51.100.66 "$name ($try)"
        expect_answer "$out" A 192.0.2.1 "$name ($try)"
    done
    expect_int "upstream queries for $name" -ge 1 "$(log_count "$T/up.log" "$name")"
done

# The forged reply for wrongq named evil.example.: it must not be cached either.
q $C evil.example A >"$T/evil"
expect_status "$T/evil" NOERROR "evil.example"
expect_not_in "$T/evil" 198.51.100.66 "evil.example"
expect_answer "$T/evil" A 192.0.2.1 "evil.example"

pass
