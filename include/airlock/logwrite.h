/* Writing to a query log from outside airlockd (the CLI's imports and the
 * flow monitor's incidents): one way to open it, creating or migrating the
 * schema, in WAL mode, waiting for airlockd's writer when it holds the lock. */
#ifndef AIRLOCK_LOGWRITE_H
#define AIRLOCK_LOGWRITE_H

#include <sqlite3.h>

#include "airlock/err.h"

/* Returns 0 with *db open, or -EIO with err naming path and the reason. */
int al_logwrite_open(const char *path, unsigned busy_ms, sqlite3 **db, struct al_err *err);

#endif
