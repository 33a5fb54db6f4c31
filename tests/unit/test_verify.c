/* Answer checks for protected names: addresses inside the private ranges,
 * CNAMEs into allowed suffixes, unverifiable records refused; rebinding
 * detection of internal addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/verify.h"
#include "reply.h"

static struct al_cidr cidrs[2];
static struct al_suffix suffixes[1];
static struct al_cidr vips[1];
static struct al_catalog_ep ep = {
	.cls = AL_EP_PRIVATE_LINK, .kind = AL_EPK_CNAME_THEN_OPERATOR_CIDRS,
	.cname_suffixes = suffixes, .ncname_suffixes = 1, .vip = vips, .nvip = 1,
};
static struct al_private_rule rule = { cidrs, 2, &ep };

static int setup(void **state)
{
	(void)state;
	if (al_cidr_parse("10.0.2.0/24", &cidrs[0]) < 0 || al_cidr_parse("fd00:2::/64", &cidrs[1]) < 0 ||
	    al_cidr_parse("199.36.153.8/30", &vips[0]) < 0)
		return -1;
	suffixes[0].len = test_name(suffixes[0].name, sizeof(suffixes[0].name),
				    "privatelink.openai.azure.com.");
	return 0;
}

/* Builds the reply to qname with rrs and checks it against rule. */
static bool verdict(const char *qname, uint16_t qtype, const char *const *rrs, struct al_verdict *v)
{
	uint8_t pkt[2048];
	size_t n = test_reply(pkt, sizeof(pkt), 0, qname, qtype, 0, 0, rrs);

	return al_verify_private(pkt, n, &rule, v);
}

static void test_verify_accepts_private_addresses(void **state)
{
	const char *const rrs[] = { "AN bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 10.0.2.10",
				    "AN bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 10.0.2.11",
				    "NS amazonaws.com. 60 IN NS ns1.example.",
				    "AR ns1.example. 60 IN A 198.51.100.1", NULL };
	struct al_verdict v;
	(void)state;

	assert_true(verdict("bedrock-runtime.us-east-1.amazonaws.com.", AL_TYPE_A, rrs, &v));
	assert_null(v.why);
	assert_int_equal(v.addrs, 2);
	assert_string_equal(v.offending, "");
}

static void test_verify_refuses_public_address(void **state)
{
	const char *const rrs[] = { "AN bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 10.0.2.10",
				    "AN bedrock-runtime.us-east-1.amazonaws.com. 60 IN A 52.119.1.1", NULL };
	struct al_verdict v;
	(void)state;

	assert_false(verdict("bedrock-runtime.us-east-1.amazonaws.com.", AL_TYPE_A, rrs, &v));
	assert_string_equal(v.why, "address outside the private ranges");
	assert_string_equal(v.offending, "52.119.1.1");
}

/* The provider's private VIPs (GCP private.googleapis.com) are not in the
 * operator's subnets and not RFC 1918, yet correct. */
static void test_verify_accepts_provider_vip(void **state)
{
	const char *const vip[] = { "AN aiplatform.googleapis.com. 60 IN A 199.36.153.10", NULL };
	const char *const next[] = { "AN aiplatform.googleapis.com. 60 IN A 199.36.153.12", NULL };
	struct al_verdict v;
	(void)state;

	assert_true(verdict("aiplatform.googleapis.com.", AL_TYPE_A, vip, &v));
	assert_false(verdict("aiplatform.googleapis.com.", AL_TYPE_A, next, &v));
	assert_string_equal(v.offending, "199.36.153.12");
}

static void test_verify_checks_ipv6(void **state)
{
	const char *const good[] = { "AN x.example. 60 IN AAAA fd00:2::5", NULL };
	const char *const bad[] = { "AN x.example. 60 IN AAAA 2001:db8::5", NULL };
	struct al_verdict v;
	(void)state;

	assert_true(verdict("x.example.", AL_TYPE_AAAA, good, &v));
	assert_false(verdict("x.example.", AL_TYPE_AAAA, bad, &v));
	assert_string_equal(v.offending, "2001:db8::5");
}

static void test_verify_follows_privatelink_cname(void **state)
{
	const char *const good[] = { "AN myres.openai.azure.com. 60 IN CNAME myres.privatelink.openai.azure.com.",
				     "AN myres.privatelink.openai.azure.com. 10 IN A 10.0.2.20", NULL };
	const char *const public_end[] = { "AN myres.openai.azure.com. 60 IN CNAME myres.privatelink.openai.azure.com.",
					   "AN myres.privatelink.openai.azure.com. 10 IN A 20.42.0.7", NULL };
	const char *const elsewhere[] = { "AN myres.openai.azure.com. 60 IN CNAME myres.openai.trafficmanager.net.",
					  "AN myres.openai.trafficmanager.net. 10 IN A 10.0.2.20", NULL };
	/* A near miss: the suffix must start on a label boundary. */
	const char *const lookalike[] = { "AN myres.openai.azure.com. 60 IN CNAME x.evilprivatelink.openai.azure.com.",
					  "AN x.evilprivatelink.openai.azure.com. 10 IN A 10.0.2.20", NULL };
	struct al_verdict v;
	(void)state;

	assert_true(verdict("myres.openai.azure.com.", AL_TYPE_A, good, &v));
	assert_int_equal(v.addrs, 1);
	assert_false(verdict("myres.openai.azure.com.", AL_TYPE_A, public_end, &v));
	assert_string_equal(v.offending, "20.42.0.7");
	assert_false(verdict("myres.openai.azure.com.", AL_TYPE_A, elsewhere, &v));
	assert_string_equal(v.why, "CNAME outside the private zones");
	assert_string_equal(v.offending, "myres.openai.trafficmanager.net.");
	assert_false(verdict("myres.openai.azure.com.", AL_TYPE_A, lookalike, &v));
	assert_string_equal(v.offending, "x.evilprivatelink.openai.azure.com.");
}

static void test_verify_refuses_records_it_cannot_check(void **state)
{
	const char *const rrs[] = { "AN x.example. 60 IN TXT \"hello\"", NULL };
	struct al_verdict v;
	(void)state;

	assert_false(verdict("x.example.", 16, rrs, &v));
	assert_string_equal(v.why, "record type that cannot be checked");
	assert_string_equal(v.offending, "TYPE16");
}

static void test_verify_accepts_empty_answers(void **state)
{
	const char *const nodata[] = { "NS example. 60 IN SOA ns.example. h.example. 1 2 3 4 60", NULL };
	struct al_verdict v;
	(void)state;

	/* NODATA or NXDOMAIN carries no address: nothing public leaks. */
	assert_true(verdict("x.example.", AL_TYPE_AAAA, nodata, &v));
	assert_int_equal(v.addrs, 0);
}

static void test_verify_refuses_malformed_reply(void **state)
{
	const uint8_t junk[] = { 0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'a', 'b' };
	struct al_verdict v;
	(void)state;

	assert_false(al_verify_private(junk, sizeof(junk), &rule, &v));
	assert_string_equal(v.why, "malformed reply");
}

static void test_verify_knows_internal_addresses(void **state)
{
	static const struct { const char *ip; bool internal; } cases[] = {
		{ "10.1.2.3", true }, { "172.16.0.1", true }, { "172.31.255.255", true },
		{ "172.32.0.1", false }, { "192.168.1.1", true }, { "127.0.0.1", true },
		{ "169.254.169.254", true }, { "100.64.0.1", true }, { "100.128.0.1", false },
		{ "0.0.0.0", true }, { "8.8.8.8", false }, { "::1", true }, { "::", true },
		{ "fd12::1", true }, { "fe80::1", true }, { "2001:db8::1", false },
		{ "::ffff:10.0.0.1", true }, { "::ffff:8.8.8.8", false },
	};
	struct al_ip ip;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(al_ip_parse(cases[i].ip, &ip), 0);
		if (al_ip_is_internal(&ip) != cases[i].internal)
			fail_msg("%s: expected internal=%d", cases[i].ip, cases[i].internal);
	}
}

static void test_verify_finds_internal_answer(void **state)
{
	const char *const rebind[] = { "AN evil.example. 60 IN A 8.8.8.8",
				       "AN evil.example. 60 IN A 192.168.0.10", NULL };
	const char *const public_only[] = { "AN good.example. 60 IN A 8.8.8.8",
					    "AR ns.good.example. 60 IN A 10.0.0.1", NULL };
	uint8_t pkt[1024];
	char addr[64];
	size_t n;
	(void)state;

	n = test_reply(pkt, sizeof(pkt), 0, "evil.example.", AL_TYPE_A, 0, 0, rebind);
	assert_true(al_verify_find_internal(pkt, n, addr, sizeof(addr)));
	assert_string_equal(addr, "192.168.0.10");
	n = test_reply(pkt, sizeof(pkt), 0, "good.example.", AL_TYPE_A, 0, 0, public_only);
	assert_false(al_verify_find_internal(pkt, n, addr, sizeof(addr)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_accepts_private_addresses),
		cmocka_unit_test(test_verify_refuses_public_address),
		cmocka_unit_test(test_verify_accepts_provider_vip),
		cmocka_unit_test(test_verify_checks_ipv6),
		cmocka_unit_test(test_verify_follows_privatelink_cname),
		cmocka_unit_test(test_verify_refuses_records_it_cannot_check),
		cmocka_unit_test(test_verify_accepts_empty_answers),
		cmocka_unit_test(test_verify_refuses_malformed_reply),
		cmocka_unit_test(test_verify_knows_internal_addresses),
		cmocka_unit_test(test_verify_finds_internal_answer),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
