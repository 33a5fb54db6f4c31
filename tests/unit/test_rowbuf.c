/* rowbuf: multi-row INSERTs, on a real SQLite database. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/rowbuf.h"
#include "sqldb.h"

static int setup(void **state)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(*state);
	return 0;
}

static int add(struct al_rowbuf *rb, int64_t id, const char *name, int64_t n)
{
	al_rowbuf_int(rb, id);
	al_rowbuf_text(rb, name);
	al_rowbuf_int(rb, n);
	return al_rowbuf_end(rb);
}

static struct al_rowbuf *new_rowbuf(sqlite3 *db)
{
	struct al_err err;
	struct al_rowbuf *rb = al_rowbuf_new(db, "t", "id, name, n", 3, &err);

	assert_non_null(rb);
	return rb;
}

/* Rows wait until AL_ROWBUF_ROWS are complete, go in together, and the
 * rest go in at the flush: every value as given, in order. */
static void test_rowbuf_inserts_full_groups_then_the_rest(void **state)
{
	sqlite3 *db = *state;
	struct al_rowbuf *rb = new_rowbuf(db);
	int total = AL_ROWBUF_ROWS * 2 + 3, i;
	char name[32];
	sqlite3_stmt *st;

	for (i = 1; i <= total; i++) {
		snprintf(name, sizeof(name), "row-%d", i);
		assert_int_equal(add(rb, i, name, i * 1000000007LL), 0);
		assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), i / AL_ROWBUF_ROWS * AL_ROWBUF_ROWS);
	}
	assert_int_equal(al_rowbuf_flush(rb), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), total);
	assert_int_equal(al_rowbuf_flush(rb), 0); /* nothing left: a no-op */
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), total);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, name, n FROM t ORDER BY rowid", -1, &st, NULL),
			 SQLITE_OK);
	for (i = 1; i <= total; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		snprintf(name, sizeof(name), "row-%d", i);
		assert_int_equal(sqlite3_column_int64(st, 0), i);
		assert_string_equal((const char *)sqlite3_column_text(st, 1), name);
		assert_int_equal(sqlite3_column_int64(st, 2), i * 1000000007LL);
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	al_rowbuf_free(rb);
}

/* A row's texts share AL_ROWBUF_TEXT bytes: what does not fit is cut,
 * and the next row starts with the whole room again. */
static void test_rowbuf_cuts_text_past_the_row_room(void **state)
{
	sqlite3 *db = *state;
	struct al_rowbuf *rb = new_rowbuf(db);
	char big[AL_ROWBUF_TEXT + 100];
	sqlite3_stmt *st;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(add(rb, 1, big, 0), 0);
	assert_int_equal(add(rb, 2, "short", 0), 0);
	assert_int_equal(al_rowbuf_flush(rb), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT length(name), name FROM t ORDER BY id", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), AL_ROWBUF_TEXT - 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "short");
	sqlite3_finalize(st);
	al_rowbuf_free(rb);
}

/* A failed insert (a duplicate key) is reported and its rows are gone:
 * the next group starts clean. */
static void test_rowbuf_reports_failed_insert_and_discards(void **state)
{
	sqlite3 *db = *state;
	struct al_rowbuf *rb = new_rowbuf(db);
	int i, rc = 0;

	for (i = 0; i < AL_ROWBUF_ROWS; i++)
		rc = add(rb, 7, "dup", i); /* the same id twice fails */
	assert_int_equal(rc, -EIO);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(add(rb, 8, "one", 1), 0);
	assert_int_equal(add(rb, 8, "again", 2), 0);
	assert_int_equal(al_rowbuf_flush(rb), -EIO); /* the second one fails */
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(add(rb, 9, "after", 3), 0);
	assert_int_equal(al_rowbuf_flush(rb), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), 2);
	al_rowbuf_free(rb);
}

/* clear() drops complete rows and a half-added one. */
static void test_rowbuf_clear_discards_pending_rows(void **state)
{
	sqlite3 *db = *state;
	struct al_rowbuf *rb = new_rowbuf(db);

	assert_int_equal(add(rb, 1, "a", 1), 0);
	al_rowbuf_int(rb, 2);
	al_rowbuf_clear(rb);
	assert_int_equal(add(rb, 3, "c", 3), 0);
	assert_int_equal(al_rowbuf_flush(rb), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM t"), 1);
	al_rowbuf_free(rb);
}

static void test_rowbuf_new_names_sqlite_error(void **state)
{
	struct al_err err;

	assert_null(al_rowbuf_new(*state, "nosuch", "a, b", 2, &err));
	assert_string_equal(err.msg, "no such table: nosuch");
	assert_null(al_rowbuf_new(*state, "t", "id, nosuchcol", 2, &err));
	assert_string_equal(err.msg, "table t has no column named nosuchcol");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rowbuf_inserts_full_groups_then_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rowbuf_cuts_text_past_the_row_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rowbuf_reports_failed_insert_and_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rowbuf_clear_discards_pending_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rowbuf_new_names_sqlite_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
