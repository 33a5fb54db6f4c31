#!/bin/bash
# The query log when its database cannot be written: a full filesystem, a
# read-only one, a write lock held by another process.  DNS is answered all
# along; once writing works again, the rows the queue could not hold are
# counted in log_gaps, so rows kept + rows lost = queries answered.  A file
# deleted while airlockd runs is made anew, its rows counted in log_gaps.
# With log.required, airlockd answers SERVFAIL while the log is unavailable.
. "$(dirname "$0")/lib.sh" || exit 1
setup
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"

pick_ports 2
LPORT=${PORTS[0]} UPORT=${PORTS[1]}
start_fake up "$UPORT"
MNT=$T/mnt
mount_tmpfs "$MNT" 1m
DB=$MNT/log.db
logged_config() {  # REQUIRED (true|false)
    cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "inference", "cidrs": ["127.0.2.0/24"]} ],
  "timeouts": {"upstream_ms": 800},
  "log": {"path": "$DB", "queue": 16, "batch_rows": 1, "batch_ms": 20, "required": $1}
}
JSON
}
logged_config false
start_airlockd "$T/airlock.json" "$LPORT"

sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$1"; }
# burst PREFIX N: N queries, one after another, every one answered.
burst() {
    local i
    for i in $(seq 1 "$2"); do
        q 127.0.2.7 "$1$i.example" A >"$T/b"
        expect_status "$T/b" NOERROR "$1$i.example while the log is unwritable"
    done
}
# accounted PREFIX N: once writing works again, every query of the burst
# is either a row or counted in a "database unavailable" gap, and some were
# lost (the queue holds 16).
accounted() {
    wait_sql "SELECT (SELECT count(*) FROM queries WHERE qname GLOB '$1*')
                   + (SELECT coalesce(sum(rows_lost), 0) FROM log_gaps
                      WHERE cause = 'database unavailable')" "$2" \
        "rows kept + rows lost for the $1 burst"
    expect_int "$1 rows kept" -lt "$2" "$(sql "SELECT count(*) FROM queries WHERE qname GLOB '$1*'")"
    expect_int "$1 rows kept" -ge 16 "$(sql "SELECT count(*) FROM queries WHERE qname GLOB '$1*'")"
    expect_eq "gaps with another cause" 0 \
        "$(sql "SELECT count(*) FROM log_gaps WHERE cause != 'database unavailable'")"
}

q 127.0.2.7 before.example A >"$T/o1"
expect_status "$T/o1" NOERROR "before.example"
wait_sql "SELECT count(*) FROM queries WHERE qname = 'before.example.'" 1 "row of before.example"

# 1. The filesystem is full.
dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null
burst full 40
wait_err "cannot write (" 1
rm -f "$MNT/fill"
wait_err "writing again" 1
accounted full 40
expect_eq "gap rows after the disk-full outage" 1 "$(sql "SELECT count(*) FROM log_gaps")"

# 2. The directory turns read-only and the file vanishes from it (a read-only
# filesystem mounted over it): airlockd notices, cannot create a new file,
# answers on, and goes back to the file when the mount is gone.
mount -t tmpfs -o ro,size=64k airlock-test "$MNT" || fail "cannot mount a read-only tmpfs over $MNT"
MOUNTS="$MNT $MOUNTS"
burst ro 30
wait_err "cannot write (" 2
umount "$MNT" || fail "cannot unmount the read-only tmpfs"
MOUNTS=${MOUNTS#"$MNT "}
wait_err "writing again" 2
grep -q "the file was deleted or moved away" "$T/airlockd.err" \
    || fail "airlockd did not say that the file vanished"
wait_sql "SELECT count(*) FROM log_gaps" 2 "gap rows after the read-only outage"
wait_sql "SELECT (SELECT count(*) FROM queries WHERE qname GLOB 'ro*')
               + (SELECT rows_lost FROM log_gaps ORDER BY id DESC LIMIT 1)" 30 \
    "rows kept + rows lost for the ro burst"
expect_eq "integrity after both outages" ok "$(sql "PRAGMA integrity_check")"

# 2b. The database (with its -wal and -shm) deleted while queries come in:
# every query is answered, airlockd says so, creates a new file with the
# schema, and records the rows the deleted file held as a gap.
rows_before=$(sql "SELECT count(*) FROM queries")
for i in $(seq 1 60); do
    [ "$i" = 21 ] && rm -f "$DB" "$DB-wal" "$DB-shm"
    q 127.0.2.7 "del$i.example" A >"$T/d"
    expect_status "$T/d" NOERROR "del$i.example around the deletion"
done
wait_err "the file was deleted with " 1
wait_sql "SELECT cause FROM log_gaps" "database deleted" "the gap row of the deleted file"
expect_eq "schema version of the new file" 4 "$(sql "PRAGMA user_version")"
expect_int "rows_lost of the deleted file" -ge "$rows_before" \
    "$(sql "SELECT rows_lost FROM log_gaps WHERE cause = 'database deleted'")"
wait_sql "SELECT count(*) FROM queries WHERE qname GLOB 'del[4-6]?.example.'
              AND CAST(substr(qname, 4, 2) AS INTEGER) > 40" 20 \
    "rows in the new file of the queries well after the deletion"

# 3. log.required: SERVFAIL while another process holds the write lock.
logged_config true
kill -HUP "$AL_PID"
wait_err "reloaded" 1
"$PY" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked\n")
time.sleep(60)
' "$DB" "$T/locked" 2>"$T/locker.err" &
LOCKER=$!
PIDS="$PIDS $LOCKER"
for _ in $(seq 1 100); do [ -s "$T/locked" ] && break; sleep 0.05; done
[ -s "$T/locked" ] || fail "the locking process did not take the lock"
q 127.0.2.7 locked0.example A >"$T/l0"
expect_status "$T/l0" NOERROR "first query while locked (the writer has not failed yet)"
deadline=$(($(now_ms) + 8000)) n=0 s=""
while [ "$(now_ms)" -lt "$deadline" ]; do
    n=$((n + 1))
    q 127.0.2.7 "locked$n.example" A >"$T/l"
    s=$(status_of "$T/l")
    [ "$s" = SERVFAIL ] && break
    expect_status "$T/l" NOERROR "locked$n.example before the writer failed"
    sleep 0.1
done
expect_eq "status once the writer cannot write, with log.required" SERVFAIL "$s"
kill -TERM "$LOCKER"
wait_exit "$LOCKER" 5000
deadline=$(($(now_ms) + 8000)) s=""
while [ "$(now_ms)" -lt "$deadline" ]; do
    q 127.0.2.7 unlocked.example A >"$T/u"
    s=$(status_of "$T/u")
    [ "$s" = NOERROR ] && break
    sleep 0.1
done
expect_eq "status once the lock is gone" NOERROR "$s"

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"
expect_eq "the SERVFAIL is logged, with its reason" "locked$n.example.|2|failed|log unavailable" \
    "$(sql "SELECT qname, rcode, action, reason FROM queries WHERE qname = 'locked$n.example.'")"
grep -q "log_unavailable=" "$T/airlockd.err" || fail "no log_unavailable counter at exit"
# Every query is a row here or counted in this file's log_gaps: the rows
# of the deleted file, and those its own gap rows counted, in the
# 'database deleted' one.
expect_eq "rows written + dropped (airlockd's counts) = rows here + rows_lost of every gap" \
    "$(($(sed -n 's/.*query log .* closed: \([0-9]*\) rows written, \([0-9]*\) dropped.*/\1 + \2/p' \
        "$T/airlockd.err")))" \
    "$(sql "SELECT (SELECT count(*) FROM queries) + (SELECT sum(rows_lost) FROM log_gaps)")"
expect_eq "integrity at the end" ok "$(sql "PRAGMA integrity_check")"
pass
