/* Loads and checks the JSON config.  Every error names the file, the JSON
 * path, the bad value and what was expected; unknown keys are errors. */
#include <cjson/cJSON.h>
#include <ldns/ldns.h>
#include <libpsl.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "airlock/catalog.h"
#include "airlock/config.h"
#include "airlock/jsonread.h"
#include "airlock/localdata.h"
#include "airlock/namelist.h"
#include "airlock/network.h"
#include "airlock/ratelimit.h"
#include "airlock/rules.h"
#include "config_int.h"

#define MAX_UPSTREAMS 32
#define MAX_FILE (4u << 20)

/* A listen address, or an upstream (which may also turn off 0x20). */
static int get_endpoint(struct al_jctx *c, const cJSON *item, const char *path,
			bool upstream, struct al_endpoint *ep)
{
	static const char *const keys[] = { "address", "port", NULL };
	static const char *const up_keys[] = { "address", "port", "case_randomization", NULL };
	const cJSON *a;
	char where[256], shown[80];
	uint32_t port = 53;
	bool randomize = true;
	int rc;

	if ((rc = al_json_check_keys(c, item, path, upstream ? up_keys : keys)) < 0)
		return rc;
	a = cJSON_GetObjectItemCaseSensitive(item, "address");
	al_json_join(where, sizeof(where), path, "address");
	if (!a)
		return al_json_fail(c, where, "missing (expected an IP address, e.g. \"127.0.0.1\")");
	if (!cJSON_IsString(a) || al_ip_parse(a->valuestring, &ep->ip) < 0)
		return al_json_fail(c, where, "%s is not an IP address (expected e.g. \"127.0.0.1\" or \"::1\")",
			    al_json_show(a, shown, sizeof(shown)));
	if ((rc = al_json_uint(c, item, "port", path, 1, 65535, &port)) < 0 ||
	    (rc = al_json_bool(c, item, "case_randomization", path, &randomize)) < 0)
		return rc;
	ep->port = (uint16_t)port;
	ep->keep_case = !randomize;
	return 0;
}

static int get_endpoints(struct al_jctx *c, const cJSON *root, const char *key,
			 const char *path, size_t max, struct al_endpoint **out, size_t *n)
{
	const cJSON *arr, *it;
	char where[96], lpath[96];
	int rc, i = 0;

	rc = al_json_array(c, root, key, path, "a list of {\"address\": ..., \"port\": ...}", &arr);
	if (rc < 0 || !arr)
		return rc;
	al_json_join(lpath, sizeof(lpath), path, key);
	if ((size_t)cJSON_GetArraySize(arr) > max)
		return al_json_fail(c, lpath, "%d entries (expected at most %zu)",
			    cJSON_GetArraySize(arr), max);
	free(*out);
	*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = 0;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(where, sizeof(where), lpath, i++);
		if ((rc = get_endpoint(c, it, where, strcmp(key, "upstreams") == 0, &(*out)[*n])) < 0)
			return rc;
		(*n)++;
	}
	return 0;
}

static int read_resolv_conf(const char *path, struct al_config *cfg);

/* "upstreams": "/etc/resolv.conf" takes the nameservers of that file. */
static int get_upstreams(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "upstreams");

	if (!cJSON_IsString(v))
		return get_endpoints(c, root, "upstreams", "", MAX_UPSTREAMS, &cfg->upstreams,
				     &cfg->nupstreams);
	if (!(cfg->upstreams = calloc(MAX_UPSTREAMS, sizeof(*cfg->upstreams))))
		return -ENOMEM;
	if (read_resolv_conf(v->valuestring, cfg) < 0)
		return al_json_fail(c, "upstreams", "cannot read \"%s\": %s (expected a resolv.conf file)",
			    v->valuestring, strerror(errno));
	if (!cfg->nupstreams)
		return al_json_fail(c, "upstreams", "\"%s\" lists no usable nameserver (expected \"nameserver ADDRESS\" lines)",
			    v->valuestring);
	return 0;
}

static bool valid_zone_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '_')
			return false;
	return true;
}

static void view_defaults(struct al_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ai = AL_AI_PRIVATE;
	v->names = AL_NAMES_INTERNET;
	v->deny = AL_DENY_REFUSED;
	v->tunnel.action = AL_TUNNEL_BLOCK;
	v->tunnel.threshold = 1.0;
	v->tunnel.block_rcode = AL_RCODE_REFUSED;
	v->new_domains.action = AL_NEWDOM_ALERT;
	v->new_domains.block_rcode = AL_RCODE_REFUSED;
}

/* s.response: what a blocked query gets. */
static int get_response(struct al_jctx *c, const cJSON *s, const char *where, int *rcode)
{
	static const char *const responses[] = { "refused", "nxdomain", NULL };
	int r = *rcode == AL_RCODE_NXDOMAIN, rc;

	if ((rc = al_json_choice(c, s, "response", where, responses, &r)) < 0)
		return rc;
	*rcode = r ? AL_RCODE_NXDOMAIN : AL_RCODE_REFUSED;
	return 0;
}

/* zones[i].tunnel: the detector's action, threshold, block response and
 * daily cap for this zone. */
static int get_tunnel(struct al_jctx *c, const cJSON *item, const char *path,
		      struct al_tunnel_view *t)
{
	static const char *const keys[] = { "action", "threshold", "response", "daily_bytes", NULL };
	static const char *const actions[] = { "block", "alert", "off", NULL };
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(item, "tunnel");
	char where[256];
	uint32_t bytes = 0;
	int a = AL_TUNNEL_BLOCK, rc;

	if (!s)
		return 0;
	al_json_join(where, sizeof(where), path, "tunnel");
	if ((rc = al_json_check_keys(c, s, where, keys)) < 0 ||
	    (rc = al_json_choice(c, s, "action", where, actions, &a)) < 0 ||
	    (rc = al_json_number(c, s, "threshold", where, 0.1, 10, &t->threshold)) < 0 ||
	    (rc = get_response(c, s, where, &t->block_rcode)) < 0 ||
	    (rc = al_json_uint(c, s, "daily_bytes", where, 0, 4294967295.0, &bytes)) < 0)
		return rc;
	t->action = (enum al_tunnel_action)a;
	t->daily_bytes = bytes;
	return 0;
}

/* zones[i].new_domains: what the zone does with a newly seen domain. */
static int get_zone_new_domains(struct al_jctx *c, const cJSON *item, const char *path,
				struct al_newdom_view *n)
{
	static const char *const keys[] = { "action", "response", NULL };
	static const char *const actions[] = { "alert", "block", "allow", NULL };
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(item, "new_domains");
	char where[256];
	int a = AL_NEWDOM_ALERT, rc;

	if (!s)
		return 0;
	al_json_join(where, sizeof(where), path, "new_domains");
	if ((rc = al_json_check_keys(c, s, where, keys)) < 0 ||
	    (rc = al_json_choice(c, s, "action", where, actions, &a)) < 0 ||
	    (rc = get_response(c, s, where, &n->block_rcode)) < 0)
		return rc;
	n->action = (enum al_newdom_action)a;
	return 0;
}

/* The zone's view; absent keys keep the defaults: private AI answers, no
 * public AI APIs, internet names, REFUSED, no rebinding protection, the
 * tunnel detector blocking at score 1.0. */
static int get_view(struct al_jctx *c, const cJSON *item, const char *path, struct al_view *v)
{
	static const char *const ai[] = { "private", "deny", NULL };
	static const char *const public_ai[] = { "deny", "allow", NULL };
	static const char *const names[] = { "internet", "internal-only", "none", NULL };
	static const char *const deny[] = { "refused", "nxdomain", "nodata", NULL };
	int a = AL_AI_PRIVATE, p = 0, n = AL_NAMES_INTERNET, d = AL_DENY_REFUSED, rc;

	view_defaults(v);
	if ((rc = get_tunnel(c, item, path, &v->tunnel)) < 0 ||
	    (rc = get_zone_new_domains(c, item, path, &v->new_domains)) < 0 ||
	    (rc = al_json_choice(c, item, "ai", path, ai, &a)) < 0 ||
	    (rc = al_json_choice(c, item, "public_ai", path, public_ai, &p)) < 0 ||
	    (rc = al_json_choice(c, item, "names", path, names, &n)) < 0 ||
	    (rc = al_json_choice(c, item, "deny_response", path, deny, &d)) < 0 ||
	    (rc = al_json_bool(c, item, "rebinding_protection", path, &v->rebinding)) < 0)
		return rc;
	v->ai = (enum al_ai_view)a;
	v->public_ai = p == 1;
	v->names = (enum al_names_view)n;
	v->deny = (enum al_deny_reply)d;
	return 0;
}

/* obj[key]: a list of CIDRs; *out stays NULL when absent. */
static int get_cidrs(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		     struct al_cidr **out, size_t *n)
{
	const cJSON *arr, *it;
	char where[256], ipath[256], shown[80];
	int rc, i = 0;

	if ((rc = al_json_array(c, obj, key, path, "a list of CIDRs, e.g. [\"10.0.2.0/24\"]", &arr)) < 0 ||
	    !arr)
		return rc;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out))))
		return -ENOMEM;
	al_json_join(where, sizeof(where), path, key);
	cJSON_ArrayForEach(it, arr) {
		al_json_index(ipath, sizeof(ipath), where, i++);
		if (!cJSON_IsString(it) || al_cidr_parse(it->valuestring, &(*out)[*n]) < 0)
			return al_json_fail(c, ipath, "%s is not a CIDR (expected e.g. \"10.0.3.0/24\" or \"fd00:3::/64\", host bits zero)",
					    al_json_show(it, shown, sizeof(shown)));
		(*n)++;
	}
	return 0;
}

static int get_zone(struct al_jctx *c, const cJSON *item, const char *path,
		    struct al_zone *z)
{
	static const char *const keys[] = { "name", "cidrs", "ai", "public_ai", "names",
					    "deny_response", "rebinding_protection", "tunnel", "new_domains", NULL };
	const cJSON *name;
	char where[256], shown[80];
	int rc;

	if ((rc = al_json_check_keys(c, item, path, keys)) < 0)
		return rc;
	name = cJSON_GetObjectItemCaseSensitive(item, "name");
	al_json_join(where, sizeof(where), path, "name");
	if (!name)
		return al_json_fail(c, where, "missing (expected a zone name, e.g. \"inference\")");
	if (!cJSON_IsString(name) || !valid_zone_name(name->valuestring))
		return al_json_fail(c, where, "%s is not a zone name (expected 1-63 of a-z, 0-9, '-', '_')",
			    al_json_show(name, shown, sizeof(shown)));
	if (!(z->name = strdup(name->valuestring)))
		return -ENOMEM;
	if ((rc = get_cidrs(c, item, "cidrs", path, &z->cidrs, &z->ncidrs)) < 0)
		return rc;
	if (!z->cidrs) {
		al_json_join(where, sizeof(where), path, "cidrs");
		return al_json_fail(c, where, "missing (expected a list of CIDRs, e.g. [\"10.0.2.0/24\"])");
	}
	return get_view(c, item, path, &z->view);
}

static int get_zones(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	const cJSON *arr, *it;
	char where[64], shown[80];
	size_t i;
	int rc, n = 0;

	rc = al_json_array(c, root, "zones", "", "a list of {\"name\": ..., \"cidrs\": [...]}", &arr);
	if (rc < 0 || !arr)
		return rc;
	cfg->zones = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*cfg->zones));
	if (!cfg->zones)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct al_zone *z = &cfg->zones[cfg->nzones];
		al_json_index(where, sizeof(where), "zones", n++);
		z->index = (unsigned)cfg->nzones;
		cfg->nzones++;
		if ((rc = get_zone(c, it, where, z)) < 0)
			return rc;
		for (i = 0; i + 1 < cfg->nzones; i++)
			if (strcmp(cfg->zones[i].name, z->name) == 0) {
				char npath[80];
				al_json_join(npath, sizeof(npath), where, "name");
				return al_json_fail(c, npath, "%s is already the name of zones[%zu] (expected unique names)",
					    al_json_show(cJSON_GetObjectItemCaseSensitive(it, "name"), shown, sizeof(shown)), i);
			}
	}
	return 0;
}

/* A DNS name ("corp.example.com", trailing dot optional) into lower-case
 * wire form; the root is refused: it would stand for every name. */
static int get_name(struct al_jctx *c, const cJSON *v, const char *where, struct al_suffix *out)
{
	ldns_rdf *d = NULL;
	char shown[80];

	if (!cJSON_IsString(v) || !v->valuestring[0] ||
	    ldns_str2rdf_dname(&d, v->valuestring) != LDNS_STATUS_OK || ldns_rdf_size(d) < 2) {
		ldns_rdf_deep_free(d);
		return al_json_fail(c, where, "%s is not a DNS name below the root (expected e.g. \"corp.example.com\")",
				    al_json_show(v, shown, sizeof(shown)));
	}
	ldns_dname2canonical(d);
	out->len = ldns_rdf_size(d);
	memcpy(out->name, ldns_rdf_data(d), out->len);
	ldns_rdf_deep_free(d);
	return 0;
}

static int get_suffixes(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	const cJSON *arr, *it;
	char where[64];
	int rc, i = 0;

	if ((rc = al_json_array(c, root, "internal_suffixes", "", "a list of DNS names, e.g. [\"corp.example.com\"]",
				&arr)) < 0 || !arr)
		return rc;
	if (!(cfg->internal = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*cfg->internal))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(where, sizeof(where), "internal_suffixes", i++);
		if ((rc = get_name(c, it, where, &cfg->internal[cfg->ninternal])) < 0)
			return rc;
		cfg->ninternal++;
	}
	return 0;
}

/* A file named in the config: relative names are relative to the config
 * file's directory, so a config and its zone files move together. */
/* A file named in the config, relative to the config file's directory. */
static char *config_relative(const char *cfgpath, const char *name)
{
	const char *slash = cfgpath ? strrchr(cfgpath, '/') : NULL;
	char *out;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&out, "%.*s/%s", (int)(slash - cfgpath), cfgpath, name) < 0)
		return NULL;
	return out;
}

int config_file(struct al_jctx *c, const cJSON *v, const char *where, const char *example,
		bool socket, char **out)
{
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	char shown[80];

	if (!cJSON_IsString(v) || !v->valuestring[0])
		return al_json_fail(c, where, "%s is not a file name (expected e.g. \"%s\")",
				    al_json_show(v, shown, sizeof(shown)), example);
	if (!(*out = config_relative(c->file, v->valuestring)))
		return -ENOMEM;
	if (socket && strlen(*out) > max)
		return al_json_fail(c, where, "\"%s\" is %zu bytes long (expected at most %zu: the limit of a unix socket path; use a shorter one)",
				    *out, strlen(*out), max);
	return 0;
}

static int get_endpoint_policy(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "catalog", "private_cidrs", "on_public_answer", NULL };
	static const char *const answers[] = { "servfail", "refused", NULL };
	const cJSON *s, *v;
	int rc, pick = 0;

	if ((rc = al_json_section(c, root, "endpoints", keys, &s)) < 0 || !s)
		return rc;
	if ((v = cJSON_GetObjectItemCaseSensitive(s, "catalog")) &&
	    (rc = config_file(c, v, "endpoints.catalog", "ai-endpoints.json", false, &cfg->catalog_path)) < 0)
		return rc;
	if ((rc = get_cidrs(c, s, "private_cidrs", "endpoints", &cfg->private_cidrs, &cfg->nprivate)) < 0 ||
	    (rc = al_json_choice(c, s, "on_public_answer", "endpoints", answers, &pick)) < 0)
		return rc;
	cfg->public_answer_rcode = pick ? AL_RCODE_REFUSED : AL_RCODE_SERVFAIL;
	return 0;
}

/* section[key]: a list of files, relative to the config; *n of them. */
static int get_files(struct al_jctx *c, const cJSON *section, const char *key, const char *path,
		     char ***out, size_t *n)
{
	const cJSON *arr, *it;
	char where[96], ipath[112];
	int rc, i = 0;

	if ((rc = al_json_array(c, section, key, path, "a list of files, e.g. [\"guard-allow.txt\"]",
				&arr)) < 0 || !arr)
		return rc;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out))))
		return -ENOMEM;
	al_json_join(where, sizeof(where), path, key);
	cJSON_ArrayForEach(it, arr) {
		al_json_index(ipath, sizeof(ipath), where, i++);
		if ((rc = config_file(c, it, ipath, "zones/private-endpoints.zone", false, &(*out)[*n])) < 0)
			return rc;
		(*n)++;
	}
	return 0;
}

static int get_guard(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "max_domains", "window_s", "allow_lists", "block_lists", NULL };
	const cJSON *s;
	int rc;

	if ((rc = al_json_section(c, root, "guard", keys, &s)) < 0 || !s)
		return rc;
	if ((rc = get_files(c, s, "allow_lists", "guard", &cfg->allow_files, &cfg->nallow_files)) < 0 ||
	    (rc = get_files(c, s, "block_lists", "guard", &cfg->block_files, &cfg->nblock_files)) < 0)
		return rc;
	if ((rc = al_json_uint(c, s, "max_domains", "guard", 16, 10000000, &cfg->guard_domains)) < 0 ||
	    (rc = al_json_uint(c, s, "window_s", "guard", 1, 3600, &cfg->guard_window_s)) < 0)
		return rc;
	return 0;
}

/* rules: the zone policy catalog's flow rules (see rules.h). */
static int get_rules(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	const cJSON *arr;
	int rc;

	if ((rc = al_json_array(c, root, "rules", "", "a list of flow rules, e.g. [{\"id\": \"NET-001\", ...}]",
				&arr)) < 0)
		return rc;
	return al_rules_parse(c, arr, cfg->zones, cfg->nzones, &cfg->rules, &cfg->nrules);
}

/* new_domains: the learning period, how long a domain stays new, and how
 * many first sightings are kept. */
static int get_new_domains(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "learning_s", "age_s", "max_domains", NULL };
	const cJSON *s;
	int rc;

	if ((rc = al_json_section(c, root, "new_domains", keys, &s)) < 0 || !s)
		return rc;
	if ((rc = al_json_uint(c, s, "learning_s", "new_domains", 0, 31536000, &cfg->seen_learning_s)) < 0 ||
	    (rc = al_json_uint(c, s, "age_s", "new_domains", 1, 31536000, &cfg->seen_age_s)) < 0 ||
	    (rc = al_json_uint(c, s, "max_domains", "new_domains", 16, 100000000, &cfg->seen_domains)) < 0)
		return rc;
	return 0;
}

static int get_files(struct al_jctx *c, const cJSON *section, const char *key, const char *path,
		     char ***out, size_t *n);

static int get_local_data(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	return get_files(c, root, "local_data", "", &cfg->local_data, &cfg->nlocal_data);
}

/* Conditional forwarding: names under a suffix go to their own upstreams
 * and never to the default ones. */
static int get_forwards(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "suffix", "upstreams", NULL };
	const cJSON *arr, *it;
	char where[64], key[96];
	size_t j;
	int rc, i = 0;

	if ((rc = al_json_array(c, root, "forward", "", "a list of {\"suffix\": ..., \"upstreams\": [...]}",
				&arr)) < 0 || !arr)
		return rc;
	if (!(cfg->forwards = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*cfg->forwards))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct al_forward *fw = &cfg->forwards[cfg->nforwards];
		al_json_index(where, sizeof(where), "forward", i++);
		cfg->nforwards++;
		if ((rc = al_json_check_keys(c, it, where, keys)) < 0)
			return rc;
		al_json_join(key, sizeof(key), where, "suffix");
		if (!cJSON_GetObjectItemCaseSensitive(it, "suffix"))
			return al_json_fail(c, key, "missing (expected a DNS name, e.g. \"amazonaws.com\")");
		if ((rc = get_name(c, cJSON_GetObjectItemCaseSensitive(it, "suffix"), key, &fw->suffix)) < 0)
			return rc;
		for (j = 0; j + 1 < cfg->nforwards; j++)
			if (cfg->forwards[j].suffix.len == fw->suffix.len &&
			    memcmp(cfg->forwards[j].suffix.name, fw->suffix.name, fw->suffix.len) == 0)
				return al_json_fail(c, key, "is already the suffix of forward[%zu] (expected one entry per suffix)", j);
		if ((rc = get_endpoints(c, it, "upstreams", where, MAX_UPSTREAMS, &fw->ups, &fw->nups)) < 0)
			return rc;
		if (!fw->nups) {
			al_json_join(key, sizeof(key), where, "upstreams");
			return al_json_fail(c, key, "missing (expected e.g. [{\"address\": \"10.0.0.2\", \"port\": 53}])");
		}
	}
	return 0;
}

static struct al_config *config_new(void)
{
	struct al_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->refs = 1;
	cfg->cache_bytes = 32u << 20;
	cfg->min_ttl = 0;
	cfg->max_ttl = 86400;
	cfg->max_negative_ttl = 3600;
	cfg->upstream_timeout_ms = 1500;
	cfg->query_timeout_ms = 5000;
	cfg->tcp_idle_ms = 10000;
	cfg->upstream_holddown_ms = 5000;
	cfg->tcp_clients = 1000;
	cfg->inflight = 4096;
	cfg->edns_size = 1232;
	cfg->threads = 1;
	cfg->log_queue = 65536;
	cfg->log_batch_rows = 1000;
	cfg->log_batch_ms = 100;
	cfg->log_retention_days = 30;
	cfg->dnstap.client_query = cfg->dnstap.client_response = true;
	cfg->dnstap.forwarder_query = cfg->dnstap.forwarder_response = true;
	cfg->control_mode = 0660;
	cfg->public_answer_rcode = AL_RCODE_SERVFAIL;
	cfg->guard_domains = 100000;
	cfg->guard_window_s = 60;
	cfg->seen_domains = 1000000;
	cfg->seen_learning_s = 7 * 86400;
	cfg->seen_age_s = 86400;
	al_ratelimit_conf_default(&cfg->rate_limit);
	return cfg;
}

static bool same_endpoint(const struct al_endpoint *a, const struct al_endpoint *b)
{
	return a->port == b->port && al_ip_equal(&a->ip, &b->ip);
}

static int loop_check(struct al_jctx *c, const struct al_config *cfg, const char *path,
		      const struct al_endpoint *ups, size_t n)
{
	char where[96], ip[AL_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < cfg->nlisten; j++)
			if (same_endpoint(&ups[i], &cfg->listen[j])) {
				al_json_index(where, sizeof(where), path, (int)i);
				return al_json_fail(c, where, "%s port %u is also listen[%zu] (expected another resolver: airlockd would forward to itself)",
					    al_ip_format(&ups[i].ip, ip, sizeof(ip)), ups[i].port, j);
			}
	return 0;
}

/* An upstream equal to a listen address would forward to itself; and the
 * forwarder tracks at most AL_MAX_UPSTREAMS distinct upstreams in all. */
static int check_loops(struct al_jctx *c, const struct al_config *cfg)
{
	struct al_endpoint seen[AL_MAX_UPSTREAMS];
	char where[64];
	size_t i, j, k, nseen = 0;
	int rc;

	if ((rc = loop_check(c, cfg, "upstreams", cfg->upstreams, cfg->nupstreams)) < 0)
		return rc;
	for (i = 0; i <= cfg->nforwards; i++) {
		const struct al_endpoint *ups = i ? cfg->forwards[i - 1].ups : cfg->upstreams;
		size_t n = i ? cfg->forwards[i - 1].nups : cfg->nupstreams;
		snprintf(where, sizeof(where), "forward[%zu].upstreams", i ? i - 1 : 0);
		if (i && (rc = loop_check(c, cfg, where, ups, n)) < 0)
			return rc;
		for (j = 0; j < n; j++) {
			for (k = 0; k < nseen && !same_endpoint(&seen[k], &ups[j]); k++)
				;
			if (k < nseen)
				continue;
			if (nseen == AL_MAX_UPSTREAMS)
				return al_json_fail(c, i ? where : "upstreams", "more than %d distinct upstreams in all (expected fewer)",
						    AL_MAX_UPSTREAMS);
			seen[nseen++] = ups[j];
		}
	}
	return 0;
}

/* The endpoint catalog: the file named, or the one built in. */
static int load_catalog(struct al_jctx *c, struct al_config *cfg)
{
	struct al_err e;
	int rc;

	if (cfg->catalog_path)
		rc = al_catalog_load(cfg->catalog_path, &cfg->catalog, &e);
	else
		rc = al_catalog_parse(al_catalog_builtin, "(built-in catalog)", &cfg->catalog, &e);
	if (rc == -ENOMEM)
		return rc;
	return rc < 0 ? al_json_fail(c, "endpoints.catalog", "%s", e.msg) : 0;
}

/* One of the guard's lists: its errors name the file and line. */
static int load_list(struct al_jctx *c, char **files, size_t n, const char *where,
		     struct al_namelist **out)
{
	struct al_err e;
	int rc;

	if (!n)
		return 0;
	rc = al_namelist_load((const char *const *)files, n, out, &e);
	if (rc == -ENOMEM)
		return rc;
	return rc < 0 ? al_json_fail(c, where, "%s", e.msg) : 0;
}

/* Local data: the zone files' errors name the file and line. */
static int load_local_data(struct al_jctx *c, struct al_config *cfg)
{
	struct al_err e;
	int rc;

	if (!cfg->nlocal_data)
		return 0;
	rc = al_localdata_load((const char *const *)cfg->local_data, cfg->nlocal_data,
			       &cfg->localdata, &e);
	if (rc == -ENOMEM)
		return rc;
	return rc < 0 ? al_json_fail(c, "local_data", "%s", e.msg) : 0;
}

static int finish(struct al_jctx *c, struct al_config *cfg)
{
	struct al_err zerr;
	int rc;

	if ((rc = check_loops(c, cfg)) < 0 || (rc = load_catalog(c, cfg)) < 0 ||
	    (rc = load_local_data(c, cfg)) < 0 || (rc = load_list(c, cfg->allow_files, cfg->nallow_files, "guard.allow_lists", &cfg->allow)) < 0 ||
	    (rc = load_list(c, cfg->block_files, cfg->nblock_files, "guard.block_lists", &cfg->block)) < 0)
		return rc;
	/* The Public Suffix List: the newest of libpsl's built-in copy and
	 * the system's (package publicsuffix). */
	if (!(cfg->psl = psl_latest(NULL)))
		return al_json_fail(c, "guard", "cannot load the Public Suffix List (expected libpsl's built-in list or /usr/share/publicsuffix)");
	if ((rc = al_ratelimit_new(cfg->rate_limit.slots, &cfg->rate_table)) < 0)
		return rc;
	rc = al_zonemap_new(cfg->zones, cfg->nzones, &cfg->zonemap, &zerr);
	if (rc == -EINVAL)
		return al_json_fail(c, "zones", "%s (expected each CIDR in one zone)", zerr.msg);
	return rc;
}

static int config_from_json(const cJSON *root, const char *path,
			    struct al_config **out, struct al_err *err)
{
	static const char *const top_keys[] = { "listen", "upstreams", "zones", "cache", "timeouts",
						"limits", "edns", "threads", "log", "internal_suffixes",
						"endpoints", "local_data", "forward", "guard", "new_domains", "rules", "network",
						"user", "group", "control", "dnstap", "metrics", "rate_limit", NULL };
	struct al_jctx c = { path, err };
	struct al_config *cfg;
	int rc;

	if (!(cfg = config_new()))
		return -ENOMEM;
	if ((cfg->path = strdup(path)) == NULL)
		rc = -ENOMEM;
	else if ((rc = al_json_check_keys(&c, root, "", top_keys)) < 0 ||
		 (rc = get_endpoints(&c, root, "listen", "", 64, &cfg->listen, &cfg->nlisten)) < 0 ||
		 (rc = get_upstreams(&c, root, cfg)) < 0 ||
		 (rc = get_zones(&c, root, cfg)) < 0 ||
		 (rc = config_get_service(&c, root, cfg)) < 0 ||
		 (rc = get_suffixes(&c, root, cfg)) < 0 ||
		 (rc = get_endpoint_policy(&c, root, cfg)) < 0 ||
		 (rc = get_local_data(&c, root, cfg)) < 0 ||
		 (rc = get_forwards(&c, root, cfg)) < 0 ||
		 (rc = get_guard(&c, root, cfg)) < 0 ||
		 (rc = get_new_domains(&c, root, cfg)) < 0 ||
		 (rc = get_rules(&c, root, cfg)) < 0 ||
		 (rc = al_json_string(&c, root, "user", "", "an account name, e.g. \"airlock\"", &cfg->user)) < 0 ||
		 (rc = al_json_string(&c, root, "group", "", "a group name, e.g. \"airlock\"", &cfg->group)) < 0 ||
		 (rc = al_network_parse(&c, cJSON_GetObjectItemCaseSensitive(root, "network"), &cfg->network)) < 0 ||
		 (rc = al_ratelimit_parse(&c, cJSON_GetObjectItemCaseSensitive(root, "rate_limit"), &cfg->rate_limit)) < 0)
		;
	else if (!cfg->nlisten)
		rc = al_json_fail(&c, "listen", "missing (expected e.g. [{\"address\": \"127.0.0.1\", \"port\": 53}])");
	else if (!cfg->nupstreams)
		rc = al_json_fail(&c, "upstreams", "missing (expected e.g. [{\"address\": \"169.254.169.253\", \"port\": 53}])");
	else if (!cfg->nzones)
		rc = al_json_fail(&c, "zones", "missing (expected at least one zone: clients in no zone are refused)");
	else
		rc = finish(&c, cfg);
	if (rc < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "%s: out of memory", path);
		al_config_unref(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int al_config_parse(const char *text, const char *path,
		    struct al_config **out, struct al_err *err)
{
	cJSON *root;
	int rc;

	if ((rc = al_json_parse(text, path, &root, err)) < 0)
		return rc;
	rc = config_from_json(root, path, out, err);
	cJSON_Delete(root);
	return rc;
}

int al_config_load(const char *path, struct al_config **out, struct al_err *err)
{
	cJSON *root;
	int rc;

	if ((rc = al_json_load(path, MAX_FILE, "a config file", &root, err)) < 0)
		return rc == -ENOMEM ? rc : -EINVAL;
	rc = config_from_json(root, path, out, err);
	cJSON_Delete(root);
	return rc;
}

/* "nameserver ADDR" lines; scoped IPv6 ("fe80::1%eth0") are skipped. */
static int read_resolv_conf(const char *path, struct al_config *cfg)
{
	char line[512], addr[128];
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && cfg->nupstreams < MAX_UPSTREAMS) {
		struct al_endpoint ep = { .port = 53 };
		size_t j;
		bool loop = false;

		if (sscanf(line, " nameserver %127s", addr) != 1 || al_ip_parse(addr, &ep.ip) < 0)
			continue;
		for (j = 0; j < cfg->nlisten; j++)
			loop |= same_endpoint(&ep, &cfg->listen[j]);
		if (!loop)
			cfg->upstreams[cfg->nupstreams++] = ep;
	}
	fclose(f);
	return 0;
}

int al_config_default(const char *resolv_conf, struct al_config **out,
		      struct al_err *err)
{
	static const char *const listen[] = { "127.0.0.1", "::1" };
	static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };
	struct al_jctx c = { "(built-in default)", err };
	struct al_config *cfg = config_new();
	size_t i;
	int rc = -ENOMEM;

	if (!cfg)
		return -ENOMEM;
	cfg->listen = calloc(2, sizeof(*cfg->listen));
	cfg->upstreams = calloc(MAX_UPSTREAMS, sizeof(*cfg->upstreams));
	cfg->zones = calloc(1, sizeof(*cfg->zones));
	if (!cfg->listen || !cfg->upstreams || !cfg->zones ||
	    !(cfg->zones[0].cidrs = calloc(2, sizeof(struct al_cidr))) ||
	    !(cfg->zones[0].name = strdup("loopback")))
		goto out;
	view_defaults(&cfg->zones[0].view);
	for (i = 0; i < 2; i++) {
		al_ip_parse(listen[i], &cfg->listen[i].ip);
		cfg->listen[i].port = AL_DEFAULT_PORT;
		al_cidr_parse(loopback[i], &cfg->zones[0].cidrs[i]);
	}
	cfg->nlisten = 2;
	cfg->zones[0].ncidrs = 2;
	cfg->nzones = 1;
	read_resolv_conf(resolv_conf, cfg); /* none: warned at start */
	rc = finish(&c, cfg);
out:
	if (rc < 0) {
		al_config_unref(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

struct al_config *al_config_ref(struct al_config *cfg)
{
	__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void al_config_unref(struct al_config *cfg)
{
	size_t i;

	if (!cfg || __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	al_zonemap_free(cfg->zonemap);
	al_catalog_free(cfg->catalog);
	al_localdata_free(cfg->localdata);
	psl_free(cfg->psl);
	al_namelist_free(cfg->allow);
	al_namelist_free(cfg->block);
	al_rules_free(cfg->rules, cfg->nrules);
	al_network_clear(&cfg->network);
	al_ratelimit_free(cfg->rate_table);
	for (i = 0; i < cfg->nallow_files; i++)
		free(cfg->allow_files[i]);
	free(cfg->allow_files);
	for (i = 0; i < cfg->nblock_files; i++)
		free(cfg->block_files[i]);
	free(cfg->block_files);
	for (i = 0; i < cfg->nzones; i++) {
		free(cfg->zones[i].name);
		free(cfg->zones[i].cidrs);
	}
	free(cfg->zones);
	for (i = 0; i < cfg->nforwards; i++)
		free(cfg->forwards[i].ups);
	free(cfg->forwards);
	for (i = 0; i < cfg->nlocal_data; i++)
		free(cfg->local_data[i]);
	free(cfg->local_data);
	free(cfg->internal);
	free(cfg->private_cidrs);
	free(cfg->catalog_path);
	free(cfg->listen);
	free(cfg->upstreams);
	free(cfg->path);
	free(cfg->log_path);
	free(cfg->dnstap.socket);
	free(cfg->dnstap.file);
	free(cfg->dnstap.identity);
	free(cfg->dnstap.version);
	free(cfg->control_path);
	free(cfg->control_group);
	free(cfg->user);
	free(cfg->group);
	free(cfg);
}
