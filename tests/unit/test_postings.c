/* postings: the query log's in-memory posting lists. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/postings.h"

/* What take handed out: "key=ids;" for each call, in order. */
struct seen {
	char text[4096];
	size_t calls;
	size_t stop_at; /* 0: never stop */
};

static int collect(const char *key, const char *ids, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	s->calls++;
	if (s->stop_at && s->calls == s->stop_at)
		return -EIO;
	snprintf(s->text + len, sizeof(s->text) - len, "%s=%s;", key, ids);
	return 0;
}

static struct al_postings *filled(void)
{
	struct al_postings *p = al_postings_new();

	assert_non_null(p);
	assert_int_equal(al_postings_add(p, "b.example.", 2), 0);
	assert_int_equal(al_postings_add(p, "a.example.", 1), 0);
	assert_int_equal(al_postings_add(p, "a.example.", 5), 0);
	assert_int_equal(al_postings_add(p, "c.example.", 7), 0);
	assert_int_equal(al_postings_add(p, "a.example.", 9), 0);
	return p;
}

static void test_postings_take_hands_out_ids_up_to_last_in_key_order(void **state)
{
	struct al_postings *p = filled();
	struct seen s = { "", 0, 0 };

	(void)state;
	assert_int_equal(al_postings_keys(p), 3);
	assert_int_equal(al_postings_take(p, 5, collect, &s), 0);
	assert_string_equal(s.text, "a.example.=[1,5];b.example.=[2];");
	/* What was taken is gone; later ids stay for the next take. */
	assert_int_equal(al_postings_keys(p), 2);
	s.text[0] = '\0';
	assert_int_equal(al_postings_take(p, 100, collect, &s), 0);
	assert_string_equal(s.text, "a.example.=[9];c.example.=[7];");
	assert_int_equal(al_postings_keys(p), 0);
	s.text[0] = '\0';
	assert_int_equal(al_postings_take(p, 100, collect, &s), 0);
	assert_string_equal(s.text, "");
	al_postings_free(p);
}

static void test_postings_keep_an_id_once_per_key(void **state)
{
	struct al_postings *p = al_postings_new();
	struct seen s = { "", 0, 0 };

	(void)state;
	/* A reply that gives the same address twice. */
	assert_int_equal(al_postings_add(p, "192.0.2.7", 4), 0);
	assert_int_equal(al_postings_add(p, "192.0.2.7", 4), 0);
	assert_int_equal(al_postings_add(p, "192.0.2.7", 6), 0);
	assert_int_equal(al_postings_add(p, "", 6), 0); /* an empty key is a key */
	assert_int_equal(al_postings_take(p, 6, collect, &s), 0);
	assert_string_equal(s.text, "=[6];192.0.2.7=[4,6];");
	al_postings_free(p);
}

static void test_postings_take_removes_nothing_when_stopped(void **state)
{
	struct al_postings *p = filled();
	struct seen s = { "", 0, 2 };

	(void)state;
	assert_int_equal(al_postings_take(p, 5, collect, &s), -EIO);
	assert_int_equal(s.calls, 2);
	s = (struct seen){ "", 0, 0 };
	assert_int_equal(al_postings_take(p, 5, collect, &s), 0);
	assert_string_equal(s.text, "a.example.=[1,5];b.example.=[2];");
	al_postings_free(p);
}

static void test_postings_take_without_fn_only_removes(void **state)
{
	struct al_postings *p = filled();
	struct seen s = { "", 0, 0 };

	(void)state;
	assert_int_equal(al_postings_take(p, 5, NULL, NULL), 0);
	assert_int_equal(al_postings_take(p, 100, collect, &s), 0);
	assert_string_equal(s.text, "a.example.=[9];c.example.=[7];");
	al_postings_free(p);
}

static void test_postings_clear_forgets_every_key(void **state)
{
	struct al_postings *p = filled();
	struct seen s = { "", 0, 0 };

	(void)state;
	al_postings_clear(p);
	assert_int_equal(al_postings_keys(p), 0);
	assert_int_equal(al_postings_add(p, "a.example.", 3), 0);
	assert_int_equal(al_postings_take(p, 100, collect, &s), 0);
	assert_string_equal(s.text, "a.example.=[3];");
	al_postings_free(p);
}

/* Counts the keys taken and checks each list: key "k<i>" holds ids i,
 * i + KEYS, i + 2 * KEYS, ... up to last. */
#define KEYS 20000
struct check {
	size_t calls;
	int64_t last;
	char prev[32];
};

static int check_list(const char *key, const char *ids, void *arg)
{
	struct check *c = arg;
	char want[256], *o = want;
	int64_t id = strtoll(key + 1, NULL, 10);

	assert_true(strcmp(c->prev, key) < 0);
	snprintf(c->prev, sizeof(c->prev), "%s", key);
	o += sprintf(o, "[%lld", (long long)id);
	for (id += KEYS; id <= c->last; id += KEYS)
		o += sprintf(o, ",%lld", (long long)id);
	sprintf(o, "]");
	assert_string_equal(ids, want);
	c->calls++;
	return 0;
}

static void test_postings_hold_many_keys_across_growth(void **state)
{
	struct al_postings *p = al_postings_new();
	struct check c = { 0, 3 * KEYS - 1, "" };
	char key[32];
	int64_t id;

	(void)state;
	for (id = 0; id < 4 * KEYS; id++) {
		snprintf(key, sizeof(key), "k%lld", (long long)(id % KEYS));
		assert_int_equal(al_postings_add(p, key, id), 0);
	}
	assert_int_equal(al_postings_keys(p), KEYS);
	assert_int_equal(al_postings_take(p, c.last, check_list, &c), 0);
	assert_int_equal(c.calls, KEYS);
	/* The fourth round stays, every key still findable. */
	assert_int_equal(al_postings_keys(p), KEYS);
	assert_int_equal(al_postings_add(p, "k7", 4 * KEYS + 7), 0);
	assert_int_equal(al_postings_keys(p), KEYS);
	assert_int_equal(al_postings_take(p, 3 * KEYS + 6, NULL, NULL), 0);
	assert_int_equal(al_postings_keys(p), KEYS - 7);
	al_postings_free(p);
}

/* A key emptied by a take is kept for the next slice; one that got no id
 * by the take after is freed. */
static void test_postings_free_keys_empty_for_two_takes(void **state)
{
	struct al_postings *p = al_postings_new();
	char key[32];
	int64_t id;

	(void)state;
	for (id = 1; id <= 3000; id++) { /* the table grows past its first size */
		snprintf(key, sizeof(key), "k%lld", (long long)id);
		assert_int_equal(al_postings_add(p, key, id), 0);
	}
	assert_int_equal(al_postings_take(p, 3000, NULL, NULL), 0);
	assert_int_equal(al_postings_keys(p), 0);
	assert_int_equal(al_postings_held(p), 3000);
	assert_int_equal(al_postings_add(p, "k7", 3001), 0);
	assert_int_equal(al_postings_take(p, 3001, NULL, NULL), 0);
	assert_int_equal(al_postings_held(p), 1);
	/* k7 is still found: its next id joins its list. */
	assert_int_equal(al_postings_add(p, "k7", 3002), 0);
	assert_int_equal(al_postings_held(p), 1);
	assert_int_equal(al_postings_keys(p), 1);
	assert_int_equal(al_postings_take(p, 3002, NULL, NULL), 0);
	assert_int_equal(al_postings_take(p, 3002, NULL, NULL), 0);
	assert_int_equal(al_postings_held(p), 0);
	al_postings_free(p);
}

static int long_list(const char *key, const char *ids, void *arg)
{
	size_t *len = arg;

	assert_string_equal(key, "10.0.2.15");
	assert_memory_equal(ids, "[1,2,3,", 7);
	assert_string_equal(ids + strlen(ids) - 16, ",99999999999999]");
	*len = strlen(ids);
	return 0;
}

static void test_postings_write_long_lists_whole(void **state)
{
	struct al_postings *p = al_postings_new();
	size_t len = 0, want = 0;
	int64_t id;
	char digits[32];

	(void)state;
	/* One client with every query: 200 000 ids, then one of 14 digits. */
	for (id = 1; id <= 200000; id++) {
		assert_int_equal(al_postings_add(p, "10.0.2.15", id), 0);
		want += (size_t)snprintf(digits, sizeof(digits), "%lld", (long long)id) + 1;
	}
	assert_int_equal(al_postings_add(p, "10.0.2.15", 99999999999999LL), 0);
	want += 14 + 1 + 1; /* the last id, the brackets */
	assert_int_equal(al_postings_take(p, INT64_MAX, long_list, &len), 0);
	assert_int_equal(len, want);
	al_postings_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postings_free_keys_empty_for_two_takes),
		cmocka_unit_test(test_postings_take_hands_out_ids_up_to_last_in_key_order),
		cmocka_unit_test(test_postings_keep_an_id_once_per_key),
		cmocka_unit_test(test_postings_take_removes_nothing_when_stopped),
		cmocka_unit_test(test_postings_take_without_fn_only_removes),
		cmocka_unit_test(test_postings_clear_forgets_every_key),
		cmocka_unit_test(test_postings_hold_many_keys_across_growth),
		cmocka_unit_test(test_postings_write_long_lists_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
