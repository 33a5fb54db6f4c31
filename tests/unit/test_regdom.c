/* Registered domains by the Public Suffix List: multi-label suffixes,
 * private suffixes, case, and names that have none. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libpsl.h>

#include "airlock/regdom.h"
#include "reply.h"

static const psl_ctx_t *psl;

static int below(const char *name, char *out, size_t outlen)
{
	uint8_t w[300];
	size_t n = test_name(w, sizeof(w), name);

	return al_regdom(psl, w, n, out, outlen);
}

static void expect(const char *name, const char *domain, int labels_below)
{
	char out[300];
	int rc = below(name, out, sizeof(out));

	if (rc != labels_below)
		fail_msg("%s: %d labels below, expected %d", name, rc, labels_below);
	if (strcmp(out, domain))
		fail_msg("%s: registered domain %s, expected %s", name, out, domain);
}

static void test_regdom_finds_the_registered_domain(void **state)
{
	(void)state;
	expect("www.example.com.", "example.com.", 1);
	expect("example.com.", "example.com.", 0);
	/* A label ending in a backslash: the dot after its escape separates. */
	expect("r1.victim\\\\.com.", "victim\\\\.com.", 1);
	expect("a.b.c.example.co.uk.", "example.co.uk.", 3);
	/* Upper case in the query does not make another domain. */
	expect("MzXw6.Tunnel.EXAMPLE.org.", "example.org.", 2);
}

static void test_regdom_knows_cloud_private_suffixes(void **state)
{
	(void)state;
	/* The PSL's private section: each bucket or app is its own domain. */
	expect("x.mybucket.s3.amazonaws.com.", "mybucket.s3.amazonaws.com.", 1);
	expect("deep.name.myapp.herokuapp.com.", "myapp.herokuapp.com.", 2);
}

static void test_regdom_rejects_suffixes_and_single_labels(void **state)
{
	char out[300];

	(void)state;
	assert_int_equal(below("co.uk.", out, sizeof(out)), -EINVAL);
	assert_int_equal(below("com.", out, sizeof(out)), -EINVAL);
	assert_int_equal(below("localhost.", out, sizeof(out)), -EINVAL);
	assert_int_equal(below(".", out, sizeof(out)), -EINVAL);
}

static void test_regdom_rejects_a_small_buffer_and_no_list(void **state)
{
	char out[8];
	uint8_t w[64];
	size_t n = test_name(w, sizeof(w), "www.example.com.");

	(void)state;
	assert_int_equal(al_regdom(psl, w, n, out, sizeof(out)), -EINVAL);
	assert_int_equal(al_regdom(NULL, w, n, out, sizeof(out)), -EINVAL);
	/* A length that cuts the name short. */
	assert_int_equal(al_regdom(psl, w, 5, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regdom_finds_the_registered_domain),
		cmocka_unit_test(test_regdom_knows_cloud_private_suffixes),
		cmocka_unit_test(test_regdom_rejects_suffixes_and_single_labels),
		cmocka_unit_test(test_regdom_rejects_a_small_buffer_and_no_list),
	};
	int rc;

	psl = psl_latest(NULL);
	if (!psl)
		fail_msg("no Public Suffix List");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	psl_free((psl_ctx_t *)psl);
	return rc;
}
