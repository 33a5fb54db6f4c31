/* AWS from the zone policy catalog: the AI services' interface VPC
 * endpoints in the subnets of the zones the rules allow to reach
 * external_ai, their security group (HTTPS from those zones' CIDRs only),
 * the Bedrock endpoint policy (approved models only, the rest denied) and
 * the DHCP options set handing out airlock's addresses; as CloudFormation
 * or Terraform JSON.  See render.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/catalog.h"
#include "airlock/render.h"

#define BEDROCK_RUNTIME "aws-bedrock-runtime" /* always rendered; carries the model policy */
#define SG_CFN "AiEndpointSecurityGroup"
#define SG_TF "ai_endpoints"
#define SG_NAME "airlock-ai-endpoints"
#define SG_DESCRIPTION "airlock: HTTPS to the AI service endpoints from the zones allowed to reach external_ai"
#define NOTE "Rendered by airlock policy render from the zone policy catalog: re-render rather than edit."

static const char *const invoke_actions[] = { "bedrock:InvokeModel",
					      "bedrock:InvokeModelWithResponseStream" };

/* An interface endpoint: a catalog entry and its VPC endpoint service. */
struct service {
	const struct al_catalog_ep *ep;
	char name[64]; /* "bedrock-runtime", "sagemaker.runtime": com.amazonaws.REGION.NAME */
	char cfn[80];  /* "BedrockRuntimeEndpoint" */
	char tf[64];   /* "bedrock_runtime" */
};

struct aws {
	const struct al_config *cfg;
	const struct al_network_aws *a;
	struct al_render_zone *zones; /* allowed to reach external_ai */
	size_t nzones;
	struct service *services;
	size_t nservices;
	const char *partition;
	char domain[64]; /* the DHCP options' domain name */
};

/* ----- the facts ----- */

/* "com.amazonaws.REGION.NAME" from the endpoint's first name pattern: the
 * labels left of {region}, wildcards dropped, right to left
 * ("runtime.sagemaker.{region}.amazonaws.com" is sagemaker.runtime). */
static int service_name(const struct al_catalog_ep *ep, char *out, size_t len)
{
	char labels[256], *v[32], *save = NULL, *l;
	size_t n = 0, off = 0, i;

	if (!ep->nnames || strlen(ep->names[0]) >= sizeof(labels))
		return -EINVAL;
	strcpy(labels, ep->names[0]);
	for (l = strtok_r(labels, ".", &save); l && strcmp(l, "{region}") && n < 32;
	     l = strtok_r(NULL, ".", &save))
		if (!strchr(l, '*') && !strchr(l, '{'))
			v[n++] = l;
	if (!l || !n)
		return -EINVAL;
	out[0] = '\0';
	for (i = n; i-- > 0 && off < len;)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i + 1 < n ? "." : "", v[i]);
	return off < len ? 0 : -EINVAL;
}

static int add_service(struct aws *w, const char *id, const char *path, struct al_err *err)
{
	const struct al_catalog_ep *ep = al_catalog_find(w->cfg->catalog, id);
	struct service *s = &w->services[w->nservices];
	size_t i, o = 0;
	bool up = true;

	for (i = 0; i < w->nservices; i++)
		if (w->services[i].ep == ep)
			return 0;
	if (!ep || strcmp(ep->provider, "aws") || ep->cls != AL_EP_PRIVATE_LINK)
		return al_err_set(err, "%s: %s: \"%s\" is %s (expected the id of an aws private-link endpoint of the AI endpoint catalog, e.g. \"aws-bedrock-agent-runtime\")",
				  al_render_file(w->cfg), path, id, ep ? "not an aws private-link endpoint" : "not in the AI endpoint catalog");
	if (service_name(ep, s->name, sizeof(s->name)) < 0)
		return al_err_set(err, "%s: %s: cannot tell the VPC endpoint service of \"%s\" from its name \"%s\" (expected a name with a {region} label)",
				  al_render_file(w->cfg), path, id, ep->nnames ? ep->names[0] : "");
	s->ep = ep;
	for (i = 0; s->name[i] && o + 1 < sizeof(s->cfn); i++) {
		char ch = s->name[i];

		if (ch == '-' || ch == '.') {
			up = true;
			continue;
		}
		s->cfn[o++] = up && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
		up = false;
	}
	snprintf(s->cfn + o, sizeof(s->cfn) - o, "Endpoint");
	for (i = 0; s->name[i]; i++)
		s->tf[i] = s->name[i] == '-' || s->name[i] == '.' ? '_' : s->name[i];
	s->tf[i] = '\0';
	w->nservices++;
	return 0;
}

static const char *partition_of(const char *region)
{
	if (!strncmp(region, "us-gov-", 7))
		return "aws-us-gov";
	if (!strncmp(region, "cn-", 3))
		return "aws-cn";
	return "aws";
}

/* Checks that every fact AWS needs is given; fills w. */
static int facts(struct aws *w, struct al_err *err)
{
	const struct al_config *cfg = w->cfg;
	const struct al_network_aws *a = &cfg->network.aws;
	const struct al_zone_subnets *s;
	char path[128], why[160], ids[96];
	size_t i;
	int rc;

	w->a = a;
	if (!a->given)
		return al_render_missing(cfg, err, "network.aws",
					 "{\"region\", \"vpc_id\", \"subnets\", \"approved_models\"} to render for AWS");
	if (!a->region)
		return al_render_missing(cfg, err, "network.aws.region", "the AWS region, e.g. \"us-east-1\"");
	if (!a->vpc_id)
		return al_render_missing(cfg, err, "network.aws.vpc_id", "the VPC id, e.g. \"vpc-0abc1234def567890\"");
	if (!a->nsubnets)
		return al_render_missing(cfg, err, "network.aws.subnets",
					 "the subnet ids of the zones, e.g. {\"inference\": [\"subnet-0abc1234def567890\"]}");
	if (!a->napproved_models)
		return al_render_missing(cfg, err, "network.aws.approved_models",
					 "the models the Bedrock endpoint policy allows, e.g. [\"anthropic.claude-*\", \"amazon.titan-*\"]");
	if (!cfg->network.ndns_servers)
		return al_render_missing(cfg, err, "network.dns_servers",
					 "airlock's addresses for the DHCP options, e.g. [\"10.0.4.53\"]");
	if ((rc = al_render_check_subnet_zones(cfg, a->subnets, a->nsubnets, "network.aws.subnets", err)) < 0)
		return rc;
	if (!(w->zones = calloc(cfg->nzones + 1, sizeof(*w->zones))))
		return -ENOMEM;
	if (!(w->nzones = al_render_ai_zones(cfg, w->zones, cfg->nzones)))
		return al_err_set(err, "%s: rules: no zone may reach external_ai on TCP 443 (expected an allow such as {\"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}): the endpoints would serve no zone",
				  al_render_file(cfg));
	for (i = 0; i < w->nzones; i++) {
		const char *zone = cfg->zones[w->zones[i].zone].name;

		if ((s = al_network_subnets(a->subnets, a->nsubnets, zone)))
			continue;
		snprintf(path, sizeof(path), "network.aws.subnets.%s", zone);
		snprintf(why, sizeof(why), "the subnet ids of zone %s, which %s allows to reach external_ai", zone,
			 al_render_rule_ids(&w->zones[i], ids, sizeof(ids)));
		return al_render_missing(cfg, err, path, why);
	}
	if (!(w->services = calloc(a->nservices + 1, sizeof(*w->services))))
		return -ENOMEM;
	if ((rc = add_service(w, BEDROCK_RUNTIME, "endpoints.catalog", err)) < 0)
		return rc;
	for (i = 0; i < a->nservices; i++) {
		snprintf(path, sizeof(path), "network.aws.services[%zu]", i);
		if ((rc = add_service(w, a->services[i], path, err)) < 0)
			return rc;
	}
	w->partition = partition_of(a->region);
	if (!strcmp(a->region, "us-east-1"))
		snprintf(w->domain, sizeof(w->domain), "ec2.internal");
	else
		snprintf(w->domain, sizeof(w->domain), "%s.compute.internal", a->region);
	return 0;
}

/* ----- shared pieces ----- */

static cJSON *strings(const char *const *v, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
	return arr;
}

static cJSON *model_arns(const struct aws *w)
{
	cJSON *arr = cJSON_CreateArray();
	char arn[320];
	size_t i;

	for (i = 0; arr && i < w->a->napproved_models; i++) {
		const char *m = w->a->approved_models[i];

		if (!strncmp(m, "arn:", 4))
			snprintf(arn, sizeof(arn), "%s", m);
		else
			snprintf(arn, sizeof(arn), "arn:%s:bedrock:%s::foundation-model/%s", w->partition,
				 w->a->region, m);
		cJSON_AddItemToArray(arr, cJSON_CreateString(arn));
	}
	return arr;
}

/* The Bedrock runtime endpoint's policy: the invoke actions on approved
 * models allowed, on any other model denied explicitly. */
static cJSON *endpoint_policy(const struct aws *w)
{
	cJSON *doc = cJSON_CreateObject(), *stmts, *s;
	int deny;

	cJSON_AddStringToObject(doc, "Version", "2012-10-17");
	stmts = cJSON_AddArrayToObject(doc, "Statement");
	for (deny = 0; deny < 2; deny++) {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "Sid", deny ? "DenyOtherModels" : "AllowApprovedModels");
		cJSON_AddStringToObject(s, "Effect", deny ? "Deny" : "Allow");
		cJSON_AddStringToObject(s, "Principal", "*");
		cJSON_AddItemToObject(s, "Action", strings(invoke_actions, 2));
		cJSON_AddItemToObject(s, deny ? "NotResource" : "Resource", model_arns(w));
		cJSON_AddItemToArray(stmts, s);
	}
	return doc;
}

/* The subnets of every zone allowed to reach external_ai, each once. */
static cJSON *endpoint_subnets(const struct aws *w)
{
	cJSON *arr = cJSON_CreateArray(), *it;
	size_t i, j;

	for (i = 0; arr && i < w->nzones; i++) {
		const struct al_zone_subnets *s = al_network_subnets(w->a->subnets, w->a->nsubnets,
								     w->cfg->zones[w->zones[i].zone].name);
		for (j = 0; j < s->nids; j++) {
			bool seen = false;

			cJSON_ArrayForEach(it, arr)
				seen = seen || !strcmp(it->valuestring, s->ids[j]);
			if (!seen)
				cJSON_AddItemToArray(arr, cJSON_CreateString(s->ids[j]));
		}
	}
	return arr;
}

static cJSON *dns_servers(const struct al_network *net)
{
	cJSON *arr = cJSON_CreateArray();
	char ip[AL_ADDRSTRLEN];
	size_t i;

	for (i = 0; arr && i < net->ndns_servers; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(al_ip_format(&net->dns_servers[i], ip, sizeof(ip))));
	return arr;
}

static char *service_id(const struct aws *w, const struct service *s, char *buf, size_t len)
{
	snprintf(buf, len, "com.amazonaws.%s.%s", w->a->region, s->name);
	return buf;
}

/* Calls fn for each ingress CIDR: zone, CIDR, description. */
static void each_ingress(const struct aws *w, void (*fn)(void *arg, const char *zone, const struct al_cidr *c,
							 const char *description), void *arg)
{
	char ids[96], description[160];
	size_t i, j;

	for (i = 0; i < w->nzones; i++) {
		const struct al_zone *z = &w->cfg->zones[w->zones[i].zone];

		snprintf(description, sizeof(description), "zone %s: %s", z->name,
			 al_render_rule_ids(&w->zones[i], ids, sizeof(ids)));
		for (j = 0; j < z->ncidrs; j++)
			fn(arg, z->name, &z->cidrs[j], description);
	}
}

/* ----- CloudFormation ----- */

static cJSON *cfn_resource(cJSON *resources, const char *name, const char *type)
{
	cJSON *r = cJSON_AddObjectToObject(resources, name);

	cJSON_AddStringToObject(r, "Type", type);
	return cJSON_AddObjectToObject(r, "Properties");
}

static cJSON *cfn_ref(const char *name)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Ref", name);
	return o;
}

static cJSON *cfn_name_tag(const char *value)
{
	cJSON *tags = cJSON_CreateArray(), *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "Key", "Name");
	cJSON_AddStringToObject(t, "Value", value);
	cJSON_AddItemToArray(tags, t);
	return tags;
}

static void cfn_ingress(void *arg, const char *zone, const struct al_cidr *c, const char *description)
{
	cJSON *rule = cJSON_CreateObject();
	char text[AL_ADDRSTRLEN + 8];

	(void)zone;
	cJSON_AddStringToObject(rule, "IpProtocol", "tcp");
	cJSON_AddNumberToObject(rule, "FromPort", 443);
	cJSON_AddNumberToObject(rule, "ToPort", 443);
	cJSON_AddStringToObject(rule, c->ip.family == AF_INET ? "CidrIp" : "CidrIpv6",
				al_render_cidr(c, text, sizeof(text)));
	cJSON_AddStringToObject(rule, "Description", description);
	cJSON_AddItemToArray(arg, rule);
}

static cJSON *cfn_template(const struct aws *w)
{
	cJSON *doc = cJSON_CreateObject(), *res, *p;
	char text[320];
	size_t i;

	cJSON_AddStringToObject(doc, "AWSTemplateFormatVersion", "2010-09-09");
	snprintf(text, sizeof(text), "airlock: the AI service endpoints of %s, their security group and the DHCP options. %s",
		 w->a->vpc_id, NOTE);
	cJSON_AddStringToObject(doc, "Description", text);
	res = cJSON_AddObjectToObject(doc, "Resources");

	p = cfn_resource(res, SG_CFN, "AWS::EC2::SecurityGroup");
	cJSON_AddStringToObject(p, "GroupDescription", SG_DESCRIPTION);
	cJSON_AddStringToObject(p, "VpcId", w->a->vpc_id);
	each_ingress(w, cfn_ingress, cJSON_AddArrayToObject(p, "SecurityGroupIngress"));
	cJSON_AddItemToObject(p, "Tags", cfn_name_tag(SG_NAME));

	for (i = 0; i < w->nservices; i++) {
		const struct service *s = &w->services[i];
		cJSON *groups;

		p = cfn_resource(res, s->cfn, "AWS::EC2::VPCEndpoint");
		cJSON_AddStringToObject(p, "VpcEndpointType", "Interface");
		cJSON_AddStringToObject(p, "ServiceName", service_id(w, s, text, sizeof(text)));
		cJSON_AddStringToObject(p, "VpcId", w->a->vpc_id);
		cJSON_AddItemToObject(p, "SubnetIds", endpoint_subnets(w));
		groups = cJSON_AddArrayToObject(p, "SecurityGroupIds");
		cJSON_AddItemToArray(groups, cfn_ref(SG_CFN));
		cJSON_AddBoolToObject(p, "PrivateDnsEnabled", 1);
		if (!strcmp(s->ep->id, BEDROCK_RUNTIME))
			cJSON_AddItemToObject(p, "PolicyDocument", endpoint_policy(w));
	}

	p = cfn_resource(res, "AirlockDhcpOptions", "AWS::EC2::DHCPOptions");
	cJSON_AddStringToObject(p, "DomainName", w->domain);
	cJSON_AddItemToObject(p, "DomainNameServers", dns_servers(&w->cfg->network));
	cJSON_AddItemToObject(p, "Tags", cfn_name_tag("airlock"));
	p = cfn_resource(res, "AirlockDhcpOptionsAssociation", "AWS::EC2::VPCDHCPOptionsAssociation");
	cJSON_AddItemToObject(p, "DhcpOptionsId", cfn_ref("AirlockDhcpOptions"));
	cJSON_AddStringToObject(p, "VpcId", w->a->vpc_id);
	return doc;
}

/* ----- Terraform JSON ----- */

static cJSON *tf_name_tag(const char *value)
{
	cJSON *tags = cJSON_CreateObject();

	cJSON_AddStringToObject(tags, "Name", value);
	return tags;
}

struct tf_ingress {
	cJSON *rules;
	char last_zone[64];
	int n; /* CIDRs of last_zone so far */
};

static void tf_ingress(void *arg, const char *zone, const struct al_cidr *c, const char *description)
{
	struct tf_ingress *t = arg;
	cJSON *rule;
	char key[96], text[AL_ADDRSTRLEN + 8];

	if (strcmp(zone, t->last_zone)) {
		snprintf(t->last_zone, sizeof(t->last_zone), "%s", zone);
		t->n = 0;
	}
	snprintf(key, sizeof(key), "https_from_%s_%d", zone, ++t->n); /* '-' is fine in Terraform names */
	rule = cJSON_AddObjectToObject(t->rules, key);
	cJSON_AddStringToObject(rule, "security_group_id", "${aws_security_group." SG_TF ".id}");
	cJSON_AddStringToObject(rule, "description", description);
	cJSON_AddStringToObject(rule, "ip_protocol", "tcp");
	cJSON_AddNumberToObject(rule, "from_port", 443);
	cJSON_AddNumberToObject(rule, "to_port", 443);
	cJSON_AddStringToObject(rule, c->ip.family == AF_INET ? "cidr_ipv4" : "cidr_ipv6",
				al_render_cidr(c, text, sizeof(text)));
}

static cJSON *tf_config(const struct aws *w)
{
	cJSON *doc = cJSON_CreateObject(), *res, *r, *sgs;
	struct tf_ingress ingress;
	char text[160], *policy;
	size_t i;

	cJSON_AddStringToObject(doc, "//", NOTE);
	res = cJSON_AddObjectToObject(doc, "resource");

	r = cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "aws_security_group"), SG_TF);
	cJSON_AddStringToObject(r, "name", SG_NAME);
	cJSON_AddStringToObject(r, "description", SG_DESCRIPTION);
	cJSON_AddStringToObject(r, "vpc_id", w->a->vpc_id);
	cJSON_AddItemToObject(r, "tags", tf_name_tag(SG_NAME));

	memset(&ingress, 0, sizeof(ingress));
	ingress.rules = cJSON_AddObjectToObject(res, "aws_vpc_security_group_ingress_rule");
	each_ingress(w, tf_ingress, &ingress);

	r = cJSON_AddObjectToObject(res, "aws_vpc_endpoint");
	for (i = 0; i < w->nservices; i++) {
		const struct service *s = &w->services[i];
		cJSON *e = cJSON_AddObjectToObject(r, s->tf), *pol;

		cJSON_AddStringToObject(e, "vpc_id", w->a->vpc_id);
		cJSON_AddStringToObject(e, "service_name", service_id(w, s, text, sizeof(text)));
		cJSON_AddStringToObject(e, "vpc_endpoint_type", "Interface");
		cJSON_AddItemToObject(e, "subnet_ids", endpoint_subnets(w));
		sgs = cJSON_AddArrayToObject(e, "security_group_ids");
		cJSON_AddItemToArray(sgs, cJSON_CreateString("${aws_security_group." SG_TF ".id}"));
		cJSON_AddBoolToObject(e, "private_dns_enabled", 1);
		if (strcmp(s->ep->id, BEDROCK_RUNTIME))
			continue;
		pol = endpoint_policy(w);
		policy = cJSON_PrintUnformatted(pol);
		cJSON_Delete(pol);
		if (policy)
			cJSON_AddStringToObject(e, "policy", policy);
		cJSON_free(policy);
	}

	r = cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "aws_vpc_dhcp_options"), "airlock");
	cJSON_AddStringToObject(r, "domain_name", w->domain);
	cJSON_AddItemToObject(r, "domain_name_servers", dns_servers(&w->cfg->network));
	cJSON_AddItemToObject(r, "tags", tf_name_tag("airlock"));
	r = cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "aws_vpc_dhcp_options_association"), "airlock");
	cJSON_AddStringToObject(r, "vpc_id", w->a->vpc_id);
	cJSON_AddStringToObject(r, "dhcp_options_id", "${aws_vpc_dhcp_options.airlock.id}");
	return doc;
}

int al_render_aws(const struct al_config *cfg, enum al_render_format format, struct al_render *out,
		  struct al_err *err)
{
	struct aws w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	if ((rc = facts(&w, err)) >= 0) {
		if (format == AL_RENDER_TERRAFORM)
			rc = al_render_add_json(out, "aws.tf.json", tf_config(&w));
		else
			rc = al_render_add_json(out, "aws-cloudformation.json", cfn_template(&w));
		if (rc >= 0)
			rc = al_render_add_json(out, "aws-bedrock-endpoint-policy.json", endpoint_policy(&w));
	}
	free(w.zones);
	free(w.services);
	return rc;
}
