/* Writing to a query log from outside airlockd: see logwrite.h. */
#include <errno.h>

#include "airlock/logwrite.h"
#include "airlock/querylog.h"

int al_logwrite_open(const char *path, unsigned busy_ms, sqlite3 **db, struct al_err *err)
{
	struct al_err merr;

	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(*db, (int)busy_ms);
	if (sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: %s", path, sqlite3_errmsg(*db));
		goto fail;
	}
	if (al_qlog_migrate(*db, &merr) < 0) {
		al_err_set(err, "%s: %s", path, merr.msg);
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return -EIO;
}
