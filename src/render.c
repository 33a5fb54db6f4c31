/* Rendering the cloud network configuration from the zone policy catalog:
 * the choice of renderer, and what the three share (the zones allowed to
 * reach external_ai, messages, artifacts, address arithmetic).  See
 * render.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/render.h"

int al_render(const struct al_config *cfg, enum al_render_target target,
	      enum al_render_format format, struct al_render *out, struct al_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	switch (target) {
	case AL_RENDER_AWS:
		rc = al_render_aws(cfg, format, out, err);
		break;
	case AL_RENDER_AZURE:
		rc = format == AL_RENDER_DEFAULT ? al_render_azure(cfg, out, err) :
		     al_err_set(err, "Azure is rendered as Bicep only (expected no --format)");
		break;
	case AL_RENDER_GCP:
		rc = format == AL_RENDER_DEFAULT || format == AL_RENDER_TERRAFORM ?
		     al_render_gcp(cfg, out, err) :
		     al_err_set(err, "GCP is rendered as Terraform JSON only (expected --format terraform or none)");
		break;
	default:
		rc = al_err_set(err, "unknown target %d", (int)target);
	}
	if (rc < 0)
		al_render_clear(out);
	return rc;
}

void al_render_clear(struct al_render *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->items[i].text);
	memset(r, 0, sizeof(*r));
}

size_t al_render_ai_zones(const struct al_config *cfg, struct al_render_zone *out, size_t max)
{
	struct al_flow f;
	struct al_flow_verdict v;
	size_t i, n = 0;

	for (i = 0; i < cfg->nzones && n < max; i++) {
		memset(&f, 0, sizeof(f));
		f.from.zone = (int)i;
		f.to.zone = AL_ZONE_EXTERNAL_AI;
		f.proto = AL_PROTO_TCP;
		f.port = 443;
		al_rules_check(cfg->rules, cfg->nrules, cfg->zones, cfg->nzones, cfg->private_cidrs,
			       cfg->nprivate, &f, &v);
		if (!v.allowed)
			continue;
		out[n].zone = (int)i;
		memcpy(out[n].rules, v.rules, v.nrules * sizeof(*v.rules));
		out[n].nrules = v.nrules;
		n++;
	}
	return n;
}

const char *al_render_rule_ids(const struct al_render_zone *z, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < z->nrules && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", z->rules[i]->id);
	return al_render_plain(buf, buf, len);
}

const char *al_render_plain(const char *text, char *buf, size_t len)
{
	static const char keep[] = " ._:/,()+=-#@";
	size_t i;

	for (i = 0; text[i] && i + 1 < len; i++) {
		char ch = text[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  strchr(keep, ch);
		buf[i] = ok ? ch : '_';
	}
	buf[i] = '\0';
	return buf;
}

const char *al_render_cidr(const struct al_cidr *c, char *buf, size_t len)
{
	char ip[AL_ADDRSTRLEN];

	snprintf(buf, len, "%s/%d", al_ip_format(&c->ip, ip, sizeof(ip)), c->prefix);
	return buf;
}

const char *al_render_file(const struct al_config *cfg)
{
	return cfg->path ? cfg->path : "(built-in config)";
}

int al_render_missing(const struct al_config *cfg, struct al_err *err, const char *path,
		      const char *expect)
{
	return al_err_set(err, "%s: %s: missing (expected %s)", al_render_file(cfg), path, expect);
}

int al_render_check_subnet_zones(const struct al_config *cfg, const struct al_zone_subnets *v,
				 size_t n, const char *path, struct al_err *err)
{
	char zones[256];
	size_t i, j, off = 0;

	for (i = 0; i < n; i++) {
		if (al_rules_zone_find(cfg->zones, cfg->nzones, v[i].zone) >= 0)
			continue;
		zones[0] = '\0';
		for (j = 0; j < cfg->nzones && off < sizeof(zones); j++)
			off += (size_t)snprintf(zones + off, sizeof(zones) - off, "%s%s", j ? ", " : "",
						cfg->zones[j].name);
		return al_err_set(err, "%s: %s.%s: \"%s\" is not a zone of the config (expected one of: %s)",
				  al_render_file(cfg), path, v[i].zone, v[i].zone, zones);
	}
	return 0;
}

int al_render_add(struct al_render *r, const char *name, char *text)
{
	if (!text || r->n >= AL_RENDER_MAX) {
		free(text);
		return -ENOMEM;
	}
	r->items[r->n].name = name;
	r->items[r->n].text = text;
	r->n++;
	return 0;
}

int al_render_add_json(struct al_render *r, const char *name, cJSON *doc)
{
	char *s = doc ? cJSON_Print(doc) : NULL, *text = NULL;
	size_t len;

	cJSON_Delete(doc);
	if (s && (text = malloc((len = strlen(s)) + 2)) != NULL) {
		memcpy(text, s, len);
		memcpy(text + len, "\n", 2);
	}
	cJSON_free(s);
	return al_render_add(r, name, text);
}

/* ----- the complement of a set of CIDRs ----- */

static int complement(const struct al_cidr *p, const struct al_cidr *v, size_t n,
		      struct al_cidr *out, size_t max, size_t *k)
{
	struct al_cidr half;
	bool inside = false;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (v[i].ip.family != p->ip.family)
			continue;
		if (al_cidr_covers(&v[i], p))
			return 0;      /* all of p is taken */
		if (al_cidr_covers(p, &v[i]))
			inside = true; /* CIDRs nest or are apart: split p */
	}
	if (!inside) {
		if (*k >= max)
			return -ENOSPC;
		out[(*k)++] = *p;
		return 0;
	}
	half = *p;
	half.prefix = p->prefix + 1;
	if ((rc = complement(&half, v, n, out, max, k)) < 0)
		return rc;
	half.ip.bytes[p->prefix / 8] |= (uint8_t)(0x80 >> (p->prefix % 8));
	return complement(&half, v, n, out, max, k);
}

int al_render_complement(const struct al_cidr *v, size_t n, int family, struct al_cidr *out,
			 size_t max)
{
	struct al_cidr all;
	size_t k = 0;
	int rc;

	memset(&all, 0, sizeof(all));
	all.ip.family = family;
	rc = complement(&all, v, n, out, max, &k);
	return rc < 0 ? rc : (int)k;
}
