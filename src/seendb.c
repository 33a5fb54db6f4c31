/* First sightings outside the daemon: see seendb.h. */
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "airlock/logread.h"
#include "airlock/logwrite.h"
#include "airlock/msg.h"
#include "airlock/seendb.h"

/* text, a name in presentation form of at least one label, into out
 * (AL_MAX_NAME_TEXT bytes) as the daemon writes a registered domain:
 * lower case, escapes as al_msg_name_to_text writes them, a trailing dot.
 * Every name the export writes reads back as itself. */
static bool domain_norm(const char *text, char *out)
{
	uint8_t wire[AL_MAX_NAME];

	return al_msg_name_from_text(text, wire, sizeof(wire)) > 1 &&
	       al_msg_name_to_text(wire, out, AL_MAX_NAME_TEXT) > 0;
}

/* The first token of line, or NULL at its end or at a comment: a '#' that
 * begins a token ('#' inside a name is the name's; one that begins it is
 * written escaped, "\#"). */
static char *token(char *line, char **save)
{
	char *t = strtok_r(line, " \t\r\n", save);

	return t && *t != '#' ? t : NULL;
}

int al_seendb_parse_line(char *line, char *domain, int64_t *first_us, struct al_err *err)
{
	char *save = NULL, *name, *when, *extra;

	if (!(name = token(line, &save)))
		return 0;
	when = token(NULL, &save);
	extra = when ? token(NULL, &save) : NULL;
	if (!when || extra)
		return al_err_set(err, "expected a domain and the time it was first seen, e.g. \"example.com. 2026-11-24T10:00:00Z\""), -EINVAL;
	if (!domain_norm(name, domain))
		return al_err_set(err, "\"%.80s\" is not a domain name (expected e.g. example.com: "
				  "labels of 1-63 bytes, 255 in all, escapes \\DDD or \\X)", name), -EINVAL;
	/* Absolute times only: a baseline must mean the same tomorrow. */
	if (!strchr(when, '-') || al_logtime_parse(when, 0, first_us) < 0 || *first_us <= 0)
		return al_err_set(err, "\"%.40s\" is not a UTC time (expected e.g. 2026-11-24T10:00:00Z)", when), -EINVAL;
	return 1;
}

int al_seendb_write_line(FILE *fp, const char *domain, int64_t first_us)
{
	char when[AL_LOGTIME_LEN];

	/* A name may begin with '#': escaped, it is no comment. */
	return fprintf(fp, "%s%s %s\n", *domain == '#' ? "\\" : "", domain,
		       al_logtime_format(first_us, 6, when, sizeof(when))) < 0 ? -EIO : 0;
}

struct import {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	size_t added, earlier;
};

/* One domain into the table, keeping the earlier sighting. */
static int import_one(struct import *im, const char *domain, int64_t first_us)
{
	int rc;

	sqlite3_bind_text(im->get, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(im->get);
	if (rc == SQLITE_ROW && sqlite3_column_int64(im->get, 0) <= first_us) {
		sqlite3_reset(im->get);
		return 0;
	}
	sqlite3_reset(im->get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	if (rc == SQLITE_ROW)
		im->earlier++;
	else
		im->added++;
	sqlite3_bind_text(im->put, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(im->put, 2, first_us);
	rc = sqlite3_step(im->put);
	sqlite3_reset(im->put);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int import_lines(struct import *im, FILE *fp, const char *name, struct al_err *err)
{
	char line[AL_MAX_NAME_TEXT + 256], domain[AL_MAX_NAME_TEXT];
	struct al_err lerr;
	unsigned lineno = 0;
	int64_t first;
	int rc;

	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(fp))
			return al_err_set(err, "%s:%u: line too long (expected a domain and a time)", name, lineno), -EINVAL;
		if ((rc = al_seendb_parse_line(line, domain, &first, &lerr)) < 0)
			return al_err_set(err, "%s:%u: %s", name, lineno, lerr.msg), rc;
		if (rc == 1 && import_one(im, domain, first) < 0)
			return al_err_set(err, "%s:%u: cannot write %s: %s", name, lineno, domain,
					  sqlite3_errmsg(im->db)), -EIO;
	}
	if (ferror(fp))
		return al_err_set(err, "%s: cannot read: %s", name, strerror(errno)), -EIO;
	return 0;
}

int al_seendb_import(const char *db_path, FILE *fp, const char *name, unsigned busy_ms,
		     size_t *added, size_t *earlier, struct al_err *err)
{
	struct import im = { NULL, NULL, NULL, 0, 0 };
	int rc = -EIO;

	if (al_logwrite_open(db_path, busy_ms, &im.db, err) < 0)
		goto out;
	if (sqlite3_prepare_v2(im.db, "SELECT first_seen_us FROM seen_domains WHERE domain = ?", -1,
			       &im.get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(im.db, "INSERT INTO seen_domains(domain, first_seen_us) VALUES (?, ?)"
			       " ON CONFLICT(domain) DO UPDATE SET first_seen_us = excluded.first_seen_us",
			       -1, &im.put, NULL) != SQLITE_OK ||
	    sqlite3_exec(im.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: %s", db_path, sqlite3_errmsg(im.db));
		goto out;
	}
	if ((rc = import_lines(&im, fp, name, err)) < 0) {
		sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
	} else if (sqlite3_exec(im.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: %s", db_path, sqlite3_errmsg(im.db));
		sqlite3_exec(im.db, "ROLLBACK", NULL, NULL, NULL);
		rc = -EIO;
	}
out:
	sqlite3_finalize(im.get);
	sqlite3_finalize(im.put);
	sqlite3_close(im.db);
	*added = rc < 0 ? 0 : im.added;
	*earlier = rc < 0 ? 0 : im.earlier;
	return rc;
}
