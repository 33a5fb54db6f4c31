#!/bin/bash
# Config checking with `airlock check-config FILE` and `airlockd -t -c FILE`:
# the shipped configs pass; each kind of mistake exits 1 with a message that
# names the file and says where and what the mistake is.
. "$(dirname "$0")/lib.sh" || exit 1
setup
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"

# check_both FILE EXPECTED_STATUS WHAT [PATTERN...]: runs both checkers on
# FILE; each must exit EXPECTED_STATUS and its output (stdout and stderr)
# must contain every fixed-string PATTERN.
check_both() {
    local file=$1 want=$2 what=$3 tool rc out pat
    shift 3
    for tool in "airlock check-config" "airlockd -t -c"; do
        out=$T/check.out
        case $tool in
        airlock*) "$AIRLOCK" check-config "$file" >"$out" 2>&1 ;;
        *) "$AIRLOCKD" -t -c "$file" >"$out" 2>&1 ;;
        esac
        rc=$?
        [ "$rc" = "$want" ] \
            || fail_out "$out" "$tool on $what: expected exit status $want, saw $rc"
        for pat in "$@"; do
            grep -qF -- "$pat" "$out" \
                || fail_out "$out" "$tool on $what: expected the message to contain '$pat'"
        done
    done
}

# `airlock version` prints a version.
"$AIRLOCK" version >"$T/version" 2>&1
rc=$?
expect_eq "exit status of airlock version" 0 "$rc"
grep -Eq '[0-9]+\.[0-9]+' "$T/version" \
    || fail_out "$T/version" "airlock version: expected a version number like 0.1.0"

# The configs shipped in zones/.
for f in demo.json reference.json; do
    [ -f "$ZONES_DIR/$f" ] || fail "missing shipped config $ZONES_DIR/$f"
    check_both "$ZONES_DIR/$f" 0 "zones/$f"
done

# The config the other tests use.
write_config "$T/good.json" 5353 5300 "127.0.2.0/24 ::1/128"
check_both "$T/good.json" 0 "a complete valid config"

# Each broken config below is the valid one with exactly one mistake.
# mutate OUT PYTHON: OUT is good.json after PYTHON has changed c, the config.
mutate() {
    "$PY" - "$T/good.json" "$1" "$2" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
with open(sys.argv[2], "w") as f:
    json.dump(c, f, indent=2)
PYEOF
}

mutate "$T/unknown-top.json" 'c["frobnicate"] = True'
check_both "$T/unknown-top.json" 1 "an unknown top-level key" \
    unknown-top.json frobnicate

mutate "$T/unknown-zone.json" 'c["zones"][0]["colour"] = "red"'
check_both "$T/unknown-zone.json" 1 "an unknown key in zones[0]" \
    unknown-zone.json 'zones[0]' colour

mutate "$T/badcidr.json" \
    'c["zones"].append({"name": "build", "cidrs": ["10.0.300.0/24", "10.0.4.0/24"]})'
check_both "$T/badcidr.json" 1 "a bad CIDR at zones[1].cidrs[0]" \
    badcidr.json 'zones[1].cidrs[0]' '10.0.300.0/24'

mutate "$T/badport.json" 'c["listen"][0]["port"] = 70000'
check_both "$T/badport.json" 1 "listen port 70000" \
    badport.json 'listen[0].port' 70000

# Invalid JSON: the comma at the end of line 3 (after "upstreams") removed.
sed '3s/,$//' "$T/good.json" >"$T/syntax.json"
check_both "$T/syntax.json" 1 "invalid JSON" syntax.json
for tool in airlock airlockd; do
    case $tool in
    airlock) "$AIRLOCK" check-config "$T/syntax.json" >"$T/syntax.out" 2>&1 ;;
    *) "$AIRLOCKD" -t -c "$T/syntax.json" >"$T/syntax.out" 2>&1 ;;
    esac
    # The parser notices at the end of line 3 or the start of line 4.
    grep -Eq '(line[ :]*[34]([^0-9]|$)|syntax\.json:[34]([^0-9]|$))' "$T/syntax.out" \
        || fail_out "$T/syntax.out" "$tool on invalid JSON: expected the line (3 or 4) in the message, e.g. 'syntax.json:4:' or 'line 4'"
done

# A file that does not exist.
check_both "$T/no-such-config.json" 1 "a missing file" no-such-config.json

pass
