/* Opening a query log to write to it: one way for airlockd's writer, the
 * CLI's imports and the flow monitor's incidents.  It creates or migrates
 * the schema (a newer one is refused before anything is changed), in WAL
 * mode with synchronous=NORMAL (a commit appends to the WAL without a
 * sync, so a writer committing often holds the lock briefly), waiting
 * busy_ms for another writer that holds the lock. */
#ifndef AIRLOCK_LOGWRITE_H
#define AIRLOCK_LOGWRITE_H

#include <sqlite3.h>

#include "airlock/err.h"

/* flags: more sqlite3_open_v2 flags (SQLITE_OPEN_NOMUTEX).  Returns 0 with
 * *db open, or -EIO with the reason in err. */
int al_logwrite_connect(const char *path, unsigned busy_ms, int flags, sqlite3 **db,
			struct al_err *err);
/* The same with no flags, err naming path first. */
int al_logwrite_open(const char *path, unsigned busy_ms, sqlite3 **db, struct al_err *err);

#endif
