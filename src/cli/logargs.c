/* The arguments the query-log commands share: which database (--db or a
 * config's log.path), the filters (validated by logread), the output
 * format, and each command's --help. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/config.h"
#include "cli.h"

static const struct {
	const char *kind_synopsis, *about;
} about[] = {
	[AL_LOGREAD_QUERIES] = { "",
		"List the queries in the query log, with how they were answered and the\n"
		"A/AAAA/CNAME records given." },
	[AL_LOGREAD_INCIDENTS] = { "",
		"List what the detectors found (the incidents table of the query log)." },
	[AL_LOGREAD_ANSWERS] = { " IP",
		"List every A/AAAA answer that gave the address IP: when, to which client,\n"
		"for which name (qname: what the client asked; name: the record's owner,\n"
		"different after a CNAME)." },
};

static const struct {
	const char *opt, *arg, *help;
} filter_help[] = {
	{ "since", "T", "from T on (inclusive)" },
	{ "until", "T", "before T (exclusive)" },
	{ "at", "T", "only answers given at or before T whose TTL still ran at T" },
	{ "zone", "NAME", "the client's network zone" },
	{ "client", "CIDR|IP", "the client's address, or a prefix: 10.0.2.0/24" },
	{ "name", "SUFFIX", "that name and every name below it: example.com" },
	{ "type", "TYPE", "A, AAAA, TXT, ..., or a number 0-65535" },
	{ "action", "ACTION", "cache, upstream, local, blocked, refused or failed" },
	{ "severity", "S", "info, warning, high or critical" },
	{ "kind", "K", "incidents of that kind: ai_name_denied, ..." },
	{ "limit", "N", "the N most recent rows, oldest first (default 100; 0: all)" },
};

static void usage(FILE *fp, const char *cmd, enum al_logread_kind kind)
{
	size_t i;
	char opt[32];

	fprintf(fp, "usage: airlock %s%s (--db PATH | -c CONFIG) [FILTERS] [--json | --csv]\n%s\n\n",
		cmd, about[kind].kind_synopsis, about[kind].about);
	fprintf(fp, "  %-20s %s\n", "--db PATH", "the query log file, opened read-only");
	fprintf(fp, "  %-20s %s\n", "-c CONFIG", "the query log named by log.path in an airlockd config");
	for (i = 0; i < sizeof(filter_help) / sizeof(filter_help[0]); i++) {
		if (!al_logfilter_takes(kind, filter_help[i].opt))
			continue;
		snprintf(opt, sizeof(opt), "--%s %s", filter_help[i].opt, filter_help[i].arg);
		fprintf(fp, "  %-20s %s\n", opt, filter_help[i].help);
	}
	fprintf(fp, "  %-20s %s\n", "--json", "one JSON object per line");
	fprintf(fp, "  %-20s %s\n", "--csv", "CSV (RFC 4180) with a header row");
	fprintf(fp, "\nT: 30s, 15m, 1h, 7d, 2w (that long ago), or a UTC time: 2026-11-24,\n"
		    "2026-11-24T10:00Z, 2026-11-24T10:00:00.250Z, 2026-11-24T11:00:00+01:00.\n"
		    "Times are shown in UTC.  With no matching row the table and CSV have only\n"
		    "their header and JSON is empty.\n"
		    "Exit status: 0 success (also with no rows), 1 database error, 2 usage or\n"
		    "invalid filter.\n");
}

/* The message, then the usage; returns -EINVAL. */
static int usage_error(const struct cli_logargs *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct cli_logargs *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "airlock %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	usage(stderr, a->cmd, a->filter.kind);
	return -EINVAL;
}

static int set_format(struct cli_logargs *a, enum cli_format fmt)
{
	if (a->fmt_given && a->fmt != fmt) {
		fprintf(stderr, "airlock %s: --json and --csv exclude each other\n", a->cmd);
		return -EINVAL;
	}
	a->fmt = fmt;
	a->fmt_given = true;
	return 0;
}

/* One option with its value: --db, -c or a filter. */
static int set_option(struct cli_logargs *a, const char *name, const char *value, int64_t now)
{
	struct al_err err;

	if (!strcmp(name, "db") || !strcmp(name, "c")) {
		const char **dst = !strcmp(name, "db") ? &a->db : &a->config;

		if (*dst)
			return usage_error(a, "%s given twice", name[1] ? "--db" : "-c");
		*dst = value;
		return 0;
	}
	if (al_logfilter_set(&a->filter, name, value, now, &err) < 0) {
		fprintf(stderr, "airlock %s: %s\n", a->cmd, err.msg);
		return -EINVAL;
	}
	return 0;
}

static int positional(struct cli_logargs *a, const char *arg)
{
	struct al_err err;

	if (a->filter.kind != AL_LOGREAD_ANSWERS || a->filter.ip[0])
		return usage_error(a, "unexpected argument \"%s\"", arg);
	if (al_logfilter_set_ip(&a->filter, arg, &err) < 0) {
		fprintf(stderr, "airlock %s: %s\n", a->cmd, err.msg);
		return -EINVAL;
	}
	return 0;
}

/* argv[*i] is an option: -c VALUE, --NAME VALUE or --NAME=VALUE. */
static int option(struct cli_logargs *a, int argc, char **argv, int *i, int64_t now)
{
	const char *arg = argv[*i], *start = arg[1] == '-' ? arg + 2 : arg + 1;
	const char *eq = strchr(start, '='), *value;
	size_t len = eq ? (size_t)(eq - start) : strlen(start);
	char name[32];

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, start, len);
	name[len] = '\0';
	if (arg[1] == '-' ? strcmp(name, "db") && !al_logfilter_exists(name) : strcmp(name, "c"))
		return usage_error(a, "unknown option \"%s\"", arg);
	if (eq)
		value = eq + 1;
	else if (*i + 1 < argc)
		value = argv[++*i];
	else
		return usage_error(a, "%s needs a value", arg);
	return set_option(a, name, value, now);
}

bool cli_logargs_parse(struct cli_logargs *a, const char *cmd, enum al_logread_kind kind,
		       int argc, char **argv, int *status)
{
	int64_t now = al_logtime_now();
	struct al_err err;
	bool options = true;
	int i, rc;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	al_logfilter_init(&a->filter, kind);
	*status = 2;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!options || arg[0] != '-' || arg[1] == '\0') {
			rc = positional(a, arg);
		} else if (!strcmp(arg, "--")) {
			options = false;
			rc = 0;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout, cmd, kind);
			*status = 0;
			return false;
		} else if (!strcmp(arg, "--json") || !strcmp(arg, "--csv")) {
			rc = set_format(a, arg[2] == 'j' ? CLI_JSON : CLI_CSV);
		} else {
			rc = option(a, argc, argv, &i, now);
		}
		if (rc < 0)
			return false;
	}
	if (kind == AL_LOGREAD_ANSWERS && !a->filter.ip[0]) {
		usage_error(a, "no address given (expected e.g. 192.0.2.7)");
		return false;
	}
	if (al_logfilter_check(&a->filter, &err) < 0) {
		fprintf(stderr, "airlock %s: %s\n", cmd, err.msg);
		return false;
	}
	if (!a->db && !a->config) {
		usage_error(a, "which query log? give --db PATH or -c CONFIG");
		return false;
	}
	if (a->db && a->config) {
		usage_error(a, "give --db or -c, not both");
		return false;
	}
	*status = 0;
	return true;
}

int cli_log_path(const char *cmd, const char *db, const char *config, char **out)
{
	struct al_config *cfg = NULL;
	struct al_err err;
	int rc;

	if (!config) {
		*out = strdup(db);
	} else if ((rc = al_config_load(config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock %s: %s\n", cmd, rc == -ENOMEM ? "out of memory" : err.msg);
		return 1;
	} else if (!cfg->log_path) {
		fprintf(stderr, "airlock %s: %s: no log.path (the query log is off)\n", cmd, config);
		al_config_unref(cfg);
		return 1;
	} else {
		*out = strdup(cfg->log_path);
		al_config_unref(cfg);
	}
	if (!*out) {
		fprintf(stderr, "airlock %s: out of memory\n", cmd);
		return 1;
	}
	return 0;
}

int cli_logargs_open(const struct cli_logargs *a, struct al_logread **out)
{
	struct al_err err;
	char *path;
	int rc;

	if ((rc = cli_log_path(a->cmd, a->db, a->config, &path)) != 0)
		return rc;
	rc = al_logread_open(path, out, &err);
	if (rc < 0)
		fprintf(stderr, "airlock %s: %s\n", a->cmd, rc == -ENOMEM ? "out of memory" : err.msg);
	free(path);
	return rc < 0 ? 1 : 0;
}
