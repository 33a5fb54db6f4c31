/* What the query log's three files share: querylog.c (the queue and the
 * writer thread) calls querylog_rows.c (a batch's rows) and
 * querylog_store.c (the schema, the slices of index tables and
 * retention) on the writer's connection. */
#ifndef AIRLOCK_QUERYLOG_INT_H
#define AIRLOCK_QUERYLOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "airlock/err.h"
#include "airlock/msg.h"

#define AL_STR2(x) #x
#define AL_STR(x) AL_STR2(x)

/* sqlite3_exec with SQLite's message in err, after "what: ".  Returns 0
 * or -EIO. */
int qlog_exec(sqlite3 *db, const char *sql, struct al_err *err, const char *what);
/* Steps a bound statement that returns no row, then resets it.  Returns
 * 0 or -EIO. */
int qlog_run(sqlite3_stmt *st);

/* A registered domain's first sighting, for seen_domains. */
struct seen_rec {
	char domain[AL_MAX_NAME_TEXT];
	int64_t first_us;
};

/* Queries the log could not keep, for one log_gaps row. */
struct gap {
	uint64_t rows;
	int64_t first_us, last_us;
	int64_t since_us; /* mono_us() of the first row counted */
};

/* The statements and the slice in progress of one connection. */
struct qlog_store;
/* Prepares them on db, whose schema is current.  Returns NULL with the
 * reason in err. */
struct qlog_store *qlog_store_new(sqlite3 *db, struct al_err *err);
void qlog_store_free(struct qlog_store *s);

/* The id for the next queries row: one past the largest, and never below
 * the end of the last slice (were every row pruned, SQLite would start
 * again from 1, and new rows would be neither in a slice nor in the
 * tail), nor inside the range of the slice being closed (its index tables
 * already written name its rows).  Call it in the batch's transaction.
 * Returns 0 or -EIO. */
int qlog_store_next_id(struct qlog_store *s, int64_t *id);

/* The index tables of the slices: one row per key of a slice, with the
 * ids of the rows that hold it (docs/SCHEMA.md, "Slices"). */
enum qlog_idx { QLOG_QNAME, QLOG_CLIENT, QLOG_ANSWER, NIDX };

/* The writer tells the store each key of the rows it writes in a batch,
 * ids ascending (a queries row's qname and client, an A or AAAA answer's
 * data), then whether the batch of n rows from first_id committed.  The
 * store keeps the lists in memory for the slice to come; without them
 * (a failed batch, rows from before the connection, retention deleting
 * rows of the tail, a tail too long to hold: an upgraded log) it reads the
 * rows back when it closes the slice. */
void qlog_store_post(struct qlog_store *s, enum qlog_idx idx, const char *key, int64_t id);
void qlog_store_batch_end(struct qlog_store *s, int64_t first_id, size_t n, bool committed);

/* One step of closing a slice: a new slice once the tail spans rows ids
 * from its first row, then one index table per step, each in its own
 * transaction.  Returns 0 when a step was done (*closed: it was the
 * slice's last; *read_back: the slice's lists had to be read back from
 * the rows in this step), -EAGAIN when there is nothing to index, -EIO
 * when the step failed (it is tried again at the next call). */
int qlog_store_slice_step(struct qlog_store *s, int64_t rows, bool *closed, bool *read_back);
/* The steps that close one slice: one per index table. */
#define QLOG_SLICE_STEPS NIDX

/* Retention, in a few small transactions: the oldest queries rows
 * before cutoff (UTC microseconds) with their answers and the incidents'
 * links to them, then the index entries of slices left without rows.
 * Returns the queries rows deleted. */
int qlog_store_prune(struct qlog_store *s, int64_t cutoff);

/* The statements that write a batch's rows on one connection (whose
 * schema is current); store is told each row's index keys.  Returns NULL
 * with the reason in err. */
struct qlog_rows;
struct qlog_rows *qlog_rows_new(sqlite3 *db, struct qlog_store *store, struct al_err *err);
void qlog_rows_free(struct qlog_rows *w);
/* One transaction: the n records (ids given after the last row), their
 * answers and incidents, the nseen first sightings, then a log_gaps row,
 * written at now_us, for each of the ncauses gaps with rows (causes[c]
 * its cause).  Returns 0, or -EIO with the reason in err (rolled back:
 * nothing written). */
struct al_logrec;
int qlog_rows_write(struct qlog_rows *w, const struct al_logrec *recs, size_t n,
		    const struct seen_rec *seen, size_t nseen, const struct gap *gaps,
		    const char *const *causes, size_t ncauses, int64_t now_us, struct al_err *err);

#endif
