#!/bin/bash
# The traffic tools' own baseline, without airlockd: every stream gen.py
# writes is legal DNS, the same for the same seed, and decodes back to its
# payload; replay.py against the fake upstream alone sees every query of
# every stream answered and none blocked.  Then replay.py must count what
# it is shown: a planted REFUSED/NXDOMAIN in the middle of a stream, an
# upstream that refuses everything, an unanswered query, the rate limit,
# and it refuses any address outside 127.0.0.0/8 before sending anything.
. "$(dirname "$0")/../e2e/lib.sh" || exit 1

TRAFFIC_DIR=$(cd "$(dirname "$0")" && pwd)
GEN="$TRAFFIC_DIR/gen.py"
REPLAY="$TRAFFIC_DIR/replay.py"
BYTES=3000
TUNNELS="iodine-base32-null iodine-base64-txt iodine-base64u-cname iodine-base128-null
iodine-base32-mx dnscat2 dns2tcp exfil-base64 exfil-hex lowslow"

[ -x "$PY" ] || skip "$PY not found"
"$PY" -c 'import dns.message' 2>/dev/null || skip "$PY has no dnspython (python3-dnspython)"
[ -f "$FAKE_UPSTREAM" ] || fail "fake upstream not found: $FAKE_UPSTREAM"
T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-traffic.XXXXXX") || fail "mktemp failed"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# jget FILE KEY...: a value from a JSON file (nested keys), as JSON text
# except for strings.
jget() {
    "$PY" - "$@" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
EOF
}

# ----- the streams -----

"$PY" "$GEN" suite --dir "$T/s" --seed 7 --count 5000 --bytes $BYTES 2>"$T/gen.err" \
    || fail "gen.py suite failed: $(cat "$T/gen.err")"
"$PY" "$GEN" suite --dir "$T/again" --seed 7 --count 5000 --bytes $BYTES \
    || fail "gen.py suite (again) failed"
"$PY" "$GEN" suite --dir "$T/other" --seed 8 --count 5000 --bytes $BYTES \
    || fail "gen.py suite (seed 8) failed"

for s in benign $TUNNELS; do
    "$PY" "$GEN" check "$T/s/$s.txt" --meta "$T/s/$s.json" >"$T/$s.check" 2>"$T/$s.check.err" \
        || fail "gen.py check $s: $(head -5 "$T/$s.check.err")"
    expect_int "$s: longest label" -le 63 "$(jget "$T/$s.check" longest_label)"
    expect_int "$s: longest name (characters)" -le 253 "$(jget "$T/$s.check" longest_name_chars)"
    cmp -s "$T/s/$s.txt" "$T/again/$s.txt" || fail "$s: the same seed gave another stream"
    cmp -s "$T/s/$s.json" "$T/again/$s.json" || fail "$s: the same seed gave another meta file"
done
cmp -s "$T/s/benign.txt" "$T/other/benign.txt" && fail "benign: seeds 7 and 8 gave the same stream"
cmp -s "$T/s/dnscat2.txt" "$T/other/dnscat2.txt" && fail "dnscat2: seeds 7 and 8 gave the same stream"

# An independent reading of every line: dnspython must accept the name, no
# label over 63 bytes, no name over 255 bytes on the wire (253 characters),
# and the type must be one dnspython knows.
"$PY" - "$T/s"/*.txt <<'EOF' || fail "a generated line is not a legal query"
import sys
import dns.name, dns.rdatatype
bad = 0
for path in sys.argv[1:]:
    for no, line in enumerate(open(path, encoding="latin-1"), 1):
        name, qtype = line.split()
        n = dns.name.from_text(name)
        dns.rdatatype.from_text(qtype)
        if max(len(l) for l in n.labels) > 63 or len(n.to_wire()) > 255:
            print("%s:%d: %s" % (path, no, name))
            bad += 1
sys.exit(1 if bad else 0)
EOF

# The benign mix: every category and type is there, and names repeat the
# way a VPC's do (a head of popular names, a tail of new ones).
keys() { "$PY" -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1]))[sys.argv[2]])))' "$@"; }
expect_eq "benign categories" "ai aws azure cdn dnsbl ec2 gcp hosted k8s mailauth mirrors reverse s3 telemetry" \
    "$(keys "$T/s/benign.json" mix)"
expect_eq "benign types" "A AAAA CNAME HTTPS MX PTR SRV TXT" "$(keys "$T/benign.check" types)"
expect_eq "benign queries" 5000 "$(jget "$T/benign.check" queries)"
distinct=$(jget "$T/benign.check" distinct_names)
expect_int "benign distinct names (repeats)" -le 1500 "$distinct"
expect_int "benign distinct names (tail)" -ge 400 "$distinct"

for s in $TUNNELS; do
    expect_eq "$s: payload bytes in the meta" $BYTES "$(jget "$T/s/$s.json" payload_bytes)"
    "$PY" "$GEN" decode "$T/s/$s.txt" --meta "$T/s/$s.json" --out "$T/$s.payload" >"$T/$s.decode" \
        || fail "$s: decoding the stream does not give the payload back: $(cat "$T/$s.decode")"
    cmp -s "$T/$s.payload" "$T/iodine-base32-null.payload" \
        || fail "$s: decodes to another payload than iodine-base32-null"
done

# ----- replay against the fake upstream alone: the baseline -----

pick_ports 2
start_fake up "${PORTS[0]}"
start_fake refusing "${PORTS[1]}" --mode refused

for s in benign $TUNNELS; do
    "$PY" "$REPLAY" "$T/s/$s.txt" --meta "$T/s/$s.json" --port "${PORTS[0]}" \
        -b 127.0.2.5 --window 4 --rate 0 --timeout 3 >"$T/$s.sum" 2>"$T/$s.sum.err" \
        || fail "replay.py $s exited $?: $(cat "$T/$s.sum.err")"
    n=$(jget "$T/s/$s.json" queries)
    expect_eq "$s: queries replayed" "$n" "$(jget "$T/$s.sum" queries)"
    expect_eq "$s: rcodes from the fake" "{\"NOERROR\": $n}" "$(jget "$T/$s.sum" rcodes)"
    expect_eq "$s: blocked queries" 0 "$(jget "$T/$s.sum" blocked_queries)"
    expect_eq "$s: timeouts" 0 "$(jget "$T/$s.sum" timeouts)"
done
expect_eq "benign: distinct names" "$distinct" "$(jget "$T/benign.sum" distinct_names)"
expect_eq "benign: blocked distinct names" 0 "$(jget "$T/benign.sum" blocked_distinct_names)"
expect_eq "benign: false-positive rate" 0.0 "$(jget "$T/benign.sum" false_positive_rate)"
for s in $TUNNELS; do
    expect_eq "$s: first blocked query" null "$(jget "$T/$s.sum" first_blocked_index)"
    expect_eq "$s: payload before the first block" $BYTES "$(jget "$T/$s.sum" payload_bytes_before_block)"
    expect_eq "$s: payload through" $BYTES "$(jget "$T/$s.sum" payload_bytes_through)"
done
total=$("$PY" -c 'import json, sys; print(sum(json.load(open(f))["queries"] for f in sys.argv[1:]))' "$T"/s/*.json)
expect_eq "queries the fake saw: each replayed query once" "$total" "$(wc -l <"$T/up.log")"

# ----- replay counts blocks where they happen -----

# A REFUSED planted at query 10 of the hex exfiltration (the fake refuses
# names starting with "refused"), and a NXDOMAIN in the benign stream.
awk 'NR == 11 { print "refused-planted.t1.tun09.example A"; next } { print }' \
    "$T/s/exfil-hex.txt" >"$T/planted.txt"
"$PY" "$REPLAY" "$T/planted.txt" --meta "$T/s/exfil-hex.json" --port "${PORTS[0]}" \
    -b 127.0.2.5 >"$T/planted.sum" || fail "replay.py (planted) failed"
n=$(jget "$T/s/exfil-hex.json" queries)
before=$("$PY" -c 'import json, sys; print(sum(json.load(open(sys.argv[1]))["payload"][:10]))' "$T/s/exfil-hex.json")
lost=$(jget "$T/s/exfil-hex.json" payload 10)
expect_eq "planted: first blocked index" 10 "$(jget "$T/planted.sum" first_blocked_index)"
expect_eq "planted: first blocked query" "refused-planted.t1.tun09.example A" "$(jget "$T/planted.sum" first_blocked_query)"
expect_eq "planted: payload before the block" "$before" "$(jget "$T/planted.sum" payload_bytes_before_block)"
expect_eq "planted: payload through" "$((BYTES - lost))" "$(jget "$T/planted.sum" payload_bytes_through)"
expect_eq "planted: answered after the block" "$((n - 11))" "$(jget "$T/planted.sum" answered_after_block)"
expect_eq "planted: blocked queries" 1 "$(jget "$T/planted.sum" blocked_queries)"

awk 'NR == 101 { print "nx-planted.example.com AAAA"; next } { print }' \
    "$T/s/benign.txt" >"$T/planted-benign.txt"
"$PY" "$REPLAY" "$T/planted-benign.txt" --meta "$T/s/benign.json" --port "${PORTS[0]}" \
    -b 127.0.2.5 --window 4 >"$T/planted-benign.sum" || fail "replay.py (planted benign) failed"
pd=$(jget "$T/planted-benign.sum" distinct_names)
expect_eq "planted benign: blocked names" '["nx-planted.example.com"]' "$(jget "$T/planted-benign.sum" blocked_names)"
expect_eq "planted benign: blocked category" "{\"$(jget "$T/s/benign.json" category 100)\": 1}" \
    "$(jget "$T/planted-benign.sum" blocked_by_category)"
expect_eq "planted benign: false-positive rate" \
    "$("$PY" -c "import json; print(json.dumps(1 / $pd))")" "$(jget "$T/planted-benign.sum" false_positive_rate)"

# An upstream that refuses everything: blocked from the first query.
"$PY" "$REPLAY" "$T/s/dnscat2.txt" --meta "$T/s/dnscat2.json" --port "${PORTS[1]}" \
    -b 127.0.2.5 >"$T/refused.sum" || fail "replay.py (refusing fake) failed"
expect_eq "refusing fake: first blocked index" 0 "$(jget "$T/refused.sum" first_blocked_index)"
expect_eq "refusing fake: payload before the block" 0 "$(jget "$T/refused.sum" payload_bytes_before_block)"
expect_eq "refusing fake: payload through" 0 "$(jget "$T/refused.sum" payload_bytes_through)"
expect_eq "refusing fake: answered after the block" 0 "$(jget "$T/refused.sum" answered_after_block)"
"$PY" "$REPLAY" "$T/s/benign.txt" --meta "$T/s/benign.json" --port "${PORTS[1]}" \
    -b 127.0.2.5 --limit 300 --window 8 >"$T/refused-benign.sum" || fail "replay.py (refusing fake, benign) failed"
expect_eq "refusing fake: benign false-positive rate" 1.0 "$(jget "$T/refused-benign.sum" false_positive_rate)"

# An unanswered query is a timeout, blocked only when the caller says so.
printf 'www.example.com A\ndrop-me.example.com A\nwww.example.org AAAA\n' >"$T/drop.txt"
"$PY" "$REPLAY" "$T/drop.txt" --kind tunnel --port "${PORTS[0]}" --timeout 0.3 \
    >"$T/drop.sum" || fail "replay.py (drop) failed"
expect_eq "drop: timeouts" 1 "$(jget "$T/drop.sum" timeouts)"
expect_eq "drop: blocked (default rcodes)" 0 "$(jget "$T/drop.sum" blocked_queries)"
"$PY" "$REPLAY" "$T/drop.txt" --kind tunnel --port "${PORTS[0]}" --timeout 0.3 \
    --blocked REFUSED,NXDOMAIN,TIMEOUT >"$T/drop2.sum" || fail "replay.py (drop, TIMEOUT) failed"
expect_eq "drop: first blocked index (TIMEOUT blocks)" 1 "$(jget "$T/drop2.sum" first_blocked_index)"
expect_eq "drop: answered after the block" 1 "$(jget "$T/drop2.sum" answered_after_block)"

# The rate: the low-and-slow stream's meta asks for 1 query a second.
"$PY" "$REPLAY" "$T/s/lowslow.txt" --meta "$T/s/lowslow.json" --port "${PORTS[0]}" \
    --limit 3 >"$T/slow.sum" || fail "replay.py (lowslow) failed"
expect_eq "lowslow: rate from the meta" 1.0 "$(jget "$T/slow.sum" rate)"
expect_int "lowslow: 3 queries at 1/s take 2 s (ms)" -ge 1900 \
    "$("$PY" -c "import json; print(int(json.load(open('$T/slow.sum'))['elapsed_s'] * 1000))")"
"$PY" "$REPLAY" "$T/s/exfil-hex.txt" --port "${PORTS[0]}" --rate 40 --limit 21 \
    >"$T/rate.sum" || fail "replay.py (--rate 40) failed"
expect_int "--rate 40: 21 queries take 0.5 s (ms)" -ge 480 \
    "$("$PY" -c "import json; print(int(json.load(open('$T/rate.sum'))['elapsed_s'] * 1000))")"

# Loopback only: anything else is refused before a query is sent.
sent=$(wc -l <"$T/up.log")
for bad in "--server 10.0.0.1" "--server 192.0.2.53" "-b 192.0.2.1" "--server ::1" "-b 0.0.0.0"; do
    # shellcheck disable=SC2086  # $bad is two words on purpose
    "$PY" "$REPLAY" "$T/drop.txt" --port "${PORTS[0]}" $bad >"$T/bad.out" 2>"$T/bad.err"
    st=$?
    expect_eq "replay.py $bad: exit status" 2 "$st"
    grep -q "127.0.0.0/8\|not an IP" "$T/bad.err" || fail "replay.py $bad: no reason given: $(cat "$T/bad.err")"
done
expect_eq "queries the fake saw from refused runs" "$sent" "$(wc -l <"$T/up.log")"

pass
