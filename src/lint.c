/* `airlock policy lint`: see lint.h.  Each check walks the catalog and
 * reports through emit(); nothing here prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "airlock/lint.h"
#include "airlock/rules.h"

const char *al_lint_severity_name(enum al_lint_severity s)
{
	static const char *const names[] = { "warning", "high", "critical" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

struct linter {
	const struct al_config *cfg;
	int (*fn)(const struct al_lint_finding *f, void *arg);
	void *arg;
	int count, rc;
};

static void emit(struct linter *l, enum al_lint_severity sev, const char *check, const char *rule,
		 const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void emit(struct linter *l, enum al_lint_severity sev, const char *check, const char *rule,
		 const char *fix, const char *fmt, ...)
{
	struct al_lint_finding f;
	va_list ap;
	int rc;

	if (l->rc < 0)
		return;
	f.severity = sev;
	f.check = check;
	f.rule = rule ? rule : "";
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	snprintf(f.fix, sizeof(f.fix), "%s", fix);
	l->count++;
	if ((rc = l->fn(&f, l->arg)) < 0)
		l->rc = rc;
}

static bool overlap(const struct al_cidr *a, const struct al_cidr *b)
{
	return al_cidr_covers(a, b) || al_cidr_covers(b, a);
}

/* The zones (and external_ai) a CIDR shares addresses with, as a list. */
static int zones_touched(const struct al_config *cfg, const struct al_cidr *c, char *list, size_t len)
{
	size_t i, j, off = 0;
	int n = 0;

	list[0] = '\0';
	for (i = 0; i < cfg->nzones; i++)
		for (j = 0; j < cfg->zones[i].ncidrs; j++)
			if (overlap(c, &cfg->zones[i].cidrs[j])) {
				off += (size_t)snprintf(list + off, off < len ? len - off : 0, "%s%s", n ? ", " : "",
							cfg->zones[i].name);
				n++;
				break;
			}
	return n;
}

/* 1. A rule end CIDR that spans several zones: "10.0.0.0/16 to the endpoint". */
static void check_cidr_spans(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	char zones[512];
	size_t i, k;

	for (i = 0; i < cfg->nrules; i++) {
		const struct al_rule *r = &cfg->rules[i];
		const struct al_rule_end *ends[2] = { &r->from, &r->to };

		for (k = 0; k < 2; k++) {
			int n;
			if (!ends[k]->is_cidr || ends[k]->cidr.prefix == 0)
				continue; /* 0.0.0.0/0 means "anywhere", on purpose */
			if ((n = zones_touched(cfg, &ends[k]->cidr, zones, sizeof(zones))) < 2)
				continue;
			emit(l, AL_LINT_HIGH, "cidr-spans-zones", r->id,
			     "name the one zone the flow belongs to instead of the CIDR, or narrow the CIDR to that zone's",
			     "%s: %s %s spans %d zones (%s): the rule reaches every host of all of them",
			     r->id, k ? "to" : "from", ends[k]->text, n, zones);
		}
	}
}

/* The verdict for zone -> zone tcp/port. */
static void verdict(const struct al_config *cfg, int from, int to, enum al_proto proto,
		    uint16_t port, struct al_flow_verdict *v)
{
	struct al_flow f;

	memset(&f, 0, sizeof(f));
	f.from.zone = from;
	f.to.zone = to;
	f.proto = proto;
	f.port = port;
	al_rules_check(cfg->rules, cfg->nrules, cfg->zones, cfg->nzones, cfg->private_cidrs,
		       cfg->nprivate, &f, v);
}

/* 2. No explicit deny from application to external_ai. */
static void check_ai_deny(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	int app = al_rules_zone_find(cfg->zones, cfg->nzones, "application");
	struct al_flow_verdict v;

	if (app < 0)
		return;
	verdict(cfg, app, AL_ZONE_EXTERNAL_AI, AL_PROTO_TCP, 443, &v);
	if (!v.allowed && v.nrules)
		return;
	emit(l, AL_LINT_HIGH, "no-ai-deny", v.allowed ? v.rules[0]->id : NULL,
	     "add {\"id\": \"NET-010\", \"from\": \"application\", \"to\": \"external_ai\", \"proto\": \"any\", \"action\": \"deny\"}",
	     v.allowed ? "application may reach external_ai on 443 (%s allows it): model calls bypass the inference proxy"
		       : "no rule denies application -> external_ai%s: only the default deny stands between applications and the model APIs",
	     v.allowed ? v.rules[0]->id : "");
}

/* An end that reaches the internet: the internet zone, or a CIDR that is
 * not inside the zones and the private endpoints. */
static bool reaches_internet(const struct al_config *cfg, const struct al_rule_end *e)
{
	size_t i, j;

	if (!e->is_cidr)
		return e->zone == AL_ZONE_INTERNET;
	for (i = 0; i < cfg->nzones; i++)
		for (j = 0; j < cfg->zones[i].ncidrs; j++)
			if (al_cidr_covers(&cfg->zones[i].cidrs[j], &e->cidr))
				return false;
	for (j = 0; j < cfg->nprivate; j++)
		if (al_cidr_covers(&cfg->private_cidrs[j], &e->cidr))
			return false;
	return true;
}

/* Whether a rule end holds (some of) zone z. */
static bool end_touches(const struct al_config *cfg, const struct al_rule_end *e, int z)
{
	size_t j;

	if (!e->is_cidr)
		return e->zone == z;
	if (z < 0)
		return z == AL_ZONE_INTERNET && reaches_internet(cfg, e);
	for (j = 0; j < cfg->zones[z].ncidrs; j++)
		if (overlap(&e->cidr, &cfg->zones[z].cidrs[j]))
			return true;
	return false;
}

/* 3. An allow from the data zone or the sandbox to the internet. */
static void check_egress(struct linter *l)
{
	static const char *const closed[] = { "data", "sandbox" };
	const struct al_config *cfg = l->cfg;
	size_t i, k;

	for (i = 0; i < cfg->nrules; i++) {
		const struct al_rule *r = &cfg->rules[i];

		if (!r->allow || !reaches_internet(cfg, &r->to))
			continue;
		for (k = 0; k < 2; k++) {
			int z = al_rules_zone_find(cfg->zones, cfg->nzones, closed[k]);
			if (z >= 0 && end_touches(cfg, &r->from, z))
				emit(l, AL_LINT_CRITICAL, "closed-zone-egress", r->id,
				     "remove the rule; reach what it was for through a private endpoint",
				     "%s allows %s -> %s: the %s zone must not reach the internet",
				     r->id, closed[k], r->to.text, closed[k]);
		}
	}
}

/* 4. The management zone reachable from the application zone. */
static void check_management(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	int app = al_rules_zone_find(cfg->zones, cfg->nzones, "application");
	int mgmt = al_rules_zone_find(cfg->zones, cfg->nzones, "management");
	size_t i;

	if (app < 0 || mgmt < 0)
		return;
	for (i = 0; i < cfg->nrules; i++) {
		const struct al_rule *r = &cfg->rules[i];
		if (r->allow && end_touches(cfg, &r->from, app) && end_touches(cfg, &r->to, mgmt))
			emit(l, AL_LINT_HIGH, "management-reachable", r->id,
			     "remove the rule: administer from the management zone outwards, never the reverse",
			     "%s allows application -> management (%s): a compromised application reaches the control plane",
			     r->id, al_proto_name(r->proto));
	}
}

/* 5. Rules naming zones the config does not have. */
static void check_unknown(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	char fix[512];
	size_t i, k, off;

	off = (size_t)snprintf(fix, sizeof(fix), "use one of:");
	for (k = 0; k < cfg->nzones && off < sizeof(fix); k++)
		off += (size_t)snprintf(fix + off, sizeof(fix) - off, " %s", cfg->zones[k].name);
	if (off < sizeof(fix))
		snprintf(fix + off, sizeof(fix) - off, " internet external_ai, or a CIDR");
	for (i = 0; i < cfg->nrules; i++) {
		const struct al_rule *r = &cfg->rules[i];
		const struct al_rule_end *ends[2] = { &r->from, &r->to };

		for (k = 0; k < 2; k++)
			if (!ends[k]->is_cidr && ends[k]->zone == AL_ZONE_UNKNOWN)
				emit(l, AL_LINT_HIGH, "unknown-zone", r->id, fix,
				     "%s: %s \"%s\" is no zone: the rule never matches", r->id, k ? "to" : "from",
				     ends[k]->text);
	}
}

/* Whether end a holds every address end b can stand for. */
static bool end_covers(const struct al_config *cfg, const struct al_rule_end *a, const struct al_rule_end *b)
{
	size_t j;

	if (!a->is_cidr && !b->is_cidr)
		return a->zone == b->zone && a->zone != AL_ZONE_UNKNOWN;
	if (a->is_cidr && b->is_cidr)
		return al_cidr_covers(&a->cidr, &b->cidr);
	if (a->is_cidr)
		return al_rules_cidr_covers_zone(cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate,
						 &a->cidr, b->zone);
	if (a->zone < 0)
		return false;
	for (j = 0; j < cfg->zones[a->zone].ncidrs; j++)
		if (al_cidr_covers(&cfg->zones[a->zone].cidrs[j], &b->cidr))
			return true;
	return false;
}

/* The ports a rule applies to, each range inside one of a's. */
static bool ports_cover(const struct al_rule *a, const struct al_rule *b)
{
	static const struct al_portrange all = { 0, 65535 }, https = { 443, 443 };
	const struct al_portrange *av = a->nports ? a->ports : a->proto == AL_PROTO_HTTPS ? &https : &all;
	const struct al_portrange *bv = b->nports ? b->ports : b->proto == AL_PROTO_HTTPS ? &https : &all;
	size_t an = a->nports ? a->nports : 1, bn = b->nports ? b->nports : 1, i, j;

	for (j = 0; j < bn; j++) {
		for (i = 0; i < an && !(av[i].lo <= bv[j].lo && bv[j].hi <= av[i].hi); i++)
			;
		if (i == an)
			return false;
	}
	return true;
}

static bool proto_covers(enum al_proto a, enum al_proto b)
{
	return a == AL_PROTO_ANY || a == b || (a == AL_PROTO_TCP && b == AL_PROTO_HTTPS);
}

/* 6. Rules that can never decide anything: an allow inside a deny, or a
 * rule inside an earlier one with the same action. */
static void check_shadowed(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	size_t i, j;

	for (j = 0; j < cfg->nrules; j++) {
		const struct al_rule *b = &cfg->rules[j];

		for (i = 0; i < cfg->nrules; i++) {
			const struct al_rule *a = &cfg->rules[i];

			if (i == j || !proto_covers(a->proto, b->proto) || !ports_cover(a, b) ||
			    !end_covers(cfg, &a->from, &b->from) || !end_covers(cfg, &a->to, &b->to))
				continue;
			if (!a->allow && b->allow) {
				emit(l, AL_LINT_HIGH, "shadowed", b->id,
				     "narrow the deny or remove the allow; a deny always wins",
				     "%s never allows anything: %s denies every flow it would allow", b->id, a->id);
				break;
			}
			if (a->allow == b->allow && i < j) {
				emit(l, AL_LINT_WARNING, "shadowed", b->id, "remove it, or make it narrower than the earlier rule",
				     "%s is redundant: the earlier %s already %s every flow it matches", b->id, a->id,
				     a->allow ? "allows" : "denies");
				break;
			}
		}
	}
}

/* 7. Zones whose CIDRs overlap: an address then belongs to the longer prefix only. */
static void check_zone_overlap(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	char a[64], b[64];
	size_t i, j, m, n;

	for (i = 0; i < cfg->nzones; i++)
		for (j = i + 1; j < cfg->nzones; j++)
			for (m = 0; m < cfg->zones[i].ncidrs; m++)
				for (n = 0; n < cfg->zones[j].ncidrs; n++) {
					const struct al_cidr *x = &cfg->zones[i].cidrs[m], *y = &cfg->zones[j].cidrs[n];
					if (!overlap(x, y))
						continue;
					al_ip_format(&x->ip, a, sizeof(a));
					al_ip_format(&y->ip, b, sizeof(b));
					emit(l, AL_LINT_WARNING, "zone-overlap", NULL,
					     "give each subnet to one zone",
					     "zones %s (%s/%d) and %s (%s/%d) overlap: the shared addresses belong to the longer prefix only, and rules on the other zone miss them",
					     cfg->zones[i].name, a, x->prefix, cfg->zones[j].name, b, y->prefix);
				}
}

/* 8. A zone's DNS view against its flow rules, for the AI endpoints and
 * for internet names. */
static void check_view_vs_rules(struct linter *l)
{
	const struct al_config *cfg = l->cfg;
	struct al_flow_verdict v;
	size_t i;

	for (i = 0; i < cfg->nzones; i++) {
		const struct al_zone *z = &cfg->zones[i];
		bool dns_ai = z->view.ai == AL_AI_PRIVATE;
		bool dns_net = z->view.names == AL_NAMES_INTERNET;

		verdict(cfg, (int)i, AL_ZONE_EXTERNAL_AI, AL_PROTO_TCP, 443, &v);
		if (dns_ai && !v.allowed)
			emit(l, AL_LINT_WARNING, "view-rules-mismatch", NULL,
			     "allow the zone to external_ai on 443, or set its view's \"ai\" to \"deny\"",
			     "zone %s resolves AI endpoints to their private addresses, but no rule lets it connect to external_ai on 443",
			     z->name);
		else if (!dns_ai && v.allowed)
			emit(l, AL_LINT_WARNING, "view-rules-mismatch", v.rules[0]->id,
			     "deny the flow, or set the zone's view's \"ai\" to \"private\"",
			     "%s lets zone %s connect to external_ai, but its DNS view does not resolve AI endpoints",
			     v.rules[0]->id, z->name);
		verdict(cfg, (int)i, AL_ZONE_INTERNET, AL_PROTO_TCP, 443, &v);
		if (dns_net && !v.allowed)
			emit(l, AL_LINT_WARNING, "view-rules-mismatch", v.nrules ? v.rules[0]->id : NULL,
			     "set the zone's view's \"names\" to \"internal-only\" or \"none\", or allow the flow",
			     "zone %s resolves internet names, but %s it from the internet on 443: DNS hands out addresses the zone may not use",
			     z->name, v.nrules ? "a rule denies" : "the default deny keeps");
		else if (!dns_net && v.allowed)
			emit(l, AL_LINT_WARNING, "view-rules-mismatch", v.rules[0]->id,
			     "deny the flow, or set the zone's view's \"names\" to \"internet\"",
			     "%s lets zone %s reach the internet, but its DNS view resolves no internet names",
			     v.rules[0]->id, z->name);
	}
}

/* 9. Idle timeouts that cut streaming completions. */
static void check_idle(struct linter *l)
{
	const struct al_network *n = &l->cfg->network;
	const struct al_middlebox *sets[2] = { n->load_balancers, n->nat_gateways };
	const size_t counts[2] = { n->nload_balancers, n->nnat_gateways };
	const char *kinds[2] = { "load balancer", "NAT gateway" };
	size_t k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; i < counts[k]; i++)
			if (sets[k][i].idle_timeout_s < AL_LINT_STREAM_IDLE_S)
				emit(l, AL_LINT_WARNING, "idle-timeout", NULL,
				     "raise the idle timeout to at least 300 s (an ALB's idle_timeout.timeout_seconds; Azure Load Balancer idleTimeoutInMinutes >= 5)",
				     "%s %s%s%s has an idle timeout of %u s: streaming completions that pause longer are cut (need >= %d s)",
				     kinds[k], sets[k][i].name, sets[k][i].zone[0] ? " in zone " : "", sets[k][i].zone,
				     sets[k][i].idle_timeout_s, AL_LINT_STREAM_IDLE_S);
}

int al_lint(const struct al_config *cfg,
	    int (*fn)(const struct al_lint_finding *f, void *arg), void *arg)
{
	struct linter l = { cfg, fn, arg, 0, 0 };

	check_cidr_spans(&l);
	check_ai_deny(&l);
	check_egress(&l);
	check_management(&l);
	check_unknown(&l);
	check_shadowed(&l);
	check_zone_overlap(&l);
	check_view_vs_rules(&l);
	check_idle(&l);
	return l.rc < 0 ? l.rc : l.count;
}
