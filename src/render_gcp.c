/* GCP from the zone policy catalog, as Terraform JSON: egress firewall
 * rules (HTTPS to the restricted VIP for the zones the rules allow to reach
 * external_ai; for each deny rule to the internet or to external_ai, that
 * deny for every zone it names) and the googleapis.com private zone that
 * sends every Google API name to restricted.googleapis.com.  A firewall
 * rule reaches a zone's instances by the network tag "airlock-ZONE".
 * "The internet" is what it is in the rules: every address in no zone and
 * not external_ai; on GCP, external_ai is the Google API VIPs of the AI
 * endpoint catalog plus endpoints.private_cidrs.  See render.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/catalog.h"
#include "airlock/render.h"

/* restricted.googleapis.com (VPC Service Controls): docs/ENDPOINTS.md. */
#define RESTRICTED_VIP "199.36.153.4/30"
static const char *const restricted_ips[] = { "199.36.153.4", "199.36.153.5", "199.36.153.6",
					      "199.36.153.7" };
#define PRIORITY_ALLOW 1000 /* before the denies: GCP lets a deny win a tie */
#define PRIORITY_DENY 1100
#define NOTE "Rendered by airlock policy render from the zone policy catalog: re-render rather than edit."

struct gcp {
	const struct al_config *cfg;
	const struct al_network_gcp *g;
	cJSON *firewalls;         /* resource.google_compute_firewall */
	struct al_cidr *internal; /* the zones' CIDRs and external_ai's: not the internet */
	size_t ninternal;
	struct al_cidr *ai;       /* external_ai on GCP */
	size_t nai;
	struct al_cidr *ranges;   /* scratch: one rule's destinations */
	size_t max_ranges;
};

static bool has_cidr(const struct al_cidr *v, size_t n, const struct al_cidr *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].prefix == c->prefix && al_ip_equal(&v[i].ip, &c->ip))
			return true;
	return false;
}

static void add_cidr(struct al_cidr *v, size_t *n, const struct al_cidr *c)
{
	if (!has_cidr(v, *n, c))
		v[(*n)++] = *c;
}

static int facts(struct gcp *w, struct al_err *err)
{
	const struct al_config *cfg = w->cfg;
	const struct al_network_gcp *g = &cfg->network.gcp;
	size_t i, j, n = cfg->nprivate;

	w->g = g;
	if (!g->given)
		return al_render_missing(cfg, err, "network.gcp", "{\"project\", \"network\"} to render for GCP");
	if (!g->project)
		return al_render_missing(cfg, err, "network.gcp.project", "the project id, e.g. \"airlock-ai-prod\"");
	if (!g->network)
		return al_render_missing(cfg, err, "network.gcp.network",
					 "the VPC network of the zones, e.g. \"airlock-vpc\"");
	for (i = 0; i < cfg->nzones; i++)
		n += cfg->zones[i].ncidrs;
	for (i = 0; i < al_catalog_count(cfg->catalog); i++)
		n += al_catalog_get(cfg->catalog, i)->nvip;
	w->max_ranges = (n + 1) * 129; /* a complement has at most 128 per CIDR, plus one */
	if (!(w->internal = calloc(n + 1, sizeof(*w->internal))) || !(w->ai = calloc(n + 1, sizeof(*w->ai))) ||
	    !(w->ranges = calloc(w->max_ranges, sizeof(*w->ranges))))
		return -ENOMEM;
	for (i = 0; i < cfg->nzones; i++)
		for (j = 0; j < cfg->zones[i].ncidrs; j++)
			add_cidr(w->internal, &w->ninternal, &cfg->zones[i].cidrs[j]);
	for (i = 0; i < al_catalog_count(cfg->catalog); i++) {
		const struct al_catalog_ep *ep = al_catalog_get(cfg->catalog, i);

		if (!strcmp(ep->provider, "gcp") && ep->cls == AL_EP_PRIVATE_LINK && ep->kind == AL_EPK_VIP_RANGES)
			for (j = 0; j < ep->nvip; j++)
				add_cidr(w->ai, &w->nai, &ep->vip[j]);
	}
	for (i = 0; i < cfg->nprivate; i++) {
		add_cidr(w->internal, &w->ninternal, &cfg->private_cidrs[i]);
		add_cidr(w->ai, &w->nai, &cfg->private_cidrs[i]);
	}
	return 0;
}

/* A GCP resource name or network tag: a lowercase letter, then up to 62
 * lowercase letters, digits and '-', not ending in '-'. */
static bool gcp_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 63 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* Lowercase, anything but letters and digits as '-'. */
static void gcp_word(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') :
			 ((in[i] >= 'a' && in[i] <= 'z') || (in[i] >= '0' && in[i] <= '9')) ? in[i] : '-';
	out[i] = '\0';
}

struct firewall {
	char name[160];
	const char *zone;
	char description[256];
	int priority;
	bool allow;
	cJSON *what; /* [{"protocol": ..., "ports": [...]}] */
};

/* Adds f (taking f->what) with destinations ranges[0..n). */
static int add_firewall(struct gcp *w, struct firewall *f, const struct al_cidr *ranges, size_t n,
			struct al_err *err)
{
	cJSON *r, *arr;
	char tag[80], word[72], key[160], text[AL_ADDRSTRLEN + 8];
	size_t i;

	gcp_word(f->zone, word, sizeof(word));
	snprintf(tag, sizeof(tag), "airlock-%s", word);
	for (i = 0; f->name[i] && i + 1 < sizeof(key); i++)
		key[i] = f->name[i] == '-' ? '_' : f->name[i];
	key[i] = '\0';
	if (!gcp_name_ok(f->name) || !gcp_name_ok(tag) || cJSON_GetObjectItemCaseSensitive(w->firewalls, key)) {
		cJSON_Delete(f->what);
		return al_err_set(err, "%s: zones: zone \"%s\" gives the GCP firewall rule \"%s\" and network tag \"%s\", %s (expected a shorter zone or rule id, or ids that differ in more than case and punctuation)",
				  al_render_file(w->cfg), f->zone, f->name, tag,
				  gcp_name_ok(f->name) && gcp_name_ok(tag) ? "given twice" :
				  "not a GCP name (a lowercase letter, then at most 62 lowercase letters, digits and '-', not ending in '-')");
	}
	r = cJSON_AddObjectToObject(w->firewalls, key);
	cJSON_AddStringToObject(r, "name", f->name);
	cJSON_AddStringToObject(r, "project", w->g->project);
	cJSON_AddStringToObject(r, "network", w->g->network);
	cJSON_AddStringToObject(r, "description", al_render_plain(f->description, f->description,
								   sizeof(f->description)));
	cJSON_AddStringToObject(r, "direction", "EGRESS");
	cJSON_AddNumberToObject(r, "priority", f->priority);
	arr = cJSON_AddArrayToObject(r, "target_tags");
	cJSON_AddItemToArray(arr, cJSON_CreateString(tag));
	arr = cJSON_AddArrayToObject(r, "destination_ranges");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(al_render_cidr(&ranges[i], text, sizeof(text))));
	cJSON_AddItemToObject(r, f->allow ? "allow" : "deny", f->what);
	return 0;
}

static cJSON *protocol(const char *name, const struct al_rule *r)
{
	cJSON *o = cJSON_CreateObject(), *ports;
	char text[16];
	size_t i;

	cJSON_AddStringToObject(o, "protocol", name);
	for (i = 0; i < r->nports; i++)
		if (r->ports[i].lo == 0 && r->ports[i].hi == 65535)
			return o; /* every port */
	if (!r->nports && r->proto != AL_PROTO_HTTPS)
		return o;
	ports = cJSON_AddArrayToObject(o, "ports");
	if (!r->nports)
		cJSON_AddItemToArray(ports, cJSON_CreateString("443"));
	for (i = 0; i < r->nports; i++) {
		unsigned lo = r->ports[i].lo ? r->ports[i].lo : 1; /* GCP ports start at 1 */

		if (lo == r->ports[i].hi)
			snprintf(text, sizeof(text), "%u", lo);
		else
			snprintf(text, sizeof(text), "%u-%u", lo, r->ports[i].hi);
		cJSON_AddItemToArray(ports, cJSON_CreateString(text));
	}
	return o;
}

/* What a deny rule's protocol and ports are in GCP's terms. */
static cJSON *denied(const struct al_rule *r)
{
	cJSON *arr = cJSON_CreateArray();

	switch (r->proto) {
	case AL_PROTO_ANY:
		if (!r->nports) {
			cJSON *all = cJSON_CreateObject();
			cJSON_AddStringToObject(all, "protocol", "all");
			cJSON_AddItemToArray(arr, all);
			break;
		}
		cJSON_AddItemToArray(arr, protocol("tcp", r));
		cJSON_AddItemToArray(arr, protocol("udp", r));
		break;
	case AL_PROTO_UDP:
		cJSON_AddItemToArray(arr, protocol("udp", r));
		break;
	default: /* tcp, https */
		cJSON_AddItemToArray(arr, protocol("tcp", r));
	}
	return arr;
}

static int allow_vip(struct gcp *w, const struct al_render_zone *z, struct al_err *err)
{
	struct firewall f;
	cJSON *tcp = cJSON_CreateObject();
	struct al_cidr vip;
	char ids[96];

	memset(&f, 0, sizeof(f));
	f.zone = w->cfg->zones[z->zone].name;
	gcp_word(f.zone, ids, sizeof(ids));
	snprintf(f.name, sizeof(f.name), "airlock-%s-allow-restricted-vip", ids);
	snprintf(f.description, sizeof(f.description),
		 "airlock: zone %s may reach external_ai (%s): HTTPS to restricted.googleapis.com", f.zone,
		 al_render_rule_ids(z, ids, sizeof(ids)));
	f.priority = PRIORITY_ALLOW;
	f.allow = true;
	f.what = cJSON_CreateArray();
	cJSON_AddStringToObject(tcp, "protocol", "tcp");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(tcp, "ports"), cJSON_CreateString("443"));
	cJSON_AddItemToArray(f.what, tcp);
	al_cidr_parse(RESTRICTED_VIP, &vip);
	return add_firewall(w, &f, &vip, 1, err);
}

enum dest { TO_INTERNET, TO_AI };

/* The deny r for zone towards dest, for the address family (AF_INET6 names
 * end in "-v6"); nothing when the family has no such destination. */
static int deny(struct gcp *w, const struct al_rule *r, int zone, enum dest dest, int family,
		struct al_err *err)
{
	struct firewall f;
	char zw[72], rw[40];
	size_t i, n = 0;
	int rc;

	if (dest == TO_INTERNET) {
		if ((rc = al_render_complement(w->internal, w->ninternal, family, w->ranges, w->max_ranges)) < 0)
			return al_err_set(err, "%s: zones: the internet is too many CIDRs apart", al_render_file(w->cfg));
		n = (size_t)rc;
	} else {
		for (i = 0; i < w->nai; i++)
			if (w->ai[i].ip.family == family)
				w->ranges[n++] = w->ai[i];
	}
	if (!n)
		return 0;
	memset(&f, 0, sizeof(f));
	f.zone = w->cfg->zones[zone].name;
	gcp_word(f.zone, zw, sizeof(zw));
	gcp_word(r->id, rw, sizeof(rw));
	snprintf(f.name, sizeof(f.name), "airlock-%s-%s-deny-%s%s", zw, rw, dest == TO_INTERNET ? "internet" : "ai",
		 family == AF_INET6 ? "-v6" : "");
	snprintf(f.description, sizeof(f.description), "airlock: zone %s to %s denied by %s (%s)", f.zone,
		 dest == TO_INTERNET ? "the internet" : "external_ai", r->id, r->name);
	f.priority = PRIORITY_DENY;
	f.what = denied(r);
	return add_firewall(w, &f, w->ranges, n, err);
}

/* Whether rule end e is dest for the address family: the pseudo-zone
 * (both families), or 0.0.0.0/0 or ::/0 (anywhere, so dest too).  Other
 * CIDRs are not rendered: one covering external_ai need not cover the
 * Google VIPs. */
static bool end_is(const struct al_rule_end *e, enum dest dest, int family)
{
	if (!e->is_cidr)
		return e->zone == (dest == TO_INTERNET ? AL_ZONE_INTERNET : AL_ZONE_EXTERNAL_AI);
	return e->cidr.prefix == 0 && e->cidr.ip.family == family;
}

static int denies(struct gcp *w, struct al_err *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const struct al_config *cfg = w->cfg;
	size_t i, z, d, k;
	int rc;

	for (i = 0; i < cfg->nrules; i++) {
		const struct al_rule *r = &cfg->rules[i];

		if (r->allow)
			continue;
		for (z = 0; z < cfg->nzones; z++) {
			bool from = r->from.is_cidr ?
				    al_rules_cidr_covers_zone(cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate,
							      &r->from.cidr, (int)z) :
				    r->from.zone == (int)z;
			if (!from)
				continue;
			for (d = TO_INTERNET; d <= TO_AI; d++)
				for (k = 0; k < 2; k++)
					if (end_is(&r->to, (enum dest)d, families[k]) &&
					    (rc = deny(w, r, (int)z, (enum dest)d, families[k], err)) < 0)
						return rc;
		}
	}
	return 0;
}

/* The private zone googleapis.com: restricted.googleapis.com's four
 * addresses, and every other name a CNAME to it. */
static void dns(const struct gcp *w, cJSON *res)
{
	cJSON *zone, *r, *arr, *net;
	char url[160];
	size_t i, k;

	zone = cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "google_dns_managed_zone"), "googleapis");
	cJSON_AddStringToObject(zone, "name", "airlock-googleapis");
	cJSON_AddStringToObject(zone, "project", w->g->project);
	cJSON_AddStringToObject(zone, "dns_name", "googleapis.com.");
	cJSON_AddStringToObject(zone, "description",
				"airlock: every Google API name to restricted.googleapis.com (VPC Service Controls)");
	cJSON_AddStringToObject(zone, "visibility", "private");
	arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(zone, "private_visibility_config"), "networks");
	net = cJSON_CreateObject();
	snprintf(url, sizeof(url), "projects/%s/global/networks/%s", w->g->project, w->g->network);
	cJSON_AddStringToObject(net, "network_url", url);
	cJSON_AddItemToArray(arr, net);

	zone = cJSON_AddObjectToObject(res, "google_dns_record_set");
	for (i = 0; i < 2; i++) {
		r = cJSON_AddObjectToObject(zone, i ? "googleapis_cname" : "restricted_googleapis");
		cJSON_AddStringToObject(r, "project", w->g->project);
		cJSON_AddStringToObject(r, "managed_zone", "${google_dns_managed_zone.googleapis.name}");
		cJSON_AddStringToObject(r, "name", i ? "*.googleapis.com." : "restricted.googleapis.com.");
		cJSON_AddStringToObject(r, "type", i ? "CNAME" : "A");
		cJSON_AddNumberToObject(r, "ttl", 300);
		arr = cJSON_AddArrayToObject(r, "rrdatas");
		if (i)
			cJSON_AddItemToArray(arr, cJSON_CreateString("restricted.googleapis.com."));
		for (k = 0; !i && k < sizeof(restricted_ips) / sizeof(restricted_ips[0]); k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(restricted_ips[k]));
	}
}

int al_render_gcp(const struct al_config *cfg, struct al_render *out, struct al_err *err)
{
	struct gcp w;
	struct al_render_zone *zones = calloc(cfg->nzones + 1, sizeof(*zones));
	cJSON *doc = NULL, *res;
	size_t i, n;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	if (!zones)
		return -ENOMEM;
	if ((rc = facts(&w, err)) < 0)
		goto done;
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "//", NOTE);
	res = cJSON_AddObjectToObject(doc, "resource");
	w.firewalls = cJSON_AddObjectToObject(res, "google_compute_firewall");
	n = al_render_ai_zones(cfg, zones, cfg->nzones);
	for (i = 0; i < n && rc >= 0; i++)
		rc = allow_vip(&w, &zones[i], err);
	if (rc >= 0)
		rc = denies(&w, err);
	if (rc < 0)
		goto done;
	dns(&w, res);
	rc = al_render_add_json(out, "gcp.tf.json", doc);
	doc = NULL;
done:
	cJSON_Delete(doc);
	free(zones);
	free(w.internal);
	free(w.ai);
	free(w.ranges);
	return rc;
}
