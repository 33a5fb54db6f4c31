/* The zone policy catalog's flow rules: default deny, deny over allow,
 * inclusive port ranges, the protocol hierarchy (https is TCP; an https
 * rule is TCP 443 unless it lists ports), the internet and external_ai
 * pseudo-zones, CIDR rule ends, and the parser's messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/config.h"
#include "airlock/rules.h"

#define HEAD "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}]," \
	     " \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 53}]," \
	     " \"zones\": [{\"name\": \"app\", \"cidrs\": [\"10.0.1.0/24\"]}," \
	     " {\"name\": \"inf\", \"cidrs\": [\"10.0.2.0/24\"]}," \
	     " {\"name\": \"data\", \"cidrs\": [\"10.0.3.0/24\", \"10.9.3.0/24\"]}]," \
	     " \"endpoints\": {\"private_cidrs\": [\"10.0.2.0/27\"]}, \"rules\": "

static struct al_config *load(const char *rules)
{
	char text[4096];
	struct al_config *cfg;
	struct al_err err;

	snprintf(text, sizeof(text), "%s%s}", HEAD, rules);
	if (al_config_parse(text, "r.json", &cfg, &err) != 0)
		fail_msg("config rejected: %s", err.msg);
	return cfg;
}

static void expect_error(const char *rules, const char *want)
{
	char text[4096];
	struct al_config *cfg;
	struct al_err err = { "" };

	snprintf(text, sizeof(text), "%s%s}", HEAD, rules);
	if (al_config_parse(text, "r.json", &cfg, &err) != -EINVAL)
		fail_msg("accepted: %s", rules);
	if (strcmp(err.msg, want))
		fail_msg("message \"%s\", expected \"%s\"", err.msg, want);
}

/* "from to proto port" with zones or addresses -> "allow NET-1,NET-2" or
 * "deny ..." or "deny" (default). */
static const char *decide(const struct al_config *cfg, const char *from, const char *to,
			  enum al_proto proto, uint16_t port)
{
	static char out[256];
	struct al_flow f;
	struct al_flow_verdict v;
	struct al_flow_end *ends[2] = { &f.from, &f.to };
	const char *texts[2] = { from, to };
	size_t i, off;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < 2; i++) {
		if (al_ip_parse(texts[i], &ends[i]->ip) == 0) {
			ends[i]->has_ip = true;
			ends[i]->zone = al_rules_zone_of(cfg->zones, cfg->nzones, cfg->private_cidrs,
							 cfg->nprivate, &ends[i]->ip);
		} else {
			ends[i]->zone = al_rules_zone_find(cfg->zones, cfg->nzones, texts[i]);
		}
	}
	f.proto = proto;
	f.port = port;
	al_rules_check(cfg->rules, cfg->nrules, cfg->zones, cfg->nzones, cfg->private_cidrs,
		       cfg->nprivate, &f, &v);
	off = (size_t)snprintf(out, sizeof(out), "%s", v.allowed ? "allow" : "deny");
	for (i = 0; i < v.nrules; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i ? "," : " ", v.rules[i]->id);
	return out;
}

static void test_rules_default_deny_and_deny_wins(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"A1\", \"from\": \"app\", \"to\": \"inf\", \"proto\": \"tcp\", \"action\": \"allow\"},"
				     " {\"id\": \"A2\", \"from\": \"app\", \"to\": \"inf\", \"proto\": \"any\", \"action\": \"allow\"},"
				     " {\"id\": \"D1\", \"from\": \"app\", \"to\": \"inf\", \"proto\": \"tcp\", \"ports\": 22, \"action\": \"deny\"}]");

	(void)state;
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 443), "allow A1,A2");
	/* The deny is listed last and still wins. */
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 22), "deny D1");
	/* No rule for the reverse direction: default deny. */
	assert_string_equal(decide(cfg, "inf", "app", AL_PROTO_TCP, 443), "deny");
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_UDP, 53), "allow A2");
	al_config_unref(cfg);
}

static void test_rules_port_ranges_are_inclusive(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"V\", \"from\": \"inf\", \"to\": \"data\", \"proto\": \"tcp\","
				     " \"ports\": [\"6333-6334\", 9000], \"action\": \"allow\"}]");

	(void)state;
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 6332), "deny");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 6333), "allow V");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 6334), "allow V");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 6335), "deny");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 9000), "allow V");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_UDP, 6333), "deny");
	al_config_unref(cfg);
	cfg = load("[{\"id\": \"ALL\", \"from\": \"inf\", \"to\": \"data\", \"proto\": \"udp\", \"ports\": \"0-65535\", \"action\": \"allow\"}]");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_UDP, 0), "allow ALL");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_UDP, 65535), "allow ALL");
	al_config_unref(cfg);
}

static void test_rules_https_is_tcp_443_unless_ports_say(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"H\", \"from\": \"app\", \"to\": \"inf\", \"proto\": \"https\", \"action\": \"allow\"},"
				     " {\"id\": \"H8\", \"from\": \"inf\", \"to\": \"data\", \"proto\": \"https\", \"ports\": 8443, \"action\": \"allow\"},"
				     " {\"id\": \"T\", \"from\": \"data\", \"to\": \"inf\", \"proto\": \"tcp\", \"action\": \"deny\"}]");

	(void)state;
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 443), "allow H");
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 80), "deny");
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_UDP, 443), "deny"); /* QUIC is not https here */
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 8443), "allow H8");
	assert_string_equal(decide(cfg, "inf", "data", AL_PROTO_TCP, 443), "deny");
	/* A tcp deny covers an https flow. */
	assert_string_equal(decide(cfg, "data", "inf", AL_PROTO_TCP, 443), "deny T");
	al_config_unref(cfg);
}

static void test_rules_internet_and_external_ai_zones(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"AI\", \"from\": \"inf\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"},"
				     " {\"id\": \"NOI\", \"from\": \"inf\", \"to\": \"internet\", \"proto\": \"any\", \"action\": \"deny\"}]");

	(void)state;
	/* 10.0.2.10 is in inf's /24 and in the private endpoints' /27: the longer wins. */
	assert_string_equal(decide(cfg, "10.0.2.40", "10.0.2.10", AL_PROTO_TCP, 443), "allow AI");
	assert_string_equal(decide(cfg, "10.0.2.40", "203.0.113.9", AL_PROTO_TCP, 443), "deny NOI");
	assert_string_equal(decide(cfg, "10.0.2.40", "2001:db8::1", AL_PROTO_UDP, 53), "deny NOI");
	assert_string_equal(decide(cfg, "inf", "internet", AL_PROTO_TCP, 443), "deny NOI");
	/* Another zone's address is no internet. */
	assert_string_equal(decide(cfg, "10.0.2.40", "10.9.3.7", AL_PROTO_TCP, 443), "deny");
	al_config_unref(cfg);
}

static void test_rules_cidr_ends(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"WIDE\", \"from\": \"10.0.0.0/16\", \"to\": \"inf\", \"proto\": \"tcp\", \"action\": \"allow\"}]");

	(void)state;
	assert_string_equal(decide(cfg, "10.0.1.5", "inf", AL_PROTO_TCP, 443), "allow WIDE");
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 443), "allow WIDE");
	/* data has 10.9.3.0/24 too: 10.0.0.0/16 does not cover the zone ... */
	assert_string_equal(decide(cfg, "data", "inf", AL_PROTO_TCP, 443), "deny");
	/* ... but it holds this address of it, and not that one. */
	assert_string_equal(decide(cfg, "10.0.3.5", "inf", AL_PROTO_TCP, 443), "allow WIDE");
	assert_string_equal(decide(cfg, "10.9.3.5", "inf", AL_PROTO_TCP, 443), "deny");
	al_config_unref(cfg);
	cfg = load("[{\"id\": \"ANY4\", \"from\": \"data\", \"to\": \"0.0.0.0/0\", \"proto\": \"tcp\", \"action\": \"deny\"},"
		   " {\"id\": \"OK\", \"from\": \"data\", \"to\": \"app\", \"proto\": \"tcp\", \"action\": \"allow\"}]");
	/* 0.0.0.0/0 covers the internet and every zone: the deny wins. */
	assert_string_equal(decide(cfg, "data", "internet", AL_PROTO_TCP, 443), "deny ANY4");
	assert_string_equal(decide(cfg, "data", "app", AL_PROTO_TCP, 443), "deny ANY4");
	assert_string_equal(decide(cfg, "data", "2001:db8::1", AL_PROTO_TCP, 443), "deny");
	al_config_unref(cfg);
}

static void test_rules_unknown_zone_never_matches(void **state)
{
	struct al_config *cfg = load("[{\"id\": \"U\", \"from\": \"aplication\", \"to\": \"inf\", \"proto\": \"any\", \"action\": \"allow\"}]");

	(void)state;
	assert_int_equal(cfg->rules[0].from.zone, AL_ZONE_UNKNOWN);
	assert_string_equal(decide(cfg, "app", "inf", AL_PROTO_TCP, 443), "deny");
	al_config_unref(cfg);
}

static void test_rules_parser_messages(void **state)
{
	(void)state;
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\", \"ports\": \"6334-6333\", \"action\": \"allow\"}]",
		     "r.json: rules[0].ports: \"6334-6333\" is an empty range (expected the low port first, e.g. 6333-6334)");
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\", \"ports\": [443, 70000], \"action\": \"allow\"}]",
		     "r.json: rules[0].ports: [1]: 70000 is not a port (expected 0-65535)");
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\", \"ports\": \"44a\", \"action\": \"allow\"}]",
		     "r.json: rules[0].ports: \"44a\" is not a port (expected 0-65535, or a range such as 6333-6334)");
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\", \"action\": \"allow\"},"
		     " {\"id\": \"X\", \"from\": \"inf\", \"to\": \"app\", \"action\": \"deny\"}]",
		     "r.json: rules[1].id: \"X\" is also the id of rules[0] (expected each id once)");
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\"}]",
		     "r.json: rules[0].action: missing (expected \"allow\" or \"deny\")");
	expect_error("[{\"id\": \"X\", \"from\": \"10.0.1.1/24\", \"to\": \"inf\", \"action\": \"allow\"}]",
		     "r.json: rules[0].from: \"10.0.1.1/24\" is not a CIDR (expected e.g. \"10.0.2.0/24\", host bits zero) or a zone name");
	expect_error("[{\"from\": \"app\", \"to\": \"inf\", \"action\": \"allow\"}]",
		     "r.json: rules[0].id: missing (expected e.g. \"NET-001\")");
	expect_error("[{\"id\": \"X\", \"from\": \"app\", \"to\": \"inf\", \"proto\": \"icmp\", \"action\": \"allow\"}]",
		     "r.json: rules[0].proto: \"icmp\" is not valid (expected \"tcp\", \"udp\", \"https\" or \"any\")");
}

static void test_rules_reference_catalog(void **state)
{
	struct al_config *cfg;
	struct al_err err;

	(void)state;
	if (al_config_load(TOP_SRCDIR "/zones/reference.json", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->nrules, 9);
	assert_string_equal(decide(cfg, "application", "inference", AL_PROTO_TCP, 443), "allow NET-001");
	assert_string_equal(decide(cfg, "inference", "external_ai", AL_PROTO_TCP, 443), "allow NET-002");
	assert_string_equal(decide(cfg, "inference", "data", AL_PROTO_TCP, 6334), "allow NET-003");
	assert_string_equal(decide(cfg, "inference", "management", AL_PROTO_TCP, 8200), "allow NET-004");
	assert_string_equal(decide(cfg, "application", "internet", AL_PROTO_TCP, 443), "allow NET-005");
	assert_string_equal(decide(cfg, "application", "internet", AL_PROTO_TCP, 80), "deny");
	assert_string_equal(decide(cfg, "management", "internet", AL_PROTO_TCP, 443), "allow NET-006");
	assert_string_equal(decide(cfg, "application", "external_ai", AL_PROTO_TCP, 443), "deny NET-010");
	assert_string_equal(decide(cfg, "data", "internet", AL_PROTO_UDP, 53), "deny NET-011");
	assert_string_equal(decide(cfg, "inference", "internet", AL_PROTO_TCP, 443), "deny NET-012");
	assert_string_equal(decide(cfg, "sandbox", "internet", AL_PROTO_TCP, 443), "deny");
	al_config_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_default_deny_and_deny_wins),
		cmocka_unit_test(test_rules_port_ranges_are_inclusive),
		cmocka_unit_test(test_rules_https_is_tcp_443_unless_ports_say),
		cmocka_unit_test(test_rules_internet_and_external_ai_zones),
		cmocka_unit_test(test_rules_cidr_ends),
		cmocka_unit_test(test_rules_unknown_zone_never_matches),
		cmocka_unit_test(test_rules_parser_messages),
		cmocka_unit_test(test_rules_reference_catalog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
