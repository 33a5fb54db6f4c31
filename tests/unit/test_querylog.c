/* The SQLite query log against a real database file in a fresh directory:
 * schema and migrations (a version 1 file made by its own SQL included),
 * every field of a record, answer rows taken from the reply, index slices
 * and their pruning, batching, and loss under overflow recorded in
 * log_gaps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "airlock/logread.h"
#include "airlock/msg.h"
#include "airlock/querylog.h"
#include "reply.h"
#include "sqldb.h"
#include "tmpdir.h"

#define T0 1795514400000000LL /* 2026-11-24T10:00:00Z in microseconds */

struct fixture {
	char dir[64];
	char path[128]; /* dir/query.db, not yet created */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (test_tmpdir_make(f->dir, sizeof(f->dir), "qlog") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/query.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = test_tmpdir_remove(f->dir);

	free(f);
	return rc;
}

static struct al_qlog *log_open(const char *path, size_t queue_len, unsigned batch_rows,
				unsigned batch_ms)
{
	struct al_qlog_opts opts = { queue_len, batch_rows, batch_ms, 0 };
	struct al_qlog *log = NULL;
	struct al_err err = { "" };

	if (al_qlog_open(path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open(%s): %s", path, err.msg);
	assert_non_null(log);
	return log;
}

static void set_addr(struct sockaddr_storage *sa, const char *addr, uint16_t port)
{
	struct al_ip ip;
	socklen_t len;

	assert_int_equal(al_ip_parse(addr, &ip), 0);
	assert_int_equal(al_sockaddr_make(&ip, port, sa, &len), 0);
}

static struct al_logrec record(int64_t time_us, const char *client, const char *qname)
{
	struct al_logrec r;

	memset(&r, 0, sizeof(r));
	r.time_us = time_us;
	set_addr(&r.client, client, 40000);
	snprintf(r.zone, sizeof(r.zone), "inference");
	r.qname_len = (uint16_t)test_name(r.qname, sizeof(r.qname), qname);
	r.qtype = AL_TYPE_A;
	r.action = AL_ACT_UPSTREAM;
	set_addr(&r.upstream, "127.0.0.1", 5300);
	r.latency_us = 1500;
	return r;
}

/* The log frees the reply, so it gets its own heap copy. */
static void attach_reply(struct al_logrec *r, const uint8_t *pkt, size_t len)
{
	r->reply = malloc(len);
	assert_non_null(r->reply);
	memcpy(r->reply, pkt, len);
	r->reply_len = (uint16_t)len;
}

/* Polls the stats until retention has deleted exactly pruned rows and
 * the writer has counted exactly slices slices (10 s at most). */
static void wait_counts(struct al_qlog *log, uint64_t pruned, uint64_t slices,
			struct al_qlog_stats *st)
{
	struct timespec ms = { 0, 2000000 };
	int i;

	al_qlog_get_stats(log, st);
	for (i = 0; i < 5000 && (st->pruned < pruned || st->slices < slices); i++) {
		nanosleep(&ms, NULL);
		al_qlog_get_stats(log, st);
	}
	assert_int_equal(st->pruned, pruned);
	assert_int_equal(st->slices, slices);
}

#define DAY_US ((int64_t)86400 * 1000000)

/* Now, UTC microseconds: for rows that retention must see as old or new. */
static int64_t wall_now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Polls the stats until the writer has committed n rows (10 s at most). */
static void wait_written(struct al_qlog *log, uint64_t n, struct al_qlog_stats *st)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		al_qlog_get_stats(log, st);
		if (st->written >= n)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("writer committed %llu rows of %llu within 10 s",
		 (unsigned long long)st->written, (unsigned long long)n);
}

/* Index columns per table, e.g. "client,ts_us|qname|ts_us". */
#define INDEXES(table)                                                         \
	"SELECT group_concat(cols, '|') FROM (SELECT (SELECT group_concat(name, ',')"  \
	" FROM (SELECT name FROM pragma_index_info(m.name) ORDER BY seqno)) AS cols" \
	" FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL"          \
	" AND m.tbl_name = '" table "' ORDER BY cols)"
#define COLUMNS(table)                                                         \
	"SELECT group_concat(name || ' ' || type || (CASE WHEN \"notnull\" THEN ' NOT NULL'" \
	" ELSE '' END) || (CASE WHEN pk THEN ' PK' ELSE '' END), ', ')"                \
	" FROM (SELECT * FROM pragma_table_info('" table "') ORDER BY cid)"

static void expect_schema(sqlite3 *db)
{
	char out[1024];

	assert_int_equal(test_db_scalar(db, "PRAGMA user_version"), AL_QLOG_SCHEMA_VERSION);
	assert_int_equal(AL_QLOG_SCHEMA_VERSION, 4);
	assert_string_equal(test_db_rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
				 out, sizeof(out)),
			    "answer_ids\nanswers\nclient_ids\nincidents\nlog_gaps\nlog_slices\nqname_ids\nqueries\nseen_domains\n");
	assert_string_equal(test_db_rows(db, COLUMNS("queries"), out, sizeof(out)),
			    "id INTEGER PK, ts_us INTEGER NOT NULL, client TEXT NOT NULL,"
			    " client_port INTEGER NOT NULL, zone TEXT NOT NULL,"
			    " transport TEXT NOT NULL, qname TEXT NOT NULL, qtype INTEGER NOT NULL,"
			    " rcode INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL,"
			    " upstream TEXT NOT NULL, latency_us INTEGER NOT NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("answers"), out, sizeof(out)),
			    "query_id INTEGER NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,"
			    " data TEXT NOT NULL, ttl INTEGER NOT NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("incidents"), out, sizeof(out)),
			    "id INTEGER PK, ts_us INTEGER NOT NULL, severity TEXT NOT NULL,"
			    " kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL,"
			    " name TEXT NOT NULL, detail TEXT NOT NULL, query_id INTEGER\n");
	assert_string_equal(test_db_rows(db, COLUMNS("log_gaps"), out, sizeof(out)),
			    "id INTEGER PK, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL,"
			    " last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL,"
			    " cause TEXT NOT NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("log_slices"), out, sizeof(out)),
			    "slice INTEGER PK, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
			    " first_us INTEGER NOT NULL, last_us INTEGER NOT NULL\n");
	/* The index tables: clustered on (slice, key), a list of ids per key. */
	assert_string_equal(test_db_rows(db, COLUMNS("qname_ids"), out, sizeof(out)),
			    "slice INTEGER NOT NULL PK, qname TEXT NOT NULL PK, ids TEXT NOT NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("client_ids"), out, sizeof(out)),
			    "slice INTEGER NOT NULL PK, client TEXT NOT NULL PK, ids TEXT NOT NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("answer_ids"), out, sizeof(out)),
			    "slice INTEGER NOT NULL PK, data TEXT NOT NULL PK, ids TEXT NOT NULL\n");
	assert_string_equal(test_db_rows(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_list"
				     " WHERE wr = 1 ORDER BY name)", out, sizeof(out)),
			    "answer_ids,client_ids,qname_ids,seen_domains\n");
	assert_string_equal(test_db_rows(db, "SELECT group_concat(name || ':' || pk, ',') FROM"
				     " (SELECT name, pk FROM pragma_table_info('client_ids') ORDER BY cid)",
				 out, sizeof(out)),
			    "slice:1,client:2,ids:0\n");
	/* Only indexes that take their keys in order on the write path. */
	assert_string_equal(test_db_rows(db, INDEXES("queries"), out, sizeof(out)), "ts_us\n");
	assert_string_equal(test_db_rows(db, INDEXES("answers"), out, sizeof(out)), "query_id\n");
	assert_string_equal(test_db_rows(db, INDEXES("incidents"), out, sizeof(out)), "kind,ts_us|ts_us\n");
	assert_string_equal(test_db_rows(db, INDEXES("log_gaps"), out, sizeof(out)), "NULL\n");
	assert_string_equal(test_db_rows(db, COLUMNS("seen_domains"), out, sizeof(out)),
			    "domain TEXT NOT NULL PK, first_seen_us INTEGER NOT NULL\n");
	assert_string_equal(test_db_rows(db, "SELECT \"table\", \"from\", \"to\", on_delete"
				     " FROM pragma_foreign_key_list('answers')", out, sizeof(out)),
			    "queries|query_id|id|CASCADE\n");
	assert_string_equal(test_db_rows(db, "SELECT \"table\", \"from\", \"to\", on_delete"
				     " FROM pragma_foreign_key_list('incidents')", out, sizeof(out)),
			    "queries|query_id|id|SET NULL\n");
}

static void test_qlog_open_creates_schema_in_wal_mode(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	char out[64];
	sqlite3 *db;

	al_qlog_close(log);
	db = test_db_open(f->path);
	expect_schema(db);
	assert_string_equal(test_db_rows(db, "PRAGMA journal_mode", out, sizeof(out)), "wal\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps"), 0);
	sqlite3_close(db);
}

static void test_qlog_migrate_upgrades_empty_database_once(void **state)
{
	struct fixture *f = *state;
	struct al_err err = { "" };
	sqlite3 *db = test_db_open(f->path);

	assert_int_equal(test_db_scalar(db, "PRAGMA user_version"), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM sqlite_master"), 0);
	assert_int_equal(al_qlog_migrate(db, &err), 0);
	expect_schema(db);
	test_db_exec(db, "INSERT INTO queries VALUES (7, 1, '127.0.2.1', 1, 'z', 'udp', 'a.', 1, 0,"
		    " 'cache', '', '', 1)");
	/* Already current: nothing is created or lost. */
	assert_int_equal(al_qlog_migrate(db, &err), 0);
	expect_schema(db);
	assert_int_equal(test_db_scalar(db, "SELECT id FROM queries"), 7);
	sqlite3_close(db);

	/* The migrated file opens as a query log as it is. */
	al_qlog_close(log_open(f->path, 64, 100, 10));
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1);
	sqlite3_close(db);
}

static void test_qlog_refuses_newer_schema_version(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 100, 10, 0 };
	struct al_qlog *log = NULL;
	struct al_err err = { "" };
	sqlite3 *db = test_db_open(f->path);

	test_db_exec(db, "PRAGMA user_version = 99");
	assert_int_equal(al_qlog_migrate(db, &err), -EIO);
	if (!strstr(err.msg, "99"))
		fail_msg("message \"%s\" lacks \"99\"", err.msg);
	sqlite3_close(db);

	memset(&err, 0, sizeof(err));
	assert_true(al_qlog_open(f->path, &opts, &log, &err) < 0);
	assert_null(log);
	if (!strstr(err.msg, f->path) || !strstr(err.msg, "99"))
		fail_msg("message \"%s\" lacks \"%s\" or \"99\"", err.msg, f->path);
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "PRAGMA user_version"), 99);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM sqlite_master"), 0);
	/* Checked before anything changed: still in its own journal mode. */
	assert_string_equal(test_db_rows(db, "PRAGMA journal_mode", err.msg, sizeof(err.msg)), "delete\n");
	sqlite3_close(db);
}

static void test_qlog_open_names_path_in_missing_directory(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 100, 10, 0 };
	struct al_qlog *log = NULL;
	struct al_err err = { "" };
	char path[192];

	snprintf(path, sizeof(path), "%s/missing/query.db", f->dir);
	assert_true(al_qlog_open(path, &opts, &log, &err) < 0);
	assert_null(log);
	if (!strstr(err.msg, path))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, path);
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_qlog_names_every_action(void **state)
{
	(void)state;

	assert_string_equal(al_action_name(AL_ACT_CACHE), "cache");
	assert_string_equal(al_action_name(AL_ACT_UPSTREAM), "upstream");
	assert_string_equal(al_action_name(AL_ACT_LOCAL), "local");
	assert_string_equal(al_action_name(AL_ACT_BLOCKED), "blocked");
	assert_string_equal(al_action_name(AL_ACT_REFUSED), "refused");
	assert_string_equal(al_action_name(AL_ACT_FAILED), "failed");
}

static void test_qlog_writes_every_field(void **state)
{
	static const enum al_action actions[] = { AL_ACT_CACHE, AL_ACT_UPSTREAM, AL_ACT_LOCAL,
						  AL_ACT_BLOCKED, AL_ACT_REFUSED, AL_ACT_FAILED };
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_logrec r;
	char out[2048];
	sqlite3 *db;
	size_t i;

	for (i = 0; i < 6; i++) {
		char qname[64];

		snprintf(qname, sizeof(qname), "h%zu.example.", i);
		r = record(T0 + 123456 + (int64_t)i, i == 5 ? "2001:db8::53" : "127.0.2.1", qname);
		set_addr(&r.client, i == 5 ? "2001:db8::53" : "127.0.2.1", (uint16_t)(40000 + i));
		r.tcp = i % 2 == 1;
		r.qtype = i == 2 ? AL_TYPE_AAAA : AL_TYPE_A;
		r.rcode = i == 4 ? 5 : i == 5 ? 2 : 0;
		r.action = actions[i];
		if (i == 3)
			snprintf(r.reason, sizeof(r.reason), "policy:deny-paste");
		if (i != 1 && i != 5)
			r.upstream.ss_family = AF_UNSPEC;
		if (i == 4)
			r.zone[0] = '\0';
		r.latency_us = (uint32_t)(1000 * i + 7);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT ts_us, client, client_port, zone, transport, qname, qtype,"
				     " rcode, action, reason, upstream, latency_us FROM queries ORDER BY id",
				 out, sizeof(out)),
			    "1795514400123456|127.0.2.1|40000|inference|udp|h0.example.|1|0|cache|||7\n"
			    "1795514400123457|127.0.2.1|40001|inference|tcp|h1.example.|1|0|upstream||127.0.0.1:5300|1007\n"
			    "1795514400123458|127.0.2.1|40002|inference|udp|h2.example.|28|0|local|||2007\n"
			    "1795514400123459|127.0.2.1|40003|inference|tcp|h3.example.|1|0|blocked|policy:deny-paste||3007\n"
			    "1795514400123460|127.0.2.1|40004||udp|h4.example.|1|5|refused|||4007\n"
			    "1795514400123461|2001:db8::53|40005|inference|tcp|h5.example.|1|2|failed||127.0.0.1:5300|5007\n");
	/* Integers are stored as integers, so range filters and sums work. */
	assert_string_equal(test_db_rows(db, "SELECT DISTINCT typeof(ts_us), typeof(client_port), typeof(qtype),"
				     " typeof(rcode), typeof(latency_us) FROM queries", out, sizeof(out)),
			    "integer|integer|integer|integer|integer\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 0);
	sqlite3_close(db);
}

static void test_qlog_writes_address_and_cname_answers(void **state)
{
	static const char *const rrs[] = {
		"AN www.example. 300 IN CNAME Web.Example.",
		"AN Web.Example. 60 IN A 192.0.2.7",
		"AN web.example. 60 IN AAAA 2001:db8::7",
		"AN web.example. 60 IN TXT \"not an address\"",
		"NS example. 300 IN SOA ns.example. host.example. 1 7200 900 1209600 60",
		"AR ns.example. 300 IN A 192.0.2.53",
		NULL };
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_logrec r;
	uint8_t pkt[1024];
	size_t n = test_reply(pkt, sizeof(pkt), 7, "www.example.", AL_TYPE_A, 0, 1, rrs);
	char out[1024];
	sqlite3 *db;

	r = record(T0, "127.0.2.1", "first.example."); /* so the id is not 1 */
	assert_int_equal(al_qlog_submit(log, &r), 0);
	r = record(T0 + 1, "127.0.2.1", "www.example.");
	attach_reply(&r, pkt, n);
	assert_int_equal(al_qlog_submit(log, &r), 0);
	r = record(T0 + 2, "127.0.2.1", "last.example.");
	assert_int_equal(al_qlog_submit(log, &r), 0);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 3);
	assert_string_equal(test_db_rows(db, "SELECT a.query_id = q.id, a.name, a.type, a.data, a.ttl"
				     " FROM answers a LEFT JOIN queries q ON q.qname = 'www.example.'"
				     " ORDER BY a.rowid", out, sizeof(out)),
			    "1|www.example.|5|web.example.|300\n"
			    "1|web.example.|1|192.0.2.7|60\n"
			    "1|web.example.|28|2001:db8::7|60\n");
	sqlite3_close(db);
}

static void test_qlog_prunes_rows_past_retention_with_their_answers(void **state)
{
	static const char *const rrs[] = { "AN old.example. 60 IN A 192.0.2.9", NULL };
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 1, 10, 1 }; /* keep one day */
	struct al_qlog *log = NULL;
	struct al_qlog_stats st;
	struct al_err err = { "" };
	struct timespec ms = { 0, 1000000 };
	struct al_logrec r;
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 7, "old.example.", AL_TYPE_A, 0, 0, rrs);
	int64_t now_us, day = DAY_US;
	char out[256];
	sqlite3 *db;
	int i;

	now_us = wall_now_us();
	if (al_qlog_open(f->path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open: %s", err.msg);
	for (i = 0; i < 3; i++) {
		r = record(now_us - 3 * day + i, "127.0.2.1", "old.example.");
		attach_reply(&r, pkt, n);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	r = record(now_us - day / 2, "127.0.2.1", "recent.example.");
	assert_int_equal(al_qlog_submit(log, &r), 0);
	r = record(now_us, "127.0.2.1", "new.example.");
	assert_int_equal(al_qlog_submit(log, &r), 0);
	wait_written(log, 5, &st);
	for (i = 0; i < 5000 && st.pruned < 3; i++) {
		nanosleep(&ms, NULL);
		al_qlog_get_stats(log, &st);
	}
	al_qlog_close(log);
	assert_int_equal(st.pruned, 3);

	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT qname FROM queries ORDER BY ts_us", out, sizeof(out)),
			    "recent.example.\nnew.example.\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 0); /* cascaded */
	sqlite3_close(db);
}

static void submit_named(struct al_qlog *log, int64_t time_us, const char *qname);

/* Polls db until sql returns want (10 s at most). */
static void wait_rows(sqlite3 *db, const char *sql, const char *want)
{
	struct timespec ms = { 0, 2000000 };
	char out[1024];
	int i;

	for (i = 0; i < 5000; i++) {
		if (!strcmp(test_db_rows(db, sql, out, sizeof(out)), want))
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("%s: expected \"%s\", saw \"%s\" after 10 s", sql, want, out);
}

/* What the index tables hold, slice by slice, as one string. */
#define SLICES "SELECT slice || ':' || first_id || '-' || last_id FROM log_slices ORDER BY slice"

/* The three index tables hold exactly these rows ("slice|key|ids\n"...). */
static void expect_lists(sqlite3 *db, const char *qnames, const char *clients, const char *answers)
{
	char out[2048];

	assert_string_equal(test_db_rows(db, "SELECT slice, qname, ids FROM qname_ids", out, sizeof(out)), qnames);
	assert_string_equal(test_db_rows(db, "SELECT slice, client, ids FROM client_ids", out, sizeof(out)), clients);
	assert_string_equal(test_db_rows(db, "SELECT slice, data, ids FROM answer_ids", out, sizeof(out)), answers);
}

/* Every slice_rows ids, the writer indexes a slice: each index table gets
 * a row per key of the slice's rows with their ids; rows after the last
 * slice wait. */
static void test_qlog_indexes_slices_as_rows_arrive(void **state)
{
	static const char *const rrs[] = {
		"AN www.example. 300 IN CNAME web.example.",
		"AN web.example. 60 IN A 192.0.2.7",
		"AN web.example. 60 IN A 192.0.2.7", /* twice: one index entry */
		"AN web.example. 60 IN AAAA 2001:db8::7",
		NULL };
	static const char *const clients[] = { "127.0.2.9", "127.0.2.1", "::1" };
	static const char *const names[] = { "b.example.", "www.example.", "a.example." };
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_qlog_stats st;
	struct al_logrec r;
	uint8_t pkt[1024];
	size_t n = test_reply(pkt, sizeof(pkt), 7, "www.example.", AL_TYPE_A, 0, 0, rrs);
	char out[2048];
	sqlite3 *db;
	int i;

	al_qlog_set_slice_rows(log, 4);
	for (i = 0; i < 10; i++) {
		r = record(T0 + 10 - i, clients[i % 3], names[i % 3]);
		if (i % 3 == 1)
			attach_reply(&r, pkt, n);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	wait_written(log, 10, &st);
	db = test_db_open(f->path);
	wait_rows(db, SLICES, "1:1-4\n2:5-8\n");
	wait_counts(log, 0, 2, &st);
	al_qlog_close(log);
	assert_int_equal(st.slices_read_back, 0); /* the lists collected as the rows were written */

	/* ts_us went backwards: first_us and last_us are the extremes. */
	assert_string_equal(test_db_rows(db, "SELECT first_us - 1795514400000000, last_us - 1795514400000000"
				     " FROM log_slices ORDER BY slice", out, sizeof(out)),
			    "7|10\n3|6\n");
	expect_lists(db,
		     "1|a.example.|[3]\n1|b.example.|[1,4]\n1|www.example.|[2]\n"
		     "2|a.example.|[6]\n2|b.example.|[7]\n2|www.example.|[5,8]\n",
		     "1|127.0.2.1|[2]\n1|127.0.2.9|[1,4]\n1|::1|[3]\n"
		     "2|127.0.2.1|[5,8]\n2|127.0.2.9|[7]\n2|::1|[6]\n",
		     "1|192.0.2.7|[2]\n1|2001:db8::7|[2]\n"
		     "2|192.0.2.7|[5,8]\n2|2001:db8::7|[5,8]\n");
	/* CNAME targets are in answers, not in answer_ids: it serves address lookups. */
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers WHERE type = 5"), 3);
	/* The answers table keeps both copies of the doubled record. */
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers WHERE query_id = 2"), 4);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 10);
	sqlite3_close(db);
}

/* The rows of a slice written by an earlier connection (before a
 * restart) are read back when the slice is indexed: its lists hold them
 * with the rows written since. */
static void test_qlog_indexes_rows_written_before_a_restart(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1, 10);
	struct al_qlog_stats st;
	sqlite3 *db;
	int i;

	al_qlog_set_slice_rows(log, 4);
	for (i = 0; i < 3; i++)
		submit_named(log, T0 + i, i == 1 ? "b.example." : "a.example.");
	wait_written(log, 3, &st);
	al_qlog_close(log);
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_slices"), 0);

	log = log_open(f->path, 64, 1, 10);
	al_qlog_set_slice_rows(log, 4);
	for (i = 3; i < 8; i++)
		submit_named(log, T0 + i, i % 2 ? "b.example." : "a.example.");
	wait_written(log, 5, &st);
	wait_rows(db, SLICES, "1:1-4\n2:5-8\n");
	wait_counts(log, 0, 2, &st);
	al_qlog_close(log);
	/* Slice 1 from the rows (three came before the restart), slice 2 from
	 * the lists collected since. */
	assert_int_equal(st.slices_read_back, 1);
	expect_lists(db, "1|a.example.|[1,3]\n1|b.example.|[2,4]\n2|a.example.|[5,7]\n2|b.example.|[6,8]\n",
		     "1|127.0.2.1|[1,2,3,4]\n2|127.0.2.1|[5,6,7,8]\n", "");
	sqlite3_close(db);
}

/* Rows of the tail that retention deletes leave the lists collected in
 * memory: the next rows take their ids again (nothing is left after the
 * last slice), and a list must not give them the old rows' names. */
static void test_qlog_lists_forget_pruned_rows_of_the_tail(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 1, 10, 1 }; /* keep one day */
	struct al_qlog *log;
	struct al_qlog_stats st;
	struct al_err err = { "" };
	int64_t now_us;
	sqlite3 *db;
	int i;

	now_us = wall_now_us();
	if (al_qlog_open(f->path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open: %s", err.msg);
	al_qlog_set_slice_rows(log, 4);
	for (i = 0; i < 3; i++)
		submit_named(log, now_us - 3 * DAY_US + i, "old.example.");
	wait_written(log, 3, &st);
	wait_counts(log, 3, 0, &st);
	for (i = 0; i < 4; i++)
		submit_named(log, now_us + i, "new.example.");
	wait_written(log, 7, &st);
	db = test_db_open(f->path);
	wait_rows(db, SLICES, "1:1-4\n");
	al_qlog_close(log);
	expect_lists(db, "1|new.example.|[1,2,3,4]\n", "1|127.0.2.1|[1,2,3,4]\n", "");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'new.example.'"), 4);
	sqlite3_close(db);
}

/* Retention emptying the tail while a slice is being closed (between its
 * steps): new rows do not take the ids of its range, which the index
 * tables already written for it name. */
static void test_qlog_gives_no_id_of_a_slice_being_closed(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 1, 10, 1 }; /* keep one day */
	struct al_qlog *log = log_open(f->path, 64, 1, 10);
	struct al_qlog_stats st;
	struct al_err err = { "" };
	int64_t now_us = wall_now_us();
	char out[256];
	sqlite3 *db;
	int i;

	/* Four rows of three days ago, no retention, no slice yet. */
	for (i = 0; i < 4; i++)
		submit_named(log, now_us - 3 * DAY_US + i, "old.example.");
	wait_written(log, 4, &st);
	al_qlog_close(log);
	/* Again with retention, four ids a slice: the first wake-up takes the
	 * first step of slice 1 (1-4), then retention deletes its rows. */
	if (al_qlog_open(f->path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open: %s", err.msg);
	al_qlog_set_slice_rows(log, 4);
	wait_counts(log, 4, 0, &st);
	for (i = 0; i < 2; i++)
		submit_named(log, now_us + i, "new.example.");
	wait_written(log, 2, &st);
	al_qlog_close(log);
	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT id, qname FROM queries", out, sizeof(out)),
			    "5|new.example.\n6|new.example.\n");
	/* No list names them under another key. */
	assert_int_equal(test_db_scalar(db, "SELECT (SELECT count(*) FROM qname_ids x, json_each(x.ids) j"
				 " WHERE j.value > 4 AND x.qname != 'new.example.')"
				 " + (SELECT count(*) FROM qname_ids x, json_each(x.ids) j WHERE j.value <= 4"
				 " AND x.qname != 'old.example.')"), 0);
	sqlite3_close(db);
}

/* Retention deleting rows of a closed slice leaves the lists of the next
 * one alone: they are collected as the rows are written, not read back.
 * (Retention drops the first slice whole, so the next is number 1 again
 * and starts at id 1, below its first row.) */
static void test_qlog_lists_survive_retention_of_older_slices(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 6, 60000, 1 }; /* batches of 6 rows; keep one day */
	struct al_qlog *log;
	struct al_qlog_stats st;
	struct al_err err = { "" };
	int64_t now_us = wall_now_us();
	char out[64];
	sqlite3 *db;
	int i;

	if (al_qlog_open(f->path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open: %s", err.msg);
	al_qlog_set_slice_rows(log, 4);
	/* One batch: four expired rows (slice 1), two recent ones (the tail).
	 * Slice 1 closes, then retention deletes its rows. */
	for (i = 0; i < 6; i++)
		submit_named(log, i < 4 ? now_us - 3 * DAY_US + i : now_us + i,
			     i < 4 ? "old.example." : "new.example.");
	wait_written(log, 6, &st);
	wait_counts(log, 4, 1, &st);
	for (i = 6; i < 8; i++)
		submit_named(log, now_us + i, "new.example.");
	/* Fewer than a batch, and batch_ms is long: each flush wakes the
	 * writer, which writes them, then takes a slice step or more. */
	db = test_db_open(f->path);
	for (i = 0; i < 50 && strcmp(test_db_rows(db, SLICES, out, sizeof(out)), "1:1-8\n") != 0; i++)
		assert_int_equal(al_qlog_flush(log, 10000), 0);
	assert_string_equal(out, "1:1-8\n");
	wait_counts(log, 4, 2, &st);
	al_qlog_close(log);
	assert_int_equal(st.slices_read_back, 0);
	expect_lists(db, "1|new.example.|[5,6,7,8]\n", "1|127.0.2.1|[5,6,7,8]\n", "");
	sqlite3_close(db);
}

/* Were every row pruned, SQLite would number new rows from 1 again, below
 * the slices: they would be neither in a slice nor in the tail.  The
 * writer numbers them after the last slice. */
static void test_qlog_numbers_rows_after_the_last_slice(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log;
	struct al_qlog_stats st;
	struct al_err err = { "" };
	char out[256];
	sqlite3 *db = test_db_open(f->path);

	assert_int_equal(al_qlog_migrate(db, &err), 0);
	test_db_exec(db, "INSERT INTO queries VALUES (1, 1, '127.0.2.1', 1, 'z', 'udp', 'a.', 1, 0, 'cache', '', '', 1),"
		    " (2, 2, '127.0.2.1', 1, 'z', 'udp', 'b.', 1, 0, 'cache', '', '', 1)");
	assert_int_equal(al_qlog_index_tail(db, 2, &err), 0);
	test_db_exec(db, "DELETE FROM queries");
	sqlite3_close(db);

	log = log_open(f->path, 64, 1, 10);
	submit_named(log, T0, "after.example.");
	wait_written(log, 1, &st);
	al_qlog_close(log);
	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT id, qname FROM queries", out, sizeof(out)), "3|after.example.\n");
	sqlite3_close(db);
}

/* Retention drops a slice's index rows and its log_slices row, in steps
 * of at most 1000 rows, once none of its queries rows is left; a slice
 * with a row left keeps them. */
static void test_qlog_prunes_index_slices_left_without_rows(void **state)
{
	struct fixture *f = *state;
	struct al_qlog_opts opts = { 64, 100, 10, 1 }; /* keep one day */
	struct al_qlog *log;
	struct al_qlog_stats st;
	struct al_err err = { "" };
	struct al_logrec r;
	int64_t now_us, day = DAY_US;
	char name[64];
	sqlite3 *db;
	int i;

	now_us = wall_now_us();
	/* Written without retention: 2500 old rows, then 2500 recent ones,
	 * each with a name of its own (a qname_ids row each). */
	log = log_open(f->path, 8192, 100, 10);
	al_qlog_set_slice_rows(log, 2500);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "%s-%d.example.", i < 2500 ? "old" : "recent", i);
		r = record(i < 2500 ? now_us - 3 * day + i : now_us - day / 2 + i, "127.0.2.1", name);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	wait_written(log, 5000, &st);
	db = test_db_open(f->path);
	wait_rows(db, SLICES, "1:1-2500\n2:2501-5000\n");
	al_qlog_close(log);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM qname_ids WHERE slice = 1"), 2500);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM client_ids WHERE slice = 1"), 1);

	if (al_qlog_open(f->path, &opts, &log, &err) != 0)
		fail_msg("al_qlog_open: %s", err.msg);
	wait_rows(db, SLICES, "2:2501-5000\n");
	al_qlog_get_stats(log, &st);
	al_qlog_close(log);
	assert_int_equal(st.pruned, 2500);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 2500);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM qname_ids"), 2500);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM client_ids"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT min(slice) FROM qname_ids"), 2);
	assert_int_equal(test_db_scalar(db, "SELECT min(slice) FROM client_ids"), 2);
	sqlite3_close(db);
}

/* who-resolved ADDRESS and log --client IP, as `airlock` prints them. */
static int on_resolved(const struct al_logresolved *a, void *arg)
{
	char *out = arg;
	size_t o = strlen(out);

	snprintf(out + o, 1024 - o, "%lld:%s:%s:%s:%lld,", (long long)a->query_id, a->client,
		 a->qname, a->name, (long long)a->ttl);
	return 0;
}

static int on_query(const struct al_logquery *q, void *arg)
{
	char *out = arg;
	size_t o = strlen(out);

	snprintf(out + o, 1024 - o, "%lld:%s:%zu,", (long long)q->id, q->qname, q->nanswers);
	return 0;
}

static const char *investigate(const char *path, char *out)
{
	static const char *const ips[] = { "192.0.2.1", "192.0.2.2", "2001:db8::1" };
	static const char *const clients[] = { "10.0.2.15", "10.0.2.16" };
	struct al_logread_cb cb = { on_query, NULL, on_resolved, out };
	struct al_logread *lr = NULL;
	struct al_logfilter flt;
	struct al_err err = { "" };
	size_t i;

	out[0] = '\0';
	if (al_logread_open(path, &lr, &err) != 0)
		fail_msg("al_logread_open: %s", err.msg);
	for (i = 0; i < 3; i++) {
		al_logfilter_init(&flt, AL_LOGREAD_ANSWERS);
		assert_int_equal(al_logfilter_set_ip(&flt, ips[i], &err), 0);
		assert_int_equal(al_logread_run(lr, &flt, &cb, &err), 0);
	}
	for (i = 0; i < 2; i++) {
		al_logfilter_init(&flt, AL_LOGREAD_QUERIES);
		assert_int_equal(al_logfilter_set(&flt, "client", clients[i], T0, &err), 0);
		assert_int_equal(al_logread_run(lr, &flt, &cb, &err), 0);
	}
	al_logread_close(lr);
	return out;
}

/* An old file made by that version's SQL (schema_sql), with these rows
 * and what extra_sql adds: the migrations keep every row; the writer
 * indexes the rows already there as slices (the old slices again, from
 * their rows), and the CLI's lookups give what they gave before. */
static void expect_upgrade(struct fixture *f, const char *schema_sql, const char *extra_sql)
{
	struct al_qlog *log;
	struct al_qlog_stats st;
	char before[1024], after[1024], out[1024];
	sqlite3 *db = test_db_open(f->path);

	test_db_exec(db, schema_sql);
	test_db_exec(db, "INSERT INTO queries VALUES"
		    " (1, 1795514401000000, '10.0.2.15', 40001, 'inference', 'udp', 'example.com.', 1, 0, 'upstream', '', '127.0.0.1:53', 1500),"
		    " (2, 1795514402000000, '10.0.2.16', 40002, 'inference', 'udp', 'www.example.com.', 28, 0, 'cache', '', '', 45),"
		    " (3, 1795514403000000, '10.0.2.15', 40003, 'data', 'tcp', 'notexample.com.', 1, 0, 'upstream', '', '127.0.0.1:53', 2000),"
		    " (4, 1795514404000000, '10.0.2.16', 40004, 'inference', 'udp', 'a.example.', 1, 3, 'upstream', '', '127.0.0.1:53', 900),"
		    " (5, 1795514405000000, '10.0.2.15', 40005, 'inference', 'udp', 'example.com.', 1, 0, 'cache', '', '', 10);"
		    "INSERT INTO answers VALUES"
		    " (1, 'example.com.', 1, '192.0.2.1', 300),"
		    " (2, 'www.example.com.', 5, 'example.com.', 60),"
		    " (2, 'example.com.', 28, '2001:db8::1', 60),"
		    " (3, 'notexample.com.', 1, '192.0.2.1', 10),"
		    " (3, 'notexample.com.', 1, '192.0.2.2', 10),"
		    " (5, 'example.com.', 1, '192.0.2.1', 299);"
		    "INSERT INTO incidents VALUES"
		    " (1, 1795514402000000, 'high', 'tunnel', 'inference', '10.0.2.16', 'www.example.com.', '{}', 2);"
		    "INSERT INTO log_gaps VALUES (1, 1795514406000000, 1795514405500000, 1795514405600000, 7, 'queue full');");
	test_db_exec(db, extra_sql);
	sqlite3_close(db);
	investigate(f->path, before);
	assert_string_equal(before, "1:10.0.2.15:example.com.:example.com.:300,3:10.0.2.15:notexample.com.:notexample.com.:10,"
				    "5:10.0.2.15:example.com.:example.com.:299,3:10.0.2.15:notexample.com.:notexample.com.:10,"
				    "2:10.0.2.16:www.example.com.:example.com.:60,"
				    "1:example.com.:1,3:notexample.com.:2,5:example.com.:1,2:www.example.com.:2,4:a.example.:0,");

	log = log_open(f->path, 64, 1, 10);
	al_qlog_set_slice_rows(log, 2);
	submit_named(log, T0 + 6000000, "new.example.");
	wait_written(log, 1, &st);
	db = test_db_open(f->path);
	wait_rows(db, SLICES, "1:1-2\n2:3-4\n3:5-6\n");
	al_qlog_close(log);

	expect_schema(db);
	assert_string_equal(test_db_rows(db, "SELECT id, qname FROM queries ORDER BY id", out, sizeof(out)),
			    "1|example.com.\n2|www.example.com.\n3|notexample.com.\n4|a.example.\n"
			    "5|example.com.\n6|new.example.\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 6);
	assert_string_equal(test_db_rows(db, "SELECT id, query_id FROM incidents", out, sizeof(out)), "1|2\n");
	assert_string_equal(test_db_rows(db, "SELECT id, rows_lost FROM log_gaps", out, sizeof(out)), "1|7\n");
	expect_lists(db,
		     "1|example.com.|[1]\n1|www.example.com.|[2]\n2|a.example.|[4]\n2|notexample.com.|[3]\n"
		     "3|example.com.|[5]\n3|new.example.|[6]\n",
		     "1|10.0.2.15|[1]\n1|10.0.2.16|[2]\n2|10.0.2.15|[3]\n"
		     "2|10.0.2.16|[4]\n3|10.0.2.15|[5]\n3|127.0.2.1|[6]\n",
		     "1|192.0.2.1|[1]\n1|2001:db8::1|[2]\n2|192.0.2.1|[3]\n2|192.0.2.2|[3]\n"
		     "3|192.0.2.1|[5]\n");
	sqlite3_close(db);
	assert_string_equal(investigate(f->path, after), before);
}

/* Version 1: three random-order indexes, no slices. */
static void test_qlog_migrates_version_1_file(void **state)
{
	expect_upgrade(*state, test_schema_v1, "");
}

/* Version 3: an index row per row (the CLI reads the file before the
 * upgrade by scanning: it does not read version 3's index tables). */
static void test_qlog_migrates_version_3_file(void **state)
{
	expect_upgrade(*state, test_schema_v3,
		       "INSERT INTO log_slices VALUES (1, 1, 2, 1795514401000000, 1795514402000000);"
		       "INSERT INTO qname_idx VALUES (1, 'example.com.', 1), (1, 'www.example.com.', 2);"
		       "INSERT INTO client_idx VALUES (1, '10.0.2.15', 1795514401000000, 1),"
		       " (1, '10.0.2.16', 1795514402000000, 2);"
		       "INSERT INTO answer_idx VALUES (1, '192.0.2.1', 1), (1, '2001:db8::1', 2);");
}

static void test_qlog_keeps_query_with_malformed_reply(void **state)
{
	static const uint8_t junk[] = { 0x12, 0x34, 0x81, 0x80, 0x00 };
	static const char *const lie[] = { "AN www.example. 60 IN A 192.0.2.9", NULL };
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_logrec r;
	uint8_t pkt[512];
	size_t n;
	char out[256];
	sqlite3 *db;

	r = record(T0, "127.0.2.1", "five.example.");
	attach_reply(&r, junk, sizeof(junk));
	assert_int_equal(al_qlog_submit(log, &r), 0);
	/* A real reply cut short inside its answer: the header promises a
	 * record that is not all there. */
	n = test_reply(pkt, sizeof(pkt), 7, "www.example.", AL_TYPE_A, 0, 0, lie);
	r = record(T0 + 1, "127.0.2.1", "www.example.");
	attach_reply(&r, pkt, n - 2);
	assert_int_equal(al_qlog_submit(log, &r), 0);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT ts_us, qname FROM queries ORDER BY id", out, sizeof(out)),
			    "1795514400000000|five.example.\n1795514400000001|www.example.\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 0);
	sqlite3_close(db);
}

static void test_qlog_writes_every_record_of_a_burst(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 2048, 100, 20);
	struct al_qlog_stats st;
	struct al_logrec r;
	char name[64];
	sqlite3 *db;
	int i;

	char rr[128];
	const char *rrs[] = { rr, NULL };
	uint8_t pkt[512];
	size_t n;

	/* Each with its own A answer: the rows go in 16 at a time and the
	 * batches of 100 end between groups, yet each answer row is linked
	 * to its own query. */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example.", i);
		snprintf(rr, sizeof(rr), "AN %s 60 IN A 198.51.%d.%d", name, i / 256, i % 256);
		n = test_reply(pkt, sizeof(pkt), 7, name, AL_TYPE_A, 0, 1, rrs);
		r = record(T0 + i, "127.0.2.1", name);
		attach_reply(&r, pkt, n);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	wait_written(log, 1000, &st);
	assert_int_equal(st.submitted, 1000);
	assert_int_equal(st.written, 1000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.gap_rows, 0);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(st.queued, 0);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1000);
	assert_int_equal(test_db_scalar(db, "SELECT count(DISTINCT ts_us) FROM queries"), 1000);
	assert_int_equal(test_db_scalar(db, "SELECT min(ts_us) FROM queries"), T0);
	assert_int_equal(test_db_scalar(db, "SELECT max(ts_us) FROM queries"), T0 + 999);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'n999.example.'"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 1000);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers a JOIN queries q ON q.id = a.query_id"
				    " WHERE a.name = q.qname AND a.data = '198.51.' || ((q.ts_us - 1795514400000000) / 256)"
				    " || '.' || ((q.ts_us - 1795514400000000) % 256)"), 1000);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps"), 0);
	sqlite3_close(db);
}

/* Within a batch each query's row goes in before its answers: a trigger
 * refuses an answers row whose query is not there yet, and the writer
 * still commits every row at the first try (two answers a query fill
 * the answers' 16-row groups twice as fast as the queries'). */
static void test_qlog_writes_query_row_before_its_answers(void **state)
{
	static const char *const rrs[] = { "AN www.example. 300 IN CNAME web.example.",
					   "AN web.example. 60 IN A 192.0.2.7", NULL };
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 256, 100, 10);
	struct al_qlog_stats st;
	struct al_logrec r;
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 7, "www.example.", AL_TYPE_A, 0, 0, rrs);
	sqlite3 *db;
	int i;

	al_qlog_close(log); /* the schema is made; now the trigger */
	db = test_db_open(f->path);
	test_db_exec(db, "CREATE TRIGGER answer_needs_query BEFORE INSERT ON answers"
		    " WHEN NOT EXISTS (SELECT 1 FROM queries WHERE id = NEW.query_id)"
		    " BEGIN SELECT RAISE(ABORT, 'answer before its query'); END");
	sqlite3_close(db);
	log = log_open(f->path, 256, 40, 60000); /* the 40 records in one batch */
	for (i = 0; i < 40; i++) {
		r = record(T0 + i, "127.0.2.1", "www.example.");
		attach_reply(&r, pkt, n);
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	wait_written(log, 40, &st);
	assert_int_equal(st.write_errors, 0);
	al_qlog_close(log);
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 80);
	sqlite3_close(db);
}

/* Rate-limited queries (no row, by choice) are summed for 10 s into one
 * log_gaps row, not one per batch; at close whatever is held is written. */
static void test_qlog_sums_rate_limited_gaps(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_logrec r;
	char out[256];
	sqlite3 *db;

	al_qlog_unlogged(log, 3, T0 + 5, T0 + 7);
	al_qlog_unlogged(log, 2, T0 + 1, T0 + 9);
	r = record(T0 + 10, "127.0.2.1", "www.example.");
	assert_int_equal(al_qlog_submit(log, &r), 0);
	assert_int_equal(al_qlog_flush(log, 5000), 0); /* a batch is committed ... */
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps"), 0); /* ... without the held count */
	sqlite3_close(db);
	al_qlog_unlogged(log, 4, T0 + 20, T0 + 30);
	al_qlog_close(log);
	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT rows_lost, first_lost_us - 1795514400000000,"
				     " last_lost_us - 1795514400000000, cause FROM log_gaps", out, sizeof(out)),
			    "9|1|30|rate limited\n");
	sqlite3_close(db);
}

static void test_qlog_commits_partial_batch_after_batch_ms(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1000, 20);
	struct al_qlog_stats st;
	struct al_logrec r;
	sqlite3 *db;
	int i;

	for (i = 0; i < 3; i++) {
		r = record(T0 + i, "127.0.2.1", "www.example.");
		assert_int_equal(al_qlog_submit(log, &r), 0);
	}
	/* Far fewer than batch_rows: only the timer can commit them. */
	wait_written(log, 3, &st);
	assert_int_equal(st.written, 3);
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 3);
	sqlite3_close(db);
	al_qlog_close(log);
}

/* batch_rows above the queue size: a full queue is a batch, not a wait
 * for the timer (here ten minutes). */
static void test_qlog_full_queue_commits_without_timer(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 16, 1000, 600000);
	struct al_qlog_stats st;
	int i;

	for (i = 0; i < 16; i++)
		submit_named(log, T0 + i, "full.example.");
	wait_written(log, 16, &st);
	assert_int_equal(st.dropped, 0);
	al_qlog_close(log);
}

static void submit_named(struct al_qlog *log, int64_t time_us, const char *qname);

/* al_qlog_flush (airlock ctl flush-log): what was queued is committed
 * when it returns, long before batch_ms (ten minutes here). */
static void test_qlog_flush_commits_queued_rows_at_once(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1000, 600000);
	struct al_qlog_stats st;
	sqlite3 *db;
	int i;

	assert_int_equal(al_qlog_flush(log, 5000), 0); /* nothing queued */
	for (i = 0; i < 3; i++)
		submit_named(log, T0 + i, "flush.example.");
	assert_int_equal(al_qlog_flush(log, 5000), 0);
	al_qlog_get_stats(log, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.queued, 0);
	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'flush.example.'"), 3);
	sqlite3_close(db);
	submit_named(log, T0 + 3, "flush2.example.");
	assert_int_equal(al_qlog_flush(log, 5000), 0);
	al_qlog_get_stats(log, &st);
	assert_int_equal(st.written, 4);
	al_qlog_close(log);
}

/* A database that cannot be written: the flush gives up at its timeout;
 * once the lock is gone, the next one succeeds. */
static void test_qlog_flush_times_out_while_database_locked(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1000, 600000);
	struct al_qlog_stats st;
	sqlite3 *locker = test_db_open(f->path);

	test_db_exec(locker, "BEGIN IMMEDIATE");
	submit_named(log, T0, "locked.example.");
	assert_int_equal(al_qlog_flush(log, 300), -ETIMEDOUT);
	al_qlog_get_stats(log, &st);
	assert_int_equal(st.written, 0);
	test_db_exec(locker, "COMMIT");
	assert_int_equal(al_qlog_flush(log, 5000), 0);
	assert_int_equal(test_db_scalar(locker, "SELECT count(*) FROM queries WHERE qname = 'locked.example.'"), 1);
	sqlite3_close(locker);
	al_qlog_close(log);
}

static void test_qlog_overflow_drops_and_records_gaps(void **state)
{
	struct fixture *f = *state;
	/* One row commits a batch, so the writer keeps taking and every drop is
	 * followed by a take that records it; the timer never fires. */
	struct al_qlog *log = log_open(f->path, 8, 1, 600000);
	struct al_qlog_stats st;
	struct al_logrec r;
	uint64_t enospc = 0, accepted;
	char sql[256];
	sqlite3 *db;
	int i, rc;

	for (i = 0; i < 10000; i++) {
		r = record(T0 + i, "127.0.2.1", "flood.example.");
		/* 12 zero bytes: a reply with no records, which the log must
		 * free whether it keeps the record or drops it. */
		r.reply = calloc(1, 12);
		assert_non_null(r.reply);
		r.reply_len = 12;
		rc = al_qlog_submit(log, &r);
		if (rc == -ENOSPC)
			enospc++;
		else
			assert_int_equal(rc, 0);
	}
	accepted = 10000 - enospc;
	assert_true(enospc > 0);
	al_qlog_get_stats(log, &st);
	assert_int_equal(st.submitted, 10000);
	assert_int_equal(st.dropped, enospc);
	wait_written(log, accepted, &st);
	assert_int_equal(st.written, accepted);
	assert_int_equal(st.dropped, enospc);
	assert_int_equal(st.queued, 0);
	assert_true(st.gap_rows >= 1);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), accepted);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries") + (int64_t)st.dropped, 10000);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps"), st.gap_rows);
	assert_int_equal(test_db_scalar(db, "SELECT sum(rows_lost) FROM log_gaps"), st.dropped);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps WHERE rows_lost < 1"
				    " OR first_lost_us > last_lost_us OR cause = ''"), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM log_gaps WHERE first_lost_us < %lld"
		 " OR last_lost_us > %lld", (long long)T0, (long long)T0 + 9999);
	assert_int_equal(test_db_scalar(db, sql), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM answers"), 0);
	sqlite3_close(db);
}

/* An incident travels with its query and points at the query's row; one
 * dropped with its record is freed (the sanitizer build would see a leak). */
static void test_qlog_writes_incident_linked_to_query(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 1, 1, 600000);
	struct al_qlog_stats st;
	struct al_logrec r = record(T0, "10.0.1.5", "bedrock-runtime.us-east-1.amazonaws.com.");
	char out[512];
	sqlite3 *db;
	int i;

	snprintf(r.zone, sizeof(r.zone), "application");
	r.action = AL_ACT_BLOCKED;
	r.rcode = AL_RCODE_REFUSED;
	r.incident = al_incident_new(AL_SEV_HIGH, "ai_name_denied", "{\"endpoint\":\"aws-bedrock-runtime\"}");
	assert_non_null(r.incident);
	assert_int_equal(al_qlog_submit(log, &r), 0);
	assert_null(r.incident);
	for (i = 0; i < 1000; i++) { /* a queue of one: most of these are dropped */
		r = record(T0 + 1 + i, "10.0.1.5", "flood.example.");
		r.incident = al_incident_new(AL_SEV_INFO, "test", "{}");
		al_qlog_submit(log, &r);
		assert_null(r.incident);
	}
	al_qlog_get_stats(log, &st);
	assert_true(st.dropped > 0);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT i.ts_us - 1795514400000000, i.severity, i.kind, i.zone,"
				     " i.client, i.name, i.detail, q.qname, q.action"
				     " FROM incidents i JOIN queries q ON q.id = i.query_id"
				     " WHERE i.kind = 'ai_name_denied'", out, sizeof(out)),
			    "0|high|ai_name_denied|application|10.0.1.5|bedrock-runtime.us-east-1.amazonaws.com."
			    "|{\"endpoint\":\"aws-bedrock-runtime\"}|bedrock-runtime.us-east-1.amazonaws.com.|blocked\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM incidents WHERE query_id IS NULL"), 0);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM incidents"), test_db_scalar(db, "SELECT count(*) FROM queries"));
	sqlite3_close(db);
	assert_string_equal(al_severity_name(AL_SEV_CRITICAL), "critical");
	assert_string_equal(al_severity_name((enum al_severity)99), "unknown");
}

static void test_qlog_writes_chained_incidents_and_first_sightings(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 100, 10);
	struct al_logrec r = record(T0, "10.0.2.7", "x.tun.example.");
	struct al_qlog_stats st;
	char out[512], longest[300];
	sqlite3 *db;
	int i;

	r.incident = al_incident_new(AL_SEV_INFO, "new_domain", "{\"domain\":\"tun.example.\"}");
	assert_non_null(r.incident);
	r.incident->next = al_incident_new(AL_SEV_WARNING, "tunnel_suspected", "{}");
	assert_non_null(r.incident->next);
	assert_int_equal(al_qlog_submit(log, &r), 0);
	assert_int_equal(al_qlog_seen(log, "tun.example.", T0 + 5), 0);
	assert_int_equal(al_qlog_seen(log, "other.example.", T0 + 9), 0);
	/* An earlier sighting of a domain already saved wins; a later one does not. */
	assert_int_equal(al_qlog_seen(log, "tun.example.", T0 + 2), 0);
	assert_int_equal(al_qlog_seen(log, "other.example.", T0 + 20), 0);
	/* A label of 63 escaped bytes: 252 characters, the longest kept. */
	memset(longest, 0, sizeof(longest));
	for (i = 0; i < 63; i++)
		memcpy(longest + 4 * i, "\\200", 4);
	strcat(longest, ".example.");
	assert_int_equal(al_qlog_seen(log, longest, T0 + 30), 0);
	al_qlog_get_stats(log, &st);
	assert_int_equal(st.seen_dropped, 0);
	al_qlog_close(log);

	db = test_db_open(f->path);
	assert_string_equal(test_db_rows(db, "SELECT i.kind, i.severity, q.qname FROM incidents i"
				     " JOIN queries q ON q.id = i.query_id ORDER BY i.id", out, sizeof(out)),
			    "new_domain|info|x.tun.example.\ntunnel_suspected|warning|x.tun.example.\n");
	assert_string_equal(test_db_rows(db, "SELECT domain, first_seen_us - 1795514400000000 FROM seen_domains"
				     " WHERE length(domain) < 100 ORDER BY domain", out, sizeof(out)),
			    "other.example.|9\ntun.example.|2\n");
	assert_int_equal(test_db_scalar(db, "SELECT length(domain) FROM seen_domains WHERE first_seen_us - 1795514400000000 = 30"),
			 (int64_t)strlen(longest));
	sqlite3_close(db);
}

/* Polls the stats until the writer's failing state is `failing` (10 s). */
static void wait_failing(struct al_qlog *log, bool failing, struct al_qlog_stats *st)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		al_qlog_get_stats(log, st);
		if (st->failing == failing)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("the writer's failing state did not become %d within 10 s", failing);
}

static void submit_named(struct al_qlog *log, int64_t time_us, const char *qname)
{
	struct al_logrec r = record(time_us, "127.0.2.1", qname);

	assert_int_equal(al_qlog_submit(log, &r), 0);
}

/* Another process holding the write lock: the batch is kept and written
 * once the lock is gone; nothing is lost while the queue has room. */
static void test_qlog_keeps_batch_while_database_locked(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1, 10);
	struct al_qlog_stats st;
	sqlite3 *locker = test_db_open(f->path);

	test_db_exec(locker, "BEGIN IMMEDIATE");
	assert_true(al_qlog_available(log));
	submit_named(log, T0, "locked.example.");
	wait_failing(log, true, &st);
	assert_int_equal(st.written, 0);
	assert_true(st.write_errors >= 1);
	assert_false(al_qlog_available(log));
	submit_named(log, T0 + 1, "locked2.example.");
	test_db_exec(locker, "COMMIT");

	wait_written(log, 2, &st);
	assert_false(st.failing);
	assert_true(al_qlog_available(log));
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.gap_rows, 0);
	assert_int_equal(test_db_scalar(locker, "SELECT count(*) FROM queries WHERE qname IN"
					" ('locked.example.', 'locked2.example.')"), 2);
	assert_int_equal(test_db_scalar(locker, "SELECT count(*) FROM log_gaps"), 0);
	sqlite3_close(locker);
	al_qlog_close(log);
}

/* What the queue cannot hold while the database is unwritable becomes one
 * gap row, "database unavailable", written when it works again. */
static void test_qlog_records_loss_while_unavailable(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 4, 1, 10);
	struct al_qlog_stats st;
	struct al_logrec r;
	sqlite3 *locker = test_db_open(f->path);
	char out[256];
	int i, enospc = 0;

	test_db_exec(locker, "BEGIN IMMEDIATE");
	submit_named(log, T0, "first.example.");
	wait_failing(log, true, &st);
	/* The first record waits in the writer; the queue holds 4 more. */
	for (i = 1; i <= 20; i++) {
		r = record(T0 + i, "127.0.2.1", "later.example.");
		if (al_qlog_submit(log, &r) == -ENOSPC)
			enospc++;
	}
	assert_int_equal(enospc, 16);
	test_db_exec(locker, "COMMIT");
	wait_written(log, 5, &st);
	al_qlog_close(log);

	assert_int_equal(test_db_scalar(locker, "SELECT count(*) FROM queries"), 5);
	assert_string_equal(test_db_rows(locker, "SELECT group_concat(ts_us - 1795514400000000, ',')"
					 " FROM queries", out, sizeof(out)), "0,1,2,3,4\n");
	assert_string_equal(test_db_rows(locker, "SELECT rows_lost, first_lost_us - 1795514400000000,"
					 " last_lost_us - 1795514400000000, cause FROM log_gaps",
				 out, sizeof(out)),
			    "16|5|20|database unavailable\n");
	sqlite3_close(locker);
}

/* Whatever happens between slices (batches that fail and are written
 * again while another process holds the lock, restarts with rows in the
 * tail), each slice's lists name each of its rows once, under the row's
 * own name, client and addresses, and no row outside the slice. */
static void test_qlog_lists_hold_every_row_once(void **state)
{
	static const char *const rrs[] = { "AN x.example. 60 IN A 192.0.2.1",
					   "AN x.example. 60 IN AAAA 2001:db8::1", NULL };
	struct fixture *f = *state;
	struct al_qlog_stats st;
	struct al_logrec r;
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 7, "x.example.", AL_TYPE_A, 0, 0, rrs);
	char client[32], name[64], out[256];
	sqlite3 *db, *locker = NULL;
	int round, i, id = 0;

	for (round = 0; round < 3; round++) {
		struct al_qlog *log = log_open(f->path, 256, 5, 10);

		al_qlog_set_slice_rows(log, 7);
		for (i = 0; i < 40; i++, id++) {
			if (round == 1 && i == 10) {
				locker = test_db_open(f->path);
				test_db_exec(locker, "BEGIN IMMEDIATE");
			}
			snprintf(client, sizeof(client), "127.0.2.%d", id % 5 + 1);
			snprintf(name, sizeof(name), "n%d.example.", id % 9);
			r = record(T0 + id, client, name);
			if (id % 3 == 0)
				attach_reply(&r, pkt, n);
			assert_int_equal(al_qlog_submit(log, &r), 0);
			if (locker) {
				wait_failing(log, true, &st);
				test_db_exec(locker, "COMMIT");
				sqlite3_close(locker);
				locker = NULL;
			}
		}
		wait_written(log, 40, &st);
		if (round == 2) {
			db = test_db_open(f->path);
			wait_rows(db, "SELECT max(last_id) FROM log_slices", "119\n");
			sqlite3_close(db);
		}
		al_qlog_close(log);
	}

	db = test_db_open(f->path);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 120);
	/* Every row of the 17 slices once, in a list of its own name and client. */
	assert_string_equal(test_db_rows(db, "SELECT count(*), count(DISTINCT j.value), sum(q.qname = x.qname)"
				     " FROM qname_ids x JOIN log_slices l USING (slice), json_each(x.ids) j"
				     " JOIN queries q ON q.id = j.value WHERE j.value BETWEEN l.first_id AND l.last_id",
				 out, sizeof(out)), "119|119|119\n");
	assert_string_equal(test_db_rows(db, "SELECT count(*), count(DISTINCT j.value), sum(q.client = x.client)"
				     " FROM client_ids x JOIN log_slices l USING (slice), json_each(x.ids) j"
				     " JOIN queries q ON q.id = j.value WHERE j.value BETWEEN l.first_id AND l.last_id",
				 out, sizeof(out)), "119|119|119\n");
	/* Every address answer once (ids 1, 4, ..., 118: 40 replies, two addresses each). */
	assert_string_equal(test_db_rows(db, "SELECT count(*), count(DISTINCT x.data || ' ' || j.value),"
				     " sum(EXISTS (SELECT 1 FROM answers a WHERE a.query_id = j.value AND a.data = x.data))"
				     " FROM answer_ids x JOIN log_slices l USING (slice), json_each(x.ids) j"
				     " WHERE j.value BETWEEN l.first_id AND l.last_id", out, sizeof(out)), "80|80|80\n");
	/* And nothing outside its slice. */
	assert_int_equal(test_db_scalar(db, "SELECT (SELECT count(*) FROM qname_ids)"
				 " + (SELECT count(*) FROM client_ids) + (SELECT count(*) FROM answer_ids)"),
			 test_db_scalar(db, "SELECT (SELECT count(*) FROM qname_ids JOIN log_slices USING (slice))"
				 " + (SELECT count(*) FROM client_ids JOIN log_slices USING (slice))"
				 " + (SELECT count(*) FROM answer_ids JOIN log_slices USING (slice))"));
	assert_int_equal(test_db_scalar(db, "SELECT (SELECT sum(json_array_length(ids)) FROM qname_ids)"
				 " + (SELECT sum(json_array_length(ids)) FROM client_ids)"
				 " + (SELECT sum(json_array_length(ids)) FROM answer_ids)"), 119 + 119 + 80);
	sqlite3_close(db);
}

/* Log rotation by rename: rows so far stay in the renamed file, complete
 * and valid; the next batch starts a new file at the configured path. */
static void test_qlog_starts_new_file_after_rename(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1, 10);
	struct al_qlog_stats st;
	char old[160];
	sqlite3 *db;

	snprintf(old, sizeof(old), "%s/rotated.db", f->dir);
	submit_named(log, T0, "before.example.");
	wait_written(log, 1, &st);
	assert_int_equal(rename(f->path, old), 0);
	submit_named(log, T0 + 1, "after.example.");
	wait_written(log, 2, &st);
	al_qlog_close(log);

	db = test_db_open(old);
	assert_string_equal(test_db_rows(db, "PRAGMA integrity_check", old, sizeof(old)), "ok\n");
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'before.example.'"), 1);
	sqlite3_close(db);
	db = test_db_open(f->path);
	expect_schema(db);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'after.example.'"), 1);
	/* Nothing was lost: the rows are in the renamed file. */
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM log_gaps"), 0);
	sqlite3_close(db);
}

/* A deleted file is noticed before the next batch, which goes to a new
 * file, not into the unlinked one; the rows the deleted file held, and
 * the rows its own log_gaps counted, are one "database deleted" gap in
 * the new one, with their time span. */
static void test_qlog_starts_new_file_after_delete(void **state)
{
	struct fixture *f = *state;
	struct al_qlog *log = log_open(f->path, 64, 1, 10);
	struct al_qlog_stats st;
	char out[128];
	sqlite3 *db;

	submit_named(log, T0, "before.example.");
	submit_named(log, T0 + 5, "before2.example.");
	wait_written(log, 2, &st);
	/* Losses the file recorded itself, spanning wider than its rows. */
	db = test_db_open(f->path);
	test_db_exec(db, "INSERT INTO log_gaps (ts_us, first_lost_us, last_lost_us, rows_lost, cause)"
		    " VALUES (1795514400000000, 1795514400000001, 1795514400000007, 3, 'queue full'),"
		    " (1795514400000000, 1795514399999990, 1795514399999997, 4, 'database deleted')");
	sqlite3_close(db);
	assert_int_equal(unlink(f->path), 0);
	submit_named(log, T0 + 9, "after.example.");
	wait_written(log, 3, &st);
	assert_false(st.failing);
	assert_int_equal(st.gap_rows, 1);

	db = test_db_open(f->path);
	expect_schema(db);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries"), 1);
	assert_int_equal(test_db_scalar(db, "SELECT count(*) FROM queries WHERE qname = 'after.example.'"), 1);
	assert_string_equal(test_db_rows(db, "SELECT rows_lost, first_lost_us - 1795514400000000,"
				     " last_lost_us - 1795514400000000, cause FROM log_gaps",
				 out, sizeof(out)),
			    "9|-10|7|database deleted\n");
	sqlite3_close(db);
	al_qlog_close(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qlog_open_creates_schema_in_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_migrate_upgrades_empty_database_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_refuses_newer_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_open_names_path_in_missing_directory, setup, teardown),
		cmocka_unit_test(test_qlog_names_every_action),
		cmocka_unit_test_setup_teardown(test_qlog_writes_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_writes_address_and_cname_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_prunes_rows_past_retention_with_their_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_indexes_slices_as_rows_arrive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_indexes_rows_written_before_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_lists_forget_pruned_rows_of_the_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_lists_survive_retention_of_older_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_gives_no_id_of_a_slice_being_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_numbers_rows_after_the_last_slice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_prunes_index_slices_left_without_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_migrates_version_1_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_migrates_version_3_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_keeps_query_with_malformed_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_writes_every_record_of_a_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_writes_query_row_before_its_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_sums_rate_limited_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_commits_partial_batch_after_batch_ms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_flush_commits_queued_rows_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_flush_times_out_while_database_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_overflow_drops_and_records_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_full_queue_commits_without_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_writes_incident_linked_to_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_writes_chained_incidents_and_first_sightings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_keeps_batch_while_database_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_records_loss_while_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_lists_hold_every_row_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_starts_new_file_after_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlog_starts_new_file_after_delete, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
