/* `airlock leak-test`: the isolation checks of leaktest.h from this host,
 * printed as TAP version 14 (or --json), with the exit codes monitoring
 * plugins expect: 0 all passed, 1 warnings only, 2 a leak or a failed
 * check, 3 could not test. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/leaktest.h"
#include "cli.h"

#define EXIT_COULD_NOT 3

/* Well-known public resolvers: none of them may answer from a zone. */
static const char *const default_publics[] = {
	"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
	"208.67.222.222", "208.67.220.220", "2001:4860:4860::8888", "2606:4700:4700::1111",
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock leak-test -c CONFIG [--server ADDR[:PORT]]... [--source ADDR] [--name NAME]...\n"
		    "                         [--internet-name NAME] [--public ADDR[:PORT]]... [--no-public]\n"
		    "                         [--provider ADDR[:PORT]] [--failover] [--log DB] [--timeout MS]\n"
		    "                         [--resolv-conf PATH] [--json]\n"
		    "Proves from this host (or as --source, an address of a zone) that AI names resolve\n"
		    "only privately, that what the zone may not resolve is refused, that no public\n"
		    "resolver answers, and that tunnels and never-seen domains are blocked.  Resolvers:\n"
		    "--server, else /etc/resolv.conf.  Names: --name, else bedrock-runtime in\n"
		    "network.aws.region (us-east-1) and network.azure.openai_account's name.  Public\n"
		    "resolvers: --public, else well-known ones (8.8.8.8, 1.1.1.1, 9.9.9.9, ...).\n"
		    "Output: TAP version 14, or --json.  Exit 0 all passed, 1 warnings only, 2 a leak\n"
		    "or a failed check, 3 could not test.\n");
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("leak-test", usage, EXIT_COULD_NOT, what, arg);
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" into sa (port def when none);
 * *port_given says whether one was. */
static int endpoint_parse(const char *text, uint16_t def, struct sockaddr_storage *sa, bool *port_given)
{
	char host[128];
	const char *colon = strrchr(text, ':');
	struct al_ip ip;
	socklen_t len;
	long port = def;
	char *end;

	*port_given = false;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (size_t)(close - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return -EINVAL;
	} else if (colon && strchr(text, ':') == colon) { /* one colon: IPv4 and a port */
		if ((size_t)(colon - text) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
	} else {
		snprintf(host, sizeof(host), "%s", text);
		colon = NULL;
	}
	if (colon) {
		port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || port < 1 || port > 65535)
			return -EINVAL;
		*port_given = true;
	}
	if (al_ip_parse(host, &ip) < 0)
		return -EINVAL;
	return al_sockaddr_make(&ip, (uint16_t)port, sa, &len);
}

struct args {
	const char *config;
	bool json, no_public;
	struct al_leaktest_opts o;
	char names[2][300];
};

static int parse(int argc, char **argv, struct args *a)
{
	static const char *const takes[] = { "-c", "--server", "--source", "--name", "--internet-name", "--public",
					     "--provider", "--log", "--timeout", "--resolv-conf", NULL };
	bool given;
	int i, k;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(opt, "--json") || !strcmp(opt, "--no-public") || !strcmp(opt, "--failover")) {
			a->json |= opt[2] == 'j';
			a->no_public |= opt[2] == 'n';
			a->o.failover |= opt[2] == 'f';
			continue;
		}
		for (k = 0; takes[k] && strcmp(takes[k], opt); k++)
			;
		if (!takes[k])
			return usage_error("unknown argument", opt);
		if (i + 1 >= argc)
			return usage_error("a value is needed after", opt);
		val = argv[++i];
		if (!strcmp(opt, "-c")) {
			a->config = val;
		} else if (!strcmp(opt, "--server")) {
			if (a->o.nservers == AL_LEAKTEST_MAX_SERVERS ||
			    endpoint_parse(val, 53, &a->o.servers[a->o.nservers++], &given) < 0)
				return usage_error("--server expects ADDR or ADDR:PORT ([V6]:PORT), at most 8, not", val);
		} else if (!strcmp(opt, "--source")) {
			if (al_ip_parse(val, &a->o.source) < 0)
				return usage_error("--source expects an IP address, not", val);
			a->o.has_source = true;
		} else if (!strcmp(opt, "--name")) {
			if (a->o.nnames == AL_LEAKTEST_MAX_NAMES)
				return usage_error("at most 16 --name, not one more:", val);
			a->o.names[a->o.nnames++] = val;
		} else if (!strcmp(opt, "--internet-name")) {
			a->o.internet_name = val;
		} else if (!strcmp(opt, "--public")) {
			if (a->o.npublics == AL_LEAKTEST_MAX_PUBLIC ||
			    endpoint_parse(val, 53, &a->o.publics[a->o.npublics], &a->o.public_port[a->o.npublics]) < 0)
				return usage_error("--public expects ADDR or ADDR:PORT, at most 16, not", val);
			a->o.npublics++;
		} else if (!strcmp(opt, "--provider")) {
			if (endpoint_parse(val, 53, &a->o.provider, &given) < 0)
				return usage_error("--provider expects ADDR or ADDR:PORT, not", val);
			a->o.has_provider = true;
		} else if (!strcmp(opt, "--log")) {
			a->o.log_db = val;
		} else if (!strcmp(opt, "--timeout")) {
			char *end;
			long ms = strtol(val, &end, 10);
			if (end == val || *end || ms < 10 || ms > 60000)
				return usage_error("--timeout expects milliseconds from 10 to 60000, not", val);
			a->o.timeout_ms = (unsigned)ms;
		} else {
			a->o.resolv_conf = val;
		}
	}
	if (!a->config)
		return usage_error("which config? give -c CONFIG (zones, catalog, views)", NULL);
	if (a->no_public && a->o.npublics)
		return usage_error("give --public or --no-public, not both", NULL);
	return -1;
}

/* The default probes and public resolvers, from the config. */
static void defaults(struct args *a, const struct al_config *cfg)
{
	size_t i;
	bool given;

	if (!a->o.nnames) {
		snprintf(a->names[0], sizeof(a->names[0]), "bedrock-runtime.%s.amazonaws.com",
			 cfg->network.aws.region ? cfg->network.aws.region : "us-east-1");
		a->o.names[a->o.nnames++] = a->names[0];
		if (cfg->network.azure.openai_account) {
			snprintf(a->names[1], sizeof(a->names[1]), "%s.openai.azure.com", cfg->network.azure.openai_account);
			a->o.names[a->o.nnames++] = a->names[1];
		}
	}
	if (!a->o.npublics && !a->no_public)
		for (i = 0; i < sizeof(default_publics) / sizeof(default_publics[0]); i++)
			if (endpoint_parse(default_publics[i], 53, &a->o.publics[a->o.npublics], &given) == 0)
				a->o.public_port[a->o.npublics++] = false;
}

/* A YAML double-quoted scalar. */
static void yaml(const char *key, const char *s)
{
	printf("  %s: \"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	printf("\"\n");
}

static int print_tap(const struct al_leaktest *t, const struct al_check *v, size_t n, const char *config)
{
	size_t i;
	unsigned counts[4] = { 0, 0, 0, 0 };

	printf("TAP version 14\n# airlock leak-test: zone %s, config %s\n1..%zu\n", al_leaktest_zone(t), config, n);
	for (i = 0; i < n; i++) {
		const struct al_check *c = &v[i];

		counts[c->status]++;
		printf("%s %zu - %s: %s", c->status == AL_CHECK_PASS || c->status == AL_CHECK_SKIP ? "ok" : "not ok",
		       i + 1, c->kind, c->name);
		if (c->status == AL_CHECK_SKIP)
			printf(" # SKIP %s", c->reason);
		else if (c->status == AL_CHECK_WARN)
			printf(" # TODO warning");
		printf("\n");
		if (c->status == AL_CHECK_FAIL || c->status == AL_CHECK_WARN) {
			printf("  ---\n");
			yaml("check", c->kind);
			yaml("severity", c->status == AL_CHECK_FAIL ? "fail" : "warning");
			yaml("answers", c->answers);
			yaml("expected", c->expected);
			yaml("reason", c->reason);
			printf("  ms: %lld\n  ...\n", (long long)c->ms);
		}
	}
	printf("# %u passed, %u failed, %u skipped, %u warnings\n", counts[AL_CHECK_PASS], counts[AL_CHECK_FAIL],
	       counts[AL_CHECK_SKIP], counts[AL_CHECK_WARN]);
	return counts[AL_CHECK_FAIL] ? 2 : counts[AL_CHECK_WARN] ? 1 : 0;
}

static int print_json(const struct al_leaktest *t, const struct al_check *v, size_t n, int status)
{
	cJSON *o = cJSON_CreateObject(), *checks = cJSON_CreateArray();
	unsigned counts[4] = { 0, 0, 0, 0 };
	char *text;
	size_t i;

	cJSON_AddStringToObject(o, "zone", al_leaktest_zone(t));
	for (i = 0; i < n; i++) {
		cJSON *c = cJSON_CreateObject();
		counts[v[i].status]++;
		cJSON_AddStringToObject(c, "check", v[i].kind);
		cJSON_AddStringToObject(c, "name", v[i].name);
		cJSON_AddStringToObject(c, "status", al_check_status_name(v[i].status));
		cJSON_AddStringToObject(c, "answers", v[i].answers);
		cJSON_AddStringToObject(c, "expected", v[i].expected);
		cJSON_AddStringToObject(c, "reason", v[i].reason);
		cJSON_AddNumberToObject(c, "ms", (double)v[i].ms);
		cJSON_AddItemToArray(checks, c);
	}
	cJSON_AddItemToObject(o, "checks", checks);
	cJSON_AddNumberToObject(o, "passed", counts[AL_CHECK_PASS]);
	cJSON_AddNumberToObject(o, "failed", counts[AL_CHECK_FAIL]);
	cJSON_AddNumberToObject(o, "skipped", counts[AL_CHECK_SKIP]);
	cJSON_AddNumberToObject(o, "warnings", counts[AL_CHECK_WARN]);
	cJSON_AddNumberToObject(o, "exit", status);
	if ((text = cJSON_Print(o)) != NULL)
		printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
	return status;
}

int cli_leak_test(int argc, char **argv)
{
	static struct args a; /* large: the address lists */
	struct al_config *cfg;
	struct al_leaktest *t;
	const struct al_check *v;
	struct al_err err;
	size_t n, i;
	unsigned fails = 0, warns = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	a.o.timeout_ms = 2000;
	a.o.internet_name = "example.com";
	a.o.resolv_conf = "/etc/resolv.conf";
	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	if ((rc = al_config_load(a.config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock leak-test: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return EXIT_COULD_NOT;
	}
	defaults(&a, cfg);
	a.o.cfg = cfg;
	a.o.seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
	if ((rc = al_leaktest_run(&a.o, &t, &err)) < 0) {
		fprintf(stderr, "airlock leak-test: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		al_config_unref(cfg);
		return EXIT_COULD_NOT;
	}
	v = al_leaktest_checks(t, &n);
	for (i = 0; i < n; i++) {
		fails += v[i].status == AL_CHECK_FAIL;
		warns += v[i].status == AL_CHECK_WARN;
	}
	rc = a.json ? print_json(t, v, n, fails ? 2 : warns ? 1 : 0) : print_tap(t, v, n, a.config);
	al_leaktest_free(t);
	al_config_unref(cfg);
	return rc;
}
