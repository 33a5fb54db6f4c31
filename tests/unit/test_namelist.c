/* Name lists: what each entry form matches (and its near misses), which
 * entry wins when several match, the list name in a hit, load errors that
 * name file:line, and the shipped zones/guard-*.txt.  Names reach the
 * matcher in wire form built by ldns (reply.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/msg.h"
#include "airlock/namelist.h"
#include "reply.h"
#include "tmpdir.h"

#define ALLOW TOP_SRCDIR "/zones/guard-allow.txt"
#define BLOCK TOP_SRCDIR "/zones/guard-block.txt"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	return test_tmpdir_make(dir, sizeof(dir), "nl");
}

static int remove_dir(void **state)
{
	(void)state;
	return test_tmpdir_remove(dir);
}

/* Writes text to dir/name; returns path, where the name was put. */
static const char *list_file(const char *name, const char *text, char *path, size_t len)
{
	const char *p = test_tmpdir_write(dir, name, text, path, len);

	assert_non_null(p);
	return p;
}

static struct al_namelist *load_text(const char *name, const char *text)
{
	char path[256];
	const char *paths[] = { list_file(name, text, path, sizeof(path)) };
	struct al_namelist *l = NULL;
	struct al_err err = { "" };

	if (al_namelist_load(paths, 1, &l, &err) != 0)
		fail_msg("load: %s", err.msg);
	return l;
}

/* Loads text as name; returns the rc, the message left in err. */
static int load_bad(const char *name, const char *text, struct al_err *err, char *path,
		    size_t len)
{
	const char *paths[] = { list_file(name, text, path, len) };
	struct al_namelist *l = NULL;
	int rc = al_namelist_load(paths, 1, &l, err);

	assert_null(l);
	return rc;
}

static const struct al_namelist_hit *match(const struct al_namelist *l, const char *text)
{
	uint8_t wire[AL_MAX_NAME];
	size_t n = test_name(wire, sizeof(wire), text);

	return al_namelist_match(l, wire, n);
}

/* name must hit entry (as written) at line. */
static void expect_hit(const struct al_namelist *l, const char *name, const char *list,
		       const char *entry, unsigned line)
{
	const struct al_namelist_hit *h = match(l, name);

	if (!h)
		fail_msg("%s: no hit, expected %s", name, entry);
	assert_string_equal(h->list, list);
	assert_string_equal(h->entry, entry);
	assert_int_equal(h->line, line);
}

/* name must hit entry in the shipped guard-allow.txt (any line). */
static void expect_entry(const struct al_namelist *l, const char *name, const char *entry)
{
	const struct al_namelist_hit *h = match(l, name);

	if (!h)
		fail_msg("%s: no hit, expected %s", name, entry);
	assert_string_equal(h->list, "guard-allow");
	assert_string_equal(h->entry, entry);
}

static void expect_miss(const struct al_namelist *l, const char *name)
{
	const struct al_namelist_hit *h = match(l, name);

	if (h)
		fail_msg("%s: hit %s:%u \"%s\", expected none", name, h->list, h->line, h->entry);
}

static void test_namelist_suffix_matches_name_and_below(void **state)
{
	struct al_namelist *l = load_text("s.txt", "example.com\n");
	(void)state;

	expect_hit(l, "example.com.", "s", "example.com", 1);
	expect_hit(l, "a.example.com.", "s", "example.com", 1);
	expect_hit(l, "x.y.z.example.com.", "s", "example.com", 1);
	expect_miss(l, "notexample.com.");
	expect_miss(l, "example.com.evil.net.");
	expect_miss(l, "com.");
	expect_miss(l, "example.org.");
	expect_miss(l, ".");
	assert_int_equal(al_namelist_count(l), 1);
	al_namelist_free(l);
}

static void test_namelist_exact_matches_that_name_only(void **state)
{
	struct al_namelist *l = load_text("e.txt", "=host.example.com\n");
	(void)state;

	expect_hit(l, "host.example.com.", "e", "=host.example.com", 1);
	expect_miss(l, "a.host.example.com.");
	expect_miss(l, "example.com.");
	expect_miss(l, "xhost.example.com.");
	al_namelist_free(l);
}

static void test_namelist_star_matches_strictly_below(void **state)
{
	struct al_namelist *l = load_text("w.txt", "*.example.com\n");
	(void)state;

	expect_hit(l, "a.example.com.", "w", "*.example.com", 1);
	expect_hit(l, "b.a.example.com.", "w", "*.example.com", 1);
	expect_miss(l, "example.com.");
	expect_miss(l, "aexample.com.");
	al_namelist_free(l);
}

static void test_namelist_case_and_trailing_dot_do_not_matter(void **state)
{
	struct al_namelist *l = load_text("c.txt", "  Example.COM.   # mixed case, dot\n"
					  "=WWW.Example.Net\n");
	(void)state;

	expect_hit(l, "www.example.com.", "c", "Example.COM.", 1);
	expect_hit(l, "www.example.net.", "c", "=WWW.Example.Net", 2);
	expect_miss(l, "a.www.example.net.");
	al_namelist_free(l);
}

static void test_namelist_names_between_entries_do_not_match(void **state)
{
	struct al_namelist *l = load_text("i.txt", "a.b.example.com\n=x.y.example.net\n");
	struct al_namelist *m = load_text("j.txt", "example.com\na.b.example.com\n");
	char name[256];
	size_t i;
	(void)state;

	expect_hit(l, "z.a.b.example.com.", "i", "a.b.example.com", 1);
	expect_miss(l, "b.example.com.");
	expect_miss(l, "example.com.");
	expect_miss(l, "com.");
	expect_miss(l, "c.b.example.com.");
	expect_miss(l, "y.example.net.");
	expect_miss(l, "w.x.y.example.net.");

	/* Through b.example.com (no entry) to a deeper miss: example.com. */
	expect_hit(m, "c.b.example.com.", "j", "example.com", 1);
	expect_hit(m, "b.example.com.", "j", "example.com", 1);
	expect_hit(m, "q.a.b.example.com.", "j", "a.b.example.com", 2);

	/* 121 one-character labels above example.com. */
	for (i = 0; i < 121; i++)
		memcpy(name + 2 * i, "a.", 2);
	strcpy(name + 242, "example.com.");
	expect_hit(m, name, "j", "example.com", 1);
	al_namelist_free(l);
	al_namelist_free(m);
}

static void test_namelist_label_entry_matches_label_anywhere(void **state)
{
	struct al_namelist *l = load_text("lab.txt", "# mail authentication\n"
					  "~_domainkey\n~_DMARC\n");
	(void)state;

	expect_hit(l, "s1._domainkey.example.com.", "lab", "~_domainkey", 2);
	expect_hit(l, "_domainkey.example.com.", "lab", "~_domainkey", 2);
	expect_hit(l, "a.b.example._domainkey.", "lab", "~_domainkey", 2);
	expect_hit(l, "example.com._report._dmarc.example.net.", "lab", "~_DMARC", 3);
	expect_miss(l, "x_domainkey.example.com.");
	expect_miss(l, "_domainkeys.example.com.");
	expect_miss(l, "domainkey.example.com.");
	expect_miss(l, "_dmarc-x.example.com.");
	al_namelist_free(l);
}

static void test_namelist_most_specific_entry_wins(void **state)
{
	struct al_namelist *l = load_text("m.txt", "example.com\n"
					  "=a.example.com\n"
					  "*.b.example.com\n"
					  "b.example.com\n"
					  "~_tag\n"
					  "=example.com\n");
	(void)state;

	expect_hit(l, "a.example.com.", "m", "=a.example.com", 2);
	expect_hit(l, "x.a.example.com.", "m", "example.com", 1);
	expect_hit(l, "example.com.", "m", "=example.com", 6);
	expect_hit(l, "c.example.com.", "m", "example.com", 1);
	/* Below b: *.b beats b at the same suffix; b itself only by b. */
	expect_hit(l, "x.b.example.com.", "m", "*.b.example.com", 3);
	expect_hit(l, "b.example.com.", "m", "b.example.com", 4);
	/* A name entry beats a label entry. */
	expect_hit(l, "_tag.example.com.", "m", "example.com", 1);
	expect_hit(l, "_tag.example.org.", "m", "~_tag", 5);
	al_namelist_free(l);
}

static void test_namelist_duplicates_keep_the_first(void **state)
{
	struct al_namelist *l = load_text("d.txt", "example.com\n"
					  "EXAMPLE.com.\n"
					  "=a.example.com\n"
					  "=a.example.com.\n"
					  "~_x\n~_X\n");
	(void)state;

	assert_int_equal(al_namelist_count(l), 3);
	expect_hit(l, "b.example.com.", "d", "example.com", 1);
	expect_hit(l, "a.example.com.", "d", "=a.example.com", 3);
	expect_hit(l, "_x.example.org.", "d", "~_x", 5);
	al_namelist_free(l);
}

static void test_namelist_hit_names_its_file(void **state)
{
	char p1[256], p2[256], p3[256];
	const char *paths[] = {
		list_file("guard-allow.txt", "example.com\n", p1, sizeof(p1)),
		list_file("guard-block.list", "\n# block\n=evil.example.com\nexample.com\n", p2, sizeof(p2)),
		list_file("extra", "~_tunnel\n", p3, sizeof(p3)),
	};
	struct al_namelist *l = NULL;
	struct al_err err = { "" };
	(void)state;

	assert_int_equal(al_namelist_load(paths, 3, &l, &err), 0);
	assert_int_equal(al_namelist_count(l), 3);
	expect_hit(l, "www.example.com.", "guard-allow", "example.com", 1);
	expect_hit(l, "evil.example.com.", "guard-block", "=evil.example.com", 3);
	expect_hit(l, "_tunnel.example.org.", "extra", "~_tunnel", 1);
	al_namelist_free(l);
}

/* n characters: 62-character labels ("aaa...a.") then a last label of
 * letters, underscore first. */
static void long_name(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = i % 62 == 61 ? '.' : 'a';
	out[n - n % 62] = '_';
	out[n] = '\0';
}

static void test_namelist_long_and_underscore_names_load(void **state)
{
	char entry[300], text[310], name[310];
	struct al_namelist *l;
	(void)state;

	/* A 63-character label. */
	memset(entry, 'a', 63);
	strcpy(entry + 63, ".example.com");
	snprintf(text, sizeof(text), "%s\n", entry);
	l = load_text("long.txt", text);
	snprintf(name, sizeof(name), "x.%s.", entry);
	expect_hit(l, name, "long", entry, 1);
	al_namelist_free(l);

	/* 253 characters: 255 bytes in wire form, the most there is. */
	long_name(entry, 253);
	snprintf(text, sizeof(text), "%s\n", entry);
	l = load_text("max.txt", text);
	snprintf(name, sizeof(name), "%s.", entry);
	expect_hit(l, name, "max", entry, 1);
	name[0] = 'b';
	expect_miss(l, name);
	al_namelist_free(l);
}

static void expect_error(const char *text, int rc, const char *msg_after_path)
{
	char path[256], want[512];
	struct al_err err = { "" };

	assert_int_equal(load_bad("bad.txt", text, &err, path, sizeof(path)), rc);
	snprintf(want, sizeof(want), "%s%s", path, msg_after_path);
	assert_string_equal(err.msg, want);
}

static void test_namelist_rejects_bad_entries_with_file_line(void **state)
{
	char text[200];
	(void)state;

	expect_error("ok.example\n\n# comment\nexa mple.com\n", -EINVAL,
		     ":4: \"exa mple.com\" is not a DNS name (bad character ' '; expected letters, digits, '-', '_')");
	expect_error("a..example.com\n", -EINVAL,
		     ":1: \"a..example.com\" is not a DNS name (empty label)");
	expect_error(".example.com\n", -EINVAL,
		     ":1: \".example.com\" is not a DNS name (empty label)");
	expect_error("a.*.example.com\n", -EINVAL,
		     ":1: \"a.*.example.com\" is not a DNS name ('*' is allowed only as the whole leftmost label, as in \"*.example.com\")");
	expect_error("*example.com\n", -EINVAL,
		     ":1: \"*example.com\" is not a DNS name ('*' is allowed only as the whole leftmost label, as in \"*.example.com\")");
	expect_error(".\n", -EINVAL, ":1: \".\" is not a DNS name (the root would match every name)");
	expect_error("x.example\n=\n", -EINVAL, ":2: \"=\" is not a DNS name (no name after the prefix)");
	expect_error("*.\n", -EINVAL, ":1: \"*.\" is not a DNS name (no name after the prefix)");
	expect_error("=*.example.com\n", -EINVAL,
		     ":1: \"=*.example.com\" is not a DNS name ('*' is allowed only as the whole leftmost label, as in \"*.example.com\")");
	expect_error("~_dmarc.example.com\n", -EINVAL,
		     ":1: \"~_dmarc.example.com\" is not a label entry (one label without dots, e.g. \"~_domainkey\")");
	expect_error("~\n", -EINVAL, ":1: \"~\" is not a label entry (empty label)");
	expect_error("caf\xc3\xa9.example\n", -EINVAL,
		     ":1: \"caf\\xc3\\xa9.example\" is not a DNS name (bad character \\xc3; expected letters, digits, '-', '_')");

	memset(text, 'a', 64);
	strcpy(text + 64, ".example.com\n");
	expect_error(text, -EINVAL,
		     ":1: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com\" is not a DNS name "
		     "(label \"aaaaaaaaaaaaaaaaaaaa...\" has 64 characters; at most 63)");
}

static void test_namelist_rejects_names_over_255_bytes(void **state)
{
	char text[300], want[200];
	(void)state;

	/* 254 characters: 256 bytes in wire form.  The message shows 80. */
	long_name(text, 254);
	snprintf(want, sizeof(want), ":1: \"%.80s...\" is not a DNS name (longer than 255 bytes in wire form)",
		 text);
	strcat(text, "\n");
	expect_error(text, -EINVAL, want);
}

static void test_namelist_missing_file_names_path_and_reason(void **state)
{
	char path[256];
	const char *paths[] = { path };
	struct al_namelist *l = NULL;
	struct al_err err = { "" };
	(void)state;

	snprintf(path, sizeof(path), "%s/absent.txt", dir);
	assert_int_equal(al_namelist_load(paths, 1, &l, &err), -ENOENT);
	assert_null(l);
	assert_string_equal(err.msg, strcat(path, ": No such file or directory"));
}

static void test_namelist_rejects_empty_file_names(void **state)
{
	char ok[256], slash[300];
	const char *paths[] = { list_file("ok.txt", "example.com\n", ok, sizeof(ok)), "" };
	struct al_namelist *l = NULL;
	struct al_err err = { "" };
	(void)state;

	assert_int_equal(al_namelist_load(paths, 2, &l, &err), -EINVAL);
	assert_null(l);
	assert_string_equal(err.msg, "name list 2: empty file name (expected a path, e.g. zones/guard-allow.txt)");

	snprintf(slash, sizeof(slash), "%s/", dir);
	paths[1] = slash;
	assert_int_equal(al_namelist_load(paths, 2, &l, &err), -EINVAL);
	assert_null(l);
	assert_string_equal(err.msg, strcat(slash, ": no file name after the last '/' (expected a list file, e.g. zones/guard-allow.txt)"));
}

static void test_namelist_empty_list_matches_nothing(void **state)
{
	struct al_namelist *l = load_text("empty.txt", "# nothing yet\n\n   \n");
	struct al_namelist *none = NULL;
	struct al_err err = { "" };
	uint8_t bad[] = { 5, 'a', 'b', 0 }; /* length byte runs past the end */
	(void)state;

	assert_int_equal(al_namelist_count(l), 0);
	expect_miss(l, "example.com.");
	al_namelist_free(l);

	assert_int_equal(al_namelist_load(NULL, 0, &none, &err), 0);
	assert_int_equal(al_namelist_count(none), 0);
	al_namelist_free(none);
	assert_null(al_namelist_match(NULL, bad, sizeof(bad)));

	l = load_text("ab.txt", "ab\n~ab\n");
	assert_null(al_namelist_match(l, bad, sizeof(bad)));
	assert_null(al_namelist_match(l, bad, 0));
	al_namelist_free(l);
}

static void test_namelist_shipped_lists_load_and_match(void **state)
{
	const char *paths[] = { ALLOW, BLOCK };
	struct al_namelist *l = NULL;
	struct al_err err = { "" };
	(void)state;

	if (al_namelist_load(paths, 2, &l, &err) != 0)
		fail_msg("shipped lists: %s", err.msg);
	assert_true(al_namelist_count(l) >= 30);
	expect_entry(l, "4.3.2.1.in-addr.arpa.", "in-addr.arpa");
	expect_entry(l, "b.a.9.8.7.6.5.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
		     "ip6.arpa");
	expect_entry(l, "abcd.cloudfront.net.", "cloudfront.net");
	expect_entry(l, "2.0.0.127.zen.spamhaus.org.", "zen.spamhaus.org");
	expect_entry(l, "my-alb-1234567890.us-east-1.elb.amazonaws.com.", "elb.amazonaws.com");
	expect_entry(l, "ec2-192-0-2-1.us-west-2.compute.amazonaws.com.", "compute.amazonaws.com");
	expect_entry(l, "e1234.a.akamaiedge.net.", "akamaiedge.net");
	expect_miss(l, "evil-cloudfront.net.");
	expect_miss(l, "cloudfront.net.evil.example.");
	expect_miss(l, "mybucket.s3.amazonaws.com.");
	expect_miss(l, "x.googleusercontent.com.");
	/* Label entries are shipped commented out (see the file). */
	expect_miss(l, "s1._domainkey.example.com.");
	al_namelist_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namelist_suffix_matches_name_and_below),
		cmocka_unit_test(test_namelist_exact_matches_that_name_only),
		cmocka_unit_test(test_namelist_star_matches_strictly_below),
		cmocka_unit_test(test_namelist_case_and_trailing_dot_do_not_matter),
		cmocka_unit_test(test_namelist_names_between_entries_do_not_match),
		cmocka_unit_test(test_namelist_label_entry_matches_label_anywhere),
		cmocka_unit_test(test_namelist_most_specific_entry_wins),
		cmocka_unit_test(test_namelist_duplicates_keep_the_first),
		cmocka_unit_test(test_namelist_hit_names_its_file),
		cmocka_unit_test(test_namelist_long_and_underscore_names_load),
		cmocka_unit_test(test_namelist_rejects_bad_entries_with_file_line),
		cmocka_unit_test(test_namelist_rejects_names_over_255_bytes),
		cmocka_unit_test(test_namelist_missing_file_names_path_and_reason),
		cmocka_unit_test(test_namelist_rejects_empty_file_names),
		cmocka_unit_test(test_namelist_empty_list_matches_nothing),
		cmocka_unit_test(test_namelist_shipped_lists_load_and_match),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
