#!/bin/bash
# Spoofer races: an attacker racing forged replies with guessed IDs and
# ports cannot poison the cache.  race* names make the fake send, from its
# own socket and before the real reply, the right ID with the name in lower
# case plus 2000 wrong IDs, all with A 198.51.100.66: with DNS 0x20 (the
# default) every client sees 192.0.2.1, first and from the cache, and each
# forgery with the right ID is counted as a mismatch; with
# "case_randomization": false for that upstream the same race poisons (what
# 0x20 buys).  The question goes out in random case (over TCP after TC
# too), is answered in the client's spelling, and owner names the upstream
# spelled out in the random case come back lower-cased; an upstream that
# does not echo case gets SERVFAIL and one warning naming the option, whose
# bad values airlockd -t reports by JSON path.  Off-path: a raw-socket sender forging the
# upstream's address and port sweeps the ephemeral port range with random
# IDs while queries wait: its packets reach the sockets and are refused.
# The test runs in a network namespace of its own when it can (the sweep
# must hit no other process's sockets); without one the off-path part is
# skipped.
. "$(dirname "$0")/lib.sh" || exit 1

if [ -z "${SPOOFRACE_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare -n true 2>/dev/null; then
    SPOOFRACE_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
NETNS=0
if [ -n "${SPOOFRACE_NETNS:-}" ]; then
    ip link set lo up 2>/dev/null ||
        "$PY" -c 'import fcntl, socket, struct
s = socket.socket()
fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", 0x1 | 0x40))' ||
        fail "cannot bring up lo in the test's network namespace"
    NETNS=1
fi

setup
[ -x "$AIRLOCKD" ] || fail "airlockd not built: $AIRLOCKD (set AIRLOCKD)"
pick_ports 4
LPORT=${PORTS[0]} UPORT=${PORTS[1]} MPORT=${PORTS[2]} PPORT=${PORTS[3]}
C=127.0.2.1
SPOOF=198.51.100.66
CFG=$T/airlock.json
start_fake up "$UPORT"

# The "plain" upstream for names under plain.example: answers A 192.0.2.7
# with the owner spelled out (no compression pointer) exactly as the
# question came (lower*: both in lower case, as an upstream that does not
# echo case would), and writes each question name received to
# $T/plain.names.
cat >"$T/plain.py" <<'EOF'
import socket, struct, sys
port, names, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
open(pidfile, "w").write("up\n")
while True:
    data, addr = s.recvfrom(4096)
    if len(data) < 17 or data[2] & 0x80:
        continue
    end = 12
    while end < len(data) and data[end]:
        end += 1 + data[end]
    qname = data[12:end + 1]
    if qname[1:6].lower() == b"lower":
        qname = qname.lower()
    labels, i = [], 0
    while qname[i]:
        labels.append(qname[i + 1:i + 1 + qname[i]].decode("latin-1"))
        i += 1 + qname[i]
    with open(names, "a") as f:
        f.write(".".join(labels) + ".\n")
    head = data[:2] + struct.pack("!HHHHH", 0x8580, 1, 1, 0, 0)
    rr = qname + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton("192.0.2.7")
    s.sendto(head + qname + data[end + 1:end + 5] + rr, addr)
EOF
: >"$T/plain.names"
"$PY" "$T/plain.py" "$PPORT" "$T/plain.names" "$T/plain.pid" 2>"$T/plain.err" &
PIDS="$PIDS $!"
wait_started $! "plain upstream" test -s "$T/plain.pid"

# make_config OUT CASE_RANDOMIZATION UPSTREAM_MS: the daemon's config: the
# fake first, plain.example forwarded to the plain upstream, metrics on
# loopback; the fake's entry gets "case_randomization": CASE_RANDOMIZATION
# ("" leaves it out).
make_config() {
    write_config "$1" "$LPORT" "$UPORT" "127.0.2.0/24" upstream_holddown_ms=0 \
        upstream_ms="$3" query_ms=$(($3 + 4000))
    add_json "$1" "{\"forward\": [{\"suffix\": \"plain.example\",
        \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": $PPORT}]}],
        \"metrics\": {\"address\": \"127.0.0.1\", \"port\": $MPORT}}"
    [ -z "$2" ] || "$PY" - "$1" "$2" <<'EOF' || fail "cannot edit $1"
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["upstreams"][0]["case_randomization"] = json.loads(sys.argv[2])
json.dump(cfg, open(sys.argv[1], "w"), indent=1)
EOF
}

# mismatches: airlock_upstream_mismatched_replies_total from /metrics.
mismatches() { scrape_value "$MPORT" airlock_upstream_mismatched_replies_total; }

# wait_mismatches MIN: polls /metrics up to 3 s for at least MIN; prints
# the last value seen.
wait_mismatches() {
    local deadline m
    deadline=$(($(now_ms) + 3000))
    while :; do
        m=$(mismatches)
        [ -n "$m" ] && [ "$m" -ge "$1" ] && break
        [ "$(now_ms)" -lt "$deadline" ] || break
        sleep 0.1
    done
    echo "${m:-none}"
}

# owners_of FILE: the owner names of the answer's records.
owners_of() {
    section_of "$1" ANSWER | awk '{ print $1 }' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

# letters N SEED: N lower-case letters, the same for the same SEED.
letters() {
    "$PY" -c 'import random, sys
r = random.Random(sys.argv[2])
print("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(int(sys.argv[1]))))' "$1" "$2"
}

# ----- the config option -----
make_config "$CFG" "" 6000
"$PY" - "$CFG" "$PPORT" <<'EOF' || fail "cannot edit $CFG"
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["upstreams"].append({"address": "127.0.0.1", "port": int(sys.argv[2]), "case_randomization": "no"})
json.dump(cfg, open(sys.argv[1] + ".bad", "w"), indent=1)
cfg["upstreams"].pop()
cfg["listen"][0]["case_randomization"] = False
json.dump(cfg, open(sys.argv[1] + ".listen", "w"), indent=1)
EOF
"$AIRLOCKD" -t -c "$CFG.bad" >"$T/bad.out" 2>&1 && fail "airlockd -t accepted case_randomization \"no\""
grep -qF 'airlock.json.bad: upstreams[1].case_randomization: "no" is not valid (expected true or false)' "$T/bad.out" ||
    fail "airlockd -t: expected an error naming upstreams[1].case_randomization, saw: $(cat "$T/bad.out")"
"$AIRLOCKD" -t -c "$CFG.listen" >"$T/listen.out" 2>&1 && fail "airlockd -t accepted case_randomization in listen[0]"
grep -qF 'listen[0].case_randomization: unknown key' "$T/listen.out" ||
    fail "airlockd -t: expected listen[0].case_randomization to be an unknown key, saw: $(cat "$T/listen.out")"
"$AIRLOCKD" -t -c "$CFG" >"$T/good.out" 2>&1 || fail "airlockd -t rejected the test config: $(cat "$T/good.out")"

# ----- 0x20 on (the default): the races are lost -----
start_airlockd "$CFG" "$LPORT"
m0=$(mismatches)
expect_eq "mismatched replies at start" 0 "$m0"
NAMES=4
for i in $(seq 1 $NAMES); do
    # "race" and 40 letters: 44 case bits to guess.
    name="RaCe$(letters 40 "on$i" | tr 'aeiou' 'AEIOU').Example"
    for try in first cached; do
        out="$T/race$i.$try"
        q $C "$name" A >"$out"
        expect_status "$out" NOERROR "$name ($try)"
        expect_not_in "$out" "$SPOOF" "$name ($try)"
        expect_answer "$out" A 192.0.2.1 "$name ($try)"
        expect_eq "$name ($try): question as asked" "$name." "$(question_of "$out")"
        expect_eq "$name ($try): owner as asked" "$name." "$(owners_of "$out")"
    done
    expect_eq "upstream queries for $name" 1 "$(log_count "$T/up.log" "$name")"
done
# At least the right-ID forgery of each race reached the socket and was refused.
m1=$(wait_mismatches $((m0 + NAMES)))
expect_int "mismatched replies after $NAMES races" -ge $((m0 + NAMES)) "$m1"

# Truncated over UDP, retried over TCP with the same case: the TCP reply
# must echo it too.
name="tc$(letters 30 tc).example"
q $C "$name" A >"$T/tc"
expect_status "$T/tc" NOERROR "$name"
expect_answer "$T/tc" A 192.0.2.1 "$name"
expect_eq "transports for $name" "udp tcp" "$(log_protos "$T/up.log" "$name")"
# Both carried the same random case (30 letters: all lower by chance 1 in 2^30).
spellings=$(log_spellings "$T/up.log" "$name")
expect_eq "the TCP retry's spelling of $name" "${spellings% *}" "${spellings#* }"
[ "${spellings#* }" != "$name." ] || fail "$name went out over TCP in lower case: no DNS 0x20"

# The name goes out in random case; an owner spelled out in that case
# comes back lower-case (a pointer to the question would carry the
# client's spelling).
pname="$(letters 30 plain1).plain.example"
q $C "$(printf '%s' "$pname" | tr 'a-m' 'A-M')" A >"$T/plain1"
expect_answer "$T/plain1" A 192.0.2.7 "$pname"
expect_eq "$pname: owner" "$pname." "$(owners_of "$T/plain1")"
sent=$(grep -ci "^$pname\.\$" "$T/plain.names")
expect_eq "queries for $pname at the plain upstream" 1 "$sent"
sent=$(grep -i "^$pname\.\$" "$T/plain.names")
[ "$sent" != "$(lower "$sent")" ] || fail "$pname went out all lower-case ($sent): no 0x20"
[ "$sent" != "$(printf '%s' "$pname" | tr 'a-m' 'A-M')." ] || fail "$pname went out in the client's spelling ($sent): no 0x20"

# ----- off-path: forged source address and port, a sweep of the ports -----
if [ "$NETNS" = 1 ]; then
    cat >"$T/flood.py" <<'EOF'
import os, random, socket, struct, sys
uport, stop, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
here = socket.inet_aton("127.0.0.1")

def packet(dport, payload):
    udp = struct.pack("!HHHH", uport, dport, 8 + len(payload), 0) + payload
    return bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                                 socket.IPPROTO_UDP, 0, here, here) + udp)

def reply(name):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split("."))
    return (struct.pack("!HHHHHH", 0, 0x8180, 1, 1, 0, 0) + wire + b"\0" +
            struct.pack("!HH", 1, 1) + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) +
            socket.inet_aton("198.51.100.66"))

try:
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    # The forgery works: a socket of ours sees the upstream's address and port.
    chk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    chk.bind(("127.0.0.1", 0))
    chk.settimeout(2)
    raw.sendto(bytes(packet(chk.getsockname()[1], b"check")), ("127.0.0.1", 0))
    data, src = chk.recvfrom(64)
except OSError as e:
    print("unavailable: %s" % e, flush=True)
    sys.exit(0)
if data != b"check" or src != ("127.0.0.1", uport):
    print("unavailable: forged packet arrived as %r from %r" % (data, src), flush=True)
    sys.exit(0)
print("ready", flush=True)
tmpl = [packet(0, reply(n)) for n in names]
sent = sweeps = 0
while not os.path.exists(stop):
    for port in range(lo, hi + 1):
        p = tmpl[port % len(tmpl)]
        struct.pack_into("!H", p, 22, port)
        struct.pack_into("!H", p, 28, random.randrange(0x10000))
        try:
            raw.sendto(p, ("127.0.0.1", 0))
            sent += 1
        except OSError:
            pass
    sweeps += 1
print("sent %d sweeps %d" % (sent, sweeps), flush=True)
EOF
    OFF=3
    offnames=()
    for i in $(seq 1 $OFF); do
        # delay3000: the real reply comes 3 s late, the sockets stay open.
        offnames+=("delay3000$(letters 40 "off$i").example")
    done
    "$PY" "$T/flood.py" "$UPORT" "$T/flood.stop" "${offnames[@]}" >"$T/flood.log" 2>"$T/flood.err" &
    FLOOD=$!
    PIDS="$PIDS $FLOOD"
    wait_started "$FLOOD" "off-path sender" grep -q . "$T/flood.log"
    if grep -q '^ready' "$T/flood.log"; then
        m2=$(mismatches)
        qpids=""
        for i in $(seq 1 $OFF); do
            q $C "${offnames[$((i - 1))]}" A +time=9 >"$T/off$i" &
            qpids="$qpids $!"
        done
        for p in $qpids; do wait "$p"; done
        touch "$T/flood.stop"
        wait_exit "$FLOOD" 10000
        [ "$EXIT_STATUS" = 0 ] || fail "off-path sender: exit $EXIT_STATUS: $(cat "$T/flood.err")"
        read -r _ sent _ sweeps <<<"$(tail -n 1 "$T/flood.log")"
        expect_int "off-path sweeps of the ephemeral ports" -ge 1 "$sweeps"
        for i in $(seq 1 $OFF); do
            name=${offnames[$((i - 1))]}
            q $C "$name" A >"$T/off$i.cached"
            for out in "$T/off$i" "$T/off$i.cached"; do
                expect_status "$out" NOERROR "$name (off-path)"
                expect_not_in "$out" "$SPOOF" "$name (off-path)"
                expect_answer "$out" A 192.0.2.1 "$name (off-path)"
            done
            expect_eq "upstream queries for $name" 1 "$(log_count "$T/up.log" "$name")"
        done
        # Each query's socket was open for 3 s, a whole sweep at least: the
        # forgeries reached it and were refused.
        m3=$(wait_mismatches $((m2 + OFF)))
        expect_int "mismatched replies after the off-path sweeps ($sent sent)" -ge $((m2 + OFF)) "$m3"
        say "off-path: $sent forged replies in $sweeps sweeps, $((m3 - m2)) reached airlockd, none accepted"
    else
        say "off-path part skipped: raw sockets $(cat "$T/flood.log")"
    fi
else
    say "off-path part skipped: no network namespace of its own (needs root and unshare)"
fi

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
[ "$EXIT_STATUS" = 0 ] || fail "airlockd exit status after SIGTERM: $EXIT_STATUS"

# ----- 0x20 off for the fake: the same race poisons -----
make_config "$CFG" false 1000
start_airlockd "$CFG" "$LPORT" airlockd-off
for i in 1 2; do
    name="race$(letters 40 "off-$i").example"
    for try in first cached; do
        out="$T/poison$i.$try"
        q $C "$name" A >"$out"
        expect_status "$out" NOERROR "$name ($try, 0x20 off)"
        expect_answer "$out" A "$SPOOF" "$name ($try, 0x20 off): the race poisons"
    done
done
# The option is per upstream: the plain one still gets random case.
pname="$(letters 30 plain2).plain.example"
q $C "$pname" A >"$T/plain2"
expect_answer "$T/plain2" A 192.0.2.7 "$pname (0x20 off for the other upstream)"
sent=$(grep -i "^$pname\.\$" "$T/plain.names")
[ "$sent" != "$pname." ] || fail "$pname went out all lower-case: 0x20 was off for the plain upstream too"

# An upstream that does not echo case: its replies are ignored (SERVFAIL
# once the try times out) and airlockd says what to set, once.
for i in 1 2; do
    pname="lower$(letters 30 "lower$i").plain.example"
    q $C "$pname" A >"$T/lower$i"
    expect_status "$T/lower$i" SERVFAIL "$pname (replied in lower case to 0x20)"
done
expect_eq "warnings naming case_randomization" 1 \
    "$(grep -c "upstream 127.0.0.1:$PPORT answered with the question name in another case.*case_randomization\": false" "$T/airlockd-off.err")"

pass
