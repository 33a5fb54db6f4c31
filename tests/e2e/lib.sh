# shellcheck shell=bash
# shellcheck disable=SC2034  # ZONES_DIR, PORTS, ... are for the tests
# Helpers shared by the end-to-end tests: free ports, a temp dir cleaned on
# exit, the fake upstream and airlockd started and stopped by PID, dig
# wrappers and assertions that print what was expected and what was seen.
# Every address used here is in 127.0.0.0/8; nothing else is ever queried.
#
# A test sources this file first:  . "$(dirname "$0")/lib.sh"
# Environment (all optional; `make check` sets the first four): AIRLOCKD,
# AIRLOCK, FAKE_UPSTREAM, TOP_SRCDIR (default: the parent of tests/),
# builddir, KEEP_TMP=1 to keep the test's temp dir for inspection.
# By hand, from the top of a built tree:
#   AIRLOCKD=$PWD/build/src/airlockd AIRLOCK=$PWD/build/src/airlock \
#       tests/e2e/cache.sh

set -u

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$E2E_DIR/../.." && pwd)}
ZONES_DIR=$TOP_SRCDIR/zones
TEST_NAME=$(basename "$0" .sh)
PY=/usr/bin/python3
export PYTHONPATH="$E2E_DIR${PYTHONPATH:+:$PYTHONPATH}" # dnstcp.py

# First executable among: the environment's value, the build dir, the source
# tree (an in-tree build).
find_program() {
    local name=$1 given=$2 c
    for c in "$given" "${builddir:-.}/src/$name" "$TOP_SRCDIR/src/$name"; do
        if [ -n "$c" ] && [ -x "$c" ] && [ ! -d "$c" ]; then
            (cd "$(dirname "$c")" && printf '%s/%s\n' "$(pwd)" "$(basename "$c")")
            return 0
        fi
    done
    printf '%s\n' "${given:-${builddir:-.}/src/$name}"
}
AIRLOCKD=$(find_program airlockd "${AIRLOCKD:-}")
AIRLOCK=$(find_program airlock "${AIRLOCK:-}")
FAKE_UPSTREAM=${FAKE_UPSTREAM:-$TOP_SRCDIR/tests/fakes/fake_upstream.py}
# Started as root, airlockd must be told whom to run as: the tests' files
# are root's, so they keep it (tests/e2e/privdrop.sh covers the drop).
AS_USER=""
[ "$(id -u)" -eq 0 ] && AS_USER="-u root"

T=""                    # this test's temp dir
PIDS=""                 # everything this test started, killed on exit
DAEMON_NAMES=""         # airlockd instances, checked by pass()
AL_PID=""               # the last airlockd started
AL_PORT=""              # its listen port
FAKE_PID=""             # the last fake started
PORTS=()                # set by pick_ports
PORTS_TAKEN=""

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

skip() {
    say "SKIP: $*"
    exit 77
}

# Print the logs of everything started, to explain a failure.
dump_logs() {
    local f
    [ -n "$T" ] && [ -d "$T" ] || return 0
    for f in "$T"/*.err "$T"/*.log; do
        [ -s "$f" ] || continue
        printf -- '--- %s (last 40 lines) ---\n' "$(basename "$f")"
        tail -n 40 "$f"
    done
}

fail() {
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    dump_logs >&2
    exit 1
}

# fail, showing a captured dig/kdig output too.
fail_out() {
    local out=$1
    shift
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    if [ -f "$out" ]; then
        printf -- '--- client output %s ---\n' "$(basename "$out")" >&2
        cat "$out" >&2
    fi
    dump_logs >&2
    exit 1
}

forget_pid() {
    local p out=""
    for p in $PIDS; do
        [ "$p" = "$1" ] || out="$out $p"
    done
    PIDS=$out
}

cleanup() {
    local p i
    for p in $PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in $PIDS; do
        for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PIDS=""
    for p in $MOUNTS; do
        umount -l "$p" 2>/dev/null
    done
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${KEEP_TMP:-0}" = 1 ]; then
            say "kept temp dir $T"
        else
            rm -rf "$T"
        fi
    fi
}

# try_mount_tmpfs DIR SIZE: a small filesystem of the test's own (needs
# root), unmounted at exit; returns 1 where mounting is not allowed.
# mount_tmpfs skips the whole test then.
MOUNTS=""
try_mount_tmpfs() {
    mkdir -p "$1" || fail "mkdir $1"
    mount -t tmpfs -o "size=$2,mode=0755" airlock-test "$1" 2>/dev/null || return 1
    MOUNTS="$1 $MOUNTS"
}
mount_tmpfs() {
    try_mount_tmpfs "$1" "$2" || skip "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"
}

# Checks the tools, makes the temp dir, installs the cleanup trap.
setup() {
    command -v dig >/dev/null 2>&1 || skip "dig not installed (bind9-dnsutils)"
    [ -x "$PY" ] || skip "$PY not found"
    "$PY" -c 'import dns.message' 2>/dev/null \
        || skip "$PY has no dnspython (python3-dnspython)"
    [ -f "$FAKE_UPSTREAM" ] || fail "fake upstream not found: $FAKE_UPSTREAM"
    [ -x "$AIRLOCKD" ] || fail "airlockd not built: $AIRLOCKD (set AIRLOCKD)"
    T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-e2e-$TEST_NAME.XXXXXX") \
        || fail "mktemp failed"
    trap cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

now_ms() { date +%s%3N; }

# pick_ports N: sets PORTS to N ports free for both UDP and TCP on 127.0.0.1.
# The scan starts at a per-test base (a hash of the test name) in 20000-31999,
# below Linux's ephemeral range, so parallel tests do not pick the same ports
# and client source ports never land on them.
pick_ports() {
    local out
    out=$("$PY" - "$1" "$TEST_NAME" "$PORTS_TAKEN" <<'EOF'
import socket, sys, zlib
count, name = int(sys.argv[1]), sys.argv[2]
taken = {int(p) for p in sys.argv[3].split()}
lo, hi, slot = 20000, 32000, 24
start = lo + (zlib.crc32(name.encode()) % ((hi - lo) // slot)) * slot

def free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True

got = []
for i in range(hi - lo):
    port = lo + (start - lo + i) % (hi - lo)
    if port not in taken and free(port):
        got.append(port)
        if len(got) == count:
            break
if len(got) < count:
    sys.exit("no free ports")
print(" ".join(map(str, got)))
EOF
) || fail "could not find $1 free ports"
    read -r -a PORTS <<<"$out"
    PORTS_TAKEN="$PORTS_TAKEN $out"
}

# start_fake NAME PORT [fake options...]: the fake logs to $T/NAME.log;
# returns once its pidfile exists (both sockets bound). Sets FAKE_PID.
start_fake() {
    local name=$1 port=$2
    shift 2
    rm -f "$T/$name.pid"
    : >"$T/$name.log"
    "$PY" "$FAKE_UPSTREAM" --addr 127.0.0.1 --port "$port" \
        --log "$T/$name.log" --pidfile "$T/$name.pid" "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    FAKE_PID=$!
    PIDS="$PIDS $FAKE_PID"
    wait_started "$FAKE_PID" "fake $name" test -s "$T/$name.pid"
}

# wait_started PID WHAT CHECK...: polls CHECK (a command) for 5 s; fails
# if PID exits first or CHECK never succeeds.
wait_started() {
    local pid=$1 what=$2
    shift 2
    for _ in $(seq 1 100); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || fail "$what exited at start"
        sleep 0.05
    done
    fail "$what not ready after 5 s"
}

# write_config FILE LISTEN_PORT "UPSTREAM_PORT..." "CIDR..." [key=value...]
# Writes a complete airlockd config on 127.0.0.1; keys override the defaults:
# size_mib min_ttl max_ttl max_negative_ttl upstream_ms query_ms tcp_idle_ms
# upstream_holddown_ms tcp_clients buffer_size threads.
write_config() {
    local file=$1 listen=$2 ups=$3 cidrs=$4 kv p c sep
    local size_mib=16 min_ttl=0 max_ttl=86400 max_negative_ttl=3600
    local upstream_ms=800 query_ms=4000 tcp_idle_ms=10000
    local upstream_holddown_ms=5000 tcp_clients=256 buffer_size=1232 threads=1
    local up_json="" cidr_json=""
    shift 4
    for kv in "$@"; do
        case ${kv%%=*} in
        size_mib | min_ttl | max_ttl | max_negative_ttl | upstream_ms | \
            query_ms | tcp_idle_ms | upstream_holddown_ms | tcp_clients | \
            buffer_size | threads)
            printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
        *) fail "write_config: unknown setting $kv" ;;
        esac
    done
    sep=""
    for p in $ups; do
        up_json="$up_json$sep{\"address\": \"127.0.0.1\", \"port\": $p}"
        sep=", "
    done
    sep=""
    for c in $cidrs; do
        cidr_json="$cidr_json$sep\"$c\""
        sep=", "
    done
    cat >"$file" <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": $listen} ],
  "upstreams": [ $up_json ],
  "zones": [ {"name": "e2e", "cidrs": [ $cidr_json ]} ],
  "cache": {"size_mib": $size_mib, "min_ttl": $min_ttl, "max_ttl": $max_ttl, "max_negative_ttl": $max_negative_ttl},
  "timeouts": {"upstream_ms": $upstream_ms, "query_ms": $query_ms, "tcp_idle_ms": $tcp_idle_ms, "upstream_holddown_ms": $upstream_holddown_ms},
  "limits": {"tcp_clients": $tcp_clients},
  "edns": {"buffer_size": $buffer_size},
  "threads": $threads
}
EOF
}

# start_airlockd CONFIG PORT [NAME]: runs airlockd in the foreground (in the
# background of this shell, so `wait` works), stderr to $T/NAME.err, and
# returns once it answers a probe on 127.0.0.1:PORT. The probe comes from
# 127.0.0.1, which no test zone contains, so it never reaches an upstream.
# Sets AL_PID and AL_PORT.
start_airlockd() {
    local config=$1 port=$2 name=${3:-airlockd} deadline
    [ -f "$config" ] || fail "start_airlockd: no config $config"
    "$AIRLOCKD" -c "$config" $AS_USER >"$T/$name.out" 2>"$T/$name.err" &
    AL_PID=$!
    AL_PORT=$port
    PIDS="$PIDS $AL_PID"
    DAEMON_NAMES="$DAEMON_NAMES $name:$AL_PID"
    deadline=$(($(now_ms) + 5000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        kill -0 "$AL_PID" 2>/dev/null || fail "airlockd ($name) exited at start"
        if dig +tries=1 +time=1 -b 127.0.0.1 -p "$port" @127.0.0.1 \
            ready-probe.invalid. A >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    fail "airlockd ($name) did not answer on 127.0.0.1:$port within 5 s"
}

# start_upstream: three free ports, LPORT for airlockd, UPORT for one
# fake upstream "up" (log $T/up.log), started, and MPORT for /metrics.
LPORT="" UPORT="" MPORT=""
start_upstream() {
    pick_ports 3
    LPORT=${PORTS[0]} UPORT=${PORTS[1]} MPORT=${PORTS[2]}
    start_fake up "$UPORT"
}

# stop_daemon: SIGTERM to the last airlockd; it must exit 0 with no
# sanitizer report (its dnstap output is flushed then).
stop_daemon() {
    local name=$1
    kill -TERM "$AL_PID"
    wait_exit "$AL_PID" 5000
    expect_eq "airlockd ($name) exit status after SIGTERM" 0 "$EXIT_STATUS"
    if grep -Eq 'Sanitizer|runtime error:' "$T/$name.err"; then
        fail "airlockd ($name) stderr has a sanitizer report"
    fi
}

# add_json CONFIG JSON: merges the object JSON into CONFIG's top level,
# e.g. add_json "$CFG" "{\"metrics\": {\"port\": $MPORT}}".
add_json() {
    "$PY" - "$1" "$2" <<'PYEOF' || fail "cannot add $2 to $1"
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg.update(json.loads(sys.argv[2]))
json.dump(cfg, open(sys.argv[1], "w"), indent=1)
PYEOF
}

# scrape_value PORT SERIES: the value, as a whole number, of the sample
# SERIES (its name and labels as exposed, e.g. airlock_rrl_dropped_total or
# airlock_config_reloads_total{result="ok"}) in the /metrics of
# 127.0.0.1:PORT.  Fails (status 1, a message on stderr) when absent.
scrape_value() {
    "$PY" - "http://127.0.0.1:$1/metrics" "$2" <<'PYEOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    for line in r.read().decode().splitlines():
        series, _, value = line.rpartition(" ")
        if series == sys.argv[2]:
            print(int(float(value)))
            sys.exit(0)
sys.exit("no sample %s in %s" % (sys.argv[2], sys.argv[1]))
PYEOF
}

# sanitized: true when airlockd is built with AddressSanitizer (its memory
# figures, RSS included, then say nothing about airlockd's own).
sanitized() { ldd "$AIRLOCKD" 2>/dev/null | grep -q 'libasan'; }

# need_sqlite3: skips the test when the sqlite3 shell is missing.
need_sqlite3() {
    command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"
}

# start_one_upstream [key=value...]: the common set-up: start_upstream and
# one airlockd ($T/airlock.json, settings as for write_config) whose only
# zone is 127.0.2.0/24.
start_one_upstream() {
    start_upstream
    write_config "$T/airlock.json" "$LPORT" "$UPORT" "127.0.2.0/24" "$@"
    start_airlockd "$T/airlock.json" "$LPORT"
}

# wait_exit PID TIMEOUT_MS: waits for a child of this shell to exit; sets
# EXIT_STATUS to its exit status, or to "running" if it is alive at the
# deadline. Not to be called in $(...): a subshell cannot wait for it.
EXIT_STATUS=""
wait_exit() {
    local pid=$1 deadline
    deadline=$(($(now_ms) + $2))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            EXIT_STATUS=running
            return
        fi
        sleep 0.05
    done
    wait "$pid"
    EXIT_STATUS=$?
    forget_pid "$pid"
}

# pass: every airlockd must still be running; each is stopped with SIGTERM
# and its stderr must hold no sanitizer report. Then exit 0.
pass() {
    local entry name pid
    for entry in $DAEMON_NAMES; do
        name=${entry%%:*}
        pid=${entry#*:}
        case " $PIDS " in *" $pid "*) ;; *) continue ;; esac
        kill -0 "$pid" 2>/dev/null || fail "airlockd ($name) died during the test"
        kill -TERM "$pid"
        wait_exit "$pid" 5000
        [ "$EXIT_STATUS" != running ] || fail "airlockd ($name) still running 5 s after SIGTERM"
        if grep -Eq 'Sanitizer|runtime error:' "$T/$name.err"; then
            fail "airlockd ($name) stderr has a sanitizer report"
        fi
    done
    say "PASS"
    exit 0
}

# ----- clients -----

# q SOURCE NAME [TYPE] [dig options...]: dig from SOURCE (an address in
# 127/8) to the airlockd on AL_PORT; prints dig's output.
q() {
    local src=$1
    shift
    dig -p "$AL_PORT" @127.0.0.1 -b "$src" +tries=1 +time=3 "$@" 2>&1
}

# wait_err TEXT COUNT [TIMEOUT_MS]: until airlockd's stderr ($T/airlockd.err)
# has COUNT lines with TEXT (default 10 s); fails the test otherwise.
wait_err() {
    local deadline
    deadline=$(($(now_ms) + ${3:-10000}))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        [ "$(grep -cF -- "$1" "$T/airlockd.err")" -ge "$2" ] && return 0
        sleep 0.05
    done
    fail "airlockd never logged '$1' ($2 times)"
}

# wait_sql SQL EXPECTED WHAT [TIMEOUT_MS]: polls the test's own `sql`
# function until SQL returns EXPECTED (default 10 s); fails the test
# otherwise.
wait_sql() {
    local deadline seen
    deadline=$(($(now_ms) + ${4:-10000}))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        seen=$(sql "$1" 2>/dev/null)
        [ "$seen" = "$2" ] && return 0
        sleep 0.1
    done
    fail "$3: expected '$2', saw '$seen'"
}

# ----- reading dig/kdig output -----

# status_of FILE: the rcode (NOERROR, REFUSED, ...) or NO-REPLY.
status_of() {
    local s
    s=$(sed -n 's/.*->>HEADER<<-.*status: \([A-Z]*\).*/\1/p' "$1" | head -n 1)
    echo "${s:-NO-REPLY}"
}

# flags_of FILE: the header flags, e.g. "qr rd ra tc".
flags_of() {
    sed -n 's/^;; [Ff]lags: \([a-z ]*\);.*/\1/p' "$1" | head -n 1
}

has_flag() {
    case " $(flags_of "$1") " in *" $2 "*) return 0 ;; esac
    return 1
}

# section_of FILE SECTION: the record lines of ANSWER, AUTHORITY, ...
section_of() {
    awk -v sec=";; $2 SECTION:" '
        $0 == sec { on = 1; next }
        on && /^$/ { exit }
        on && !/^;/ { print }' "$1"
}

# question_of FILE: the question's name as printed (case kept).
question_of() {
    awk '/^;; QUESTION SECTION:/ { getline; sub(/^[; ]+/, ""); print $1; exit }' "$1"
}

# answers_of FILE TYPE: the sorted rdata of the answer's TYPE records.
answers_of() {
    section_of "$1" ANSWER | awk -v t="$2" '$4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
        | sort -V | tr '\n' ' ' | sed 's/ $//'
}

# ttls_of FILE TYPE: the TTLs of the answer's TYPE records.
ttls_of() {
    section_of "$1" ANSWER | awk -v t="$2" '$4 == t { print $2 }'
}

first_ttl() { ttls_of "$1" "$2" | head -n 1; }

# ----- the fake's query log -----

# log_count LOG NAME [TYPE]: queries the fake received for NAME (any case).
log_count() {
    local name
    name=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
    case $name in *.) ;; *) name="$name." ;; esac
    awk -v n="$name" -v t="${3:-}" '$2 == n && (t == "" || $3 == t)' "$1" | wc -l | tr -d ' '
}

# log_field LOG NAME N: field N of the fake's log lines for NAME (any
# case), in order, space-separated.  The fields: transport, the name in
# lower case, type, ID, the name as it arrived.
log_field() {
    local name
    name=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
    case $name in *.) ;; *) name="$name." ;; esac
    awk -v n="$name" -v f="$3" '$2 == n { print $f }' "$1" | tr '\n' ' ' | sed 's/ $//'
}

# log_protos LOG NAME: the transports used for NAME, in order ("udp tcp").
log_protos() { log_field "$1" "$2" 1; }
# log_spellings LOG NAME: NAME as each query for it arrived, in order.
log_spellings() { log_field "$1" "$2" 5; }

# wait_log LOG NAME TIMEOUT_MS: true once the fake has logged NAME.
wait_log() {
    local deadline
    deadline=$(($(now_ms) + $3))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        [ "$(log_count "$1" "$2")" -gt 0 ] && return 0
        sleep 0.02
    done
    return 1
}

# ----- assertions -----

expect_eq() {  # WHAT EXPECTED SEEN
    [ "$2" = "$3" ] || fail "$1: expected '$2', saw '$3'"
}

expect_status() {  # FILE EXPECTED WHAT
    local s
    s=$(status_of "$1")
    [ "$s" = "$2" ] || fail_out "$1" "$3: expected status $2, saw $s"
}

# expect_status_soon SOURCE NAME STATUS WHAT: a reload lands in the workers
# a moment after it is reported; polls up to 2 s for the expected status.
expect_status_soon() {
    local deadline out=$T/soon
    deadline=$(($(now_ms) + 2000))
    while :; do
        q "$1" "$2" A >"$out"
        [ "$(status_of "$out")" = "$3" ] && return 0
        [ "$(now_ms)" -lt "$deadline" ] || break
        sleep 0.1
    done
    expect_status "$out" "$3" "$4"
}

expect_answer() {  # FILE TYPE EXPECTED WHAT  (EXPECTED: sorted, space-separated)
    local a
    a=$(answers_of "$1" "$2")
    [ "$a" = "$3" ] || fail_out "$1" "$4: expected $2 answer '$3', saw '$a'"
}

expect_flag() {  # FILE FLAG WHAT
    has_flag "$1" "$2" || fail_out "$1" "$3: expected flag $2, saw flags '$(flags_of "$1")'"
}

expect_no_flag() {  # FILE FLAG WHAT
    has_flag "$1" "$2" && fail_out "$1" "$3: expected no flag $2, saw flags '$(flags_of "$1")'"
    return 0
}

expect_not_in() {  # FILE STRING WHAT
    grep -qF -- "$2" "$1" && fail_out "$1" "$3: expected no '$2' in the reply, saw it"
    return 0
}

expect_int() {  # WHAT OP LIMIT SEEN   (OP: -lt -le -eq -ge -gt)
    local sym ok
    case $4 in
    '' | *[!0-9]*) fail "$1: expected a number ($2 $3), saw '$4'" ;;
    esac
    case $2 in
    -lt) sym='<' ok=$(($4 < $3)) ;;
    -le) sym='<=' ok=$(($4 <= $3)) ;;
    -eq) sym='=' ok=$(($4 == $3)) ;;
    -ge) sym='>=' ok=$(($4 >= $3)) ;;
    -gt) sym='>' ok=$(($4 > $3)) ;;
    *) fail "expect_int: bad operator $2" ;;
    esac
    [ "$ok" = 1 ] || fail "$1: expected $sym $3, saw $4"
}
