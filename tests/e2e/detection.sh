#!/bin/bash
# Detection evidence through the real daemon: the streams of
# tests/traffic/gen.py (iodine base32/base64/base64u/base128 over NULL, TXT,
# CNAME and MX; dnscat2 hex; dns2tcp base64; plain base64 and hex
# exfiltration) are blocked within the first few dozen queries and before
# 1 KiB of payload gets through, while fewer than 0.1 % of the distinct
# names of 20000 queries of benign cloud traffic are blocked.  The slow
# tunnel (8-character labels, one query a second) is not part of it: the
# detector does not see it by design (the daily cap is for that).
. "$(dirname "$0")/lib.sh" || exit 1
setup
TRAFFIC=$TOP_SRCDIR/tests/traffic

pick_ports 2
LPORT=${PORTS[0]} UPORT=${PORTS[1]}
# Private answers, so that AI and storage names of the benign mix pass the
# endpoint policy and only the detector can block anything.
start_fake up "$UPORT" --answer-a 10.0.2.10 --answer-aaaa fd00:2::10
cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "zones": [ {"name": "inference", "cidrs": ["127.0.2.0/24"], "public_ai": "allow"} ],
  "endpoints": {"private_cidrs": ["10.0.0.0/8", "fd00::/8"]},
  "guard": {"allow_lists": ["$TOP_SRCDIR/zones/guard-allow.txt"]}
}
JSON
start_airlockd "$T/airlock.json" "$LPORT"
"$PY" "$TRAFFIC/gen.py" suite --dir "$T/s" --count 20000 >"$T/gen.out" 2>&1 || fail "gen.py suite failed"

replay() {  # STREAM [options]: the replay summary of one stream, as JSON
    "$PY" "$TRAFFIC/replay.py" "$T/s/$1.txt" --meta "$T/s/$1.json" --port "$LPORT" -b 127.0.2.5 \
        --window 8 >"$T/$1.result" 2>"$T/$1.err" || fail "replay.py $1 failed: $(cat "$T/$1.err")"
}
field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/$1.result" "$2"; }

for s in iodine-base32-null iodine-base64-txt iodine-base64u-cname iodine-base128-null iodine-base32-mx \
    dnscat2 dns2tcp exfil-base64 exfil-hex; do
    [ -s "$T/s/$s.txt" ] || fail "gen.py wrote no stream $s"
    replay "$s"
    first=$(field "$s" first_blocked_index)
    through=$(field "$s" payload_bytes_through)
    total=$(field "$s" payload_bytes_total)
    say "$s: first blocked query $first, $through of $total payload bytes through"
    expect_int "$s: index of the first blocked query" -le 36 "$first"
    expect_int "$s: payload bytes that got through" -lt 1024 "$through"
    expect_int "$s: payload bytes sent" -ge 4096 "$total"
done

replay benign
distinct=$(field benign distinct_names)
blocked=$(field benign blocked_distinct_names)
say "benign: $blocked of $distinct distinct names blocked"
expect_int "distinct names in the benign stream" -ge 1500 "$distinct"
# < 0.1 %: blocked * 1000 < distinct.
expect_int "benign names blocked, per mille of distinct names x 1000" -lt "$distinct" "$((blocked * 1000))"
pass
