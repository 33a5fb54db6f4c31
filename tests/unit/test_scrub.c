/* Reply scrubbing: the CNAME chain in the answer, the bailiwick in the
 * authority, glue in the additional section; rebuilt replies carry no
 * compression pointer into a dropped record; malformed replies are refused.
 * Replies are built and read back with ldns, not with our wire code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "airlock/msg.h"
#include "airlock/scrub.h"
#include "reply.h"

static uint8_t in[8192], out[AL_MAX_MSG];

/* Every record of every section, as ldns reads them: "AN owner TTL IN TYPE
 * rdata|..." (tabs turned into spaces).  The OPT record is not listed. */
static char *dump(const uint8_t *p, size_t n)
{
	static char text[16384];
	static const char *const tag[] = { "AN", "NS", "AR" };
	ldns_pkt *pkt = NULL;
	size_t o = 0, k, i;

	assert_int_equal(ldns_wire2pkt(&pkt, p, n), LDNS_STATUS_OK);
	text[0] = '\0';
	for (k = 0; k < 3; k++) {
		ldns_rr_list *l = k == 0 ? ldns_pkt_answer(pkt) : k == 1 ? ldns_pkt_authority(pkt)
									  : ldns_pkt_additional(pkt);
		for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
			char *s = ldns_rr2str(ldns_rr_list_rr(l, i)), *c;
			assert_non_null(s);
			for (c = s; *c; c++)
				if (*c == '\t')
					*c = ' ';
			if (o && text[o - 1] == '\n')
				text[o - 1] = '|';
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s %s", tag[k], s);
			assert_true(o < sizeof(text));
			free(s);
		}
	}
	if (o && text[o - 1] == '\n')
		text[--o] = '\0';
	ldns_pkt_free(pkt);
	return text;
}

/* Scrubs a reply that must be rebuilt; returns its length. */
static size_t scrubbed(size_t n, unsigned want_dropped)
{
	const uint8_t *res = NULL;
	size_t len = 0;
	unsigned dropped = 99;

	assert_int_equal(al_scrub_reply(in, n, out, sizeof(out), &res, &len, &dropped), 0);
	assert_int_equal(dropped, want_dropped);
	assert_ptr_equal(res, out);
	return len;
}

/* al_scrub_reply's code for in[0..n) into outlen bytes. */
static int scrub_rc(size_t n, size_t outlen)
{
	const uint8_t *res = NULL;
	size_t len = 0;
	unsigned dropped = 99;

	return al_scrub_reply(in, n, out, outlen, &res, &len, &dropped);
}

/* in[0..n) scrubs to itself: nothing dropped, not copied. */
static void untouched(size_t n)
{
	const uint8_t *res = NULL;
	size_t len = 0;
	unsigned dropped = 99;

	assert_int_equal(al_scrub_reply(in, n, out, sizeof(out), &res, &len, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_ptr_equal(res, in); /* no copy */
	assert_int_equal(len, n);
}

static size_t build(const char *qname, uint16_t qtype, int rcode, const char *const *rrs)
{
	return test_reply(in, sizeof(in), 7, qname, qtype, rcode, 1, rrs);
}

static void test_scrub_returns_clean_reply_untouched(void **state)
{
	static const char *const rrs[] = {
		"AN www.example.com. 300 IN CNAME web.example.com.",
		"AN web.example.com. 300 IN A 192.0.2.1",
		"NS example.com. 300 IN NS ns1.example.com.",
		"AR ns1.example.com. 300 IN A 192.0.2.53",
		NULL };
	size_t n = build("www.example.com.", AL_TYPE_A, 0, rrs);
	(void)state;

	untouched(n);
}

static void test_scrub_keeps_only_the_cname_chain_in_answer(void **state)
{
	static const char *const rrs[] = {
		"AN victim.example. 300 IN A 198.51.100.66",     /* before the chain reaches it */
		"AN www.example.com. 300 IN CNAME web.example.com.",
		"AN www.example.com. 300 IN CNAME evil.example.", /* a second CNAME */
		"AN web.example.com. 300 IN A 192.0.2.1",
		"AN web.example.com. 300 IN AAAA 2001:db8::1",    /* not the question's type */
		"AN other.example.com. 300 IN A 198.51.100.67",
		NULL };
	size_t n = build("www.example.com.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 4);
	assert_string_equal(dump(out, n), "AN www.example.com. 300 IN CNAME web.example.com.|"
					  "AN web.example.com. 300 IN A 192.0.2.1");
	assert_int_equal(al_get16(out + 6), 2);
	assert_int_equal(al_get16(out + 8), 0);
	assert_int_equal(al_get16(out + 10), 1); /* the OPT stays */
	assert_int_equal(al_get16(out), 7);
	assert_int_equal(al_get16(out + 2), al_get16(in + 2));
}

static void test_scrub_stops_a_cname_loop(void **state)
{
	static const char *const rrs[] = {
		"AN a.example. 300 IN CNAME b.example.",
		"AN b.example. 300 IN CNAME a.example.",
		"AN b.example. 300 IN A 192.0.2.2",
		NULL };
	size_t n = build("a.example.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN a.example. 300 IN CNAME b.example.|"
					  "AN b.example. 300 IN A 192.0.2.2");
}

static void test_scrub_keeps_no_cname_after_the_chain_ends(void **state)
{
	/* Asked for the CNAME itself: still only the chain's links stay, so a
	 * scrubbed reply scrubs to itself. */
	static const char *const rrs[] = {
		"AN a.example. 300 IN CNAME b.example.",
		"AN b.example. 300 IN CNAME a.example.",
		"AN b.example. 300 IN CNAME c.example.",
		"AN a.example. 300 IN CNAME d.example.",
		NULL };
	size_t n = build("a.example.", AL_TYPE_CNAME, 0, rrs);
	(void)state;

	n = scrubbed(n, 3);
	assert_string_equal(dump(out, n), "AN a.example. 300 IN CNAME b.example.");
	memcpy(in, out, n);
	untouched(n);
}

static void test_scrub_stops_a_chain_past_its_limit(void **state)
{
	char lines[AL_SCRUB_MAX_CHAIN + 4][80];
	const char *rrs[AL_SCRUB_MAX_CHAIN + 5];
	unsigned i, links = AL_SCRUB_MAX_CHAIN + 3;
	size_t n;
	(void)state;

	for (i = 0; i < links; i++) {
		snprintf(lines[i], sizeof(lines[i]), "AN n%u.example. 60 IN CNAME n%u.example.", i, i + 1);
		rrs[i] = lines[i];
	}
	snprintf(lines[i], sizeof(lines[i]), "AN n%u.example. 60 IN A 192.0.2.9", links);
	rrs[i] = lines[i];
	rrs[i + 1] = NULL;
	n = build("n0.example.", AL_TYPE_A, 0, rrs);
	n = scrubbed(n, 4); /* the three links past the limit and the address */
	assert_int_equal(al_get16(out + 6), AL_SCRUB_MAX_CHAIN);
	assert_null(strstr(dump(out, n), "192.0.2.9"));
	assert_non_null(strstr(dump(out, n), "n15.example. 60 IN CNAME n16.example."));
	assert_null(strstr(dump(out, n), "CNAME n17.example."));
}

static void test_scrub_keeps_dname_above_the_chain(void **state)
{
	static const char *const rrs[] = {
		"AN old.example. 300 IN DNAME new.example.",
		"AN unrelated.example. 300 IN DNAME evil.example.",
		"AN www.old.example. 300 IN CNAME www.new.example.",
		"AN www.new.example. 300 IN A 192.0.2.3",
		NULL };
	size_t n = build("www.old.example.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN old.example. 300 IN DNAME new.example.|"
					  "AN www.old.example. 300 IN CNAME www.new.example.|"
					  "AN www.new.example. 300 IN A 192.0.2.3");
}

static void test_scrub_keeps_rrsigs_beside_what_they_cover(void **state)
{
	static const char *const rrs[] = {
		"AN www.example. 300 IN A 192.0.2.1",
		"AN www.example. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AAAA",
		"AN www.example. 300 IN RRSIG MX 13 2 300 20300101000000 20200101000000 1 example. AAAA",
		"AN victim.example. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AAAA",
		NULL };
	size_t n = build("www.example.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 2);
	assert_int_equal(al_get16(out + 6), 2);
	assert_non_null(strstr(dump(out, n), "www.example. 300 IN RRSIG A 13 2 300"));
	assert_null(strstr(dump(out, n), "RRSIG MX"));
	assert_null(strstr(dump(out, n), "victim"));
}

static void test_scrub_keeps_authority_within_bailiwick(void **state)
{
	static const char *const rrs[] = {
		"NS evil.test. 300 IN SOA ns.evil.test. host.evil.test. 1 7200 900 1209600 60",
		"NS example.com. 300 IN SOA ns.example.com. host.example.com. 1 7200 900 1209600 60",
		"NS www.example.com. 300 IN NSEC zzz.example.com. A",
		"NS evil.test. 300 IN NSEC zzz.evil.test. A",
		"NS www.example.com. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 example.com. AAAA",
		"NS evil.test. 300 IN RRSIG SOA 13 2 300 20300101000000 20200101000000 1 evil.test. AAAA",
		"NS com. 300 IN NS a.gtld.example.",
		"NS other.example.com. 300 IN NS ns.other.example.com.",
		"NS example.com. 300 IN A 198.51.100.66",
		NULL };
	size_t n = build("nx.www.example.com.", AL_TYPE_A, 3, rrs);
	(void)state;

	n = scrubbed(n, 5);
	assert_string_equal(dump(out, n),
			    "NS example.com. 300 IN SOA ns.example.com. host.example.com. 1 7200 900 1209600 60|"
			    "NS www.example.com. 300 IN NSEC zzz.example.com. A |"
			    "NS www.example.com. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 example.com. AAAA|"
			    "NS com. 300 IN NS a.gtld.example.");
	assert_int_equal(out[3] & 0xf, 3); /* NXDOMAIN stays */
}

static void test_scrub_authority_follows_the_chain_end(void **state)
{
	static const char *const rrs[] = {
		"AN www.example.com. 300 IN CNAME www.cdn.example.",
		"NS example.com. 300 IN SOA ns.example.com. host.example.com. 1 7200 900 1209600 60",
		"NS cdn.example. 300 IN SOA ns.cdn.example. host.cdn.example. 1 7200 900 1209600 60",
		NULL };
	size_t n = build("www.example.com.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n),
			    "AN www.example.com. 300 IN CNAME www.cdn.example.|"
			    "NS cdn.example. 300 IN SOA ns.cdn.example. host.cdn.example. 1 7200 900 1209600 60");
}

/* The chain does not depend on the order of its records. */
static void test_scrub_follows_a_chain_given_out_of_order(void **state)
{
	static const char *const rrs[] = {
		"AN web.cdn.example. 300 IN A 192.0.2.9",
		"AN edge.example.com. 300 IN CNAME web.cdn.example.",
		"AN www.example.com. 300 IN CNAME edge.example.com.",
		"AN stray.example. 300 IN A 198.51.100.66",
		NULL };
	size_t n = build("www.example.com.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN web.cdn.example. 300 IN A 192.0.2.9|"
					  "AN edge.example.com. 300 IN CNAME web.cdn.example.|"
					  "AN www.example.com. 300 IN CNAME edge.example.com.");
}

/* A signed wildcard answer carries its proof (NSEC and RRSIG in
 * authority) without an SOA: the signer of the answer names the zone. */
static void test_scrub_keeps_a_wildcard_proof(void **state)
{
	static const char *const rrs[] = {
		"AN www.example.com. 300 IN A 192.0.2.1",
		"AN www.example.com. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example.com. AAAA",
		"NS a.example.com. 300 IN NSEC z.example.com. A RRSIG NSEC",
		"NS a.example.com. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 example.com. AAAA",
		"NS a.evil.test. 300 IN NSEC z.evil.test. A",
		NULL };
	size_t n = build("www.example.com.", AL_TYPE_A, 0, rrs);
	(void)state;

	n = scrubbed(n, 1);
	assert_non_null(strstr(dump(out, n), "NS a.example.com. 300 IN NSEC z.example.com."));
	assert_non_null(strstr(dump(out, n), "NS a.example.com. 300 IN RRSIG NSEC"));
	assert_null(strstr(dump(out, n), "evil"));
	assert_int_equal(al_get16(out + 8), 2);
}

/* QCLASS * (255) matches the IN records of the reply. */
static void test_scrub_class_any_keeps_in_records(void **state)
{
	static const char *const rrs[] = { "AN www.example. 300 IN A 192.0.2.1", NULL };
	size_t n = build("www.example.", AL_TYPE_A, 0, rrs);
	(void)state;

	al_put16(in + AL_HDR + 13 + 2, 255); /* the question's class: "www.example." is 13 bytes */
	untouched(n);
}

static void test_scrub_keeps_glue_only_for_kept_targets(void **state)
{
	static const char *const rrs[] = {
		"AN example.com. 300 IN MX 10 mail.example.com.",
		"NS example.com. 300 IN NS ns1.example.com.",
		"NS evil.test. 300 IN NS ns.evil.test.",
		"AR mail.example.com. 300 IN A 192.0.2.25",
		"AR ns1.example.com. 300 IN AAAA 2001:db8::53",
		"AR ns1.example.com. 300 IN TXT \"not glue\"",
		"AR ns.evil.test. 300 IN A 198.51.100.66",
		"AR victim.example. 300 IN A 198.51.100.66",
		NULL };
	size_t n = build("example.com.", 15, 0, rrs);
	(void)state;

	n = scrubbed(n, 4);
	assert_string_equal(dump(out, n),
			    "AN example.com. 300 IN MX 10 mail.example.com.|"
			    "NS example.com. 300 IN NS ns1.example.com.|"
			    "AR mail.example.com. 300 IN A 192.0.2.25|"
			    "AR ns1.example.com. 300 IN AAAA 2001:db8::53");
	assert_int_equal(al_get16(out + 10), 3); /* two glue records and the OPT */
}

static void test_scrub_srv_target_glue_and_any(void **state)
{
	static const char *const srv[] = {
		"AN _x._tcp.example. 300 IN SRV 1 2 443 host.example.",
		"AR host.example. 300 IN A 192.0.2.44",
		"AR spare.example. 300 IN A 192.0.2.45",
		NULL };
	static const char *const any[] = {
		"AN www.example. 300 IN A 192.0.2.1",
		"AN www.example. 300 IN TXT \"t\"",
		"AN www.example. 300 CH TXT \"other class\"",
		NULL };
	size_t n = build("_x._tcp.example.", 33, 0, srv);
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN _x._tcp.example. 300 IN SRV 1 2 443 host.example.|"
					  "AR host.example. 300 IN A 192.0.2.44");
	n = build("www.example.", AL_TYPE_ANY, 0, any);
	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN www.example. 300 IN A 192.0.2.1|"
					  "AN www.example. 300 IN TXT \"t\"");
}

/* A hand-made reply whose kept records point into a dropped one. */
static size_t pointers_into_dropped(void)
{
	static const uint8_t pkt[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
		/* 12: question www.example. A IN */
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
		/* 29: evil.zz. A 198.51.100.66: dropped; "zz." sits at 34 */
		4, 'e', 'v', 'i', 'l', 2, 'z', 'z', 0, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4,
		198, 51, 100, 66,
		/* 52: www.example. CNAME a.zz. (a + pointer to 34) */
		0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 4, 1, 'A', 0xc0, 34,
		/* 68: a.zz. (pointer to the CNAME's rdata at 64) A 192.0.2.7 */
		0xc0, 64, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
	};

	memcpy(in, pkt, sizeof(pkt));
	return sizeof(pkt);
}

/* 1 when a name at pkt[o] has a pointer anywhere but to the question. */
static int bad_pointer(const uint8_t *pkt, size_t o)
{
	for (; pkt[o]; o += 1u + pkt[o])
		if (pkt[o] & 0xc0)
			return pkt[o] != 0xc0 || pkt[o + 1] != AL_HDR;
	return 0;
}

/* 1 when a record of p (after the question) holds a compression pointer
 * to anything but the question, in its owner or in the names of CNAME,
 * NS, PTR, MX or SOA rdata. */
static int no_pointers(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	size_t o = rr->rdata_off;
	(void)arg;

	if (bad_pointer(pkt, rr->owner_off))
		return 1;
	switch (rr->type) {
	case AL_TYPE_CNAME: case AL_TYPE_NS: case 12:
		return bad_pointer(pkt, o);
	case 15:
		return bad_pointer(pkt, o + 2);
	case AL_TYPE_SOA:
		if (bad_pointer(pkt, o))
			return 1;
		while (pkt[o] && !(pkt[o] & 0xc0))
			o += 1u + pkt[o];
		return bad_pointer(pkt, o + (pkt[o] ? 2 : 1));
	}
	return 0;
}

static void test_scrub_rewrites_names_without_pointers_into_dropped_records(void **state)
{
	size_t n = pointers_into_dropped();
	(void)state;

	n = scrubbed(n, 1);
	assert_string_equal(dump(out, n), "AN www.example. 300 IN CNAME a.zz.|"
					  "AN a.zz. 300 IN A 192.0.2.7");
	assert_int_equal(al_msg_walk(out, n, no_pointers, NULL), 0);
	/* 29 header and question, 2 + 10 + 6 the CNAME (owner a pointer to
	 * the question, rdata a.zz.), 6 + 10 + 4 the A record. */
	assert_int_equal(n, 29 + 2 + 10 + 6 + 6 + 10 + 4);
}

static void test_scrub_refuses_malformed_replies(void **state)
{
	static const char *const rrs[] = { "AN www.example. 300 IN CNAME a.example.",
					   "AN a.example. 300 IN A 192.0.2.1", NULL };
	const uint8_t *res = NULL;
	size_t n = build("www.example.", AL_TYPE_A, 0, rrs), len = 0, i;
	unsigned dropped;
	(void)state;

	/* Cut anywhere after the question: never accepted. */
	for (i = 12 + 14 + 4 + 1; i < n - 11; i++)
		assert_int_equal(scrub_rc(i, sizeof(out)), -EINVAL);

	/* The CNAME's target runs past its 4 bytes of rdata into the next
	 * owner (a pointer to the question), in a reply with nothing to drop. */
	static const uint8_t overrun[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 4, 3, 'a', 'b', 'c',
		0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7,
	};
	memcpy(in, overrun, sizeof(overrun));
	assert_int_equal(scrub_rc(sizeof(overrun), sizeof(out)), -EINVAL);
	in[44] = 0; /* "\3ab" and the root: well formed */
	in[41] = 2;
	untouched(sizeof(overrun));

	/* An owner pointing at itself, and two owners pointing at each other. */
	n = pointers_into_dropped();
	in[68] = 0xc0;
	in[69] = 68;
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);
	n = pointers_into_dropped();
	in[52] = 0xc0;
	in[53] = 68;
	in[68] = 0xc0;
	in[69] = 52;
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);

	/* An OPT in the answer section. */
	n = pointers_into_dropped();
	in[38] = 0;
	in[39] = AL_TYPE_OPT;
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);

	/* A question name that points into the header (its last byte: the
	 * root), which a rebuilt header would change. */
	static const uint8_t compressed_q[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
						0xc0, 11, 0, 1, 0, 1 };
	memcpy(in, compressed_q, sizeof(compressed_q));
	assert_int_equal(al_scrub_reply(in, sizeof(compressed_q), out, sizeof(out), &res, &len,
					&dropped), -EINVAL);
	in[12] = 0; /* the root, plainly */
	memmove(in + 13, in + 14, 4);
	assert_int_equal(al_scrub_reply(in, sizeof(compressed_q) - 1, out, sizeof(out), &res, &len,
					&dropped), 0);
	assert_int_equal(len, sizeof(compressed_q) - 1);

	/* No question, and two. */
	n = pointers_into_dropped();
	in[5] = 0;
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);
	in[5] = 2;
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);
}

/* Many records owned by the question: rebuilt with a pointer to the
 * question for each owner, they fit where names written out would not. */
static void test_scrub_points_owners_at_the_question(void **state)
{
	static char text[200][64];
	static const char *rrs[202];
	size_t n, len = 0, need_full;
	const uint8_t *res = NULL;
	unsigned dropped = 0, i;
	(void)state;

	for (i = 0; i < 200; i++) {
		snprintf(text[i], sizeof(text[i]), "AN www.long-name.example. 300 IN A 192.0.%u.%u", i / 250, i % 250);
		rrs[i] = text[i];
	}
	rrs[200] = "AN victim.example. 300 IN A 198.51.100.66";
	rrs[201] = NULL;
	n = build("www.long-name.example.", AL_TYPE_A, 0, rrs);
	/* 200 owners of 23 bytes written out: 200 * (23 + 14) after the
	 * 39-byte header and question; pointers make it 200 * (2 + 14), and
	 * 11 for the OPT. */
	need_full = 39 + 200 * (23 + 14) + 11;
	assert_int_equal(al_scrub_reply(in, n, out, need_full - 1000, &res, &len, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(len, 39 + 200 * 16 + 11);
	assert_int_equal(al_msg_walk(out, len, no_pointers, NULL), 0);
	assert_int_equal(al_get16(out + 6), 200);
}

/* The first record of rr_type in a reply, for tests that break it. */
struct find {
	uint16_t type;
	size_t rdata_off, owner_off;
};

static int find_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct find *f = arg;
	(void)pkt;

	if (rr->type != f->type)
		return 0;
	f->rdata_off = rr->rdata_off;
	f->owner_off = rr->owner_off;
	return 1;
}

/* A malformed record is refused whether or not anything else is dropped;
 * so are a second OPT and an OPT not owned by the root. */
static void test_scrub_refuses_whatever_else_the_reply_carries(void **state)
{
	static const char *const clean[] = {
		"AN www.example. 300 IN A 192.0.2.1",
		"NS example. 300 IN SOA ns.example. host.example. 1 7200 900 1209600 60",
		NULL };
	static const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t opt_named[12] = { 0xc0, AL_HDR, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	struct find f = { AL_TYPE_SOA, 0, 0 };
	size_t n, len = 0;
	const uint8_t *res = NULL;
	unsigned dropped;
	(void)state;

	n = build("www.example.", AL_TYPE_A, 0, clean);
	assert_int_equal(al_msg_walk(in, n, find_rr, &f), 1);
	in[f.rdata_off] = 63; /* the SOA's first name runs past its rdata */
	assert_int_equal(scrub_rc(n, sizeof(out)), -EINVAL);

	n = build("www.example.", AL_TYPE_A, 0, clean); /* one OPT already */
	memcpy(in + n, opt, sizeof(opt));
	al_put16(in + 10, (uint16_t)(al_get16(in + 10) + 1));
	assert_int_equal(scrub_rc(n + sizeof(opt), sizeof(out)), -EINVAL);

	n = test_reply(in, sizeof(in), 7, "www.example.", AL_TYPE_A, 0, 0, clean); /* no OPT */
	memcpy(in + n, opt_named, sizeof(opt_named));
	al_put16(in + 10, (uint16_t)(al_get16(in + 10) + 1));
	assert_int_equal(scrub_rc(n + sizeof(opt_named), sizeof(out)), -EINVAL);
	memcpy(in + n, opt, sizeof(opt)); /* the same with the root as owner is fine */
	assert_int_equal(al_scrub_reply(in, n + sizeof(opt), out, sizeof(out), &res, &len, &dropped), 0);
}

static void test_scrub_fails_when_the_rebuilt_reply_does_not_fit(void **state)
{
	size_t n = pointers_into_dropped(), len = 0;
	const uint8_t *res = NULL;
	unsigned dropped;
	(void)state;

	/* 67 bytes are needed (see above): one less does not do. */
	assert_int_equal(scrub_rc(n, 66), -ENOSPC);
	assert_int_equal(al_scrub_reply(in, n, out, 67, &res, &len, &dropped), 0);
	assert_int_equal(len, 67);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrub_returns_clean_reply_untouched),
		cmocka_unit_test(test_scrub_keeps_only_the_cname_chain_in_answer),
		cmocka_unit_test(test_scrub_stops_a_cname_loop),
		cmocka_unit_test(test_scrub_keeps_no_cname_after_the_chain_ends),
		cmocka_unit_test(test_scrub_stops_a_chain_past_its_limit),
		cmocka_unit_test(test_scrub_keeps_dname_above_the_chain),
		cmocka_unit_test(test_scrub_keeps_rrsigs_beside_what_they_cover),
		cmocka_unit_test(test_scrub_keeps_authority_within_bailiwick),
		cmocka_unit_test(test_scrub_authority_follows_the_chain_end),
		cmocka_unit_test(test_scrub_follows_a_chain_given_out_of_order),
		cmocka_unit_test(test_scrub_keeps_a_wildcard_proof),
		cmocka_unit_test(test_scrub_class_any_keeps_in_records),
		cmocka_unit_test(test_scrub_points_owners_at_the_question),
		cmocka_unit_test(test_scrub_keeps_glue_only_for_kept_targets),
		cmocka_unit_test(test_scrub_srv_target_glue_and_any),
		cmocka_unit_test(test_scrub_rewrites_names_without_pointers_into_dropped_records),
		cmocka_unit_test(test_scrub_refuses_malformed_replies),
		cmocka_unit_test(test_scrub_refuses_whatever_else_the_reply_carries),
		cmocka_unit_test(test_scrub_fails_when_the_rebuilt_reply_does_not_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
