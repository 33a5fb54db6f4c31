#!/usr/bin/env bash
# bench/run.sh: airlockd against Unbound and dnsmasq, each a one-thread forwarder in front
# of the same NSD, measured with dnsperf on loopback (cache-hit and cache-miss), then
# airlockd's memory after caching 100k names. See bench/README.md and docs/BENCHMARKS.md.
#
# Traffic goes only to 127.0.0.1. Every process is started here, from config files in a
# temp dir, and stopped by its PID. Every dnsperf run is bounded by -l or -n.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/run.sh            (settings come from the environment)

  AIRLOCKD=PATH               airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_SKIP_AIRLOCK=1        bench only Unbound and dnsmasq (development before airlockd exists)
  BENCH_SECONDS=10            length of each measured dnsperf run
  BENCH_HIT_NAMES=1000        names in the cache-hit set
  BENCH_WARMUP_PASSES=2       passes over the cache-hit set before it is measured
  BENCH_MISS_RATE_MAX=100000  assumed ceiling of cache-miss q/s; each server gets
                              BENCH_SECONDS * this many cold names
  BENCH_RSS_NAMES=100000      names loaded into a fresh airlockd for the memory check
  BENCH_RSS_TARGET_MIB=64     airlockd's memory target for that check
  BENCH_CACHE_MIB=64          airlockd cache size_mib; Unbound gets half as msg, half as rrset cache
  BENCH_CLIENTS=1             dnsperf -c (same for every server)
  BENCH_THREADS=1             dnsperf -T
  BENCH_OUTSTANDING=100       dnsperf -q, queries in flight (keep <= 150: dnsmasq's dns-forward-max)
  BENCH_TIMEOUT=2             dnsperf -t, seconds before a query counts as lost
  BENCH_QPS_LIMIT=            dnsperf -Q: offered load cap; empty = closed loop at saturation
  BENCH_PORT_BASE=15300       NSD on BASE, airlockd BASE+1, Unbound BASE+2, dnsmasq BASE+3
  BENCH_PIN=auto              1: server under test on CPU 1, dnsperf and NSD on CPU 0; 0: no pinning
  BENCH_KEEP=0                1: keep the temp dir (configs, logs, per-query output)
  BENCH_REPORT=FILE           also write the Markdown report to FILE

Progress goes to stderr, the Markdown report to stdout.
Exit 0: done; 1: a server failed to start, answer or stay up; 2: bad setting or missing tool.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_SKIP_AIRLOCK=${BENCH_SKIP_AIRLOCK:-0}
BENCH_MISS_RATE_MAX=${BENCH_MISS_RATE_MAX:-100000}
BENCH_RSS_NAMES=${BENCH_RSS_NAMES:-100000}
BENCH_RSS_TARGET_MIB=${BENCH_RSS_TARGET_MIB:-64}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15300}

# --- settings and tools ---------------------------------------------------------------

check_counts BENCH_SECONDS BENCH_HIT_NAMES BENCH_WARMUP_PASSES BENCH_MISS_RATE_MAX \
	BENCH_RSS_NAMES BENCH_RSS_TARGET_MIB BENCH_CACHE_MIB BENCH_CLIENTS BENCH_THREADS \
	BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE
check_common
((BENCH_CACHE_MIB >= 2)) || die_usage "BENCH_CACHE_MIB=$BENCH_CACHE_MIB: expected >= 2"
need_tools "dnsperf nsd unbound dnsmasq-base bind9-dnsutils" dnsperf nsd unbound dnsmasq dig awk sort

if [[ $BENCH_SKIP_AIRLOCK == 1 ]]; then
	say "BENCH_SKIP_AIRLOCK=1: airlockd is NOT benchmarked in this run (Unbound and dnsmasq only)"
elif [[ ! -x $AIRLOCKD ]]; then
	say "airlockd not found or not executable at $AIRLOCKD"
	say "build it, point AIRLOCKD at it, or set BENCH_SKIP_AIRLOCK=1 to bench Unbound and dnsmasq only"
	exit 1
fi

setup_pinning

# Name layout in bench.test.: h0.. is the cache-hit set, then one cold range per server
# for cache-miss (index 0 airlockd, 1 unbound, 2 dnsmasq), then the memory-check range.
miss_names=$((BENCH_SECONDS * BENCH_MISS_RATE_MAX))
miss_start0=$BENCH_HIT_NAMES
rss_start=$((BENCH_HIT_NAMES + 3 * miss_names))
zone_names=$((rss_start + BENCH_RSS_NAMES))
((zone_names <= 16777216)) || die_usage "zone would need $zone_names names (max 16777216): lower BENCH_SECONDS or BENCH_MISS_RATE_MAX"

port_nsd=$BENCH_PORT_BASE
PORT=([airlockd]=$((BENCH_PORT_BASE + 1)) [unbound]=$((BENCH_PORT_BASE + 2)) [dnsmasq]=$((BENCH_PORT_BASE + 3)))
declare -A MISS_INDEX=([airlockd]=0 [unbound]=1 [dnsmasq]=2)
servers=(airlockd unbound dnsmasq)
[[ $BENCH_SKIP_AIRLOCK == 1 ]] && servers=(unbound dnsmasq)

check_ports_free "$port_nsd" "${PORT[@]}"

# --- servers --------------------------------------------------------------------------

make_work

start_unbound() {
	local half=$((BENCH_CACHE_MIB / 2))
	cat >"$work/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@${PORT[unbound]}
  port: ${PORT[unbound]}
  do-ip4: yes
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  num-threads: 1
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  msg-cache-size: ${half}m
  rrset-cache-size: $((BENCH_CACHE_MIB - half))m
  qname-minimisation: no
  prefetch: no
  # Unbound answers test. itself (RFC 6761 default local zone) unless told not to.
  local-zone: "test." nodefault
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 0
  log-queries: no
  log-replies: no
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$port_nsd
EOF
	unbound-checkconf "$work/unbound.conf" >/dev/null || fail "unbound-checkconf rejected $work/unbound.conf"
	launch unbound "${pin_server[@]}" unbound -d -c "$work/unbound.conf"
	wait_answer unbound "${PORT[unbound]}" ns1.bench.test. 127.0.0.53 15
}

start_dnsmasq() {
	local user
	user=$(id -un)
	launch dnsmasq "${pin_server[@]}" dnsmasq --no-daemon --conf-file=/dev/null \
		--no-resolv --no-hosts --server="127.0.0.1#$port_nsd" \
		--port="${PORT[dnsmasq]}" --listen-address=127.0.0.1 --bind-interfaces \
		--cache-size=10000 --user="$user" --pid-file="$work/dnsmasq.pid" \
		--log-facility="$work/dnsmasq.log.file"
	wait_answer dnsmasq "${PORT[dnsmasq]}" ns1.bench.test. 127.0.0.53 15
}

start_airlockd() {
	write_airlockd_config "$work/airlockd.json" "${PORT[airlockd]}"
	start_airlockd_as airlockd "$work/airlockd.json"
}

# --- measurement helpers --------------------------------------------------------------

# Writing 5 to clear_refs resets VmHWM to the current RSS, so the next VmHWM read is the
# peak of that workload alone. Without it (old kernel, no permission) VmHWM is the peak
# since start, and the report says so.
hwm_reset() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null; }

declare -A R_QPS=() R_MEAN=() R_P99=() R_LOST=() R_BAD=() R_SENT=() R_CPU=() R_CPUQ=() R_HWM=() R_NOTE=()
hwm_scope="workload"

# Runs one measured dnsperf pass of workload $2 against server $1 and records the row.
measure() {
	local name=$1 workload=$2 file=$3 pid port out
	local -a cmd limits
	pid=${PID[$name]}
	port=${PORT[$name]}
	out=$work/dnsperf.$name.$workload.txt
	mapfile -t cmd < <(dnsperf_base "$port" "$file")
	if [[ $workload == hit ]]; then
		limits=(-l "$BENCH_SECONDS")
	else
		limits=(-n 1 -l "$BENCH_SECONDS")
	fi
	cmd+=("${limits[@]}" -v)
	commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.$name.$workload.txt   # $name, cache-$workload")
	say "$name cache-$workload: ${cmd[*]}"

	hwm_reset "$pid" || hwm_scope="since start"
	dnsperf_pass "$name" "cache-$workload" "$out" "${cmd[@]}"
	R_HWM[$name/$workload]=$(status_kib "$pid" VmHWM)

	R_SENT[$name/$workload]=$RUN_SENT
	R_QPS[$name/$workload]=$RUN_QPS
	R_MEAN[$name/$workload]=$RUN_MEAN
	R_P99[$name/$workload]=$RUN_P99
	R_LOST[$name/$workload]=$RUN_LOST
	R_BAD[$name/$workload]=$RUN_BAD
	R_CPU[$name/$workload]=$RUN_CPU
	R_CPUQ[$name/$workload]=$RUN_CPUQ
	if grep -q 'Testing complete (end of file)' "$out"; then
		R_NOTE[$name/$workload]="names ran out after ${RUN_RUNTIME}s"
		warnings+=("$name cache-$workload used up its $miss_names cold names in ${RUN_RUNTIME}s: raise BENCH_MISS_RATE_MAX")
	fi
	if awk -v l="$RUN_LOST" -v b="$RUN_BAD" -v s="$RUN_SENT" 'BEGIN {exit !(l + b > 0.01 * s)}'; then
		warnings+=("$name cache-$workload: $RUN_LOST lost and $RUN_BAD non-NOERROR of $RUN_SENT queries")
	fi
	say "$name cache-$workload: $(printf '%.0f' "$RUN_QPS") q/s, mean $RUN_MEAN ms, p99 $RUN_P99 ms, lost $RUN_LOST, non-NOERROR $RUN_BAD"
	[[ $BENCH_KEEP == 1 ]] || rm -f "$out"
}

# Memory check: a fresh process, one pass over BENCH_RSS_NAMES cold names, then VmHWM/VmRSS.
declare -A M_SENT=() M_OK=() M_BASE=() M_HWM=() M_RSS=()
memory_check() {
	local name=$1 out=$work/dnsperf.$1.rss.txt
	local -a cmd
	stop_server "$name"
	mv -f "${LOG[$name]}" "$work/$name.bench.log"
	"start_$name"
	M_BASE[$name]=$(status_kib "${PID[$name]}" VmRSS)
	mapfile -t cmd < <(dnsperf_base "${PORT[$name]}" "$work/rss.txt")
	cmd+=(-n 1 -l 300)
	commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]}   # $name, memory check (fresh process)")
	say "$name memory check: ${cmd[*]}"
	run_client "$out" "${pin_client[@]}" "${cmd[@]}" || fail "dnsperf exited $? against $name (memory check)" "$name"
	alive "$name" || fail "$name died during the memory check" "$name"
	M_HWM[$name]=$(status_kib "${PID[$name]}" VmHWM)
	M_RSS[$name]=$(status_kib "${PID[$name]}" VmRSS)
	M_SENT[$name]=$(summary_field "$out" "Queries sent:")
	M_OK[$name]=$(awk '/Response codes:/ {for (i = 3; i < NF; i++) if ($i == "NOERROR") print $(i + 1)}' "$out")
	M_OK[$name]=${M_OK[$name]:-0}
	((M_OK[$name] > 0)) || fail "$name answered no memory-check query" "$name"
	say "$name memory check: VmHWM $(mib "${M_HWM[$name]}") MiB, VmRSS $(mib "${M_RSS[$name]}") MiB after ${M_OK[$name]} NOERROR answers"
}

# --- run ------------------------------------------------------------------------------

measure_busy

t_start=$(date +%s)
say "work dir $work; pinning: $([[ $BENCH_PIN == 1 ]] && echo 'server CPU 1, dnsperf+NSD CPU 0' || echo off)"

say "writing bench.test. with $zone_names A records"
write_zone

names 0 "$BENCH_HIT_NAMES" >"$work/hit.txt"
for name in "${servers[@]}"; do
	s=$((miss_start0 + MISS_INDEX[$name] * miss_names))
	names "$s" $((s + miss_names)) >"$work/miss.$name.txt"
done
names "$rss_start" "$zone_names" >"$work/rss.txt"

say "starting NSD on 127.0.0.1:$port_nsd (loading the zone)"
start_nsd
say "NSD answers"
for name in "${servers[@]}"; do
	say "starting $name on 127.0.0.1:${PORT[$name]}"
	"start_$name"
	say "$name answers"
done

for name in "${servers[@]}"; do
	warm_up "$name"
	measure "$name" hit "$work/hit.txt"
done
for name in "${servers[@]}"; do
	measure "$name" miss "$work/miss.$name.txt"
done

rss_servers=(unbound)
[[ $BENCH_SKIP_AIRLOCK == 1 ]] || rss_servers=(airlockd unbound)
for name in "${rss_servers[@]}"; do
	memory_check "$name"
done

alive nsd || fail "NSD died during the run" nsd
t_total=$(($(date +%s) - t_start))

# --- report ---------------------------------------------------------------------------

cell() { local v=${1:-}; [[ -n $v ]] && echo "$v" || echo "n/a"; }

report() {
	local name w qps repo_rev
	repo_rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "no commit")
	[[ -n $(git -C "$top" status --porcelain 2>/dev/null) ]] && repo_rev+=" (work tree modified)"
	echo "# airlockd benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
	if [[ $BENCH_SKIP_AIRLOCK == 1 ]]; then
		echo "- Repo: $repo_rev; airlockd: SKIPPED (BENCH_SKIP_AIRLOCK=1)"
	else
		echo "- Repo: $repo_rev; airlockd: $AIRLOCKD ($("$AIRLOCKD" -V 2>&1 | head -n 1 || echo "version unknown"))"
	fi
	echo "- Versions: $(dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf", $2}'), $(nsd -v 2>&1 | head -n 1), unbound $(unbound -V 2>/dev/null | awk '/^Version/ {print $2}'), $(dnsmasq --version | head -n 1 | awk '{print $1, $3}')"
	echo "- Upstream: NSD serving bench.test. ($zone_names A records), one server process"
	echo "- dnsperf: -c $BENCH_CLIENTS -T $BENCH_THREADS -q $BENCH_OUTSTANDING -t $BENCH_TIMEOUT$([[ -n $BENCH_QPS_LIMIT ]] && echo " -Q $BENCH_QPS_LIMIT" || echo ", closed loop (no -Q)"), ${BENCH_SECONDS}s per run, UDP, no EDNS"
	echo "- Cache-hit: $BENCH_HIT_NAMES names, $BENCH_WARMUP_PASSES warm-up passes, then looped for ${BENCH_SECONDS}s"
	echo "- Cache-miss: up to $miss_names names per server, each queried once, never seen by that server before"
	echo "- Pinning: $([[ $BENCH_PIN == 1 ]] && echo "server under test on CPU 1; dnsperf and NSD on CPU 0" || echo "none")"
	echo "- Caches: airlockd size_mib $BENCH_CACHE_MIB; Unbound msg $((BENCH_CACHE_MIB / 2))m + rrset $((BENCH_CACHE_MIB - BENCH_CACHE_MIB / 2))m; dnsmasq cache-size 10000 (its maximum)"
	echo "- CPU used by other processes just before the run: ${busy_before}% of one core"
	echo "- Total run time: ${t_total}s"
	echo
	echo "## Throughput and latency"
	echo
	echo "| Server | Workload | Queries sent | Queries/s | Mean latency (ms) | p99 latency (ms) | Lost | Non-NOERROR | Server CPU (% of 1 core) | Server CPU (µs/query) | Peak RSS (MiB) |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for w in hit miss; do
		for name in airlockd unbound dnsmasq; do
			if [[ -z ${R_QPS[$name/$w]:-} ]]; then
				echo "| $name | cache-$w | not run | | | | | | | | |"
				continue
			fi
			qps=$(printf '%.0f' "${R_QPS[$name/$w]}")
			[[ -n ${R_NOTE[$name/$w]:-} ]] && qps+=" (${R_NOTE[$name/$w]})"
			echo "| $name | cache-$w | ${R_SENT[$name/$w]} | $qps | ${R_MEAN[$name/$w]} | ${R_P99[$name/$w]} | ${R_LOST[$name/$w]} | ${R_BAD[$name/$w]} | ${R_CPU[$name/$w]} | ${R_CPUQ[$name/$w]} | $(mib "${R_HWM[$name/$w]}") |"
		done
	done
	echo
	echo "Peak RSS is VmHWM read after the run; its scope is: $hwm_scope."
	echo
	echo "## Ratios"
	echo
	echo "| Workload | QPS airlockd/unbound | QPS airlockd/dnsmasq | p99 airlockd/unbound | p99 airlockd/dnsmasq |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for w in hit miss; do
		echo "| cache-$w | $(ratio "${R_QPS[airlockd/$w]:-}" "${R_QPS[unbound/$w]:-}") | $(ratio "${R_QPS[airlockd/$w]:-}" "${R_QPS[dnsmasq/$w]:-}") | $(ratio "${R_P99[airlockd/$w]:-}" "${R_P99[unbound/$w]:-}") | $(ratio "${R_P99[airlockd/$w]:-}" "${R_P99[dnsmasq/$w]:-}") |"
	done
	echo
	echo "QPS ratio above 1 and p99 ratio below 1 favour airlockd."
	echo
	echo "## Memory after caching $BENCH_RSS_NAMES distinct names (fresh process)"
	echo
	echo "| Server | Queries | NOERROR | RSS at start (MiB) | VmHWM (MiB) | VmRSS (MiB) | Target |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	for name in airlockd unbound; do
		if [[ -z ${M_HWM[$name]:-} ]]; then
			echo "| $name | not run | | | | | |"
			continue
		fi
		local target="reference only"
		if [[ $name == airlockd ]]; then
			if ((M_HWM[$name] < BENCH_RSS_TARGET_MIB * 1024)); then
				target="< $BENCH_RSS_TARGET_MIB MiB: met"
			else
				target="< $BENCH_RSS_TARGET_MIB MiB: MISSED"
			fi
		fi
		echo "| $name | ${M_SENT[$name]} | ${M_OK[$name]} | $(mib "${M_BASE[$name]}") | $(mib "${M_HWM[$name]}") | $(mib "${M_RSS[$name]}") | $target |"
	done
	echo
	echo "dnsmasq is left out of the memory check: its cache holds at most 10000 names."
	report_commands
	for f in nsd.conf unbound.conf airlockd.json; do
		[[ -f $work/$f ]] || continue
		echo
		echo "\`$work/$f\`:"
		echo
		echo '```'
		cat "$work/$f"
		echo '```'
	done
}

if [[ -n $BENCH_REPORT ]]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
