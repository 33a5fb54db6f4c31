/* The zone policy catalog's flow rules: see rules.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/rules.h"

const char *al_proto_name(enum al_proto p)
{
	static const char *const names[] = { "tcp", "udp", "https", "any" };

	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

const char *al_rules_zone_name(const struct al_zone *zones, size_t nzones, int zone)
{
	if (zone == AL_ZONE_INTERNET)
		return "internet";
	if (zone == AL_ZONE_EXTERNAL_AI)
		return "external_ai";
	if (zone >= 0 && (size_t)zone < nzones)
		return zones[zone].name;
	return "(unknown)";
}

int al_rules_zone_find(const struct al_zone *zones, size_t nzones, const char *name)
{
	size_t i;

	if (!strcmp(name, "internet"))
		return AL_ZONE_INTERNET;
	if (!strcmp(name, "external_ai"))
		return AL_ZONE_EXTERNAL_AI;
	for (i = 0; i < nzones; i++)
		if (!strcmp(zones[i].name, name))
			return (int)i;
	return AL_ZONE_UNKNOWN;
}

/* ----- ports ----- */

static bool take_port(const char **p, uint16_t *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9' && v <= 65535)
		v = v * 10 + (unsigned long)(*s++ - '0');
	if (v > 65535 || (*s >= '0' && *s <= '9'))
		return false;
	*out = (uint16_t)v;
	*p = s;
	return true;
}

int al_port_parse(const char *text, struct al_portrange *out, struct al_err *err)
{
	const char *p = text;

	if (!take_port(&p, &out->lo))
		return al_err_set(err, "\"%.40s\" is not a port (expected 0-65535, or a range such as 6333-6334)", text);
	out->hi = out->lo;
	if (*p == '-') {
		p++;
		if (!take_port(&p, &out->hi))
			return al_err_set(err, "\"%.40s\" is not a port range (expected LOW-HIGH within 0-65535, e.g. 6333-6334)", text);
	}
	if (*p)
		return al_err_set(err, "\"%.40s\" is not a port (expected 0-65535, or a range such as 6333-6334)", text);
	if (out->lo > out->hi)
		return al_err_set(err, "\"%.40s\" is an empty range (expected the low port first, e.g. %u-%u)",
				  text, out->hi, out->lo);
	return 0;
}

static int port_item(const cJSON *v, struct al_portrange *out, struct al_err *err)
{
	char num[16];

	if (cJSON_IsNumber(v)) {
		/* Range first: converting a double out of long's range is undefined. */
		if (!(v->valuedouble >= 0 && v->valuedouble <= 65535) ||
		    v->valuedouble != (double)(long)v->valuedouble)
			return al_err_set(err, "%g is not a port (expected 0-65535)", v->valuedouble);
		snprintf(num, sizeof(num), "%ld", (long)v->valuedouble);
		return al_port_parse(num, out, err);
	}
	if (cJSON_IsString(v))
		return al_port_parse(v->valuestring, out, err);
	return al_err_set(err, "expected a port (443), a range (\"6333-6334\") or a list of them");
}

int al_ports_parse(const cJSON *v, struct al_portrange **out, size_t *n, struct al_err *err)
{
	const cJSON *it;
	size_t cap = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
	int rc;

	*out = NULL;
	*n = 0;
	if (cJSON_IsArray(v) && cap == 0)
		return al_err_set(err, "an empty list (expected ports, or no \"ports\" for every port)");
	if (!(*out = calloc(cap, sizeof(**out))))
		return -ENOMEM;
	if (!cJSON_IsArray(v)) {
		if ((rc = port_item(v, *out, err)) < 0)
			return rc;
		*n = 1;
		return 0;
	}
	cJSON_ArrayForEach(it, v) {
		if ((rc = port_item(it, &(*out)[*n], err)) < 0) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			return al_err_set(err, "[%zu]: %s", *n, why);
		}
		(*n)++;
	}
	return 0;
}

/* ----- parsing ----- */

static int rule_end(struct al_jctx *c, const cJSON *rule, const char *key, const char *path,
		    const struct al_zone *zones, size_t nzones, struct al_rule_end *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);
	char where[128], shown[80];

	al_json_join(where, sizeof(where), path, key);
	if (!v)
		return al_json_fail(c, where, "missing (expected a zone name, \"internet\", \"external_ai\" or a CIDR)");
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= sizeof(e->text))
		return al_json_fail(c, where, "%s is not a zone name or a CIDR",
				    al_json_show(v, shown, sizeof(shown)));
	snprintf(e->text, sizeof(e->text), "%s", v->valuestring);
	if (strchr(e->text, '/') || strchr(e->text, ':') || (e->text[0] >= '0' && e->text[0] <= '9')) {
		if (al_cidr_parse(e->text, &e->cidr) < 0)
			return al_json_fail(c, where, "%s is not a CIDR (expected e.g. \"10.0.2.0/24\", host bits zero) or a zone name",
					    al_json_show(v, shown, sizeof(shown)));
		e->is_cidr = true;
		return 0;
	}
	e->zone = al_rules_zone_find(zones, nzones, e->text);
	return 0;
}

static int dup_text(struct al_jctx *c, const cJSON *rule, const char *key, const char *path,
		    char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);
	char where[128], shown[80];

	if (v && !cJSON_IsString(v)) {
		al_json_join(where, sizeof(where), path, key);
		return al_json_fail(c, where, "%s is not text", al_json_show(v, shown, sizeof(shown)));
	}
	return (*out = strdup(v ? v->valuestring : "")) ? 0 : -ENOMEM;
}

static int parse_rule(struct al_jctx *c, const cJSON *item, const char *path,
		      const struct al_zone *zones, size_t nzones, struct al_rule *r)
{
	static const char *const keys[] = { "id", "name", "from", "to", "proto", "ports", "action",
					    "justification", "classification", NULL };
	static const char *const protos[] = { "tcp", "udp", "https", "any", NULL };
	static const char *const actions[] = { "allow", "deny", NULL };
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(item, "ports");
	char where[128], shown[80];
	struct al_err perr;
	int proto = AL_PROTO_ANY, action = -1, rc;

	if ((rc = al_json_check_keys(c, item, path, keys)) < 0)
		return rc;
	al_json_join(where, sizeof(where), path, "id");
	if (!id)
		return al_json_fail(c, where, "missing (expected e.g. \"NET-001\")");
	if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= sizeof(r->id))
		return al_json_fail(c, where, "%s is not a rule id (expected e.g. \"NET-001\", at most %zu characters)",
				    al_json_show(id, shown, sizeof(shown)), sizeof(r->id) - 1);
	snprintf(r->id, sizeof(r->id), "%s", id->valuestring);
	if ((rc = rule_end(c, item, "from", path, zones, nzones, &r->from)) < 0 ||
	    (rc = rule_end(c, item, "to", path, zones, nzones, &r->to)) < 0 ||
	    (rc = al_json_choice(c, item, "proto", path, protos, &proto)) < 0 ||
	    (rc = al_json_choice(c, item, "action", path, actions, &action)) < 0 ||
	    (rc = dup_text(c, item, "name", path, &r->name)) < 0 ||
	    (rc = dup_text(c, item, "justification", path, &r->justification)) < 0 ||
	    (rc = dup_text(c, item, "classification", path, &r->classification)) < 0)
		return rc;
	if (action < 0) {
		al_json_join(where, sizeof(where), path, "action");
		return al_json_fail(c, where, "missing (expected \"allow\" or \"deny\")");
	}
	r->proto = (enum al_proto)proto;
	r->allow = action == 0;
	if (ports) {
		al_json_join(where, sizeof(where), path, "ports");
		if ((rc = al_ports_parse(ports, &r->ports, &r->nports, &perr)) < 0)
			return rc == -ENOMEM ? rc : al_json_fail(c, where, "%s", perr.msg);
	}
	return 0;
}

int al_rules_parse(struct al_jctx *c, const cJSON *arr, const struct al_zone *zones,
		   size_t nzones, struct al_rule **out, size_t *n)
{
	const cJSON *it;
	char path[32];
	size_t i;
	int rc, k = 0;

	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(path, sizeof(path), "rules", k++);
		if ((rc = parse_rule(c, it, path, zones, nzones, &(*out)[*n])) < 0) {
			(*n)++; /* freed with the others */
			return rc;
		}
		for (i = 0; i < *n; i++)
			if (!strcmp((*out)[i].id, (*out)[*n].id)) {
				char where[48];
				al_json_join(where, sizeof(where), path, "id");
				(*n)++;
				return al_json_fail(c, where, "\"%s\" is also the id of rules[%zu] (expected each id once)",
						    (*out)[*n - 1].id, i);
			}
		(*n)++;
	}
	return 0;
}

void al_rules_free(struct al_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rules[i].name);
		free(rules[i].ports);
		free(rules[i].justification);
		free(rules[i].classification);
	}
	free(rules);
}

/* ----- checking ----- */

int al_rules_zone_of(const struct al_zone *zones, size_t nzones, const struct al_cidr *ai,
		     size_t nai, const struct al_ip *ip)
{
	int best = AL_ZONE_INTERNET, best_prefix = -1;
	size_t i, j;

	for (i = 0; i < nzones; i++)
		for (j = 0; j < zones[i].ncidrs; j++)
			if (zones[i].cidrs[j].prefix > best_prefix && al_cidr_contains(&zones[i].cidrs[j], ip)) {
				best = (int)i;
				best_prefix = zones[i].cidrs[j].prefix;
			}
	for (j = 0; j < nai; j++)
		if (ai[j].prefix > best_prefix && al_cidr_contains(&ai[j], ip)) {
			best = AL_ZONE_EXTERNAL_AI;
			best_prefix = ai[j].prefix;
		}
	return best;
}

struct scope {
	const struct al_zone *zones;
	size_t nzones;
	const struct al_cidr *ai;
	size_t nai;
};

bool al_rules_cidr_covers_zone(const struct al_zone *zones, size_t nzones, const struct al_cidr *ai,
			       size_t nai, const struct al_cidr *c, int zone)
{
	const struct al_cidr *v;
	size_t n, i;

	if (zone == AL_ZONE_INTERNET)
		return c->prefix == 0;
	if (zone == AL_ZONE_EXTERNAL_AI) {
		v = ai;
		n = nai;
	} else if (zone >= 0 && (size_t)zone < nzones) {
		v = zones[zone].cidrs;
		n = zones[zone].ncidrs;
	} else {
		return false;
	}
	for (i = 0; i < n; i++)
		if (!al_cidr_covers(c, &v[i]))
			return false;
	return n > 0;
}

static bool end_matches(const struct scope *s, const struct al_rule_end *e,
			const struct al_flow_end *f)
{
	if (!e->is_cidr)
		return e->zone != AL_ZONE_UNKNOWN && e->zone == f->zone;
	if (f->has_ip)
		return al_cidr_contains(&e->cidr, &f->ip);
	return al_rules_cidr_covers_zone(s->zones, s->nzones, s->ai, s->nai, &e->cidr, f->zone);
}

static bool port_matches(const struct al_rule *r, uint16_t port)
{
	size_t i;

	if (!r->nports)
		return r->proto != AL_PROTO_HTTPS || port == 443;
	for (i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static bool proto_matches(enum al_proto rule, enum al_proto flow)
{
	if (rule == AL_PROTO_ANY)
		return true;
	if (flow == AL_PROTO_UDP)
		return rule == AL_PROTO_UDP;
	if (flow == AL_PROTO_TCP || flow == AL_PROTO_HTTPS)
		return rule == AL_PROTO_TCP || rule == AL_PROTO_HTTPS; /* https is TCP */
	return false; /* another protocol (ICMP, ...): "any" rules only */
}

void al_rules_check(const struct al_rule *rules, size_t n, const struct al_zone *zones,
		    size_t nzones, const struct al_cidr *ai, size_t nai,
		    const struct al_flow *flow, struct al_flow_verdict *out)
{
	const struct scope s = { zones, nzones, ai, nai };
	const struct al_rule *allows[AL_RULES_MATCH_MAX];
	size_t i, nallow = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const struct al_rule *r = &rules[i];

		if (!proto_matches(r->proto, flow->proto) || !port_matches(r, flow->port) ||
		    !end_matches(&s, &r->from, &flow->from) || !end_matches(&s, &r->to, &flow->to))
			continue;
		if (!r->allow && out->nrules < AL_RULES_MATCH_MAX)
			out->rules[out->nrules++] = r;
		else if (r->allow && nallow < AL_RULES_MATCH_MAX)
			allows[nallow++] = r;
	}
	if (out->nrules)
		return; /* an explicit deny wins */
	out->allowed = nallow > 0;
	memcpy(out->rules, allows, nallow * sizeof(*allows));
	out->nrules = nallow;
}
