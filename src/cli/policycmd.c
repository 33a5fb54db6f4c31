/* `airlock policy check`: is a flow allowed by the zone policy catalog
 * (the config's "rules"), which rules decide it, and its data
 * classification. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/rules.h"
#include "cli.h"

struct check_args {
	const char *config, *from, *to, *port, *proto;
	bool json;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock policy check -c CONFIG --from ZONE|IP --to ZONE|IP [--port N|LO-HI]\n"
		    "                            [--proto tcp|udp|https] [--json]\n"
		    "Whether the config's flow rules allow a connection.  Zones are the config's\n"
		    "plus \"internet\" (no zone) and \"external_ai\" (endpoints.private_cidrs); an\n"
		    "address maps to the zone of its longest prefix.  --proto defaults to tcp;\n"
		    "https is TCP, port 443 unless --port says otherwise.  A port range is allowed\n"
		    "only if every port in it is.  Exit 0 allowed, 1 denied, 2 bad input.\n");
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("policy check", usage, 2, what, arg);
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct check_args *a)
{
	static const char *const names[] = { "-c", "--from", "--to", "--port", "--proto" };
	int i;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char **dst[] = { &a->config, &a->from, &a->to, &a->port, &a->proto };

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]) && strcmp(argv[i], names[k]); k++)
			;
		if (k == sizeof(names) / sizeof(names[0]))
			return usage_error("unknown argument", argv[i]);
		if (i + 1 >= argc)
			return usage_error("a value is needed after", argv[i]);
		if (*dst[k])
			return usage_error("given twice:", argv[i]);
		*dst[k] = argv[++i];
	}
	if (!a->config)
		return usage_error("which config? give -c CONFIG", NULL);
	if (!a->from || !a->to)
		return usage_error("give --from and --to (a zone or an address)", NULL);
	return -1;
}

/* A zone name or an address into a flow end; false after printing why. */
static bool flow_end(const struct al_config *cfg, const char *text, const char *opt,
		     struct al_flow_end *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	if (al_ip_parse(text, &e->ip) == 0) {
		e->has_ip = true;
		e->zone = al_rules_zone_of(cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate, &e->ip);
		return true;
	}
	e->zone = al_rules_zone_find(cfg->zones, cfg->nzones, text);
	if (e->zone != AL_ZONE_UNKNOWN)
		return true;
	fprintf(stderr, "airlock policy check: %s \"%s\" is neither a zone of %s nor an IP address (zones:",
		opt, text, cfg->path ? cfg->path : "the config");
	for (i = 0; i < cfg->nzones; i++)
		fprintf(stderr, " %s", cfg->zones[i].name);
	fprintf(stderr, " internet external_ai)\n");
	return false;
}

static const char *end_text(const struct al_config *cfg, const struct al_flow_end *e, char *buf,
			    size_t len)
{
	const char *zone = al_rules_zone_name(cfg->zones, cfg->nzones, e->zone);
	char ip[AL_ADDRSTRLEN];

	if (!e->has_ip)
		return zone;
	snprintf(buf, len, "%s (%s)", al_ip_format(&e->ip, ip, sizeof(ip)), zone);
	return buf;
}

static cJSON *end_json(const struct al_config *cfg, const struct al_flow_end *e)
{
	cJSON *o = cJSON_CreateObject();
	char ip[AL_ADDRSTRLEN];

	cJSON_AddStringToObject(o, "zone", al_rules_zone_name(cfg->zones, cfg->nzones, e->zone));
	if (e->has_ip)
		cJSON_AddStringToObject(o, "address", al_ip_format(&e->ip, ip, sizeof(ip)));
	return o;
}

/* The verdict's reason in words. */
static void reason(const struct al_flow_verdict *v, char *buf, size_t len)
{
	size_t i, off = 0;

	if (!v->nrules) {
		snprintf(buf, len, "no rule allows it (default deny)");
		return;
	}
	for (i = 0; i < v->nrules && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s)", i ? ", " : "", v->rules[i]->id,
					v->rules[i]->name);
	if (off < len)
		snprintf(buf + off, len - off, v->allowed ? " allow%s it" : " den%s it",
			 v->allowed ? (v->nrules > 1 ? "" : "s") : (v->nrules > 1 ? "y" : "ies"));
}

static void print_verdict(const struct al_config *cfg, const struct al_flow *f, const char *port,
			  const struct al_flow_verdict *v, bool json)
{
	const char *proto = al_proto_name(f->proto);
	const char *cls = v->allowed && v->nrules ? v->rules[0]->classification : "";
	char why[1024], a[96], b[96];
	size_t i;

	reason(v, why, sizeof(why));
	if (!json) {
		printf("%s: %s -> %s %s/%s: %s%s%s\n", v->allowed ? "allowed" : "denied",
		       end_text(cfg, &f->from, a, sizeof(a)), end_text(cfg, &f->to, b, sizeof(b)), proto, port,
		       why, *cls ? "; classification " : "", cls);
		return;
	}
	cJSON *o = cJSON_CreateObject(), *rules = cJSON_CreateArray();
	char *text;

	cJSON_AddBoolToObject(o, "allowed", v->allowed);
	cJSON_AddItemToObject(o, "from", end_json(cfg, &f->from));
	cJSON_AddItemToObject(o, "to", end_json(cfg, &f->to));
	cJSON_AddStringToObject(o, "proto", proto);
	cJSON_AddStringToObject(o, "port", port);
	cJSON_AddStringToObject(o, "reason", why);
	for (i = 0; i < v->nrules; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "id", v->rules[i]->id);
		cJSON_AddStringToObject(r, "name", v->rules[i]->name);
		cJSON_AddStringToObject(r, "action", v->rules[i]->allow ? "allow" : "deny");
		cJSON_AddItemToArray(rules, r);
	}
	cJSON_AddItemToObject(o, "rules", rules);
	cJSON_AddStringToObject(o, "classification", cls);
	if ((text = cJSON_PrintUnformatted(o)) != NULL)
		printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

static int check(int argc, char **argv)
{
	struct check_args a;
	struct al_config *cfg;
	struct al_flow f;
	struct al_flow_verdict v, first;
	struct al_portrange range = { 443, 443 };
	struct al_err err;
	char port[16];
	unsigned p;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	memset(&f, 0, sizeof(f));
	if (!a.proto || !strcmp(a.proto, "tcp") || !strcmp(a.proto, "https")) {
		f.proto = AL_PROTO_TCP;
	} else if (!strcmp(a.proto, "udp")) {
		f.proto = AL_PROTO_UDP;
	} else {
		fprintf(stderr, "airlock policy check: --proto \"%s\" is not a protocol (expected tcp, udp or https)\n", a.proto);
		return 2;
	}
	if (!a.port && !(a.proto && !strcmp(a.proto, "https"))) {
		fprintf(stderr, "airlock policy check: which port? give --port (only https has a default, 443)\n");
		return 2;
	}
	if (a.port && al_port_parse(a.port, &range, &err) < 0) {
		fprintf(stderr, "airlock policy check: --port %s\n", err.msg);
		return 2;
	}
	if ((rc = al_config_load(a.config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock policy check: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 2;
	}
	if (!flow_end(cfg, a.from, "--from", &f.from) || !flow_end(cfg, a.to, "--to", &f.to)) {
		al_config_unref(cfg);
		return 2;
	}
	/* A range: the first port that is denied decides, else the first. */
	for (p = range.lo; p <= range.hi; p++) {
		f.port = (uint16_t)p;
		al_rules_check(cfg->rules, cfg->nrules, cfg->zones, cfg->nzones, cfg->private_cidrs,
			       cfg->nprivate, &f, &v);
		if (p == range.lo)
			first = v;
		if (!v.allowed)
			break;
	}
	if (p > range.hi) {
		v = first;
		f.port = range.lo;
	}
	if (range.lo == range.hi || !v.allowed)
		snprintf(port, sizeof(port), "%u", f.port);
	else
		snprintf(port, sizeof(port), "%u-%u", range.lo, range.hi);
	print_verdict(cfg, &f, port, &v, a.json);
	al_config_unref(cfg);
	return v.allowed ? 0 : 1;
}

int cli_policy(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "lint"))
		return cli_policy_lint(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "render"))
		return cli_policy_render(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "airlock policy: expected check, lint or render\n");
	usage(stderr);
	return 2;
}
