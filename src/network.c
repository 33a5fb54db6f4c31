/* The cloud network around the zones: see network.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/network.h"

static int get_text(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		    bool required, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[128], shown[80];

	al_json_join(where, sizeof(where), path, key);
	if (!v && required)
		return al_json_fail(c, where, "missing (expected a name)");
	if (v && (!cJSON_IsString(v) || !v->valuestring[0]))
		return al_json_fail(c, where, "%s is not a name", al_json_show(v, shown, sizeof(shown)));
	return (*out = strdup(v ? v->valuestring : "")) ? 0 : -ENOMEM;
}

/* section[key]: a list of {"name", "zone", "idle_timeout_s"}. */
static int get_boxes(struct al_jctx *c, const cJSON *section, const char *key,
		     struct al_middlebox **out, size_t *n)
{
	static const char *const keys[] = { "name", "zone", "idle_timeout_s", NULL };
	const cJSON *arr, *it;
	char where[64], path[96];
	int rc, i = 0;

	if ((rc = al_json_array(c, section, key, "network",
				"e.g. [{\"name\": \"proxy-alb\", \"zone\": \"inference\", \"idle_timeout_s\": 600}]",
				&arr)) < 0 || !arr)
		return rc;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out))))
		return -ENOMEM;
	al_json_join(where, sizeof(where), "network", key);
	cJSON_ArrayForEach(it, arr) {
		struct al_middlebox *b = &(*out)[*n];

		al_json_index(path, sizeof(path), where, i++);
		(*n)++;
		if ((rc = al_json_check_keys(c, it, path, keys)) < 0 ||
		    (rc = get_text(c, it, "name", path, true, &b->name)) < 0 ||
		    (rc = get_text(c, it, "zone", path, false, &b->zone)) < 0)
			return rc;
		if (!cJSON_GetObjectItemCaseSensitive(it, "idle_timeout_s"))
			return al_json_fail(c, path, "idle_timeout_s missing (expected the idle timeout in seconds)");
		if ((rc = al_json_uint(c, it, "idle_timeout_s", path, 1, 86400, &b->idle_timeout_s)) < 0)
			return rc;
	}
	return 0;
}

/* ----- the clouds' names and ids ----- */

enum { LOWER = 1, UPPER = 2, DIGIT = 4 };

/* What a cloud accepts for a name: its length, its characters, and the
 * characters allowed at its ends. */
struct form {
	size_t min, max;
	unsigned cls;       /* letters and digits allowed anywhere */
	const char *extra;  /* other characters allowed (NULL: none) */
	unsigned first, last; /* allowed at the ends; 0: as anywhere */
	const char *id_prefix; /* an AWS id: this prefix, then 8 or 17 hex digits */
	const char *expect;
};

static const struct form region_form = { 4, 32, LOWER | DIGIT, "-", LOWER, DIGIT, NULL,
					  "an AWS region, e.g. \"us-east-1\"" };
static const struct form vpc_form = { 0, 0, 0, NULL, 0, 0, "vpc-",
				      "a VPC id, e.g. \"vpc-0abc1234def567890\"" };
static const struct form subnet_form = { 0, 0, 0, NULL, 0, 0, "subnet-",
					 "a subnet id, e.g. \"subnet-0abc1234def567890\"" };
static const struct form model_form = { 1, 200, LOWER | UPPER | DIGIT, "._:*/-", 0, 0, NULL,
					"a model id pattern such as \"anthropic.claude-*\", or a model ARN" };
static const struct form service_form = { 1, 63, LOWER | DIGIT, "-", 0, 0, NULL,
					  "an endpoint id of the AI endpoint catalog, e.g. \"aws-bedrock-agent-runtime\"" };
static const struct form group_form = { 1, 90, LOWER | UPPER | DIGIT, "._()-", 0, LOWER | UPPER | DIGIT, NULL,
					"a resource group name, e.g. \"rg-airlock-ai\"" };
static const struct form location_form = { 1, 40, LOWER | DIGIT, NULL, 0, 0, NULL,
					   "an Azure region name, e.g. \"eastus2\"" };
static const struct form vnet_form = { 2, 64, LOWER | UPPER | DIGIT, "._-", LOWER | UPPER | DIGIT,
				       LOWER | UPPER | DIGIT, NULL, "a virtual network name, e.g. \"vnet-airlock\"" };
static const struct form azsubnet_form = { 1, 80, LOWER | UPPER | DIGIT, "._-", LOWER | UPPER | DIGIT,
					   LOWER | UPPER | DIGIT, NULL, "a subnet name, e.g. \"snet-inference\"" };
static const struct form account_form = { 2, 64, LOWER | DIGIT, "-", LOWER | DIGIT, LOWER | DIGIT, NULL,
					  "an account name of 2-64 lowercase letters, digits and '-', also its custom subdomain, e.g. \"oai-airlock-prod\"" };
static const struct form project_form = { 6, 30, LOWER | DIGIT, "-", LOWER, LOWER | DIGIT, NULL,
					  "a project id, e.g. \"airlock-ai-prod\"" };
static const struct form gcpnet_form = { 1, 63, LOWER | DIGIT, "-", LOWER, LOWER | DIGIT, NULL,
					 "a VPC network name, e.g. \"airlock-vpc\"" };
static const struct form zone_form = { 1, 63, LOWER | DIGIT, "-_", 0, 0, NULL, "a zone name" };

static bool in_class(char ch, unsigned cls)
{
	return ((cls & LOWER) && ch >= 'a' && ch <= 'z') || ((cls & UPPER) && ch >= 'A' && ch <= 'Z') ||
	       ((cls & DIGIT) && ch >= '0' && ch <= '9');
}

static bool form_ok(const char *s, const struct form *f)
{
	size_t i, n = strlen(s), p;

	if (f->id_prefix) {
		p = strlen(f->id_prefix);
		if (strncmp(s, f->id_prefix, p) || (n - p != 8 && n - p != 17))
			return false;
		for (i = p; i < n; i++)
			if (!strchr("0123456789abcdef", s[i]))
				return false;
		return true;
	}
	if (n < f->min || n > f->max)
		return false;
	for (i = 0; i < n; i++)
		if (!in_class(s[i], f->cls) && !(f->extra && strchr(f->extra, s[i])))
			return false;
	return (!f->first || in_class(s[0], f->first)) && (!f->last || in_class(s[n - 1], f->last));
}

/* v (found at path) as a string of form f, copied into *out. */
static int take_name(struct al_jctx *c, const cJSON *v, const char *path, const struct form *f,
		     char **out)
{
	char shown[80];

	if (!cJSON_IsString(v) || !form_ok(v->valuestring, f))
		return al_json_fail(c, path, "%s is not valid (expected %s)", al_json_show(v, shown, sizeof(shown)),
				    f->expect);
	return (*out = strdup(v->valuestring)) ? 0 : -ENOMEM;
}

/* obj[key] as a name of form f; *out stays NULL when absent. */
static int get_name(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		    const struct form *f, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[128];

	if (!v)
		return 0;
	al_json_join(where, sizeof(where), path, key);
	return take_name(c, v, where, f, out);
}

/* obj[key] as a non-empty list of names of form f, none twice. */
static int get_names(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		     const struct form *f, char ***out, size_t *n)
{
	const cJSON *arr, *it;
	char where[128], at[144], expect[200];
	size_t i;
	int rc;

	al_json_join(where, sizeof(where), path, key);
	snprintf(expect, sizeof(expect), "a list, each %s", f->expect);
	if ((rc = al_json_array(c, obj, key, path, expect, &arr)) < 0 || !arr)
		return rc;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(at, sizeof(at), where, (int)*n);
		if ((rc = take_name(c, it, at, f, &(*out)[*n])) < 0)
			return rc;
		for (i = 0; i < *n; i++)
			if (!strcmp((*out)[i], (*out)[*n])) {
				(*n)++; /* freed with the others */
				return al_json_fail(c, at, "\"%s\" is also %s[%zu] (expected each once)",
						    (*out)[*n - 1], where, i);
			}
		(*n)++;
	}
	return 0;
}

/* obj[key]: {"ZONE": [ids of form f]} when many, else {"ZONE": "name"}. */
static int get_subnets(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		       const struct form *f, bool many, struct al_zone_subnets **out, size_t *n)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	char where[128], at[200], shown[80];
	int rc;

	if (!map)
		return 0;
	al_json_join(where, sizeof(where), path, key);
	if (!cJSON_IsObject(map) || !map->child)
		return al_json_fail(c, where, "%s is not valid (expected {\"ZONE\": %s, ...}, e.g. {\"inference\": %s})",
				    al_json_show(map, shown, sizeof(shown)), many ? "[SUBNET-ID, ...]" : "\"SUBNET\"",
				    many ? "[\"subnet-0abc1234def567890\"]" : "\"snet-inference\"");
	if (!(*out = calloc((size_t)cJSON_GetArraySize(map), sizeof(**out))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, map) {
		struct al_zone_subnets *z = &(*out)[(*n)++];

		al_json_join(at, sizeof(at), where, it->string);
		if (!form_ok(it->string, &zone_form))
			return al_json_fail(c, at, "\"%.63s\" is not a zone name (expected a zone of the config)", it->string);
		if (!(z->zone = strdup(it->string)))
			return -ENOMEM;
		if (many) {
			if ((rc = get_names(c, map, it->string, where, f, &z->ids, &z->nids)) < 0)
				return rc;
			continue;
		}
		if (!(z->ids = calloc(1, sizeof(*z->ids))))
			return -ENOMEM;
		z->nids = 1;
		if ((rc = take_name(c, it, at, f, &z->ids[0])) < 0)
			return rc;
	}
	return 0;
}

/* network.dns_servers: airlock's addresses, 1 to AL_NETWORK_DNS_MAX. */
static int get_dns_servers(struct al_jctx *c, const cJSON *section, struct al_network *net)
{
	const cJSON *arr, *it;
	char at[48], shown[80];
	size_t i;
	int rc;

	if ((rc = al_json_array(c, section, "dns_servers", "network",
				"airlock's addresses, e.g. [\"10.0.4.53\"]", &arr)) < 0 || !arr)
		return rc;
	if (cJSON_GetArraySize(arr) > AL_NETWORK_DNS_MAX)
		return al_json_fail(c, "network.dns_servers", "%d addresses (expected at most %d: an AWS DHCP options set holds %d)",
				    cJSON_GetArraySize(arr), AL_NETWORK_DNS_MAX, AL_NETWORK_DNS_MAX);
	cJSON_ArrayForEach(it, arr) {
		struct al_ip *ip = &net->dns_servers[net->ndns_servers];

		al_json_index(at, sizeof(at), "network.dns_servers", (int)net->ndns_servers);
		if (!cJSON_IsString(it) || al_ip_parse(it->valuestring, ip) < 0)
			return al_json_fail(c, at, "%s is not an IP address (expected e.g. \"10.0.4.53\")",
					    al_json_show(it, shown, sizeof(shown)));
		for (i = 0; i < net->ndns_servers; i++)
			if (al_ip_equal(&net->dns_servers[i], ip))
				return al_json_fail(c, at, "%s is also network.dns_servers[%zu] (expected each once)",
						    al_json_show(it, shown, sizeof(shown)), i);
		net->ndns_servers++;
	}
	return 0;
}

static int get_aws(struct al_jctx *c, const cJSON *section, struct al_network_aws *a)
{
	static const char *const keys[] = { "region", "vpc_id", "subnets", "approved_models", "services", NULL };
	static const char path[] = "network.aws";
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(section, "aws");
	int rc;

	if (!s)
		return 0;
	a->given = true;
	if ((rc = al_json_check_keys(c, s, path, keys)) < 0 ||
	    (rc = get_name(c, s, "region", path, &region_form, &a->region)) < 0 ||
	    (rc = get_name(c, s, "vpc_id", path, &vpc_form, &a->vpc_id)) < 0 ||
	    (rc = get_subnets(c, s, "subnets", path, &subnet_form, true, &a->subnets, &a->nsubnets)) < 0 ||
	    (rc = get_names(c, s, "approved_models", path, &model_form, &a->approved_models,
			    &a->napproved_models)) < 0 ||
	    (rc = get_names(c, s, "services", path, &service_form, &a->services, &a->nservices)) < 0)
		return rc;
	if (a->region && !strchr(a->region, '-'))
		return al_json_fail(c, "network.aws.region", "\"%s\" is not valid (expected %s)", a->region,
				    region_form.expect);
	return 0;
}

static int get_azure(struct al_jctx *c, const cJSON *section, struct al_network_azure *z)
{
	static const char *const keys[] = { "resource_group", "location", "vnet", "subnets",
					    "openai_account", NULL };
	static const char path[] = "network.azure";
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(section, "azure");
	int rc;

	if (!s)
		return 0;
	z->given = true;
	if ((rc = al_json_check_keys(c, s, path, keys)) < 0 ||
	    (rc = get_name(c, s, "resource_group", path, &group_form, &z->resource_group)) < 0 ||
	    (rc = get_name(c, s, "location", path, &location_form, &z->location)) < 0 ||
	    (rc = get_name(c, s, "vnet", path, &vnet_form, &z->vnet)) < 0 ||
	    (rc = get_subnets(c, s, "subnets", path, &azsubnet_form, false, &z->subnets, &z->nsubnets)) < 0 ||
	    (rc = get_name(c, s, "openai_account", path, &account_form, &z->openai_account)) < 0)
		return rc;
	return 0;
}

static int get_gcp(struct al_jctx *c, const cJSON *section, struct al_network_gcp *g)
{
	static const char *const keys[] = { "project", "network", NULL };
	static const char path[] = "network.gcp";
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(section, "gcp");
	int rc;

	if (!s)
		return 0;
	g->given = true;
	if ((rc = al_json_check_keys(c, s, path, keys)) < 0 ||
	    (rc = get_name(c, s, "project", path, &project_form, &g->project)) < 0 ||
	    (rc = get_name(c, s, "network", path, &gcpnet_form, &g->network)) < 0)
		return rc;
	return 0;
}

int al_network_parse(struct al_jctx *c, const cJSON *section, struct al_network *net)
{
	static const char *const keys[] = { "load_balancers", "nat_gateways", "dns_servers", "aws",
					    "azure", "gcp", NULL };
	int rc;

	memset(net, 0, sizeof(*net));
	if (!section)
		return 0;
	if ((rc = al_json_check_keys(c, section, "network", keys)) < 0 ||
	    (rc = get_boxes(c, section, "load_balancers", &net->load_balancers, &net->nload_balancers)) < 0 ||
	    (rc = get_boxes(c, section, "nat_gateways", &net->nat_gateways, &net->nnat_gateways)) < 0 ||
	    (rc = get_dns_servers(c, section, net)) < 0 ||
	    (rc = get_aws(c, section, &net->aws)) < 0 ||
	    (rc = get_azure(c, section, &net->azure)) < 0 ||
	    (rc = get_gcp(c, section, &net->gcp)) < 0)
		return rc;
	return 0;
}

const struct al_zone_subnets *al_network_subnets(const struct al_zone_subnets *v, size_t n,
						 const char *zone)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].zone, zone))
			return &v[i];
	return NULL;
}

static void boxes_free(struct al_middlebox *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].zone);
	}
	free(v);
}

static void names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Also frees what a failed parse left half-filled (NULL entries). */
static void subnets_free(struct al_zone_subnets *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].zone);
		names_free(v[i].ids, v[i].nids);
	}
	free(v);
}

void al_network_clear(struct al_network *net)
{
	struct al_network_aws *a = &net->aws;
	struct al_network_azure *z = &net->azure;

	boxes_free(net->load_balancers, net->nload_balancers);
	boxes_free(net->nat_gateways, net->nnat_gateways);
	free(a->region);
	free(a->vpc_id);
	subnets_free(a->subnets, a->nsubnets);
	names_free(a->approved_models, a->napproved_models);
	names_free(a->services, a->nservices);
	free(z->resource_group);
	free(z->location);
	free(z->vnet);
	free(z->openai_account);
	subnets_free(z->subnets, z->nsubnets);
	free(net->gcp.project);
	free(net->gcp.network);
	memset(net, 0, sizeof(*net));
}
