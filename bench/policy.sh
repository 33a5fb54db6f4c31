#!/usr/bin/env bash
# bench/policy.sh: what the reference policy costs airlockd on cache hits. Two airlockd
# forward to the same NSD: "plain" (one zone, default view, nothing else configured; the
# built-in catalog is matched in both, it cannot be switched off) and
# "reference" (the reference policy of zones/reference.json mapped to loopback: five zone
# views, internal suffixes, private endpoint CIDRs, local data and a forward rule).
# dnsperf measures their cache-hit QPS in alternating rounds. See bench/README.md and
# docs/BENCHMARKS.md.
#
# Traffic goes only to 127.0.0.1. Every process is started here, from config files in a
# temp dir, and stopped by its PID. Every dnsperf run is bounded by -l or -n.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/policy.sh         (settings come from the environment)

  AIRLOCKD=PATH               airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_SECONDS=10            length of each measured dnsperf run
  BENCH_ROUNDS=3              rounds; each measures plain, then reference
  BENCH_HIT_NAMES=1000        names in the cache-hit set
  BENCH_WARMUP_PASSES=2       passes over the cache-hit set before it is measured
  BENCH_CACHE_MIB=64          airlockd cache size_mib
  BENCH_RATIO_TARGET=0.95     QPS reference / QPS plain, to meet
  BENCH_CLIENTS=1             dnsperf -c
  BENCH_THREADS=1             dnsperf -T
  BENCH_OUTSTANDING=100       dnsperf -q, queries in flight
  BENCH_TIMEOUT=2             dnsperf -t, seconds before a query counts as lost
  BENCH_QPS_LIMIT=            dnsperf -Q: offered load cap; empty = closed loop at saturation
  BENCH_PORT_BASE=15320       NSD on BASE, plain BASE+1, reference BASE+2
  BENCH_PIN=auto              1: airlockd on CPU 1, dnsperf and NSD on CPU 0; 0: no pinning
  BENCH_KEEP=0                1: keep the temp dir
  BENCH_REPORT=FILE           also write the Markdown report to FILE

Progress goes to stderr, the Markdown report to stdout.
Exit 0: done (the target is reported, not enforced); 1: a server failed to start, answer
or stay up; 2: bad setting or missing tool.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_RATIO_TARGET=${BENCH_RATIO_TARGET:-0.95}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15320}

check_counts BENCH_SECONDS BENCH_ROUNDS BENCH_HIT_NAMES BENCH_WARMUP_PASSES BENCH_CACHE_MIB \
	BENCH_CLIENTS BENCH_THREADS BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE
check_common
[[ $BENCH_RATIO_TARGET =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	die_usage "BENCH_RATIO_TARGET=\"$BENCH_RATIO_TARGET\": expected a number such as 0.95"
need_tools "dnsperf nsd bind9-dnsutils" dnsperf nsd dig awk sort
[[ -x $AIRLOCKD ]] || { say "airlockd not found or not executable at $AIRLOCKD"; exit 1; }

setup_pair plain reference

# The reference policy on loopback: dnsperf's source 127.0.0.1 is the inference zone.
# Unlike zones/reference.json the inference zone resolves internet names here, so that
# the cache-hit names (which are no internal names) are answered and the views are timed.
write_reference_config() {
	cat >"$1" <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": ${PORT[reference]}} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $port_nsd} ],
  "forward": [ {"suffix": "bench.test", "upstreams": [ {"address": "127.0.0.1", "port": $port_nsd} ]} ],
  "zones": [
    { "name": "inference",   "cidrs": ["127.0.0.0/24"], "ai": "private" },
    { "name": "application", "cidrs": ["127.0.1.0/24"], "ai": "deny", "rebinding_protection": true },
    { "name": "data",        "cidrs": ["127.0.3.0/24"], "ai": "deny", "names": "internal-only",
      "deny_response": "nxdomain" },
    { "name": "management",  "cidrs": ["127.0.4.0/24"], "ai": "deny" },
    { "name": "sandbox",     "cidrs": ["127.0.5.0/24"], "ai": "deny", "names": "none" }
  ],
  "internal_suffixes": ["ec2.internal", "vpc.internal", "corp.internal"],
  "endpoints": { "private_cidrs": ["10.0.2.0/24"] },
  "local_data": ["$top/zones/private-endpoints.zone"],
  "cache": {"size_mib": $BENCH_CACHE_MIB, "min_ttl": 0, "max_ttl": 86400, "max_negative_ttl": 3600},
  "timeouts": {"upstream_ms": 1000, "query_ms": 4000, "tcp_idle_ms": 10000, "upstream_holddown_ms": 5000},
  "threads": 1
}
EOF
}

measure_busy
t_start=$(date +%s)
write_zone
# The same cache-hit set for both: every query pays the reference policy's checks (AI
# catalog, view, internal suffixes, local data, forward rule) before the cache.
names 0 "$BENCH_HIT_NAMES" >"$work/hit.txt"
say "starting NSD on 127.0.0.1:$port_nsd"
start_nsd
write_airlockd_config "$work/plain.json" "${PORT[plain]}"
write_reference_config "$work/reference.json"
for name in "${servers[@]}"; do
	say "starting $name on 127.0.0.1:${PORT[$name]}"
	start_airlockd_as "$name" "$work/$name.json"
	warm_up "$name"
done
# The reference policy is in force: the pinned name comes from local data.
pinned=$(dig +short -p "${PORT[reference]}" @127.0.0.1 bedrock-runtime.us-east-1.amazonaws.com A | sort | tr '\n' ' ')
[[ $pinned == "10.0.2.10 10.0.2.11 " ]] || fail "reference answered the pinned name with '$pinned'" reference

alternate_rounds "${servers[@]}"
for name in "${servers[@]}" nsd; do
	alive "$name" || fail "$name died during the run" "$name"
done
t_total=$(($(date +%s) - t_start))

qps_plain=$(median_qps plain)
qps_ref=$(median_qps reference)
ratio_all=$(ratio "$qps_ref" "$qps_plain")
if awk -v a="$ratio_all" -v t="$BENCH_RATIO_TARGET" 'BEGIN {exit !(a != "n/a" && a >= t)}'; then
	verdict=met
else
	verdict=MISSED
fi

report() {
	local r
	echo "# airlockd policy benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
	echo "- Repo: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "no commit")$([[ -n $(git -C "$top" status --porcelain 2>/dev/null) ]] && echo " (work tree modified)")"
	echo "- dnsperf: -c $BENCH_CLIENTS -T $BENCH_THREADS -q $BENCH_OUTSTANDING -t $BENCH_TIMEOUT$([[ -n $BENCH_QPS_LIMIT ]] && echo " -Q $BENCH_QPS_LIMIT"), ${BENCH_SECONDS}s per run"
	echo "- Cache-hit set: $BENCH_HIT_NAMES names under bench.test, $BENCH_WARMUP_PASSES warm-up passes per server"
	echo "- Pinning: $([[ $BENCH_PIN == 1 ]] && echo "airlockd on CPU 1; dnsperf and NSD on CPU 0" || echo none)"
	echo "- CPU used by other processes just before the run: ${busy_before}% of one core; total ${t_total}s"
	echo
	echo "| Round | QPS plain | QPS reference | reference/plain | p99 plain (ms) | p99 reference (ms) | CPU plain (µs/q) | CPU reference (µs/q) | Others on CPU 1 (%) |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		echo "| $r | $(printf '%.0f' "${Q_QPS[plain/$r]}") | $(printf '%.0f' "${Q_QPS[reference/$r]}") | $(ratio "${Q_QPS[reference/$r]}" "${Q_QPS[plain/$r]}") | ${Q_P99[plain/$r]} | ${Q_P99[reference/$r]} | ${Q_CPUQ[plain/$r]} | ${Q_CPUQ[reference/$r]} | ${Q_OTHER[plain/$r]}/${Q_OTHER[reference/$r]} |"
	done
	echo
	echo "Medians: plain $qps_plain q/s, reference $qps_ref q/s, ratio **$ratio_all** (target >= $BENCH_RATIO_TARGET: $verdict)."
	report_commands
}

if [[ -n $BENCH_REPORT ]]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
