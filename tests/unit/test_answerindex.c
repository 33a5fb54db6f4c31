/* The answers by address: a flow finds its client's own answer, else its
 * zone's; the TTL plus the grace bounds how old an answer may be, an answer
 * given after the flow does not count, and expiry drops the oldest. */
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
	bool by_zone;
	const struct al_answer_ref *r = al_answerindex_find(ai, &a, &c, zone, start, end, grace, &by_zone);

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
	/* Out of order: refused. */
	{
		struct al_ip a = ip("203.0.113.8"), c = ip("10.0.2.5");
		assert_int_equal(al_answerindex_add(ai, &a, &c, 1, "x.", 499 * S, 60, 1), -EINVAL);
	}
	al_answerindex_expire(ai, 101 * S);
	assert_int_equal(al_answerindex_count(ai), 1);
	assert_string_equal(find(ai, "203.0.113.7", "10.0.2.5", 1, 120 * S, 500 * S, 0), "late.example. 500");
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
	al_answerindex_free(ai);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answerindex_client_then_zone),
		cmocka_unit_test(test_answerindex_window_edges),
		cmocka_unit_test(test_answerindex_many_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
