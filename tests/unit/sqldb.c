/* Test helpers for SQLite databases: see sqldb.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "sqldb.h"

const char test_schema_v1[] =
	"CREATE TABLE queries (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL, client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL, qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL, latency_us INTEGER NOT NULL);"
	"CREATE INDEX queries_ts ON queries(ts_us);"
	"CREATE INDEX queries_client_ts ON queries(client, ts_us);"
	"CREATE INDEX queries_qname ON queries(qname);"
	"CREATE TABLE answers (query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE, name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);"
	"CREATE INDEX answers_data ON answers(data);"
	"CREATE INDEX answers_query ON answers(query_id);"
	"CREATE TABLE incidents (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL, query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);"
	"CREATE INDEX incidents_ts ON incidents(ts_us);"
	"CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);"
	"CREATE TABLE log_gaps (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL, last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);"
	"PRAGMA user_version = 1;";

const char test_schema_v3[] =
	"CREATE TABLE queries (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL, client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL, qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL, latency_us INTEGER NOT NULL);"
	"CREATE INDEX queries_ts ON queries(ts_us);"
	"CREATE TABLE answers (query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE, name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);"
	"CREATE INDEX answers_query ON answers(query_id);"
	"CREATE TABLE incidents (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL, query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);"
	"CREATE INDEX incidents_ts ON incidents(ts_us);"
	"CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);"
	"CREATE TABLE log_gaps (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL, last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);"
	"CREATE TABLE seen_domains (domain TEXT PRIMARY KEY, first_seen_us INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE log_slices (slice INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL, first_us INTEGER NOT NULL, last_us INTEGER NOT NULL);"
	"CREATE TABLE qname_idx (slice INTEGER NOT NULL, qname TEXT NOT NULL, query_id INTEGER NOT NULL, PRIMARY KEY (slice, qname, query_id)) WITHOUT ROWID;"
	"CREATE TABLE client_idx (slice INTEGER NOT NULL, client TEXT NOT NULL, ts_us INTEGER NOT NULL, query_id INTEGER NOT NULL, PRIMARY KEY (slice, client, ts_us, query_id)) WITHOUT ROWID;"
	"CREATE TABLE answer_idx (slice INTEGER NOT NULL, data TEXT NOT NULL, query_id INTEGER NOT NULL, PRIMARY KEY (slice, data, query_id)) WITHOUT ROWID;"
	"PRAGMA user_version = 3;";

sqlite3 *test_db_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

void test_db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

int64_t test_db_scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

const char *test_db_rows(sqlite3 *db, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	size_t o = 0;
	int i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "|" : "",
					      t ? (const char *)t : "NULL");
			assert_true(o < cap);
		}
		o += (size_t)snprintf(out + o, cap - o, "\n");
		assert_true(o < cap);
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	return out;
}
