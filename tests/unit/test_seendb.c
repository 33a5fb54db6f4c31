/* The newly-seen-domains baseline outside the daemon: the text form is
 * parsed strictly (each bad line with its reason), written so that it
 * reads back the same (any name the daemon keeps: punctuation, \DDD
 * escapes, a leading '#', names of 255 bytes), imported all or nothing
 * keeping the earlier sighting, and read back from a real SQLite file with
 * al_logread_seen. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/logread.h"
#include "airlock/seendb.h"
#include "tmpdir.h"

#define T0 1795514400000000LL /* 2026-11-24T10:00:00Z */

static void test_seendb_parses_lines(void **state)
{
	char line[256], dom[AL_MAX_NAME_TEXT];
	struct al_err err;
	int64_t t = 0;

	(void)state;
	snprintf(line, sizeof(line), "Example.COM 2026-11-24T10:00:00Z\n");
	assert_int_equal(al_seendb_parse_line(line, dom, &t, &err), 1);
	assert_string_equal(dom, "example.com.");
	assert_int_equal(t, T0);
	snprintf(line, sizeof(line), "\tmy_bucket.s3.amazonaws.com.  2026-11-24T10:00:00.250000Z  # from b\n");
	assert_int_equal(al_seendb_parse_line(line, dom, &t, &err), 1);
	assert_string_equal(dom, "my_bucket.s3.amazonaws.com.");
	assert_int_equal(t, T0 + 250000);
	snprintf(line, sizeof(line), "   # only a comment\n");
	assert_int_equal(al_seendb_parse_line(line, dom, &t, &err), 0);
	snprintf(line, sizeof(line), "\n");
	assert_int_equal(al_seendb_parse_line(line, dom, &t, &err), 0);
}

static void expect_bad(const char *text, const char *why)
{
	char line[512], dom[AL_MAX_NAME_TEXT];
	struct al_err err = { "" };
	int64_t t;

	snprintf(line, sizeof(line), "%s", text);
	if (al_seendb_parse_line(line, dom, &t, &err) != -EINVAL)
		fail_msg("\"%s\" was accepted", text);
	if (!strstr(err.msg, why))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, why);
}

static void test_seendb_rejects_bad_lines(void **state)
{
	char longlabel[128];

	(void)state;
	expect_bad("example.com", "expected a domain and the time");
	expect_bad("example.com 2026-11-24T10:00:00Z extra", "expected a domain and the time");
	expect_bad("exa mple.com 2026-11-24T10:00:00Z", "expected a domain and the time");
	expect_bad("example.com #2026-11-24T10:00:00Z", "expected a domain and the time");
	expect_bad("a..example.com 2026-11-24T10:00:00Z", "\"a..example.com\" is not a domain name");
	expect_bad(".example.com 2026-11-24T10:00:00Z", "is not a domain name");
	expect_bad(". 2026-11-24T10:00:00Z", "is not a domain name");
	memset(longlabel, 'a', 64);
	snprintf(longlabel + 64, sizeof(longlabel) - 64, ".com 2026-11-24T10:00:00Z");
	expect_bad(longlabel, "is not a domain name");
	/* Escapes: \DDD up to 255, or \ and a non-digit. */
	expect_bad("\\256x.com 2026-11-24T10:00:00Z", "is not a domain name");
	expect_bad("\\2x.com 2026-11-24T10:00:00Z", "is not a domain name");
	expect_bad("a.\\20 2026-11-24T10:00:00Z", "is not a domain name");
	expect_bad("a.com\\ 2026-11-24T10:00:00Z", "is not a domain name");
	/* A baseline means the same tomorrow: no relative times. */
	expect_bad("example.com 1h", "is not a UTC time");
	expect_bad("example.com 2026-13-01", "is not a UTC time");
	expect_bad("example.com yesterday", "is not a UTC time");
}

static void test_seendb_written_line_reads_back(void **state)
{
	char buf[256], dom[AL_MAX_NAME_TEXT];
	struct al_err err;
	int64_t t = 0;
	FILE *fp = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(fp);
	assert_int_equal(al_seendb_write_line(fp, "example.net.", T0 + 123456), 0);
	fclose(fp);
	assert_string_equal(buf, "example.net. 2026-11-24T10:00:00.123456Z\n");
	assert_int_equal(al_seendb_parse_line(buf, dom, &t, &err), 1);
	assert_string_equal(dom, "example.net.");
	assert_int_equal(t, T0 + 123456);
}

/* Names the daemon keeps as registered domains (al_regdom's text). */
static const char *const odd[] = {
	"b!c.com.",          /* a query for a.b!c.com */
	"\\200x.com.",       /* a byte outside ASCII */
	"x\\032y.example.",  /* a space */
	"#h.example.",       /* a leading '#': written escaped, it is no comment */
	"a#b.example.",      /* a '#' inside */
	"b\\.com.",          /* one label: libpsl reads a.b\.com's escaped dot as a dot */
	"\\\\x.example.",    /* a backslash */
	"\\000\\255(.example.",
	NULL,                /* the longest name, 255 bytes of \255: 1004 characters */
};
#define NODD (sizeof(odd) / sizeof(odd[0]))

static const char *odd_name(size_t i, char *buf, size_t len)
{
	size_t o = 0;
	int l, j;

	if (odd[i])
		return odd[i];
	for (l = 0; l < 4; l++) {
		for (j = 0; j < (l < 3 ? 63 : 61); j++)
			o += (size_t)snprintf(buf + o, len - o, "\\255");
		o += (size_t)snprintf(buf + o, len - o, ".");
	}
	return buf;
}

/* Each odd name as the export writes it, first seen at T0 + i s. */
static void write_odd(char *out, size_t len)
{
	char name[AL_MAX_NAME_TEXT];
	FILE *fp = fmemopen(out, len, "w");
	size_t i;

	assert_non_null(fp);
	for (i = 0; i < NODD; i++)
		assert_int_equal(al_seendb_write_line(fp, odd_name(i, name, sizeof(name)), T0 + (int64_t)i * 1000000), 0);
	assert_int_equal(fclose(fp), 0);
}

static void test_seendb_reads_back_every_name_it_writes(void **state)
{
	char text[8192], dom[AL_MAX_NAME_TEXT], name[AL_MAX_NAME_TEXT];
	char *line = text, *next;
	struct al_err err = { "" };
	int64_t t = 0;
	size_t i;

	(void)state;
	write_odd(text, sizeof(text));
	assert_non_null(strstr(text, "\n\\#h.example. 2026-11-24T10:00:03.000000Z\n"));
	for (i = 0; i < NODD; i++, line = next) {
		assert_non_null(next = strchr(line, '\n'));
		*next++ = '\0';
		if (al_seendb_parse_line(line, dom, &t, &err) != 1)
			fail_msg("%s: %s", line, err.msg);
		assert_string_equal(dom, odd_name(i, name, sizeof(name)));
		assert_int_equal(t, T0 + (int64_t)i * 1000000);
	}
	assert_int_equal(strlen(name), 1004);
	/* Other spellings of a name read as the daemon writes it. */
	snprintf(text, sizeof(text), "B\\033C.\\067om 2026-11-24T10:00:00Z");
	assert_int_equal(al_seendb_parse_line(text, dom, &t, &err), 1);
	assert_string_equal(dom, "b!c.com.");
	snprintf(text, sizeof(text), "\\(x.com 2026-11-24T10:00:00Z");
	assert_int_equal(al_seendb_parse_line(text, dom, &t, &err), 1);
	assert_string_equal(dom, "(x.com.");
	snprintf(text, sizeof(text), "com 2026-11-24T10:00:00Z");
	assert_int_equal(al_seendb_parse_line(text, dom, &t, &err), 1);
	assert_string_equal(dom, "com.");
}

struct rows {
	char text[4096];
	size_t n;
};

static int collect(const char *domain, int64_t first_us, void *arg)
{
	struct rows *r = arg;
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s %lld\n", domain, (long long)(first_us - T0));
	r->n++;
	return 0;
}

static void read_back(const char *db, struct rows *r)
{
	struct al_logread *lr;
	struct al_err err;

	memset(r, 0, sizeof(*r));
	if (al_logread_open(db, &lr, &err) < 0)
		fail_msg("open %s: %s", db, err.msg);
	if (al_logread_seen(lr, collect, r, &err) < 0)
		fail_msg("al_logread_seen: %s", err.msg);
	al_logread_close(lr);
}

static int import_text(const char *db, const char *text, size_t *added, size_t *earlier,
		       struct al_err *err)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(fp);
	rc = al_seendb_import(db, fp, "base.txt", 1000, added, earlier, err);
	fclose(fp);
	return rc;
}

static void test_seendb_import_keeps_the_earlier_sighting(void **state)
{
	char dir[64], db[128];
	size_t added, earlier;
	struct al_err err;
	struct rows r;

	(void)state;
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "seendb"), 0);
	snprintf(db, sizeof(db), "%s/log.db", dir);
	assert_int_equal(import_text(db, "# baseline\nexample.com. 2026-11-24T10:00:10Z\n"
					 "example.org 2026-11-24T10:00:20Z\n", &added, &earlier, &err), 0);
	assert_int_equal(added, 2);
	assert_int_equal(earlier, 0);
	read_back(db, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.text, "example.com. 10000000\nexample.org. 20000000\n");
	/* Another instance's baseline: earlier times win, later ones do not. */
	assert_int_equal(import_text(db, "example.com. 2026-11-24T10:00:05Z\n"
					 "example.org. 2026-11-24T10:00:30Z\n"
					 "example.net. 2026-11-24T10:00:40Z\n", &added, &earlier, &err), 0);
	assert_int_equal(added, 1);
	assert_int_equal(earlier, 1);
	read_back(db, &r);
	assert_string_equal(r.text, "example.com. 5000000\nexample.net. 40000000\nexample.org. 20000000\n");
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_seendb_import_is_all_or_nothing(void **state)
{
	char dir[64], db[128];
	size_t added = 9, earlier = 9;
	struct al_err err = { "" };
	struct rows r;

	(void)state;
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "seendb"), 0);
	snprintf(db, sizeof(db), "%s/log.db", dir);
	assert_int_equal(import_text(db, "example.com. 2026-11-24T10:00:10Z\n"
					 "example.org. 2026-11-24T10:00:20Z\n"
					 "bad..name 2026-11-24T10:00:20Z\n", &added, &earlier, &err), -EINVAL);
	assert_string_equal(err.msg, "base.txt:3: \"bad..name\" is not a domain name (expected e.g. "
			    "example.com: labels of 1-63 bytes, 255 in all, escapes \\DDD or \\X)");
	assert_int_equal(added, 0);
	read_back(db, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static int export_row(const char *domain, int64_t first_us, void *arg)
{
	return al_seendb_write_line(arg, domain, first_us);
}

/* What `airlock seen export` writes of a log's rows. */
static void export_text(const char *db, char *out, size_t len)
{
	FILE *fp = fmemopen(out, len, "w");
	struct al_logread *lr;
	struct al_err err;

	assert_non_null(fp);
	if (al_logread_open(db, &lr, &err) < 0 || al_logread_seen(lr, export_row, fp, &err) < 0)
		fail_msg("%s: %s", db, err.msg);
	al_logread_close(lr);
	assert_int_equal(fclose(fp), 0);
}

/* Export, import into another log, export again: the same text, whatever
 * the names (one odd name must not make every later import fail). */
static void test_seendb_export_import_round_trip_is_identical(void **state)
{
	char dir[64], db[128], db2[128], text[8192], first[8192], again[8192];
	size_t added, earlier;
	struct al_err err = { "" };

	(void)state;
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "seendb"), 0);
	snprintf(db, sizeof(db), "%s/log.db", dir);
	snprintf(db2, sizeof(db2), "%s/other.db", dir);
	write_odd(text, sizeof(text));
	if (import_text(db, text, &added, &earlier, &err) < 0)
		fail_msg("import: %s", err.msg);
	assert_int_equal(added, NODD);
	export_text(db, first, sizeof(first));
	if (import_text(db2, first, &added, &earlier, &err) < 0)
		fail_msg("import of the export: %s", err.msg);
	assert_int_equal(added, NODD);
	export_text(db2, again, sizeof(again));
	assert_string_equal(again, first);
	assert_non_null(strstr(first, "b!c.com. 2026-11-24T10:00:00.000000Z\n"));
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seendb_parses_lines),
		cmocka_unit_test(test_seendb_rejects_bad_lines),
		cmocka_unit_test(test_seendb_written_line_reads_back),
		cmocka_unit_test(test_seendb_import_keeps_the_earlier_sighting),
		cmocka_unit_test(test_seendb_import_is_all_or_nothing),
		cmocka_unit_test(test_seendb_reads_back_every_name_it_writes),
		cmocka_unit_test(test_seendb_export_import_round_trip_is_identical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
