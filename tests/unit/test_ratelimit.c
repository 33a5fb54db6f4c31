/* The rate table: a key's count per second, prefixes and names as keys,
 * collisions that reset instead of blocking, exact counts under threads;
 * and the config's rate_limit section. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <libpsl.h>

#include "airlock/config.h"
#include "airlock/msg.h"
#include "airlock/ratelimit.h"

#define THREADS 4
#define KEY(fp, slot) ((uint64_t)(fp) << 40 | (slot))

static struct al_ratelimit *table(uint32_t slots)
{
	struct al_ratelimit *rl = NULL;

	assert_int_equal(al_ratelimit_new(slots, &rl), 0);
	return rl;
}

static void test_ratelimit_allows_the_limit_each_second(void **state)
{
	struct al_ratelimit *rl = table(1024);
	uint64_t k = KEY(0x1234, 7);
	int i;
	(void)state;

	for (i = 0; i < 5; i++)
		assert_true(al_ratelimit_allow(rl, k, 5, 100, AL_RATELIMIT_RESET));
	assert_false(al_ratelimit_allow(rl, k, 5, 100, AL_RATELIMIT_RESET));
	assert_int_equal(al_ratelimit_charge(rl, k, 100, AL_RATELIMIT_RESET), 7);
	/* The next second starts again. */
	assert_true(al_ratelimit_allow(rl, k, 5, 101, AL_RATELIMIT_RESET));
	assert_int_equal(al_ratelimit_charge(rl, k, 101, AL_RATELIMIT_RESET), 2);
	/* Another key in another slot has its own count. */
	assert_int_equal(al_ratelimit_charge(rl, KEY(0x1234, 8), 101, AL_RATELIMIT_RESET), 1);
	al_ratelimit_free(rl);
}

static void test_ratelimit_collision_resets_or_shares(void **state)
{
	struct al_ratelimit *rl = table(1);
	uint64_t a = KEY(0xaaaa, 0), b = KEY(0xbbbb, 0);
	int i;
	(void)state;

	/* One slot, two keys, RESET: each takes the slot from the other and
	 * starts at 1, so neither is ever limited (a few more let through). */
	for (i = 0; i < 100; i++) {
		assert_int_equal(al_ratelimit_charge(rl, a, 50, AL_RATELIMIT_RESET), 1);
		assert_int_equal(al_ratelimit_charge(rl, b, 50, AL_RATELIMIT_RESET), 1);
	}
	/* Left alone, a key is counted again. */
	assert_int_equal(al_ratelimit_charge(rl, a, 50, AL_RATELIMIT_RESET), 1);
	assert_int_equal(al_ratelimit_charge(rl, a, 50, AL_RATELIMIT_RESET), 2);
	assert_false(al_ratelimit_allow(rl, a, 2, 50, AL_RATELIMIT_RESET));
	/* SHARE: a key at its limit stays there, however often a colliding
	 * key charges in between; the colliding key shares the count. */
	for (i = 0; i < 5; i++)
		assert_true(al_ratelimit_allow(rl, a, 5, 60, AL_RATELIMIT_SHARE));
	for (i = 0; i < 100; i++) {
		assert_false(al_ratelimit_allow(rl, b, 5, 60, AL_RATELIMIT_SHARE));
		assert_false(al_ratelimit_allow(rl, a, 5, 60, AL_RATELIMIT_SHARE));
	}
	/* A second later the slot is stale: the first to charge takes it. */
	assert_int_equal(al_ratelimit_charge(rl, b, 61, AL_RATELIMIT_SHARE), 1);
	al_ratelimit_free(rl);
}

static void test_ratelimit_late_clock_counts_into_the_slot_second(void **state)
{
	struct al_ratelimit *rl = table(1024);
	uint64_t k = KEY(0x42, 3);
	(void)state;

	assert_int_equal(al_ratelimit_charge(rl, k, 101, AL_RATELIMIT_RESET), 1);
	/* A thread whose clock still says 100 does not reset the slot. */
	assert_int_equal(al_ratelimit_charge(rl, k, 100, AL_RATELIMIT_RESET), 2);
	assert_int_equal(al_ratelimit_charge(rl, k, 101, AL_RATELIMIT_RESET), 3);
	/* Two seconds on it starts again; clocks up to 2 s behind the slot
	 * count into it, one 3 s behind finds it stale. */
	assert_int_equal(al_ratelimit_charge(rl, k, 103, AL_RATELIMIT_RESET), 1);
	assert_int_equal(al_ratelimit_charge(rl, k, 101, AL_RATELIMIT_RESET), 2);
	assert_int_equal(al_ratelimit_charge(rl, k, 100, AL_RATELIMIT_RESET), 1);
	/* Seconds count modulo 2^24: 65536 seconds on is another second,
	 * 2^24 seconds on the same one. */
	assert_int_equal(al_ratelimit_charge(rl, k, 100 + 65536, AL_RATELIMIT_RESET), 1);
	assert_int_equal(al_ratelimit_charge(rl, k, 100 + 65536 + (1u << 24), AL_RATELIMIT_RESET), 2);
	al_ratelimit_free(rl);
}

static void test_ratelimit_count_saturates(void **state)
{
	struct al_ratelimit *rl = table(1024);
	uint64_t k = KEY(0x77, 9);
	uint32_t i, last = 0;
	(void)state;

	for (i = 0; i < AL_RATELIMIT_COUNT_MAX + 1000; i++) {
		uint32_t n = al_ratelimit_charge(rl, k, 5, AL_RATELIMIT_RESET);
		assert_true(n >= last); /* never wraps back to allowing */
		last = n;
	}
	assert_int_equal(last, AL_RATELIMIT_COUNT_MAX);
	assert_false(al_ratelimit_allow(rl, k, AL_RATELIMIT_RATE_MAX, 5, AL_RATELIMIT_RESET));
	al_ratelimit_free(rl);
}

static void test_ratelimit_rejects_bad_sizes(void **state)
{
	struct al_ratelimit *rl = NULL;
	(void)state;

	assert_int_equal(al_ratelimit_new(0, &rl), -EINVAL);
	assert_int_equal(al_ratelimit_new(1000, &rl), -EINVAL);
	assert_int_equal(al_ratelimit_new(1u << 25, &rl), -EINVAL);
	assert_null(rl);
	rl = table(4096);
	assert_int_equal(al_ratelimit_size(rl) >= 4096 * 8, 1);
	al_ratelimit_free(rl);
}

static uint64_t prefix(const struct al_ratelimit *rl, const char *addr, unsigned v4, unsigned v6)
{
	struct al_ip ip;

	assert_int_equal(al_ip_parse(addr, &ip), 0);
	return al_ratelimit_prefix_key(rl, &ip, v4, v6);
}

static void test_ratelimit_prefix_key_groups_a_prefix(void **state)
{
	struct al_ratelimit *rl = table(1024), *other = table(1024);
	static const uint8_t name[] = "\x07" "example" "\x03" "com";
	(void)state;

	assert_true(prefix(rl, "10.1.2.3", 24, 56) == prefix(rl, "10.1.2.200", 24, 56));
	assert_true(prefix(rl, "10.1.2.3", 24, 56) != prefix(rl, "10.1.3.3", 24, 56));
	assert_true(prefix(rl, "10.1.2.3", 16, 56) == prefix(rl, "10.1.3.3", 16, 56));
	assert_true(prefix(rl, "10.1.2.3", 32, 56) != prefix(rl, "10.1.2.4", 32, 56));
	/* Not on a byte boundary: /20 holds 10.1.0.0 to 10.1.15.255. */
	assert_true(prefix(rl, "10.1.0.1", 20, 56) == prefix(rl, "10.1.15.254", 20, 56));
	assert_true(prefix(rl, "10.1.0.1", 20, 56) != prefix(rl, "10.1.16.1", 20, 56));
	assert_true(prefix(rl, "2001:db8:0:100::1", 24, 56) == prefix(rl, "2001:db8:0:1ff::2", 24, 56));
	assert_true(prefix(rl, "2001:db8:0:100::1", 24, 56) != prefix(rl, "2001:db8:0:200::1", 24, 56));
	assert_true(prefix(rl, "2001:db8::1", 24, 128) != prefix(rl, "2001:db8::2", 24, 128));
	/* The v4 length does not apply to IPv6 and the families stay apart. */
	assert_true(prefix(rl, "0.0.0.1", 8, 56) != prefix(rl, "::1", 8, 56));
	/* Keys are seeded per table: no one can aim them at a slot. */
	assert_true(prefix(rl, "10.1.2.3", 24, 56) != prefix(other, "10.1.2.3", 24, 56));
	assert_true(al_ratelimit_name_key(rl, name, sizeof(name)) ==
		    al_ratelimit_name_key(rl, name, sizeof(name)));
	assert_true(al_ratelimit_name_key(rl, name, sizeof(name)) !=
		    al_ratelimit_name_key(other, name, sizeof(name)));
	al_ratelimit_free(rl);
	al_ratelimit_free(other);
}

struct hammer {
	struct al_ratelimit *rl;
	const uint64_t *keys;
	unsigned nkeys;
	uint32_t limit, rounds;
	uint32_t first_s, switch_at; /* the thread's clock moves on after switch_at rounds */
	uint32_t allowed[8];
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;
	uint32_t r;
	unsigned k;

	for (r = 0; r < h->rounds; r++)
		for (k = 0; k < h->nkeys; k++)
			if (al_ratelimit_allow(h->rl, h->keys[k], h->limit,
					       h->first_s + (r >= h->switch_at), AL_RATELIMIT_RESET))
				h->allowed[k]++;
	return NULL;
}

/* THREADS threads charge the same keys; returns what each key was allowed
 * in all (into total[]). */
static void run_threads(struct al_ratelimit *rl, const uint64_t *keys, unsigned nkeys,
			uint32_t limit, uint32_t rounds, uint32_t switch_at, uint32_t *total)
{
	pthread_t t[THREADS];
	struct hammer h[THREADS];
	unsigned i, k;

	memset(h, 0, sizeof(h));
	for (i = 0; i < THREADS; i++) {
		h[i].rl = rl;
		h[i].keys = keys;
		h[i].nkeys = nkeys;
		h[i].limit = limit;
		h[i].rounds = rounds;
		h[i].first_s = 1000;
		/* Clocks straddle the second: each thread moves on at its
		 * own point. */
		h[i].switch_at = switch_at == UINT32_MAX ? UINT32_MAX : switch_at + i * (rounds / 8);
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (k = 0; k < nkeys; k++)
		total[k] = 0;
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		for (k = 0; k < nkeys; k++)
			total[k] += h[i].allowed[k];
	}
}

static void test_ratelimit_threads_never_exceed_the_limit(void **state)
{
	struct al_ratelimit *rl = table(1024);
	const uint64_t keys[8] = { KEY(1, 1), KEY(2, 2), KEY(3, 3), KEY(4, 4),
				   KEY(5, 5), KEY(6, 6), KEY(7, 7), KEY(8, 8) };
	uint32_t total[8];
	unsigned k;
	(void)state;

	/* One second, keys alone in their slots: exactly the limit each,
	 * out of THREADS * 60000 charges. */
	run_threads(rl, keys, 8, 1000, 60000, UINT32_MAX, total);
	for (k = 0; k < 8; k++)
		assert_int_equal(total[k], 1000);
	al_ratelimit_free(rl);
}

static void test_ratelimit_threads_straddling_a_second_stay_bounded(void **state)
{
	struct al_ratelimit *rl = table(1024);
	const uint64_t keys[2] = { KEY(11, 100), KEY(12, 101) };
	uint32_t total[2];
	unsigned k;
	(void)state;

	/* Two seconds in all, the threads' clocks moving on at different
	 * points: the documented bound, limit * (T + 1) with T = 1, and at
	 * least the limit of the second second. */
	run_threads(rl, keys, 2, 1000, 40000, 10000, total);
	for (k = 0; k < 2; k++) {
		assert_true(total[k] >= 1000);
		assert_true(total[k] <= 2 * 1000);
	}
	al_ratelimit_free(rl);
}

/* Replies over a client prefix's limit: every slip-th goes out with TC,
 * the rest are dropped; clients in no zone have their own limit; a limit
 * of 0 charges nothing. */
static void test_ratelimit_reply_slips_every_nth(void **state)
{
	struct al_ratelimit_conf conf;
	struct al_ratelimit *rl;
	struct al_ip a, b, far;
	char seen[64] = "";
	int i;

	(void)state;
	al_ratelimit_conf_default(&conf);
	conf.responses_per_s = 3;
	conf.refused_per_s = 1;
	conf.slip = 3;
	assert_int_equal(al_ratelimit_new(1024, &rl), 0);
	assert_int_equal(al_ip_parse("192.0.2.1", &a), 0);
	assert_int_equal(al_ip_parse("192.0.2.200", &b), 0); /* the same /24 */
	assert_int_equal(al_ip_parse("198.51.100.1", &far), 0);
	for (i = 0; i < 10; i++)
		seen[i] = "SLD"[al_ratelimit_reply(rl, &conf, i % 2 ? &b : &a, true, 7)];
	assert_string_equal(seen, "SSSDDLDDLD");
	/* Another prefix, and the next second, start afresh. */
	assert_int_equal(al_ratelimit_reply(rl, &conf, &far, true, 7), AL_RRL_SEND);
	assert_int_equal(al_ratelimit_reply(rl, &conf, &a, true, 8), AL_RRL_SEND);
	/* In no zone: refused_per_second; slip 0: all dropped. */
	conf.slip = 0;
	assert_int_equal(al_ratelimit_reply(rl, &conf, &far, false, 9), AL_RRL_SEND);
	assert_int_equal(al_ratelimit_reply(rl, &conf, &far, false, 9), AL_RRL_DROP);
	assert_int_equal(al_ratelimit_reply(rl, &conf, &far, false, 9), AL_RRL_DROP);
	/* Off: never limited, and nothing charged meanwhile. */
	conf.responses_per_s = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(al_ratelimit_reply(rl, &conf, &a, true, 10), AL_RRL_SEND);
	conf.responses_per_s = 1;
	assert_int_equal(al_ratelimit_reply(rl, &conf, &a, true, 10), AL_RRL_SEND);
	assert_int_equal(al_ratelimit_reply(rl, &conf, &a, true, 10), AL_RRL_DROP);
	al_ratelimit_free(rl);
}

/* The part of a name upstream questions are charged to. */
static const char *charged(const psl_ctx_t *psl, const char *text)
{
	static char out[300];
	uint8_t name[AL_MAX_NAME];
	int n = al_msg_name_from_text(text, name, sizeof(name));

	assert_true(n > 0);
	assert_true(al_msg_name_to_text(name + al_ratelimit_domain(psl, name, (size_t)n), out, sizeof(out)) > 0);
	return out;
}

/* Upstream questions are charged to the registered domain: random labels
 * under one domain share one count, other domains have their own. */
static void test_ratelimit_upstream_per_registered_domain(void **state)
{
	const psl_ctx_t *psl = psl_latest(NULL);
	struct al_ratelimit_conf conf;
	struct al_ratelimit *rl;
	uint8_t name[AL_MAX_NAME];
	char text[256];
	int i, n, over = 0;

	(void)state;
	assert_non_null(psl);
	assert_string_equal(charged(psl, "x7f3k.victim.example.com."), "example.com.");
	assert_string_equal(charged(psl, "a.b.victim.co.uk."), "victim.co.uk.");
	assert_string_equal(charged(psl, "example.com."), "example.com.");
	assert_string_equal(charged(psl, "co.uk."), "co.uk."); /* a public suffix: its last two labels */
	assert_string_equal(charged(psl, "a.b.c.internal."), "c.internal.");
	assert_string_equal(charged(psl, "localhost."), "localhost.");
	/* Under the ICANN rules only: private suffixes do not split it. */
	assert_string_equal(charged(psl, "r1.duckdns.org."), "duckdns.org.");
	assert_string_equal(charged(psl, "x.a1b2.github.io."), "github.io.");
	/* The deepest ICANN suffix, and a hundred labels in front of one. */
	assert_string_equal(charged(psl, "a.b.myschool.schools.nsw.edu.au."), "myschool.schools.nsw.edu.au.");
	for (i = 0, text[0] = '\0'; i < 100; i++)
		strcat(text, "a.");
	strcat(text, "victim.co.uk.");
	assert_string_equal(charged(psl, text), "victim.co.uk.");
	al_ratelimit_conf_default(&conf);
	conf.upstream_per_domain = 5;
	assert_int_equal(al_ratelimit_new(1024, &rl), 0);
	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "r%d.victim.example.com.", i);
		n = al_msg_name_from_text(text, name, sizeof(name));
		over += al_ratelimit_upstream(rl, &conf, psl, name, (size_t)n, 100);
	}
	assert_int_equal(over, 15);
	n = al_msg_name_from_text("www.other.example.", name, sizeof(name));
	assert_false(al_ratelimit_upstream(rl, &conf, psl, name, (size_t)n, 100));
	conf.upstream_per_domain = 0;
	n = al_msg_name_from_text("r99.victim.example.com.", name, sizeof(name));
	assert_false(al_ratelimit_upstream(rl, &conf, psl, name, (size_t)n, 100));
	al_ratelimit_free(rl);
	psl_free((psl_ctx_t *)psl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_allows_the_limit_each_second),
		cmocka_unit_test(test_ratelimit_collision_resets_or_shares),
		cmocka_unit_test(test_ratelimit_late_clock_counts_into_the_slot_second),
		cmocka_unit_test(test_ratelimit_count_saturates),
		cmocka_unit_test(test_ratelimit_rejects_bad_sizes),
		cmocka_unit_test(test_ratelimit_prefix_key_groups_a_prefix),
		cmocka_unit_test(test_ratelimit_threads_never_exceed_the_limit),
		cmocka_unit_test(test_ratelimit_threads_straddling_a_second_stay_bounded),
		cmocka_unit_test(test_ratelimit_reply_slips_every_nth),
		cmocka_unit_test(test_ratelimit_upstream_per_registered_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
