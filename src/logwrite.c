/* Opening a query log to write to it: see logwrite.h. */
#include <errno.h>

#include "airlock/logwrite.h"
#include "airlock/querylog.h"

int al_logwrite_connect(const char *path, unsigned busy_ms, int flags, sqlite3 **db,
			struct al_err *err)
{
	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | flags, NULL) != SQLITE_OK) {
		al_err_set(err, "cannot open the query log: %s", *db ? sqlite3_errmsg(*db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(*db, (int)busy_ms);
	/* The version first: a file of a newer schema is left as it is, its
	 * journal mode included. */
	if (al_qlog_migrate(*db, err) < 0)
		goto fail;
	if (sqlite3_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		al_err_set(err, "cannot set up the query log: %s", sqlite3_errmsg(*db));
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return -EIO;
}

int al_logwrite_open(const char *path, unsigned busy_ms, sqlite3 **db, struct al_err *err)
{
	struct al_err e;

	if (al_logwrite_connect(path, busy_ms, 0, db, &e) < 0) {
		al_err_set(err, "%s: %s", path, e.msg);
		return -EIO;
	}
	return 0;
}
