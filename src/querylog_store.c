/* The query log's database: its schema and the migrations to it, the
 * index tables built in bulk a slice of rows at a time, and retention.
 * querylog.c's writer thread calls it between batches (querylog_int.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "airlock/querylog.h"
#include "querylog_int.h"

#define PRUNE_ROWS 1000 /* rows deleted per retention step ... */
#define PRUNE_STEPS 8   /* ... and steps per writer wake-up, so it never stalls */

/* migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[] = {
	"CREATE TABLE queries ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL,"
	" client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL,"
	" qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL,"
	" action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL,"
	" latency_us INTEGER NOT NULL);"
	"CREATE INDEX queries_ts ON queries(ts_us);"
	"CREATE INDEX queries_client_ts ON queries(client, ts_us);"
	"CREATE INDEX queries_qname ON queries(qname);"
	"CREATE TABLE answers ("
	" query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);"
	"CREATE INDEX answers_data ON answers(data);"
	"CREATE INDEX answers_query ON answers(query_id);"
	"CREATE TABLE incidents ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL,"
	" kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);"
	"CREATE INDEX incidents_ts ON incidents(ts_us);"
	"CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);"
	"CREATE TABLE log_gaps ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL,"
	" last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);",
	/* Newly seen domains: each registered domain's first sighting. */
	"CREATE TABLE seen_domains ("
	" domain TEXT PRIMARY KEY, first_seen_us INTEGER NOT NULL) WITHOUT ROWID;",

	/* 3: the indexes whose keys arrive in random order leave the write
	 * path.  Slices of rows are indexed in bulk, sorted, into tables led
	 * by the slice number ("Slices" in docs/SCHEMA.md).  The rows already
	 * there are the unindexed tail: the writer indexes them a slice at a
	 * time, as it does new rows, rather than here, in one transaction
	 * that airlockd would wait for before answering. */
	"DROP INDEX queries_client_ts;"
	"DROP INDEX queries_qname;"
	"DROP INDEX answers_data;"
	"CREATE TABLE log_slices ("
	" slice INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
	" first_us INTEGER NOT NULL, last_us INTEGER NOT NULL);"
	"CREATE TABLE qname_idx ("
	" slice INTEGER NOT NULL, qname TEXT NOT NULL, query_id INTEGER NOT NULL,"
	" PRIMARY KEY (slice, qname, query_id)) WITHOUT ROWID;"
	"CREATE TABLE client_idx ("
	" slice INTEGER NOT NULL, client TEXT NOT NULL, ts_us INTEGER NOT NULL,"
	" query_id INTEGER NOT NULL, PRIMARY KEY (slice, client, ts_us, query_id)) WITHOUT ROWID;"
	"CREATE TABLE answer_idx ("
	" slice INTEGER NOT NULL, data TEXT NOT NULL, query_id INTEGER NOT NULL,"
	" PRIMARY KEY (slice, data, query_id)) WITHOUT ROWID;",
};

/* The index tables, and how the rows of a slice are taken into each,
 * sorted by its key: ?1 is the slice, ?2 and ?3 its first and last
 * queries.id. */
static const struct {
	const char *name, *key, *fill;
} idx_tables[] = {
	{ "qname_idx", "slice, qname, query_id",
	  "SELECT ?1, qname, id FROM queries WHERE id BETWEEN ?2 AND ?3 ORDER BY 2, 3" },
	{ "client_idx", "slice, client, ts_us, query_id",
	  "SELECT ?1, client, ts_us, id FROM queries WHERE id BETWEEN ?2 AND ?3 ORDER BY 2, 3, 4" },
	{ "answer_idx", "slice, data, query_id",
	  "SELECT ?1, data, query_id FROM answers WHERE query_id BETWEEN ?2 AND ?3 AND type IN (1, 28)"
	  " ORDER BY 2, 3" },
};
#define NIDX (sizeof(idx_tables) / sizeof(idx_tables[0]))
_Static_assert(NIDX == QLOG_SLICE_STEPS, "a slice step per index table");

/* The unindexed tail: the next slice's number, the first id after the
 * last slice, the largest queries.id and the first id of a row in the
 * tail (the first id after the last slice when there is none). */
static const char tail_sql[] =
	"WITH s(slice, last_id) AS (SELECT"
	" ifnull((SELECT slice FROM log_slices ORDER BY slice DESC LIMIT 1), 0),"
	" ifnull((SELECT last_id FROM log_slices ORDER BY slice DESC LIMIT 1), 0))"
	" SELECT slice + 1, last_id + 1, ifnull((SELECT max(id) FROM queries), 0),"
	" ifnull((SELECT min(id) FROM queries WHERE id > last_id), last_id + 1) FROM s";

/* The statements that close a slice: per index table, one that removes
 * what an interrupted attempt left and one that fills it; then the
 * log_slices row, which makes the slice visible to readers. */
struct slicer {
	sqlite3_stmt *clear[NIDX], *fill[NIDX], *add;
};

/* A slice being closed, one index table per writer wake-up. */
struct closing {
	sqlite3_int64 slice, first, last;
	unsigned step; /* the next index table; NIDX: none in progress */
};

/* The store's statements, prepared once per connection. */
enum { TAIL, ANY_EXPIRED, PRUNE_ANSWERS, PRUNE_INCIDENTS, PRUNE_QUERIES, OLDEST_SLICE, DROP_SLICE,
       NSTMTS };

/* The PRUNE_ROWS oldest expired queries; their answers and the incidents'
 * links to them go first, in the same transaction (the writer's
 * connection does not enforce the foreign keys: see db_open in
 * querylog.c). */
#define EXPIRED "(SELECT id FROM queries WHERE ts_us < ?1 ORDER BY ts_us, id LIMIT " AL_STR(PRUNE_ROWS) ")"

static const char *const stmt_sql[NSTMTS] = {
	[TAIL] = tail_sql,
	[ANY_EXPIRED] = "SELECT 1 FROM queries WHERE ts_us < ?1 LIMIT 1",
	[PRUNE_ANSWERS] = "DELETE FROM answers WHERE query_id IN " EXPIRED,
	[PRUNE_INCIDENTS] = "UPDATE incidents SET query_id = NULL WHERE query_id IN " EXPIRED,
	[PRUNE_QUERIES] = "DELETE FROM queries WHERE id IN " EXPIRED,
	/* The oldest slice, if none of its rows is left. */
	[OLDEST_SLICE] = "SELECT slice FROM (SELECT slice, first_id, last_id FROM log_slices"
			 " ORDER BY slice LIMIT 1) s WHERE NOT EXISTS"
			 " (SELECT 1 FROM queries WHERE id BETWEEN s.first_id AND s.last_id)",
	[DROP_SLICE] = "DELETE FROM log_slices WHERE slice = ?",
};

struct qlog_store {
	sqlite3 *db;
	sqlite3_stmt *sql[NSTMTS];
	sqlite3_stmt *prune_idx[NIDX]; /* PRUNE_ROWS entries of a slice */
	struct slicer slicer;
	struct closing closing;
};

int qlog_exec(sqlite3 *db, const char *sql, struct al_err *err, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	al_err_set(err, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -EIO;
}

int al_qlog_migrate(sqlite3 *db, struct al_err *err)
{
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	sqlite3_stmt *st;
	char sql[64];
	int version = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0)
		return al_err_set(err, "cannot read the schema version: %s", sqlite3_errmsg(db)), -EIO;
	if (version > latest)
		return al_err_set(err, "schema version %d is newer than this airlock knows (%d): use a newer airlock or another file",
				  version, latest), -EIO;
	for (; version < latest; version++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (qlog_exec(db, "BEGIN IMMEDIATE", err, "migration") < 0)
			return -EIO;
		if (qlog_exec(db, migrations[version], err, "migration") < 0 ||
		    qlog_exec(db, sql, err, "migration") < 0 || qlog_exec(db, "COMMIT", err, "migration") < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
	}
	return 0;
}

struct tail {
	sqlite3_int64 slice, after_slices, max_id, first_row;
};

/* Reads where the unindexed tail is (see tail_sql).  Returns 0 or -EIO. */
static int read_tail(sqlite3_stmt *st, struct tail *t)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		t->slice = sqlite3_column_int64(st, 0);
		t->after_slices = sqlite3_column_int64(st, 1);
		t->max_id = sqlite3_column_int64(st, 2);
		t->first_row = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Query ids are given here, never below the end of the last slice: were
 * every row pruned, SQLite would start again from 1, below the slices,
 * and new rows would be neither in a slice nor in the tail. */
int qlog_store_next_id(struct qlog_store *s, int64_t *id)
{
	struct tail t;

	if (read_tail(s->sql[TAIL], &t) < 0)
		return -EIO;
	*id = t.max_id + 1 > t.after_slices ? t.max_id + 1 : t.after_slices;
	return 0;
}

static void slicer_free(struct slicer *s)
{
	size_t i;

	for (i = 0; i < NIDX; i++) {
		sqlite3_finalize(s->clear[i]);
		sqlite3_finalize(s->fill[i]);
	}
	sqlite3_finalize(s->add);
	memset(s, 0, sizeof(*s));
}

static int slicer_prepare(sqlite3 *db, struct slicer *s)
{
	static const char add[] =
		"INSERT INTO log_slices SELECT ?1, ?2, ?3, ifnull(min(ts_us), 0), ifnull(max(ts_us), 0)"
		" FROM queries WHERE id BETWEEN ?2 AND ?3";
	char sql[256];
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NIDX; i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE slice >= ?1", idx_tables[i].name);
		if (sqlite3_prepare_v2(db, sql, -1, &s->clear[i], NULL) != SQLITE_OK)
			return -EIO;
		/* OR IGNORE: one reply can give the same address twice. */
		snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s %s", idx_tables[i].name,
			 idx_tables[i].fill);
		if (sqlite3_prepare_v2(db, sql, -1, &s->fill[i], NULL) != SQLITE_OK)
			return -EIO;
	}
	return sqlite3_prepare_v2(db, add, -1, &s->add, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int run3(sqlite3_stmt *st, const struct closing *c)
{
	int rc;

	sqlite3_bind_int64(st, 1, c->slice);
	if (sqlite3_bind_parameter_count(st) >= 3) {
		sqlite3_bind_int64(st, 2, c->first);
		sqlite3_bind_int64(st, 3, c->last);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Fills index table i with the slice's rows, sorted by its key, so that
 * they land at the end of its B-tree (the slice leads the key) and each
 * page is written once; the last table also adds the log_slices row.
 * The caller holds a transaction. */
static int slice_fill(const struct slicer *s, const struct closing *c, size_t i)
{
	if (run3(s->clear[i], c) < 0 || run3(s->fill[i], c) < 0)
		return -EIO;
	return i + 1 == NIDX ? run3(s->add, c) : 0;
}

int al_qlog_index_tail(struct sqlite3 *db, int64_t last_id, struct al_err *err)
{
	struct slicer s = { { NULL }, { NULL }, NULL };
	struct closing c;
	struct tail t;
	sqlite3_stmt *tail = NULL;
	size_t i;
	int rc = -EIO;

	if (sqlite3_prepare_v2(db, tail_sql, -1, &tail, NULL) != SQLITE_OK || slicer_prepare(db, &s) < 0) {
		al_err_set(err, "%s", sqlite3_errmsg(db));
		goto out;
	}
	if (qlog_exec(db, "BEGIN IMMEDIATE", err, "indexing the tail") < 0)
		goto out;
	if (read_tail(tail, &t) == 0) {
		c.slice = t.slice;
		c.first = t.after_slices;
		c.last = last_id;
		for (rc = 0, i = 0; rc == 0 && c.first <= c.last && i < NIDX; i++)
			rc = slice_fill(&s, &c, i);
	}
	if (rc == 0)
		rc = qlog_exec(db, "COMMIT", err, "indexing the tail");
	else
		al_err_set(err, "indexing the tail: %s", sqlite3_errmsg(db));
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(tail);
	slicer_free(&s);
	return rc;
}

int qlog_store_slice_step(struct qlog_store *s, int64_t rows, bool *closed)
{
	struct closing *c = &s->closing;
	struct tail t;
	int rc;

	if (c->step == NIDX) {
		if (read_tail(s->sql[TAIL], &t) < 0)
			return -EIO;
		if (t.max_id - t.first_row + 1 < rows)
			return -EAGAIN;
		c->slice = t.slice;
		c->first = t.after_slices;
		c->last = t.first_row + rows - 1;
		c->step = 0;
	}
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	rc = slice_fill(&s->slicer, c, c->step);
	if (rc < 0 || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	*closed = ++c->step == NIDX;
	return 0;
}

/* One transaction: the PRUNE_ROWS oldest expired queries rows, their
 * answers, the incidents' links to them.  Returns the queries deleted. */
static int prune_queries(struct qlog_store *s, int64_t cutoff)
{
	int n = 0, k, ok;

	sqlite3_bind_int64(s->sql[ANY_EXPIRED], 1, cutoff);
	ok = sqlite3_step(s->sql[ANY_EXPIRED]) == SQLITE_ROW;
	sqlite3_reset(s->sql[ANY_EXPIRED]);
	if (!ok) /* nothing expired: the incidents are not even read */
		return 0;
	ok = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	for (k = PRUNE_ANSWERS; ok && k <= PRUNE_QUERIES; k++) { /* the same rows each time */
		sqlite3_bind_int64(s->sql[k], 1, cutoff);
		ok = sqlite3_step(s->sql[k]) == SQLITE_DONE;
		if (ok && k == PRUNE_QUERIES)
			n = sqlite3_changes(s->db);
		sqlite3_reset(s->sql[k]);
	}
	if (!ok || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	return n;
}

/* Up to PRUNE_ROWS entries of each index table of the oldest slice, once
 * none of its queries rows is left; its log_slices row goes with the last
 * of them.  Returns the entries deleted, 0 when there is nothing to do. */
static int prune_slice(struct qlog_store *s)
{
	sqlite3_int64 slice;
	int n = 0, most = 0, k, ok;
	size_t i;

	ok = sqlite3_step(s->sql[OLDEST_SLICE]) == SQLITE_ROW;
	slice = ok ? sqlite3_column_int64(s->sql[OLDEST_SLICE], 0) : 0;
	sqlite3_reset(s->sql[OLDEST_SLICE]);
	if (!ok || sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return 0;
	for (i = 0; ok && i < NIDX; i++) {
		sqlite3_bind_int64(s->prune_idx[i], 1, slice);
		ok = sqlite3_step(s->prune_idx[i]) == SQLITE_DONE;
		k = ok ? sqlite3_changes(s->db) : 0;
		sqlite3_reset(s->prune_idx[i]);
		n += k;
		most = k > most ? k : most;
	}
	if (ok && most < PRUNE_ROWS) {
		sqlite3_bind_int64(s->sql[DROP_SLICE], 1, slice);
		ok = sqlite3_step(s->sql[DROP_SLICE]) == SQLITE_DONE;
		sqlite3_reset(s->sql[DROP_SLICE]);
		n++;
	}
	if (ok && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return n;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

int qlog_store_prune(struct qlog_store *s, int64_t cutoff)
{
	int i, n, pruned = 0;

	for (i = 0, n = PRUNE_ROWS; i < PRUNE_STEPS && n == PRUNE_ROWS; i++)
		pruned += n = prune_queries(s, cutoff);
	for (; i < PRUNE_STEPS && prune_slice(s) > 0; i++)
		;
	return pruned;
}

struct qlog_store *qlog_store_new(sqlite3 *db, struct al_err *err)
{
	struct qlog_store *s = calloc(1, sizeof(*s));
	char sql[256];
	size_t k;

	if (!s) {
		al_err_set(err, "out of memory");
		return NULL;
	}
	s->db = db;
	s->closing.step = NIDX;
	for (k = 0; k < NSTMTS; k++)
		if (sqlite3_prepare_v2(db, stmt_sql[k], -1, &s->sql[k], NULL) != SQLITE_OK)
			goto fail;
	for (k = 0; k < NIDX; k++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE (%s) IN (SELECT %s FROM %s WHERE slice = ?"
			 " LIMIT %d)", idx_tables[k].name, idx_tables[k].key, idx_tables[k].key,
			 idx_tables[k].name, PRUNE_ROWS);
		if (sqlite3_prepare_v2(db, sql, -1, &s->prune_idx[k], NULL) != SQLITE_OK)
			goto fail;
	}
	if (slicer_prepare(db, &s->slicer) == 0)
		return s;
fail:
	al_err_set(err, "%s", sqlite3_errmsg(db));
	qlog_store_free(s);
	return NULL;
}

void qlog_store_free(struct qlog_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < NSTMTS; i++)
		sqlite3_finalize(s->sql[i]);
	for (i = 0; i < NIDX; i++)
		sqlite3_finalize(s->prune_idx[i]);
	slicer_free(&s->slicer);
	free(s);
}
