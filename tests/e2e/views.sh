#!/bin/bash
# Per-zone views of AI names and forced private answers: the application
# zone is refused AI names, the inference zone gets local data, a public
# answer for a protected name is refused with an incident and never cached,
# an Azure-style CNAME into privatelink with a private address passes and the
# same chain ending in a public address fails, a dead private path fails
# closed without asking any other resolver, the data zone resolves only
# internal names, the sandbox nothing, public AI APIs only the proxy zone,
# and rebinding protection refuses internal addresses for public names.
. "$(dirname "$0")/lib.sh" || exit 1
setup
need_sqlite3

pick_ports 3
LPORT=${PORTS[0]} UPORT=${PORTS[1]} APORT=${PORTS[2]}
# The default upstream lies: public addresses for protected names.
cat >"$T/up.records" <<'EOF'
bedrock-runtime.us-west-2.amazonaws.com. 60 IN A 52.119.1.1
good.openai.azure.com. 60 IN A 20.1.1.1
rebind.example. 60 IN A 10.9.9.9
EOF
# The Azure resolver, asked only for azure.com names.
cat >"$T/azure.records" <<'EOF'
good.openai.azure.com. 60 IN CNAME good.privatelink.openai.azure.com.
good.privatelink.openai.azure.com. 10 IN A 10.0.2.20
bad.openai.azure.com. 60 IN CNAME bad.privatelink.openai.azure.com.
bad.privatelink.openai.azure.com. 10 IN A 20.42.0.7
EOF
cat >"$T/pin.zone" <<'EOF'
$ORIGIN us-east-1.amazonaws.com.
$TTL 300
bedrock-runtime  IN A 10.0.2.10
bedrock-runtime  IN A 10.0.2.11
EOF
start_fake up "$UPORT" --records "$T/up.records"
start_fake azure "$APORT" --records "$T/azure.records"
DB=$T/log.db
cat >"$T/airlock.json" <<JSON
{
  "listen": [ {"address": "127.0.0.1", "port": $LPORT} ],
  "upstreams": [ {"address": "127.0.0.1", "port": $UPORT} ],
  "forward": [ {"suffix": "azure.com", "upstreams": [ {"address": "127.0.0.1", "port": $APORT} ]} ],
  "zones": [
    {"name": "application", "cidrs": ["127.0.1.0/24"], "ai": "deny", "rebinding_protection": true},
    {"name": "inference", "cidrs": ["127.0.2.0/24"]},
    {"name": "data", "cidrs": ["127.0.3.0/24"], "ai": "deny", "names": "internal-only",
     "deny_response": "nxdomain"},
    {"name": "proxy", "cidrs": ["127.0.4.0/24"], "ai": "deny", "public_ai": "allow"},
    {"name": "sandbox", "cidrs": ["127.0.5.0/24"], "ai": "deny", "names": "none",
     "deny_response": "nodata"}
  ],
  "internal_suffixes": ["corp.internal"],
  "endpoints": {"private_cidrs": ["10.0.2.0/24"]},
  "local_data": ["pin.zone"],
  "timeouts": {"upstream_ms": 300, "query_ms": 1500, "upstream_holddown_ms": 0},
  "log": {"path": "$DB", "batch_ms": 20}
}
JSON
start_airlockd "$T/airlock.json" "$LPORT"

# The application zone: no AI names at all, not even pinned ones.
q 127.0.1.5 bedrock-runtime.us-east-1.amazonaws.com A >"$T/o"
expect_status "$T/o" REFUSED "application zone, Bedrock runtime"
q 127.0.1.5 myres.openai.azure.com A >"$T/o"
expect_status "$T/o" REFUSED "application zone, Azure OpenAI"

# The inference zone: the pinned answer, from local data, never upstream.
q 127.0.2.5 BEDROCK-runtime.us-east-1.amazonaws.com A >"$T/o"
expect_answer "$T/o" A "10.0.2.10 10.0.2.11" "inference zone, pinned Bedrock runtime"
q 127.0.2.5 bedrock-runtime.us-east-1.amazonaws.com AAAA >"$T/o"
expect_status "$T/o" NOERROR "pinned name, other type"
expect_answer "$T/o" AAAA "" "pinned name, other type (NODATA)"
expect_eq "upstream queries for the pinned name" 0 \
    "$(log_count "$T/up.log" bedrock-runtime.us-east-1.amazonaws.com)"

# A public answer for a protected name: refused, every time (not cached).
for i in 1 2; do
    q 127.0.2.5 bedrock-runtime.us-west-2.amazonaws.com A >"$T/o"
    expect_status "$T/o" SERVFAIL "public answer for Bedrock us-west-2 (try $i)"
done
expect_eq "upstream asked again: the refused answer was not cached" 2 \
    "$(log_count "$T/up.log" bedrock-runtime.us-west-2.amazonaws.com A)"

# Azure: the chain into privatelink with a private address passes, asked
# only of the Azure resolver; the same chain ending publicly fails.
q 127.0.2.5 good.openai.azure.com A >"$T/o"
expect_answer "$T/o" A 10.0.2.20 "Azure CNAME chain into privatelink"
expect_answer "$T/o" CNAME good.privatelink.openai.azure.com. "the CNAME itself"
q 127.0.2.5 bad.openai.azure.com A >"$T/o"
expect_status "$T/o" SERVFAIL "Azure chain ending in a public address"
expect_eq "default upstream asked for azure.com names" 0 "$(grep -c 'azure.com' "$T/up.log")"

# The private path down: SERVFAIL, and no other resolver is tried.
q 127.0.2.5 drop1.openai.azure.com A >"$T/o"
expect_status "$T/o" SERVFAIL "protected name, private resolver silent"
expect_eq "the Azure resolver was asked" 1 "$(log_count "$T/azure.log" drop1.openai.azure.com A)"
expect_eq "the default resolver was not" 0 "$(log_count "$T/up.log" drop1.openai.azure.com)"

# Public AI APIs: only the proxy zone.
q 127.0.2.5 api.openai.com A >"$T/o"
expect_status "$T/o" REFUSED "inference zone, public AI API"
q 127.0.4.5 api.openai.com A >"$T/o"
expect_answer "$T/o" A 192.0.2.1 "proxy zone, public AI API"

# The data zone: internal names only; the sandbox: nothing.
q 127.0.3.5 www.example.com A >"$T/o"
expect_status "$T/o" NXDOMAIN "data zone, internet name"
q 127.0.3.5 db.corp.internal A >"$T/o"
expect_answer "$T/o" A 192.0.2.1 "data zone, internal name"
q 127.0.5.5 www.example.com A >"$T/o"
expect_status "$T/o" NOERROR "sandbox, internet name (NODATA)"
expect_answer "$T/o" A "" "sandbox, internet name (no answer)"
q 127.0.5.5 db.corp.internal A >"$T/o"
expect_answer "$T/o" A "" "sandbox, internal name (no answer)"

# Rebinding: a public name with an internal address, refused only where
# protection is on, from the upstream and from the cache alike.
q 127.0.2.5 rebind.example A >"$T/o"
expect_answer "$T/o" A 10.9.9.9 "inference zone, no rebinding protection"
q 127.0.1.5 rebind.example A >"$T/o"
expect_status "$T/o" REFUSED "application zone, internal address for a public name"

kill -TERM "$AL_PID"
wait_exit "$AL_PID" 5000
expect_eq "airlockd exit status" 0 "$EXIT_STATUS"
sql() { sqlite3 -batch -noheader -separator '|' "$DB" "$1"; }
expect_eq "incidents, in order" \
"high|ai_name_denied|application|127.0.1.5|bedrock-runtime.us-east-1.amazonaws.com.|aws-bedrock-runtime
high|ai_name_denied|application|127.0.1.5|myres.openai.azure.com.|azure-openai
critical|public_answer_refused|inference|127.0.2.5|bedrock-runtime.us-west-2.amazonaws.com.|aws-bedrock-runtime
critical|public_answer_refused|inference|127.0.2.5|bedrock-runtime.us-west-2.amazonaws.com.|aws-bedrock-runtime
critical|public_answer_refused|inference|127.0.2.5|bad.openai.azure.com.|azure-openai
high|private_path_down|inference|127.0.2.5|drop1.openai.azure.com.|azure-openai
high|ai_name_denied|inference|127.0.2.5|api.openai.com.|openai-api
warning|internet_name_denied|data|127.0.3.5|www.example.com.|
warning|name_denied|sandbox|127.0.5.5|www.example.com.|
warning|name_denied|sandbox|127.0.5.5|db.corp.internal.|
warning|dns_rebinding|application|127.0.1.5|rebind.example.|" \
    "$(sql "SELECT severity, kind, zone, client, name, json_extract(detail, '\$.endpoint')
            FROM incidents ORDER BY id")"
expect_eq "what the public answer incident says" \
    "52.119.1.1|address outside the private ranges|127.0.0.1:$UPORT" \
    "$(sql "SELECT json_extract(detail, '\$.offending'), json_extract(detail, '\$.why'),
                   json_extract(detail, '\$.upstream')
            FROM incidents WHERE kind = 'public_answer_refused' ORDER BY id LIMIT 1")"
expect_eq "the rebinding incident names the address" 10.9.9.9 \
    "$(sql "SELECT json_extract(detail, '\$.address') FROM incidents WHERE kind = 'dns_rebinding'")"
expect_eq "every incident is linked to its query row" 0 \
    "$(sql "SELECT count(*) FROM incidents i LEFT JOIN queries q ON q.id = i.query_id
            WHERE q.id IS NULL OR q.qname != i.name")"
expect_eq "how the queries were answered" \
    "bedrock-runtime.us-east-1.amazonaws.com.|127.0.1.5|5|blocked|ai endpoint denied
bedrock-runtime.us-east-1.amazonaws.com.|127.0.2.5|0|local|
bedrock-runtime.us-west-2.amazonaws.com.|127.0.2.5|2|blocked|public answer refused
good.openai.azure.com.|127.0.2.5|0|upstream|
drop1.openai.azure.com.|127.0.2.5|2|failed|upstreams failed
www.example.com.|127.0.3.5|3|blocked|internet name denied
www.example.com.|127.0.5.5|0|blocked|no names in this zone
rebind.example.|127.0.1.5|5|blocked|rebinding" \
    "$(sql "SELECT qname, client, rcode, action, reason FROM queries
            WHERE (qname, client) IN (VALUES
              ('bedrock-runtime.us-east-1.amazonaws.com.', '127.0.1.5'),
              ('bedrock-runtime.us-east-1.amazonaws.com.', '127.0.2.5'),
              ('bedrock-runtime.us-west-2.amazonaws.com.', '127.0.2.5'),
              ('good.openai.azure.com.', '127.0.2.5'), ('drop1.openai.azure.com.', '127.0.2.5'),
              ('www.example.com.', '127.0.3.5'), ('www.example.com.', '127.0.5.5'),
              ('rebind.example.', '127.0.1.5'))
            GROUP BY qname, client ORDER BY min(id)")"
pass
