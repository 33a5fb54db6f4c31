#!/usr/bin/env bash
# bench/guard.sh: what the tunnel detector costs airlockd. Two airlockd in front of one
# NSD, "off" (tunnel.action off) and "on" (block, the default), alternate dnsperf rounds
# on the same cache-hit names; then "on" takes a flood of unique random names under many
# registered domains, and its memory is read before and after against the fixed cap of
# its cache and detector table. See bench/README.md and docs/BENCHMARKS.md.
# (A flood spread over many registered domains needs an upstream that answers any
# name at that rate; the detector's table recycling under such a flood is shown by
# test_guard_memory_is_fixed_under_flood instead.)
#
# Traffic goes only to 127.0.0.1. Every process is started here, from config files in a
# temp dir, and stopped by its PID. Every dnsperf run is bounded by -l or -n.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/guard.sh          (settings come from the environment)

  AIRLOCKD=PATH               airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_SECONDS=10            length of each measured cache-hit run
  BENCH_ROUNDS=3              rounds; each measures off, then on
  BENCH_HIT_NAMES=1000        names in the cache-hit set
  BENCH_WARMUP_PASSES=2       passes over the cache-hit set before it is measured
  BENCH_CACHE_MIB=64          airlockd cache size_mib
  BENCH_FLOOD_NAMES=10000000  unique random subdomains of bench.test in the flood
  BENCH_GUARD_DOMAINS=100000  guard.max_domains of the flooded airlockd
  BENCH_RATIO_TARGET=0.95     QPS on / QPS off, to meet
  BENCH_CLIENTS=1             dnsperf -c
  BENCH_THREADS=1             dnsperf -T
  BENCH_OUTSTANDING=100       dnsperf -q, queries in flight
  BENCH_TIMEOUT=2             dnsperf -t, seconds before a query counts as lost
  BENCH_QPS_LIMIT=            dnsperf -Q for the cache-hit rounds; empty = closed loop
  BENCH_PORT_BASE=15330       NSD on BASE, off BASE+1, on BASE+2
  BENCH_PIN=auto              1: airlockd on CPU 1, dnsperf and NSD on CPU 0; 0: no pinning
  BENCH_KEEP=0                1: keep the temp dir
  BENCH_REPORT=FILE           also write the Markdown report to FILE

Progress goes to stderr, the Markdown report to stdout.
Exit 0: done (targets are reported, not enforced); 1: a server failed to start, answer
or stay up; 2: bad setting or missing tool.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_FLOOD_NAMES=${BENCH_FLOOD_NAMES:-10000000}
BENCH_GUARD_DOMAINS=${BENCH_GUARD_DOMAINS:-100000}
BENCH_RATIO_TARGET=${BENCH_RATIO_TARGET:-0.95}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15330}

check_counts BENCH_SECONDS BENCH_ROUNDS BENCH_HIT_NAMES BENCH_WARMUP_PASSES BENCH_CACHE_MIB \
	BENCH_FLOOD_NAMES BENCH_GUARD_DOMAINS BENCH_CLIENTS BENCH_THREADS \
	BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE
check_common
need_tools "dnsperf nsd bind9-dnsutils" dnsperf nsd dig awk sort
[[ -x $AIRLOCKD ]] || { say "airlockd not found or not executable at $AIRLOCKD"; exit 1; }

setup_pair off on

# One zone for 127/8, the detector as given; the rest as bench/lib.sh writes it.
write_guard_config() {
	local file=$1 port=$2 action=$3
	write_airlockd_config "$file" "$port"
	sed -i -e "s/\"cidrs\": \\[\"127.0.0.0\\/8\"\\]}/\"cidrs\": [\"127.0.0.0\\/8\"], \"tunnel\": {\"action\": \"$action\"}}/" \
		-e "s/\"threads\": 1/\"guard\": {\"max_domains\": $BENCH_GUARD_DOMAINS},\n  \"threads\": 1/" "$file"
	grep -q "\"action\": \"$action\"" "$file" || fail "could not set tunnel.action in $file"
}

measure_busy
t_start=$(date +%s)
write_zone
names 0 "$BENCH_HIT_NAMES" >"$work/hit.txt"
say "starting NSD on 127.0.0.1:$port_nsd"
start_nsd
for name in "${servers[@]}"; do
	write_guard_config "$work/$name.json" "${PORT[$name]}" "$([[ $name == on ]] && echo block || echo off)"
	say "starting $name on 127.0.0.1:${PORT[$name]}"
	start_airlockd_as "$name" "$work/$name.json"
	warm_up "$name"
done

alternate_rounds "${servers[@]}"
qps_off=$(median_qps off)
qps_on=$(median_qps on)
ratio_all=$(ratio "$qps_on" "$qps_off")

# The flood: unique random 16-hex-character subdomains of bench.test, all cache
# misses.  The first few dozen go to NSD (NXDOMAIN); then the detector sees a
# tunnel-shaped stream into one domain and blocks the rest locally.
say "writing $BENCH_FLOOD_NAMES flood names"
awk -v n="$BENCH_FLOOD_NAMES" 'BEGIN {
	srand(7)
	for (i = 0; i < n; i++)
		printf "%08x%08x.bench.test. A\n", int(rand() * 4294967296), i
}' >"$work/flood.txt"
rss_before=$(status_kib "${PID[on]}" VmRSS)
mapfile -t cmd < <(dnsperf_base "${PORT[on]}" "$work/flood.txt")
cmd+=(-n 1 -l 3600)
commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.flood.txt   # on, flood")
say "flood: ${cmd[*]}"
t0=$(date +%s)
run_client "$work/dnsperf.flood.txt" "${pin_client[@]}" "${cmd[@]}" || fail "dnsperf flood exited $?" on
flood_s=$(($(date +%s) - t0))
alive on || fail "airlockd died during the flood" on
rss_after=$(status_kib "${PID[on]}" VmRSS)
hwm=$(status_kib "${PID[on]}" VmHWM)
flood_sent=$(summary_field "$work/dnsperf.flood.txt" "Queries sent:")
flood_done=$(awk '/Queries completed:/ {print $3; exit}' "$work/dnsperf.flood.txt")
# The cap: the cache's bytes, the detector's table (336 bytes per domain at most), and
# what airlockd held before the flood.
cap_kib=$((BENCH_CACHE_MIB * 1024 + BENCH_GUARD_DOMAINS * 336 / 1024 + rss_before))
kill -USR1 "${PID[on]}"
sleep 0.5
counters=$(grep 'counters so far' "${LOG[on]}" | tail -n 1 | sed 's/.*counters so far: //')
for name in "${servers[@]}" nsd; do
	alive "$name" || fail "$name died during the run" "$name"
done
t_total=$(($(date +%s) - t_start))

report() {
	local r
	echo "# airlockd tunnel-detector benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
	echo "- Repo: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "no commit")$([[ -n $(git -C "$top" status --porcelain 2>/dev/null) ]] && echo " (work tree modified)")"
	echo "- dnsperf: -c $BENCH_CLIENTS -T $BENCH_THREADS -q $BENCH_OUTSTANDING -t $BENCH_TIMEOUT, ${BENCH_SECONDS}s per cache-hit run"
	echo "- Pinning: $([[ $BENCH_PIN == 1 ]] && echo "airlockd on CPU 1; dnsperf and NSD on CPU 0" || echo none)"
	echo "- CPU used by other processes just before the run: ${busy_before}% of one core; total ${t_total}s"
	echo
	echo "## Cache-hit QPS, detector off and on"
	echo
	echo "| Round | QPS off | QPS on | on/off | p99 off / on (ms) | CPU off / on (µs/query) | Others on CPU 1 (%) |"
	echo "| ---: | ---: | ---: | ---: | --- | --- | --- |"
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		echo "| $r | $(printf '%.0f' "${Q_QPS[off/$r]}") | $(printf '%.0f' "${Q_QPS[on/$r]}") | $(ratio "${Q_QPS[on/$r]}" "${Q_QPS[off/$r]}") | ${Q_P99[off/$r]} / ${Q_P99[on/$r]} | ${Q_CPUQ[off/$r]} / ${Q_CPUQ[on/$r]} | ${Q_OTHER[off/$r]}/${Q_OTHER[on/$r]} |"
	done
	echo
	echo "Medians: off $qps_off q/s, on $qps_on q/s, ratio **$ratio_all** (target >= $BENCH_RATIO_TARGET)."
	echo
	echo "## Random-name flood against the detector"
	echo
	echo "| Measure | Value |"
	echo "| --- | ---: |"
	echo "| unique names sent / answered | $flood_sent / $flood_done |"
	echo "| guard.max_domains / cache size_mib | $BENCH_GUARD_DOMAINS / $BENCH_CACHE_MIB |"
	echo "| flood duration | ${flood_s}s |"
	echo "| RSS before / after the flood | $(mib "$rss_before") / $(mib "$rss_after") MiB |"
	echo "| peak RSS (VmHWM) | $(mib "$hwm") MiB |"
	echo "| cap (cache + detector table + RSS before) | $(mib "$cap_kib") MiB: $( ((hwm <= cap_kib)) && echo "under" || echo "OVER") |"
	echo
	echo "airlockd \"on\" counters after the flood: \`$counters\`"
	report_commands
}

if [[ -n $BENCH_REPORT ]]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
