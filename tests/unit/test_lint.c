/* The policy linter: a purpose-built bad catalog (tests/data/bad-policy.json)
 * gives exactly the expected findings, one or more per check, in a fixed
 * order; the reference catalog gives none; single mistakes are found on
 * their own and fixed ones are not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/config.h"
#include "airlock/lint.h"

struct seen {
	char text[4096];
};

static int collect(const struct al_lint_finding *f, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s %s %s\n", al_lint_severity_name(f->severity),
		 f->check, f->rule[0] ? f->rule : "-");
	return 0;
}

static int lint_file(const char *path, struct seen *s)
{
	struct al_config *cfg;
	struct al_err err;
	int n;

	memset(s, 0, sizeof(*s));
	if (al_config_load(path, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	n = al_lint(cfg, collect, s);
	al_config_unref(cfg);
	return n;
}

static void test_lint_finds_every_mistake_of_the_bad_catalog(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(lint_file(TOP_SRCDIR "/tests/data/bad-policy.json", &s), 17);
	assert_string_equal(s.text,
			    "high cidr-spans-zones NET-020\n"
			    "high no-ai-deny NET-020\n"
			    "critical closed-zone-egress NET-021\n"
			    "critical closed-zone-egress NET-022\n"
			    "high management-reachable NET-023\n"
			    "high unknown-zone NET-024\n"
			    "high shadowed NET-025\n"
			    "warning shadowed NET-027\n"
			    "warning zone-overlap -\n"
			    "warning view-rules-mismatch NET-020\n"
			    "warning view-rules-mismatch -\n"
			    "warning view-rules-mismatch NET-020\n"
			    "warning view-rules-mismatch NET-021\n"
			    "warning view-rules-mismatch NET-020\n"
			    "warning view-rules-mismatch NET-020\n"
			    "warning view-rules-mismatch NET-020\n"
			    "warning idle-timeout -\n");
}

static void test_lint_reference_catalog_is_clean(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(lint_file(TOP_SRCDIR "/zones/reference.json", &s), 0);
	assert_string_equal(s.text, "");
}

#define HEAD "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}]," \
	     " \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 53}]," \
	     " \"zones\": [{\"name\": \"application\", \"cidrs\": [\"10.0.1.0/24\"], \"ai\": \"deny\", \"names\": \"internal-only\"}," \
	     " {\"name\": \"inference\", \"cidrs\": [\"10.0.2.0/24\"], \"ai\": \"private\", \"names\": \"internal-only\"}]," \
	     " \"endpoints\": {\"private_cidrs\": [\"10.0.2.0/27\"]}, "

static const char *lint_text(const char *rest)
{
	static struct seen s;
	char text[4096];
	struct al_config *cfg;
	struct al_err err;

	memset(&s, 0, sizeof(s));
	snprintf(text, sizeof(text), "%s%s}", HEAD, rest);
	if (al_config_parse(text, "t.json", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	al_lint(cfg, collect, &s);
	al_config_unref(cfg);
	return s.text;
}

static void test_lint_single_mistakes(void **state)
{
	(void)state;
	/* Clean: the AI deny and the inference allow. */
	assert_string_equal(lint_text("\"rules\": [{\"id\": \"D\", \"from\": \"application\", \"to\": \"external_ai\", \"action\": \"deny\"},"
				      " {\"id\": \"A\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "");
	/* Without the deny. */
	assert_string_equal(lint_text("\"rules\": [{\"id\": \"A\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "high no-ai-deny -\n");
	/* A deny on 80 only is no deny of 443. */
	assert_string_equal(lint_text("\"rules\": [{\"id\": \"D\", \"from\": \"application\", \"to\": \"external_ai\", \"proto\": \"tcp\", \"ports\": 80, \"action\": \"deny\"},"
				      " {\"id\": \"A\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "high no-ai-deny -\n");
	/* A CIDR inside one zone is fine; 0.0.0.0/0 is "anywhere" on purpose. */
	assert_string_equal(lint_text("\"rules\": [{\"id\": \"D\", \"from\": \"application\", \"to\": \"0.0.0.0/0\", \"action\": \"deny\"},"
				      " {\"id\": \"A\", \"from\": \"10.0.2.128/25\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"},"
				      " {\"id\": \"B\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "");
	/* A longer idle timeout passes, a short NAT one does not. */
	assert_string_equal(lint_text("\"network\": {\"load_balancers\": [{\"name\": \"lb\", \"idle_timeout_s\": 300}],"
				      " \"nat_gateways\": [{\"name\": \"nat\", \"idle_timeout_s\": 299}]},"
				      " \"rules\": [{\"id\": \"D\", \"from\": \"application\", \"to\": \"external_ai\", \"action\": \"deny\"},"
				      " {\"id\": \"A\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "warning idle-timeout -\n");
	/* https inside tcp on the same ends: the later one is redundant. */
	assert_string_equal(lint_text("\"rules\": [{\"id\": \"D\", \"from\": \"application\", \"to\": \"external_ai\", \"action\": \"deny\"},"
				      " {\"id\": \"A\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"tcp\", \"action\": \"allow\"},"
				      " {\"id\": \"B\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}]"),
			    "warning shadowed B\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_finds_every_mistake_of_the_bad_catalog),
		cmocka_unit_test(test_lint_reference_catalog_is_clean),
		cmocka_unit_test(test_lint_single_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
