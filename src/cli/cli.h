/* What the `airlock` subcommands share: the query-log commands, and the
 * writer they print rows with (an aligned table, JSON lines or CSV). */
#ifndef AIRLOCK_CLI_H
#define AIRLOCK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "airlock/logread.h"

/* How long a command writing to the query log (seen import, flows'
 * incidents) waits for airlockd's writer to let go of the lock. */
#define CLI_LOG_BUSY_MS 10000

/* `airlock log`, `airlock incidents`, `airlock who-resolved`: argv[0] is
 * the command's name.  Exit codes: 0 success (also with no rows), 1 the
 * database or a write failed, 2 usage or an invalid filter. */
int cli_log(int argc, char **argv);
int cli_incidents(int argc, char **argv);
int cli_who_resolved(int argc, char **argv);
/* `airlock seen import|export FILE`: the newly-seen-domains baseline. */
int cli_seen(int argc, char **argv);
/* `airlock policy check|lint|render`: the zone policy catalog (argv[0] is
 * "policy"; cli_policy_lint gets argv[0] "lint", cli_policy_render
 * "render"). */
int cli_policy(int argc, char **argv);
int cli_policy_lint(int argc, char **argv);   /* src/cli/lintcmd.c */
int cli_policy_render(int argc, char **argv); /* src/cli/rendercmd.c */
/* `airlock leak-test`: the isolation checks from this host (src/cli/leakcmd.c). */
int cli_leak_test(int argc, char **argv);
/* `airlock flows`: flow logs against the names airlock answered. */
int cli_flows(int argc, char **argv);
/* `airlock ctl`: a command to the running airlockd over its control
 * socket (src/cli/ctlcmd.c).  Exit 0 done, 1 the daemon said it failed,
 * 2 usage or no answer. */
int cli_ctl(int argc, char **argv);

/* Prints "airlock CMD: WHAT "ARG"" (ARG may be NULL) and the command's
 * usage to stderr; returns status, the command's exit code for bad usage. */
int cli_usage_error(const char *cmd, void (*usage)(FILE *fp), int status, const char *what, const char *arg);

enum cli_format { CLI_TABLE, CLI_JSON, CLI_CSV };

/* A query-log command's arguments (src/cli/logargs.c). */
struct cli_logargs {
	const char *cmd;       /* "log", "incidents", "who-resolved" */
	struct al_logfilter filter;
	const char *db, *config;
	enum cli_format fmt;
	bool fmt_given;
};

/* Parses argv for the command cmd of kind: the database (--db or -c), the
 * filters, --json or --csv, who-resolved's address.  True: go on.  False:
 * the command is done, exit with *status (0 after --help; 2 after a usage
 * or filter error, its message printed). */
bool cli_logargs_parse(struct cli_logargs *a, const char *cmd, enum al_logread_kind kind,
		       int argc, char **argv, int *status);
/* The query log's path: db, or config's log.path; *out is malloc'd.
 * Returns 0, or the exit code 1 with the message printed. */
int cli_log_path(const char *cmd, const char *db, const char *config, char **out);
/* Opens the log named by --db or by the config's log.path.  Returns 0, or
 * the exit code 1 with the message printed. */
int cli_logargs_open(const struct cli_logargs *a, struct al_logread **out);

struct cli_col {
	const char *name;
	bool right; /* right-aligned in the table (numbers) */
};

/* The table is buffered to size its columns and printed by cli_out_end;
 * CSV (RFC 4180: header row, CRLF, quoted when needed) and JSON lines are
 * written as they come. */
struct cli_out;

struct cli_out *cli_out_new(enum cli_format fmt, const struct cli_col *cols, size_t ncols,
			    FILE *fp);
/* One row of ncols cells (table and CSV).  Returns 0 or -ENOMEM. */
int cli_out_row(struct cli_out *o, const char *const *cells);
/* One JSON object on a line of its own.  Returns 0 or -ENOMEM. */
int cli_out_json(struct cli_out *o, const cJSON *obj);
/* Prints the table, flushes.  Returns 0, or -EIO when writing failed. */
int cli_out_end(struct cli_out *o);
void cli_out_free(struct cli_out *o);

#endif
