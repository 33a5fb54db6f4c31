#!/usr/bin/env bash
# bench/real-tunnels.sh: the tunnel detector against the real tools, not the generator's
# imitations.  iodine (iodined) and dns2tcp (dns2tcpd) serve test domains on loopback;
# their clients resolve through a real airlockd whose zone holds them.  A first run with
# tunnel.action "alert" lets every tunnel come up and counts the queries and name bytes
# that reached airlockd before its first verdict; a second run with "block" shows
# whether the tunnel comes up and what got through.  One session of each tool is also
# captured without airlockd and replayed through it.  The benign generator stream goes
# through the same airlockd in each run for the false-positive side.  Prints a Markdown
# report.  See bench/README.md and docs/DETECTION.md ("Real tools").
#
# Everything runs in two network namespaces made here and deleted on exit: "S" holds
# only its loopback (airlockd on 127.0.0.1:53, since the tools' clients only talk to
# port 53; the fake upstream, the tools' servers, the clients), "T" holds only the tun
# device of iodined, moved there so that the client's tunnel traffic really crosses
# the tunnel (10.53.0.0/27 exists only between the two tun devices).  Nothing reaches
# the host's network.  Needs root (namespaces, tun).

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/real-tunnels.sh   (as root; settings come from the environment)

  AIRLOCKD=PATH            airlockd binary (default: build/src/airlockd under the repo top)
  BENCH_RT_BYTES=16384     random bytes each tunnel is asked to carry (TCP through it)
  BENCH_RT_UP_S=10         seconds a client gets to bring its tunnel up
  BENCH_RT_DATA_S=15       seconds the transfer gets once the tunnel is up
  BENCH_RT_BENIGN=20000    queries of the benign generator stream (tests/traffic/gen.py)
  BENCH_RT_MODES="..."     iodine modes to run, names from the list below (default: all)
  BENCH_RT_RUNS="alert block"  which runs to make
  BENCH_KEEP=0             1: keep the temp dir (configs, logs, query-log databases)
  BENCH_REPORT=FILE        also write the Markdown report to FILE

iodine modes (all with -I1, a query at least every second; all but null-tryraw with -r,
no attempt at raw UDP mode):
  null          -T NULL                 txt-base32    -T TXT -O base32
  txt-base64    -T TXT -O base64        txt-base128   -T TXT -O base128
  txt-raw       -T TXT -O raw           cname-base32  -T CNAME -O base32
  mx-base64u    -T MX -O base64u        null-tryraw   -T NULL, without -r
dns2tcp: live through airlockd (dns2tcpc -l PORT, resource "sink").
Captures: one iodine (-r -T NULL) and one dns2tcp session with a recording relay as the
nameserver instead of airlockd (the client's own spelling: airlockd forwards names in
lower case, which decides iodine's codec and breaks dns2tcp), replayed through airlockd
at the captured rate in each run.

Needs (Debian): iodine dns2tcp iproute2 bind9-dnsutils python3-dnspython.
Progress goes to stderr, the Markdown report to stdout.
Exit 0: done (the figures are reported, not judged); 1: something failed to start or
the set-up broke; 2: bad setting, missing package or not root.
EOF
}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

BENCH_RT_BYTES=${BENCH_RT_BYTES:-16384}
BENCH_RT_UP_S=${BENCH_RT_UP_S:-10}
BENCH_RT_DATA_S=${BENCH_RT_DATA_S:-15}
BENCH_RT_BENIGN=${BENCH_RT_BENIGN:-20000}
BENCH_RT_RUNS=${BENCH_RT_RUNS:-alert block}
PY=/usr/bin/python3

declare -A MODE_OPTS=(
	[null]="-r -T NULL"
	[txt-base32]="-r -T TXT -O base32"
	[txt-base64]="-r -T TXT -O base64"
	[txt-base128]="-r -T TXT -O base128"
	[txt-raw]="-r -T TXT -O raw"
	[cname-base32]="-r -T CNAME -O base32"
	[mx-base64u]="-r -T MX -O base64u"
	[null-tryraw]="-T NULL"
)
ALL_MODES="null txt-base32 txt-base64 txt-base128 txt-raw cname-base32 mx-base64u null-tryraw"
BENCH_RT_MODES=${BENCH_RT_MODES:-$ALL_MODES}

check_counts BENCH_RT_BYTES BENCH_RT_UP_S BENCH_RT_DATA_S BENCH_RT_BENIGN
for m in $BENCH_RT_MODES; do
	[[ -n ${MODE_OPTS[$m]:-} ]] || die_usage "BENCH_RT_MODES: unknown mode \"$m\" (expected some of: $ALL_MODES)"
done
for r in $BENCH_RT_RUNS; do
	[[ $r == alert || $r == block ]] || die_usage "BENCH_RT_RUNS: \"$r\" is neither alert nor block"
done

# Each missing tool names its Debian package.
need_packages() {
	local pair tool pkg pkgs=""
	local -a missing=()
	for pair in iodine:iodine iodined:iodine dns2tcpc:dns2tcp dns2tcpd:dns2tcp \
		ip:iproute2 ss:iproute2 dig:bind9-dnsutils; do
		tool=${pair%%:*} pkg=${pair#*:}
		if ! command -v "$tool" >/dev/null 2>&1; then
			missing+=("$tool (Debian package $pkg)")
			[[ " $pkgs " == *" $pkg "* ]] || pkgs="$pkgs $pkg"
		fi
	done
	if [[ ! -x $PY ]]; then
		missing+=("$PY (Debian package python3)")
		pkgs="$pkgs python3 python3-dnspython"
	elif ! "$PY" -c 'import dns.message, sqlite3' 2>/dev/null; then
		missing+=("dnspython for $PY (Debian package python3-dnspython)")
		pkgs="$pkgs python3-dnspython"
	fi
	if ((${#missing[@]})); then
		printf 'bench: missing: %s\n' "${missing[@]}" >&2
		die_usage "install them: apt-get install -y$pkgs"
	fi
}
need_packages
(($(id -u) == 0)) || die_usage "must run as root (network namespaces and tun devices)"
[[ -c /dev/net/tun ]] || die_usage "/dev/net/tun is missing (iodine needs a tun device)"
[[ -x $AIRLOCKD ]] || { say "airlockd not found or not executable at $AIRLOCKD"; exit 1; }

NS_S=alrt-rt-$$
NS_T=alrt-rt-$$-t
ns_made=()
make_work
rt_cleanup() {
	local ns
	cleanup
	for ns in "${ns_made[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap rt_cleanup EXIT

# Prefixes that run a command in S or T.  Used as words, not functions, so that launch
# records the command's own PID (ip netns exec execs it).
NSX_S=(ip netns exec "$NS_S")
NSX_T=(ip netns exec "$NS_T")
in_s() { "${NSX_S[@]}" "$@"; }

TRAFFIC=$top/tests/traffic
PW=airlock-bench
TUN_NET=10.53.0.1/27
TUN_SERVER=10.53.0.1
PORT_FAKE=5300 PORT_IODINED=5301 PORT_D2T=5302 PORT_D2C=5303
PORT_SINK=7000 PORT_D2T_SINK=7001 PORT_D2T_LOCAL=7002 PORT_D2C_LOCAL=7003
SRC_BENIGN=127.0.2.5 SRC_CAP_D2T=127.0.3.5 SRC_CAP_IODINE=127.0.3.6

# --- helpers in Python: the TCP sink and sender, the recording relay, the analysis -----

cat >"$work/rt.py" <<'PYEOF'
"""Helpers of bench/real-tunnels.sh; every address given is checked by the caller."""
import hashlib, json, os, select, signal, socket, sqlite3, sys, time

import dns.message, dns.name, dns.rdatatype


def sink(addr, port, nbytes, timeout, out):
    """Accepts one TCP connection, reads nbytes (or until EOF or timeout), writes
    {"received", "sha256", "seconds"} to out, closes."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    s.settimeout(float(timeout))
    h, n, t0 = hashlib.sha256(), 0, time.time()
    try:
        c, _ = s.accept()
        t0 = time.time()
        c.settimeout(float(timeout))
        while n < int(nbytes):
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.close()
    except OSError:
        pass
    with open(out + ".tmp", "w") as f:
        json.dump({"received": n, "sha256": h.hexdigest(), "seconds": round(time.time() - t0, 2)}, f)
    os.rename(out + ".tmp", out)


def send(addr, port, nbytes, timeout, sink_out):
    """Sends nbytes of random data, then waits until the sink has written its result,
    or the peer has closed (then 2 s more), or timeout.  Prints what it sent."""
    data = os.urandom(int(nbytes))
    t0, deadline, err = time.time(), time.time() + float(timeout), ""
    try:
        c = socket.create_connection((addr, int(port)), timeout=float(timeout))
        c.sendall(data)
        c.setblocking(False)
        while time.time() < deadline and not os.path.exists(sink_out):
            r, _, _ = select.select([c], [], [], 0.2)
            if r and not c.recv(65536):
                err = "closed by the peer"
                deadline = min(deadline, time.time() + 2)
                break
    except OSError as e:
        err = str(e)
        deadline = min(deadline, time.time() + 2)
    while time.time() < deadline and not os.path.exists(sink_out):
        time.sleep(0.2)
    print(json.dumps({"sent": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "seconds": round(time.time() - t0, 2), "error": err}))


def relay(addr, port, up_port, out):
    """UDP relay addr:port -> 127.0.0.1:up_port that writes every query as
    "NAME TYPE" (the client's spelling) to out, and its arrival time to out.times."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", int(up_port)))
    pending = {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out, "w") as f, open(out + ".times", "w") as ft:
        while True:
            r, _, _ = select.select([s, u], [], [])
            if s in r:
                data, peer = s.recvfrom(65535)
                try:
                    q = dns.message.from_wire(data)
                    qq = q.question[0]
                    f.write("%s %s\n" % (qq.name.to_text(), dns.rdatatype.to_text(qq.rdtype)))
                    ft.write("%.6f\n" % time.time())
                    f.flush()
                    ft.flush()
                except Exception:
                    pass
                pending[data[:2]] = peer
                u.send(data)
            if u in r:
                data = u.recv(65535)
                peer = pending.pop(data[:2], None)
                if peer:
                    s.sendto(data, peer)


def sub_len(qname):
    """Characters below the registered domain (the last two labels of the bench's
    X.example domains), dots not counted: the detector's sub_len."""
    labels = dns.name.from_text(qname).labels
    return sum(len(l) for l in labels[:-3])


def longest(qname):
    labels = dns.name.from_text(qname).labels[:-3]
    return max((len(l) for l in labels), default=0)


def analyze(db, client, domain):
    """One tunnel session in a query log: the queries from client under domain."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute(
        "SELECT id, ts_us, qname, qtype, rcode, action, reason FROM queries "
        "WHERE client = ? AND (qname = ? OR qname LIKE ?) ORDER BY ts_us, id",
        (client, domain + ".", "%." + domain + ".")).fetchall()
    inc = con.execute(
        "SELECT kind, detail, query_id FROM incidents WHERE kind IN "
        "('tunnel_suspected', 'tunnel_blocked') AND client = ? AND "
        "json_extract(detail, '$.domain') = ? ORDER BY ts_us, id",
        (client, domain + ".")).fetchall()
    out = {"domain": domain, "queries": len(rows), "incidents": len(inc)}
    sizes = [sub_len(r[2]) for r in rows]
    out["bytes"] = sum(sizes)
    out["forwarded"] = sum(1 for r in rows if r[5] in ("upstream", "failed"))
    out["blocked"] = sum(1 for r in rows if r[5] == "blocked")
    out["failed"] = sum(1 for r in rows if r[5] == "failed")
    out["types"] = {}
    for r in rows:
        t = dns.rdatatype.to_text(r[3])
        out["types"][t] = out["types"].get(t, 0) + 1
    first = None
    if inc:
        kind, detail, qid = inc[0]
        d = json.loads(detail)
        idx = next((i for i, r in enumerate(rows) if r[0] == qid), None)
        first = {"kind": kind, "index": idx, "score": d.get("score"), "points": d.get("points"),
                 "features": d.get("features"), "qname": rows[idx][2] if idx is not None else "",
                 "qtype": dns.rdatatype.to_text(rows[idx][3]) if idx is not None else ""}
        if idx is not None:
            first["bytes_before"] = sum(sizes[:idx])
    out["first_verdict"] = first
    fb = next((i for i, r in enumerate(rows) if r[5] == "blocked"), None)
    out["first_blocked"] = fb
    fwd = [i for i, r in enumerate(rows) if r[5] in ("upstream", "failed")]
    out["fwd_bytes"] = sum(sizes[i] for i in fwd)
    if fb is not None:
        out["fwd_bytes_before_block"] = sum(sizes[i] for i in fwd if i < fb)
        after = [i for i in fwd if i > fb]
        out["fwd_after_block"] = len(after)
        out["fwd_bytes_after_block"] = sum(sizes[i] for i in after)
        out["fwd_after_block_longest"] = max((longest(rows[i][2]) for i in after), default=0)
        seen, samples = set(), []
        for i in after:  # a few of each (type, longest label) pair
            key = (rows[i][3], longest(rows[i][2]))
            if key in seen:
                continue
            seen.add(key)
            samples.append("%s %s (%d below the domain, longest label %d)" % (
                rows[i][2], dns.rdatatype.to_text(rows[i][3]), sizes[i], key[1]))
        out["fwd_after_block_samples"] = samples[:6]
    print(json.dumps(out))


def benign(db, client):
    """The benign stream's distinct names and those the detector blocked."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    names = {r[0] for r in con.execute("SELECT qname FROM queries WHERE client = ?", (client,))}
    blocked = sorted({r[0] for r in con.execute(
        "SELECT qname FROM queries WHERE client = ? AND action = 'blocked' AND reason LIKE 'tunnel%'",
        (client,))})
    inc = con.execute(
        "SELECT kind, json_extract(detail, '$.domain'), json_extract(detail, '$.score'), name "
        "FROM incidents WHERE client = ? AND kind IN ('tunnel_suspected', 'tunnel_blocked') "
        "ORDER BY ts_us", (client,)).fetchall()
    print(json.dumps({"distinct": len(names), "queries": con.execute(
        "SELECT count(*) FROM queries WHERE client = ?", (client,)).fetchone()[0],
        "blocked_distinct": len(blocked), "blocked_names": blocked[:10],
        "incidents": [{"kind": k, "domain": d, "score": s, "name": n} for k, d, s, n in inc]}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"sink": sink, "send": send, "relay": relay, "analyze": analyze, "benign": benign}[cmd](*args)
PYEOF

# --- the namespaces and the servers ---------------------------------------------------

make_namespaces() {
	local ns
	for ns in "$NS_S" "$NS_T"; do
		ip netns add "$ns" || fail "ip netns add $ns failed"
		ns_made+=("$ns")
		ip -n "$ns" link set lo up
	done
}

# wait_for NAME SECONDS COMMAND...: until COMMAND succeeds, while NAME runs.
wait_for() {
	local name=$1 limit=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		alive "$name" || return 1
		sleep 0.1
	done
	return 1
}

udp_bound() { [[ -n $(ip netns exec "$NS_S" ss -Hlnu "sport = :$1") ]]; }

start_fake() {
	launch fake "${NSX_S[@]}" "$PY" "$top/tests/fakes/fake_upstream.py" --addr 127.0.0.1 --port "$PORT_FAKE" \
		--answer-a 10.0.2.10 --answer-aaaa fd00:2::10 --pidfile "$work/fake.pid"
	wait_for fake 10 test -s "$work/fake.pid" || fail "the fake upstream did not start" fake
}

# airlockd_config RUN: forward each iodine mode's domain to iodined and d2t.example to
# dns2tcpd; everything else (the benign stream, the replayed captures) to the fake.
airlockd_config() {
	local run=$1 m fwd="" i=0
	for m in $BENCH_RT_MODES; do
		i=$((i + 1))
		fwd+="    {\"suffix\": \"$(mode_domain "$i")\", \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": $PORT_IODINED}]},"$'\n'
	done
	cat <<EOF
{
  "listen": [ {"address": "127.0.0.1", "port": 53} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $PORT_FAKE} ],
  "forward": [
$fwd    {"suffix": "d2t.example", "upstreams": [{"address": "127.0.0.1", "port": $PORT_D2T}]}
  ],
  "zones": [ {"name": "rt", "cidrs": ["127.0.0.0/8"], "public_ai": "allow",
              "tunnel": {"action": "$run"}} ],
  "endpoints": {"private_cidrs": ["10.0.0.0/8", "fd00::/8"]},
  "guard": {"allow_lists": ["$top/zones/guard-allow.txt"]},
  "timeouts": {"upstream_ms": 4000, "query_ms": 8000},
  "log": {"path": "$work/log-$run.db"},
  "threads": 1
}
EOF
}

mode_domain() { printf 'io%02d.example' "$1"; }

start_airlockd() {
	local run=$1
	airlockd_config "$run" >"$work/airlockd-$run.json"
	"$AIRLOCKD" -t -c "$work/airlockd-$run.json" >"$work/airlockd-$run.check" 2>&1 ||
		{ cat "$work/airlockd-$run.check" >&2; fail "airlockd -t rejected $work/airlockd-$run.json"; }
	launch "airlockd-$run" "${NSX_S[@]}" "$AIRLOCKD" -c "$work/airlockd-$run.json" "${AS_USER[@]}"
	wait_for "airlockd-$run" 10 in_s dig +short +tries=1 +time=1 -p 53 @127.0.0.1 \
		ready.airlock-bench.example A ||
		fail "airlockd ($run) did not answer on 127.0.0.1:53 in $NS_S" "airlockd-$run"
}

# stop_airlockd RUN: SIGTERM, so that it writes what its log still queues.
stop_airlockd() {
	stop_server "airlockd-$1"
}

# --- one iodine session -----------------------------------------------------------------

declare -A UP=() DATA=() DUR=()

# iodine_session TAG TOPDOM NAMESERVER OPTION...: iodined (its tun device moved to T)
# for TOPDOM, the TCP sink behind it, the iodine client through NAMESERVER:53, and
# BENCH_RT_BYTES pushed through the tunnel once the client says it is set up.
iodine_session() {
	local tag=$1 topdom=$2 ns=$3 t0 sinkout
	shift 3
	sinkout=$work/sink-$tag.json
	t0=$(date +%s)
	say "$tag: iodine $* under $topdom"
	# -s: iodined opens its tun device but leaves it alone; it is moved to T and
	# configured there.
	launch "iodined-$tag" "${NSX_S[@]}" iodined -f -s -l 127.0.0.1 -p "$PORT_IODINED" -P "$PW" \
		-d alrtsrv0 "$TUN_NET" "$topdom"
	wait_for "iodined-$tag" 10 udp_bound "$PORT_IODINED" || fail "iodined did not start" "iodined-$tag"
	ip -n "$NS_S" link set alrtsrv0 netns "$NS_T" || fail "could not move iodined's tun device" "iodined-$tag"
	ip -n "$NS_T" addr add "$TUN_NET" dev alrtsrv0
	ip -n "$NS_T" link set alrtsrv0 mtu 1130 up
	launch "sink-$tag" "${NSX_T[@]}" "$PY" "$work/rt.py" sink "$TUN_SERVER" "$PORT_SINK" "$BENCH_RT_BYTES" \
		$((BENCH_RT_UP_S + BENCH_RT_DATA_S)) "$sinkout"
	launch "iodine-$tag" "${NSX_S[@]}" iodine -f "$@" -I1 -P "$PW" -d alrtcli0 "$ns" "$topdom"
	commands+=("iodine -f $* -I1 -P $PW -d alrtcli0 $ns $topdom   # $tag")
	UP[$tag]=no
	DATA[$tag]=0
	if wait_for "iodine-$tag" "$BENCH_RT_UP_S" grep -q 'Connection setup complete' "${LOG[iodine-$tag]}"; then
		UP[$tag]=yes
		in_s "$PY" "$work/rt.py" send "$TUN_SERVER" "$PORT_SINK" "$BENCH_RT_BYTES" "$BENCH_RT_DATA_S" \
			"$sinkout" >"$work/send-$tag.json" 2>&1 || true
	fi
	stop_server "iodine-$tag"
	stop_server "sink-$tag"
	stop_server "iodined-$tag"
	if [[ -s $sinkout ]]; then
		DATA[$tag]=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$sinkout")
	fi
	DUR[$tag]=$(($(date +%s) - t0))
	say "$tag: set up ${UP[$tag]}, ${DATA[$tag]} of $BENCH_RT_BYTES bytes through, ${DUR[$tag]}s"
}

# --- dns2tcp ----------------------------------------------------------------------------

# dns2tcp_session TAG DOMAIN SERVER_PORT NAMESERVER LOCAL_PORT: dns2tcpd for DOMAIN
# with one resource "sink" (the TCP sink on 127.0.0.1), dns2tcpc through NAMESERVER:53,
# the payload pushed into dns2tcpc's local port.
dns2tcp_session() {
	local tag=$1 domain=$2 sport=$3 ns=$4 lport=$5 sinkout t0
	sinkout=$work/sink-$tag.json
	t0=$(date +%s)
	printf 'listen = 127.0.0.1\nport = %s\ndomain = %s\nresources = sink:127.0.0.1:%s\n' \
		"$sport" "$domain" "$PORT_D2T_SINK" >"$work/dns2tcpd-$tag.conf"
	launch "dns2tcpd-$tag" "${NSX_S[@]}" dns2tcpd -F -f "$work/dns2tcpd-$tag.conf"
	wait_for "dns2tcpd-$tag" 10 udp_bound "$sport" || fail "dns2tcpd did not start" "dns2tcpd-$tag"
	launch "sink-$tag" "${NSX_S[@]}" "$PY" "$work/rt.py" sink 127.0.0.1 "$PORT_D2T_SINK" "$BENCH_RT_BYTES" \
		$((BENCH_RT_UP_S + BENCH_RT_DATA_S)) "$sinkout"
	launch "dns2tcpc-$tag" "${NSX_S[@]}" dns2tcpc -z "$domain" -r sink -l "$lport" "$ns"
	commands+=("dns2tcpc -z $domain -r sink -l $lport $ns   # $tag")
	UP[$tag]=no
	DATA[$tag]=0
	if wait_for "dns2tcpc-$tag" 10 grep -q 'Listening on port' "${LOG[dns2tcpc-$tag]}"; then
		in_s "$PY" "$work/rt.py" send 127.0.0.1 "$lport" "$BENCH_RT_BYTES" "$BENCH_RT_DATA_S" \
			"$sinkout" >"$work/send-$tag.json" 2>&1 || true
	fi
	if grep -q '^Error : ' "${LOG[dns2tcpc-$tag]}"; then
		UP[$tag]="no ($(sed -n 's/^Error : //p' "${LOG[dns2tcpc-$tag]}" | head -n 1))"
	fi
	stop_server "dns2tcpc-$tag"
	stop_server "sink-$tag"
	stop_server "dns2tcpd-$tag"
	if [[ -s $sinkout ]]; then
		DATA[$tag]=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$sinkout")
		if ((DATA[$tag] > 0)); then UP[$tag]=yes; fi
	fi
	DUR[$tag]=$(($(date +%s) - t0))
	say "$tag: up ${UP[$tag]}, ${DATA[$tag]} of $BENCH_RT_BYTES bytes through, ${DUR[$tag]}s"
}

# capture KIND: one session of the tool with the recording relay on 127.0.0.3:53 as its
# nameserver and the tool's server behind it, no airlockd: what the client sends when
# nothing stands in its way, in its own spelling.  Writes $work/cap-KIND.txt (NAME TYPE)
# and sets CAP_N, CAP_SPAN and CAP_RATE (queries a second, for the replay).
declare -A CAP_N=() CAP_SPAN=() CAP_RATE=()
capture() {
	local kind=$1 port
	case $kind in
		iodine) port=$PORT_IODINED ;;
		dns2tcp) port=$PORT_D2C ;;
	esac
	launch "relay-$kind" "${NSX_S[@]}" "$PY" "$work/rt.py" relay 127.0.0.3 53 "$port" "$work/cap-$kind.txt"
	commands+=("rt.py relay 127.0.0.3 53 $port cap-$kind.txt   # the recording relay (in the temp dir) in front of the $kind server")
	wait_for "relay-$kind" 10 udp_bound 53 || fail "the recording relay did not start" "relay-$kind"
	case $kind in
		iodine) iodine_session cap-iodine t.ioc.example 127.0.0.3 -r -T NULL ;;
		dns2tcp) dns2tcp_session cap-dns2tcp d.d2c.example "$PORT_D2C" 127.0.0.3 "$PORT_D2C_LOCAL" ;;
	esac
	stop_server "relay-$kind"
	[[ -s $work/cap-$kind.txt ]] || fail "the relay recorded no $kind query"
	CAP_N[$kind]=$(wc -l <"$work/cap-$kind.txt")
	CAP_SPAN[$kind]=$(awk 'NR == 1 {a = $1} {b = $1} END {printf "%.2f", b - a}' "$work/cap-$kind.txt.times")
	CAP_RATE[$kind]=$(awk 'NR == 1 {a = $1} {b = $1} END {printf "%.1f", (b > a ? (NR - 1) / (b - a) : 0)}' "$work/cap-$kind.txt.times")
	say "capture: ${CAP_N[$kind]} $kind queries in ${CAP_SPAN[$kind]}s"
}

# replay_capture RUN KIND SOURCE: the capture through airlockd at the captured rate.
replay_capture() {
	local run=$1 kind=$2 src=$3
	local -a cmd=("$PY" "$TRAFFIC/replay.py" "$work/cap-$kind.txt" --kind tunnel --port 53 -b "$src" --rate "${CAP_RATE[$kind]}")
	commands+=("${cmd[*]}   # $run run, the $kind capture")
	in_s "${cmd[@]}" >"$work/replay-$kind-$run.json" 2>"$work/replay-$kind-$run.err" ||
		fail "replay of the $kind capture failed: $(cat "$work/replay-$kind-$run.err")"
}

replay_benign() {
	local run=$1
	local -a cmd=("$PY" "$TRAFFIC/replay.py" "$work/benign.txt" --meta "$work/benign.json" --port 53 -b "$SRC_BENIGN" --window 8)
	commands+=("${cmd[*]}   # $run run")
	say "$run: benign stream, $BENCH_RT_BENIGN queries"
	in_s "${cmd[@]}" >"$work/replay-benign-$run.json" 2>"$work/replay-benign-$run.err" ||
		fail "replay of the benign stream failed: $(cat "$work/replay-benign-$run.err")"
}

# --- the runs -----------------------------------------------------------------------------

t_start=$(date +%s)
make_namespaces
say "namespaces $NS_S (loopback) and $NS_T (iodined's tun device)"
"$PY" "$TRAFFIC/gen.py" benign --count "$BENCH_RT_BENIGN" --seed 1 --out "$work/benign.txt" \
	--meta "$work/benign.json" >"$work/gen.out" 2>&1 || fail "gen.py benign failed: $(cat "$work/gen.out")"
commands+=("$PY $TRAFFIC/gen.py benign --count $BENCH_RT_BENIGN --seed 1 --out benign.txt --meta benign.json")
start_fake
STARTCMD[fake]="fake_upstream.py --addr 127.0.0.1 --port $PORT_FAKE --answer-a 10.0.2.10 --answer-aaaa fd00:2::10"
capture iodine
capture dns2tcp

for run in $BENCH_RT_RUNS; do
	start_airlockd "$run"
	i=0
	for mode in $BENCH_RT_MODES; do
		i=$((i + 1))
		# shellcheck disable=SC2086  # the mode's options are words
		iodine_session "$run-$mode" "t.$(mode_domain "$i")" 127.0.0.1 ${MODE_OPTS[$mode]}
		alive "airlockd-$run" || fail "airlockd died during iodine $mode" "airlockd-$run"
	done
	dns2tcp_session "$run-dns2tcp" d.d2t.example "$PORT_D2T" 127.0.0.1 "$PORT_D2T_LOCAL"
	replay_capture "$run" iodine "$SRC_CAP_IODINE"
	replay_capture "$run" dns2tcp "$SRC_CAP_D2T"
	replay_benign "$run"
	alive "airlockd-$run" || fail "airlockd died during the $run run" "airlockd-$run"
	stop_airlockd "$run"
done
t_total=$(($(date +%s) - t_start))

# --- the report ---------------------------------------------------------------------------

declare -A A=()
for run in $BENCH_RT_RUNS; do
	i=0
	for mode in $BENCH_RT_MODES; do
		i=$((i + 1))
		A[$run-$mode]=$("$PY" "$work/rt.py" analyze "$work/log-$run.db" 127.0.0.1 "$(mode_domain "$i")")
	done
	A[$run-dns2tcp]=$("$PY" "$work/rt.py" analyze "$work/log-$run.db" 127.0.0.1 d2t.example)
	A[$run-cap-iodine]=$("$PY" "$work/rt.py" analyze "$work/log-$run.db" "$SRC_CAP_IODINE" ioc.example)
	A[$run-cap-dns2tcp]=$("$PY" "$work/rt.py" analyze "$work/log-$run.db" "$SRC_CAP_D2T" d2c.example)
	A[$run-benign]=$("$PY" "$work/rt.py" benign "$work/log-$run.db" "$SRC_BENIGN")
done

# j TAG EXPR: a field of an analysis, by a Python expression over `a`.
j() { "$PY" -c 'import json,sys; a = json.loads(sys.argv[1]); v = eval(sys.argv[2]); print("-" if v is None else v)' "${A[$1]}" "$2"; }

verdict_cell() {
	j "$1" '"none" if not a["first_verdict"] else "%s (%s)" % (a["first_verdict"]["index"], a["first_verdict"]["bytes_before"])'
}
points_cell() {
	j "$1" '"" if not a["first_verdict"] else "%s: %s %s, %s" % (a["first_verdict"]["score"], a["first_verdict"]["qtype"], a["first_verdict"]["features"]["longest_label"], "+".join("%s %s" % kv for kv in a["first_verdict"]["points"].items()))'
}

mode_label() {
	case $1 in
		dns2tcp) echo "dns2tcp, live (TXT)" ;;
		cap-iodine) echo "iodine, capture replayed (\`-r -T NULL\`)" ;;
		cap-dns2tcp) echo "dns2tcp, capture replayed (TXT)" ;;
		*) echo "iodine $1 (\`${MODE_OPTS[$1]}\`)" ;;
	esac
}

# client_notes TAG: the client's own account: codecs, fragment size, errors it saw.
client_notes() {
	local log
	if [[ -n ${LOG[iodine-$1]:-} ]]; then
		log=${LOG[iodine-$1]}
		printf '%s; %s REFUSED' \
			"$(grep -Eo '(keeping|Keeping) upstream codec [A-Za-z0-9]+|Switching upstream to codec [A-Za-z0-9]+|[Ss]witch(ing|ed) downstream to codec [A-Za-z0-9]+|using default \(Raw\)|downstream fragment size to max [0-9]+|found no accepted fragment size|Connection setup complete' "$log" |
				sort -u | paste -sd ',' - | sed 's/,/, /g')" \
			"$(grep -c 'Got REFUSED' "$log" || true)"
	elif [[ -n ${LOG[dns2tcpc-$1]:-} ]]; then
		log=${LOG[dns2tcpc-$1]}
		printf '%s' "$(grep -Eo 'Error : .*|Listening on port : [0-9]+' "$log" | sort -u | paste -sd ',' - | sed 's/,/, /g')"
	fi
}

# shellcheck disable=SC2086  # the modes are words
sessions() { printf '%s\n' $BENCH_RT_MODES dns2tcp cap-iodine cap-dns2tcp; }

report() {
	local run s tag up data
	echo "# airlockd's tunnel detector against real tunnel tools, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $(nproc) CPUs, $(uname -sr); total ${t_total}s"
	echo "- Repo: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "no commit")$([[ -n $(git -C "$top" status --porcelain 2>/dev/null) ]] && echo " (work tree modified)"); airlockd: $AIRLOCKD"
	echo "- iodine: $(iodine -v 2>&1 | sed -n 's/^version: //p') (Debian package $(dpkg-query -W -f='${Version}' iodine 2>/dev/null || echo "?")); dns2tcp: $(dns2tcpc 2>&1 | sed -n 's/^dns2tcp v\([0-9.]*\).*/\1/p' | head -n 1) (Debian package $(dpkg-query -W -f='${Version}' dns2tcp 2>/dev/null || echo "?"))"
	echo "- Each tunnel carries $BENCH_RT_BYTES random bytes over TCP; a client gets ${BENCH_RT_UP_S}s to come up and ${BENCH_RT_DATA_S}s for the transfer"
	echo "- airlockd: one zone 127.0.0.0/8, threshold 1.0, the shipped allow-list, threads 1, upstream_ms 4000; its query log counts everything below"
	for s in iodine dns2tcp; do
		echo "- The $s capture: ${CAP_N[$s]} queries recorded in ${CAP_SPAN[$s]}s between client and server through a relay that keeps the client's spelling (no airlockd; set up ${UP[cap-$s]}, ${DATA[cap-$s]} of $BENCH_RT_BYTES bytes through; $(client_notes "cap-$s")), replayed through airlockd at ${CAP_RATE[$s]} queries/s"
	done
	echo
	echo "Queries: those of the session in airlockd's query log, in arrival order.  Bytes: characters of"
	echo "the name below the registered domain, dots not counted (the detector's \`sub_len\`), summed."
	echo "Set up: the client finished its handshake (iodine: \"Connection setup complete\"; dns2tcp:"
	echo "the data reached the sink).  Bytes through: what the TCP sink behind the tunnel received."
	for run in $BENCH_RT_RUNS; do
		echo
		if [[ $run == alert ]]; then
			echo "## Alert run (\`tunnel.action\` alert): until the first verdict"
			echo
			echo "| session | queries | bytes | first verdict: queries before it (their bytes) | its score: type, longest label, points | set up | bytes through |"
			echo "| --- | ---: | ---: | --- | --- | --- | ---: |"
			while read -r s; do
				tag=$run-$s
				up=${UP[$tag]:-replay} data=${DATA[$tag]:-}
				[[ $s == cap-* ]] && up="replay" data="-"
				echo "| $(mode_label "$s") | $(j "$tag" 'a["queries"]') | $(j "$tag" 'a["bytes"]') | $(verdict_cell "$tag") | $(points_cell "$tag") | $up | $data |"
			done < <(sessions)
		else
			echo "## Block run (\`tunnel.action\` block)"
			echo
			echo "| session | queries | forwarded (bytes) | blocked | first blocked: queries before it (bytes forwarded before it) | forwarded after it (bytes, longest label) | set up | bytes through |"
			echo "| --- | ---: | --- | ---: | --- | --- | --- | ---: |"
			while read -r s; do
				tag=$run-$s
				up=${UP[$tag]:-replay} data=${DATA[$tag]:-}
				[[ $s == cap-* ]] && up="replay" data="-"
				echo "| $(mode_label "$s") | $(j "$tag" 'a["queries"]') | $(j "$tag" '"%d (%d)" % (a["forwarded"], a["fwd_bytes"])') | $(j "$tag" 'a["blocked"]') | $(j "$tag" '"none" if a["first_blocked"] is None else "%d (%d)" % (a["first_blocked"], a["fwd_bytes_before_block"])') | $(j "$tag" '"-" if a["first_blocked"] is None else "%d (%d, %d)" % (a["fwd_after_block"], a["fwd_bytes_after_block"], a["fwd_after_block_longest"])') | $up | $data |"
			done < <(sessions)
			echo
			echo "### Forwarded after the first block (samples: one per type and longest label)"
			echo
			echo '```'
			while read -r s; do
				echo "$(mode_label "$s"):"
				j "$run-$s" '"\n".join("  " + x for x in a.get("fwd_after_block_samples", [])) or "  none"'
			done < <(sessions)
			echo '```'
		fi
		echo
		echo "Benign, $run run: $(j "$run-benign" 'a["queries"]') queries, $(j "$run-benign" 'a["distinct"]') distinct names; blocked by the detector: $(j "$run-benign" '"%d%s" % (a["blocked_distinct"], "".join(" " + n for n in a["blocked_names"]))'); tunnel incidents: $(j "$run-benign" '"; ".join("%s %s score %s (%s)" % (i["kind"], i["domain"], i["score"], i["name"]) for i in a["incidents"]) or "none"')."
		echo
		echo "What the clients said ($run run):"
		echo
		while read -r s; do
			[[ $s == cap-* ]] && continue
			echo "- $(mode_label "$s"): $(client_notes "$run-$s"); $(j "$run-$s" 'a["failed"]') SERVFAIL"
		done < <(sessions)
	done
	echo
	echo "## Commands"
	echo
	echo '```'
	echo "ip netns add $NS_S; ip netns add $NS_T   # every process below runs in $NS_S (ip netns exec)"
	echo "${STARTCMD[fake]}"
	for run in $BENCH_RT_RUNS; do
		echo "$AIRLOCKD -c airlockd-$run.json ${AS_USER[*]}"
	done
	echo "iodined -f -s -l 127.0.0.1 -p $PORT_IODINED -P $PW -d alrtsrv0 $TUN_NET t.ioNN.example   # then: ip link set alrtsrv0 netns $NS_T, configured $TUN_NET there"
	echo "dns2tcpd -F -f dns2tcpd.conf   # listen = 127.0.0.1, port = $PORT_D2T, domain = d.d2t.example, resources = sink:127.0.0.1:$PORT_D2T_SINK"
	printf '%s\n' "${commands[@]}"
	echo '```'
	echo
	echo "The airlockd config of the last run:"
	echo
	echo '```json'
	cat "$work/airlockd-${run}.json"
	echo '```'
}

if [[ -n $BENCH_REPORT ]]; then
	report | tee "$BENCH_REPORT"
else
	report
fi
