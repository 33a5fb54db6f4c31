/* The answers by address: a flow finds its client's own answer, else its
 * zone's; the TTL plus the grace bounds how old an answer may be, an answer
 * given after the flow does not count, and expiry drops the oldest.  The
 * tables behind it (addresses, clients with their zones, names) grow
 * without mixing anything up, and staged answers make the same index. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/answerindex.h"

#define S 1000000LL

static struct al_ip ip(const char *text)
{
	struct al_ip a;

	if (al_ip_parse(text, &a) < 0)
		fail_msg("bad address %s", text);
	return a;
}

static const char *find(const struct al_answerindex *ai, const char *addr, const char *client, int zone,
			int64_t start, int64_t end, int64_t grace)
{
	static char out[128];
	struct al_ip a = ip(addr), c = ip(client);
	struct al_answer_ref ref;
	bool by_zone;
	const struct al_answer_ref *r = al_answerindex_find(ai, &a, &c, zone, start, end, grace, &ref, &by_zone);

	if (!r)
		return "-";
	snprintf(out, sizeof(out), "%s %lld%s", r->name, (long long)(r->ts_us / S), by_zone ? " zone" : "");
	return out;
}

static void add(struct al_answerindex *ai, const char *addr, const char *client, int zone, const char *name,
		int64_t ts, uint32_t ttl)
{
	struct al_ip a = ip(addr), c = ip(client);

	assert_int_equal(al_answerindex_add(ai, &a, &c, zone, name, ts * S, ttl, 1), 0);
}

static void test_answerindex_client_then_zone(void **state)
{
	struct al_answerindex *ai;

	(void)state;
	assert_int_equal(al_answerindex_new(&ai), 0);
	add(ai, "203.0.113.7", "10.0.2.5", 1, "api.example.", 100, 60);
	add(ai, "203.0.113.7", "10.0.2.6", 1, "cdn.example.", 110, 60);
	add(ai, "2001:db8::7", "10.0.2.5", 1, "v6.example.", 120, 60);
	/* Its own answer, though a zone neighbour's is newer. */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 130 * S, 140 * S, 0), "api.example. 100");
	/* Another client of the zone: the zone's latest. */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.9", 1, 130 * S, 140 * S, 0), "cdn.example. 110 zone");
	/* Another zone: nothing. */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.3.9", 2, 130 * S, 140 * S, 0), "-");
	assert_string_equal(find(ai, "2001:db8::7", "10.0.2.5", 1, 130 * S, 140 * S, 0), "v6.example. 120");
	assert_string_equal(find(ai, "2001:db8::8", "10.0.2.5", 1, 130 * S, 140 * S, 0), "-");
	assert_int_equal(al_answerindex_count(ai), 3);
	al_answerindex_free(ai);
}

static void test_answerindex_window_edges(void **state)
{
	struct al_answerindex *ai;

	(void)state;
	assert_int_equal(al_answerindex_new(&ai), 0);
	add(ai, "203.0.113.7", "10.0.2.5", 1, "old.example.", 100, 60);
	add(ai, "203.0.113.7", "10.0.2.5", 1, "late.example.", 500, 60);
	/* ts + ttl + grace reaches the flow's start: 100 + 60 + 40 = 200. */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 200 * S, 210 * S, 40 * S), "old.example. 100");
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 201 * S, 210 * S, 40 * S), "-");
	/* An answer given after the flow ended explains nothing ... */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 400 * S, 499 * S, 0), "-");
	/* ... one given during it does. */
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 400 * S, 500 * S, 0), "late.example. 500");
	/* Late answers (given before the latest added) go in their place. */
	add(ai, "203.0.113.8", "10.0.2.5", 1, "x.example.", 499, 60);
	add(ai, "203.0.113.7", "10.0.2.5", 1, "mid.example.", 300, 60);
	assert_int_equal(al_answerindex_newest(ai), 500 * S);
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 350 * S, 450 * S, 0), "mid.example. 300");
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 400 * S, 500 * S, 0), "late.example. 500");
	assert_string_equal(find(ai, "203.0.113.8", "10.0.2.5", 1, 450 * S, 499 * S, 0), "x.example. 499");
	/* Expiry drops the oldest of the next address in the order added:
	 * old (100) goes; mid (300) is wanted, so it stops there. */
	al_answerindex_expire(ai, 101 * S);
	assert_int_equal(al_answerindex_count(ai), 3);
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 120 * S, 500 * S, 0), "late.example. 500");
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 120 * S, 200 * S, 0), "-");
	al_answerindex_expire(ai, 1000 * S);
	assert_int_equal(al_answerindex_count(ai), 0);
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 120 * S, 500 * S, 0), "-");
	/* Adding after everything expired works. */
	add(ai, "203.0.113.7", "10.0.2.5", 1, "again.example.", 1000, 60);
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 1000 * S, 1001 * S, 0), "again.example. 1000");
	al_answerindex_free(ai);
}

static void test_answerindex_many_addresses(void **state)
{
	struct al_answerindex *ai;
	char a[32];
	int i;

	(void)state;
	assert_int_equal(al_answerindex_new(&ai), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "198.51.%d.%d", i / 250, i % 250);
		add(ai, a, "10.0.2.5", 1, i % 2 ? "odd.example." : "even.example.", 100 + i, 300);
	}
	assert_string_equal(find(ai, "198.51.19.249", "10.0.2.5", 1, 5099 * S, 5100 * S, 0), "odd.example. 5099");
	assert_string_equal(find(ai, "198.51.0.0", "10.0.2.5", 1, 100 * S, 101 * S, 0), "even.example. 100");
	al_answerindex_expire(ai, 2600 * S);
	assert_int_equal(al_answerindex_count(ai), 2500); /* 100 .. 2599 went */
	/* The right ones went, though the table grew in between. */
	assert_string_equal(find(ai, "198.51.9.249", "10.0.2.5", 1, 2599 * S, 2600 * S, 0), "-");
	assert_string_equal(find(ai, "198.51.10.0", "10.0.2.5", 1, 2600 * S, 2601 * S, 0), "even.example. 2600");
	al_answerindex_free(ai);
}

/* An IPv4 address and the IPv6 one with the same 16 bytes are two
 * addresses, and two clients. */
static void test_answerindex_families_apart(void **state)
{
	struct al_answerindex *ai;

	(void)state;
	assert_int_equal(al_answerindex_new(&ai), 0);
	add(ai, "10.0.0.1", "10.0.0.2", 1, "v4.example.", 100, 60);
	add(ai, "a00:1::", "a00:2::", 1, "v6.example.", 101, 60);
	assert_string_equal(find(ai, "10.0.0.1", "10.0.0.2", 1, 110 * S, 120 * S, 0), "v4.example. 100");
	assert_string_equal(find(ai, "a00:1::", "a00:2::", 1, 110 * S, 120 * S, 0), "v6.example. 101");
	assert_string_equal(find(ai, "10.0.0.1", "a00:2::", 1, 110 * S, 120 * S, 0), "v4.example. 100 zone");
	assert_string_equal(find(ai, "a00:1::", "10.0.0.2", 1, 110 * S, 120 * S, 0), "v6.example. 101 zone");
	assert_string_equal(find(ai, "10.0.0.1", "a00:2::", 2, 110 * S, 120 * S, 0), "-");
	al_answerindex_free(ai);
}

/* Thousands of clients in several zones, one address: each finds its own
 * answer, a stranger its zone's latest. */
static void test_answerindex_many_clients(void **state)
{
	struct al_answerindex *ai;
	char c[32], name[32], want[64];
	int i;

	(void)state;
	assert_int_equal(al_answerindex_new(&ai), 0);
	for (i = 0; i < 3000; i++) {
		snprintf(c, sizeof(c), "10.%d.%d.%d", i % 3, i / 250, i % 250);
		snprintf(name, sizeof(name), "n%d.example.", i);
		add(ai, "203.0.113.9", c, i % 3, name, 1000 + i, 86400);
	}
	for (i = 0; i < 3000; i += 7) {
		snprintf(c, sizeof(c), "10.%d.%d.%d", i % 3, i / 250, i % 250);
		snprintf(want, sizeof(want), "n%d.example. %d", i, 1000 + i);
		assert_string_equal(find(ai, "203.0.113.9", c, i % 3, 5000 * S, 5000 * S, 0), want);
	}
	assert_string_equal(find(ai, "203.0.113.9", "10.9.9.9", 0, 5000 * S, 5000 * S, 0), "n2997.example. 3997 zone");
	assert_string_equal(find(ai, "203.0.113.9", "10.9.9.9", 1, 5000 * S, 5000 * S, 0), "n2998.example. 3998 zone");
	assert_string_equal(find(ai, "203.0.113.9", "10.9.9.9", 3, 5000 * S, 5000 * S, 0), "-");
	al_answerindex_free(ai);
}

static uint32_t next_random(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static void random_ip(uint32_t *x, unsigned pool, char *out, size_t size)
{
	unsigned k = next_random(x) % pool;

	if (k % 5 == 0)
		snprintf(out, size, "2001:db8::%x", k);
	else
		snprintf(out, size, "198.18.%u.%u", k / 256, k % 256);
}

/* Asserts that a and b are the same answer; counts own and zone hits. */
static void same_answer(const struct al_answer_ref *a, bool az, const struct al_answer_ref *b, bool bz, int *own,
			int *by_zone)
{
	assert_true((a == NULL) == (b == NULL));
	if (!a)
		return;
	assert_int_equal(az, bz);
	*(az ? by_zone : own) += 1;
	assert_int_equal(a->ts_us, b->ts_us);
	assert_int_equal(a->ttl, b->ttl);
	assert_true(al_ip_equal(&a->client, &b->client));
	assert_int_equal(a->zone, b->zone);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->query_id, b->query_id);
}

/* What al_answerindex_find must return, by going through every answer:
 * the client's latest that explains the flow, else its zone's (the one
 * added last among equal times). */
struct answer {
	struct al_ip addr, client;
	int zone;
	uint32_t ttl;
	int64_t ts_us;
	int64_t query_id;
};

static const struct answer *reference_find(const struct answer *v, size_t n, const struct al_ip *addr,
					   const struct al_ip *client, int zone, int64_t start, int64_t end,
					   int64_t grace, bool *by_zone)
{
	const struct answer *own = NULL, *in_zone = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct answer *e = &v[i];
		if (!al_ip_equal(&e->addr, addr) || e->ts_us > end || e->ts_us + (int64_t)e->ttl * S + grace < start)
			continue;
		if (al_ip_equal(&e->client, client)) {
			if (!own || e->ts_us >= own->ts_us)
				own = e;
		} else if (zone >= 0 && e->zone == zone && (!in_zone || e->ts_us >= in_zone->ts_us)) {
			in_zone = e;
		}
	}
	*by_zone = !own && in_zone;
	return own ? own : in_zone;
}

/* Staged answers, flushed, make the same index as answers added one at a
 * time: the same lookups, before and after expiry, with late answers and
 * long names added in their turn; before expiry both agree with a search
 * through every answer. */
static void test_answerindex_staged_same_as_added(void **state)
{
	struct al_answerindex *added, *staged;
	char a[64], c[64], name[400];
	uint32_t x = 7;
	int64_t ts = 1000 * S;
	int i, round, own = 0, by_zone = 0, late_found = 0;
	static struct answer all[20000];

	(void)state;
	assert_int_equal(al_answerindex_new(&added), 0);
	assert_int_equal(al_answerindex_new(&staged), 0);
	for (i = 0; i < 20000; i++) {
		struct al_ip ai_, ci;
		int zone = (int)(next_random(&x) % 5) - 1;
		uint32_t ttl = next_random(&x) % 4 ? 300 : 3600;
		int64_t t;
		int rc;

		random_ip(&x, 3000, a, sizeof(a));
		random_ip(&x, 60, c, sizeof(c));
		if (i % 97 == 0)
			snprintf(name, sizeof(name), "%0300d.example.", i);
		else
			snprintf(name, sizeof(name), "host-%u.example.", next_random(&x) % 500);
		ts += (int64_t)(next_random(&x) % 1000) * 1000;
		t = i % 50 == 49 ? ts - 5 * S : ts; /* now and then one late */
		ai_ = ip(a);
		ci = ip(c);
		rc = al_answerindex_add(added, &ai_, &ci, zone, name, t, ttl, i + 1);
		assert_int_equal(rc, 0);
		assert_int_equal(al_answerindex_stage(staged, &ai_, &ci, zone, name, t, ttl, i + 1), 0);
		all[i] = (struct answer){ ai_, ci, zone, ttl, t, i + 1 };
	}
	assert_int_equal(al_answerindex_flush(staged), 0);
	assert_int_equal(al_answerindex_count(staged), al_answerindex_count(added));
	assert_int_equal(al_answerindex_count(staged), 20000);
	assert_int_equal(al_answerindex_newest(staged), al_answerindex_newest(added));
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 5000; i++) {
			struct al_answer_ref ra, rb;
			struct al_ip ai_, ci;
			bool za, zb;
			int zone = (int)(next_random(&x) % 5) - 1;
			int64_t start = 1000 * S + (int64_t)(next_random(&x) % 12000) * S;
			int64_t grace = next_random(&x) % 2 ? 0 : 600 * S;

			random_ip(&x, 3100, a, sizeof(a));
			random_ip(&x, 64, c, sizeof(c));
			ai_ = ip(a);
			ci = ip(c);
			same_answer(al_answerindex_find(added, &ai_, &ci, zone, start, start + 60 * S, grace, &ra, &za), za,
				    al_answerindex_find(staged, &ai_, &ci, zone, start, start + 60 * S, grace, &rb, &zb), zb,
				    &own, &by_zone);
			if (round == 0) {
				bool zr;
				const struct answer *want = reference_find(all, 20000, &ai_, &ci, zone, start,
									   start + 60 * S, grace, &zr);
				const struct al_answer_ref *got =
					al_answerindex_find(added, &ai_, &ci, zone, start, start + 60 * S, grace, &ra, &za);
				assert_true((want == NULL) == (got == NULL));
				if (want) {
					assert_int_equal(got->query_id, want->query_id);
					assert_int_equal(za, zr);
					late_found += (want->query_id - 1) % 50 == 49;
				}
			}
		}
		al_answerindex_expire(added, 6000 * S);
		al_answerindex_expire(staged, 6000 * S);
		assert_int_equal(al_answerindex_count(staged), al_answerindex_count(added));
	}
	assert_true(own > 500); /* the lookups did find answers of both kinds (855 and 96) */
	assert_true(by_zone > 50);
	assert_true(late_found > 0); /* and late ones */
	al_answerindex_free(added);
	al_answerindex_free(staged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answerindex_client_then_zone),
		cmocka_unit_test(test_answerindex_window_edges),
		cmocka_unit_test(test_answerindex_many_addresses),
		cmocka_unit_test(test_answerindex_families_apart),
		cmocka_unit_test(test_answerindex_many_clients),
		cmocka_unit_test(test_answerindex_staged_same_as_added),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
