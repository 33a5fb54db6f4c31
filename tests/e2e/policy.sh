#!/bin/bash
# `airlock policy check` on the shipped reference catalog: the reference
# architecture's flows are allowed or denied by the rule the issue names,
# addresses map to zones by longest prefix (anything else is the internet),
# each kind of bad input exits 2 with its message, and --json says the same
# as the text.  `airlock policy lint` finds nothing in the reference catalog
# and every planted mistake in tests/data/bad-policy.json.  `airlock policy
# render --out DIR` writes exactly the reviewed golden files of tests/golden/,
# and a config without the cloud facts exits 2 naming the missing key.
. "$(dirname "$0")/lib.sh" || exit 1
setup
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"
REF=$ZONES_DIR/reference.json

# check EXPECTED_STATUS EXPECTED_OUTPUT ARGS...: one run, stdout and stderr.
check() {
    local want=$1 text=$2 rc
    shift 2
    "$AIRLOCK" policy check -c "$REF" "$@" >"$T/out" 2>&1
    rc=$?
    [ "$rc" = "$want" ] || fail_out "$T/out" "policy check $*: expected exit status $want, saw $rc"
    expect_eq "policy check $*" "$text" "$(head -n 1 "$T/out")"
}

check 0 "allowed: application -> inference tcp/443: NET-001 (application to the inference proxy) allows it; classification confidential" \
    --from application --to inference --proto https
check 0 "allowed: inference -> data tcp/6333-6334: NET-003 (inference to the vector database) allows it; classification restricted" \
    --from inference --to data --port 6333-6334
check 1 "denied: inference -> data tcp/6335: no rule allows it (default deny)" \
    --from inference --to data --port 6333-6335
check 1 "denied: application -> external_ai tcp/443: NET-010 (no direct model calls from applications) denies it" \
    --from application --to external_ai --port 443
check 1 "denied: 10.0.2.40 (inference) -> 203.0.113.9 (internet) tcp/443: NET-012 (no internet from the inference zone) denies it" \
    --from 10.0.2.40 --to 203.0.113.9 --port 443
check 0 "allowed: 10.0.2.40 (inference) -> 10.0.2.10 (external_ai) tcp/443: NET-002 (inference to the AI services' private endpoints) allows it; classification confidential" \
    --from 10.0.2.40 --to 10.0.2.10 --proto https
check 1 "denied: 10.0.3.7 (data) -> 198.51.100.1 (internet) udp/53: NET-011 (no internet from the data zone) denies it" \
    --from 10.0.3.7 --to 198.51.100.1 --port 53 --proto udp
check 2 "airlock policy check: --port \"6334-6333\" is an empty range (expected the low port first, e.g. 6333-6334)" \
    --from inference --to data --port 6334-6333
check 2 "airlock policy check: --port \"65536\" is not a port (expected 0-65535, or a range such as 6333-6334)" \
    --from inference --to data --port 65536
check 2 "airlock policy check: --from \"inferense\" is neither a zone of $REF nor an IP address (zones: application inference data management sandbox internet external_ai)" \
    --from inferense --to data --port 6333
check 2 "airlock policy check: --proto \"icmp\" is not a protocol (expected tcp, udp or https)" \
    --from inference --to data --port 1 --proto icmp
check 2 "airlock policy check: which port? give --port (only https has a default, 443)" \
    --from inference --to data

"$AIRLOCK" policy check -c "$REF" --from inference --to management --port 8200 --json >"$T/json" 2>&1
expect_eq "--json exit status" 0 "$?"
expect_eq "--json verdict" "True|inference|management|NET-004|allow|secret" \
    "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
print("|".join(str(x) for x in (o["allowed"], o["from"]["zone"], o["to"]["zone"], o["rules"][0]["id"],
      o["rules"][0]["action"], o["classification"])))' "$T/json")"

"$AIRLOCK" policy lint -c "$REF" >"$T/lint" 2>&1
expect_eq "lint of the reference catalog: exit status" 0 "$?"
expect_eq "lint of the reference catalog" "$REF: 0 findings (0 critical, 0 high, 0 warning)" "$(cat "$T/lint")"
BAD=$TOP_SRCDIR/tests/data/bad-policy.json
"$AIRLOCK" policy lint -c "$BAD" >"$T/lint" 2>&1
expect_eq "lint of the bad catalog: exit status" 1 "$?"
expect_eq "lint of the bad catalog: summary" "$BAD: 17 findings (2 critical, 5 high, 10 warning)" "$(tail -n 1 "$T/lint")"
"$AIRLOCK" policy lint -c "$BAD" --json >"$T/lint.json" 2>&1
expect_eq "lint --json: the checks found" \
    "cidr-spans-zones closed-zone-egress idle-timeout management-reachable no-ai-deny shadowed unknown-zone view-rules-mismatch zone-overlap" \
    "$(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["check"] for l in open(sys.argv[1])})))' "$T/lint.json")"

GOLD=$TOP_SRCDIR/tests/golden
for target in aws azure gcp; do
    "$AIRLOCK" policy render -c "$REF" --target "$target" --out "$T/render" >"$T/render.out" 2>&1 ||
        fail_out "$T/render.out" "policy render --target $target failed"
done
"$AIRLOCK" policy render -c "$REF" --target aws --format terraform --out "$T/render" >"$T/render.out" 2>&1 ||
    fail_out "$T/render.out" "policy render --format terraform failed"
for f in aws-cloudformation.json aws.tf.json aws-bedrock-endpoint-policy.json azure-openai-private.bicep \
    azure-vnet-dns.json gcp.tf.json; do
    cmp -s "$GOLD/$f" "$T/render/$f" || fail "policy render: $f differs from tests/golden/$f"
done
"$AIRLOCK" policy render -c "$BAD" --target aws >"$T/render.out" 2>&1
expect_eq "render without the AWS facts: exit status" 2 "$?"
grep -q "network.aws" "$T/render.out" || fail_out "$T/render.out" "the message does not name network.aws"
pass
