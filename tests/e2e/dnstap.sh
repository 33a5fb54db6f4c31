#!/bin/bash
# dnstap: with "file", every client query and reply (CQ/CR, refused
# clients too) and only a cache miss's question to and reply from the
# upstream (FQ/FR) are in the file as dnstap-ldns reads it, with the
# configured identity, and a second run keeps the first file (renamed),
# as does a write error (a full disk) while DNS is answered; a small
# file at the path is unlinked, never written into; with
# "socket", frames reach fstrm_capture; with no
# collector listening yet, or one that went away, airlockd keeps
# answering, and a collector that appears later gets the next queries
# (frames queued while none listened may reach it too, or be discarded).
. "$(dirname "$0")/lib.sh" || exit 1
command -v dnstap-ldns >/dev/null 2>&1 || skip "dnstap-ldns not installed (apt-get install dnstap-ldns)"
command -v fstrm_capture >/dev/null 2>&1 || skip "fstrm_capture not installed (apt-get install fstrm-bin)"
setup

CTYPE=protobuf:dnstap.Dnstap

# add_dnstap FILE JSON: sets the config's dnstap section.
add_dnstap() { add_json "$1" "{\"dnstap\": $2}"; }

# summary FSTRM: one line per frame, in order: type, identity, version,
# the client (CQ/CR) or the upstream with its port (FQ/FR), the protocol,
# the question (lower-cased for FQ/FR: they carry the random 0x20 case
# that went on the wire) and the message's rcode.  Start-up probes (from
# 127.0.0.1) are left out.
summary() {
    set -o pipefail # dnstap-ldns failing must fail the summary, not awk's status
    dnstap-ldns -y -r "$1" | awk '
        function out() {
            if (t ~ /^FORWARDER/)
                name = tolower(name)
            if (t != "" && name != "ready-probe.invalid.")
                print t, id, ver, (t ~ /^FORWARDER/ ? ra ":" rp : qa), pr, name, rc
            t = id = ver = qa = ra = rp = pr = name = rc = ""
        }
        /^---/ { out(); next }
        /^identity:/ { id = $0; sub(/^identity: /, "", id); gsub(/"/, "", id); gsub(/ /, "_", id) }
        /^version:/ { ver = $0; sub(/^version: /, "", ver); gsub(/"/, "", ver); gsub(/ /, "_", ver) }
        /^  type:/ { t = $2 }
        /^  socket_protocol:/ { pr = $2 }
        /^  query_address:/ { qa = $2; gsub(/"/, "", qa) }
        /^  response_address:/ { ra = $2; gsub(/"/, "", ra) }
        /^  response_port:/ { rp = $2 }
        /rcode: / { rc = $0; sub(/.*rcode: /, "", rc); sub(/,.*/, "", rc) }
        /^    ;[^;]/ && name == "" { name = $1; sub(/^;/, "", name) }
        END { out() }'
}

# start_capture NAME SOCKET: fstrm_capture writing $T/NAME.fstrm; returns
# once it listens.  Sets CAP_PID.
CAP_PID=""
start_capture() {
    rm -f "$2"
    fstrm_capture -t "$CTYPE" -u "$2" -w "$T/$1.fstrm" >"$T/$1.out" 2>"$T/$1.err" &
    CAP_PID=$!
    PIDS="$PIDS $CAP_PID"
    wait_started "$CAP_PID" "fstrm_capture ($1) on $2" test -S "$2"
}

stop_capture() {
    kill -TERM "$CAP_PID"
    wait_exit "$CAP_PID" 5000
    [ "$EXIT_STATUS" != running ] || fail "fstrm_capture still running 5 s after SIGTERM"
}

# ----- "file": exactly the expected frames -----
start_upstream
write_config "$T/airlock.json" "$LPORT" "$UPORT" "127.0.2.0/24"
add_dnstap "$T/airlock.json" "{\"file\": \"$T/tap.fstrm\", \"identity\": \"e2e tap\"}"
start_airlockd "$T/airlock.json" "$LPORT" file
C=127.0.2.1 OUT=127.0.3.1

q $C www-tap.example A >"$T/miss"
expect_status "$T/miss" NOERROR "www-tap.example (cache miss)"
expect_answer "$T/miss" A 192.0.2.1 "www-tap.example (cache miss)"
q $C www-tap.example A +tcp >"$T/hit"
expect_status "$T/hit" NOERROR "www-tap.example over TCP (cache hit)"
expect_answer "$T/hit" A 192.0.2.1 "www-tap.example over TCP (cache hit)"
q $C nx-tap.example A >"$T/nx"
expect_status "$T/nx" NXDOMAIN "nx-tap.example (cache miss)"
q $OUT www-tap.example A >"$T/refused"
expect_status "$T/refused" REFUSED "www-tap.example from $OUT (in no zone)"
stop_daemon file

[ -s "$T/tap.fstrm" ] || fail "no dnstap file $T/tap.fstrm after SIGTERM"
summary "$T/tap.fstrm" >"$T/seen.txt" || fail "dnstap-ldns could not read $T/tap.fstrm"
ver=$(awk 'NR == 1 { print $3 }' "$T/seen.txt")
case $ver in airlock_[0-9]*) ;; *) fail "dnstap version: expected 'airlock VERSION', saw '${ver//_/ }'" ;; esac
U=127.0.0.1:$UPORT
cat >"$T/want.txt" <<EOF
CLIENT_QUERY e2e_tap $ver $C UDP www-tap.example. NOERROR
FORWARDER_QUERY e2e_tap $ver $U UDP www-tap.example. NOERROR
FORWARDER_RESPONSE e2e_tap $ver $U UDP www-tap.example. NOERROR
CLIENT_RESPONSE e2e_tap $ver $C UDP www-tap.example. NOERROR
CLIENT_QUERY e2e_tap $ver $C TCP www-tap.example. NOERROR
CLIENT_RESPONSE e2e_tap $ver $C TCP www-tap.example. NOERROR
CLIENT_QUERY e2e_tap $ver $C UDP nx-tap.example. NOERROR
FORWARDER_QUERY e2e_tap $ver $U UDP nx-tap.example. NOERROR
FORWARDER_RESPONSE e2e_tap $ver $U UDP nx-tap.example. NXDOMAIN
CLIENT_RESPONSE e2e_tap $ver $C UDP nx-tap.example. NXDOMAIN
CLIENT_QUERY e2e_tap $ver $OUT UDP www-tap.example. NOERROR
CLIENT_RESPONSE e2e_tap $ver $OUT UDP www-tap.example. REFUSED
EOF
diff -u "$T/want.txt" "$T/seen.txt" >"$T/frames.diff" \
    || fail "dnstap frames (type identity version address protocol name rcode) differ: $(cat "$T/frames.diff")"
# The forwarder's own address in its frames is the real one (each try's
# UDP socket is connected), not the wildcard.
own=$(dnstap-ldns -y -r "$T/tap.fstrm" | awk '
    /^---/ { t = "" }
    /^  type:/ { t = $2 }
    /^  query_address:/ && t ~ /^FORWARDER/ { a = $2; gsub(/"/, "", a); print a }' | sort | uniq -c |
    awk '{printf "%s %s ", $2, $1}')
expect_eq "the forwarder's own address in FQ/FR frames (address count)" "127.0.0.1 4 " "$own"
# The counts at exit cover the probes too: every frame in the file.
frames=$(dnstap-ldns -q -r "$T/tap.fstrm" | wc -l)
grep -q "dnstap $T/tap.fstrm: $frames messages queued for output, 0 dropped" "$T/file.err" \
    || fail "airlockd's exit line: expected '$frames messages queued for output, 0 dropped', saw '$(grep 'dnstap ' "$T/file.err")'"

# ----- "file" again: the earlier file is kept, renamed, never truncated -----
cp "$T/tap.fstrm" "$T/first.fstrm"
start_airlockd "$T/airlock.json" "$LPORT" again
q $C again-tap.example A >"$T/again"
expect_status "$T/again" NOERROR "again-tap.example"
stop_daemon again
kept=$(ls "$T"/tap.fstrm.2*)
[ "$(printf '%s\n' "$kept" | wc -l)" -eq 1 ] && [ -n "$kept" ] ||
    fail "expected one earlier dnstap file kept as tap.fstrm.STAMP, saw: $(ls "$T")"
cmp "$T/first.fstrm" "$kept" || fail "the kept file $kept differs from what the first run wrote"
grep -q "dnstap file $T/tap.fstrm: the earlier one is kept as $kept" "$T/again.err" ||
    fail_out "$T/again.err" "airlockd names the kept file"
summary "$T/tap.fstrm" >"$T/again.txt" || fail "dnstap-ldns could not read the new $T/tap.fstrm"
grep -q "^CLIENT_QUERY e2e_tap $ver $C UDP again-tap.example. NOERROR$" "$T/again.txt" ||
    fail "the new file lacks the query of the second run: $(cat "$T/again.txt")"
if grep -q "www-tap.example" "$T/again.txt"; then fail "the new file repeats the first run's frames"; fi

# ----- "file" where a small unrelated file is: its name goes, its data stays -----
printf 0123456789 >"$T/other.txt"
ln "$T/other.txt" "$T/small.fstrm" # as a writer still holding it would
write_config "$T/small.json" "$LPORT" "$UPORT" "127.0.2.0/24"
add_dnstap "$T/small.json" "{\"file\": \"$T/small.fstrm\", \"identity\": \"e2e tap\"}"
start_airlockd "$T/small.json" "$LPORT" small
q $C small-tap.example A >"$T/small"
expect_status "$T/small" NOERROR "small-tap.example"
stop_daemon small
expect_eq "the 10-byte file that was at the dnstap path" 0123456789 "$(cat "$T/other.txt")"
if ls "$T"/small.fstrm.* >/dev/null 2>&1; then fail "a 10-byte file was kept: $(ls "$T")"; fi
summary "$T/small.fstrm" >"$T/small.txt" || fail "dnstap-ldns could not read $T/small.fstrm"
grep -q "^CLIENT_QUERY e2e_tap $ver $C UDP small-tap.example. NOERROR$" "$T/small.txt" ||
    fail "the new $T/small.fstrm lacks small-tap.example: $(cat "$T/small.txt")"

# ----- "socket": fstrm_capture as the collector -----
pick_ports 1
SPORT=${PORTS[0]}
start_capture cap "$T/tap.sock"
write_config "$T/sock.json" "$SPORT" "$UPORT" "127.0.2.0/24"
add_dnstap "$T/sock.json" "{\"socket\": \"$T/tap.sock\", \"identity\": \"sock\", \"forwarder_query\": false, \"forwarder_response\": false}"
start_airlockd "$T/sock.json" "$SPORT" sock
q $C sock-tap.example A >"$T/sock1"
expect_status "$T/sock1" NOERROR "sock-tap.example"
stop_daemon sock
stop_capture
summary "$T/cap.fstrm" >"$T/cap.txt" || fail "dnstap-ldns could not read $T/cap.fstrm"
cat >"$T/capwant.txt" <<EOF
CLIENT_QUERY sock $ver $C UDP sock-tap.example. NOERROR
CLIENT_RESPONSE sock $ver $C UDP sock-tap.example. NOERROR
EOF
diff -u "$T/capwant.txt" "$T/cap.txt" >"$T/cap.diff" \
    || fail "frames fstrm_capture received (forwarder_query/response off) differ: $(cat "$T/cap.diff")"

# ----- no collector yet, then one, then it goes away -----
pick_ports 1
LATE=${PORTS[0]}
write_config "$T/late.json" "$LATE" "$UPORT" "127.0.2.0/24"
add_dnstap "$T/late.json" "{\"socket\": \"$T/late.sock\", \"identity\": \"late\"}"
start_airlockd "$T/late.json" "$LATE" late
for i in 1 2 3; do
    q $C "early-$i.example" A >"$T/early$i"
    expect_status "$T/early$i" NOERROR "early-$i.example with no collector listening"
done
start_capture latecap "$T/late.sock"
sleep 2.5 # fstrm tries the socket again every second
q $C late-tap.example A >"$T/late1"
expect_status "$T/late1" NOERROR "late-tap.example once the collector listens"
sleep 1.5 # flushed within a second
stop_capture
q $C gone-tap.example A >"$T/gone"
expect_status "$T/gone" NOERROR "gone-tap.example after the collector went away"
q $C gone-tap.example A +tcp >"$T/gone2"
expect_status "$T/gone2" NOERROR "gone-tap.example over TCP after the collector went away"
summary "$T/latecap.fstrm" >"$T/latecap.txt" || fail "dnstap-ldns could not read $T/latecap.fstrm"
got=$(grep -c ' late-tap\.example\. ' "$T/latecap.txt")
expect_eq "frames for late-tap.example the late collector received (CQ, FQ, FR, CR)" 4 "$got"
stop_daemon late

# ----- a collector that accepts and never reads: the stop does not hang -----
pick_ports 1
STALL=${PORTS[0]}
"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)' "$T/stall.sock" >"$T/stall.out" 2>&1 &
PIDS="$PIDS $!"
wait_started "$!" "the stalled collector" test -S "$T/stall.sock"
write_config "$T/stall.json" "$STALL" "$UPORT" "127.0.2.0/24"
add_dnstap "$T/stall.json" "{\"socket\": \"$T/stall.sock\"}"
start_airlockd "$T/stall.json" "$STALL" stall
for i in 1 2 3; do
    q $C "stall-$i.example" A >"$T/stall$i"
    expect_status "$T/stall$i" NOERROR "stall-$i.example with a collector that never reads"
done
t0=$(now_ms)
stop_daemon stall
expect_int "ms to stop with a stalled collector" -lt 4500 $(($(now_ms) - t0))
grep -q 'has not taken the queued frames in 3 s' "$T/stall.err" ||
    fail "no warning about the stalled collector in $T/stall.err"

# ----- "file" on a full disk: answers go on, what was written is kept -----
MNT=$T/full
if try_mount_tmpfs "$MNT" 128k; then
    pick_ports 1
    FULL=${PORTS[0]}
    write_config "$T/full.json" "$FULL" "$UPORT" "127.0.2.0/24"
    add_dnstap "$T/full.json" "{\"file\": \"$MNT/tap.fstrm\"}"
    start_airlockd "$T/full.json" "$FULL" full
    for i in $(seq 1 1500); do echo "full-tap.example A"; done >"$T/full.names"
    dig -p "$FULL" @127.0.0.1 -b "$C" +tries=1 +time=2 -f "$T/full.names" >"$T/full.dig" 2>&1
    expect_eq "answers while the dnstap disk fills" 1500 "$(grep -c 'status: NOERROR' "$T/full.dig")"
    # fstrm writes what is queued within a second
    wait_started "$AL_PID" "the write failure reported" \
        grep -q "dnstap file $MNT/tap.fstrm: cannot write (No space left on device)" "$T/full.err"
    before=$(ls "$MNT" | wc -l)
    sleep 3 # the writer tries to open the file again every second
    expect_eq "dnstap files on the full disk after 3 s more (no new file per retry)" "$before" "$(ls "$MNT" | wc -l)"
    expect_eq "write failures logged over those retries (once, not every second)" 1 \
        "$(grep -c "dnstap file $MNT/tap.fstrm: cannot" "$T/full.err")"
    kept=$(ls "$MNT"/tap.fstrm.2* 2>/dev/null | head -n 1)
    [ -n "$kept" ] || fail "the file written before the disk filled was not kept: $(ls "$MNT")"
    frames=$(dnstap-ldns -q -r "$kept" 2>/dev/null | grep -c 'full-tap.example')
    expect_int "frames in the kept file $kept" -ge 100 "$frames"
    stop_daemon full
else
    say "cannot mount a tmpfs here (needs root): the full-disk part is not checked"
fi

pass
