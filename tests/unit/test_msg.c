/* Wire parsing of client queries and EDNS0 handling (RFC 1035, RFC 6891). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/msg.h"
#include "reply.h"

static void test_parse_plain_query(void **state)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 0x1234, "WWW.Example.COM.", AL_TYPE_AAAA, 0, 0);
	struct al_query q;
	(void)state;

	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, AL_TYPE_AAAA);
	assert_int_equal(q.qclass, 1);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);
	assert_int_equal(q.qname_len, 17);
	assert_memory_equal(q.qname, "\3WWW\7Example\3COM", 17);
	assert_memory_equal(q.qname_lc, "\3www\7example\3com", 17);
	assert_int_equal(q.question_end, n);
}

static void test_parse_edns_size_and_do(void **state)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 1, "example.", AL_TYPE_A, 4096, 1);
	struct al_query q;
	(void)state;

	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	assert_true(q.edns);
	assert_true(q.do_bit);
	assert_int_equal(q.udp_size, 4096);
	n = test_query(pkt, sizeof(pkt), 1, "example.", AL_TYPE_A, 100, 0);
	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	assert_int_equal(q.udp_size, 512); /* RFC 6891 6.2.3: below 512 means 512 */
	assert_false(q.do_bit);
}

static void test_parse_badvers_for_edns1(void **state)
{
	uint8_t pkt[512], out[512];
	size_t n = test_query(pkt, sizeof(pkt), 7, "example.", AL_TYPE_A, 1232, 0), m;
	struct al_query q;
	(void)state;

	pkt[n - 5] = 1; /* OPT version byte */
	assert_int_equal(al_msg_parse_query(pkt, n, &q), AL_RCODE_BADVERS);
	m = al_msg_error(&q, AL_RCODE_BADVERS, 1232, out, sizeof(out));
	assert_int_equal(out[3] & 0xf, 0);         /* low 4 bits of 16 */
	assert_int_equal(al_get16(out + 10), 1);    /* OPT present */
	assert_int_equal(out[m - 11 + 5], 1);       /* extended rcode: 16 >> 4 */
	assert_int_equal(al_get16(out + m - 11 + 3), 1232);
}

static void test_parse_notimp_for_other_opcodes(void **state)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 7, "example.", AL_TYPE_A, 0, 0);
	struct al_query q;
	(void)state;

	pkt[2] |= 2 << 3; /* opcode STATUS */
	assert_int_equal(al_msg_parse_query(pkt, n, &q), AL_RCODE_NOTIMP);
}

static void test_parse_formerr_cases(void **state)
{
	uint8_t pkt[512], bad[512];
	size_t n = test_query(pkt, sizeof(pkt), 7, "example.", AL_TYPE_A, 1232, 0);
	struct al_query q;
	(void)state;

	memcpy(bad, pkt, n);
	al_put16(bad + 4, 0); /* no question */
	assert_int_equal(al_msg_parse_query(bad, n, &q), AL_RCODE_FORMERR);
	memcpy(bad, pkt, n);
	al_put16(bad + 4, 2); /* two questions */
	assert_int_equal(al_msg_parse_query(bad, n, &q), AL_RCODE_FORMERR);
	memcpy(bad, pkt, n);
	bad[n] = 0; /* trailing byte */
	assert_int_equal(al_msg_parse_query(bad, n + 1, &q), AL_RCODE_FORMERR);
	assert_int_equal(al_msg_parse_query(pkt, 20, &q), AL_RCODE_FORMERR); /* cut name */
	memcpy(bad, pkt, n);
	al_put16(bad + 10, 2); /* claims a second additional record */
	assert_int_equal(al_msg_parse_query(bad, n, &q), AL_RCODE_FORMERR);
	memcpy(bad, pkt, n);
	memcpy(bad + n, pkt + n - 11, 11); /* a second OPT */
	al_put16(bad + 10, 2);
	assert_int_equal(al_msg_parse_query(bad, n + 11, &q), AL_RCODE_FORMERR);
	memcpy(bad, pkt, n);
	bad[12] = 0xc0; /* compression pointer in the question */
	bad[13] = 12;
	assert_int_equal(al_msg_parse_query(bad, n, &q), AL_RCODE_FORMERR);
}

static void test_parse_ignores_responses_and_runts(void **state)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 7, "example.", AL_TYPE_A, 0, 0);
	struct al_query q;
	(void)state;

	assert_int_equal(al_msg_parse_query(pkt, 11, &q), -1);
	pkt[2] |= 0x80; /* QR: a response */
	assert_int_equal(al_msg_parse_query(pkt, n, &q), -1);
}

static void test_error_reply_echoes_question_and_flags(void **state)
{
	uint8_t pkt[512], out[512];
	size_t n = test_query(pkt, sizeof(pkt), 0xbeef, "Ex.Org.", 16, 0, 0), m;
	struct al_query q;
	(void)state;

	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	m = al_msg_error(&q, AL_RCODE_REFUSED, 1232, out, sizeof(out));
	assert_int_equal(m, n); /* no larger than the query: no amplification */
	assert_int_equal(al_get16(out), 0xbeef);
	assert_int_equal(out[2] & 0x80, 0x80);          /* QR */
	assert_int_equal(out[2] & 0x01, 0x01);          /* RD echoed */
	assert_int_equal(out[3] & 0x0f, AL_RCODE_REFUSED);
	assert_memory_equal(out + 12, pkt + 12, n - 12); /* question, case kept */
	assert_int_equal(al_get16(out + 10), 0);         /* no OPT: client had none */
	assert_int_equal(al_msg_error(&q, AL_RCODE_REFUSED, 1232, out, 20), 0);
}

static int count_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	unsigned *n = arg;
	(void)pkt;

	n[rr->section]++;
	if (rr->type == AL_TYPE_A)
		n[0] = rr->ttl;
	return 0;
}

static void test_walk_visits_every_section(void **state)
{
	static const char *const rrs[] = {
		"AN www.example. 300 IN A 192.0.2.1",
		"NS example. 3600 IN NS ns.example.",
		"AR ns.example. 3600 IN AAAA 2001:db8::53",
		NULL,
	};
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 1, "www.example.", AL_TYPE_A, 0, 1, rrs);
	unsigned counts[4] = { 0 };
	(void)state;

	assert_int_equal(al_msg_walk(pkt, n, count_rr, counts), 0);
	assert_int_equal(counts[0], 300);
	assert_int_equal(counts[1], 1);
	assert_int_equal(counts[2], 1);
	assert_int_equal(counts[3], 2); /* the AAAA and the OPT */
	assert_int_equal(al_msg_walk(pkt, n - 3, count_rr, counts), -1);
}

static void test_read_name_rejects_pointer_loops(void **state)
{
	/* header, then a name that points at itself */
	uint8_t pkt[14] = { 0 };
	uint8_t name[AL_MAX_NAME];
	size_t off = 12;
	(void)state;

	pkt[12] = 0xc0;
	pkt[13] = 12;
	assert_int_equal(al_msg_read_name(pkt, sizeof(pkt), &off, name), -1);
}

/* The one rcode name table: 0-10 by name, anything else NULL, or
 * "RCODE%d" as text. */
static void test_rcode_names_cover_0_to_10(void **state)
{
	char buf[16];
	(void)state;
	assert_string_equal(al_msg_rcode_name(0), "NOERROR");
	assert_string_equal(al_msg_rcode_name(AL_RCODE_REFUSED), "REFUSED");
	assert_string_equal(al_msg_rcode_name(10), "NOTZONE");
	assert_null(al_msg_rcode_name(11));
	assert_null(al_msg_rcode_name(AL_RCODE_BADVERS));
	assert_null(al_msg_rcode_name(-1));
	assert_string_equal(al_msg_rcode_text(AL_RCODE_REFUSED, buf, sizeof(buf)), "REFUSED");
	assert_string_equal(al_msg_rcode_text(AL_RCODE_BADVERS, buf, sizeof(buf)), "RCODE16");
	assert_string_equal(al_msg_rcode_text(23, buf, sizeof(buf)), "RCODE23");
}

/* Presentation-form escapes: \X and exactly three digits up to 255. */
static void test_name_from_text_reads_escapes_strictly(void **state)
{
	uint8_t w[AL_MAX_NAME];
	(void)state;

	assert_int_equal(al_msg_name_from_text("\\065b.\\.x", w, sizeof(w)), 7);
	assert_memory_equal(w, "\2ab\2.x\0", 7);
	assert_int_equal(al_msg_name_from_text("\\255.com", w, sizeof(w)), 7);
	assert_int_equal(al_msg_name_from_text("\\2x.com", w, sizeof(w)), -1);
	assert_int_equal(al_msg_name_from_text("\\25.com", w, sizeof(w)), -1);
	assert_int_equal(al_msg_name_from_text("\\256.com", w, sizeof(w)), -1);
	assert_int_equal(al_msg_name_from_text("com\\", w, sizeof(w)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcode_names_cover_0_to_10),
		cmocka_unit_test(test_parse_plain_query),
		cmocka_unit_test(test_parse_edns_size_and_do),
		cmocka_unit_test(test_parse_badvers_for_edns1),
		cmocka_unit_test(test_parse_notimp_for_other_opcodes),
		cmocka_unit_test(test_parse_formerr_cases),
		cmocka_unit_test(test_parse_ignores_responses_and_runts),
		cmocka_unit_test(test_error_reply_echoes_question_and_flags),
		cmocka_unit_test(test_walk_visits_every_section),
		cmocka_unit_test(test_read_name_rejects_pointer_loops),
		cmocka_unit_test(test_name_from_text_reads_escapes_strictly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
