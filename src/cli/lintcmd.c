/* `airlock policy lint`: prints each finding of al_lint with its fix;
 * exit 0 clean, 1 findings, 2 bad input. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/lint.h"
#include "cli.h"

struct lint_out {
	bool json;
	unsigned counts[3];
};

static int print_finding(const struct al_lint_finding *f, void *arg)
{
	struct lint_out *o = arg;
	char *text;

	o->counts[f->severity]++;
	if (!o->json) {
		printf("%-8s %-20s %s\n         fix: %s\n", al_lint_severity_name(f->severity), f->check,
		       f->message, f->fix);
		return 0;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "severity", al_lint_severity_name(f->severity));
	cJSON_AddStringToObject(j, "check", f->check);
	cJSON_AddStringToObject(j, "rule", f->rule);
	cJSON_AddStringToObject(j, "message", f->message);
	cJSON_AddStringToObject(j, "fix", f->fix);
	if ((text = cJSON_PrintUnformatted(j)) != NULL)
		printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(j);
	return 0;
}

int cli_policy_lint(int argc, char **argv)
{
	struct lint_out o = { false, { 0, 0, 0 } };
	const char *config = NULL;
	struct al_config *cfg;
	struct al_err err;
	int i, n;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc && !config) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: airlock policy lint -c CONFIG [--json]\n"
			       "The classic mistakes of the zone policy catalog, each with its fix.\n"
			       "Exit 0 clean, 1 findings, 2 bad input.\n");
			return 0;
		} else {
			fprintf(stderr, "airlock policy lint: unexpected \"%s\"\nusage: airlock policy lint -c CONFIG [--json]\n",
				argv[i]);
			return 2;
		}
	}
	if (!config) {
		fprintf(stderr, "airlock policy lint: which config? give -c CONFIG\n");
		return 2;
	}
	if ((n = al_config_load(config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock policy lint: %s\n", n == -ENOMEM ? "out of memory" : err.msg);
		return 2;
	}
	n = al_lint(cfg, print_finding, &o);
	if (!o.json)
		printf("%s: %d finding%s (%u critical, %u high, %u warning)\n", config, n, n == 1 ? "" : "s",
		       o.counts[AL_LINT_CRITICAL], o.counts[AL_LINT_HIGH], o.counts[AL_LINT_WARNING]);
	al_config_unref(cfg);
	return n > 0 ? 1 : 0;
}
