/* First sightings outside the daemon: see seendb.h. */
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "airlock/logread.h"
#include "airlock/logwrite.h"
#include "airlock/seendb.h"

/* Lower-cases text into out with a trailing dot when it is a domain name
 * of at least two labels of letters, digits, '-' and '_'. */
static bool domain_norm(const char *text, char *out)
{
	size_t len = strlen(text), i, label = 0, labels = 0;

	if (len && text[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char ch = text[i];
		if (ch == '.') {
			if (!label)
				return false;
			labels++;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
			label++;
		} else if (ch >= 'A' && ch <= 'Z') {
			ch = (char)(ch - 'A' + 'a');
			label++;
		} else {
			return false;
		}
		if (label > 63)
			return false;
		out[i] = ch;
	}
	if (!label || labels < 1)
		return false;
	out[len] = '.';
	out[len + 1] = '\0';
	return true;
}

int al_seendb_parse_line(char *line, char *domain, int64_t *first_us, struct al_err *err)
{
	const char *sep = " \t\r\n";
	char *save = NULL, *name, *when, *extra;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	if (!(name = strtok_r(line, sep, &save)))
		return 0;
	when = strtok_r(NULL, sep, &save);
	extra = when ? strtok_r(NULL, sep, &save) : NULL;
	if (!when || extra)
		return al_err_set(err, "expected a domain and the time it was first seen, e.g. \"example.com. 2026-11-24T10:00:00Z\""), -EINVAL;
	if (!domain_norm(name, domain))
		return al_err_set(err, "\"%.80s\" is not a domain name (expected e.g. example.com)", name), -EINVAL;
	/* Absolute times only: a baseline must mean the same tomorrow. */
	if (!strchr(when, '-') || al_logtime_parse(when, 0, first_us) < 0 || *first_us <= 0)
		return al_err_set(err, "\"%.40s\" is not a UTC time (expected e.g. 2026-11-24T10:00:00Z)", when), -EINVAL;
	return 1;
}

int al_seendb_write_line(FILE *fp, const char *domain, int64_t first_us)
{
	char when[AL_LOGTIME_LEN];

	return fprintf(fp, "%s %s\n", domain, al_logtime_format(first_us, 6, when, sizeof(when))) < 0 ? -EIO : 0;
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
	char line[1024], domain[AL_SEEN_DOMAIN_MAX];
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
