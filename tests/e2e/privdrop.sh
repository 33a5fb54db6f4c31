#!/bin/bash
# Privileges: started as root, airlockd binds its ports (port 53 included)
# and then runs as the configured user, every thread of it, with no
# capability left; the files it writes are that user's.  Without a user it
# refuses to run as root; -u overrides the config; a missing account fails
# the config check.
. "$(dirname "$0")/lib.sh" || exit 1
setup
[ "$(id -u)" -eq 0 ] || skip "needs root (to start airlockd as root)"
need_sqlite3
id nobody >/dev/null 2>&1 || skip "no account nobody"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

start_upstream
# The dropped user must read the config (at SIGHUP) and write the log.
chmod 755 "$T"
mkdir "$T/state"
chown nobody: "$T/state"
DB=$T/state/log.db

# Port 53 on an address of its own, when nothing holds it: a privileged
# port bound before the drop.
LISTEN53=""
if "$PY" -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.9.53", 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("127.0.9.53", 53))' 2>/dev/null; then
    LISTEN53=', {"address": "127.0.9.53", "port": 53}'
else
    say "127.0.9.53 port 53 is taken: the privileged-port part is not checked"
fi

config() {  # FILE USER-LINE
    cat >"$1" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT}$LISTEN53 ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "e2e", "cidrs": ["127.0.2.0/24"]} ],
  $2
  "threads": 2,
  "log": {"path": "$DB", "batch_ms": 20}
}
JSON
    chmod 644 "$1"
}

# --- no user: refused, with the way out named ---
config "$T/nouser.json" ""
"$AIRLOCKD" -c "$T/nouser.json" >"$T/nouser.out" 2>&1 && fail "airlockd ran as root with no user"
grep -q 'started as root with no user to run as' "$T/nouser.out" || fail_out "$T/nouser.out" "no-user message"
grep -q -- '-u root keeps root' "$T/nouser.out" || fail_out "$T/nouser.out" "no-user message names -u root"
[ ! -e "$DB" ] || fail "airlockd that refused to run created $DB"

# --- a missing account: the config check fails and names it ---
config "$T/nosuch.json" '"user": "airlock-no-such-user",'
"$AIRLOCKD" -t -c "$T/nosuch.json" >"$T/nosuch.out" 2>&1 && fail "-t accepted a missing account"
grep -q '"airlock-no-such-user": no such account' "$T/nosuch.out" || fail_out "$T/nosuch.out" "missing-account message"

# --- group 0 for another user, a group without a user: refused ---
config "$T/gid0.json" '"user": "nobody",'
"$AIRLOCKD" -t -c "$T/gid0.json" -u nobody:root >"$T/gid0.out" 2>&1 && fail "-u nobody:root accepted"
grep -q 'with group 0 (root) would keep root' "$T/gid0.out" || fail_out "$T/gid0.out" "group 0 message"
config "$T/grouponly.json" '"group": "nogroup",'
"$AIRLOCKD" -t -c "$T/grouponly.json" >"$T/grouponly.out" 2>&1 && fail "a group without a user accepted"
grep -q 'group: "nogroup" is set without "user"' "$T/grouponly.out" || fail_out "$T/grouponly.out" "group-only message"

# --- the drop ---
config "$T/airlock.json" '"user": "nobody",'
AS_USER=""
start_airlockd "$T/airlock.json" "$LPORT"
PID=$AL_PID
grep -q "running as user nobody (uid $NOBODY_UID, gid $NOBODY_GID)" "$T/airlockd.err" ||
    fail_out "$T/airlockd.err" "drop announced"
# Every thread: the two workers, the log writer, the main thread.
ntasks=0
for st in /proc/"$PID"/task/*/status; do
    ids=$(awk '/^Uid:/ {u = $2 $3 $4 $5} /^Gid:/ {g = $2 $3 $4 $5} /^CapEff:/ {c = $2}
               END {print u, g, c}' "$st")
    expect_eq "thread $(basename "$(dirname "$st")") uid/gid/capabilities" \
        "$NOBODY_UID$NOBODY_UID$NOBODY_UID$NOBODY_UID $NOBODY_GID$NOBODY_GID$NOBODY_GID$NOBODY_GID 0000000000000000" "$ids"
    ntasks=$((ntasks + 1))
done
expect_int "threads of airlockd" -ge 4 "$ntasks"
groups=$(awk '/^Groups:/ {$1 = ""; print}' /proc/"$PID"/status | tr -s ' ' | sed 's/^ //; s/ $//')
expect_eq "supplementary groups" "$(id -G nobody)" "$groups"

# It serves, and the rows it writes land in a database that nobody owns.
q 127.0.2.1 after-drop.example. A >"$T/q1.out"
expect_status "$T/q1.out" NOERROR "query after the drop"
if [ -n "$LISTEN53" ]; then
    dig -p 53 @127.0.9.53 -b 127.0.2.1 +tries=1 +time=3 port53.example. A >"$T/q53.out" 2>&1
    expect_status "$T/q53.out" NOERROR "query to port 53, bound before the drop"
fi
deadline=$(($(now_ms) + 5000))
until [ "$(sqlite3 -batch -noheader "$DB" "SELECT COUNT(*) FROM queries WHERE qname = 'after-drop.example.'" 2>/dev/null)" = 1 ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the row for after-drop.example. never reached $DB"
    sleep 0.1
done
expect_eq "owner of the log database" "nobody" "$(stat -c %U "$DB")"

# A reload reads the config as nobody and still works.
kill -HUP "$PID"
deadline=$(($(now_ms) + 5000))
until grep -q "reloaded $T/airlock.json" "$T/airlockd.err"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail_out "$T/airlockd.err" "reload as nobody"
    sleep 0.1
done
kill -TERM "$PID"
wait_exit "$PID" 5000
expect_eq "exit status after the drop" 0 "$EXIT_STATUS"

# --- a config the user cannot read: started, with a warning that reloads will fail ---
cp "$T/airlock.json" "$T/private.json"
chmod 600 "$T/private.json"
start_airlockd "$T/private.json" "$LPORT" private
grep -q "private.json: user nobody cannot read it (Permission denied): a reload" "$T/private.err" ||
    fail_out "$T/private.err" "unreadable-config warning"
kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000

# --- supplementary groups: the user's memberships, or the named group alone ---
# In a mount namespace of its own, airlockd sees a group database where
# nobody is a member of one more group.
if unshare -m --propagation private true 2>/dev/null; then
    { cat /etc/group; echo "airlock-e2e-member:x:64201:nobody"; echo "airlock-e2e-run:x:64202:"; } >"$T/group"
    chmod 644 "$T/group"
    # groups_of NAME USER-SPEC: the sorted supplementary groups of airlockd
    # -u USER-SPEC, into $T/NAME.groups.  Not run in $(...): the PID it
    # starts must reach PIDS, and the exit trap, of this shell.
    groups_of() {
        local pid
        # shellcheck disable=SC2016  # expanded by the inner sh
        unshare -m --propagation private sh -c 'mount --bind "$1" /etc/group && shift && exec "$@"' \
            sh "$T/group" "$AIRLOCKD" -c "$T/airlock.json" -u "$2" >"$T/$1.out" 2>&1 &
        pid=$!
        PIDS="$PIDS $pid"
        wait_started "$pid" "airlockd -u $2" grep -q 'listening on' "$T/$1.out"
        awk '/^Groups:/ {for (i = 2; i <= NF; i++) print $i}' /proc/"$pid"/status | sort -n | tr '\n' ' ' \
            >"$T/$1.groups"
        kill -TERM "$pid"
        wait_exit "$pid" 5000
    }
    groups_of member nobody
    groups_of named nobody:airlock-e2e-run
    expect_eq "groups with -u nobody (its memberships)" \
        "$(printf '%s\n' 64201 "$NOBODY_GID" | sort -n | tr '\n' ' ')" "$(cat "$T/member.groups")"
    expect_eq "groups with -u nobody:airlock-e2e-run (that group alone)" "64202 " "$(cat "$T/named.groups")"
else
    say "no mount namespace (unshare -m): supplementary groups not checked"
fi

# --- -u root overrides the config's user, with a warning ---
"$AIRLOCKD" -c "$T/airlock.json" -u root >"$T/root.out" 2>&1 &
RPID=$!
PIDS="$PIDS $RPID"
wait_started "$RPID" "airlockd -u root" grep -q 'listening on' "$T/root.out"
expect_eq "uid with -u root" 0 "$(awk '/^Uid:/ {print $3}' /proc/$RPID/status)"
grep -q 'running as root (user "root")' "$T/root.out" || fail_out "$T/root.out" "root warning"
kill -TERM "$RPID"
wait_exit "$RPID" 5000
pass
