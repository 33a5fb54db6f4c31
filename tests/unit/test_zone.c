/* Zone matching: longest prefix wins, IPv4 and IPv6, no match means no
 * zone, and one CIDR in two zones is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "airlock/zone.h"

static struct al_cidr cidr(const char *s)
{
	struct al_cidr c;

	assert_int_equal(al_cidr_parse(s, &c), 0);
	return c;
}

static const char *zone_of(const struct al_zonemap *m, const char *addr)
{
	struct al_ip ip;
	const struct al_zone *z;

	assert_int_equal(al_ip_parse(addr, &ip), 0);
	z = al_zonemap_match(m, &ip);
	return z ? z->name : "(none)";
}

static void test_zone_longest_prefix_wins(void **state)
{
	struct al_cidr vpc[] = { cidr("10.0.0.0/16") }, inf[] = { cidr("10.0.2.0/24") },
		       host[] = { cidr("10.0.2.53/32") };
	struct al_zone zones[] = {
		{ .name = "management", .cidrs = vpc, .ncidrs = 1, .index = 0 }, { .name = "inference", .cidrs = inf, .ncidrs = 1, .index = 1 }, { .name = "resolver", .cidrs = host, .ncidrs = 1, .index = 2 },
	};
	struct al_zonemap *m;
	(void)state;

	assert_int_equal(al_zonemap_new(zones, 3, &m, NULL), 0);
	assert_string_equal(zone_of(m, "10.0.2.15"), "inference");
	assert_string_equal(zone_of(m, "10.0.2.53"), "resolver");
	assert_string_equal(zone_of(m, "10.0.9.1"), "management");
	assert_string_equal(zone_of(m, "10.1.0.1"), "(none)");
	assert_string_equal(zone_of(m, "192.0.2.1"), "(none)");
	al_zonemap_free(m);
}

static void test_zone_matches_ipv6_and_not_across_families(void **state)
{
	struct al_cidr v6[] = { cidr("fd00:2::/64"), cidr("::1/128") }, v4[] = { cidr("0.0.0.0/0") };
	struct al_zone zones[] = { { .name = "inference", .cidrs = v6, .ncidrs = 2, .index = 0 }, { .name = "all4", .cidrs = v4, .ncidrs = 1, .index = 1 } };
	struct al_zonemap *m;
	(void)state;

	assert_int_equal(al_zonemap_new(zones, 2, &m, NULL), 0);
	assert_string_equal(zone_of(m, "fd00:2::15"), "inference");
	assert_string_equal(zone_of(m, "::1"), "inference");
	assert_string_equal(zone_of(m, "fd00:3::1"), "(none)");
	assert_string_equal(zone_of(m, "203.0.113.9"), "all4");
	al_zonemap_free(m);
}

static void test_zone_rejects_cidr_in_two_zones(void **state)
{
	struct al_cidr a[] = { cidr("10.0.3.0/24") }, b[] = { cidr("10.0.3.0/24") };
	struct al_zone zones[] = { { .name = "data", .cidrs = a, .ncidrs = 1, .index = 0 }, { .name = "sandbox", .cidrs = b, .ncidrs = 1, .index = 1 } };
	struct al_zonemap *m = NULL;
	struct al_err err;
	(void)state;

	assert_int_equal(al_zonemap_new(zones, 2, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"data\""));
	assert_non_null(strstr(err.msg, "\"sandbox\""));
}

static void test_zone_rejects_duplicate_cidr_not_listed_next_to_it(void **state)
{
	struct al_cidr a[] = { cidr("10.0.0.0/8"), cidr("11.0.0.0/8") }, b[] = { cidr("10.0.0.0/8") };
	struct al_zone zones[] = { { .name = "a", .cidrs = a, .ncidrs = 2, .index = 0 }, { .name = "b", .cidrs = b, .ncidrs = 1, .index = 1 } };
	struct al_zonemap *m = NULL;
	struct al_err err;
	(void)state;

	assert_int_equal(al_zonemap_new(zones, 2, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"a\""));
	assert_non_null(strstr(err.msg, "\"b\""));
}

static void test_cidr_parse_rejects_bad_input(void **state)
{
	struct al_cidr c;
	struct al_ip ip;
	(void)state;

	assert_int_equal(al_cidr_parse("10.0.300.0/24", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("10.0.3.0/33", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("10.0.3.7/24", &c), -EINVAL); /* host bits */
	assert_int_equal(al_cidr_parse("10.0.3.0/", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("10.0.3.0/-1", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("fd00::/129", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("", &c), -EINVAL);
	assert_int_equal(al_cidr_parse("10.0.3.1", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(al_cidr_parse("10.0.0.0/9", &c), 0);
	assert_int_equal(al_ip_parse("10.127.255.255", &ip), 0);
	assert_true(al_cidr_contains(&c, &ip));
	assert_int_equal(al_ip_parse("10.128.0.0", &ip), 0);
	assert_false(al_cidr_contains(&c, &ip));
}

static void test_mapped_ipv6_client_is_ipv4(void **state)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct al_ip ip;
	char buf[AL_ADDRSTRLEN];
	(void)state;

	inet_pton(AF_INET6, "::ffff:10.0.2.15", &sa.sin6_addr);
	assert_int_equal(al_ip_from_sockaddr((struct sockaddr *)&sa, &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_string_equal(al_ip_format(&ip, buf, sizeof(buf)), "10.0.2.15");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_longest_prefix_wins),
		cmocka_unit_test(test_zone_matches_ipv6_and_not_across_families),
		cmocka_unit_test(test_zone_rejects_cidr_in_two_zones),
		cmocka_unit_test(test_zone_rejects_duplicate_cidr_not_listed_next_to_it),
		cmocka_unit_test(test_cidr_parse_rejects_bad_input),
		cmocka_unit_test(test_mapped_ipv6_client_is_ipv4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
