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

case "${1:-}" in
	"") ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
esac

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

AIRLOCKD=${AIRLOCKD:-$top/build/src/airlockd}
BENCH_SKIP_AIRLOCK=${BENCH_SKIP_AIRLOCK:-0}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_HIT_NAMES=${BENCH_HIT_NAMES:-1000}
BENCH_WARMUP_PASSES=${BENCH_WARMUP_PASSES:-2}
BENCH_MISS_RATE_MAX=${BENCH_MISS_RATE_MAX:-100000}
BENCH_RSS_NAMES=${BENCH_RSS_NAMES:-100000}
BENCH_RSS_TARGET_MIB=${BENCH_RSS_TARGET_MIB:-64}
BENCH_CACHE_MIB=${BENCH_CACHE_MIB:-64}
BENCH_CLIENTS=${BENCH_CLIENTS:-1}
BENCH_THREADS=${BENCH_THREADS:-1}
BENCH_OUTSTANDING=${BENCH_OUTSTANDING:-100}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-2}
BENCH_QPS_LIMIT=${BENCH_QPS_LIMIT:-}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-15300}
BENCH_PIN=${BENCH_PIN:-auto}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_REPORT=${BENCH_REPORT:-}

say() { printf 'bench: %s\n' "$*" >&2; }
die_usage() { printf 'bench: %s\n' "$*" >&2; exit 2; }

# --- settings and tools ---------------------------------------------------------------

for var in BENCH_SECONDS BENCH_HIT_NAMES BENCH_WARMUP_PASSES BENCH_MISS_RATE_MAX \
	BENCH_RSS_NAMES BENCH_RSS_TARGET_MIB BENCH_CACHE_MIB BENCH_CLIENTS BENCH_THREADS \
	BENCH_OUTSTANDING BENCH_TIMEOUT BENCH_PORT_BASE; do
	val=${!var}
	[[ $val =~ ^[0-9]+$ && $val -ge 1 ]] ||
		die_usage "$var=\"$val\" is not a whole number >= 1"
done
[[ -z $BENCH_QPS_LIMIT || $BENCH_QPS_LIMIT =~ ^[1-9][0-9]*$ ]] ||
	die_usage "BENCH_QPS_LIMIT=\"$BENCH_QPS_LIMIT\" is not a whole number >= 1 (or empty)"
((BENCH_PORT_BASE >= 1024 && BENCH_PORT_BASE <= 65500)) ||
	die_usage "BENCH_PORT_BASE=$BENCH_PORT_BASE: expected 1024..65500"
((BENCH_CACHE_MIB >= 2)) || die_usage "BENCH_CACHE_MIB=$BENCH_CACHE_MIB: expected >= 2"

missing=()
for tool in dnsperf nsd unbound dnsmasq dig awk sort; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
	die_usage "missing: ${missing[*]} (Debian: apt-get install dnsperf nsd unbound dnsmasq-base bind9-dnsutils)"
fi

if [[ $BENCH_SKIP_AIRLOCK == 1 ]]; then
	say "BENCH_SKIP_AIRLOCK=1: airlockd is NOT benchmarked in this run (Unbound and dnsmasq only)"
elif [[ ! -x $AIRLOCKD ]]; then
	say "airlockd not found or not executable at $AIRLOCKD"
	say "build it, point AIRLOCKD at it, or set BENCH_SKIP_AIRLOCK=1 to bench Unbound and dnsmasq only"
	exit 1
fi

case $BENCH_PIN in
	auto) if (($(nproc) >= 2)) && command -v taskset >/dev/null 2>&1; then BENCH_PIN=1; else BENCH_PIN=0; fi ;;
	0|1) ;;
	*) die_usage "BENCH_PIN=\"$BENCH_PIN\": expected auto, 0 or 1" ;;
esac
pin_client=()
pin_server=()
if [[ $BENCH_PIN == 1 ]]; then
	command -v taskset >/dev/null 2>&1 || die_usage "BENCH_PIN=1 needs taskset (util-linux)"
	(($(nproc) >= 2)) || die_usage "BENCH_PIN=1 needs 2 CPUs"
	pin_client=(taskset -c 0)
	pin_server=(taskset -c 1)
fi

# Name layout in bench.test.: h0.. is the cache-hit set, then one cold range per server
# for cache-miss (index 0 airlockd, 1 unbound, 2 dnsmasq), then the memory-check range.
miss_names=$((BENCH_SECONDS * BENCH_MISS_RATE_MAX))
miss_start0=$BENCH_HIT_NAMES
rss_start=$((BENCH_HIT_NAMES + 3 * miss_names))
zone_names=$((rss_start + BENCH_RSS_NAMES))
((zone_names <= 16777216)) || die_usage "zone would need $zone_names names (max 16777216): lower BENCH_SECONDS or BENCH_MISS_RATE_MAX"

port_nsd=$BENCH_PORT_BASE
declare -A PORT=([airlockd]=$((BENCH_PORT_BASE + 1)) [unbound]=$((BENCH_PORT_BASE + 2)) [dnsmasq]=$((BENCH_PORT_BASE + 3)))
declare -A MISS_INDEX=([airlockd]=0 [unbound]=1 [dnsmasq]=2)
servers=(airlockd unbound dnsmasq)
[[ $BENCH_SKIP_AIRLOCK == 1 ]] && servers=(unbound dnsmasq)

if command -v ss >/dev/null 2>&1; then
	for port in "$port_nsd" "${PORT[@]}"; do
		if [[ -n $(ss -Hlnu "sport = :$port" 2>/dev/null) || -n $(ss -Hlnt "sport = :$port" 2>/dev/null) ]]; then
			die_usage "port $port is already in use on this machine: set BENCH_PORT_BASE"
		fi
	done
fi

# --- processes: started here, stopped by PID -----------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench.XXXXXX")
declare -A PID=()
declare -A LOG=()
declare -A STARTCMD=()
commands=()      # every command that shaped a number, for the report
warnings=()

stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# NSD forks its xfrd and server processes; stop the parent, then any child left behind.
stop_server() {
	local name=$1 pid children child
	pid=${PID[$name]:-}
	[[ -n $pid ]] || return 0
	children=$(pgrep -P "$pid" 2>/dev/null || true)
	stop_pid "$pid"
	for child in $children; do
		if kill -0 "$child" 2>/dev/null; then
			kill -TERM "$child" 2>/dev/null || true
		fi
	done
	unset "PID[$name]"
}

cleanup() {
	local name
	for name in "${!PID[@]}"; do
		stop_server "$name"
	done
	if [[ $BENCH_KEEP == 1 ]]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	local name=${2:-}
	say "FAILED: $1"
	if [[ -n $name && -n ${LOG[$name]:-} && -s ${LOG[$name]} ]]; then
		say "last lines of ${LOG[$name]}:"
		tail -n 20 "${LOG[$name]}" >&2
	fi
	exit 1
}

# dnsperf runs in the background so that a signal to this script is acted on at once
# (bash runs traps only between foreground commands, but does interrupt wait).
run_client() {
	local out=$1 rc=0
	shift
	"$@" >"$out" 2>&1 &
	PID[dnsperf]=$!
	wait "${PID[dnsperf]}" || rc=$?
	unset "PID[dnsperf]"
	return "$rc"
}

alive() { [[ -n ${PID[$1]:-} ]] && kill -0 "${PID[$1]}" 2>/dev/null; }

# Waits until the server on $2 answers $3 with exactly $4, for at most $5 seconds.
wait_answer() {
	local name=$1 port=$2 qname=$3 want=$4 limit=$5 got i
	for ((i = 0; i < limit * 4; i++)); do
		alive "$name" || fail "$name exited during start-up" "$name"
		got=$(dig +short +tries=1 +time=1 -p "$port" @127.0.0.1 "$qname" A 2>/dev/null || true)
		[[ $got == "$want" ]] && return 0
		sleep 0.25
	done
	fail "$name on 127.0.0.1:$port did not answer $qname A with $want within ${limit}s (last answer: \"${got:-none}\")" "$name"
}

# hN.bench.test. has the address 127.x.y.z with x.y.z = N in base 256, so even answer
# data stays inside 127.0.0.0/8.
addr_of() { echo "127.$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"; }

launch() {
	local name=$1
	shift
	LOG[$name]=$work/$name.log
	STARTCMD[$name]="$*"
	"$@" >"${LOG[$name]}" 2>&1 &
	PID[$name]=$!
}

start_nsd() {
	cat >"$work/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$port_nsd
  do-ip6: no
  server-count: 1
  reuseport: no
  username: ""
  chroot: ""
  zonesdir: "$work"
  database: ""
  zonelistfile: "$work/nsd.zone.list"
  xfrdfile: "$work/nsd.xfrd.state"
  xfrdir: "$work"
  pidfile: "$work/nsd.pid"
  cookie-secret-file: "$work/nsd.cookiesecrets"
  logfile: "$work/nsd.log.file"
  verbosity: 0
  hide-version: yes
  minimal-responses: yes
remote-control:
  control-enable: no
zone:
  name: "bench.test."
  zonefile: "bench.test.zone"
EOF
	nsd-checkconf "$work/nsd.conf" >&2 || fail "nsd-checkconf rejected $work/nsd.conf"
	launch nsd "${pin_client[@]}" nsd -d -c "$work/nsd.conf"
	wait_answer nsd "$port_nsd" "h$((zone_names - 1)).bench.test." "$(addr_of $((zone_names - 1)))" 300
	wait_answer nsd "$port_nsd" h0.bench.test. "$(addr_of 0)" 5
}

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
	cat >"$work/airlockd.json" <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": ${PORT[airlockd]}} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $port_nsd} ],
  "zones": [ {"name": "bench", "cidrs": ["127.0.0.0/8"]} ],
  "cache": {"size_mib": $BENCH_CACHE_MIB, "min_ttl": 0, "max_ttl": 86400, "max_negative_ttl": 3600},
  "timeouts": {"upstream_ms": 1000, "query_ms": 4000, "tcp_idle_ms": 10000, "upstream_holddown_ms": 5000},
  "threads": 1
}
EOF
	"$AIRLOCKD" -t -c "$work/airlockd.json" >"$work/airlockd.check.log" 2>&1 || {
		cat "$work/airlockd.check.log" >&2
		fail "airlockd -t rejected $work/airlockd.json (if the config schema changed, update start_airlockd in bench/run.sh)"
	}
	launch airlockd "${pin_server[@]}" "$AIRLOCKD" -c "$work/airlockd.json"
	wait_answer airlockd "${PORT[airlockd]}" ns1.bench.test. 127.0.0.53 15
}

# --- measurement helpers --------------------------------------------------------------

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# Writing 5 to clear_refs resets VmHWM to the current RSS, so the next VmHWM read is the
# peak of that workload alone. Without it (old kernel, no permission) VmHWM is the peak
# since start, and the report says so.
hwm_reset() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null; }

dnsperf_base() {
	local port=$1 file=$2
	local -a cmd=(dnsperf -s 127.0.0.1 -p "$port" -d "$file" -c "$BENCH_CLIENTS"
		-T "$BENCH_THREADS" -q "$BENCH_OUTSTANDING" -t "$BENCH_TIMEOUT")
	[[ -n $BENCH_QPS_LIMIT ]] && cmd+=(-Q "$BENCH_QPS_LIMIT")
	printf '%s\n' "${cmd[@]}"
}

summary_field() { awk -v k="$2" 'index($0, k) == 3 {print $NF; exit}' "$1"; }

# Per-query lines of dnsperf -v are "> RCODE name type seconds", or "> T name type" for
# a query that timed out. Prints: answered timeouts non_noerror mean_ms p99_ms
# p99 ranks all sent queries, so if more than 1% were lost it is "timeout".
latency_stats() {
	local file=$1 counts p99
	awk -v counts="$file.counts" '
		$1 == ">" && $2 == "T" { lost++; next }
		$1 == ">" && NF >= 5 {
			n++; if ($2 != "NOERROR") bad++
			sum += $NF; hist[int($NF * 1000000 + 0.5)]++
		}
		END {
			printf "%d %d %d %.3f\n", n, lost, bad, (n ? sum / n * 1000 : 0) > counts
			for (us in hist) print us, hist[us]
		}' "$file" >"$file.hist"
	counts=$(cat "$file.counts")
	p99=$(sort -n -k1,1 "$file.hist" | awk -v c="$counts" '
		BEGIN { split(c, t, " "); sent = t[1] + t[2]
			rank = int(0.99 * sent); if (rank < 0.99 * sent) rank++ }
		{ seen += $2; if (p99 == "" && seen >= rank) p99 = sprintf("%.3f", $1 / 1000) }
		END { print (p99 == "" ? "timeout" : p99) }')
	rm -f "$file.counts" "$file.hist"
	echo "$counts $p99"
}

declare -A R_QPS=() R_MEAN=() R_P99=() R_LOST=() R_BAD=() R_SENT=() R_CPU=() R_CPUQ=() R_HWM=() R_NOTE=()
tck=$(getconf CLK_TCK)
hwm_scope="workload"

# Runs one measured dnsperf pass of workload $2 against server $1 and records the row.
measure() {
	local name=$1 workload=$2 file=$3 pid port out c0 c1 sent qps runtime
	local answered lost bad mean p99
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
	c0=$(cpu_ticks "$pid")
	run_client "$out" "${pin_client[@]}" "${cmd[@]}" || fail "dnsperf exited $? against $name ($out)" "$name"
	c1=$(cpu_ticks "$pid")
	alive "$name" || fail "$name died during cache-$workload" "$name"
	R_HWM[$name/$workload]=$(status_kib "$pid" VmHWM)

	sent=$(summary_field "$out" "Queries sent:")
	qps=$(summary_field "$out" "Queries per second:")
	runtime=$(summary_field "$out" "Run time (s):")
	[[ -n $sent && -n $qps && -n $runtime ]] || fail "no dnsperf summary in $out" "$name"
	read -r answered lost bad mean p99 <<<"$(latency_stats "$out")"
	((answered > 0)) || fail "$name answered none of $sent cache-$workload queries" "$name"

	R_SENT[$name/$workload]=$sent
	R_QPS[$name/$workload]=$qps
	R_MEAN[$name/$workload]=$mean
	R_P99[$name/$workload]=$p99
	R_LOST[$name/$workload]=$lost
	R_BAD[$name/$workload]=$bad
	R_CPU[$name/$workload]=$(awk -v t=$((c1 - c0)) -v hz="$tck" -v s="$runtime" 'BEGIN {printf "%.0f", (s > 0 ? 100 * t / hz / s : 0)}')
	R_CPUQ[$name/$workload]=$(awk -v t=$((c1 - c0)) -v hz="$tck" -v n="$answered" 'BEGIN {printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0)}')
	if grep -q 'Testing complete (end of file)' "$out"; then
		R_NOTE[$name/$workload]="names ran out after ${runtime}s"
		warnings+=("$name cache-$workload used up its $miss_names cold names in ${runtime}s: raise BENCH_MISS_RATE_MAX")
	fi
	if awk -v l="$lost" -v b="$bad" -v s="$sent" 'BEGIN {exit !(l + b > 0.01 * s)}'; then
		warnings+=("$name cache-$workload: $lost lost and $bad non-NOERROR of $sent queries")
	fi
	say "$name cache-$workload: $(printf '%.0f' "$qps") q/s, mean $mean ms, p99 $p99 ms, lost $lost, non-NOERROR $bad"
	[[ $BENCH_KEEP == 1 ]] || rm -f "$out"
}

warm_up() {
	local name=$1 out=$work/dnsperf.$1.warmup.txt completed want
	local -a cmd
	mapfile -t cmd < <(dnsperf_base "${PORT[$name]}" "$work/hit.txt")
	cmd+=(-n "$BENCH_WARMUP_PASSES" -l 60)
	commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]}   # $name, warm-up")
	run_client "$out" "${pin_client[@]}" "${cmd[@]}" || fail "dnsperf warm-up exited $? against $name" "$name"
	completed=$(awk '/Queries completed:/ {print $3; exit}' "$out")
	want=$((BENCH_HIT_NAMES * BENCH_WARMUP_PASSES))
	[[ ${completed:-0} == "$want" ]] ||
		fail "$name answered ${completed:-0} of $want warm-up queries ($out)" "$name"
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

# CPU that other processes use before we start, in % of one core over 2 s: a busy
# machine (a build next door) skews every number, so the report says how quiet it was.
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
b0=$(busy_ticks)
sleep 2
b1=$(busy_ticks)
busy_before=$(((b1 - b0) * 100 / (2 * tck)))
if ((busy_before > 15)); then
	warnings+=("other processes used ${busy_before}% of one core just before the run: numbers may be skewed")
	say "warning: the machine is busy (${busy_before}% of one core in use before start)"
fi

t_start=$(date +%s)
say "work dir $work; pinning: $([[ $BENCH_PIN == 1 ]] && echo 'server CPU 1, dnsperf+NSD CPU 0' || echo off)"

say "writing bench.test. with $zone_names A records"
awk -v n="$zone_names" 'BEGIN {
	print "$ORIGIN bench.test."
	print "$TTL 3600"
	print "@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 900 604800 300"
	print "@ IN NS ns1.bench.test."
	print "ns1 IN A 127.0.0.53"
	for (i = 0; i < n; i++)
		printf "h%d IN A 127.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$work/bench.test.zone"

names() { awk -v a="$1" -v b="$2" 'BEGIN {for (i = a; i < b; i++) printf "h%d.bench.test. A\n", i}'; }
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a"}'; }
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
	if ((${#warnings[@]})); then
		echo
		echo "## Warnings"
		echo
		printf -- '- %s\n' "${warnings[@]}"
	fi
	echo
	echo "## Commands"
	echo
	echo '```'
	echo "${STARTCMD[nsd]}"
	for name in "${servers[@]}"; do
		echo "${STARTCMD[$name]}"
	done
	printf '%s\n' "${commands[@]}"
	echo '```'
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
