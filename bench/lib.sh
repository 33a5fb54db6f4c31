# bench/lib.sh: what the bench scripts (run.sh, querylog.sh, policy.sh, guard.sh)
# share: argument handling, defaults, settings checks, CPU pinning, the temp dir and its
# processes (started here, stopped by PID), the NSD upstream and its zone, airlockd's
# config, and dnsperf runs and their parsing.
# Sourced with the script's arguments, after it defines usage(); sets `top` (the repo).
# The caller sets the BENCH_* settings of its own,
# `port_nsd`, `zone_names` and the PORT map (server name -> port) before it calls
# start_nsd, warm_up or dnsperf_pass; the variables set here are read by the callers.
# shellcheck shell=bash disable=SC2034,SC2153,SC2154

# The script's arguments: none, or -h/--help for the caller's usage().
case "${1:-}" in
	"") ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
esac
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The settings every script has (each script's --help lists them); a script sets
# its own (BENCH_PORT_BASE, BENCH_ROUNDS, ...) after sourcing this file.
AIRLOCKD=${AIRLOCKD:-$top/build/src/airlockd}
# Started as root, airlockd must be told whom to run as; the bench's files are root's.
AS_USER=()
[[ $(id -u) -eq 0 ]] && AS_USER=(-u root)
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_HIT_NAMES=${BENCH_HIT_NAMES:-1000}
BENCH_WARMUP_PASSES=${BENCH_WARMUP_PASSES:-2}
BENCH_CACHE_MIB=${BENCH_CACHE_MIB:-64}
BENCH_CLIENTS=${BENCH_CLIENTS:-1}
BENCH_THREADS=${BENCH_THREADS:-1}
BENCH_OUTSTANDING=${BENCH_OUTSTANDING:-100}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-2}
BENCH_QPS_LIMIT=${BENCH_QPS_LIMIT:-}
BENCH_PIN=${BENCH_PIN:-auto}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_REPORT=${BENCH_REPORT:-}

say() { printf 'bench: %s\n' "$*" >&2; }
die_usage() { printf 'bench: %s\n' "$*" >&2; exit 2; }

# --- settings and tools ---------------------------------------------------------------

# Each named variable must hold a whole number >= 1.
check_counts() {
	local var val
	for var in "$@"; do
		val=${!var}
		[[ $val =~ ^[0-9]+$ && $val -ge 1 ]] ||
			die_usage "$var=\"$val\" is not a whole number >= 1"
	done
}

# BENCH_QPS_LIMIT and BENCH_PORT_BASE, which every script has.
check_common() {
	[[ -z $BENCH_QPS_LIMIT || $BENCH_QPS_LIMIT =~ ^[1-9][0-9]*$ ]] ||
		die_usage "BENCH_QPS_LIMIT=\"$BENCH_QPS_LIMIT\" is not a whole number >= 1 (or empty)"
	((BENCH_PORT_BASE >= 1024 && BENCH_PORT_BASE <= 65500)) ||
		die_usage "BENCH_PORT_BASE=$BENCH_PORT_BASE: expected 1024..65500"
}

# need_tools "apt-get hint" tool...
need_tools() {
	local hint=$1 tool
	local -a missing=()
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
	done
	if ((${#missing[@]})); then
		die_usage "missing: ${missing[*]} (Debian: apt-get install $hint)"
	fi
}

# Resolves BENCH_PIN (auto, 0, 1) and sets pin_client and pin_server: the server under
# test on CPU 1, dnsperf and NSD on CPU 0.
setup_pinning() {
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
}

check_ports_free() {
	local port
	command -v ss >/dev/null 2>&1 || return 0
	for port in "$@"; do
		if [[ -n $(ss -Hlnu "sport = :$port" 2>/dev/null) || -n $(ss -Hlnt "sport = :$port" 2>/dev/null) ]]; then
			die_usage "port $port is already in use on this machine: set BENCH_PORT_BASE"
		fi
	done
}

# --- processes: started here, stopped by PID -----------------------------------------

declare -A PID=()
declare -A LOG=()
declare -A STARTCMD=()
commands=()      # every command that shaped a number, for the report
warnings=()

# Makes the temp dir `work`; the EXIT trap stops every process in PID and removes it.
make_work() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench.XXXXXX")
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}

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

launch() {
	local name=$1
	shift
	LOG[$name]=$work/$name.log
	STARTCMD[$name]="$*"
	"$@" >"${LOG[$name]}" 2>&1 &
	PID[$name]=$!
}

# --- the upstream: NSD serving bench.test. --------------------------------------------

# hN.bench.test. has the address 127.x.y.z with x.y.z = N in base 256, so even answer
# data stays inside 127.0.0.0/8.
addr_of() { echo "127.$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"; }

# $work/bench.test.zone with h0 .. h(zone_names - 1).
write_zone() {
	awk -v n="$zone_names" 'BEGIN {
		print "$ORIGIN bench.test."
		print "$TTL 3600"
		print "@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 900 604800 300"
		print "@ IN NS ns1.bench.test."
		print "ns1 IN A 127.0.0.53"
		for (i = 0; i < n; i++)
			printf "h%d IN A 127.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
	}' >"$work/bench.test.zone"
}

# dnsperf input: hA .. h(B - 1), type A.
names() { awk -v a="$1" -v b="$2" 'BEGIN {for (i = a; i < b; i++) printf "h%d.bench.test. A\n", i}'; }

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

# --- airlockd --------------------------------------------------------------------------

# write_airlockd_config FILE PORT [LOG [EXTRA]]: one thread, forwarding to NSD, every
# 127/8 client in zone "bench". LOG, when given, is the JSON object for the "log" key;
# EXTRA, more top-level members ("key": value, ...). Every name is under bench.test, so
# the limit of upstream questions per domain is off (Unbound and dnsmasq have none).
write_airlockd_config() {
	local file=$1 port=$2 log=${3:-} extra=${4:-}
	{
		cat <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": $port} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $port_nsd} ],
  "zones": [ {"name": "bench", "cidrs": ["127.0.0.0/8"]} ],
  "cache": {"size_mib": $BENCH_CACHE_MIB, "min_ttl": 0, "max_ttl": 86400, "max_negative_ttl": 3600},
  "timeouts": {"upstream_ms": 1000, "query_ms": 4000, "tcp_idle_ms": 10000, "upstream_holddown_ms": 5000},
  "rate_limit": {"upstream_per_domain": 0},
EOF
		[[ -z $log ]] || echo "  \"log\": $log,"
		[[ -z $extra ]] || echo "  $extra,"
		cat <<EOF
  "threads": 1
}
EOF
	} >"$file"
}

# start_airlockd_as NAME CONFIG: checks the config with -t, starts airlockd on the server
# CPU and waits until it answers.
start_airlockd_as() {
	local name=$1 config=$2
	"$AIRLOCKD" -t -c "$config" >"$work/$name.check.log" 2>&1 || {
		cat "$work/$name.check.log" >&2
		fail "airlockd -t rejected $config (if the config schema changed, update write_airlockd_config in bench/lib.sh)"
	}
	launch "$name" "${pin_server[@]}" "$AIRLOCKD" -c "$config" "${AS_USER[@]}"
	wait_answer "$name" "${PORT[$name]}" ns1.bench.test. 127.0.0.53 15
}

# --- measurement helpers --------------------------------------------------------------

tck=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# CPU that other processes use before we start, in % of one core over 2 s: a busy
# machine (a build next door) skews every number, so the report says how quiet it was.
# Sets busy_before.
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
measure_busy() {
	local b0 b1
	b0=$(busy_ticks)
	sleep 2
	b1=$(busy_ticks)
	busy_before=$(((b1 - b0) * 100 / (2 * tck)))
	if ((busy_before > 15)); then
		warnings+=("other processes used ${busy_before}% of one core just before the run: numbers may be skewed")
		say "warning: the machine is busy (${busy_before}% of one core in use before start)"
	fi
}

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

# Busy ticks of one CPU, as busy_ticks.
cpu_busy_ticks() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

# dnsperf_pass NAME LABEL OUT CMD...: one measured dnsperf run (CMD must include -v)
# against server NAME, with the server's CPU time around it. Sets RUN_SENT RUN_QPS
# RUN_RUNTIME RUN_ANSWERED RUN_LOST RUN_BAD RUN_MEAN RUN_P99 RUN_CPU (% of one core),
# RUN_CPUQ (µs per answered query) and, with pinning, RUN_OTHER: % of the server's CPU
# that other processes used meanwhile ("n/a" without pinning).
dnsperf_pass() {
	local name=$1 label=$2 out=$3 pid c0 c1 s0=0 s1=0
	shift 3
	pid=${PID[$name]}
	[[ $BENCH_PIN == 1 ]] && s0=$(cpu_busy_ticks 1)
	c0=$(cpu_ticks "$pid")
	run_client "$out" "${pin_client[@]}" "$@" || fail "dnsperf exited $? against $name ($out)" "$name"
	c1=$(cpu_ticks "$pid")
	[[ $BENCH_PIN == 1 ]] && s1=$(cpu_busy_ticks 1)
	alive "$name" || fail "$name died during $label" "$name"
	RUN_SENT=$(summary_field "$out" "Queries sent:")
	RUN_QPS=$(summary_field "$out" "Queries per second:")
	RUN_RUNTIME=$(summary_field "$out" "Run time (s):")
	[[ -n $RUN_SENT && -n $RUN_QPS && -n $RUN_RUNTIME ]] || fail "no dnsperf summary in $out" "$name"
	read -r RUN_ANSWERED RUN_LOST RUN_BAD RUN_MEAN RUN_P99 <<<"$(latency_stats "$out")"
	((RUN_ANSWERED > 0)) || fail "$name answered none of $RUN_SENT $label queries" "$name"
	RUN_CPU=$(awk -v t=$((c1 - c0)) -v hz="$tck" -v s="$RUN_RUNTIME" 'BEGIN {printf "%.0f", (s > 0 ? 100 * t / hz / s : 0)}')
	RUN_CPUQ=$(awk -v t=$((c1 - c0)) -v hz="$tck" -v n="$RUN_ANSWERED" 'BEGIN {printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0)}')
	RUN_OTHER=n/a
	if [[ $BENCH_PIN == 1 ]]; then
		RUN_OTHER=$(awk -v t=$((s1 - s0 - (c1 - c0))) -v hz="$tck" -v s="$RUN_RUNTIME" 'BEGIN {if (t < 0) t = 0; printf "%.0f", (s > 0 ? 100 * t / hz / s : 0)}')
	fi
}

# BENCH_WARMUP_PASSES passes over $work/hit.txt; every query must be answered.
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

# --- alternating cache-hit rounds (policy.sh, guard.sh) --------------------------------

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# alternate_rounds SERVER...: BENCH_ROUNDS rounds, each one dnsperf run of
# BENCH_SECONDS over $work/hit.txt against every server in turn. Fills Q_QPS, Q_P99,
# Q_CPUQ and Q_OTHER (keys SERVER/ROUND) and warns when other processes shared the CPU.
declare -A Q_QPS=() Q_P99=() Q_CPUQ=() Q_OTHER=()
alternate_rounds() {
	local r name out
	local -a cmd
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		for name in "$@"; do
			out=$work/dnsperf.$name.$r.txt
			mapfile -t cmd < <(dnsperf_base "${PORT[$name]}" "$work/hit.txt")
			cmd+=(-l "$BENCH_SECONDS" -v)
			commands+=("${pin_client[*]}${pin_client[*]:+ }${cmd[*]} > dnsperf.$name.$r.txt   # $name, round $r")
			dnsperf_pass "$name" "round $r" "$out" "${cmd[@]}"
			Q_QPS[$name/$r]=$RUN_QPS Q_P99[$name/$r]=$RUN_P99 Q_CPUQ[$name/$r]=$RUN_CPUQ Q_OTHER[$name/$r]=$RUN_OTHER
			if [[ $RUN_OTHER != n/a ]] && ((RUN_OTHER > 10)); then
				warnings+=("$name round $r: other processes used ${RUN_OTHER}% of the server CPU meanwhile")
			fi
			say "round $r, $name: $(printf '%.0f' "$RUN_QPS") q/s, p99 $RUN_P99 ms, CPU $RUN_CPUQ µs/query"
			[[ $BENCH_KEEP == 1 ]] || rm -f "$out"
		done
	done
}

# median_qps SERVER: the median of its rounds' QPS.
median_qps() {
	local r
	local -a v=()
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do v+=("${Q_QPS[$1/$r]}"); done
	median "${v[@]}"
}

# setup_pair A B: pinning, NSD on BENCH_PORT_BASE with BENCH_HIT_NAMES names, servers A
# and B on the next two ports (checked free), and the work dir.
declare -A PORT=()
setup_pair() {
	setup_pinning
	zone_names=$BENCH_HIT_NAMES
	port_nsd=$BENCH_PORT_BASE
	PORT=([$1]=$((BENCH_PORT_BASE + 1)) [$2]=$((BENCH_PORT_BASE + 2)))
	servers=("$1" "$2")
	check_ports_free "$port_nsd" "${PORT[@]}"
	make_work
}

# report_commands [LINE...]: the report's Warnings (if any) and Commands sections: how
# every server was started and every dnsperf command, then LINEs.
report_commands() {
	local name
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
	(($#)) && printf '%s\n' "$@"
	echo '```'
}
