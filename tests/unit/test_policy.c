/* Per-zone views: for each kind of name (private-link AI endpoint, public
 * AI API, internal, internet) and each view, the decision, its reason and
 * incident, and the upstream group chosen by the longest forward suffix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/policy.h"
#include "reply.h"

static struct al_config *cfg;

static int setup(void **state)
{
	struct al_err err;
	(void)state;

	return al_config_parse(
		"{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}],"
		" \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 5300}],"
		" \"forward\": [{\"suffix\": \"azure.com\", \"upstreams\": [{\"address\": \"127.0.0.2\"}]},"
		"  {\"suffix\": \"openai.azure.com\", \"upstreams\": [{\"address\": \"127.0.0.3\"}]}],"
		" \"internal_suffixes\": [\"corp.internal\"],"
		" \"zones\": ["
		"  {\"name\": \"app\", \"cidrs\": [\"10.0.1.0/24\"], \"ai\": \"deny\"},"
		"  {\"name\": \"inference\", \"cidrs\": [\"10.0.2.0/24\"]},"
		"  {\"name\": \"data\", \"cidrs\": [\"10.0.3.0/24\"], \"names\": \"internal-only\"},"
		"  {\"name\": \"proxy\", \"cidrs\": [\"10.0.4.0/24\"], \"public_ai\": \"allow\"},"
		"  {\"name\": \"sandbox\", \"cidrs\": [\"10.0.5.0/24\"], \"names\": \"none\"}]}",
		"policy.json", &cfg, &err);
}

static int teardown(void **state)
{
	(void)state;
	al_config_unref(cfg);
	return 0;
}

static const struct al_zone *zone(const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nzones; i++)
		if (strcmp(cfg->zones[i].name, name) == 0)
			return &cfg->zones[i];
	fail_msg("no zone %s", name);
	return NULL;
}

static void decide(const char *zname, const char *qname, struct al_decision *d)
{
	uint8_t wire[AL_MAX_NAME];
	size_t n = test_name(wire, sizeof(wire), qname);

	al_policy_decide(cfg, cfg->catalog, zone(zname), wire, n, d);
}

static void test_policy_private_link_name_per_view(void **state)
{
	struct al_decision d;
	(void)state;

	decide("inference", "bedrock-runtime.us-east-1.amazonaws.com.", &d);
	assert_false(d.deny);
	assert_true(d.verify);
	assert_non_null(d.ep);
	assert_string_equal(d.ep->id, "aws-bedrock-runtime");
	assert_string_equal(d.reason, "");
	assert_null(d.incident);

	decide("app", "bedrock-runtime.us-east-1.amazonaws.com.", &d);
	assert_true(d.deny);
	assert_false(d.verify);
	assert_string_equal(d.reason, "ai endpoint denied");
	assert_string_equal(d.incident, "ai_name_denied");
	assert_int_equal(d.severity, AL_SEV_HIGH);

	/* The names view does not apply to AI names: the ai view does. */
	decide("sandbox", "myres.openai.azure.com.", &d);
	assert_false(d.deny);
	assert_true(d.verify);
}

static void test_policy_public_ai_only_where_allowed(void **state)
{
	struct al_decision d;
	(void)state;

	decide("inference", "api.anthropic.com.", &d);
	assert_true(d.deny);
	assert_string_equal(d.reason, "public ai api denied");
	assert_string_equal(d.incident, "ai_name_denied");
	assert_string_equal(d.ep->id, "anthropic-api");

	decide("proxy", "api.anthropic.com.", &d);
	assert_false(d.deny);
	assert_false(d.verify); /* nothing private to check */
	assert_null(d.incident);
}

static void test_policy_names_views(void **state)
{
	struct al_decision d;
	(void)state;

	decide("data", "www.example.com.", &d);
	assert_true(d.deny);
	assert_string_equal(d.reason, "internet name denied");
	assert_string_equal(d.incident, "internet_name_denied");
	assert_int_equal(d.severity, AL_SEV_WARNING);
	decide("data", "db.corp.internal.", &d);
	assert_false(d.deny);
	assert_true(d.internal);
	decide("data", "corp.internal.evil.example.", &d);
	assert_true(d.deny);

	decide("sandbox", "db.corp.internal.", &d);
	assert_true(d.deny);
	assert_string_equal(d.incident, "name_denied");

	decide("inference", "www.example.com.", &d);
	assert_false(d.deny);
	assert_null(d.ep);
	assert_false(d.internal);
}

static void test_policy_group_is_longest_suffix(void **state)
{
	uint8_t wire[AL_MAX_NAME];
	size_t n;
	(void)state;

	n = test_name(wire, sizeof(wire), "myres.openai.azure.com.");
	assert_int_equal(al_policy_group(cfg, wire, n), 2);
	n = test_name(wire, sizeof(wire), "x.blob.core.windows.net.");
	assert_int_equal(al_policy_group(cfg, wire, n), 0);
	n = test_name(wire, sizeof(wire), "search.azure.com.");
	assert_int_equal(al_policy_group(cfg, wire, n), 1);
	n = test_name(wire, sizeof(wire), "notazure.com.");
	assert_int_equal(al_policy_group(cfg, wire, n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_private_link_name_per_view),
		cmocka_unit_test(test_policy_public_ai_only_where_allowed),
		cmocka_unit_test(test_policy_names_views),
		cmocka_unit_test(test_policy_group_is_longest_suffix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
