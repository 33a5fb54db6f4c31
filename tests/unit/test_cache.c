/* Prepared answers and the cache: OPT stripped, TTLs clamped and counted
 * down, negative answers cached per RFC 2308, byte-bounded LRU eviction. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/answer.h"
#include "airlock/cache.h"
#include "reply.h"

static const struct al_ttl_policy policy = { 0, 86400, 3600 };

static struct al_answer *prepare(const char *qname, uint16_t qtype, int rcode,
				 const char *const *rrs, const struct al_ttl_policy *pol,
				 uint64_t now)
{
	uint8_t pkt[4096];
	size_t n = test_reply(pkt, sizeof(pkt), 99, qname, qtype, rcode, 1, rrs);
	struct al_answer *a = NULL;

	assert_int_equal(al_answer_new(pkt, n, pol, now, &a), 0);
	return a;
}

static struct al_query query(const char *qname, uint16_t qtype, int edns)
{
	uint8_t pkt[512];
	size_t n = test_query(pkt, sizeof(pkt), 0x4242, qname, qtype, edns, 0);
	struct al_query q;

	assert_int_equal(al_msg_parse_query(pkt, n, &q), 0);
	return q;
}

static uint32_t first_ttl(const uint8_t *pkt, size_t len)
{
	struct al_rr rr = { 0 };
	size_t off = AL_HDR;

	assert_int_equal(al_msg_skip_name(pkt, len, &off), 0);
	off += 4;
	assert_int_equal(al_msg_skip_name(pkt, len, &off), 0);
	rr.ttl = al_get32(pkt + off + 4);
	return rr.ttl;
}

static const char *const www_a[] = { "AN www.example. 300 IN A 192.0.2.1", NULL };

static void test_answer_strips_opt_and_serves_decremented_ttl(void **state)
{
	struct al_answer *a = prepare("www.example.", AL_TYPE_A, 0, www_a, &policy, 1000);
	struct al_query q = query("WWW.example.", AL_TYPE_A, 0);
	uint8_t out[1024];
	size_t n;
	(void)state;

	assert_int_equal(a->lifetime, 300);
	assert_int_equal(al_get16(a->data + 10), 0); /* the upstream's OPT is gone */
	n = al_answer_render(a, &q, 1000 + 61500, 1232, 512, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(al_get16(out), 0x4242);
	assert_int_equal(first_ttl(out, n), 300 - 61);
	assert_memory_equal(out + 12, "\3WWW\7example", 12); /* client's case */
	assert_int_equal(al_get16(out + 10), 0);              /* client had no EDNS */
	assert_int_equal(out[3] & 0x80, 0x80);                /* RA */
	assert_int_equal(out[2] & 0x04, 0);                   /* not AA */
	assert_false(al_answer_expired(a, 1000 + 299999));
	assert_true(al_answer_expired(a, 1000 + 300000));
	al_answer_free(a);
}

/* Bytes after the reply's last record are never served (they could carry
 * anything past the scrubbing rules): the answer renders as without them. */
static void test_answer_drops_bytes_after_the_last_record(void **state)
{
	uint8_t pkt[4096], clean[1024], dirty[1024];
	size_t n = test_reply(pkt, sizeof(pkt) - 8, 99, "www.example.", AL_TYPE_A, 0, 0, www_a), m;
	struct al_query q = query("www.example.", AL_TYPE_A, 0);
	struct al_answer *a;
	(void)state;

	assert_int_equal(al_answer_new(pkt, n, &policy, 0, &a), 0);
	m = al_answer_render(a, &q, 0, 1232, 512, clean, sizeof(clean));
	al_answer_free(a);
	memcpy(pkt + n, "\x01secret", 7);
	assert_int_equal(al_answer_new(pkt, n + 7, &policy, 0, &a), 0);
	assert_int_equal(al_answer_render(a, &q, 0, 1232, 512, dirty, sizeof(dirty)), m);
	assert_true(m > 0);
	assert_memory_equal(dirty, clean, m);
	al_answer_free(a);
}

static void test_answer_adds_own_opt_for_edns_client(void **state)
{
	struct al_answer *a = prepare("www.example.", AL_TYPE_A, 0, www_a, &policy, 0);
	struct al_query q = query("www.example.", AL_TYPE_A, 4096);
	uint8_t out[1024];
	size_t n;
	(void)state;

	n = al_answer_render(a, &q, 0, 1232, 1232, out, sizeof(out));
	assert_int_equal(n, a->len + 11);
	assert_int_equal(al_get16(out + 10), 1);
	assert_int_equal(al_get16(out + n - 11 + 1), AL_TYPE_OPT);
	assert_int_equal(al_get16(out + n - 11 + 3), 1232);
	al_answer_free(a);
}

static void test_answer_truncates_when_over_limit(void **state)
{
	const char *rrs[41];
	char lines[40][64];
	struct al_answer *a;
	struct al_query q = query("big.example.", AL_TYPE_A, 0);
	uint8_t out[4096];
	size_t n, i;
	(void)state;

	for (i = 0; i < 40; i++) {
		snprintf(lines[i], sizeof(lines[i]), "AN big.example. 60 IN A 192.0.2.%zu", i + 1);
		rrs[i] = lines[i];
	}
	rrs[40] = NULL;
	a = prepare("big.example.", AL_TYPE_A, 0, rrs, &policy, 0);
	assert_true(a->len > 512);
	n = al_answer_render(a, &q, 0, 1232, 512, out, sizeof(out));
	assert_true(n > 0 && n <= 512);
	assert_int_equal(out[2] & 0x02, 0x02); /* TC */
	assert_int_equal(al_get16(out + 6), 0);
	n = al_answer_render(a, &q, 0, 1232, 65535, out, sizeof(out));
	assert_int_equal(al_get16(out + 6), 40);
	assert_int_equal(out[2] & 0x02, 0);
	al_answer_free(a);
}

static void test_answer_clamps_ttls(void **state)
{
	static const char *const rrs[] = { "AN a.example. 5 IN A 192.0.2.1",
					   "AN a.example. 999999 IN A 192.0.2.2", NULL };
	struct al_ttl_policy pol = { 30, 600, 60 };
	struct al_answer *a = prepare("a.example.", AL_TYPE_A, 0, rrs, &pol, 0);
	(void)state;

	assert_int_equal(a->lifetime, 30);
	assert_int_equal(al_get32(a->data + a->ttl_offs[0]), 30);
	assert_int_equal(al_get32(a->data + a->ttl_offs[1]), 600);
	al_answer_free(a);
}

static void test_negative_answer_cached_for_soa_minimum(void **state)
{
	static const char *const soa[] = {
		"NS example. 300 IN SOA ns.example. host.example. 1 7200 900 1209600 60", NULL };
	struct al_ttl_policy pol = { 0, 86400, 3600 };
	struct al_answer *a = prepare("nx.example.", AL_TYPE_A, 3, soa, &pol, 0);
	(void)state;

	assert_int_equal(a->rcode, 3);
	assert_int_equal(a->lifetime, 60); /* min(SOA TTL 300, minimum 60) */
	al_answer_free(a);
	pol.max_negative_ttl = 10;
	a = prepare("nodata.example.", AL_TYPE_AAAA, 0, soa, &pol, 0);
	assert_int_equal(a->lifetime, 10);
	al_answer_free(a);
}

static void test_uncacheable_answers_have_no_lifetime(void **state)
{
	struct al_answer *a;
	(void)state;

	a = prepare("nx.example.", AL_TYPE_A, 3, NULL, &policy, 0); /* no SOA */
	assert_int_equal(a->lifetime, 0);
	al_answer_free(a);
	a = prepare("sf.example.", AL_TYPE_A, 2, NULL, &policy, 0); /* SERVFAIL */
	assert_int_equal(a->lifetime, 0);
	al_answer_free(a);
}

static void test_answer_rejects_malformed(void **state)
{
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 1, "www.example.", AL_TYPE_A, 0, 0, www_a);
	struct al_answer *a = NULL;
	(void)state;

	assert_int_equal(al_answer_new(pkt, n - 2, &policy, 0, &a), -EINVAL);
	assert_int_equal(al_answer_new(pkt, 11, &policy, 0, &a), -EINVAL);
	assert_null(a);
}

static void test_answer_rejects_opt_outside_additional(void **state)
{
	uint8_t pkt[512];
	size_t n = test_reply(pkt, sizeof(pkt), 1, "www.example.", AL_TYPE_A, 0, 1, www_a);
	struct al_answer *a = NULL;
	(void)state;

	/* The OPT is the last record: counting it in the answer section puts
	 * it there. */
	assert_int_equal(al_get16(pkt + 10), 1);
	al_put16(pkt + 6, 2);
	al_put16(pkt + 10, 0);
	assert_int_equal(al_answer_new(pkt, n, &policy, 0, &a), -EINVAL);
	assert_null(a);
}

static void test_answer_rejects_compressed_question(void **state)
{
	/* ID 0x0000 so the pointer C0 00 lands on the header. */
	uint8_t pkt[] = { 0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0, 1, 0, 1 };
	struct al_answer *a = NULL;
	(void)state;

	assert_int_equal(al_answer_new(pkt, sizeof(pkt), &policy, 0, &a), -EINVAL);
	assert_null(a);
}

static void put(struct al_cache *c, const char *name, uint64_t now)
{
	struct al_query q = query(name, AL_TYPE_A, 0);
	uint8_t key[AL_CACHE_KEY_MAX];
	const char *rrs[] = { NULL, NULL };
	char line[128];

	snprintf(line, sizeof(line), "AN %s 300 IN A 192.0.2.1", name);
	rrs[0] = line;
	al_cache_put_take(c, key, al_cache_key(&q, key), prepare(name, AL_TYPE_A, 0, rrs, &policy, now));
}

static const struct al_answer *get(struct al_cache *c, const char *name, int do_bit, uint64_t now)
{
	struct al_query q = query(name, AL_TYPE_A, do_bit ? 1232 : 0);
	uint8_t key[AL_CACHE_KEY_MAX];

	q.do_bit = do_bit != 0;
	return al_cache_get(c, key, al_cache_key(&q, key), now);
}

static void test_cache_key_ignores_case_but_not_do_bit(void **state)
{
	struct al_cache *c;
	(void)state;

	assert_int_equal(al_cache_new(1 << 20, &c), 0);
	put(c, "www.example.", 0);
	assert_non_null(get(c, "WwW.ExAmPlE.", 0, 0));
	assert_null(get(c, "www.example.", 1, 0));
	assert_null(get(c, "www2.example.", 0, 0));
	al_cache_free(c);
}

static void test_cache_drops_expired(void **state)
{
	struct al_cache *c;
	struct al_cache_stats st;
	(void)state;

	assert_int_equal(al_cache_new(1 << 20, &c), 0);
	put(c, "www.example.", 0);
	assert_non_null(get(c, "www.example.", 0, 299999));
	assert_null(get(c, "www.example.", 0, 300000));
	al_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.hits, 1);
	al_cache_free(c);
}

static void test_cache_evicts_least_recently_used_within_bytes(void **state)
{
	struct al_cache *c;
	struct al_cache_stats st;
	char name[64];
	size_t i, one;
	(void)state;

	assert_int_equal(al_cache_new(1 << 20, &c), 0);
	put(c, "n00.example.", 0);
	al_cache_get_stats(c, &st);
	one = st.bytes;
	al_cache_free(c);

	assert_int_equal(al_cache_new(one * 10, &c), 0); /* room for 10 */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%02zu.example.", i);
		put(c, name, 0);
	}
	assert_non_null(get(c, "n00.example.", 0, 0)); /* n0 now most recent */
	for (i = 10; i < 15; i++) {
		snprintf(name, sizeof(name), "n%02zu.example.", i);
		put(c, name, 0);
	}
	al_cache_get_stats(c, &st);
	assert_true(st.bytes <= one * 10);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.evictions, 5);
	assert_non_null(get(c, "n00.example.", 0, 0));
	assert_null(get(c, "n01.example.", 0, 0));
	assert_null(get(c, "n05.example.", 0, 0));
	assert_non_null(get(c, "n06.example.", 0, 0));
	assert_non_null(get(c, "n14.example.", 0, 0));
	al_cache_free(c);
}

static void test_cache_replaces_same_key(void **state)
{
	struct al_cache *c;
	struct al_cache_stats st;
	(void)state;

	assert_int_equal(al_cache_new(1 << 20, &c), 0);
	put(c, "www.example.", 0);
	put(c, "www.example.", 5000);
	al_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(get(c, "www.example.", 0, 5000)->created_ms, 5000);
	al_cache_flush(c);
	assert_null(get(c, "www.example.", 0, 5000));
	al_cache_free(c);
}

static void test_cache_grows_past_initial_buckets(void **state)
{
	struct al_cache *c;
	char name[64];
	size_t i;
	(void)state;

	assert_int_equal(al_cache_new(64 << 20, &c), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "h%zu.example.", i);
		put(c, name, 0);
	}
	for (i = 0; i < 5000; i += 499) {
		snprintf(name, sizeof(name), "h%zu.example.", i);
		assert_non_null(get(c, name, 0, 0));
	}
	al_cache_free(c);
}

static void test_cache_flush_name_drops_name_and_below_only(void **state)
{
	struct al_cache *c;
	uint8_t name[AL_MAX_NAME];
	int n;
	(void)state;

	assert_int_equal(al_cache_new(1 << 20, &c), 0);
	put(c, "drop.example.", 0);
	put(c, "a.drop.example.", 0);
	put(c, "b.a.drop.example.", 0);
	put(c, "nodrop.example.", 0);   /* a suffix of the text, not of the labels */
	put(c, "drop.example.org.", 0);
	put(c, "example.", 0);
	n = al_msg_name_from_text("Drop.Example", name, sizeof(name));
	assert_true(n > 0);
	assert_int_equal(al_cache_flush_name(c, name, (size_t)n), 3);
	assert_null(get(c, "drop.example.", 0, 0));
	assert_null(get(c, "a.drop.example.", 0, 0));
	assert_null(get(c, "b.a.drop.example.", 0, 0));
	assert_non_null(get(c, "nodrop.example.", 0, 0));
	assert_non_null(get(c, "drop.example.org.", 0, 0));
	assert_non_null(get(c, "example.", 0, 0));
	assert_int_equal(al_cache_flush_name(c, name, (size_t)n), 0);
	/* The root: everything left. */
	assert_int_equal(al_cache_flush_name(c, (const uint8_t *)"", 1), 3);
	put(c, "x.example.", 0);
	assert_int_equal(al_cache_flush(c), 1);
	assert_null(get(c, "x.example.", 0, 0));
	al_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_strips_opt_and_serves_decremented_ttl),
		cmocka_unit_test(test_answer_drops_bytes_after_the_last_record),
		cmocka_unit_test(test_answer_adds_own_opt_for_edns_client),
		cmocka_unit_test(test_answer_truncates_when_over_limit),
		cmocka_unit_test(test_answer_clamps_ttls),
		cmocka_unit_test(test_negative_answer_cached_for_soa_minimum),
		cmocka_unit_test(test_uncacheable_answers_have_no_lifetime),
		cmocka_unit_test(test_answer_rejects_malformed),
		cmocka_unit_test(test_answer_rejects_opt_outside_additional),
		cmocka_unit_test(test_answer_rejects_compressed_question),
		cmocka_unit_test(test_cache_key_ignores_case_but_not_do_bit),
		cmocka_unit_test(test_cache_drops_expired),
		cmocka_unit_test(test_cache_evicts_least_recently_used_within_bytes),
		cmocka_unit_test(test_cache_replaces_same_key),
		cmocka_unit_test(test_cache_grows_past_initial_buckets),
		cmocka_unit_test(test_cache_flush_name_drops_name_and_below_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
