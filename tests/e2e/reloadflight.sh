#!/bin/bash
# A reload while questions are on their way upstream: the answer to a
# question asked before it reaches its clients but is not cached, so the
# next query is judged by the new config (here: a protected name's private
# range narrowed, so the same answer is now refused as public); and a
# question whose upstream times out after a reload renumbered the forward
# groups is never sent to another group's resolvers.
. "$(dirname "$0")/lib.sh" || exit 1
setup

pick_ports 4
LPORT=${PORTS[0]} UPORT=${PORTS[1]} APORT=${PORTS[2]} CPORT=${PORTS[3]}
start_fake up "$UPORT"  # every A is 192.0.2.1
start_fake corp "$APORT"
start_fake other "$CPORT"
CFG=$T/airlock.json

# config PRIVATE_CIDR [FORWARDS]: the config file, replaced at once; airlockd
# reads it at start and at SIGHUP.
config() {
    local fwd=""
    [ -z "${2:-}" ] || fwd="\"forward\": [ $2 ],"
    cat >"$CFG.new" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  $fwd
  "zones": [ {"name": "inference", "cidrs": ["127.0.2.0/24"]} ],
  "endpoints": {"private_cidrs": ["$1"]},
  "timeouts": {"upstream_ms": 2500, "query_ms": 5000, "upstream_holddown_ms": 0}
}
JSON
    mv "$CFG.new" "$CFG"
}

# reload_during NAME LOG WHAT: asks NAME in the background (dig output in
# $T/asked), waits until the fake's LOG has it, reloads (the config file
# written before), and fails unless the reload was done within 1.5 s of the
# question (the fakes wait 2 s or more).
reload_during() {
    local start before
    start=$(now_ms)
    before=$(grep -c ']: reloaded ' "$T/airlockd.err")
    dig -p "$LPORT" @127.0.0.1 -b 127.0.2.5 +tries=1 +time=8 "$1" A >"$T/asked" 2>&1 &
    ASKED=$!
    wait_log "$2" "$1" 1500 || fail "$3: the question never reached its upstream"
    kill -HUP "$AL_PID"
    wait_err ']: reloaded ' $((before + 1)) 1500
    [ $(($(now_ms) - start)) -lt 1500 ] || fail "$3: the reload took over 1.5 s; the test needs it sooner"
}

# 1. A protected name (Azure OpenAI) asked from the inference zone: under
# the first config its answer, 192.0.2.1, is in the private range.  The
# fake answers after 2 s; the reload narrows the range meanwhile.  The
# question answers its client by the old config, but no later query joins
# it and its answer is not cached.
config 192.0.2.0/24
start_airlockd "$CFG" "$LPORT"
NAME=delay2000.openai.azure.com
config 10.0.2.0/24
reload_during $NAME "$T/up.log" "private range narrowed"
# Asked again while the first is on its way: it does not join it.
q 127.0.2.6 $NAME A +time=6 >"$T/joined" &
JOINED=$!
wait "$ASKED"
wait "$JOINED"
expect_status "$T/asked" NOERROR "the question asked before the reload"
expect_answer "$T/asked" A 192.0.2.1 "the question asked before the reload (judged by the old config)"
expect_status "$T/joined" SERVFAIL "the same name asked during the flight, after the reload (not joined)"
expect_eq "upstream questions for $NAME, two asked" 2 "$(log_count "$T/up.log" $NAME)"
# After both: the first answer was not cached.
q 127.0.2.5 $NAME A +time=6 >"$T/again"
expect_status "$T/again" SERVFAIL "the same name after the reload (public answer refused, not cached)"
expect_answer "$T/again" A "" "the same name after the reload"
expect_eq "upstream questions for $NAME, three asked" 3 "$(log_count "$T/up.log" $NAME)"
stop_daemon airlockd

# 2. corp.example goes to its own resolver, which never answers drop*
# names.  The reload puts another forward first, with two resolvers (only
# the second one listens, and logs): the question's group index and its
# tried upstream's index now mean theirs.
CORP="{\"suffix\": \"corp.example\", \"upstreams\": [ {\"address\": \"127.0.0.1\", \"port\": $APORT} ]}"
OTHER="{\"suffix\": \"other.example\", \"upstreams\": [ {\"address\": \"127.0.0.2\", \"port\": $CPORT}, {\"address\": \"127.0.0.1\", \"port\": $CPORT} ]}"
config 192.0.2.0/24 "$CORP"
start_airlockd "$CFG" "$LPORT"
NAME=drop1.corp.example
config 192.0.2.0/24 "$OTHER, $CORP"
reload_during $NAME "$T/corp.log" "forward groups renumbered"
wait "$ASKED"
expect_status "$T/asked" SERVFAIL "a corp.example question whose resolver timed out after the reload"
expect_eq "other.example's resolvers asked for $NAME" 0 "$(log_count "$T/other.log" $NAME)"
expect_eq "the default resolver asked for $NAME" 0 "$(log_count "$T/up.log" $NAME)"
# The new groups route as configured.
q 127.0.2.5 www.corp.example A >"$T/o"
expect_answer "$T/o" A 192.0.2.1 "www.corp.example after the reload"
expect_eq "corp.example's resolver asked for www.corp.example" 1 "$(log_count "$T/corp.log" www.corp.example)"
expect_eq "other.example's resolvers asked for www.corp.example" 0 "$(log_count "$T/other.log" www.corp.example)"

pass
