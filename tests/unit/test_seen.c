/* Newly seen domains: the first sighting is kept (the earlier one wins a
 * merge), each zone is told once, the cap holds, the table grows past its
 * first size, and the learning period and the age decide what is new. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "airlock/seen.h"

#define S 1000000LL /* one second in microseconds */

static void test_seen_keeps_the_first_sighting(void **state)
{
	struct al_seen *s;
	struct al_sighting a;

	(void)state;
	assert_int_equal(al_seen_new(100, &s), 0);
	assert_int_equal(al_seen_note(s, "example.com.", 0, 100 * S, &a), 0);
	assert_true(a.added);
	assert_true(a.report);
	assert_int_equal(a.first_us, 100 * S);
	assert_int_equal(a.epoch_us, 100 * S);
	assert_int_equal(al_seen_note(s, "example.com.", 0, 200 * S, &a), 0);
	assert_false(a.added);
	assert_false(a.report); /* zone 0 was told */
	assert_int_equal(a.first_us, 100 * S);
	/* Another zone is told once too. */
	assert_int_equal(al_seen_note(s, "example.com.", 5, 300 * S, &a), 0);
	assert_true(a.report);
	assert_int_equal(al_seen_note(s, "example.com.", 5, 301 * S, &a), 0);
	assert_false(a.report);
	assert_int_equal(al_seen_count(s), 1);
	al_seen_free(s);
}

static void test_seen_merge_keeps_the_earlier_time(void **state)
{
	struct al_seen *s;
	struct al_sighting a;

	(void)state;
	assert_int_equal(al_seen_new(100, &s), 0);
	assert_int_equal(al_seen_merge(s, "example.org.", 500 * S), 0);
	assert_int_equal(al_seen_merge(s, "example.org.", 900 * S), 0);
	assert_int_equal(al_seen_note(s, "example.org.", 1, 1000 * S, &a), 0);
	assert_int_equal(a.first_us, 500 * S);
	assert_false(a.added);
	assert_int_equal(al_seen_merge(s, "example.org.", 50 * S), 0);
	assert_int_equal(al_seen_note(s, "example.org.", 1, 1000 * S, &a), 0);
	assert_int_equal(a.first_us, 50 * S);
	assert_int_equal(a.epoch_us, 50 * S);
	assert_int_equal(al_seen_merge(s, "", 5 * S), -EINVAL);
	assert_int_equal(al_seen_merge(s, "example.net.", 0), -EINVAL);
	al_seen_free(s);
}

static void test_seen_cap_holds_and_full_is_reported(void **state)
{
	struct al_seen *s;
	struct al_sighting a;
	char name[64];
	int i;

	(void)state;
	assert_int_equal(al_seen_new(3000, &s), 0);
	/* Far past the first 1024 slots: the table grows and finds all. */
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "d%d.example.", i);
		assert_int_equal(al_seen_note(s, name, 0, (i + 1) * S, &a), 0);
		assert_true(a.added);
	}
	assert_int_equal(al_seen_count(s), 3000);
	for (i = 0; i < 3000; i += 7) {
		snprintf(name, sizeof(name), "d%d.example.", i);
		assert_int_equal(al_seen_note(s, name, 1, 99999 * S, &a), 0);
		assert_false(a.added);
		assert_int_equal(a.first_us, (i + 1) * S);
	}
	assert_int_equal(al_seen_note(s, "one-more.example.", 0, 5000 * S, &a), 0);
	assert_true(a.full);
	assert_false(a.added);
	assert_int_equal(a.first_us, 5000 * S); /* judged as first seen now */
	assert_int_equal(al_seen_merge(s, "one-more.example.", 10 * S), -ENOSPC);
	assert_int_equal(al_seen_count(s), 3000);
	/* A larger cap takes more. */
	al_seen_set_max(s, 3001);
	assert_int_equal(al_seen_note(s, "one-more.example.", 0, 5000 * S, &a), 0);
	assert_true(a.added);
	al_seen_free(s);
}

static void test_seen_is_new_after_learning_and_within_age(void **state)
{
	const struct al_seen_rule r = { 1000 * S, 86400 * S };

	(void)state;
	/* Seen while learning: never new. */
	assert_false(al_seen_is_new(&r, 999 * S, 1000 * S));
	assert_false(al_seen_is_new(&r, 10 * S, 2000 * S));
	/* Seen after: new for age_us, then not. */
	assert_true(al_seen_is_new(&r, 1000 * S, 1000 * S));
	assert_true(al_seen_is_new(&r, 5000 * S, 5000 * S + 86399 * S));
	assert_false(al_seen_is_new(&r, 5000 * S, 5000 * S + 86400 * S));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seen_keeps_the_first_sighting),
		cmocka_unit_test(test_seen_merge_keeps_the_earlier_time),
		cmocka_unit_test(test_seen_cap_holds_and_full_is_reported),
		cmocka_unit_test(test_seen_is_new_after_learning_and_within_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
