/* airlock: the operator's command line.  Each subcommand is one function. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "airlock/config.h"
#include "cli.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("airlock %s\n", PACKAGE_VERSION);
	return 0;
}

/* Exit 0 when FILE is a valid config, 1 with the reason when not. */
static int cmd_check_config(int argc, char **argv)
{
	struct al_config *cfg;
	struct al_err err;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: airlock check-config FILE\nExit 0 when FILE is a valid config, 1 with what to fix.\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: airlock check-config FILE\n");
		return 2;
	}
	rc = al_config_load(argv[1], &cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "airlock: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 1;
	}
	printf("%s: ok (%zu zones, %zu upstreams, %zu listen addresses)\n", argv[1],
	       cfg->nzones, cfg->nupstreams, cfg->nlisten);
	al_config_unref(cfg);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "version", cmd_version, "print the version" },
	{ "check-config", cmd_check_config, "FILE: check a config file (exit 0 good, 1 bad)" },
	{ "log", cli_log, "list queries from the query log (--help for filters)" },
	{ "incidents", cli_incidents, "list what the detectors found" },
	{ "who-resolved", cli_who_resolved, "IP: which clients were given the address IP, for which names" },
	{ "seen", cli_seen, "import|export FILE: the newly-seen-domains baseline" },
	{ "leak-test", cli_leak_test, "the isolation checks from this host: TAP or --json, exit 0/1/2/3" },
	{ "flows", cli_flows, "[FILE...|-]: cloud flow logs against the names airlock answered" },
	{ "policy", cli_policy, "check|lint|render: the zone policy catalog (flows, mistakes, cloud config)" },
	{ "ctl", cli_ctl, "status|stats|reload|flush-cache|flush-log: ask the running airlockd" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: airlock COMMAND [ARGS]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "airlock: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
