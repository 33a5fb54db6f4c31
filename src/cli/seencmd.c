/* `airlock seen import|export FILE`: the newly-seen-domains baseline in
 * and out of a query log, so that a fleet of instances shares one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/logread.h"
#include "airlock/seendb.h"
#include "cli.h"


struct seen_args {
	const char *verb, *file, *db, *config;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock seen import FILE (--db PATH | -c CONFIG)\n"
		    "       airlock seen export FILE (--db PATH | -c CONFIG)\n"
		    "The first sightings of registered domains (the newly-seen-domains baseline)\n"
		    "in the query log's seen_domains table.  FILE has one domain a line with the\n"
		    "time it was first seen, e.g. \"example.com. 2026-11-24T10:00:00Z\"; \"-\" is\n"
		    "standard input or output.  An import keeps the earlier sighting of a domain\n"
		    "and is all or nothing; airlockd takes it at its next reload (SIGHUP).\n");
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("seen", usage, 2, what, arg);
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct seen_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **dst = NULL;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(arg, "--db"))
			dst = &a->db;
		else if (!strcmp(arg, "-c"))
			dst = &a->config;
		if (dst) {
			if (i + 1 >= argc)
				return usage_error("a value is needed after", arg);
			if (*dst)
				return usage_error("given twice:", arg);
			*dst = argv[++i];
		} else if (arg[0] == '-' && arg[1]) {
			return usage_error("unknown option", arg);
		} else if (!a->verb) {
			if (strcmp(arg, "import") && strcmp(arg, "export"))
				return usage_error("expected import or export, not", arg);
			a->verb = arg;
		} else if (!a->file) {
			a->file = arg;
		} else {
			return usage_error("unexpected argument", arg);
		}
	}
	if (!a->verb || !a->file)
		return usage_error("give import or export and a FILE", NULL);
	if (!a->db == !a->config)
		return usage_error("which query log? give --db PATH or -c CONFIG", NULL);
	return -1;
}

static int do_import(const struct seen_args *a, const char *db)
{
	FILE *fp = strcmp(a->file, "-") ? fopen(a->file, "r") : stdin;
	const char *name = fp == stdin ? "(stdin)" : a->file;
	size_t added, earlier;
	struct al_err err;
	int rc;

	if (!fp) {
		fprintf(stderr, "airlock seen: %s: %s\n", a->file, strerror(errno));
		return 1;
	}
	rc = al_seendb_import(db, fp, name, CLI_LOG_BUSY_MS, &added, &earlier, &err);
	if (fp != stdin)
		fclose(fp);
	if (rc < 0) {
		fprintf(stderr, "airlock seen: %s; nothing was imported\n", err.msg);
		return 1;
	}
	printf("%s: %zu domains added, %zu seen earlier than recorded\n", db, added, earlier);
	return 0;
}

struct export {
	FILE *fp;
	size_t n;
};

static int export_one(const char *domain, int64_t first_us, void *arg)
{
	struct export *ex = arg;

	ex->n++;
	return al_seendb_write_line(ex->fp, domain, first_us);
}

static int do_export(const struct seen_args *a, const char *db)
{
	struct export ex = { stdout, 0 };
	struct al_logread *lr;
	struct al_err err;
	char tmp[4096];
	int rc;

	if ((rc = al_logread_open(db, &lr, &err)) < 0) {
		fprintf(stderr, "airlock seen: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 1;
	}
	if (strcmp(a->file, "-")) {
		/* A whole file or none: written aside, then renamed. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", a->file);
		if (!(ex.fp = fopen(tmp, "w"))) {
			fprintf(stderr, "airlock seen: %s: %s\n", tmp, strerror(errno));
			al_logread_close(lr);
			return 1;
		}
	}
	fprintf(ex.fp, "# airlock newly-seen-domains baseline: registered domain, first seen (UTC)\n");
	rc = al_logread_seen(lr, export_one, &ex, &err);
	al_logread_close(lr);
	if (ex.fp != stdout) {
		if (fclose(ex.fp) != 0 && rc == 0)
			rc = (al_err_set(&err, "%s: %s", tmp, strerror(errno)), -EIO);
		if (rc == 0 && rename(tmp, a->file) < 0)
			rc = (al_err_set(&err, "%s: %s", a->file, strerror(errno)), -EIO);
		if (rc < 0)
			remove(tmp);
	} else if (fflush(stdout) != 0 && rc == 0) {
		rc = (al_err_set(&err, "standard output: %s", strerror(errno)), -EIO);
	}
	if (rc < 0) {
		fprintf(stderr, "airlock seen: %s\n", err.msg);
		return 1;
	}
	if (ex.fp != stdout)
		printf("%s: %zu domains\n", a->file, ex.n);
	return 0;
}

int cli_seen(int argc, char **argv)
{
	struct seen_args a;
	char *db;
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if ((rc = cli_log_path("seen", a.db, a.config, &db)) != 0)
		return rc;
	rc = !strcmp(a.verb, "import") ? do_import(&a, db) : do_export(&a, db);
	free(db);
	return rc;
}
