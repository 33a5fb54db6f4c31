#!/usr/bin/env bash
# bench/soak.sh: airlockd under a steady realistic load for a long time. One airlockd
# (query log on, a block list) forwards to NSD. First a closed-loop dnsperf run finds its
# maximum QPS on the mix; then dnsperf offers BENCH_SOAK_LOAD % of that for
# BENCH_SOAK_SECONDS while airlockd's RSS is sampled. Checked at the end: RSS growth after
# warm-up, gap rows in the log, error lines, queries lost. Then the same mix at a low rate
# against airlockd under valgrind (or an ASan build) for a shorter run: no leaks, no
# memory errors. See docs/BENCHMARKS.md.
#
# Traffic goes only to 127.0.0.1. Every process is started here, from config files in a
# temp dir, and stopped by its PID. Every dnsperf run is bounded by -l.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/soak.sh           (settings come from the environment)

  AIRLOCKD=PATH               airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_MAX_SECONDS=10        closed-loop run that measures the maximum QPS on the mix
  BENCH_SOAK_SECONDS=600      length of the soak
  BENCH_SOAK_LOAD=80          offered load during the soak, % of that maximum
  BENCH_SOAK_WARMUP=60        seconds of soak before the RSS baseline is taken
  BENCH_SOAK_SAMPLE=10        seconds between RSS samples
  BENCH_RSS_GROWTH_MAX=5      RSS growth after warm-up allowed, %
  BENCH_LEAK=auto             valgrind, asan or off (auto: valgrind when installed)
  BENCH_LEAK_AIRLOCKD=PATH    airlockd built with --enable-sanitizers (for BENCH_LEAK=asan)
  BENCH_LEAK_SECONDS=60       length of the leak run
  BENCH_LEAK_QPS=1000         offered load during the leak run
  BENCH_CACHE_MIB=64          airlockd cache size_mib
  BENCH_CLIENTS=1             dnsperf -c
  BENCH_THREADS=1             dnsperf -T
  BENCH_OUTSTANDING=100       dnsperf -q, queries in flight
  BENCH_TIMEOUT=2             dnsperf -t, seconds before a query counts as lost
  BENCH_PORT_BASE=15330       NSD on BASE, airlockd BASE+1, the leak run's airlockd BASE+2
  BENCH_PIN=auto              1: airlockd (all its threads) on CPU 1, dnsperf and NSD on CPU 0
  BENCH_KEEP=0                1: keep the temp dir (configs, logs, database, RSS samples)
  BENCH_REPORT=FILE           also write the Markdown report to FILE

The mix (one dnsperf file of 100 000 lines, cycled): 70 % a popular set of 1000 names
(TTL 3600, cache hits), 20 % 20 000 names with TTL 1 (cache misses, refetched as they
expire), 5 % NXDOMAIN (5000 names, negatively cached), 2.5 % names on the block list,
2.5 % AAAA for names that have only A (NODATA).
The database grows by about 230 MB per million queries: a 10-minute soak at 50k q/s
writes about 7 GB under $TMPDIR (default /tmp).
Progress goes to stderr, the Markdown report to stdout.
Exit 0: every check passed; 1: a check failed, or a server failed to start, answer or
stay up; 2: bad setting or missing tool.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_MAX_SECONDS=${BENCH_MAX_SECONDS:-10}
BENCH_SOAK_SECONDS=${BENCH_SOAK_SECONDS:-600}
BENCH_SOAK_LOAD=${BENCH_SOAK_LOAD:-80}
BENCH_SOAK_WARMUP=${BENCH_SOAK_WARMUP:-60}
BENCH_SOAK_SAMPLE=${BENCH_SOAK_SAMPLE:-10}
BENCH_RSS_GROWTH_MAX=${BENCH_RSS_GROWTH_MAX:-5}
BENCH_LEAK=${BENCH_LEAK:-auto}
BENCH_LEAK_AIRLOCKD=${BENCH_LEAK_AIRLOCKD:-}
BENCH_LEAK_SECONDS=${BENCH_LEAK_SECONDS:-60}
BENCH_LEAK_QPS=${BENCH_LEAK_QPS:-1000}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15330}

# --- settings and tools ---------------------------------------------------------------

check_counts BENCH_MAX_SECONDS BENCH_SOAK_SECONDS BENCH_SOAK_LOAD BENCH_SOAK_WARMUP \
	BENCH_SOAK_SAMPLE BENCH_RSS_GROWTH_MAX BENCH_LEAK_SECONDS BENCH_LEAK_QPS BENCH_CACHE_MIB \
	BENCH_CLIENTS BENCH_THREADS BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE
check_common
((BENCH_SOAK_LOAD <= 100)) || die_usage "BENCH_SOAK_LOAD=$BENCH_SOAK_LOAD: expected 1..100"
((BENCH_SOAK_WARMUP < BENCH_SOAK_SECONDS)) ||
	die_usage "BENCH_SOAK_WARMUP=$BENCH_SOAK_WARMUP must be shorter than BENCH_SOAK_SECONDS=$BENCH_SOAK_SECONDS"
[[ -n $BENCH_QPS_LIMIT ]] && die_usage "BENCH_QPS_LIMIT is set by this script (BENCH_SOAK_LOAD)"
need_tools "dnsperf nsd bind9-dnsutils sqlite3" dnsperf nsd dig awk sqlite3
[[ -x $AIRLOCKD ]] || { say "airlockd not found or not executable at $AIRLOCKD"; exit 1; }
if [[ $BENCH_LEAK == auto ]]; then
	BENCH_LEAK=off
	command -v valgrind >/dev/null 2>&1 && BENCH_LEAK=valgrind
	[[ $BENCH_LEAK == off ]] && say "valgrind not installed: no leak run (apt-get install valgrind, or BENCH_LEAK=asan)"
fi
case $BENCH_LEAK in
	valgrind) need_tools valgrind valgrind ;;
	asan) [[ -x $BENCH_LEAK_AIRLOCKD ]] || die_usage "BENCH_LEAK=asan needs BENCH_LEAK_AIRLOCKD (an airlockd built with --enable-sanitizers)" ;;
	off) ;;
	*) die_usage "BENCH_LEAK=\"$BENCH_LEAK\": expected auto, valgrind, asan or off" ;;
esac

setup_pinning
hot_names=1000 miss_names=20000 nx_names=5000 block_names=2500
zone_names=$hot_names
port_nsd=$BENCH_PORT_BASE
PORT=([airlockd]=$((BENCH_PORT_BASE + 1)) [leak]=$((BENCH_PORT_BASE + 2)))
servers=(airlockd)
check_ports_free "$port_nsd" "${PORT[@]}"
make_work

# --- the zone, the block list, the mix --------------------------------------------------

# h0..h999 as write_zone makes them (TTL 3600), plus m0..m19999 with TTL 1.
write_zone
awk -v n="$miss_names" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "m%d 1 IN A 127.%d.%d.%d\n", i, 200 + int(i / 65536) % 56, int(i / 256) % 256, i % 256
}' >>"$work/bench.test.zone"
echo "blocked.test" >"$work/block.txt"
awk -v hot="$hot_names" -v miss="$miss_names" -v nx="$nx_names" -v blk="$block_names" 'BEGIN {
	for (i = 0; i < 100000; i++) {
		k = i % 40
		if (k < 28) printf "h%d.bench.test. A\n", i % hot
		else if (k < 36) printf "m%d.bench.test. A\n", i % miss
		else if (k < 38) printf "nx%d.bench.test. A\n", i % nx
		else if (k == 38) printf "b%d.blocked.test. A\n", i % blk
		else printf "h%d.bench.test. AAAA\n", i % hot
	}
}' >"$work/mix.txt"

# airlockd's config: bench's, with the log and the block list.
soak_config() {  # FILE PORT DB
	write_airlockd_config "$1" "$2" "{\"path\": \"$3\"}" \
		"\"guard\": {\"block_lists\": [\"$work/block.txt\"]}"
}

start_nsd

# --- the maximum on the mix ---------------------------------------------------------------

db=$work/log.db
soak_config "$work/airlockd.json" "${PORT[airlockd]}" "$db"
start_airlockd_as airlockd "$work/airlockd.json"
pid=${PID[airlockd]}

mapfile -t cmd < <(dnsperf_base "${PORT[airlockd]}" "$work/mix.txt")
cmd+=(-l "$BENCH_MAX_SECONDS" -v)
commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.max.txt   # maximum on the mix")
say "measuring the maximum QPS on the mix (${BENCH_MAX_SECONDS}s)"
dnsperf_pass airlockd "maximum" "$work/dnsperf.max.txt" "${cmd[@]}"
max_qps=$(printf '%.0f' "$RUN_QPS")
max_p99=$RUN_P99
rate=$((max_qps * BENCH_SOAK_LOAD / 100))
((rate >= 1)) || fail "maximum QPS measured as $max_qps"
say "maximum $max_qps q/s (p99 $max_p99 ms); soaking at $rate q/s for ${BENCH_SOAK_SECONDS}s"
gaps_before=$(sqlite3 -readonly "$db" 'SELECT count(*) FROM log_gaps' 2>/dev/null || echo 0)

# --- the soak -------------------------------------------------------------------------------

# RSS (KiB) every BENCH_SOAK_SAMPLE seconds, with the seconds since the soak began.
sample_rss() {
	local t0=$1 now
	while kill -0 "$pid" 2>/dev/null; do
		now=$(date +%s)
		echo "$((now - t0)) $(status_kib "$pid" VmRSS)"
		sleep "$BENCH_SOAK_SAMPLE"
	done
}
error_lines_before=$(grep -c 'airlockd\[error\]' "${LOG[airlockd]}" || true)
sample_rss "$(date +%s)" >"$work/rss.txt" &
PID[sampler]=$!
mapfile -t cmd < <(BENCH_QPS_LIMIT=$rate dnsperf_base "${PORT[airlockd]}" "$work/mix.txt")
cmd+=(-l "$BENCH_SOAK_SECONDS" -v)
commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.soak.txt   # the soak")
dnsperf_pass airlockd "the soak" "$work/dnsperf.soak.txt" "${cmd[@]}"
stop_pid "${PID[sampler]}"
unset "PID[sampler]"
soak_qps=$(printf '%.0f' "$RUN_QPS")
soak_sent=$RUN_SENT soak_answered=$RUN_ANSWERED soak_lost=$RUN_LOST soak_p99=$RUN_P99
soak_cpu=$RUN_CPU
rcodes=$(awk '$1 == ">" && NF >= 5 {n[$2]++} END {for (r in n) printf "%s %d, ", r, n[r]}' \
	"$work/dnsperf.soak.txt" | sed 's/, $//')
[[ $BENCH_KEEP == 1 ]] || rm -f "$work/dnsperf.soak.txt" "$work/dnsperf.max.txt"

# RSS: the baseline is the first sample at or after warm-up, growth is to the last sample.
read -r rss_base rss_last rss_max <<<"$(awk -v w="$BENCH_SOAK_WARMUP" '
	$1 >= w && base == "" { base = $2 }
	$1 >= w && $2 > max { max = $2 }
	{ last = $2 }
	END { print base + 0, last + 0, max + 0 }' "$work/rss.txt")"
((rss_base > 0)) || fail "no RSS sample after the warm-up ($work/rss.txt)"
growth=$(awk -v a="$rss_base" -v b="$rss_last" 'BEGIN {printf "%.1f", 100 * (b - a) / a}')
growth_max=$(awk -v a="$rss_base" -v b="$rss_max" 'BEGIN {printf "%.1f", 100 * (b - a) / a}')

# The log: stop airlockd (SIGTERM flushes), then count.
stop_server airlockd
gaps=$(sqlite3 -readonly "$db" 'SELECT count(*) FROM log_gaps')
gap_rows=$(sqlite3 -readonly "$db" 'SELECT coalesce(sum(rows_lost), 0) FROM log_gaps')
logged=$(sqlite3 -readonly "$db" 'SELECT count(*) FROM queries')
errors=$(($(grep -c 'airlockd\[error\]' "${LOG[airlockd]}" || true) - error_lines_before))
db_bytes=$(du -cb "$db"* | awk 'END {print $1}')
[[ $BENCH_KEEP == 1 ]] || rm -f "$db" "$db-wal" "$db-shm"

# --- the leak run ---------------------------------------------------------------------------

leak_result="not run (BENCH_LEAK=off)"
leak_ok=1
if [[ $BENCH_LEAK != off ]]; then
	soak_config "$work/leak.json" "${PORT[leak]}" "$work/leak.db"
	case $BENCH_LEAK in
		valgrind)
			launch leak valgrind --leak-check=full --show-leak-kinds=definite,indirect \
				--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
				--log-file="$work/valgrind.txt" "$AIRLOCKD" -c "$work/leak.json" "${AS_USER[@]}" ;;
		asan)
			launch leak env ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:exitcode=99 \
				"$BENCH_LEAK_AIRLOCKD" -c "$work/leak.json" "${AS_USER[@]}" ;;
	esac
	wait_answer leak "${PORT[leak]}" ns1.bench.test. 127.0.0.53 120
	mapfile -t cmd < <(BENCH_QPS_LIMIT=$BENCH_LEAK_QPS dnsperf_base "${PORT[leak]}" "$work/mix.txt")
	cmd+=(-l "$BENCH_LEAK_SECONDS")
	commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]}   # the leak run under $BENCH_LEAK")
	say "leak run under $BENCH_LEAK: ${BENCH_LEAK_QPS} q/s for ${BENCH_LEAK_SECONDS}s"
	run_client "$work/dnsperf.leak.txt" "${pin_client[@]}" "${cmd[@]}" || fail "dnsperf exited $? against the leak run" leak
	leak_answered=$(awk '/Queries completed:/ {print $3; exit}' "$work/dnsperf.leak.txt")
	kill -TERM "${PID[leak]}"
	leak_rc=0
	wait "${PID[leak]}" || leak_rc=$?
	unset "PID[leak]"
	case $BENCH_LEAK in
		valgrind)
			definite=$(awk '/definitely lost:/ {gsub(",", "", $4); print $4; exit}' "$work/valgrind.txt")
			indirect=$(awk '/indirectly lost:/ {gsub(",", "", $4); print $4; exit}' "$work/valgrind.txt")
			errs=$(awk '/ERROR SUMMARY:/ {print $4; exit}' "$work/valgrind.txt")
			leak_result="valgrind: ${leak_answered:-0} queries answered, exit $leak_rc, definitely lost ${definite:-0} bytes, indirectly lost ${indirect:-0} bytes, ${errs:-?} errors"
			[[ $leak_rc == 0 && ${errs:-1} == 0 ]] || leak_ok=0 ;;
		asan)
			leak_result="ASan/UBSan: ${leak_answered:-0} queries answered, exit $leak_rc, $(grep -c 'ERROR: \(Leak\|Address\)Sanitizer\|runtime error' "${LOG[leak]}" || true) sanitizer reports"
			[[ $leak_rc == 0 ]] || leak_ok=0 ;;
	esac
	((${leak_answered:-0} > 0)) || { leak_ok=0; leak_result+=" (no query answered)"; }
	say "$leak_result"
fi

# --- verdict and report -----------------------------------------------------------------------

verdict() {  # OK? WHAT
	if (($1)); then echo "- pass: $2"; else echo "- FAIL: $2"; fi
}
report() {
	echo "# airlockd soak, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "| Maximum on the mix (q/s) | p99 (ms) | Offered (q/s) | Soak QPS | Soak p99 (ms) | Sent | Answered | Lost | airlockd CPU (% of a core) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	echo "| $max_qps | $max_p99 | $rate | $soak_qps | $soak_p99 | $soak_sent | $soak_answered | $soak_lost | $soak_cpu |"
	echo
	echo "Replies by rcode: $rcodes."
	echo
	echo "| RSS after ${BENCH_SOAK_WARMUP}s (MiB) | at the end | highest | growth | highest growth |"
	echo "|---|---|---|---|---|"
	echo "| $(mib "$rss_base") | $(mib "$rss_last") | $(mib "$rss_max") | $growth % | $growth_max % |"
	echo
	echo "Query log: $logged rows, $gaps gap rows ($gap_rows rows lost; $gaps_before gap rows already after the maximum run), $(awk -v b="$db_bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB."
	echo
	verdict "$(awk -v g="$growth" -v m="$BENCH_RSS_GROWTH_MAX" 'BEGIN {print (g < m)}')" \
		"RSS growth after warm-up $growth % (under $BENCH_RSS_GROWTH_MAX %)"
	verdict "$((gaps == gaps_before))" "no gap rows during the soak ($((gaps - gaps_before)))"
	verdict "$((errors == 0))" "no error lines from airlockd during the soak ($errors)"
	verdict "$((soak_lost == 0))" "no query lost during the soak ($soak_lost)"
	verdict "$leak_ok" "leak run: $leak_result"
	report_commands "${STARTCMD[leak]:-}"
}
report >"$work/report.md"
cat "$work/report.md"
[[ -z $BENCH_REPORT ]] || cp "$work/report.md" "$BENCH_REPORT"
! grep -q '^- FAIL' "$work/report.md"
