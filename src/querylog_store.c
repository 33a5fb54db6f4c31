/* The query log's database: its schema and the migrations to it, the
 * index tables built in bulk a slice of rows at a time, and retention.
 * querylog.c's writer thread calls it between batches (querylog_int.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "airlock/postings.h"
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

	/* 4: a row per key of a slice, with the ids of its rows, instead of
	 * a row per row: fewer, and made from lists the writer collects in
	 * memory as it writes.  The slices are indexed again from the rows,
	 * as in 3. */
	"DROP TABLE qname_idx;"
	"DROP TABLE client_idx;"
	"DROP TABLE answer_idx;"
	"DELETE FROM log_slices;"
	"CREATE TABLE qname_ids ("
	" slice INTEGER NOT NULL, qname TEXT NOT NULL, ids TEXT NOT NULL,"
	" PRIMARY KEY (slice, qname)) WITHOUT ROWID;"
	"CREATE TABLE client_ids ("
	" slice INTEGER NOT NULL, client TEXT NOT NULL, ids TEXT NOT NULL,"
	" PRIMARY KEY (slice, client)) WITHOUT ROWID;"
	"CREATE TABLE answer_ids ("
	" slice INTEGER NOT NULL, data TEXT NOT NULL, ids TEXT NOT NULL,"
	" PRIMARY KEY (slice, data)) WITHOUT ROWID;",
};

/* The index tables: a row per key of a slice, with the ids of its rows. */
static const struct {
	const char *name, *key;
} idx_tables[NIDX] = {
	[QLOG_QNAME] = { "qname_ids", "qname" },
	[QLOG_CLIENT] = { "client_ids", "client" },
	[QLOG_ANSWER] = { "answer_ids", "data" },
};

/* The unindexed tail: the next slice's number, the first id after the
 * last slice, the largest queries.id and the first id of a row in the
 * tail (the first id after the last slice when there is none). */
static const char tail_sql[] =
	"WITH s(slice, last_id) AS (SELECT"
	" ifnull((SELECT slice FROM log_slices ORDER BY slice DESC LIMIT 1), 0),"
	" ifnull((SELECT last_id FROM log_slices ORDER BY slice DESC LIMIT 1), 0))"
	" SELECT slice + 1, last_id + 1, ifnull((SELECT max(id) FROM queries), 0),"
	" ifnull((SELECT min(id) FROM queries WHERE id > last_id), last_id + 1) FROM s";

/* A slice being closed, one index table per writer wake-up: ids first
 * to last, the first of which with a row is first_row. */
struct closing {
	sqlite3_int64 slice, first, last, first_row;
	unsigned step; /* the next index table; NIDX: none in progress */
};

/* The store's statements, prepared once per connection. */
enum { TAIL, ADD_SLICE, LOAD_QUERIES, LOAD_ANSWERS, ANY_EXPIRED, EXPIRED_MAX_ID, PRUNE_ANSWERS,
       PRUNE_INCIDENTS, PRUNE_QUERIES, OLDEST_SLICE, DROP_SLICE, NSTMTS };

/* The PRUNE_ROWS oldest expired queries; their answers and the incidents'
 * links to them go first, in the same transaction (the writer's
 * connection does not enforce the foreign keys: see db_open in
 * querylog.c). */
#define EXPIRED "(SELECT id FROM queries WHERE ts_us < ?1 ORDER BY ts_us, id LIMIT " AL_STR(PRUNE_ROWS) ")"

static const char *const stmt_sql[NSTMTS] = {
	[TAIL] = tail_sql,
	/* Makes a slice visible to readers: ?1 the slice, ?2 and ?3 the ids
	 * it covers. */
	[ADD_SLICE] = "INSERT INTO log_slices SELECT ?1, ?2, ?3, ifnull(min(ts_us), 0), ifnull(max(ts_us), 0)"
		      " FROM queries WHERE id BETWEEN ?2 AND ?3",
	/* What a slice's lists are made of, in id order, when they were not
	 * collected as the rows were written. */
	[LOAD_QUERIES] = "SELECT id, qname, client FROM queries WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
	[LOAD_ANSWERS] = "SELECT query_id, data FROM answers WHERE query_id BETWEEN ?1 AND ?2"
			 " AND type IN (1, 28) ORDER BY query_id",
	[ANY_EXPIRED] = "SELECT 1 FROM queries WHERE ts_us < ?1 LIMIT 1",
	[EXPIRED_MAX_ID] = "SELECT max(id) FROM " EXPIRED,
	[PRUNE_ANSWERS] = "DELETE FROM answers WHERE query_id IN " EXPIRED,
	[PRUNE_INCIDENTS] = "UPDATE incidents SET query_id = NULL WHERE query_id IN " EXPIRED,
	[PRUNE_QUERIES] = "DELETE FROM queries WHERE id IN " EXPIRED,
	/* The oldest slice, if none of its rows is left. */
	[OLDEST_SLICE] = "SELECT slice FROM (SELECT slice, first_id, last_id FROM log_slices"
			 " ORDER BY slice LIMIT 1) s WHERE NOT EXISTS"
			 " (SELECT 1 FROM queries WHERE id BETWEEN s.first_id AND s.last_id)",
	[DROP_SLICE] = "DELETE FROM log_slices WHERE slice = ?",
};

/* Per index table: remove what an interrupted attempt at slice ?1 (or
 * later) left; add a key's row; remove PRUNE_ROWS rows of slice ?1. */
enum { IDX_CLEAR, IDX_INSERT, IDX_PRUNE, IDX_STMTS };

struct qlog_store {
	sqlite3 *db;
	sqlite3_stmt *sql[NSTMTS];
	sqlite3_stmt *idx[NIDX][IDX_STMTS];
	struct al_postings *post[NIDX];
	int64_t posted_from; /* every row written from this id on is in post[], or already in
			      * its slice's tables; INT64_MAX: none is */
	bool post_failed;    /* an id could not be added in this batch */
	bool post_short;     /* post[] lacks rows after the slice being closed */
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
 * and new rows would be neither in a slice nor in the tail.  Nor in the
 * range of the slice being closed (not in log_slices until its last
 * step): its index tables already written hold the ids of its rows,
 * which retention may delete meanwhile. */
int qlog_store_next_id(struct qlog_store *s, int64_t *id)
{
	struct tail t;

	if (read_tail(s->sql[TAIL], &t) < 0)
		return -EIO;
	*id = t.max_id + 1 > t.after_slices ? t.max_id + 1 : t.after_slices;
	if (s->closing.step < NIDX && *id <= s->closing.last)
		*id = s->closing.last + 1;
	return 0;
}

/* ----- posting lists: collected as rows are written, else loaded ----- */

static void posts_clear(struct qlog_store *s)
{
	size_t i;

	for (i = 0; i < NIDX; i++)
		al_postings_clear(s->post[i]);
	s->posted_from = INT64_MAX;
	s->post_failed = false;
	s->post_short = false;
}

void qlog_store_post(struct qlog_store *s, enum qlog_idx idx, const char *key, int64_t id)
{
	if (al_postings_add(s->post[idx], key, id) < 0)
		s->post_failed = true;
}

void qlog_store_batch_end(struct qlog_store *s, int64_t first_id, size_t n, bool committed)
{
	if (!committed || s->post_failed)
		posts_clear(s);
	else if (n && s->posted_from == INT64_MAX)
		s->posted_from = first_id;
}

static void bind2(sqlite3_stmt *st, sqlite3_int64 a, sqlite3_int64 b)
{
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
}

/* The lists of the rows with ids first to last, read from the tables.
 * Returns 0, or -EIO with the lists cleared. */
static int posts_load(struct qlog_store *s, sqlite3_int64 first, sqlite3_int64 last)
{
	sqlite3_stmt *q = s->sql[LOAD_QUERIES], *a = s->sql[LOAD_ANSWERS];
	int rc;

	posts_clear(s);
	bind2(q, first, last);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(q, 0);
		qlog_store_post(s, QLOG_QNAME, (const char *)sqlite3_column_text(q, 1), id);
		qlog_store_post(s, QLOG_CLIENT, (const char *)sqlite3_column_text(q, 2), id);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE) {
		bind2(a, first, last);
		while ((rc = sqlite3_step(a)) == SQLITE_ROW)
			qlog_store_post(s, QLOG_ANSWER, (const char *)sqlite3_column_text(a, 1),
					sqlite3_column_int64(a, 0));
		sqlite3_reset(a);
	}
	if (rc != SQLITE_DONE || s->post_failed) {
		posts_clear(s);
		return -EIO;
	}
	s->posted_from = first;
	return 0;
}

/* The lists of slice c as they stand before step c->step, loaded from the
 * tables when the writer did not see every row from c->first on (it
 * started after them, or a write failed).  The tail after the slice is
 * loaded with it, unless it is long (an upgraded log): then each slice
 * loads its own rows and the lists are dropped once it is closed. */
static int posts_cover(struct qlog_store *s, const struct closing *c, int64_t rows, bool *read_back)
{
	sqlite3_int64 upto;
	struct tail t;
	unsigned i;

	*read_back = false;
	if (s->posted_from <= c->first_row) /* first_row >= first */
		return 0;
	*read_back = true;
	if (read_tail(s->sql[TAIL], &t) < 0)
		return -EIO;
	upto = t.max_id - c->last > rows ? c->last : t.max_id;
	if (posts_load(s, c->first, upto) < 0)
		return -EIO;
	s->post_short = upto < t.max_id;
	for (i = 0; i < c->step; i++) /* already in their tables */
		if (al_postings_take(s->post[i], c->last, NULL, NULL) < 0) {
			posts_clear(s);
			return -EIO;
		}
	return 0;
}

struct insert_ctx {
	sqlite3_stmt *st;
	sqlite3_int64 slice;
};

static int insert_list(const char *key, const char *ids, void *arg)
{
	struct insert_ctx *x = arg;

	sqlite3_bind_int64(x->st, 1, x->slice);
	sqlite3_bind_text(x->st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(x->st, 3, ids, -1, SQLITE_STATIC);
	return qlog_run(x->st);
}

int qlog_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Index table i of slice c, in the caller's transaction: a row per key
 * with the ids it holds in the slice, in key order, so that they land at
 * the end of the B-tree (the slice leads the key) and each page is
 * written once; the last table also adds the log_slices row.  The ids
 * leave the lists (on failure, the caller clears them). */
static int slice_fill(struct qlog_store *s, const struct closing *c, size_t i)
{
	struct insert_ctx x = { s->idx[i][IDX_INSERT], c->slice };

	sqlite3_bind_int64(s->idx[i][IDX_CLEAR], 1, c->slice);
	if (qlog_run(s->idx[i][IDX_CLEAR]) < 0 || al_postings_take(s->post[i], c->last, insert_list, &x) != 0)
		return -EIO;
	if (i + 1 < NIDX)
		return 0;
	bind2(s->sql[ADD_SLICE], c->slice, c->first);
	sqlite3_bind_int64(s->sql[ADD_SLICE], 3, c->last);
	return qlog_run(s->sql[ADD_SLICE]);
}

int al_qlog_index_tail(struct sqlite3 *db, int64_t last_id, struct al_err *err)
{
	struct qlog_store *s = qlog_store_new(db, err);
	struct closing c;
	struct tail t;
	size_t i;
	int rc = -EIO;

	if (!s)
		return -EIO;
	if (qlog_exec(db, "BEGIN IMMEDIATE", err, "indexing the tail") < 0)
		goto out;
	if (read_tail(s->sql[TAIL], &t) == 0) {
		c.slice = t.slice;
		c.first = t.after_slices;
		c.last = last_id;
		rc = c.first <= c.last ? posts_load(s, c.first, c.last) : 0;
		for (i = 0; rc == 0 && c.first <= c.last && i < NIDX; i++)
			rc = slice_fill(s, &c, i);
	}
	if (rc == 0)
		rc = qlog_exec(db, "COMMIT", err, "indexing the tail");
	else
		al_err_set(err, "indexing the tail: %s", sqlite3_errmsg(db));
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	qlog_store_free(s);
	return rc;
}

int qlog_store_slice_step(struct qlog_store *s, int64_t rows, bool *closed, bool *read_back)
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
		c->first_row = t.first_row;
		c->step = 0;
	}
	if (posts_cover(s, c, rows, read_back) < 0)
		return -EIO;
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	rc = slice_fill(s, c, c->step);
	if (rc < 0 || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		posts_clear(s); /* taken from the lists, not stored */
		return -EIO;
	}
	*closed = ++c->step == NIDX;
	if (*closed && s->post_short)
		posts_clear(s);
	else if (*closed && s->posted_from <= c->last)
		s->posted_from = c->last + 1; /* the lists hold only later rows now */
	return 0;
}

/* One transaction: the PRUNE_ROWS oldest expired queries rows, their
 * answers, the incidents' links to them.  Returns the queries deleted.
 * Rows of the tail can expire too (a quiet log, whose tail never spans
 * a slice): the posting lists then hold ids of rows that are gone, and
 * that the next rows may take again (ids restart after the last slice
 * when the tail is empty), so they are dropped, to be read back from
 * the rows left when the slice closes. */
static int prune_queries(struct qlog_store *s, int64_t cutoff)
{
	sqlite3_int64 max_id = 0;
	int n = 0, k, ok;

	sqlite3_bind_int64(s->sql[ANY_EXPIRED], 1, cutoff);
	ok = sqlite3_step(s->sql[ANY_EXPIRED]) == SQLITE_ROW;
	sqlite3_reset(s->sql[ANY_EXPIRED]);
	if (!ok) /* nothing expired: the incidents are not even read */
		return 0;
	ok = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(s->sql[EXPIRED_MAX_ID], 1, cutoff);
		ok = sqlite3_step(s->sql[EXPIRED_MAX_ID]) == SQLITE_ROW;
		max_id = ok ? sqlite3_column_int64(s->sql[EXPIRED_MAX_ID], 0) : 0;
		sqlite3_reset(s->sql[EXPIRED_MAX_ID]);
	}
	for (k = PRUNE_ANSWERS; ok && k <= PRUNE_QUERIES; k++) { /* the same rows each time */
		sqlite3_bind_int64(s->sql[k], 1, cutoff);
		ok = qlog_run(s->sql[k]) == 0;
		if (ok && k == PRUNE_QUERIES)
			n = sqlite3_changes(s->db);
	}
	if (!ok || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if (max_id >= s->posted_from)
		posts_clear(s);
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
		sqlite3_stmt *st = s->idx[i][IDX_PRUNE];
		sqlite3_bind_int64(st, 1, slice);
		ok = qlog_run(st) == 0;
		k = ok ? sqlite3_changes(s->db) : 0;
		n += k;
		most = k > most ? k : most;
	}
	if (ok && most < PRUNE_ROWS) {
		sqlite3_bind_int64(s->sql[DROP_SLICE], 1, slice);
		ok = qlog_run(s->sql[DROP_SLICE]) == 0;
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

/* The statements of index table i, k being IDX_CLEAR, ... */
static void idx_sql(size_t i, int k, char *sql, size_t cap)
{
	const char *t = idx_tables[i].name, *key = idx_tables[i].key;

	if (k == IDX_CLEAR)
		snprintf(sql, cap, "DELETE FROM %s WHERE slice >= ?1", t);
	else if (k == IDX_INSERT)
		snprintf(sql, cap, "INSERT INTO %s (slice, %s, ids) VALUES (?1, ?2, ?3)", t, key);
	else
		snprintf(sql, cap, "DELETE FROM %s WHERE (slice, %s) IN (SELECT slice, %s FROM %s"
			 " WHERE slice = ?1 LIMIT %d)", t, key, key, t, PRUNE_ROWS);
}

struct qlog_store *qlog_store_new(sqlite3 *db, struct al_err *err)
{
	struct qlog_store *s = calloc(1, sizeof(*s));
	char sql[256];
	size_t i;
	int k;

	if (!s) {
		al_err_set(err, "out of memory");
		return NULL;
	}
	s->db = db;
	s->closing.step = NIDX;
	s->posted_from = INT64_MAX;
	for (i = 0; i < NIDX; i++)
		if (!(s->post[i] = al_postings_new())) {
			al_err_set(err, "out of memory");
			qlog_store_free(s);
			return NULL;
		}
	for (k = 0; k < NSTMTS; k++)
		if (sqlite3_prepare_v2(db, stmt_sql[k], -1, &s->sql[k], NULL) != SQLITE_OK)
			goto fail;
	for (i = 0; i < NIDX; i++)
		for (k = 0; k < IDX_STMTS; k++) {
			idx_sql(i, k, sql, sizeof(sql));
			if (sqlite3_prepare_v2(db, sql, -1, &s->idx[i][k], NULL) != SQLITE_OK)
				goto fail;
		}
	return s;
fail:
	al_err_set(err, "%s", sqlite3_errmsg(db));
	qlog_store_free(s);
	return NULL;
}

void qlog_store_free(struct qlog_store *s)
{
	size_t i;
	int k;

	if (!s)
		return;
	for (k = 0; k < NSTMTS; k++)
		sqlite3_finalize(s->sql[k]);
	for (i = 0; i < NIDX; i++) {
		for (k = 0; k < IDX_STMTS; k++)
			sqlite3_finalize(s->idx[i][k]);
		al_postings_free(s->post[i]);
	}
	free(s);
}
