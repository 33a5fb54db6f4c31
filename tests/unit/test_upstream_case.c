/* The forwarder's defences against off-path spoofing that need no network:
 * DNS 0x20 case randomization of the question name, and the RFC 5452
 * match of a reply to the query sent (ID, question, exact case). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/msg.h"
#include "airlock/upstream.h"
#include "reply.h"

#define RUNS 64

/* \3www\7example\3com: 13 letters. */
static const uint8_t plain[] = "\3www\7example\3com";

/* A 255-byte name of 63-letter labels (250 letters), lower-case. */
static size_t long_name(uint8_t *name)
{
	size_t off = 0, i, l;

	for (l = 0; l < 4; l++) {
		size_t n = l < 3 ? 63 : 61;
		name[off++] = (uint8_t)n;
		for (i = 0; i < n; i++)
			name[off++] = (uint8_t)('a' + (i + l) % 26);
	}
	name[off++] = 0;
	return off;
}

static void test_upstream_case_flips_letters_only(void **state)
{
	uint8_t name[] = "\4a-1B\2x9\3com";
	const uint8_t orig[] = "\4a-1b\2x9\3com";
	bool upper[sizeof(name)] = { false }, lower[sizeof(name)] = { false };
	int run;
	size_t i;
	(void)state;

	for (run = 0; run < RUNS; run++) {
		assert_int_equal(al_fwd_randomize_case(name, sizeof(name)), 6);
		for (i = 0; i < sizeof(name); i++) {
			uint8_t c = name[i];
			if (c >= 'a' && c <= 'z')
				lower[i] = true;
			if (c >= 'A' && c <= 'Z') {
				upper[i] = true;
				c += 32;
			}
			assert_int_equal(c, orig[i]); /* the same name, only the case moves */
		}
	}
	/* Each letter came out in both cases (a miss: 2^-63); lengths, digits and
	 * the hyphen never changed (checked above). */
	for (i = 0; i < sizeof(name); i++)
		assert_int_equal(upper[i] && lower[i], orig[i] >= 'a' && orig[i] <= 'z');
}

static void test_upstream_case_randomizes_every_letter_of_a_long_name(void **state)
{
	uint8_t name[AL_MAX_NAME], ref[AL_MAX_NAME];
	bool upper[AL_MAX_NAME] = { false }, lower[AL_MAX_NAME] = { false };
	size_t len = long_name(ref), i, distinct = 0;
	uint8_t prev[AL_MAX_NAME];
	int run;
	(void)state;

	assert_int_equal(len, AL_MAX_NAME);
	memcpy(prev, ref, len);
	for (run = 0; run < RUNS; run++) {
		memcpy(name, ref, len);
		/* Letters past the first 64 take fresh random bits too. */
		assert_int_equal(al_fwd_randomize_case(name, len), 250);
		for (i = 0; i < len; i++) {
			upper[i] |= name[i] >= 'A' && name[i] <= 'Z';
			lower[i] |= name[i] >= 'a' && name[i] <= 'z';
		}
		distinct += memcmp(prev, name, len) != 0;
		memcpy(prev, name, len);
	}
	for (i = 0; i < len; i++) {
		bool length_byte = i == 0 || i == 64 || i == 128 || i == 192 || i == 254;
		assert_int_equal(upper[i] && lower[i], !length_byte);
	}
	assert_int_equal(distinct, RUNS); /* never the same pattern twice */
}

static void test_upstream_case_stops_at_root_and_bounds(void **state)
{
	uint8_t name[] = "\3abc\0\3xyz", cut[] = { 10, 'a', 'b' };
	int run;
	(void)state;

	for (run = 0; run < RUNS; run++)
		assert_int_equal(al_fwd_randomize_case(name, sizeof(name)), 3);
	assert_memory_equal(name + 4, "\0\3xyz", 5); /* past the root: untouched */
	/* A length running past the buffer: only the bytes inside are read. */
	assert_int_equal(al_fwd_randomize_case(cut, sizeof(cut)), 2);
}

/* A query for plain's name; returns its length. */
static size_t query(uint8_t *p, uint16_t id, uint16_t qtype)
{
	size_t n = test_query(p, 512, id, "www.example.com.", qtype, 0, 0);

	assert_memory_equal(p + AL_HDR, plain, sizeof(plain));
	return n;
}

/* The reply an honest upstream sends: the query with QR, plus one A. */
static size_t reply_to(uint8_t *r, const uint8_t *q, size_t qlen)
{
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1 };

	memcpy(r, q, qlen);
	al_put16(r + 2, AL_FLAG_QR | AL_FLAG_RD | AL_FLAG_RA);
	al_put16(r + 6, 1);
	memcpy(r + qlen, rr, sizeof(rr));
	return qlen + sizeof(rr);
}

static void test_upstream_match_needs_the_exact_case(void **state)
{
	uint8_t q[512], r[512];
	size_t qlen, rlen;
	(void)state;

	qlen = query(q, 0xbeef, AL_TYPE_A);
	do
		al_fwd_randomize_case(q + AL_HDR, sizeof(plain));
	while (memcmp(q + AL_HDR, plain, sizeof(plain)) == 0); /* some letter upper-case */
	rlen = reply_to(r, q, qlen);
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, true));
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, false));

	/* The spoofer's guess: right ID, the name in lower case. */
	memcpy(r + AL_HDR, plain, sizeof(plain));
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, true));
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, false)); /* 0x20 off */

	/* Another name of the same length, in any case: never. */
	memcpy(r + AL_HDR, "\3www\7example\3org", sizeof(plain));
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, true));
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
}

static void test_upstream_match_checks_id_type_and_header(void **state)
{
	uint8_t q[512], r[512];
	size_t qlen, rlen, n;
	(void)state;

	qlen = query(q, 0x1234, 65); /* HTTPS: 0x0041, 'A' */
	rlen = reply_to(r, q, qlen);
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, false));

	al_put16(r, 0x1235);
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	al_put16(r, 0x1234);

	/* Type 97 ('a') is not type 65 ('A'), even when case is ignored. */
	al_put16(r + AL_HDR + sizeof(plain), 97);
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, true));
	al_put16(r + AL_HDR + sizeof(plain), 65);
	al_put16(r + AL_HDR + sizeof(plain) + 2, 3); /* class CH */
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	al_put16(r + AL_HDR + sizeof(plain) + 2, 1);

	r[2] &= 0x7f; /* not a response */
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	r[2] |= 0x80;
	al_put16(r + 4, 2); /* two questions */
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	al_put16(r + 4, 1);
	r[2] |= 0x10; /* opcode 2 */
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	r[2] &= (uint8_t)~0x10;
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, true));

	/* Cut short anywhere in the question: no match, no overread. */
	for (n = 0; n < qlen; n++)
		assert_false(al_fwd_reply_matches(q, qlen, r, n, true));
}

static void test_upstream_match_rejects_a_compressed_question(void **state)
{
	uint8_t q[512], r[512];
	size_t qlen, rlen;
	(void)state;

	qlen = query(q, 7, AL_TYPE_A);
	/* The query with QR, whose name begins with a pointer instead of its
	 * first label: the header, type and class match, so only the name's
	 * bytes can make it fail. */
	memcpy(r, q, qlen);
	rlen = qlen;
	al_put16(r + 2, AL_FLAG_QR);
	assert_true(al_fwd_reply_matches(q, qlen, r, rlen, true));
	r[AL_HDR] = 0xc0;
	r[AL_HDR + 1] = AL_HDR;
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, false));
	assert_false(al_fwd_reply_matches(q, qlen, r, rlen, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_case_flips_letters_only),
		cmocka_unit_test(test_upstream_case_randomizes_every_letter_of_a_long_name),
		cmocka_unit_test(test_upstream_case_stops_at_root_and_bounds),
		cmocka_unit_test(test_upstream_match_needs_the_exact_case),
		cmocka_unit_test(test_upstream_match_checks_id_type_and_header),
		cmocka_unit_test(test_upstream_match_rejects_a_compressed_question),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
