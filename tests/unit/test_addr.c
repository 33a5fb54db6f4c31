/* Addresses: the IPv4 fast path agrees with inet_pton on every form it
 * might be handed (good, malformed, out of range, leading zeros, IPv6),
 * CIDRs keep their checks, and printing round-trips. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/addr.h"

/* al_ip_parse must accept exactly what inet_pton accepts, with the same bytes. */
static void agrees_with_inet_pton(const char *text)
{
	uint8_t want4[4], want6[16];
	struct al_ip ip;
	int ok4 = inet_pton(AF_INET, text, want4) == 1;
	int ok6 = !ok4 && inet_pton(AF_INET6, text, want6) == 1;
	int rc = al_ip_parse(text, &ip);

	if (!ok4 && !ok6) {
		if (rc != -EINVAL)
			fail_msg("\"%s\": accepted, inet_pton refuses it", text);
		return;
	}
	if (rc != 0)
		fail_msg("\"%s\": refused, inet_pton accepts it", text);
	assert_int_equal(ip.family, ok4 ? AF_INET : AF_INET6);
	assert_memory_equal(ip.bytes, ok4 ? want4 : want6, ok4 ? 4 : 16);
}

static void test_ip_parse_matches_inet_pton(void **state)
{
	static const char *const cases[] = {
		"0.0.0.0", "255.255.255.255", "10.0.3.7", "198.18.200.1", "1.2.3.4",
		"256.1.1.1", "1.2.3.256", "999.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3",
		"01.2.3.4", "1.02.3.4", "1.2.3.04", "1.2.3.0", "0.0.0.00", "1..2.3", "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.4/24", "1.2.3.a", "1234.1.1.1", "", "a", "::1", "fd00::53",
		"::ffff:10.0.0.1", "2001:db8::1:2:3:4:5", "1.2.3.-4", "+1.2.3.4",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		agrees_with_inet_pton(cases[i]);
}

/* Every octet value, in every position. */
static void test_ip_parse_every_octet(void **state)
{
	char text[32];
	int v, pos;

	(void)state;
	for (v = 0; v < 300; v++)
		for (pos = 0; pos < 4; pos++) {
			snprintf(text, sizeof(text), "%d.%d.%d.%d", pos == 0 ? v : 7,
				 pos == 1 ? v : 7, pos == 2 ? v : 7, pos == 3 ? v : 7);
			agrees_with_inet_pton(text);
		}
}

/* The hand-written IPv4 printer writes what inet_ntop does, for every
 * octet value in every position; a buffer too small for any address
 * gets "?" as before. */
static void test_ip_format_matches_inet_ntop(void **state)
{
	struct al_ip ip = { .family = AF_INET };
	char want[INET_ADDRSTRLEN], got[INET_ADDRSTRLEN], small[8];
	int v, pos;

	(void)state;
	for (v = 0; v < 256; v++)
		for (pos = 0; pos < 4; pos++) {
			memset(ip.bytes, pos == 0 ? 255 - v : 7, 4);
			ip.bytes[pos] = (uint8_t)v;
			assert_non_null(inet_ntop(AF_INET, ip.bytes, want, sizeof(want)));
			assert_string_equal(al_ip_format(&ip, got, sizeof(got)), want);
		}
	assert_string_equal(al_ip_format(&ip, small, sizeof(small)), "?");
}

/* ::ffff:a.b.c.d becomes a.b.c.d; anything else stays as it is. */
static void test_ip_unmap_only_mapped_addresses(void **state)
{
	struct al_ip ip;
	char text[AL_ADDRSTRLEN];
	(void)state;

	assert_int_equal(al_ip_parse("::FFFF:192.0.2.7", &ip), 0);
	assert_true(al_ip_unmap(&ip));
	assert_string_equal(al_ip_format(&ip, text, sizeof(text)), "192.0.2.7");
	assert_false(al_ip_unmap(&ip));
	assert_int_equal(al_ip_parse("::fffe:192.0.2.7", &ip), 0);
	assert_false(al_ip_unmap(&ip));
	assert_string_equal(al_ip_format(&ip, text, sizeof(text)), "::fffe:c000:207");
}

static void test_cidr_parse_and_format(void **state)
{
	struct al_cidr c;
	struct al_ip ip;
	char buf[AL_ADDRSTRLEN];

	(void)state;
	assert_int_equal(al_cidr_parse("10.0.3.0/24", &c), 0);
	assert_int_equal(c.prefix, 24);
	assert_int_equal(al_ip_parse("10.0.3.200", &ip), 0);
	assert_true(al_cidr_contains(&c, &ip));
	assert_int_equal(al_ip_parse("10.0.4.1", &ip), 0);
	assert_false(al_cidr_contains(&c, &ip));
	assert_int_equal(al_cidr_parse("10.0.3.1/24", &c), -EINVAL); /* host bits */
	assert_int_equal(al_cidr_parse("10.0.3.0/33", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("10.0.300.0/24", &c), -EINVAL);
	assert_int_equal(al_ip_parse("198.18.0.9", &ip), 0);
	assert_string_equal(al_ip_format(&ip, buf, sizeof(buf)), "198.18.0.9");
	assert_int_equal(al_ip_parse("fd00::53", &ip), 0);
	assert_string_equal(al_ip_format(&ip, buf, sizeof(buf)), "fd00::53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse_matches_inet_pton),
		cmocka_unit_test(test_ip_parse_every_octet),
		cmocka_unit_test(test_ip_format_matches_inet_ntop),
		cmocka_unit_test(test_ip_unmap_only_mapped_addresses),
		cmocka_unit_test(test_cidr_parse_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
