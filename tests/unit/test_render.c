/* `airlock policy render`: the JSON artifacts parse and hold the expected
 * resources (the security group's ingress, the endpoint policy's allowed
 * ARNs and explicit deny, the DHCP options' servers, the GCP firewall
 * rules and googleapis.com zone), every artifact of the reference catalog
 * equals its golden file under tests/golden/ (regenerated only on purpose
 * by tests/golden/regen.sh), two renders give the same bytes, and a
 * missing or wrong fact is refused with a message naming its key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/render.h"

#define REFERENCE TOP_SRCDIR "/zones/reference.json"
#define GOLDEN TOP_SRCDIR "/tests/golden/"

/* Zones: inf and batch may reach external_ai (batch with two CIDRs, inf
 * with an IPv6 one too); data is allowed and denied, so denied; R5 (a
 * CIDR end covering app, inf and data, not batch) denies some UDP to the
 * internet; R6 denies batch TCP 25 anywhere (IPv4). */
#define HEAD "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}]," \
	     " \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 53}]," \
	     " \"zones\": [{\"name\": \"app\", \"cidrs\": [\"10.0.1.0/24\"]}," \
	     " {\"name\": \"inf\", \"cidrs\": [\"10.0.2.0/24\", \"fd00:2::/64\"]}," \
	     " {\"name\": \"batch\", \"cidrs\": [\"10.0.6.0/24\", \"10.9.6.0/24\"]}," \
	     " {\"name\": \"data\", \"cidrs\": [\"10.0.3.0/24\"]}]," \
	     " \"endpoints\": {\"private_cidrs\": [\"10.0.2.0/27\"]},"
#define RULES " \"rules\": [" \
	"{\"id\": \"R1\", \"from\": \"inf\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}," \
	"{\"id\": \"R2\", \"from\": \"batch\", \"to\": \"external_ai\", \"proto\": \"tcp\", \"action\": \"allow\"}," \
	"{\"id\": \"R3\", \"from\": \"data\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}," \
	"{\"id\": \"R4\", \"from\": \"data\", \"to\": \"external_ai\", \"action\": \"deny\"}," \
	"{\"id\": \"R5\", \"name\": \"no \\\"odd\\\" UDP out\", \"from\": \"10.0.0.0/16\", \"to\": \"internet\"," \
	" \"proto\": \"udp\", \"ports\": [53, \"6000-6010\"], \"action\": \"deny\"}," \
	"{\"id\": \"R6\", \"from\": \"batch\", \"to\": \"0.0.0.0/0\", \"proto\": \"tcp\", \"ports\": 25, \"action\": \"deny\"}],"
#define AWS "\"aws\": {\"region\": \"eu-west-1\", \"vpc_id\": \"vpc-0123abcd\"," \
	" \"subnets\": {\"inf\": [\"subnet-0123abcd\", \"subnet-0123abce\"], \"batch\": [\"subnet-0123abcd\", \"subnet-0123abcf\"]}," \
	" \"approved_models\": [\"anthropic.claude-*\", \"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-*\"]," \
	" \"services\": [\"aws-bedrock-agent-runtime\", \"aws-sagemaker-runtime\", \"aws-bedrock-runtime\"]}"
#define AZURE "\"azure\": {\"resource_group\": \"rg-x\", \"location\": \"westeurope\", \"vnet\": \"vnet-x\"," \
	" \"subnets\": {\"batch\": \"snet-batch\"}, \"openai_account\": \"oai-x\"}"
#define GCP "\"gcp\": {\"project\": \"proj-x1\", \"network\": \"net-x\"}"
#define DNS "\"dns_servers\": [\"10.0.4.53\", \"fd00:4::53\"]"

static int parse(const char *rules, const char *network, struct al_config **cfg, struct al_err *err)
{
	char text[8192];

	snprintf(text, sizeof(text), "%s%s \"network\": {%s}}", HEAD, rules, network);
	return al_config_parse(text, "r.json", cfg, err);
}

static struct al_config *load(const char *rules, const char *network)
{
	struct al_config *cfg;
	struct al_err err;

	if (parse(rules, network, &cfg, &err) != 0)
		fail_msg("config rejected: %s", err.msg);
	return cfg;
}

static struct al_config *load_reference(void)
{
	struct al_config *cfg;
	struct al_err err;

	if (al_config_load(REFERENCE, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	return cfg;
}

static void render(const struct al_config *cfg, enum al_render_target t, enum al_render_format f,
		   struct al_render *r)
{
	struct al_err err;

	if (al_render(cfg, t, f, r, &err) != 0)
		fail_msg("render failed: %s", err.msg);
}

static const struct al_artifact *artifact(const struct al_render *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].name, name))
			return &r->items[i];
	fail_msg("no artifact %s", name);
	return NULL;
}

static cJSON *json_of(const struct al_render *r, const char *name)
{
	cJSON *doc = cJSON_Parse(artifact(r, name)->text);

	if (!doc)
		fail_msg("%s does not parse as JSON", name);
	return doc;
}

/* obj at a path of keys ("Resources", "X", "Properties"), NULL-terminated. */
static const cJSON *at(const cJSON *obj, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while ((key = va_arg(ap, const char *)) != NULL) {
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		if (!obj)
			fail_msg("no key %s", key);
	}
	va_end(ap);
	return obj;
}

static const char *str(const cJSON *v)
{
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* A string list as "a,b,c"; also the keys of an object. */
static const char *list(const cJSON *v)
{
	static char out[2048];
	const cJSON *it;
	size_t off = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(it, v)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", off ? "," : "",
					cJSON_IsObject(v) ? it->string : str(it));
	return out;
}

static void test_render_aws_cloudformation_resources(void **state)
{
	struct al_config *cfg = load_reference();
	struct al_render r;
	const cJSON *res, *sg, *ingress, *ep;
	cJSON *doc, *policy;

	(void)state;
	render(cfg, AL_RENDER_AWS, AL_RENDER_DEFAULT, &r);
	assert_int_equal(r.n, 2);
	doc = json_of(&r, "aws-cloudformation.json");
	policy = json_of(&r, "aws-bedrock-endpoint-policy.json");
	res = at(doc, "Resources", NULL);
	assert_string_equal(list(res), "AiEndpointSecurityGroup,BedrockRuntimeEndpoint,AirlockDhcpOptions,"
				       "AirlockDhcpOptionsAssociation");

	sg = at(res, "AiEndpointSecurityGroup", NULL);
	assert_string_equal(str(at(sg, "Type", NULL)), "AWS::EC2::SecurityGroup");
	assert_string_equal(str(at(sg, "Properties", "VpcId", NULL)), "vpc-0abc1234def567890");
	ingress = at(sg, "Properties", "SecurityGroupIngress", NULL);
	assert_int_equal(cJSON_GetArraySize(ingress), 1); /* the inference subnet only */
	assert_string_equal(str(at(ingress->child, "IpProtocol", NULL)), "tcp");
	assert_int_equal(at(ingress->child, "FromPort", NULL)->valueint, 443);
	assert_int_equal(at(ingress->child, "ToPort", NULL)->valueint, 443);
	assert_string_equal(str(at(ingress->child, "CidrIp", NULL)), "10.0.2.0/24");

	ep = at(res, "BedrockRuntimeEndpoint", NULL);
	assert_string_equal(str(at(ep, "Type", NULL)), "AWS::EC2::VPCEndpoint");
	assert_string_equal(str(at(ep, "Properties", "VpcEndpointType", NULL)), "Interface");
	assert_string_equal(str(at(ep, "Properties", "ServiceName", NULL)), "com.amazonaws.us-east-1.bedrock-runtime");
	assert_string_equal(list(at(ep, "Properties", "SubnetIds", NULL)), "subnet-0a1b2c3d4e5f60201");
	assert_string_equal(str(at(at(ep, "Properties", "SecurityGroupIds", NULL)->child, "Ref", NULL)),
			    "AiEndpointSecurityGroup");
	assert_true(cJSON_IsTrue(at(ep, "Properties", "PrivateDnsEnabled", NULL)));
	assert_true(cJSON_Compare(at(ep, "Properties", "PolicyDocument", NULL), policy, 1));

	assert_string_equal(str(at(res, "AirlockDhcpOptions", "Type", NULL)), "AWS::EC2::DHCPOptions");
	assert_string_equal(list(at(res, "AirlockDhcpOptions", "Properties", "DomainNameServers", NULL)), "10.0.4.53");
	assert_string_equal(str(at(res, "AirlockDhcpOptions", "Properties", "DomainName", NULL)), "ec2.internal");
	assert_string_equal(str(at(res, "AirlockDhcpOptionsAssociation", "Type", NULL)),
			    "AWS::EC2::VPCDHCPOptionsAssociation");
	assert_string_equal(str(at(res, "AirlockDhcpOptionsAssociation", "Properties", "DhcpOptionsId", "Ref", NULL)),
			    "AirlockDhcpOptions");
	assert_string_equal(str(at(res, "AirlockDhcpOptionsAssociation", "Properties", "VpcId", NULL)),
			    "vpc-0abc1234def567890");
	cJSON_Delete(doc);
	cJSON_Delete(policy);
	al_render_clear(&r);
	al_config_unref(cfg);
}

static void test_render_aws_endpoint_policy_allows_approved_models_only(void **state)
{
	static const char arns[] = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-*,"
				   "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-*";
	static const char actions[] = "bedrock:InvokeModel,bedrock:InvokeModelWithResponseStream";
	struct al_config *cfg = load_reference();
	struct al_render r;
	const cJSON *allow, *deny;
	cJSON *doc;

	(void)state;
	render(cfg, AL_RENDER_AWS, AL_RENDER_DEFAULT, &r);
	doc = json_of(&r, "aws-bedrock-endpoint-policy.json");
	assert_string_equal(str(at(doc, "Version", NULL)), "2012-10-17");
	assert_int_equal(cJSON_GetArraySize(at(doc, "Statement", NULL)), 2);
	allow = at(doc, "Statement", NULL)->child;
	deny = allow->next;
	assert_string_equal(str(at(allow, "Effect", NULL)), "Allow");
	assert_string_equal(str(at(allow, "Principal", NULL)), "*");
	assert_string_equal(list(at(allow, "Action", NULL)), actions);
	assert_string_equal(list(at(allow, "Resource", NULL)), arns);
	assert_string_equal(str(at(deny, "Effect", NULL)), "Deny");
	assert_string_equal(list(at(deny, "Action", NULL)), actions);
	assert_string_equal(list(at(deny, "NotResource", NULL)), arns); /* every other model */
	assert_null(cJSON_GetObjectItemCaseSensitive(deny, "Resource"));
	cJSON_Delete(doc);
	al_render_clear(&r);
	al_config_unref(cfg);
}

static void test_render_aws_terraform_resources(void **state)
{
	struct al_config *cfg = load_reference();
	struct al_render r;
	const cJSON *res, *rule;
	cJSON *doc, *policy, *embedded;

	(void)state;
	render(cfg, AL_RENDER_AWS, AL_RENDER_TERRAFORM, &r);
	assert_int_equal(r.n, 2);
	doc = json_of(&r, "aws.tf.json");
	policy = json_of(&r, "aws-bedrock-endpoint-policy.json");
	res = at(doc, "resource", NULL);
	assert_string_equal(list(res), "aws_security_group,aws_vpc_security_group_ingress_rule,aws_vpc_endpoint,"
				       "aws_vpc_dhcp_options,aws_vpc_dhcp_options_association");
	assert_string_equal(str(at(res, "aws_security_group", "ai_endpoints", "vpc_id", NULL)), "vpc-0abc1234def567890");
	assert_string_equal(list(at(res, "aws_vpc_security_group_ingress_rule", NULL)), "https_from_inference_1");
	rule = at(res, "aws_vpc_security_group_ingress_rule", "https_from_inference_1", NULL);
	assert_string_equal(str(at(rule, "security_group_id", NULL)), "${aws_security_group.ai_endpoints.id}");
	assert_string_equal(str(at(rule, "ip_protocol", NULL)), "tcp");
	assert_int_equal(at(rule, "from_port", NULL)->valueint, 443);
	assert_int_equal(at(rule, "to_port", NULL)->valueint, 443);
	assert_string_equal(str(at(rule, "cidr_ipv4", NULL)), "10.0.2.0/24");
	assert_string_equal(str(at(res, "aws_vpc_endpoint", "bedrock_runtime", "service_name", NULL)),
			    "com.amazonaws.us-east-1.bedrock-runtime");
	assert_string_equal(str(at(res, "aws_vpc_endpoint", "bedrock_runtime", "vpc_endpoint_type", NULL)), "Interface");
	embedded = cJSON_Parse(str(at(res, "aws_vpc_endpoint", "bedrock_runtime", "policy", NULL)));
	assert_true(cJSON_Compare(embedded, policy, 1));
	assert_string_equal(list(at(res, "aws_vpc_dhcp_options", "airlock", "domain_name_servers", NULL)), "10.0.4.53");
	assert_string_equal(str(at(res, "aws_vpc_dhcp_options_association", "airlock", "dhcp_options_id", NULL)),
			    "${aws_vpc_dhcp_options.airlock.id}");
	cJSON_Delete(embedded);
	cJSON_Delete(doc);
	cJSON_Delete(policy);
	al_render_clear(&r);
	al_config_unref(cfg);
}

/* The security group follows the rules' semantics (deny wins, every CIDR
 * of an allowed zone, IPv6 too), the endpoints follow network.aws.services,
 * and the region gives the ARNs and the DHCP domain. */
static void test_render_aws_follows_the_rules_and_services(void **state)
{
	struct al_config *cfg = load(RULES, DNS ", " AWS);
	struct al_render r;
	const cJSON *res, *it;
	char seen[512] = "";
	size_t off = 0;
	cJSON *doc, *policy;

	(void)state;
	render(cfg, AL_RENDER_AWS, AL_RENDER_CLOUDFORMATION, &r);
	doc = json_of(&r, "aws-cloudformation.json");
	policy = json_of(&r, "aws-bedrock-endpoint-policy.json");
	res = at(doc, "Resources", NULL);
	cJSON_ArrayForEach(it, at(res, "AiEndpointSecurityGroup", "Properties", "SecurityGroupIngress", NULL)) {
		const cJSON *v4 = cJSON_GetObjectItemCaseSensitive(it, "CidrIp");
		off += (size_t)snprintf(seen + off, sizeof(seen) - off, "%s%s %s|", v4 ? "" : "v6 ",
					str(v4 ? v4 : at(it, "CidrIpv6", NULL)), str(at(it, "Description", NULL)));
	}
	assert_string_equal(seen, "10.0.2.0/24 zone inf: R1|v6 fd00:2::/64 zone inf: R1|"
				  "10.0.6.0/24 zone batch: R2|10.9.6.0/24 zone batch: R2|");
	assert_string_equal(list(res), "AiEndpointSecurityGroup,BedrockRuntimeEndpoint,BedrockAgentRuntimeEndpoint,"
				       "SagemakerRuntimeEndpoint,AirlockDhcpOptions,AirlockDhcpOptionsAssociation");
	assert_string_equal(str(at(res, "BedrockAgentRuntimeEndpoint", "Properties", "ServiceName", NULL)),
			    "com.amazonaws.eu-west-1.bedrock-agent-runtime");
	assert_string_equal(str(at(res, "SagemakerRuntimeEndpoint", "Properties", "ServiceName", NULL)),
			    "com.amazonaws.eu-west-1.sagemaker.runtime");
	assert_string_equal(list(at(res, "SagemakerRuntimeEndpoint", "Properties", "SubnetIds", NULL)),
			    "subnet-0123abcd,subnet-0123abce,subnet-0123abcf");
	assert_null(cJSON_GetObjectItemCaseSensitive(at(res, "SagemakerRuntimeEndpoint", "Properties", NULL),
						     "PolicyDocument"));
	assert_string_equal(list(at(at(policy, "Statement", NULL)->child, "Resource", NULL)),
			    "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-*,"
			    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-*");
	assert_string_equal(str(at(res, "AirlockDhcpOptions", "Properties", "DomainName", NULL)),
			    "eu-west-1.compute.internal");
	assert_string_equal(list(at(res, "AirlockDhcpOptions", "Properties", "DomainNameServers", NULL)),
			    "10.0.4.53,fd00:4::53");
	cJSON_Delete(doc);
	cJSON_Delete(policy);
	al_render_clear(&r);
	al_config_unref(cfg);
}

/* Whether ip is in one of the CIDR strings of arr. */
static bool in_ranges(const cJSON *arr, const char *ip)
{
	const cJSON *it;
	struct al_cidr c;
	struct al_ip a;

	assert_int_equal(al_ip_parse(ip, &a), 0);
	cJSON_ArrayForEach(it, arr) {
		assert_int_equal(al_cidr_parse(str(it), &c), 0);
		if (al_cidr_contains(&c, &a))
			return true;
	}
	return false;
}

static void test_render_gcp_firewall_rules_and_dns(void **state)
{
	struct al_config *cfg = load_reference();
	struct al_render r;
	const cJSON *fw, *rule, *ranges, *rec;
	cJSON *doc;

	(void)state;
	render(cfg, AL_RENDER_GCP, AL_RENDER_DEFAULT, &r);
	assert_int_equal(r.n, 1);
	doc = json_of(&r, "gcp.tf.json");
	fw = at(doc, "resource", "google_compute_firewall", NULL);
	assert_string_equal(list(fw), "airlock_inference_allow_restricted_vip,"
				      "airlock_application_net_010_deny_ai,airlock_application_net_010_deny_ai_v6,"
				      "airlock_data_net_011_deny_internet,airlock_data_net_011_deny_internet_v6,"
				      "airlock_inference_net_012_deny_internet,airlock_inference_net_012_deny_internet_v6");

	rule = at(fw, "airlock_inference_allow_restricted_vip", NULL);
	assert_string_equal(str(at(rule, "direction", NULL)), "EGRESS");
	assert_int_equal(at(rule, "priority", NULL)->valueint, 1000);
	assert_string_equal(list(at(rule, "target_tags", NULL)), "airlock-inference");
	assert_string_equal(list(at(rule, "destination_ranges", NULL)), "199.36.153.4/30");
	assert_string_equal(str(at(at(rule, "allow", NULL)->child, "protocol", NULL)), "tcp");
	assert_string_equal(list(at(at(rule, "allow", NULL)->child, "ports", NULL)), "443");
	assert_string_equal(str(at(rule, "project", NULL)), "airlock-ai-prod");
	assert_string_equal(str(at(rule, "network", NULL)), "airlock-vpc");

	/* The internet is every address in no zone and not external_ai. */
	rule = at(fw, "airlock_data_net_011_deny_internet", NULL);
	assert_int_equal(at(rule, "priority", NULL)->valueint, 1100); /* after the allow */
	assert_string_equal(list(at(rule, "target_tags", NULL)), "airlock-data");
	assert_string_equal(str(at(at(rule, "deny", NULL)->child, "protocol", NULL)), "all");
	ranges = at(rule, "destination_ranges", NULL);
	assert_int_equal(cJSON_GetArraySize(ranges), 23);
	assert_true(in_ranges(ranges, "8.8.8.8"));
	assert_true(in_ranges(ranges, "10.0.0.1"));
	assert_true(in_ranges(ranges, "10.0.6.0"));
	assert_true(in_ranges(ranges, "10.1.2.3"));
	assert_true(in_ranges(ranges, "199.36.153.4")); /* only allowed zones reach the VIP */
	assert_true(in_ranges(ranges, "255.255.255.255"));
	assert_false(in_ranges(ranges, "10.0.1.1"));
	assert_false(in_ranges(ranges, "10.0.3.200"));
	assert_false(in_ranges(ranges, "10.0.5.255"));
	assert_string_equal(list(at(fw, "airlock_data_net_011_deny_internet_v6", "destination_ranges", NULL)), "::/0");

	rule = at(fw, "airlock_application_net_010_deny_ai", NULL);
	assert_string_equal(list(at(rule, "destination_ranges", NULL)), "199.36.153.4/30,199.36.153.8/30,10.0.2.0/27");

	assert_string_equal(str(at(doc, "resource", "google_dns_managed_zone", "googleapis", "dns_name", NULL)),
			    "googleapis.com.");
	assert_string_equal(str(at(doc, "resource", "google_dns_managed_zone", "googleapis", "visibility", NULL)),
			    "private");
	assert_string_equal(str(at(at(doc, "resource", "google_dns_managed_zone", "googleapis",
				      "private_visibility_config", "networks", NULL)->child, "network_url", NULL)),
			    "projects/airlock-ai-prod/global/networks/airlock-vpc");
	rec = at(doc, "resource", "google_dns_record_set", NULL);
	assert_string_equal(str(at(rec, "restricted_googleapis", "name", NULL)), "restricted.googleapis.com.");
	assert_string_equal(str(at(rec, "restricted_googleapis", "type", NULL)), "A");
	assert_string_equal(list(at(rec, "restricted_googleapis", "rrdatas", NULL)),
			    "199.36.153.4,199.36.153.5,199.36.153.6,199.36.153.7");
	assert_string_equal(str(at(rec, "googleapis_cname", "name", NULL)), "*.googleapis.com.");
	assert_string_equal(str(at(rec, "googleapis_cname", "type", NULL)), "CNAME");
	assert_string_equal(list(at(rec, "googleapis_cname", "rrdatas", NULL)), "restricted.googleapis.com.");
	cJSON_Delete(doc);
	al_render_clear(&r);
	al_config_unref(cfg);
}

/* A deny with a CIDR end, UDP ports and a free-text name; zones allowed
 * and zones denied external_ai. */
static void test_render_gcp_follows_the_rules(void **state)
{
	struct al_config *cfg = load(RULES, GCP);
	struct al_render r;
	const cJSON *fw, *deny;
	cJSON *doc;

	(void)state;
	render(cfg, AL_RENDER_GCP, AL_RENDER_TERRAFORM, &r);
	doc = json_of(&r, "gcp.tf.json");
	fw = at(doc, "resource", "google_compute_firewall", NULL);
	assert_string_equal(list(fw), "airlock_inf_allow_restricted_vip,airlock_batch_allow_restricted_vip,"
				      "airlock_data_r4_deny_ai,airlock_data_r4_deny_ai_v6,"
				      "airlock_app_r5_deny_internet,airlock_app_r5_deny_internet_v6,"
				      "airlock_data_r5_deny_internet,airlock_data_r5_deny_internet_v6,"
				      "airlock_batch_r6_deny_internet,airlock_batch_r6_deny_ai");
	assert_string_equal(str(at(fw, "airlock_batch_allow_restricted_vip", "description", NULL)),
			    "airlock: zone batch may reach external_ai (R2): HTTPS to restricted.googleapis.com");
	/* R5's 10.0.0.0/16 does not hold inf's IPv6 CIDR, so not inf. */
	deny = at(fw, "airlock_app_r5_deny_internet", NULL);
	assert_string_equal(str(at(deny, "description", NULL)),
			    "airlock: zone app to the internet denied by R5 (no _odd_ UDP out)");
	assert_string_equal(str(at(at(deny, "deny", NULL)->child, "protocol", NULL)), "udp");
	assert_string_equal(list(at(at(deny, "deny", NULL)->child, "ports", NULL)), "53,6000-6010");
	assert_true(in_ranges(at(deny, "destination_ranges", NULL), "10.9.5.1"));
	assert_false(in_ranges(at(deny, "destination_ranges", NULL), "10.9.6.1"));
	assert_false(in_ranges(at(deny, "destination_ranges", NULL), "10.0.2.9"));
	deny = at(fw, "airlock_batch_r6_deny_ai", NULL);
	assert_string_equal(str(at(at(deny, "deny", NULL)->child, "protocol", NULL)), "tcp");
	assert_string_equal(list(at(at(deny, "deny", NULL)->child, "ports", NULL)), "25");
	assert_string_equal(list(at(deny, "destination_ranges", NULL)), "199.36.153.4/30,199.36.153.8/30,10.0.2.0/27");
	deny = at(fw, "airlock_app_r5_deny_internet_v6", NULL);
	assert_true(in_ranges(at(deny, "destination_ranges", NULL), "2001:db8::1"));
	assert_false(in_ranges(at(deny, "destination_ranges", NULL), "fd00:2::9"));
	cJSON_Delete(doc);
	al_render_clear(&r);
	al_config_unref(cfg);
}

static void test_render_azure_private_endpoint_and_dns(void **state)
{
	static const char *const lines[] = {
		"resource openai 'Microsoft.CognitiveServices/accounts@2023-05-01' = {\n  name: 'oai-airlock-prod'\n",
		"  kind: 'OpenAI'\n",
		"    customSubDomainName: 'oai-airlock-prod'\n",
		"    publicNetworkAccess: 'Disabled'\n",
		"    networkAcls: {\n      defaultAction: 'Deny'\n",
		"resource privateDnsZone 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: 'privatelink.openai.azure.com'\n",
		"'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {\n  parent: privateDnsZone\n",
		"      id: vnet.id\n",
		"resource privateEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {\n",
		"          privateLinkServiceId: openai.id\n          groupIds: [\n            'account'\n",
		"  name: 'snet-inference'\n",
		"'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = {\n  parent: privateEndpoint\n",
		"          privateDnsZoneId: privateDnsZone.id\n",
	};
	struct al_config *cfg = load_reference();
	struct al_render r;
	const char *bicep;
	cJSON *dns;
	size_t i;

	(void)state;
	render(cfg, AL_RENDER_AZURE, AL_RENDER_DEFAULT, &r);
	assert_int_equal(r.n, 2);
	bicep = artifact(&r, "azure-openai-private.bicep")->text;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(bicep, lines[i]))
			fail_msg("the Bicep lacks \"%s\"", lines[i]);
	dns = json_of(&r, "azure-vnet-dns.json");
	assert_string_equal(str(at(dns, "virtualNetwork", NULL)), "vnet-airlock");
	assert_string_equal(list(at(dns, "dhcpOptions", "dnsServers", NULL)), "10.0.4.53");
	assert_string_equal(str(at(dns, "command", NULL)),
			    "az network vnet update --resource-group rg-airlock-ai --name vnet-airlock --dns-servers 10.0.4.53");
	cJSON_Delete(dns);
	al_render_clear(&r);
	al_config_unref(cfg);

	/* The endpoint goes to the first allowed zone with a subnet. */
	cfg = load(RULES, DNS ", " AZURE);
	render(cfg, AL_RENDER_AZURE, AL_RENDER_DEFAULT, &r);
	assert_non_null(strstr(artifact(&r, "azure-openai-private.bicep")->text,
			       "//   private endpoint: subnet snet-batch of zone batch (R2)\n"));
	assert_non_null(strstr(artifact(&r, "azure-openai-private.bicep")->text, "param location string = 'westeurope'\n"));
	al_render_clear(&r);
	al_config_unref(cfg);
}

static char *read_golden(const char *name)
{
	char path[512], *text;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), GOLDEN "%s", name);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open %s (regenerate with tests/golden/regen.sh)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static const struct {
	enum al_render_target target;
	enum al_render_format format;
} every[] = {
	{ AL_RENDER_AWS, AL_RENDER_DEFAULT },
	{ AL_RENDER_AWS, AL_RENDER_TERRAFORM },
	{ AL_RENDER_AZURE, AL_RENDER_DEFAULT },
	{ AL_RENDER_GCP, AL_RENDER_DEFAULT },
};

static void test_render_reference_equals_golden_files(void **state)
{
	struct al_config *cfg = load_reference();
	struct al_render r;
	size_t i, j, files = 0;

	(void)state;
	for (i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		render(cfg, every[i].target, every[i].format, &r);
		for (j = 0; j < r.n; j++, files++) {
			char *want = read_golden(r.items[j].name);

			if (strcmp(want, r.items[j].text))
				fail_msg("%s differs from tests/golden/%s (if the change is meant, run tests/golden/regen.sh and review the diff)",
					 r.items[j].name, r.items[j].name);
			free(want);
		}
		al_render_clear(&r);
	}
	assert_int_equal(files, 7); /* the endpoint policy twice, with CloudFormation and Terraform */
	al_config_unref(cfg);
}

static void test_render_is_deterministic(void **state)
{
	struct al_config *a = load_reference(), *b = load_reference();
	struct al_render ra, rb;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		render(a, every[i].target, every[i].format, &ra);
		render(b, every[i].target, every[i].format, &rb);
		assert_int_equal(ra.n, rb.n);
		for (j = 0; j < ra.n; j++) {
			assert_string_equal(ra.items[j].name, rb.items[j].name);
			assert_string_equal(ra.items[j].text, rb.items[j].text);
		}
		al_render_clear(&ra);
		al_render_clear(&rb);
		render(a, every[i].target, every[i].format, &ra); /* the same config again */
		render(a, every[i].target, every[i].format, &rb);
		for (j = 0; j < ra.n; j++)
			assert_string_equal(ra.items[j].text, rb.items[j].text);
		al_render_clear(&ra);
		al_render_clear(&rb);
	}
	al_config_unref(a);
	al_config_unref(b);
}

static void expect_render_error(const char *rules, const char *network, enum al_render_target t,
				enum al_render_format f, const char *want)
{
	struct al_config *cfg = load(rules, network);
	struct al_render r;
	struct al_err err = { "" };

	if (al_render(cfg, t, f, &r, &err) != -EINVAL)
		fail_msg("rendered: %s", network);
	assert_int_equal(r.n, 0);
	if (strcmp(err.msg, want))
		fail_msg("message \"%s\", expected \"%s\"", err.msg, want);
	al_config_unref(cfg);
}

static void test_render_names_the_missing_fact(void **state)
{
	(void)state;
	expect_render_error(RULES, DNS, AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws: missing (expected {\"region\", \"vpc_id\", \"subnets\", \"approved_models\"} to render for AWS)");
	expect_render_error(RULES, DNS ", \"aws\": {\"vpc_id\": \"vpc-0123abcd\"}", AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws.region: missing (expected the AWS region, e.g. \"us-east-1\")");
	expect_render_error(RULES, DNS ", \"aws\": {\"region\": \"us-east-1\"}", AL_RENDER_AWS, AL_RENDER_TERRAFORM,
			    "r.json: network.aws.vpc_id: missing (expected the VPC id, e.g. \"vpc-0abc1234def567890\")");
	expect_render_error(RULES, DNS ", \"aws\": {\"region\": \"us-east-1\", \"vpc_id\": \"vpc-0123abcd\","
			    " \"subnets\": {\"inf\": [\"subnet-0123abcd\"]}}", AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws.approved_models: missing (expected the models the Bedrock endpoint policy allows, e.g. [\"anthropic.claude-*\", \"amazon.titan-*\"])");
	expect_render_error(RULES, AWS, AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.dns_servers: missing (expected airlock's addresses for the DHCP options, e.g. [\"10.0.4.53\"])");
	expect_render_error(RULES, DNS ", \"aws\": {\"region\": \"us-east-1\", \"vpc_id\": \"vpc-0123abcd\","
			    " \"subnets\": {\"inf\": [\"subnet-0123abcd\"]}, \"approved_models\": [\"amazon.titan-*\"]}",
			    AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws.subnets.batch: missing (expected the subnet ids of zone batch, which R2 allows to reach external_ai)");
	expect_render_error(RULES, DNS ", \"aws\": {\"region\": \"us-east-1\", \"vpc_id\": \"vpc-0123abcd\","
			    " \"subnets\": {\"infr\": [\"subnet-0123abcd\"]}, \"approved_models\": [\"amazon.titan-*\"]}",
			    AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws.subnets.infr: \"infr\" is not a zone of the config (expected one of: app, inf, batch, data)");
	expect_render_error(RULES, DNS ", \"aws\": {\"region\": \"us-east-1\", \"vpc_id\": \"vpc-0123abcd\","
			    " \"subnets\": {\"inf\": [\"subnet-0123abcd\"], \"batch\": [\"subnet-0123abcd\"]},"
			    " \"approved_models\": [\"amazon.titan-*\"], \"services\": [\"azure-openai\"]}",
			    AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: network.aws.services[0]: \"azure-openai\" is not an aws private-link endpoint (expected the id of an aws private-link endpoint of the AI endpoint catalog, e.g. \"aws-bedrock-agent-runtime\")");
	expect_render_error(" \"rules\": [{\"id\": \"R4\", \"from\": \"data\", \"to\": \"external_ai\", \"action\": \"deny\"}],",
			    DNS ", " AWS, AL_RENDER_AWS, AL_RENDER_DEFAULT,
			    "r.json: rules: no zone may reach external_ai on TCP 443 (expected an allow such as {\"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}): the endpoints would serve no zone");

	expect_render_error(RULES, DNS, AL_RENDER_AZURE, AL_RENDER_DEFAULT,
			    "r.json: network.azure: missing (expected {\"resource_group\", \"location\", \"vnet\", \"subnets\", \"openai_account\"} to render for Azure)");
	expect_render_error(RULES, DNS ", \"azure\": {\"resource_group\": \"rg-x\", \"location\": \"westeurope\","
			    " \"vnet\": \"vnet-x\", \"subnets\": {\"inf\": \"snet-inf\"}}", AL_RENDER_AZURE, AL_RENDER_DEFAULT,
			    "r.json: network.azure.openai_account: missing (expected the Azure OpenAI account name, e.g. \"oai-airlock-prod\")");
	expect_render_error(RULES, DNS ", \"azure\": {\"resource_group\": \"rg-x\", \"location\": \"westeurope\","
			    " \"vnet\": \"vnet-x\", \"subnets\": {\"app\": \"snet-app\"}, \"openai_account\": \"oai-x\"}",
			    AL_RENDER_AZURE, AL_RENDER_DEFAULT,
			    "r.json: network.azure.subnets.inf: missing (expected the subnet of zone inf, which R1 allows to reach external_ai)");
	expect_render_error(RULES, AZURE, AL_RENDER_AZURE, AL_RENDER_DEFAULT,
			    "r.json: network.dns_servers: missing (expected airlock's addresses for the VNet's DNS servers, e.g. [\"10.0.4.53\"])");

	expect_render_error(RULES, DNS, AL_RENDER_GCP, AL_RENDER_DEFAULT,
			    "r.json: network.gcp: missing (expected {\"project\", \"network\"} to render for GCP)");
	expect_render_error(RULES, "\"gcp\": {\"network\": \"net-x\"}", AL_RENDER_GCP, AL_RENDER_DEFAULT,
			    "r.json: network.gcp.project: missing (expected the project id, e.g. \"airlock-ai-prod\")");
	expect_render_error(RULES, "\"gcp\": {\"project\": \"proj-x1\"}", AL_RENDER_GCP, AL_RENDER_DEFAULT,
			    "r.json: network.gcp.network: missing (expected the VPC network of the zones, e.g. \"airlock-vpc\")");
}

static void test_render_refuses_a_format_the_target_has_not(void **state)
{
	(void)state;
	expect_render_error(RULES, DNS ", " AZURE, AL_RENDER_AZURE, AL_RENDER_TERRAFORM,
			    "Azure is rendered as Bicep only (expected no --format)");
	expect_render_error(RULES, GCP, AL_RENDER_GCP, AL_RENDER_CLOUDFORMATION,
			    "GCP is rendered as Terraform JSON only (expected --format terraform or none)");
}

static void expect_parse_error(const char *network, const char *want)
{
	struct al_config *cfg;
	struct al_err err = { "" };

	if (parse(RULES, network, &cfg, &err) != -EINVAL)
		fail_msg("accepted: %s", network);
	if (strcmp(err.msg, want))
		fail_msg("message \"%s\", expected \"%s\"", err.msg, want);
}

static void test_render_network_keys_are_checked(void **state)
{
	(void)state;
	expect_parse_error("\"aws\": {\"regoin\": \"us-east-1\"}",
			   "r.json: network.aws.regoin: unknown key (expected one of: region, vpc_id, subnets, approved_models, services)");
	expect_parse_error("\"aws\": {\"region\": \"US East\"}",
			   "r.json: network.aws.region: \"US East\" is not valid (expected an AWS region, e.g. \"us-east-1\")");
	expect_parse_error("\"aws\": {\"vpc_id\": \"vpc-XYZ\"}",
			   "r.json: network.aws.vpc_id: \"vpc-XYZ\" is not valid (expected a VPC id, e.g. \"vpc-0abc1234def567890\")");
	expect_parse_error("\"aws\": {\"subnets\": {\"inf\": [\"subnet-0123abcd\", \"sn-1\"]}}",
			   "r.json: network.aws.subnets.inf[1]: \"sn-1\" is not valid (expected a subnet id, e.g. \"subnet-0abc1234def567890\")");
	expect_parse_error("\"aws\": {\"subnets\": [\"subnet-0123abcd\"]}",
			   "r.json: network.aws.subnets: [\"subnet-0123abcd\"] is not valid (expected {\"ZONE\": [SUBNET-ID, ...], ...}, e.g. {\"inference\": [\"subnet-0abc1234def567890\"]})");
	expect_parse_error("\"aws\": {\"approved_models\": [\"claude 3\"]}",
			   "r.json: network.aws.approved_models[0]: \"claude 3\" is not valid (expected a model id pattern such as \"anthropic.claude-*\", or a model ARN)");
	expect_parse_error("\"aws\": {\"approved_models\": []}",
			   "r.json: network.aws.approved_models: empty list (expected a list, each a model id pattern such as \"anthropic.claude-*\", or a model ARN)");
	expect_parse_error("\"aws\": {\"services\": [\"aws-bedrock\", \"aws-bedrock\"]}",
			   "r.json: network.aws.services[1]: \"aws-bedrock\" is also network.aws.services[0] (expected each once)");
	expect_parse_error("\"dns_servers\": [\"10.0.4.53\", \"10.0.4.300\"]",
			   "r.json: network.dns_servers[1]: \"10.0.4.300\" is not an IP address (expected e.g. \"10.0.4.53\")");
	expect_parse_error("\"dns_servers\": [\"10.0.4.53\", \"10.0.4.53\"]",
			   "r.json: network.dns_servers[1]: \"10.0.4.53\" is also network.dns_servers[0] (expected each once)");
	expect_parse_error("\"dns_servers\": [\"10.0.4.1\", \"10.0.4.2\", \"10.0.4.3\", \"10.0.4.4\", \"10.0.4.5\"]",
			   "r.json: network.dns_servers: 5 addresses (expected at most 4: an AWS DHCP options set holds 4)");
	expect_parse_error("\"azure\": {\"openai_account\": \"OAI\"}",
			   "r.json: network.azure.openai_account: \"OAI\" is not valid (expected an account name of 2-64 lowercase letters, digits and '-', also its custom subdomain, e.g. \"oai-airlock-prod\")");
	expect_parse_error("\"azure\": {\"subnets\": {\"inf\": [\"snet-inf\"]}}",
			   "r.json: network.azure.subnets.inf: [\"snet-inf\"] is not valid (expected a subnet name, e.g. \"snet-inference\")");
	expect_parse_error("\"gcp\": {\"project\": \"p\", \"region\": \"x\"}",
			   "r.json: network.gcp.region: unknown key (expected one of: project, network)");
	expect_parse_error("\"gcp\": {\"project\": \"p\"}",
			   "r.json: network.gcp.project: \"p\" is not valid (expected a project id, e.g. \"airlock-ai-prod\")");
	expect_parse_error("\"clouds\": {}",
			   "r.json: network.clouds: unknown key (expected one of: load_balancers, nat_gateways, dns_servers, aws, azure, gcp)");
}

static void test_render_complement_of_cidrs(void **state)
{
	static const char *const tens[] = { "0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4",
					    "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1" };
	struct al_cidr in[3], out[300];
	char text[64];
	int n, i;

	(void)state;
	assert_int_equal(al_render_complement(NULL, 0, AF_INET, out, 300), 1);
	assert_string_equal(al_render_cidr(&out[0], text, sizeof(text)), "0.0.0.0/0");
	assert_int_equal(al_cidr_parse("10.0.0.0/8", &in[0]), 0);
	assert_int_equal(al_cidr_parse("10.1.0.0/16", &in[1]), 0); /* inside the first */
	assert_int_equal(al_cidr_parse("fd00::/8", &in[2]), 0);    /* another family */
	n = al_render_complement(in, 3, AF_INET, out, 300);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++)
		assert_string_equal(al_render_cidr(&out[i], text, sizeof(text)), tens[i]);
	assert_int_equal(al_render_complement(in, 3, AF_INET6, out, 300), 8);
	assert_string_equal(al_render_cidr(&out[7], text, sizeof(text)), "fe00::/7");
	assert_int_equal(al_cidr_parse("0.0.0.0/0", &in[0]), 0);
	assert_int_equal(al_render_complement(in, 1, AF_INET, out, 300), 0);
	assert_int_equal(al_cidr_parse("10.0.0.1/32", &in[0]), 0);
	assert_int_equal(al_render_complement(in, 1, AF_INET, out, 31), -ENOSPC);
	assert_int_equal(al_render_complement(in, 1, AF_INET, out, 32), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_aws_cloudformation_resources),
		cmocka_unit_test(test_render_aws_endpoint_policy_allows_approved_models_only),
		cmocka_unit_test(test_render_aws_terraform_resources),
		cmocka_unit_test(test_render_aws_follows_the_rules_and_services),
		cmocka_unit_test(test_render_gcp_firewall_rules_and_dns),
		cmocka_unit_test(test_render_gcp_follows_the_rules),
		cmocka_unit_test(test_render_azure_private_endpoint_and_dns),
		cmocka_unit_test(test_render_reference_equals_golden_files),
		cmocka_unit_test(test_render_is_deterministic),
		cmocka_unit_test(test_render_names_the_missing_fact),
		cmocka_unit_test(test_render_refuses_a_format_the_target_has_not),
		cmocka_unit_test(test_render_network_keys_are_checked),
		cmocka_unit_test(test_render_complement_of_cidrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
