#!/usr/bin/env bash
# bench/querylog.sh: what the SQLite query log costs airlockd. Two airlockd, identical but
# for "log", forward to the same NSD; dnsperf measures their cache-hit QPS in alternating
# rounds (without the log, then with it). Then the logged one is stopped with SIGTERM and
# its database read: rows, gap rows, bytes per million queries. See bench/README.md and
# docs/BENCHMARKS.md.
#
# Traffic goes only to 127.0.0.1. Every process is started here, from config files in a
# temp dir, and stopped by its PID. Every dnsperf run is bounded by -l or -n.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/querylog.sh       (settings come from the environment)

  AIRLOCKD=PATH               airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_SECONDS=10            length of each measured dnsperf run
  BENCH_ROUNDS=3              rounds; each measures airlockd without the log, then with it
  BENCH_HIT_NAMES=1000        names in the cache-hit set
  BENCH_WARMUP_PASSES=2       passes over the cache-hit set before it is measured
  BENCH_CACHE_MIB=64          airlockd cache size_mib
  BENCH_LOG_QUEUE=65536       log.queue of the logged airlockd     (these three default
  BENCH_LOG_BATCH_ROWS=1000   log.batch_rows                        to airlockd's own
  BENCH_LOG_BATCH_MS=100      log.batch_ms                          defaults)
  BENCH_RATIO_TARGET=0.9      QPS with the log / QPS without, to meet
  BENCH_CLIENTS=1             dnsperf -c
  BENCH_THREADS=1             dnsperf -T
  BENCH_OUTSTANDING=100       dnsperf -q, queries in flight
  BENCH_TIMEOUT=2             dnsperf -t, seconds before a query counts as lost
  BENCH_QPS_LIMIT=            dnsperf -Q: offered load cap; empty = closed loop at saturation
  BENCH_PORT_BASE=15310       NSD on BASE, airlockd without log BASE+1, with log BASE+2
  BENCH_PIN=auto              1: airlockd (all its threads) on CPU 1, dnsperf and NSD on CPU 0;
                              0: no pinning
  BENCH_KEEP=0                1: keep the temp dir (configs, logs, the database)
  BENCH_REPORT=FILE           also write the Markdown report to FILE

The temp dir, and the database in it, is made under $TMPDIR (default /tmp).
Progress goes to stderr, the Markdown report to stdout.
Exit 0: done (targets are reported, not enforced); 1: a server failed to start, answer,
stay up or stop cleanly, or the log lost rows without a gap row; 2: bad setting or
missing tool.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_LOG_QUEUE=${BENCH_LOG_QUEUE:-65536}
BENCH_LOG_BATCH_ROWS=${BENCH_LOG_BATCH_ROWS:-1000}
BENCH_LOG_BATCH_MS=${BENCH_LOG_BATCH_MS:-100}
BENCH_RATIO_TARGET=${BENCH_RATIO_TARGET:-0.9}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15310}

# --- settings and tools ---------------------------------------------------------------

check_counts BENCH_SECONDS BENCH_ROUNDS BENCH_HIT_NAMES BENCH_WARMUP_PASSES BENCH_CACHE_MIB \
	BENCH_LOG_QUEUE BENCH_LOG_BATCH_ROWS BENCH_LOG_BATCH_MS BENCH_CLIENTS BENCH_THREADS \
	BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE
check_common
((BENCH_CACHE_MIB >= 2)) || die_usage "BENCH_CACHE_MIB=$BENCH_CACHE_MIB: expected >= 2"
[[ $BENCH_RATIO_TARGET =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	die_usage "BENCH_RATIO_TARGET=\"$BENCH_RATIO_TARGET\": expected a number such as 0.9"
need_tools "dnsperf nsd bind9-dnsutils sqlite3" dnsperf nsd dig awk sort sqlite3

if [[ ! -x $AIRLOCKD ]]; then
	say "airlockd not found or not executable at $AIRLOCKD: build it or point AIRLOCKD at it"
	exit 1
fi

setup_pair airlockd-off airlockd-on
db=$work/querylog.db

# --- the logged airlockd's own counters -----------------------------------------------

# SIGUSR1 makes airlockd log "query log PATH: N rows written, N dropped (N gap rows),
# N write errors, N queued". Prints "dropped queued" from a fresh such line.
usr1_line='query log .*: [0-9]+ rows written, [0-9]+ dropped .*, [0-9]+ queued'
log_counters() {
	local name=$1 before i
	before=$(grep -cE "$usr1_line" "${LOG[$name]}" || true)
	kill -USR1 "${PID[$name]}"
	for ((i = 0; i < 50; i++)); do
		if (($(grep -cE "$usr1_line" "${LOG[$name]}" || true) > before)); then
			grep -E "$usr1_line" "${LOG[$name]}" | tail -n 1 |
				sed -E 's/.* rows written, ([0-9]+) dropped .*, ([0-9]+) queued.*/\1 \2/'
			return 0
		fi
		sleep 0.1
	done
	fail "$name logged no query-log counters within 5 s of SIGUSR1" "$name"
}

# After a logged round the writer may still be working through the queue, on the same
# CPU as the next round's server: waits (up to 300 s) until the queue is empty. Sets
# DRAIN_SECONDS and DROPPED (the log's dropped counter so far).
wait_drained() {
	local name=$1 t0 dropped queued i
	t0=$(date +%s.%N)
	for ((i = 0; i < 600; i++)); do
		read -r dropped queued <<<"$(log_counters "$name")"
		((queued == 0)) && break
		sleep 0.5
	done
	((queued == 0)) || fail "$name still had $queued records queued for the log 300 s after the round" "$name"
	DROPPED=$dropped
	DRAIN_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
}

# Stops airlockd with SIGTERM and waits (up to 300 s) while it writes what is queued.
# Sets STOP_SECONDS and STOP_STATUS.
stop_flushing() {
	local name=$1 pid t0 i
	pid=${PID[$name]}
	t0=$(date +%s.%N)
	kill -TERM "$pid"
	for ((i = 0; i < 3000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "$name did not exit within 300 s of SIGTERM" "$name"
	STOP_STATUS=0
	wait "$pid" || STOP_STATUS=$?
	unset "PID[$name]"
	STOP_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
}

sql() { sqlite3 -batch -noheader "$db" "$1"; }

# --- run ------------------------------------------------------------------------------

measure_busy
t_start=$(date +%s)
say "work dir $work; pinning: $([[ $BENCH_PIN == 1 ]] && echo 'airlockd CPU 1, dnsperf+NSD CPU 0' || echo off)"

write_zone
names 0 "$BENCH_HIT_NAMES" >"$work/hit.txt"
say "starting NSD on 127.0.0.1:$port_nsd"
start_nsd

log_json="{\"path\": \"$db\", \"queue\": $BENCH_LOG_QUEUE, \"batch_rows\": $BENCH_LOG_BATCH_ROWS, \"batch_ms\": $BENCH_LOG_BATCH_MS}"
write_airlockd_config "$work/airlockd-off.json" "${PORT[airlockd-off]}"
write_airlockd_config "$work/airlockd-on.json" "${PORT[airlockd-on]}" "$log_json"
for name in "${servers[@]}"; do
	say "starting $name on 127.0.0.1:${PORT[$name]}"
	start_airlockd_as "$name" "$work/$name.json"
	warm_up "$name"
done

declare -A Q_DROP=() Q_DRAIN=()
answered_on=$((BENCH_HIT_NAMES * BENCH_WARMUP_PASSES))
dropped_before=0
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	for name in "${servers[@]}"; do
		out=$work/dnsperf.$name.$r.txt
		mapfile -t cmd < <(dnsperf_base "${PORT[$name]}" "$work/hit.txt")
		cmd+=(-l "$BENCH_SECONDS" -v)
		commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.$name.$r.txt   # $name, round $r")
		say "round $r, $name: ${cmd[*]}"
		dnsperf_pass "$name" "cache-hit round $r" "$out" "${cmd[@]}"
		Q_QPS[$name/$r]=$RUN_QPS
		Q_P99[$name/$r]=$RUN_P99
		Q_CPUQ[$name/$r]=$RUN_CPUQ
		Q_OTHER[$name/$r]=$RUN_OTHER
		if [[ $RUN_OTHER != n/a ]] && ((RUN_OTHER > 10)); then
			warnings+=("$name round $r: other processes used ${RUN_OTHER}% of the server CPU meanwhile")
		fi
		if [[ $name == airlockd-on ]]; then
			answered_on=$((answered_on + RUN_ANSWERED))
			wait_drained "$name"
			Q_DROP[$name/$r]=$((DROPPED - dropped_before))
			Q_DRAIN[$name/$r]=$DRAIN_SECONDS
			dropped_before=$DROPPED
		fi
		if awk -v l="$RUN_LOST" -v s="$RUN_SENT" 'BEGIN {exit !(l > 0.01 * s)}'; then
			warnings+=("$name round $r: $RUN_LOST of $RUN_SENT queries lost")
		fi
		say "round $r, $name: $(printf '%.0f' "$RUN_QPS") q/s, p99 $RUN_P99 ms, CPU $RUN_CPUQ µs/query${Q_DROP[$name/$r]:+, dropped by the log: ${Q_DROP[$name/$r]}, queue empty ${Q_DRAIN[$name/$r]}s after the run}"
		[[ $BENCH_KEEP == 1 ]] || rm -f "$out"
	done
done

say "stopping airlockd-on with SIGTERM (it writes what is still queued)"
stop_flushing airlockd-on
((STOP_STATUS == 0)) || fail "airlockd-on exited with status $STOP_STATUS after SIGTERM" airlockd-on
closed=$(grep -E "query log .* closed: " "${LOG[airlockd-on]}" | tail -n 1 || true)
[[ -n $closed ]] || fail "airlockd-on logged no 'query log ... closed' line" airlockd-on
alive airlockd-off || fail "airlockd-off died during the run" airlockd-off
alive nsd || fail "NSD died during the run" nsd
t_total=$(($(date +%s) - t_start))

db_bytes=0
for f in "$db" "$db-wal" "$db-shm"; do
	[[ -f $f ]] && db_bytes=$((db_bytes + $(stat -c %s "$f")))
done
rows=$(sql "SELECT COUNT(*) FROM queries")
answer_rows=$(sql "SELECT COUNT(*) FROM answers")
gap_rows=$(sql "SELECT COUNT(*) FROM log_gaps")
rows_lost=$(sql "SELECT COALESCE(SUM(rows_lost), 0) FROM log_gaps")
# Index slices (from schema version 3; an older airlockd has none).
slices="n/a (schema version $(sql "PRAGMA user_version"))"
if (($(sql "SELECT COUNT(*) FROM sqlite_master WHERE name = 'log_slices'") == 1)); then
	slices=$(sql "SELECT COUNT(*) || ', covering ' || COALESCE(MAX(last_id), 0) || ' ids' FROM log_slices")
fi
# Posting lists (schema version 4): the lists of the slices hold every row of
# their slice once, and every address answer once (a query's same address once).
lists="n/a (schema version $(sql "PRAGMA user_version"))"
if (($(sql "SELECT COUNT(*) FROM sqlite_master WHERE name = 'qname_ids'") == 1)); then
	lists=$(sql "WITH s(last) AS (SELECT COALESCE(MAX(last_id), 0) FROM log_slices),
		e(t, slice, k, id) AS (
			SELECT 'qname', x.slice, '', j.value FROM qname_ids x, json_each(x.ids) j
			UNION ALL SELECT 'client', x.slice, '', j.value FROM client_ids x, json_each(x.ids) j
			UNION ALL SELECT 'answer', x.slice, x.data, j.value FROM answer_ids x, json_each(x.ids) j),
		got(t, n, d, outside) AS (SELECT t, COUNT(*), COUNT(DISTINCT k || ' ' || id),
			SUM(id NOT BETWEEN l.first_id AND l.last_id) FROM e JOIN log_slices l USING (slice) GROUP BY t),
		want(q, a) AS (SELECT (SELECT COUNT(*) FROM queries, s WHERE id <= last),
			(SELECT COUNT(*) FROM (SELECT DISTINCT query_id, data FROM answers, s WHERE query_id <= last AND type IN (1, 28))))
		SELECT CASE WHEN (SELECT COUNT(*) FROM got) = 3 AND (SELECT COUNT(*) FROM got
				WHERE n != d OR outside != 0 OR n != (CASE t WHEN 'answer' THEN a ELSE q END)) = 0
			THEN 'every row once (' || q || ' rows, ' || a || ' addresses)'
			ELSE 'MISMATCH: ' || (SELECT group_concat(t || ' ' || n || ' ids, ' || d || ' distinct, ' || outside || ' outside', '; ') FROM got)
				|| ' for ' || q || ' rows, ' || a || ' addresses' END
		FROM want")
	[[ $lists != MISMATCH* ]] || fail "the slices' posting lists do not match their rows: $lists" airlockd-on
fi
# Every reply sent is a row or counted in a gap: never fewer than dnsperf received.
((rows + rows_lost >= answered_on)) ||
	fail "the log has $rows rows + $rows_lost lost in log_gaps, but airlockd-on answered $answered_on dnsperf queries" airlockd-on

# --- report ---------------------------------------------------------------------------

qps_off=$(median_qps airlockd-off)
qps_on=$(median_qps airlockd-on)
ratio_all=$(ratio "$qps_on" "$qps_off")
round_ratios=()
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	round_ratios+=("$(ratio "${Q_QPS[airlockd-on/$r]}" "${Q_QPS[airlockd-off/$r]}")")
done
ratio_range=$(printf '%s\n' "${round_ratios[@]}" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}')
bytes_per_m=$(awk -v b="$db_bytes" -v n="$rows" 'BEGIN {printf "%.0f", (n > 0 ? b * 1e6 / n : 0)}')
if awk -v a="$ratio_all" -v t="$BENCH_RATIO_TARGET" 'BEGIN {exit !(a != "n/a" && a >= t)}'; then
	ratio_target="met"
else
	ratio_target="MISSED"
fi
((gap_rows == 0)) && gap_target="met" || gap_target="MISSED"

report() {
	local r repo_rev fs other
	repo_rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "no commit")
	[[ -n $(git -C "$top" status --porcelain 2>/dev/null) ]] && repo_rev+=" (work tree modified)"
	fs=$(findmnt -no FSTYPE -T "$work" 2>/dev/null || stat -f -c %T "$work" 2>/dev/null || echo unknown)
	echo "# airlockd query-log benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
	echo "- Repo: $repo_rev; airlockd: $AIRLOCKD ($("$AIRLOCKD" -V 2>&1 | head -n 1 || echo "version unknown"))"
	echo "- Versions: $(dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf", $2}'), $(nsd -v 2>&1 | head -n 1), sqlite3 $(sqlite3 --version | awk '{print $1}')"
	echo "- dnsperf: -c $BENCH_CLIENTS -T $BENCH_THREADS -q $BENCH_OUTSTANDING -t $BENCH_TIMEOUT$([[ -n $BENCH_QPS_LIMIT ]] && echo " -Q $BENCH_QPS_LIMIT" || echo ", closed loop (no -Q)"), ${BENCH_SECONDS}s per run, UDP, no EDNS"
	echo "- Cache-hit: $BENCH_HIT_NAMES names, $BENCH_WARMUP_PASSES warm-up passes per server, then $BENCH_ROUNDS rounds of airlockd-off then airlockd-on"
	echo "- Log: queue $BENCH_LOG_QUEUE, batch_rows $BENCH_LOG_BATCH_ROWS, batch_ms $BENCH_LOG_BATCH_MS; database on $fs ($work)"
	echo "- Pinning: $([[ $BENCH_PIN == 1 ]] && echo "airlockd (event loop and log writer) on CPU 1; dnsperf and NSD on CPU 0" || echo "none")"
	echo "- CPU used by other processes just before the run: ${busy_before}% of one core"
	echo "- Total run time: ${t_total}s"
	echo
	echo "## Cache-hit QPS without and with the query log"
	echo
	echo "| Round | QPS off | QPS on | on/off | p99 off (ms) | p99 on (ms) | CPU off (µs/query) | CPU on (µs/query) | Others on CPU 1 off/on (%) | Dropped by the log | Queue empty after (s) |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		other="${Q_OTHER[airlockd-off/$r]}/${Q_OTHER[airlockd-on/$r]}"
		[[ $other == n/a/n/a ]] && other="n/a"
		echo "| $r | $(printf '%.0f' "${Q_QPS[airlockd-off/$r]}") | $(printf '%.0f' "${Q_QPS[airlockd-on/$r]}") | ${round_ratios[r - 1]} | ${Q_P99[airlockd-off/$r]} | ${Q_P99[airlockd-on/$r]} | ${Q_CPUQ[airlockd-off/$r]} | ${Q_CPUQ[airlockd-on/$r]} | $other | ${Q_DROP[airlockd-on/$r]} | ${Q_DRAIN[airlockd-on/$r]} |"
	done
	echo
	echo "CPU is the whole process (event loop and, with the log, its writer thread) per answered query."
	echo "\"Others on CPU 1\" is the share of the server's CPU that other processes used during the run"
	echo "(a build next door): above a few % the QPS of that run is not the server's own."
	echo "\"Dropped by the log\" is the growth of airlockd-on's dropped counter (SIGUSR1) over the round;"
	echo "\"queue empty after\" is how long its writer went on after dnsperf stopped. The next round"
	echo "starts only then, so the writer's backlog never runs alongside airlockd-off's measurement."
	echo
	echo "## Summary"
	echo
	echo "| Measure | Value | Target |"
	echo "| --- | ---: | --- |"
	echo "| QPS off (median of $BENCH_ROUNDS) | $qps_off | |"
	echo "| QPS on (median of $BENCH_ROUNDS) | $qps_on | |"
	echo "| on/off (medians; rounds $ratio_range) | $ratio_all | >= $BENCH_RATIO_TARGET: $ratio_target |"
	echo "| queries answered by airlockd-on (dnsperf) | $answered_on | |"
	echo "| rows in queries | $rows | |"
	echo "| rows in answers | $answer_rows | |"
	echo "| rows in log_gaps | $gap_rows | 0: $gap_target |"
	echo "| rows_lost (sum over log_gaps) | $rows_lost | |"
	echo "| index slices (log_slices) | $slices | |"
	echo "| ids in the slices' posting lists | $lists | |"
	echo "| database bytes (db + -wal + -shm after exit) | $db_bytes | |"
	echo "| bytes per million queries | $bytes_per_m | |"
	echo "| SIGTERM to exit (writing what was queued) | ${STOP_SECONDS}s | |"
	echo
	echo "airlockd-on at exit: \`${closed#*airlockd\[info\]: }\`"
	report_commands "kill -TERM <airlockd-on>   # after the last round"
	echo
	echo "\`$work/airlockd-on.json\` (airlockd-off.json differs only in its port and in having no \"log\"):"
	echo
	echo '```'
	cat "$work/airlockd-on.json"
	echo '```'
}

if [[ -n $BENCH_REPORT ]]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
