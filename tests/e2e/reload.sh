#!/bin/bash
# SIGHUP reloads the config: a broken file is reported and the old config
# keeps serving; a good one takes effect (here: the zone moves).
. "$(dirname "$0")/lib.sh" || exit 1
setup

start_upstream
CFG=$T/airlock.json
write_config "$CFG" "$LPORT" "$UPORT" "127.0.2.0/24"
start_airlockd "$CFG" "$LPORT"
ERR=$T/airlockd.err

q 127.0.2.1 before-a.example A >"$T/before"
expect_status "$T/before" NOERROR "from 127.0.2.1 before any reload"
expect_answer "$T/before" A 192.0.2.1 "from 127.0.2.1 before any reload"

# A broken config: reload fails, the old one keeps serving.
printf '{ "listen": [ {"address": "127.0.0.1", "port": %s} ],\n  "upstreams": [\n' \
    "$LPORT" >"$CFG"
kill -HUP "$AL_PID"
wait_err 'reload failed' 1 3000
line=$(grep -- 'reload failed' "$ERR" | head -n 1)
case $line in
*airlock.json*) ;;
*) fail "the 'reload failed' line should name the file airlock.json, saw: $line" ;;
esac
kill -0 "$AL_PID" 2>/dev/null || fail "airlockd exited after a failed reload"
q 127.0.2.1 broken-a.example A >"$T/broken"
expect_status "$T/broken" NOERROR "from 127.0.2.1 after the failed reload (old config)"
expect_answer "$T/broken" A 192.0.2.1 "from 127.0.2.1 after the failed reload (old config)"
q 127.0.3.1 broken-b.example A >"$T/broken3"
expect_status "$T/broken3" REFUSED "from 127.0.3.1 after the failed reload (old config)"

# A good config moving the zone to 127.0.3.0/24.
write_config "$CFG.new" "$LPORT" "$UPORT" "127.0.3.0/24"
mv "$CFG.new" "$CFG"
reloaded_before=$(grep -c 'reloaded' "$ERR")
kill -HUP "$AL_PID"
wait_err 'reloaded' $((reloaded_before + 1)) 3000
expect_status_soon 127.0.3.1 moved-a.example NOERROR "from 127.0.3.1 after the reload"
q 127.0.3.1 moved-a.example A >"$T/moved"
expect_answer "$T/moved" A 192.0.2.1 "from 127.0.3.1 after the reload"
expect_status_soon 127.0.2.1 moved-b.example REFUSED "from 127.0.2.1 after the reload"

pass
