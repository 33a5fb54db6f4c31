#!/usr/bin/env bash
# bench/flows.sh: what `airlock flows` sustains on one core.  A query log with
# BENCH_ANSWERS A answers (BENCH_NAMES names, 250 clients of one zone, one hour) and an AWS
# version 2 flow file of BENCH_FLOWS records over the same hour whose destinations
# are those answers (BENCH_UNEXPLAINED of them random, for no_dns_answer findings)
# are generated, then `airlock flows --no-write` reads the file three times:
#   - "judged": the bench config's zones and rules (every flow correlated and judged);
#   - "parsed": a config whose zones hold none of the sources and a log without
#     answers (read and parsed only).
# Reported: records/s (median of BENCH_ROUNDS) and peak RSS.  No network traffic.

set -euo pipefail

usage() {
	cat <<'EOF2'
usage: bench/flows.sh          (settings come from the environment)

  AIRLOCK=PATH              airlock binary (default: build/src/airlock under the repo top)
  BENCH_FLOWS=1000000       AWS flow records in the file
  BENCH_ANSWERS=1000000     A answers in the query log
  BENCH_NAMES=100000        distinct names (and addresses) among them
  BENCH_UNEXPLAINED=1       percent of flows to addresses no answer explains
  BENCH_ROUNDS=3            runs of each kind
  BENCH_PIN=auto            1: the reader on CPU 1; 0: no pinning
  BENCH_KEEP=0              1: keep the temp dir
  BENCH_REPORT=FILE         also write the Markdown report to FILE

Progress goes to stderr, the Markdown report to stdout.
EOF2
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

AIRLOCK=${AIRLOCK:-$top/build/src/airlock}
BENCH_FLOWS=${BENCH_FLOWS:-1000000}
BENCH_ANSWERS=${BENCH_ANSWERS:-1000000}
BENCH_NAMES=${BENCH_NAMES:-100000}
BENCH_UNEXPLAINED=${BENCH_UNEXPLAINED:-1}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
check_counts BENCH_FLOWS BENCH_ANSWERS BENCH_NAMES BENCH_ROUNDS
[[ $BENCH_UNEXPLAINED =~ ^[0-9]+$ && $BENCH_UNEXPLAINED -le 100 ]] ||
	die_usage "BENCH_UNEXPLAINED=$BENCH_UNEXPLAINED: expected a percentage 0..100"
[[ -x $AIRLOCK ]] || die_usage "no airlock binary at $AIRLOCK (set AIRLOCK)"
need_tools "apt-get install python3 time" python3 /usr/bin/time
pin=()
if [[ $BENCH_PIN == 1 || ($BENCH_PIN == auto && $(nproc) -ge 2) ]]; then
	pin=(taskset -c 1)
fi
make_work

T0=1795514400 # 2026-11-24T10:00:00Z
cat >"$work/bench.json" <<EOF2
{
  "listen": [ {"address": "10.0.4.53", "port": 53} ],
  "upstreams": [ {"address": "169.254.169.253", "port": 53} ],
  "zones": [
    {"name": "application", "cidrs": ["10.0.1.0/24"], "ai": "deny"},
    {"name": "inference", "cidrs": ["10.0.2.0/24"], "names": "internal-only"},
    {"name": "data", "cidrs": ["10.0.3.0/24"], "ai": "deny", "names": "internal-only"}
  ],
  "endpoints": {"private_cidrs": ["10.0.2.0/27"]},
  "log": {"path": "$work/log.db"},
  "rules": [
    {"id": "NET-001", "from": "application", "to": "inference", "proto": "https", "action": "allow"},
    {"id": "NET-005", "from": "application", "to": "internet", "proto": "https", "action": "allow"},
    {"id": "NET-010", "from": "application", "to": "external_ai", "action": "deny"},
    {"id": "NET-012", "from": "inference", "to": "internet", "action": "deny"}
  ]
}
EOF2
sed -e 's/"10\.0\.1\.0\/24"/"10.99.1.0\/24"/' -e "s|$work/log.db|$work/empty.db|" "$work/bench.json" >"$work/parse-only.json"

say "generating the query log ($BENCH_ANSWERS answers) and $BENCH_FLOWS flows"
"$AIRLOCK" seen import /dev/null --db "$work/log.db" >/dev/null
"$AIRLOCK" seen import /dev/null --db "$work/empty.db" >/dev/null
python3 - "$work/log.db" "$work/flows.log" "$BENCH_ANSWERS" "$BENCH_NAMES" "$BENCH_FLOWS" \
	"$BENCH_UNEXPLAINED" "$T0" <<'PY'
import random, sqlite3, sys
db, flows, n_ans, n_names, n_flows, unexplained, t0 = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
random.seed(7)
clients = ["10.0.1.%d" % (i + 1) for i in range(250)]
def addr(i): return "198.%d.%d.%d" % (18 + i // 65536 % 2, i // 256 % 256, i % 256)
con = sqlite3.connect(db)
con.execute("PRAGMA synchronous=OFF")
rows_q, rows_a = [], []
for i in range(n_ans):
    ts = (t0 * 1000000) + i * (3600 * 1000000 // n_ans)
    n = random.randrange(n_names)
    rows_q.append((i + 1, ts, random.choice(clients), 40000, "application", "udp", "host-%d.example.com." % n,
                   1, 0, "upstream", "", "10.0.4.1#53", 900))
    rows_a.append((i + 1, "host-%d.example.com." % n, 1, addr(n), 300))
con.executemany("INSERT INTO queries (id, ts_us, client, client_port, zone, transport, qname, qtype, rcode,"
                " action, reason, upstream, latency_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows_q)
con.executemany("INSERT INTO answers (query_id, name, type, data, ttl) VALUES (?,?,?,?,?)", rows_a)
con.commit()
# Each flow follows one of the answers by up to two minutes; the file is in time
# order, as the service writes it (one aggregation interval after another).
out = []
for i in range(n_flows):
    k = random.randrange(n_ans)
    q, a = rows_q[k], rows_a[k]
    start = q[1] // 1000000 + random.randrange(0, 120)
    dst = a[3] if random.randrange(100) >= unexplained else "203.0.%d.%d" % (random.randrange(256), random.randrange(1, 255))
    out.append((start, "2 123456789012 eni-0a1b2c3d4e5f6a7b8 %s %s %d 443 6 %d %d %d %d ACCEPT OK\n" % (
        q[2], dst, random.randrange(32768, 61000), random.randrange(1, 100), random.randrange(100, 100000),
        start, start + 60)))
out.sort(key=lambda r: r[0])
with open(flows, "w") as f:
    f.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
    f.writelines(line for _, line in out)
PY

# run KIND CONFIG: one timed run; prints "seconds rss_kib findings".
run() {
	local cfg=$1 out=$work/run.err
	"${pin[@]}" /usr/bin/time -f '%e %M' -o "$work/time" "$AIRLOCK" flows -c "$cfg" --no-write --json \
		"$work/flows.log" >"$work/findings.json" 2>"$out" || [[ $? == 1 ]] ||
		{ cat "$out" >&2; fail "airlock flows failed"; }
	grep -q " $BENCH_FLOWS flows," "$out" || { cat "$out" >&2; fail "not every flow was read"; }
	echo "$(tail -n 1 "$work/time") $(wc -l <"$work/findings.json")"
}

declare -A secs=() rss=() found=()
for kind in judged parsed; do
	cfg=$work/bench.json
	[[ $kind == parsed ]] && cfg=$work/parse-only.json
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		read -r s m f < <(run "$cfg")
		say "$kind round $r: ${s}s, peak ${m} KiB, $f findings"
		secs[$kind]+="$s " rss[$kind]+="$m " found[$kind]=$f
	done
done
commands+=("AIRLOCK=$AIRLOCK BENCH_FLOWS=$BENCH_FLOWS BENCH_ANSWERS=$BENCH_ANSWERS BENCH_NAMES=$BENCH_NAMES BENCH_UNEXPLAINED=$BENCH_UNEXPLAINED bench/flows.sh"
	"${pin[*]} airlock flows -c bench.json --no-write --json flows.log      # judged"
	"${pin[*]} airlock flows -c parse-only.json --no-write --json flows.log # parsed")

rate() { awk -v n="$BENCH_FLOWS" -v s="$1" 'BEGIN {printf "%.0f", (s > 0) ? n / s : 0}'; }
{
	echo "# airlock flows: records per second"
	echo
	echo "$BENCH_FLOWS AWS v2 records ($(du -m "$work/flows.log" | cut -f1) MB), $BENCH_ANSWERS answers of $BENCH_NAMES names in the log, $BENCH_UNEXPLAINED % unexplained."
	echo
	echo "| Run | Seconds (rounds) | Records/s (median) | Peak RSS MiB (max) | Findings |"
	echo "| --- | --- | ---: | ---: | ---: |"
	for kind in judged parsed; do
		# shellcheck disable=SC2086
		med=$(printf '%s\n' ${secs[$kind]} | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
		# shellcheck disable=SC2086
		maxrss=$(printf '%s\n' ${rss[$kind]} | sort -g | tail -n 1)
		echo "| $kind | ${secs[$kind]% } | $(rate "$med") | $(mib "$maxrss") | ${found[$kind]} |"
	done
	echo
	echo "## Commands"
	echo
	echo '```'
	printf '%s\n' "${commands[@]}"
	echo '```'
} | if [[ -n $BENCH_REPORT ]]; then tee "$BENCH_REPORT"; else cat; fi
