/* Test helpers for SQLite databases: open, run, read back exactly; and
 * the query log's schema versions 1 and 3 as airlock wrote them, frozen
 * here (not taken from the migrations) so that upgrade and read-old-file
 * tests start from what old files really hold. */
#ifndef TEST_SQLDB_H
#define TEST_SQLDB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

extern const char test_schema_v1[];
extern const char test_schema_v3[];

/* path opened read-write (created if needed), waiting up to 5 s for locks. */
sqlite3 *test_db_open(const char *path);
/* Runs sql; fails the test with SQLite's message if it fails. */
void test_db_exec(sqlite3 *db, const char *sql);
/* The single integer sql returns. */
int64_t test_db_scalar(sqlite3 *db, const char *sql);
/* Every row sql returns, columns joined by '|', each row ended by '\n':
 * one string to compare exactly.  Returns out. */
const char *test_db_rows(sqlite3 *db, const char *sql, char *out, size_t cap);

#endif
