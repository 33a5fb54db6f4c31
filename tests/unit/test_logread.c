/* Reading the query log: times (every accepted form, with values computed
 * independently by Python's calendar.timegm), filter validation and its
 * messages, and each filter run against a real SQLite file created with
 * al_qlog_migrate and filled with plain SQL, checked row id by row id:
 * with every row in the unindexed tail, with rows in index slices and the
 * tail, and with every row in slices; the plans seek the slice indexes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "airlock/logread.h"
#include "airlock/querylog.h"
#include "sqldb.h"
#include "tmpdir.h"

#define S 1000000LL
#define T0 1795514400000000LL /* 2026-11-24T10:00:00Z */

/* ----- times ----- */

static int64_t parse_ok(const char *text)
{
	int64_t t = -42;

	if (al_logtime_parse(text, T0, &t) != 0)
		fail_msg("\"%s\" was rejected", text);
	return t;
}

static void test_logtime_accepts_every_form(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-24T10:00:00Z"), 1795514400000000LL);
	assert_int_equal(parse_ok("2026-11-24T10:00Z"), 1795514400000000LL);
	assert_int_equal(parse_ok("2026-11-24T10:00:00.250Z"), 1795514400250000LL);
	assert_int_equal(parse_ok("2026-11-24T10:00:00.000001Z"), 1795514400000001LL);
	assert_int_equal(parse_ok("2026-11-24T10:00:00.5Z"), 1795514400500000LL);
	assert_int_equal(parse_ok("2026-11-24T11:00:00+01:00"), 1795514400000000LL);
	assert_int_equal(parse_ok("2026-11-24T05:30:00-04:30"), 1795514400000000LL);
	assert_int_equal(parse_ok("2026-11-24T10:00:00"), 1795514400000000LL); /* no zone: UTC */
	assert_int_equal(parse_ok("2026-11-24T10:00"), 1795514400000000LL);
	assert_int_equal(parse_ok("2026-11-24"), 1795478400000000LL);
	assert_int_equal(parse_ok("2024-02-29"), 1709164800000000LL);
	assert_int_equal(parse_ok("2000-02-29T23:59:59Z"), 951868799000000LL);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	/* Relative: that long before now (T0 here). */
	assert_int_equal(parse_ok("30s"), T0 - 30 * S);
	assert_int_equal(parse_ok("15m"), T0 - 15 * 60 * S);
	assert_int_equal(parse_ok("1h"), T0 - 3600 * S);
	assert_int_equal(parse_ok("7d"), T0 - 7 * 86400 * S);
	assert_int_equal(parse_ok("2w"), T0 - 14 * 86400 * S);
	assert_int_equal(parse_ok("0s"), T0);
}

static void test_logtime_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "1x", "h", "1", "-1h", "+1h", "1h ", " 1h", "1.5h", "yesterday",
		"2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2026-02-29",
		"2026-11-24T25:00Z", "2026-11-24T24:00Z", "2026-11-24T10:60Z",
		"2026-11-24T10:00:60Z", "2026-11-24T10Z", "2026-11-24T10:00:00.Z",
		"2026-11-24T10:00:00.1234567Z", "2026-11-24T10:00+1:00", "2026-11-24T10:00+01",
		"2026-11-24T10:00+24:00", "2026-11-24 10:00", "2026-11-24Z", "2026-11-24T",
		"2026-11-24T10:00Zjunk", "2026-11-24junk", "26-11-24", "2026-1-24",
		"1969-12-31T23:59:59Z", "1970-01-01T00:30+01:00", "99999999999999w",
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		if (al_logtime_parse(bad[i], T0, &t) != -EINVAL)
			fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)t);
		assert_int_equal(t, 7);
	}
}

/* Durations (airlock flows --grace): one unit, no overflow. */
static void test_logtime_duration(void **state)
{
	static const char *const bad[] = { "", "1", "1x", "h", "-1h", "+1h", "1h ", "1.5h",
					   "999999999999w", "100000000000d", "1000000000000s" };
	int64_t d = 7;
	size_t i;

	(void)state;
	assert_int_equal(al_logtime_duration("90s", &d), 0);
	assert_int_equal(d, 90 * S);
	assert_int_equal(al_logtime_duration("20m", &d), 0);
	assert_int_equal(d, 20 * 60 * S);
	assert_int_equal(al_logtime_duration("2w", &d), 0);
	assert_int_equal(d, 14 * 86400 * S);
	assert_int_equal(al_logtime_duration("99999999999s", &d), 0);
	assert_int_equal(d, 99999999999 * S);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 7;
		if (al_logtime_duration(bad[i], &d) != -EINVAL)
			fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)d);
		assert_int_equal(d, 7);
	}
}

static void test_logtime_formats_utc(void **state)
{
	char buf[AL_LOGTIME_LEN];

	(void)state;
	assert_string_equal(al_logtime_format(T0 + 1250123, 3, buf, sizeof(buf)),
			    "2026-11-24T10:00:01.250Z");
	assert_string_equal(al_logtime_format(T0 + 1250123, 6, buf, sizeof(buf)),
			    "2026-11-24T10:00:01.250123Z");
	assert_string_equal(al_logtime_format(T0 + 1250123, 0, buf, sizeof(buf)),
			    "2026-11-24T10:00:01Z");
	assert_string_equal(al_logtime_format(-1, 6, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.999999Z");
}

/* ----- filters ----- */

/* The message al_logfilter_set gives for opt=text, which must fail. */
static const char *set_err(enum al_logread_kind kind, const char *opt, const char *text,
			   int want_rc, struct al_err *err)
{
	struct al_logfilter f;

	al_logfilter_init(&f, kind);
	err->msg[0] = '\0';
	assert_int_equal(al_logfilter_set(&f, opt, text, T0, err), want_rc);
	return err->msg;
}

static void test_filter_messages_name_option_value_and_expected(void **state)
{
	struct al_err err;
	struct al_logfilter f;

	(void)state;
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "since", "yesterday", -EINVAL, &err),
			    "--since \"yesterday\": not a time (expected e.g. 1h, 30m, 7d, 2026-11-24T10:00Z, 2026-11-24T11:00:00+01:00 or 2026-11-24)");
	assert_string_equal(set_err(AL_LOGREAD_ANSWERS, "at", "2026-11-24T25:00Z", -EINVAL, &err),
			    "--at \"2026-11-24T25:00Z\": not a time (expected e.g. 1h, 30m, 7d, 2026-11-24T10:00Z, 2026-11-24T11:00:00+01:00 or 2026-11-24)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "client", "10.0.2.1/24", -EINVAL, &err),
			    "--client \"10.0.2.1/24\": not an address or CIDR (expected e.g. 10.0.2.15, 10.0.2.0/24 or fd00::/64, host bits zero)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "zone", "Inference", -EINVAL, &err),
			    "--zone \"Inference\": not a zone name (expected 1-63 of a-z 0-9 - _, e.g. inference)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "name", "a..b", -EINVAL, &err),
			    "--name \"a..b\": not a domain name (expected e.g. example.com or pythonhosted.org.)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "name", "", -EINVAL, &err),
			    "--name \"\": not a domain name (expected e.g. example.com or pythonhosted.org.)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "type", "65536", -EINVAL, &err),
			    "--type \"65536\": not a record type (expected a type name such as A, AAAA, TXT, HTTPS, or a number 0-65535)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "type", "FOO", -EINVAL, &err),
			    "--type \"FOO\": not a record type (expected a type name such as A, AAAA, TXT, HTTPS, or a number 0-65535)");
	/* TYPEnnn is read whole: no trailing junk, no space, no wrap past 65535. */
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "type", "TYPE1x", -EINVAL, &err),
			    "--type \"TYPE1x\": not a record type (expected a type name such as A, AAAA, TXT, HTTPS, or a number 0-65535)");
	set_err(AL_LOGREAD_QUERIES, "type", "TYPE 28", -EINVAL, &err);
	set_err(AL_LOGREAD_QUERIES, "type", "TYPE4294967324", -EINVAL, &err);
	set_err(AL_LOGREAD_QUERIES, "type", "TYPE65536", -EINVAL, &err);
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "action", "dropped", -EINVAL, &err),
			    "--action \"dropped\": not an action (expected one of cache, upstream, local, blocked, refused, failed)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "limit", "-1", -EINVAL, &err),
			    "--limit \"-1\": not a row count (expected a number; 0 for no limit)");
	assert_string_equal(set_err(AL_LOGREAD_INCIDENTS, "severity", "severe", -EINVAL, &err),
			    "--severity \"severe\": not a severity (expected one of info, warning, high, critical)");
	assert_string_equal(set_err(AL_LOGREAD_INCIDENTS, "kind", "a b", -EINVAL, &err),
			    "--kind \"a b\": not an incident kind (expected a word of 1-63 characters, e.g. ai_name_denied)");
	/* A filter of another command, and no filter at all. */
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "severity", "high", -EINVAL, &err),
			    "--severity does not apply here (filters: --since --until --zone --client --name --type --action --limit)");
	assert_string_equal(set_err(AL_LOGREAD_INCIDENTS, "action", "refused", -EINVAL, &err),
			    "--action does not apply here (filters: --since --until --zone --client --name --severity --kind --limit)");
	assert_string_equal(set_err(AL_LOGREAD_ANSWERS, "name", "example.com", -EINVAL, &err),
			    "--name does not apply here (filters: --since --until --at --zone --client --limit)");
	assert_string_equal(set_err(AL_LOGREAD_QUERIES, "colour", "red", -ENOENT, &err),
			    "--colour: no such filter");
	/* Twice. */
	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(al_logfilter_set(&f, "zone", "data", T0, &err), 0);
	assert_int_equal(al_logfilter_set(&f, "zone", "inference", T0, &err), -EINVAL);
	assert_string_equal(err.msg, "--zone given twice");
	assert_string_equal(f.zone, "data");
	/* The address of who-resolved. */
	assert_int_equal(al_logfilter_set_ip(&f, "192.0.2.300", &err), -EINVAL);
	assert_string_equal(err.msg, "\"192.0.2.300\": not an IP address (expected e.g. 192.0.2.7 or 2001:db8::7)");
}

static void test_filter_normalises_values(void **state)
{
	struct al_logfilter f;
	struct al_err err;

	(void)state;
	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(f.limit, AL_LOGREAD_LIMIT);
	assert_int_equal(f.qtype, -1);
	assert_int_equal(al_logfilter_set(&f, "name", "PythonHosted.ORG", T0, &err), 0);
	assert_string_equal(f.name, "pythonhosted.org.");
	assert_int_equal(al_logfilter_set(&f, "type", "aaaa", T0, &err), 0);
	assert_int_equal(f.qtype, 28);
	assert_int_equal(al_logfilter_set(&f, "limit", "0", T0, &err), 0);
	assert_int_equal(f.limit, 0);
	/* An IPv4-mapped prefix matches the IPv4 form the log stores. */
	assert_int_equal(al_logfilter_set(&f, "client", "::ffff:10.0.2.0/120", T0, &err), 0);
	assert_int_equal(f.client.ip.family, AF_INET);
	assert_int_equal(f.client.prefix, 24);
	assert_memory_equal(f.client.ip.bytes, "\x0a\x00\x02\x00", 4);

	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(al_logfilter_set(&f, "name", "example.com.", T0, &err), 0);
	assert_string_equal(f.name, "example.com.");
	assert_int_equal(al_logfilter_set(&f, "type", "65535", T0, &err), 0);
	assert_int_equal(f.qtype, 65535);

	al_logfilter_init(&f, AL_LOGREAD_ANSWERS);
	assert_int_equal(al_logfilter_check(&f, &err), -EINVAL);
	assert_string_equal(err.msg, "no address given (expected e.g. 192.0.2.7)");
	assert_int_equal(al_logfilter_set_ip(&f, "2001:DB8::0001", &err), 0);
	assert_string_equal(f.ip, "2001:db8::1");
	assert_int_equal(al_logfilter_check(&f, &err), 0);
	/* An IPv4-mapped address is the IPv4 one the log stores. */
	assert_int_equal(al_logfilter_set_ip(&f, "::FFFF:192.0.2.7", &err), 0);
	assert_string_equal(f.ip, "192.0.2.7");

	/* RFC 3597 TYPEnnn, in any case. */
	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(al_logfilter_set(&f, "type", "type28", T0, &err), 0);
	assert_int_equal(f.qtype, 28);
}

static void test_filter_rejects_since_after_until(void **state)
{
	struct al_logfilter f;
	struct al_err err;

	(void)state;
	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(al_logfilter_set(&f, "since", "2026-11-24T10:00:01Z", T0, &err), 0);
	assert_int_equal(al_logfilter_set(&f, "until", "2026-11-24T10:00Z", T0, &err), 0);
	assert_int_equal(al_logfilter_check(&f, &err), -EINVAL);
	assert_string_equal(err.msg, "--since 2026-11-24T10:00:01.000000Z is after --until 2026-11-24T10:00:00.000000Z");
	/* Equal is an empty window, not an error. */
	al_logfilter_init(&f, AL_LOGREAD_QUERIES);
	assert_int_equal(al_logfilter_set(&f, "since", "2026-11-24T10:00Z", T0, &err), 0);
	assert_int_equal(al_logfilter_set(&f, "until", "2026-11-24T11:00+01:00", T0, &err), 0);
	assert_int_equal(al_logfilter_check(&f, &err), 0);
}

/* ----- a real database ----- */

struct fixture {
	char dir[64];
	char path[128];
};

static sqlite3 *db_create(const char *path)
{
	sqlite3 *db = NULL;
	struct al_err err;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	if (al_qlog_migrate(db, &err) != 0)
		fail_msg("al_qlog_migrate: %s", err.msg);
	test_db_exec(db, "PRAGMA journal_mode=WAL");
	return db;
}

/* T0 + n seconds, in the inserts below. */
static const char rows_sql[] =
	"INSERT INTO queries VALUES"
	" (1, 1795514401000000, '10.0.2.15', 40001, 'inference', 'udp', 'example.com.', 1, 0, 'upstream', '', '127.0.0.1:53', 1500),"
	" (2, 1795514402000000, '10.0.2.16', 40002, 'inference', 'udp', 'www.example.com.', 28, 0, 'cache', '', '', 45),"
	" (3, 1795514403000000, '10.0.3.9', 40003, 'data', 'tcp', 'notexample.com.', 1, 0, 'upstream', '', '127.0.0.1:53', 2000),"
	" (4, 1795514404000000, '10.0.2.200', 40004, 'inference', 'udp', 'a_b.example.', 16, 0, 'upstream', '', '127.0.0.1:53', 900),"
	" (5, 1795514405000000, '10.0.2.15', 40005, 'inference', 'udp', 'axb.example.', 1, 5, 'blocked', 'policy', '', 10),"
	" (6, 1795514406000000, '10.0.9.1', 40006, '', 'udp', 'x.example.', 1, 5, 'refused', 'no zone', '', 8),"
	" (7, 1795514407000000, '2001:db8::53', 40007, 'data', 'udp', 'example.com.', 28, 2, 'failed', 'upstreams failed', '127.0.0.1:53', 800000),"
	" (8, 1795514408000000, '10.0.20.1', 40008, 'data', 'udp', 'mail.example.com.', 15, 0, 'upstream', '', '127.0.0.1:53', 700),"
	" (9, 1795514409000000, '10.0.2.15', 40009, 'inference', 'udp', 'axyb.example.', 1, 3, 'upstream', '', '127.0.0.1:53', 600);"
	"INSERT INTO answers VALUES"
	" (1, 'example.com.', 1, '192.0.2.1', 300),"
	" (2, 'www.example.com.', 5, 'example.com.', 60),"
	" (2, 'example.com.', 28, '2001:db8::1', 60),"
	" (3, 'notexample.com.', 1, '192.0.2.1', 10),"
	" (3, 'notexample.com.', 1, '192.0.2.2', 10);"
	"INSERT INTO incidents VALUES"
	" (1, 1795514401000000, 'high', 'tunnel', 'inference', '10.0.2.15', 'x.example.', '{\"entropy\": 4.5}', 1),"
	" (2, 1795514402000000, 'warning', 'nsd', 'data', '10.0.3.9', 'notexample.com.', 'first seen', NULL),"
	" (3, 1795514403000000, 'high', 'nsd', 'inference', '10.0.2.16', 'www.example.com.', '', 2);";

/* The rows above, the ones up to each id of slice_ends (0 ends the list)
 * indexed as a slice, as the writer does; the rest stay in the tail. */
static int setup_with(void **state, const int64_t *slice_ends)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct al_err err;
	sqlite3 *db;

	if (!f)
		return -1;
	if (test_tmpdir_make(f->dir, sizeof(f->dir), "logread") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/log.db", f->dir);
	db = db_create(f->path);
	test_db_exec(db, rows_sql);
	for (; *slice_ends; slice_ends++)
		if (al_qlog_index_tail(db, *slice_ends, &err) != 0)
			fail_msg("al_qlog_index_tail(%lld): %s", (long long)*slice_ends, err.msg);
	sqlite3_close(db);
	*state = f;
	return 0;
}

/* Every row in the tail. */
static int setup(void **state)
{
	static const int64_t none[] = { 0 };

	return setup_with(state, none);
}

/* Rows 1-4 and 5-7 in two slices, 8 and 9 in the tail. */
static int setup_sliced(void **state)
{
	static const int64_t ends[] = { 4, 7, 0 };

	return setup_with(state, ends);
}

/* Every row in slices, one per row. */
static int setup_all_sliced(void **state)
{
	static const int64_t ends[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };

	return setup_with(state, ends);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = test_tmpdir_remove(f->dir);

	free(f);
	return rc;
}

/* The rows a run gives, one token per row ("3", or more for answers and
 * incidents), comma-separated, in the order given. */
struct seen {
	char s[1024];
	size_t o;
};

static void seen_add(struct seen *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seen_add(struct seen *v, const char *fmt, ...)
{
	va_list ap;

	if (v->o)
		v->o += (size_t)snprintf(v->s + v->o, sizeof(v->s) - v->o, ",");
	va_start(ap, fmt);
	v->o += (size_t)vsnprintf(v->s + v->o, sizeof(v->s) - v->o, fmt, ap);
	va_end(ap);
	assert_true(v->o < sizeof(v->s));
}

static int on_query(const struct al_logquery *q, void *arg)
{
	seen_add(arg, "%lld", (long long)q->id);
	return 0;
}

static int on_incident(const struct al_logincident *in, void *arg)
{
	seen_add(arg, "%lld:%lld", (long long)in->id, (long long)in->query_id);
	return 0;
}

static int on_resolved(const struct al_logresolved *a, void *arg)
{
	seen_add(arg, "%lld:%s:%s:%lld", (long long)a->query_id, a->client, a->name,
		 (long long)a->ttl);
	return 0;
}

/* Runs kind with the filters given as "opt", "value" pairs (NULL ends
 * them; "ip" is who-resolved's address) and returns the rows seen. */
static const char *run(const char *path, enum al_logread_kind kind, ...)
{
	static struct seen v;
	struct al_logread_cb cb = { on_query, on_incident, on_resolved, &v };
	struct al_logfilter f;
	struct al_logread *lr = NULL;
	struct al_err err = { "" };
	const char *opt, *val;
	va_list ap;

	memset(&v, 0, sizeof(v));
	al_logfilter_init(&f, kind);
	va_start(ap, kind);
	while ((opt = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		if ((strcmp(opt, "ip") ? al_logfilter_set(&f, opt, val, T0, &err)
				       : al_logfilter_set_ip(&f, val, &err)) != 0)
			fail_msg("--%s %s: %s", opt, val, err.msg);
	}
	va_end(ap);
	if (al_logread_open(path, &lr, &err) != 0)
		fail_msg("al_logread_open: %s", err.msg);
	if (al_logread_run(lr, &f, &cb, &err) != 0)
		fail_msg("al_logread_run: %s", err.msg);
	al_logread_close(lr);
	return v.s;
}

#define Q AL_LOGREAD_QUERIES
#define I AL_LOGREAD_INCIDENTS
#define A AL_LOGREAD_ANSWERS

static void test_log_filters_select_exact_rows(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	assert_string_equal(run(p, Q, NULL), "1,2,3,4,5,6,7,8,9");
	/* since inclusive, until exclusive */
	assert_string_equal(run(p, Q, "since", "2026-11-24T10:00:02Z", "until", "2026-11-24T11:00:05+01:00", NULL),
			    "2,3,4");
	assert_string_equal(run(p, Q, "since", "2026-11-24T10:00:08.000001Z", NULL), "9");
	assert_string_equal(run(p, Q, "zone", "data", NULL), "3,7,8");
	assert_string_equal(run(p, Q, "type", "AAAA", NULL), "2,7");
	assert_string_equal(run(p, Q, "type", "16", NULL), "4");
	assert_string_equal(run(p, Q, "action", "refused", NULL), "6");
	assert_string_equal(run(p, Q, "zone", "inference", "action", "upstream", "type", "A", NULL), "1,9");
}

static void test_log_client_matches_address_and_cidr(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	assert_string_equal(run(p, Q, "client", "10.0.2.15", NULL), "1,5,9");
	assert_string_equal(run(p, Q, "client", "10.0.2.15/32", NULL), "1,5,9");
	/* 10.0.20.1 starts with the same text, but is not in the prefix. */
	assert_string_equal(run(p, Q, "client", "10.0.2.0/24", NULL), "1,2,4,5,9");
	assert_string_equal(run(p, Q, "client", "10.0.2.128/25", NULL), "4");
	assert_string_equal(run(p, Q, "client", "10.0.0.0/16", NULL), "1,2,3,4,5,6,8,9");
	assert_string_equal(run(p, Q, "client", "10.0.0.0/20", NULL), "1,2,3,4,5,6,9");
	assert_string_equal(run(p, Q, "client", "2001:db8::/32", NULL), "7");
	assert_string_equal(run(p, Q, "client", "2001:DB8:0::53", NULL), "7");
	assert_string_equal(run(p, Q, "client", "::ffff:10.0.3.9", NULL), "3");
	assert_string_equal(run(p, Q, "client", "0.0.0.0/0", NULL), "1,2,3,4,5,6,8,9");
	assert_string_equal(run(p, Q, "client", "10.0.4.0/24", NULL), "");
}

static void test_log_name_matches_suffix_literally(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	/* The name and every name below it; not notexample.com. */
	assert_string_equal(run(p, Q, "name", "example.com", NULL), "1,2,7,8");
	assert_string_equal(run(p, Q, "name", "Example.COM.", NULL), "1,2,7,8");
	assert_string_equal(run(p, Q, "name", "www.example.com", NULL), "2");
	/* _ and % are literal: a_b.example. matches itself, not axb.example. */
	assert_string_equal(run(p, Q, "name", "a_b.example", NULL), "4");
	assert_string_equal(run(p, Q, "name", "a%b.example", NULL), "");
	assert_string_equal(run(p, Q, "name", "example", NULL), "4,5,6,9");
	assert_string_equal(run(p, Q, "name", ".", NULL), "1,2,3,4,5,6,7,8,9");
}

/* A dot escaped inside a label separates nothing: evil\.example.com. is
 * one label under com.; a\\.example.com. (label a\) is under example.com. */
static void test_log_name_ignores_escaped_dots(void **state)
{
	const char *p = ((struct fixture *)*state)->path;
	sqlite3 *db = test_db_open(p);

	test_db_exec(db, "INSERT INTO queries VALUES"
			 " (10, 1795514410000000, '10.0.2.15', 40010, 'inference', 'udp', 'evil\\.example.com.', 1, 0, 'upstream', '', '', 1),"
			 " (11, 1795514411000000, '10.0.2.15', 40011, 'inference', 'udp', 'a\\\\.example.com.', 1, 0, 'upstream', '', '', 1),"
			 " (12, 1795514412000000, '10.0.2.15', 40012, 'inference', 'udp', 'b\\\\\\.example.com.', 1, 0, 'upstream', '', '', 1)");
	sqlite3_close(db);
	assert_string_equal(run(p, Q, "name", "example.com", NULL), "1,2,7,8,11");
	assert_string_equal(run(p, Q, "name", "com", NULL), "1,2,3,7,8,10,11,12");
}

static void test_log_limit_keeps_most_recent_oldest_first(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	assert_string_equal(run(p, Q, "limit", "3", NULL), "7,8,9");
	assert_string_equal(run(p, Q, "limit", "1", NULL), "9");
	assert_string_equal(run(p, Q, "limit", "0", NULL), "1,2,3,4,5,6,7,8,9");
	/* The limit counts matching rows: the CIDR is matched in SQL. */
	assert_string_equal(run(p, Q, "client", "10.0.2.0/24", "limit", "2", NULL), "5,9");
	assert_string_equal(run(p, Q, "name", "example.com", "limit", "3", NULL), "2,7,8");
	assert_string_equal(run(p, I, "limit", "2", NULL), "2:-1,3:2");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "limit", "1", NULL),
			    "3:10.0.3.9:notexample.com.:10");
}

/* Every field of one row, its answers in reply order. */
static int check_row2(const struct al_logquery *q, void *arg)
{
	int *calls = arg;

	(*calls)++;
	assert_int_equal(q->id, 2);
	assert_int_equal(q->ts_us, 1795514402000000LL);
	assert_string_equal(q->client, "10.0.2.16");
	assert_int_equal(q->client_port, 40002);
	assert_string_equal(q->zone, "inference");
	assert_string_equal(q->transport, "udp");
	assert_string_equal(q->qname, "www.example.com.");
	assert_int_equal(q->qtype, 28);
	assert_int_equal(q->rcode, 0);
	assert_string_equal(q->action, "cache");
	assert_string_equal(q->reason, "");
	assert_string_equal(q->upstream, "");
	assert_int_equal(q->latency_us, 45);
	assert_int_equal(q->nanswers, 2);
	assert_string_equal(q->answers[0].name, "www.example.com.");
	assert_int_equal(q->answers[0].type, 5);
	assert_string_equal(q->answers[0].data, "example.com.");
	assert_int_equal(q->answers[0].ttl, 60);
	assert_string_equal(q->answers[1].name, "example.com.");
	assert_int_equal(q->answers[1].type, 28);
	assert_string_equal(q->answers[1].data, "2001:db8::1");
	assert_int_equal(q->answers[1].ttl, 60);
	return 0;
}

static int stop_after_first(const struct al_logquery *q, void *arg)
{
	(void)q;
	(*(int *)arg)++;
	return 42;
}

static void test_log_rows_carry_every_field(void **state)
{
	const char *p = ((struct fixture *)*state)->path;
	struct al_logfilter f;
	struct al_logread *lr = NULL;
	struct al_err err;
	int calls = 0;
	struct al_logread_cb cb = { check_row2, NULL, NULL, &calls };

	al_logfilter_init(&f, Q);
	assert_int_equal(al_logfilter_set(&f, "client", "10.0.2.16", T0, &err), 0);
	assert_int_equal(al_logread_open(p, &lr, &err), 0);
	assert_int_equal(al_logread_run(lr, &f, &cb, &err), 0);
	assert_int_equal(calls, 1);
	/* A callback's non-zero value stops the run and is returned. */
	al_logfilter_init(&f, Q);
	cb.query = stop_after_first;
	calls = 0;
	assert_int_equal(al_logread_run(lr, &f, &cb, &err), 42);
	assert_int_equal(calls, 1);
	al_logread_close(lr);
}

static void test_incidents_filters(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	assert_string_equal(run(p, I, NULL), "1:1,2:-1,3:2");
	assert_string_equal(run(p, I, "severity", "high", NULL), "1:1,3:2");
	assert_string_equal(run(p, I, "kind", "nsd", NULL), "2:-1,3:2");
	assert_string_equal(run(p, I, "severity", "high", "kind", "nsd", NULL), "3:2");
	assert_string_equal(run(p, I, "name", "example.com", NULL), "3:2");
	assert_string_equal(run(p, I, "client", "10.0.3.0/24", NULL), "2:-1");
	assert_string_equal(run(p, I, "zone", "inference", "since", "2026-11-24T10:00:02Z", NULL), "3:2");
}

static void test_who_resolved_and_at_window_edges(void **state)
{
	const char *p = ((struct fixture *)*state)->path;

	assert_string_equal(run(p, A, "ip", "192.0.2.1", NULL),
			    "1:10.0.2.15:example.com.:300,3:10.0.3.9:notexample.com.:10");
	assert_string_equal(run(p, A, "ip", "::ffff:192.0.2.1", NULL),
			    "1:10.0.2.15:example.com.:300,3:10.0.3.9:notexample.com.:10");
	assert_string_equal(run(p, A, "ip", "2001:DB8::0001", NULL),
			    "2:10.0.2.16:example.com.:60");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "zone", "data", NULL),
			    "3:10.0.3.9:notexample.com.:10");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "client", "10.0.2.0/24", NULL),
			    "1:10.0.2.15:example.com.:300");
	assert_string_equal(run(p, A, "ip", "192.0.2.99", NULL), "");
	/* Query 1 at T0+1s with TTL 300: given at or before --at, still valid. */
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:00:00.999999Z", NULL), "");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:00:01Z", NULL),
			    "1:10.0.2.15:example.com.:300");
	/* Query 3 at T0+3s with TTL 10: valid up to T0+13s inclusive. */
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:00:13Z", NULL),
			    "1:10.0.2.15:example.com.:300,3:10.0.3.9:notexample.com.:10");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:00:13.000001Z", NULL),
			    "1:10.0.2.15:example.com.:300");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:05:01Z", NULL),
			    "1:10.0.2.15:example.com.:300");
	assert_string_equal(run(p, A, "ip", "192.0.2.1", "at", "2026-11-24T10:05:01.000001Z", NULL), "");
	assert_string_equal(run(p, A, "ip", "192.0.2.2", "at", "2026-11-24T10:00:05Z",
				"since", "2026-11-24T10:00:03Z", "until", "2026-11-24T10:00:04Z", NULL),
			    "3:10.0.3.9:notexample.com.:10");
}

/* ----- index slices ----- */

/* The plan of kind with the filters given as "opt", "value" pairs, as in
 * run(). */
static const char *plan(const char *path, enum al_logread_kind kind, ...)
{
	static char out[4096];
	struct al_logfilter f;
	struct al_logread *lr = NULL;
	struct al_err err = { "" };
	const char *opt, *val;
	va_list ap;

	al_logfilter_init(&f, kind);
	va_start(ap, kind);
	while ((opt = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		if ((strcmp(opt, "ip") ? al_logfilter_set(&f, opt, val, T0, &err)
				       : al_logfilter_set_ip(&f, val, &err)) != 0)
			fail_msg("--%s %s: %s", opt, val, err.msg);
	}
	va_end(ap);
	if (al_logread_open(path, &lr, &err) != 0)
		fail_msg("al_logread_open: %s", err.msg);
	if (al_logread_plan(lr, &f, out, sizeof(out), &err) != 0)
		fail_msg("al_logread_plan: %s", err.msg);
	al_logread_close(lr);
	return out;
}

static void expect_in_plan(const char *plan_text, const char *step)
{
	if (!strstr(plan_text, step))
		fail_msg("\"%s\" is not in the plan:\n%s", step, plan_text);
}

static void expect_not_in_plan(const char *plan_text, const char *step)
{
	if (strstr(plan_text, step))
		fail_msg("\"%s\" is in the plan:\n%s", step, plan_text);
}

/* SQLite seeks the index tables by slice and key (x), reads the ids of
 * the rows each key's list holds (j), the tail by id, and the rows found
 * by their id: no table or index is scanned whole but log_slices, a row
 * per slice. */
static void test_plans_seek_slice_indexes_and_tail(void **state)
{
	const char *p = ((struct fixture *)*state)->path;
	const char *t;

	t = plan(p, A, "ip", "192.0.2.1", NULL);
	expect_in_plan(t, "SEARCH x USING PRIMARY KEY (slice=? AND data=?)");
	expect_in_plan(t, "SCAN j VIRTUAL TABLE");
	expect_in_plan(t, "SEARCH answers USING INDEX answers_query (query_id>?)");
	expect_in_plan(t, "SEARCH a USING INDEX answers_query (query_id=?)");
	expect_in_plan(t, "SEARCH q USING INTEGER PRIMARY KEY (rowid=?)");
	expect_not_in_plan(t, "SCAN a");
	expect_not_in_plan(t, "SCAN answers");
	expect_not_in_plan(t, "SCAN x");

	t = plan(p, A, "ip", "192.0.2.1", "since", "2026-11-24T10:00:02Z", "at", "2026-11-24T10:00:05Z",
		 "limit", "1", NULL);
	expect_in_plan(t, "SEARCH x USING PRIMARY KEY (slice=? AND data=?)");
	expect_not_in_plan(t, "SCAN a");

	t = plan(p, Q, "client", "10.0.2.15", NULL);
	expect_in_plan(t, "SEARCH x USING PRIMARY KEY (slice=? AND client=?)");
	expect_in_plan(t, "SEARCH queries USING INTEGER PRIMARY KEY (rowid>?)");
	expect_in_plan(t, "SEARCH queries USING INTEGER PRIMARY KEY (rowid=?)");
	expect_not_in_plan(t, "SCAN queries");
	expect_not_in_plan(t, "SCAN x");

	t = plan(p, Q, "client", "10.0.2.15", "since", "2026-11-24T10:00:02Z",
		 "until", "2026-11-24T10:00:08Z", "type", "A", NULL);
	expect_in_plan(t, "SEARCH x USING PRIMARY KEY (slice=? AND client=?)");
	expect_not_in_plan(t, "SCAN queries");
}

/* The writer's own slicing: a slice ends where the last one did; a second
 * call for ids already indexed does nothing. */
static void test_index_tail_makes_contiguous_slices(void **state)
{
	const char *p = ((struct fixture *)*state)->path;
	struct al_err err;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	char out[512] = "";
	size_t o = 0;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(al_qlog_index_tail(db, 7, &err), 0); /* already indexed */
	assert_int_equal(al_qlog_index_tail(db, 9, &err), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT slice, first_id, last_id, first_us - 1795514400000000,"
					    " last_us - 1795514400000000, (SELECT count(*) FROM qname_ids q"
					    " WHERE q.slice = s.slice), (SELECT count(*) FROM client_ids c"
					    " WHERE c.slice = s.slice), (SELECT group_concat(data || ':' || ids)"
					    " FROM answer_ids a WHERE a.slice = s.slice) FROM log_slices s ORDER BY slice",
					    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s|%s|%s|%s|%s|%s|%s|%s\n",
				      sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
				      sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
				      sqlite3_column_text(st, 4), sqlite3_column_text(st, 5),
				      sqlite3_column_text(st, 6),
				      sqlite3_column_text(st, 7) ? (const char *)sqlite3_column_text(st, 7) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_string_equal(out, "1|1|4|1000000|4000000|4|4|192.0.2.1:[1,3],192.0.2.2:[3],2001:db8::1:[2]\n"
				 "2|5|7|5000000|7000000|3|3|\n"
				 "3|8|9|8000000|9000000|2|2|\n");
}

static void test_reads_version_1_file_with_its_indexes(void **state)
{
	struct fixture *f = *state;
	char path[192];
	sqlite3 *db = NULL;
	const char *t;

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	test_db_exec(db, test_schema_v1);
	test_db_exec(db, rows_sql);
	sqlite3_close(db);
	assert_string_equal(run(path, Q, "client", "10.0.2.15", NULL), "1,5,9");
	assert_string_equal(run(path, A, "ip", "192.0.2.1", NULL),
			    "1:10.0.2.15:example.com.:300,3:10.0.3.9:notexample.com.:10");
	t = plan(path, A, "ip", "192.0.2.1", NULL);
	expect_in_plan(t, "SEARCH a USING INDEX answers_data (data=?)");
	t = plan(path, Q, "client", "10.0.2.15", NULL);
	expect_in_plan(t, "SEARCH queries USING INDEX queries_client_ts (client=?)");
}

/* ----- address answers in log order (the flow monitor's reader) ----- */

/* Log order is reply order: 4 was asked before 1 to 3 but answered after
 * them; 6 was answered after 5, which was asked 370 s after the first
 * window's end; 9 before the scan's start.  Times are T0 + n seconds. */
static const char scan_rows_sql[] =
	"INSERT INTO queries VALUES"
	" (1, 1795514410000000, '10.0.2.15', 1, 'inference', 'udp', 'a.example.', 1, 0, 'upstream', '', '', 1),"
	" (2, 1795514420000000, '10.0.2.16', 2, 'inference', 'udp', 'b.example.', 1, 0, 'upstream', '', '', 1),"
	" (3, 1795514500000000, '10.0.2.15', 3, 'inference', 'udp', 'c.example.', 1, 0, 'upstream', '', '', 1),"
	" (4, 1795514405000000, '10.0.2.15', 4, 'inference', 'udp', 'd.example.', 1, 0, 'upstream', '', '', 1),"
	" (5, 1795514800000000, '10.0.2.15', 5, 'inference', 'udp', 'e.example.', 1, 0, 'upstream', '', '', 1),"
	" (6, 1795514425000000, '10.0.3.9', 6, 'data', 'udp', 'f.example.', 1, 0, 'upstream', '', '', 1),"
	" (7, 1795515400000000, '10.0.2.15', 7, 'inference', 'udp', 'g.example.', 28, 0, 'upstream', '', '', 1),"
	" (8, 1795515401000000, '10.0.2.15', 8, 'inference', 'udp', 'h.example.', 1, 3, 'upstream', '', '', 1),"
	" (9, 1795514402000000, '10.0.2.15', 9, 'inference', 'udp', 'i.example.', 1, 0, 'upstream', '', '', 1);"
	"INSERT INTO answers VALUES"
	" (1, 'a.example.', 1, '192.0.2.1', 60),"
	" (2, 'b.example.', 5, 'b2.example.', 60),"
	" (2, 'b2.example.', 1, '192.0.2.2', 60),"
	" (2, 'b2.example.', 1, '192.0.2.22', 60),"
	" (3, 'c.example.', 1, '192.0.2.3', 60),"
	" (4, 'd.example.', 1, '192.0.2.4', 60),"
	" (5, 'e.example.', 1, '192.0.2.5', 60),"
	" (6, 'f.example.', 1, '192.0.2.6', 60),"
	" (7, 'g.example.', 28, '2001:db8::7', 60),"
	" (9, 'i.example.', 1, '192.0.2.9', 60);";

static int on_scanned(const struct al_logaddr *a, void *arg)
{
	seen_add(arg, "%lld:%s:%s:%s:%lld", (long long)a->query_id, a->qname, a->data, a->client,
		 (long long)((a->ts_us - T0) / S));
	return 0;
}

static const char *scan_window(struct al_logread_scan *sc, int64_t until)
{
	static struct seen v;
	struct al_err err;

	v.o = 0;
	v.s[0] = 0;
	if (al_logread_scan(sc, until, on_scanned, &v, &err) != 0)
		fail_msg("al_logread_scan: %s", err.msg);
	return v.s;
}

/* The scan over a file of schema version (3: current, 1: before slices),
 * its rows indexed in slices up to each id of slice_ends. */
static void check_scan(const char *dir, int version, const int64_t *slice_ends)
{
	struct al_logread_scan *sc = NULL;
	struct al_logread *lr = NULL;
	struct al_err err;
	char path[192];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/scan-v%d-%lld.db", dir, version, (long long)*slice_ends);
	if (version == 1) {
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		test_db_exec(db, test_schema_v1);
	} else {
		db = db_create(path);
	}
	test_db_exec(db, scan_rows_sql);
	for (; *slice_ends; slice_ends++)
		if (al_qlog_index_tail(db, *slice_ends, &err) != 0)
			fail_msg("al_qlog_index_tail(%lld): %s", (long long)*slice_ends, err.msg);
	if (al_logread_open(path, &lr, &err) != 0)
		fail_msg("al_logread_open: %s", err.msg);
	assert_int_equal(al_logread_scan_open(lr, T0 + 3 * S, &sc, &err), 0);
	/* Up to T0 + 30 s: in log order, on past 3 (asked after 30 s but less
	 * than AL_LOGREAD_LATE_US after) to the late 4, until 5 (asked that
	 * long after 30 s or later) has been read; only A and AAAA answers;
	 * 9, asked before the start, never. */
	assert_string_equal(scan_window(sc, T0 + 30 * S),
			    "1:a.example.:192.0.2.1:10.0.2.15:10,2:b.example.:192.0.2.2:10.0.2.16:20,"
			    "2:b.example.:192.0.2.22:10.0.2.16:20,3:c.example.:192.0.2.3:10.0.2.15:100,"
			    "4:d.example.:192.0.2.4:10.0.2.15:5,5:e.example.:192.0.2.5:10.0.2.15:400");
	/* The next window goes on after 5: 6, later than the bound, comes now. */
	assert_string_equal(scan_window(sc, T0 + 2000 * S),
			    "6:f.example.:192.0.2.6:10.0.3.9:25,7:g.example.:2001:db8::7:10.0.2.15:1000");
	assert_string_equal(scan_window(sc, T0 + 3000 * S), "");
	/* A row written meanwhile is seen by the next call. */
	test_db_exec(db, "INSERT INTO queries VALUES (10, 1795515500000000, '10.0.2.15', 10, 'inference', 'udp',"
		    " 'j.example.', 1, 0, 'upstream', '', '', 1);"
		    "INSERT INTO answers VALUES (10, 'j.example.', 1, '192.0.2.10', 60);");
	assert_string_equal(scan_window(sc, T0 + 3000 * S), "10:j.example.:192.0.2.10:10.0.2.15:1100");
	al_logread_scan_close(sc);
	/* A scan that starts later: 7, then 10 (8 has no answer). */
	assert_int_equal(al_logread_scan_open(lr, T0 + 1000 * S, &sc, &err), 0);
	assert_string_equal(scan_window(sc, T0 + 5000 * S),
			    "7:g.example.:2001:db8::7:10.0.2.15:1000,10:j.example.:192.0.2.10:10.0.2.15:1100");
	al_logread_scan_close(sc);
	al_logread_close(lr);
	sqlite3_close(db);
}

static void test_scan_reads_log_order_with_late_rows(void **state)
{
	static const int64_t none[] = { 0 }, two[] = { 3, 6, 0 }, each[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };
	const char *dir = ((struct fixture *)*state)->dir;

	check_scan(dir, 3, none);
	check_scan(dir, 3, two);
	check_scan(dir, 3, each);
	check_scan(dir, 1, none);
}

/* ----- opening ----- */

static int open_err(const char *path, struct al_err *err)
{
	struct al_logread *lr = (struct al_logread *)&lr; /* must be reset to NULL */
	int rc;

	err->msg[0] = '\0';
	rc = al_logread_open(path, &lr, err);
	assert_null(lr);
	return rc;
}

static void test_open_refuses_what_is_not_a_current_log(void **state)
{
	struct fixture *f = *state;
	char path[256], want[512];
	struct al_err err;
	sqlite3 *db;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	assert_int_equal(open_err(path, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open the query log: No such file or directory", path);
	assert_string_equal(err.msg, want);

	assert_int_equal(open_err(f->dir, &err), -EISDIR);

	/* An empty file: schema version 0. */
	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	assert_int_equal(open_err(path, &err), -EIO);
	snprintf(want, sizeof(want), "%s: not an airlock query log (schema version 0: empty, or another program's database)", path);
	assert_string_equal(err.msg, want);

	/* Another program's database: tables, but version 0. */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	test_db_exec(db, "CREATE TABLE queries (x)");
	sqlite3_close(db);
	assert_int_equal(open_err(path, &err), -EIO);
	snprintf(want, sizeof(want), "%s: not an airlock query log (schema version 0: empty, or another program's database)", path);
	assert_string_equal(err.msg, want);

	/* Written by a later airlock. */
	snprintf(path, sizeof(path), "%s/newer.db", f->dir);
	db = db_create(path);
	snprintf(want, sizeof(want), "PRAGMA user_version = %d", AL_QLOG_SCHEMA_VERSION + 1);
	test_db_exec(db, want);
	sqlite3_close(db);
	assert_int_equal(open_err(path, &err), -EIO);
	snprintf(want, sizeof(want), "%s: schema version %d is newer than this airlock knows (%d): use a newer airlock",
		 path, AL_QLOG_SCHEMA_VERSION + 1, AL_QLOG_SCHEMA_VERSION);
	assert_string_equal(err.msg, want);

	/* Not SQLite at all. */
	snprintf(path, sizeof(path), "%s/text.db", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("this is not a database, but it is long enough to have a header of 100 bytes ...........................\n", fp);
	fclose(fp);
	assert_int_equal(open_err(path, &err), -EIO);
	snprintf(want, sizeof(want), "%s: cannot read the query log: file is not a database", path);
	assert_string_equal(err.msg, want);
}

/* The connection is read-only, and a writer's open transaction neither
 * blocks it nor shows it uncommitted rows (WAL). */
static void test_open_is_read_only_beside_a_writer(void **state)
{
	const char *p = ((struct fixture *)*state)->path;
	struct al_logread *lr = NULL;
	struct al_err err;
	sqlite3 *w = NULL;

	assert_int_equal(sqlite3_open(p, &w), SQLITE_OK);
	test_db_exec(w, "BEGIN IMMEDIATE");
	test_db_exec(w, "INSERT INTO queries VALUES (10, 1795514410000000, '10.0.2.15', 1, 'inference', 'udp', 'late.example.', 1, 0, 'cache', '', '', 1)");
	assert_string_equal(run(p, Q, "limit", "2", NULL), "8,9");
	test_db_exec(w, "COMMIT");
	assert_string_equal(run(p, Q, "limit", "2", NULL), "9,10");
	sqlite3_close(w);
	assert_int_equal(al_logread_open(p, &lr, &err), 0);
	al_logread_close(lr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logtime_accepts_every_form),
		cmocka_unit_test(test_logtime_rejects_malformed),
		cmocka_unit_test(test_logtime_duration),
		cmocka_unit_test(test_logtime_formats_utc),
		cmocka_unit_test(test_filter_messages_name_option_value_and_expected),
		cmocka_unit_test(test_filter_normalises_values),
		cmocka_unit_test(test_filter_rejects_since_after_until),
		cmocka_unit_test_setup_teardown(test_log_filters_select_exact_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_reads_log_order_with_late_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_client_matches_address_and_cidr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_name_matches_suffix_literally, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_name_ignores_escaped_dots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_name_ignores_escaped_dots, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_limit_keeps_most_recent_oldest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_rows_carry_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incidents_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_resolved_and_at_window_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_filters_select_exact_rows, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_client_matches_address_and_cidr, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_name_matches_suffix_literally, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_limit_keeps_most_recent_oldest_first, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_rows_carry_every_field, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_incidents_filters, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_who_resolved_and_at_window_edges, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_filters_select_exact_rows, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_client_matches_address_and_cidr, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_name_matches_suffix_literally, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_limit_keeps_most_recent_oldest_first, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_log_rows_carry_every_field, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_incidents_filters, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_who_resolved_and_at_window_edges, setup_all_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_plans_seek_slice_indexes_and_tail, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_index_tail_makes_contiguous_slices, setup_sliced, teardown),
		cmocka_unit_test_setup_teardown(test_reads_version_1_file_with_its_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_what_is_not_a_current_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_is_read_only_beside_a_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_is_read_only_beside_a_writer, setup_sliced, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
