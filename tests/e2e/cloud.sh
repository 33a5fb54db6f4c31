#!/bin/bash
# The cloud examples in contrib/cloud/ cannot drift from `airlock policy
# render`: zones/reference.json, with network.dns_servers and the management
# subnets set to the examples' two airlock instances, is rendered for AWS,
# Azure and GCP, and every value the examples share with the rendered files
# must be equal: the AWS resources under the same addresses with every
# attribute (DHCP servers, endpoint service name, subnet ids, security group,
# endpoint policy), the Azure OpenAI account, private endpoint, privatelink
# zone and VNet DNS servers, the GCP restricted.googleapis.com zone and
# firewall rule.  The examples' variables must also agree with the config
# (zones' CIDRs, subnets, names).  Terraform itself is not needed.
. "$(dirname "$0")/lib.sh" || exit 1
setup
CLOUD=$TOP_SRCDIR/contrib/cloud
[ -x "$AIRLOCK" ] || fail "airlock not built: $AIRLOCK (set AIRLOCK)"
for d in aws azure gcp; do
    for f in README.md main.tf variables.tf; do
        [ -s "$CLOUD/$d/$f" ] || fail "missing contrib/cloud/$d/$f"
    done
done

"$PY" - "$TOP_SRCDIR" "$AIRLOCK" "$T" >"$T/cloud.out" 2>&1 <<'EOF'
import json, os, re, shutil, subprocess, sys

top, airlock, tmp = sys.argv[1:4]
cloud = os.path.join(top, "contrib", "cloud")
errors = []

def err(msg):
    errors.append(msg)

# ----- a reader for the subset of HCL the examples use -----

def strip_comment(line):
    out, q, i = [], False, 0
    while i < len(line):
        ch = line[i]
        if q:
            if ch == "\\":
                out.append(line[i:i + 2]); i += 2; continue
            if ch == '"':
                q = False
        elif ch == '"':
            q = True
        elif ch == "#" or line.startswith("//", i):
            break
        out.append(ch); i += 1
    return "".join(out)

def depth(text):
    d, q, i = 0, False, 0
    while i < len(text):
        ch = text[i]
        if q:
            if ch == "\\":
                i += 2; continue
            if ch == '"':
                q = False
        elif ch == '"':
            q = True
        elif ch in "[{(":
            d += 1
        elif ch in "]})":
            d -= 1
        i += 1
    return d

def parse_hcl(path):
    """Blocks as {"_labels": [...], "_attrs": {name: text}, "_blocks": [...]}."""
    root = {"_labels": [], "_attrs": {}, "_blocks": []}
    stack = [root]
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = strip_comment(lines[i]).strip()
        i += 1
        if not line:
            continue
        m = re.match(r'^([A-Za-z_][\w-]*)((?:\s+"[^"]*")*)\s*\{(\s*\})?$', line)
        if m and m.group(3):  # an empty block: name {}
            continue
        if m:
            blk = {"_type": m.group(1), "_labels": re.findall(r'"([^"]*)"', m.group(2)),
                   "_attrs": {}, "_blocks": []}
            stack[-1]["_blocks"].append(blk)
            stack.append(blk)
            continue
        if line == "}":
            stack.pop()
            continue
        m = re.match(r'^([A-Za-z_][\w-]*)\s*=\s*(.*)$', line)
        if not m:
            raise SystemExit("%s: cannot read line %d: %s" % (path, i, line))
        name, val = m.group(1), m.group(2)
        h = re.search(r'<<-?([A-Z]+)$', val)
        if h:  # kept as text before it and "<heredoc>": never compared
            while i < len(lines) and lines[i].strip() != h.group(1):
                i += 1
            i += 1
            val = val[:h.start()] + "<heredoc>"
        while depth(val) > 0 and i < len(lines):
            val += "\n" + strip_comment(lines[i]); i += 1
        stack[-1]["_attrs"][name] = val.strip()
    return root

# ----- evaluating the expressions the compared attributes use -----

class Unknown(str):
    pass

def tokenize(s):
    toks, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            j, buf = i + 1, ""
            while s[j] != '"':
                if s[j] == "\\":
                    buf += s[j:j + 2]; j += 2
                else:
                    buf += s[j]; j += 1
            toks.append(("str", buf)); i = j + 1
        elif ch.isdigit():
            m = re.match(r'\d+', s[i:]); toks.append(("num", int(m.group()))); i += len(m.group())
        elif ch.isalpha() or ch == "_":
            m = re.match(r'[A-Za-z_][\w.-]*', s[i:]); toks.append(("id", m.group())); i += len(m.group())
        else:
            toks.append(("p", ch)); i += 1
    return toks

def evaluate(text, variables):
    try:
        toks = tokenize(text)
        val, pos = expr(toks, 0, variables)
        if pos != len(toks):
            return Unknown(text)
        return val
    except (IndexError, KeyError, ValueError, TypeError):
        return Unknown(text)

def interpolate(s, variables):
    def sub(m):
        v = evaluate(m.group(1), variables)
        if isinstance(v, Unknown):
            raise ValueError(m.group(1))
        return str(v)
    return re.sub(r'\$\{([^}]*)\}', sub, s).replace('\\"', '"')

def expr(toks, pos, variables):
    kind, v = toks[pos]
    if kind == "str":
        return interpolate(v, variables), pos + 1
    if kind == "num":
        return v, pos + 1
    if kind == "p" and v == "[":
        out, pos = [], pos + 1
        while toks[pos] != ("p", "]"):
            item, pos = expr(toks, pos, variables)
            out.append(item)
            if toks[pos] == ("p", ","):
                pos += 1
        return out, pos + 1
    if kind == "p" and v == "{":
        out, pos = {}, pos + 1
        while toks[pos] != ("p", "}"):
            key = toks[pos][1]
            if toks[pos + 1] not in (("p", "="), ("p", ":")):
                raise ValueError("map")
            out[key], pos = expr(toks, pos + 2, variables)
            if toks[pos] == ("p", ","):
                pos += 1
        return out, pos + 1
    if kind == "id":
        if v in ("true", "false"):
            return v == "true", pos + 1
        if v == "file" and toks[pos + 1] == ("p", "("):
            name, pos = expr(toks, pos + 2, variables)
            if toks[pos] != ("p", ")"):
                raise ValueError("file")
            return open(name).read(), pos + 1
        if v.startswith("var."):
            val, pos = variables[v[4:]], pos + 1
            while pos < len(toks) and toks[pos] == ("p", "["):
                key, pos = expr(toks, pos + 1, variables)
                val = val[key]
                pos += 1
            return val, pos
        if v == "path.module":
            return variables["path.module"], pos + 1
        return "${%s}" % v, pos + 1  # a reference to another resource
    raise ValueError(v)

def flatten(value, prefix, out):
    """Blocks and maps become dotted paths; a list of one block, the block."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, prefix + [k], out)
    elif isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        flatten(value[0], prefix, out)
    else:
        out[".".join(prefix)] = value
    return out

def block_values(blk, variables):
    out = {}
    for k, text in blk["_attrs"].items():
        flatten(evaluate(text, variables), [k], out)
    seen = {}
    for b in blk["_blocks"]:
        seen[b["_type"]] = seen.get(b["_type"], 0) + 1
    for b in blk["_blocks"]:
        if seen[b["_type"]] == 1:
            for k, v in block_values(b, variables).items():
                out[b["_type"] + "." + k] = v
    return out

def load_example(name):
    d = os.path.join(cloud, name)
    main = parse_hcl(os.path.join(d, "main.tf"))
    var_blocks = parse_hcl(os.path.join(d, "variables.tf"))["_blocks"]
    variables = {"path.module": d}
    for b in var_blocks:
        if b["_type"] == "variable" and "default" in b["_attrs"]:
            variables[b["_labels"][0]] = evaluate(b["_attrs"]["default"], {})
    resources = {}
    for b in main["_blocks"]:
        if b["_type"] in ("resource", "data"):
            key = ("data." if b["_type"] == "data" else "") + ".".join(b["_labels"])
            resources[key] = b
    return variables, resources

def same(a, b):
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        try:
            return json.loads(a) == json.loads(b)
        except ValueError:
            return False
    return False

def expect(where, key, want, got):
    if not same(want, got):
        err("%s: %s: rendered %r, example %r" % (where, key, want, got))

def check_resource(example, resources, variables, address, want):
    if address not in resources:
        err("contrib/cloud/%s/main.tf: no %s (the renderer writes it)" % (example, address))
        return
    got = block_values(resources[address], variables)
    for key, value in flatten(want, [], {}).items():
        if key not in got:
            err("contrib/cloud/%s/main.tf: %s has no %s (rendered: %r)" % (example, address, key, value))
        else:
            expect("contrib/cloud/%s/main.tf: %s" % (example, address), key, value, got[key])

# ----- the reference config, with the examples' airlock instances -----

ref = json.load(open(os.path.join(top, "zones", "reference.json")))
aws_vars, aws_res = load_example("aws")
az_vars, az_res = load_example("azure")
gcp_vars, gcp_res = load_example("gcp")
for name, v in (("aws", aws_vars), ("azure", az_vars), ("gcp", gcp_vars)):
    expect("contrib/cloud/%s/variables.tf" % name, "zone_cidrs",
           {z["name"]: z["cidrs"][0] for z in ref["zones"]}, v["zone_cidrs"])
    expect("contrib/cloud/%s/variables.tf" % name, "dns_servers[0] (the reference's listen address)",
           ref["listen"][0]["address"], v["dns_servers"][0])
    if v["dns_servers"] != aws_vars["dns_servers"]:
        err("contrib/cloud/%s/variables.tf: dns_servers %r differ from the AWS example's %r"
            % (name, v["dns_servers"], aws_vars["dns_servers"]))

net = ref["network"]
for k in ("region", "vpc_id"):
    expect("contrib/cloud/aws/variables.tf", k, net["aws"][k], aws_vars[k])
for zone, ids in net["aws"]["subnets"].items():
    got = aws_vars["zone_subnet_ids"].get(zone, [])
    if zone == "management":
        got = got[:len(ids)]  # plus the second airlock instance's subnet
    expect("contrib/cloud/aws/variables.tf", "zone_subnet_ids." + zone, ids, got)
for k in ("resource_group", "location", "vnet", "openai_account"):
    expect("contrib/cloud/azure/variables.tf", k, net["azure"][k], az_vars[k])
expect("contrib/cloud/azure/variables.tf", "zone_subnets", net["azure"]["subnets"], az_vars["zone_subnets"])
for k in ("project", "network"):
    expect("contrib/cloud/gcp/variables.tf", k, net["gcp"][k], gcp_vars[k])

# The config rendered: the examples' airlock addresses and management subnets.
work = os.path.join(tmp, "zones")
os.makedirs(work)
for f in os.listdir(os.path.join(top, "zones")):
    shutil.copy(os.path.join(top, "zones", f), work)
net["dns_servers"] = aws_vars["dns_servers"]
net["aws"]["subnets"]["management"] = aws_vars["zone_subnet_ids"]["management"]
cfg = os.path.join(work, "reference.json")
json.dump(ref, open(cfg, "w"), indent=2)

def render(target, *more):
    out = os.path.join(tmp, "render-" + target + "".join(more[1:2]))
    subprocess.run([airlock, "policy", "render", "-c", cfg, "--target", target, "--out", out] + list(more),
                   check=True, stdout=subprocess.DEVNULL)
    return out

# AWS: every rendered resource, under the same address, attribute by attribute.
out = render("aws", "--format", "terraform")
tf = json.load(open(os.path.join(out, "aws.tf.json")))
n = 0
for rtype, items in tf["resource"].items():
    for rname, attrs in items.items():
        check_resource("aws", aws_res, aws_vars, rtype + "." + rname, attrs)
        n += 1
if n < 5:
    err("aws.tf.json: only %d resources rendered (expected at least 5)" % n)
policy = open(os.path.join(out, "aws-bedrock-endpoint-policy.json")).read()
if policy != open(os.path.join(cloud, "aws", "aws-bedrock-endpoint-policy.json")).read():
    err("contrib/cloud/aws/aws-bedrock-endpoint-policy.json differs from the rendered one")

# GCP: the restricted.googleapis.com zone and the inference VIP rule.
out = render("gcp")
tf = json.load(open(os.path.join(out, "gcp.tf.json")))
for address in ("google_dns_managed_zone.googleapis", "google_dns_record_set.restricted_googleapis",
                "google_dns_record_set.googleapis_cname",
                "google_compute_firewall.airlock_inference_allow_restricted_vip"):
    rtype, rname = address.split(".")
    if rname not in tf["resource"].get(rtype, {}):
        err("gcp.tf.json: no %s rendered any more: update contrib/cloud/gcp and this test" % address)
        continue
    check_resource("gcp", gcp_res, gcp_vars, address, tf["resource"][rtype][rname])

# Azure: Bicep and a JSON setting; compare the values by what they mean.
out = render("azure")
bicep = open(os.path.join(out, "azure-openai-private.bicep")).read()
vnet_dns = json.load(open(os.path.join(out, "azure-vnet-dns.json")))
names = {}
for m in re.finditer(r"^resource (\w+) '[^']*'[^\n]*\{\n(?:  [^\n]*\n)*?  name: '([^']*)'", bicep, re.M):
    names[m.group(1)] = m.group(2)

def bicep_value(pattern):
    m = re.search(pattern, bicep, re.M)
    if not m:
        err("azure-openai-private.bicep: no match for %r any more: update this test" % pattern)
        return None
    return m.group(1)

def az(address, key, want):
    blk = az_res.get(address)
    if blk is None:
        err("contrib/cloud/azure/main.tf: no %s" % address)
        return
    got = block_values(blk, az_vars)
    if key not in got:
        err("contrib/cloud/azure/main.tf: %s has no %s (rendered: %r)" % (address, key, want))
    else:
        expect("contrib/cloud/azure/main.tf: " + address, key, want, got[key])

az("azurerm_cognitive_account.openai", "name", names.get("openai"))
az("azurerm_cognitive_account.openai", "custom_subdomain_name", bicep_value(r"^    customSubDomainName: '([^']*)'"))
az("azurerm_cognitive_account.openai", "kind", bicep_value(r"^  kind: '([^']*)'"))
az("azurerm_cognitive_account.openai", "sku_name", bicep_value(r"^  sku: \{\n    name: '([^']*)'"))
az("azurerm_cognitive_account.openai", "public_network_access_enabled",
   bicep_value(r"^    publicNetworkAccess: '([^']*)'") == "Enabled")
az("azurerm_cognitive_account.openai", "network_acls.default_action", bicep_value(r"^      defaultAction: '([^']*)'"))
az("azurerm_cognitive_account.openai", "location", bicep_value(r"^param location string = '([^']*)'"))
az("azurerm_cognitive_account.openai", "resource_group_name", vnet_dns["resourceGroup"])
az("azurerm_private_dns_zone.openai", "name", names.get("privateDnsZone"))
az("azurerm_private_dns_zone_virtual_network_link.openai", "name", names.get("privateDnsZoneLink"))
az("azurerm_private_dns_zone_virtual_network_link.openai", "registration_enabled",
   bicep_value(r"^    registrationEnabled: (\w+)") == "true")
az("azurerm_private_endpoint.openai", "name", names.get("privateEndpoint"))
az("azurerm_private_endpoint.openai", "private_service_connection.name",
   bicep_value(r"^        name: '([^']*)'\n        properties: \{\n          privateLinkServiceId"))
az("azurerm_private_endpoint.openai", "private_service_connection.subresource_names",
   [bicep_value(r"^          groupIds: \[\n            '([^']*)'")])
az("azurerm_private_endpoint.openai", "private_dns_zone_group.name", names.get("privateDnsZoneGroup"))
az("data.azurerm_subnet.endpoint", "name", names.get("endpointSubnet"))
az("data.azurerm_subnet.endpoint", "virtual_network_name", names.get("vnet"))
az("data.azurerm_virtual_network.zones", "name", vnet_dns["virtualNetwork"])
az("azurerm_virtual_network_dns_servers.airlock", "dns_servers", vnet_dns["dhcpOptions"]["dnsServers"])

for e in errors:
    print(e)
print("%d mismatches" % len(errors))
sys.exit(1 if errors else 0)
EOF
status=$?
[ "$status" = 0 ] || fail_out "$T/cloud.out" "contrib/cloud/ disagrees with airlock policy render"
grep -qx "0 mismatches" "$T/cloud.out" || fail_out "$T/cloud.out" "the check did not run to its end"

# The examples' formatting, where Terraform happens to be installed (it is
# not a Debian package; nothing is downloaded).
if command -v terraform >/dev/null 2>&1; then
    TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -diff "$CLOUD/aws" "$CLOUD/azure" "$CLOUD/gcp" \
        >"$T/fmt.out" 2>&1 || fail_out "$T/fmt.out" "terraform fmt -check: the examples are not formatted"
fi
pass
