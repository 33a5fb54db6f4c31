/* Local data: zone files loaded and merged, replies built for held names
 * (CNAME chains, NODATA with SOA, ANY), other names left to resolution,
 * and load errors that name file:line.  Replies are read back with ldns. */
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
#include <ldns/ldns.h>

#include "airlock/answer.h"
#include "airlock/localdata.h"
#include "reply.h"
#include "tmpdir.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	return test_tmpdir_make(dir, sizeof(dir), "ld");
}

static int remove_dir(void **state)
{
	(void)state;
	return test_tmpdir_remove(dir);
}

/* Writes text to dir/name; returns path, where the name was put. */
static const char *zone_file(const char *name, const char *text, char *path, size_t len)
{
	const char *p = test_tmpdir_write(dir, name, text, path, len);

	assert_non_null(p);
	return p;
}

static struct al_localdata *load_text(const char *text)
{
	char path[256];
	const char *paths[] = { zone_file("base.zone", text, path, sizeof(path)) };
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };

	if (al_localdata_load(paths, 1, &ld, &err) != 0)
		fail_msg("load: %s", err.msg);
	return ld;
}

/* Loads text as name; returns the rc and leaves the message in err. */
static int load_bad(const char *name, const char *text, struct al_err *err, char *path, size_t len)
{
	const char *paths[] = { zone_file(name, text, path, len) };
	struct al_localdata *ld = NULL;
	int rc = al_localdata_load(paths, 1, &ld, err);

	assert_null(ld);
	return rc;
}

static struct al_query query(const char *qname, uint16_t qtype)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 0x4242, qname, qtype, 0, 0);
	struct al_query q;

	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	return q;
}

static ldns_pkt *parse(const uint8_t *wire, int len)
{
	ldns_pkt *pkt = NULL;

	assert_true(len > 0);
	assert_int_equal(ldns_wire2pkt(&pkt, wire, (size_t)len), LDNS_STATUS_OK);
	return pkt;
}

/* Asks ld; the reply must be there and be well formed. */
static ldns_pkt *ask(const struct al_localdata *ld, const char *qname, uint16_t qtype)
{
	struct al_query q = query(qname, qtype);
	uint8_t out[4096];

	return parse(out, al_localdata_reply(ld, &q, out, sizeof(out)));
}

static int ask_len(const struct al_localdata *ld, const char *qname, uint16_t qtype)
{
	struct al_query q = query(qname, qtype);
	uint8_t out[4096];

	return al_localdata_reply(ld, &q, out, sizeof(out));
}

/* The section's records as "owner ttl class type rdata", in order. */
static void expect_rrs(const ldns_rr_list *list, const char *const *want)
{
	size_t i, n = ldns_rr_list_rr_count(list);

	for (i = 0; want[i]; i++) {
		char *s, *p;

		if (i >= n)
			fail_msg("record %zu missing: want \"%s\"", i, want[i]);
		s = ldns_rr2str(ldns_rr_list_rr(list, i));
		for (p = s; *p; p++)
			if (*p == '\t')
				*p = ' ';
		s[strcspn(s, "\n")] = '\0';
		assert_string_equal(s, want[i]);
		free(s);
	}
	assert_int_equal(n, i);
}

/* ID 0, QR AA RA, RD echoed, NOERROR, the question lower-cased. */
static void expect_header(const ldns_pkt *pkt, const char *qname, uint16_t qtype, bool rd)
{
	const ldns_rr *q;
	char *name;

	assert_int_equal(ldns_pkt_id(pkt), 0);
	assert_true(ldns_pkt_qr(pkt));
	assert_true(ldns_pkt_aa(pkt));
	assert_true(ldns_pkt_ra(pkt));
	assert_int_equal(ldns_pkt_rd(pkt), rd);
	assert_false(ldns_pkt_tc(pkt));
	assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(pkt), 1);
	assert_int_equal(ldns_pkt_arcount(pkt), 0);
	q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	name = ldns_rdf2str(ldns_rr_owner(q));
	assert_string_equal(name, qname);
	free(name);
	assert_int_equal(ldns_rr_get_type(q), qtype);
	assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
}

static const char *const none[] = { NULL };

/* Every zone-file form: $TTL, $ORIGIN, @, relative names, an omitted
 * owner, parentheses, comments. */
static const char base_zone[] =
	"; pinned names for tests\n"
	"$TTL 600\n"
	"$ORIGIN corp.example.\n"
	"@        IN SOA ns hostmaster ( 1 3600 600\n"
	"                 86400 120 ) ; negative TTL 120\n"
	"api  300 IN A    10.0.2.10\n"
	"api  300 IN A    10.0.2.11\n"
	"     300 IN TXT  \"pinned endpoint\"\n"
	"alias    IN CNAME api\n"
	"hop1     IN CNAME alias.corp.example.\n"
	"outside  IN CNAME api.elsewhere.example.\n"
	"loop-a   IN CNAME loop-b\n"
	"loop-b   IN CNAME loop-a\n";

static const char *const api_a[] = {
	"api.corp.example. 300 IN A 10.0.2.10",
	"api.corp.example. 300 IN A 10.0.2.11",
	NULL,
};
static const char *const corp_soa[] = {
	"corp.example. 120 IN SOA ns.corp.example. hostmaster.corp.example. 1 3600 600 86400 120",
	NULL,
};

static void test_localdata_answers_a_with_zone_ttls(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	ldns_pkt *pkt = ask(ld, "api.corp.example.", AL_TYPE_A);
	(void)state;

	expect_header(pkt, "api.corp.example.", AL_TYPE_A, true);
	expect_rrs(ldns_pkt_answer(pkt), api_a);
	expect_rrs(ldns_pkt_authority(pkt), none);
	assert_int_equal(al_localdata_names(ld), 7);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_echoes_rd_and_cd(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	struct al_query q = query("api.corp.example.", AL_TYPE_A);
	uint8_t out[512];
	ldns_pkt *pkt;
	(void)state;

	q.flags = (uint16_t)((q.flags & ~AL_FLAG_RD) | AL_FLAG_CD);
	pkt = parse(out, al_localdata_reply(ld, &q, out, sizeof(out)));
	expect_header(pkt, "api.corp.example.", AL_TYPE_A, false);
	assert_true(ldns_pkt_cd(pkt));
	expect_rrs(ldns_pkt_answer(pkt), api_a);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_nodata_carries_soa_with_negative_ttl(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	ldns_pkt *pkt = ask(ld, "api.corp.example.", AL_TYPE_AAAA);
	(void)state;

	expect_header(pkt, "api.corp.example.", AL_TYPE_AAAA, true);
	expect_rrs(ldns_pkt_answer(pkt), none);
	expect_rrs(ldns_pkt_authority(pkt), corp_soa); /* min(600, 120) */
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_nodata_without_soa_has_empty_authority(void **state)
{
	struct al_localdata *ld = load_text("api.example. 60 IN A 10.0.2.10\n");
	ldns_pkt *pkt = ask(ld, "api.example.", AL_TYPE_AAAA);
	(void)state;

	expect_header(pkt, "api.example.", AL_TYPE_AAAA, true);
	expect_rrs(ldns_pkt_answer(pkt), none);
	expect_rrs(ldns_pkt_authority(pkt), none);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_matches_names_case_insensitively(void **state)
{
	struct al_localdata *ld = load_text("API.Corp.Example. 300 IN A 10.0.2.10\n");
	static const char *const want[] = { "api.corp.example. 300 IN A 10.0.2.10", NULL };
	ldns_pkt *pkt = ask(ld, "aPi.CORP.example.", AL_TYPE_A);
	(void)state;

	expect_header(pkt, "api.corp.example.", AL_TYPE_A, true);
	expect_rrs(ldns_pkt_answer(pkt), want);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_follows_cname_chain_to_local_target(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"hop1.corp.example. 600 IN CNAME alias.corp.example.",
		"alias.corp.example. 600 IN CNAME api.corp.example.",
		"api.corp.example. 300 IN A 10.0.2.10",
		"api.corp.example. 300 IN A 10.0.2.11",
		NULL,
	};
	ldns_pkt *pkt = ask(ld, "hop1.corp.example.", AL_TYPE_A);
	(void)state;

	expect_header(pkt, "hop1.corp.example.", AL_TYPE_A, true);
	expect_rrs(ldns_pkt_answer(pkt), want);
	expect_rrs(ldns_pkt_authority(pkt), none);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_cname_to_nodata_target_carries_soa(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"alias.corp.example. 600 IN CNAME api.corp.example.", NULL,
	};
	ldns_pkt *pkt = ask(ld, "alias.corp.example.", AL_TYPE_AAAA);
	(void)state;

	expect_rrs(ldns_pkt_answer(pkt), want);
	expect_rrs(ldns_pkt_authority(pkt), corp_soa);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_cname_to_other_name_answers_chain_only(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"outside.corp.example. 600 IN CNAME api.elsewhere.example.", NULL,
	};
	ldns_pkt *pkt = ask(ld, "outside.corp.example.", AL_TYPE_A);
	(void)state;

	expect_header(pkt, "outside.corp.example.", AL_TYPE_A, true);
	expect_rrs(ldns_pkt_answer(pkt), want);
	expect_rrs(ldns_pkt_authority(pkt), none);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_stops_cname_loop(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"loop-a.corp.example. 600 IN CNAME loop-b.corp.example.",
		"loop-b.corp.example. 600 IN CNAME loop-a.corp.example.",
		NULL,
	};
	static const char *const self[] = {
		"self.example. 60 IN CNAME self.example.", NULL,
	};
	ldns_pkt *pkt = ask(ld, "loop-a.corp.example.", AL_TYPE_A);
	(void)state;

	expect_rrs(ldns_pkt_answer(pkt), want);
	expect_rrs(ldns_pkt_authority(pkt), none);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);

	ld = load_text("self.example. 60 IN CNAME self.example.\n");
	pkt = ask(ld, "self.example.", AL_TYPE_A);
	expect_rrs(ldns_pkt_answer(pkt), self);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_follows_at_most_eight_cnames(void **state)
{
	char text[1024] = "", line[64];
	struct al_localdata *ld;
	ldns_pkt *pkt;
	const ldns_rr_list *an;
	int i;
	(void)state;

	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "c%d.example. 60 IN CNAME c%d.example.\n", i, i + 1);
		strcat(text, line);
	}
	strcat(text, "c12.example. 60 IN A 10.0.2.10\n");
	ld = load_text(text);
	pkt = ask(ld, "c0.example.", AL_TYPE_A);
	an = ldns_pkt_answer(pkt);
	/* c0's CNAME, then 8 hops: c1..c8, each a CNAME; no address */
	assert_int_equal(ldns_rr_list_rr_count(an), 9);
	for (i = 0; i < 9; i++)
		assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(an, (size_t)i)), LDNS_RR_TYPE_CNAME);
	ldns_pkt_free(pkt);
	pkt = ask(ld, "c4.example.", AL_TYPE_A); /* 8 hops reach c12 */
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(pkt)), 9);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(pkt), 8)), LDNS_RR_TYPE_A);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_qtype_cname_returns_cname_itself(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"hop1.corp.example. 600 IN CNAME alias.corp.example.", NULL,
	};
	ldns_pkt *pkt = ask(ld, "hop1.corp.example.", AL_TYPE_CNAME);
	(void)state;

	expect_header(pkt, "hop1.corp.example.", AL_TYPE_CNAME, true);
	expect_rrs(ldns_pkt_answer(pkt), want);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_any_returns_all_records_at_name(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	static const char *const want[] = {
		"api.corp.example. 300 IN A 10.0.2.10",
		"api.corp.example. 300 IN A 10.0.2.11",
		"api.corp.example. 300 IN TXT \"pinned endpoint\"",
		NULL,
	};
	ldns_pkt *pkt = ask(ld, "api.corp.example.", AL_TYPE_ANY);
	(void)state;

	expect_header(pkt, "api.corp.example.", AL_TYPE_ANY, true);
	expect_rrs(ldns_pkt_answer(pkt), want);
	expect_rrs(ldns_pkt_authority(pkt), none);
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_leaves_other_names_to_resolution(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	struct al_query q = query("api.corp.example.", AL_TYPE_A);
	uint8_t out[512];
	(void)state;

	assert_int_equal(ask_len(ld, "x.api.corp.example.", AL_TYPE_A), 0); /* below a held name */
	assert_int_equal(ask_len(ld, "nothere.corp.example.", AL_TYPE_A), 0);
	assert_int_equal(ask_len(ld, "example.", AL_TYPE_A), 0);             /* above */
	assert_int_equal(ask_len(ld, "api.corp.example.", AL_TYPE_AXFR), 0);
	q.qclass = 3; /* CH */
	assert_int_equal(al_localdata_reply(ld, &q, out, sizeof(out)), 0);
	assert_int_equal(al_localdata_reply(NULL, &q, out, sizeof(out)), 0);
	al_localdata_free(ld);
}

static void test_localdata_reply_is_cached_and_rendered(void **state)
{
	static const struct al_ttl_policy policy = { 0, 86400, 3600 };
	struct al_localdata *ld = load_text(base_zone);
	struct al_query q = query("Hop1.Corp.Example.", AL_TYPE_A);
	struct al_answer *a = NULL;
	uint8_t reply[1024], out[1024];
	int n = al_localdata_reply(ld, &q, reply, sizeof(reply));
	size_t r;
	ldns_pkt *pkt;
	static const char *const want[] = {
		"hop1.corp.example. 580 IN CNAME alias.corp.example.",
		"alias.corp.example. 580 IN CNAME api.corp.example.",
		"api.corp.example. 280 IN A 10.0.2.10",
		"api.corp.example. 280 IN A 10.0.2.11",
		NULL,
	};
	(void)state;

	assert_true(n > 0);
	assert_int_equal(al_answer_new(reply, (size_t)n, &policy, 5000, &a), 0);
	assert_int_equal(a->lifetime, 300);
	assert_int_equal(a->rcode, AL_RCODE_NOERROR);
	r = al_answer_render(a, &q, 5000 + 20000, 1232, 512, out, sizeof(out));
	pkt = parse(out, (int)r);
	assert_int_equal(ldns_pkt_id(pkt), 0x4242);
	expect_rrs(ldns_pkt_answer(pkt), want);
	ldns_pkt_free(pkt);
	al_answer_free(a);

	/* NODATA: cached negatively for the SOA's negative TTL */
	q = query("api.corp.example.", AL_TYPE_AAAA);
	n = al_localdata_reply(ld, &q, reply, sizeof(reply));
	assert_int_equal(al_answer_new(reply, (size_t)n, &policy, 0, &a), 0);
	assert_int_equal(a->lifetime, 120);
	al_answer_free(a);
	al_localdata_free(ld);
}

static void test_localdata_reply_reports_enospc(void **state)
{
	struct al_localdata *ld = load_text(base_zone);
	struct al_query q = query("api.corp.example.", AL_TYPE_A);
	uint8_t out[512];
	int full = al_localdata_reply(ld, &q, out, sizeof(out));
	(void)state;

	assert_true(full > 0);
	assert_int_equal(al_localdata_reply(ld, &q, out, 11), -ENOSPC);
	assert_int_equal(al_localdata_reply(ld, &q, out, AL_HDR + q.qname_len + 4), -ENOSPC);
	assert_int_equal(al_localdata_reply(ld, &q, out, (size_t)full - 1), -ENOSPC);
	assert_int_equal(al_localdata_reply(ld, &q, out, (size_t)full), full);
	q = query("api.corp.example.", AL_TYPE_AAAA); /* no room for the SOA */
	full = al_localdata_reply(ld, &q, out, sizeof(out));
	assert_int_equal(al_localdata_reply(ld, &q, out, (size_t)full - 1), -ENOSPC);
	al_localdata_free(ld);
}

static void test_localdata_merges_files_and_drops_duplicates(void **state)
{
	char p1[256], p2[256];
	const char *paths[2];
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };
	static const char *const want[] = {
		"api.example. 300 IN A 10.0.2.10",
		"api.example. 300 IN A 10.0.2.11",
		NULL,
	};
	ldns_pkt *pkt;
	(void)state;

	paths[0] = zone_file("one.zone", "api.example. 300 IN A 10.0.2.10\n"
					 "api.example. 300 IN A 10.0.2.10\n", p1, sizeof(p1));
	paths[1] = zone_file("two.zone", "API.example. 60 IN A 10.0.2.10\n"
					 "api.example. 300 IN A 10.0.2.11\n"
					 "other.example. 300 IN A 10.0.2.12\n", p2, sizeof(p2));
	assert_int_equal(al_localdata_load(paths, 2, &ld, &err), 0);
	assert_int_equal(al_localdata_names(ld), 2);
	pkt = ask(ld, "api.example.", AL_TYPE_A);
	expect_rrs(ldns_pkt_answer(pkt), want); /* the first copy's TTL wins */
	ldns_pkt_free(pkt);
	al_localdata_free(ld);
}

static void test_localdata_loads_no_files_as_empty(void **state)
{
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };
	(void)state;

	assert_int_equal(al_localdata_load(NULL, 0, &ld, &err), 0);
	assert_int_equal(al_localdata_names(ld), 0);
	assert_int_equal(ask_len(ld, "api.example.", AL_TYPE_A), 0);
	al_localdata_free(ld);
	ld = load_text("; nothing yet\n");
	assert_int_equal(al_localdata_names(ld), 0);
	al_localdata_free(ld);
}

/* ---- load errors ---- */

static void expect_error(const char *name, const char *text, int rc, const char *fmt_tail)
{
	char path[256], want[1200];
	struct al_err err = { "" };

	assert_int_equal(load_bad(name, text, &err, path, sizeof(path)), rc);
	snprintf(want, sizeof(want), "%s%s", path, fmt_tail);
	assert_string_equal(err.msg, want);
}

static void test_localdata_rejects_bad_address_with_file_and_line(void **state)
{
	(void)state;
	expect_error("bad.zone",
		     "$TTL 300\n"
		     "; the inference subnet\n"
		     "api.example. IN A 10.0.2.300\n",
		     -EINVAL, ":3: bad A address \"10.0.2.300\"");
	expect_error("bad6.zone",
		     "api.example. IN AAAA fd00::1\n"
		     "\n"
		     "api.example. IN AAAA fd00::zz\n",
		     -EINVAL, ":3: bad AAAA address \"fd00::zz\"");
}

static void test_localdata_names_first_line_of_multiline_record(void **state)
{
	(void)state;
	expect_error("soa.zone",
		     "$ORIGIN example.\n"
		     "@ IN SOA ns hostmaster (\n"
		     "      1 3600 600\n"
		     "      86400 soon )\n",
		     -EINVAL, ":2: bad SOA time value \"soon\"");
}

static void test_localdata_rejects_unknown_type(void **state)
{
	(void)state;
	expect_error("type.zone", "api.example. 300 IN A 10.0.2.10\n"
				  "api.example. 300 IN BOGUS 1\n",
		     -EINVAL, ":2: unknown record type \"BOGUS\"");
}

static void test_localdata_rejects_missing_data(void **state)
{
	(void)state;
	expect_error("short.zone", "api.example. 300 IN A\n",
		     -EINVAL, ":1: A record needs 1 data fields, has 0");
}

static void test_localdata_rejects_bad_ttl_directive(void **state)
{
	(void)state;
	expect_error("ttl.zone", "$TTL five-minutes\napi.example. IN A 10.0.2.10\n",
		     -EINVAL, ":1: $TTL needs one time value (e.g. $TTL 300 or $TTL 1h)");
}

static void test_localdata_rejects_cname_and_other_data(void **state)
{
	char p1[256], p2[256], want[1200];
	const char *paths[2];
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };
	(void)state;

	paths[0] = zone_file("a.zone", "myres.openai.azure.com. 300 IN A 10.0.2.20\n", p1, sizeof(p1));
	paths[1] = zone_file("b.zone", "\nMyRes.openai.azure.com. 300 IN CNAME x.privatelink.openai.azure.com.\n",
			     p2, sizeof(p2));
	assert_int_equal(al_localdata_load(paths, 2, &ld, &err), -EINVAL);
	assert_null(ld);
	snprintf(want, sizeof(want),
		 "%s:2: \"myres.openai.azure.com.\" has a CNAME and other data (A at %s:1); "
		 "a CNAME must be alone at its name", p2, p1);
	assert_string_equal(err.msg, want);
}

static void test_localdata_rejects_two_cnames(void **state)
{
	char path[256], want[1200];
	struct al_err err = { "" };
	(void)state;

	assert_int_equal(load_bad("cn.zone", "a.example. 60 IN CNAME b.example.\n"
					     "a.example. 60 IN CNAME b.example.\n" /* a duplicate: fine */
					     "a.example. 60 IN CNAME c.example.\n",
				  &err, path, sizeof(path)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: \"a.example.\" has a second CNAME (the first at %s:1); "
		 "a name has at most one", path, path);
	assert_string_equal(err.msg, want);
}

static void test_localdata_names_missing_file(void **state)
{
	const char *paths[] = { "/nonexistent/private.zone" };
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };
	(void)state;

	assert_int_equal(al_localdata_load(paths, 1, &ld, &err), -ENOENT);
	assert_null(ld);
	assert_string_equal(err.msg, "/nonexistent/private.zone: No such file or directory");
}

static void test_localdata_rejects_non_in_class(void **state)
{
	(void)state;
	expect_error("ch.zone", "version.example. 60 CH TXT \"1\"\n",
		     -EINVAL, ":1: class CH is not supported: local data is class IN only");
}

static void test_localdata_rejects_wildcards_and_include(void **state)
{
	(void)state;
	expect_error("wild.zone", "*.example. 60 IN A 10.0.2.10\n",
		     -EINVAL, ":1: wildcard \"*.example.\" is not supported: list each name");
	expect_error("inc.zone", "api.example. 60 IN A 10.0.2.10\n$INCLUDE other.zone\n",
		     -EINVAL, ":2: $INCLUDE is not supported: list each file in the configuration");
}

static void test_localdata_loads_shipped_private_endpoints(void **state)
{
	const char *paths[] = { TOP_SRCDIR "/zones/private-endpoints.zone" };
	struct al_localdata *ld = NULL;
	struct al_err err = { "" };
	ldns_pkt *pkt;
	static const char *const bedrock[] = {
		"bedrock-runtime.us-east-1.amazonaws.com. 300 IN A 10.0.2.10",
		"bedrock-runtime.us-east-1.amazonaws.com. 300 IN A 10.0.2.11",
		NULL,
	};
	static const char *const azure[] = {
		"myres.openai.azure.com. 300 IN CNAME myres.privatelink.openai.azure.com.",
		"myres.privatelink.openai.azure.com. 300 IN A 10.0.2.20",
		NULL,
	};
	static const char *const vertex[] = {
		"us-central1-aiplatform.googleapis.com. 300 IN CNAME private.googleapis.com.",
		"private.googleapis.com. 300 IN A 199.36.153.8",
		"private.googleapis.com. 300 IN A 199.36.153.9",
		"private.googleapis.com. 300 IN A 199.36.153.10",
		"private.googleapis.com. 300 IN A 199.36.153.11",
		NULL,
	};
	(void)state;

	if (al_localdata_load(paths, 1, &ld, &err) != 0)
		fail_msg("%s", err.msg);
	pkt = ask(ld, "bedrock-runtime.us-east-1.amazonaws.com.", AL_TYPE_A);
	expect_header(pkt, "bedrock-runtime.us-east-1.amazonaws.com.", AL_TYPE_A, true);
	expect_rrs(ldns_pkt_answer(pkt), bedrock);
	ldns_pkt_free(pkt);
	pkt = ask(ld, "bedrock-runtime.us-east-1.amazonaws.com.", AL_TYPE_AAAA);
	assert_int_equal(ldns_pkt_ancount(pkt), 0);
	assert_int_equal(ldns_pkt_nscount(pkt), 1);
	ldns_pkt_free(pkt);
	pkt = ask(ld, "myres.openai.azure.com.", AL_TYPE_A);
	expect_rrs(ldns_pkt_answer(pkt), azure);
	ldns_pkt_free(pkt);
	pkt = ask(ld, "us-central1-aiplatform.googleapis.com.", AL_TYPE_A);
	expect_rrs(ldns_pkt_answer(pkt), vertex);
	ldns_pkt_free(pkt);
	assert_int_equal(ask_len(ld, "googleapis.com.", AL_TYPE_A), 0);
	assert_int_equal(ask_len(ld, "bedrock.us-east-1.amazonaws.com.", AL_TYPE_A), 0);
	al_localdata_free(ld);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localdata_answers_a_with_zone_ttls),
		cmocka_unit_test(test_localdata_echoes_rd_and_cd),
		cmocka_unit_test(test_localdata_nodata_carries_soa_with_negative_ttl),
		cmocka_unit_test(test_localdata_nodata_without_soa_has_empty_authority),
		cmocka_unit_test(test_localdata_matches_names_case_insensitively),
		cmocka_unit_test(test_localdata_follows_cname_chain_to_local_target),
		cmocka_unit_test(test_localdata_cname_to_nodata_target_carries_soa),
		cmocka_unit_test(test_localdata_cname_to_other_name_answers_chain_only),
		cmocka_unit_test(test_localdata_stops_cname_loop),
		cmocka_unit_test(test_localdata_follows_at_most_eight_cnames),
		cmocka_unit_test(test_localdata_qtype_cname_returns_cname_itself),
		cmocka_unit_test(test_localdata_any_returns_all_records_at_name),
		cmocka_unit_test(test_localdata_leaves_other_names_to_resolution),
		cmocka_unit_test(test_localdata_reply_is_cached_and_rendered),
		cmocka_unit_test(test_localdata_reply_reports_enospc),
		cmocka_unit_test(test_localdata_merges_files_and_drops_duplicates),
		cmocka_unit_test(test_localdata_loads_no_files_as_empty),
		cmocka_unit_test(test_localdata_rejects_bad_address_with_file_and_line),
		cmocka_unit_test(test_localdata_names_first_line_of_multiline_record),
		cmocka_unit_test(test_localdata_rejects_unknown_type),
		cmocka_unit_test(test_localdata_rejects_missing_data),
		cmocka_unit_test(test_localdata_rejects_bad_ttl_directive),
		cmocka_unit_test(test_localdata_rejects_cname_and_other_data),
		cmocka_unit_test(test_localdata_rejects_two_cnames),
		cmocka_unit_test(test_localdata_names_missing_file),
		cmocka_unit_test(test_localdata_rejects_non_in_class),
		cmocka_unit_test(test_localdata_rejects_wildcards_and_include),
		cmocka_unit_test(test_localdata_loads_shipped_private_endpoints),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
