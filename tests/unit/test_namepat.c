/* Name patterns: each token matches what it says and nothing more (the
 * near-misses below must fail), bad patterns are refused with a reason,
 * and the label helpers respect label boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/namepat.h"

/* "a.b.c" -> lower-case wire form; returns its length. */
static size_t wire(const char *text, uint8_t *out)
{
	size_t o = 0, start;

	while (*text) {
		start = o++;
		while (*text && *text != '.') {
			char ch = *text++;
			out[o++] = (uint8_t)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		out[start] = (uint8_t)(o - start - 1);
		if (*text == '.')
			text++;
	}
	out[o++] = 0;
	return o;
}

static struct al_namepat compile(const char *text)
{
	struct al_namepat p;
	struct al_err err = { "" };

	if (al_namepat_compile(text, &p, &err) != 0)
		fail_msg("\"%s\" did not compile: %s", text, err.msg);
	return p;
}

static bool matches(const char *pattern, const char *name)
{
	struct al_namepat p = compile(pattern);
	uint8_t w[300];
	size_t n = wire(name, w);

	return al_namepat_match(&p, w, n);
}

static void expect(const char *pattern, const char *const *yes, const char *const *no)
{
	for (; *yes; yes++)
		if (!matches(pattern, *yes))
			fail_msg("\"%s\" should match \"%s\"", pattern, *yes);
	for (; *no; no++)
		if (matches(pattern, *no))
			fail_msg("\"%s\" should not match \"%s\"", pattern, *no);
}

#define EXPECT(pattern, YES, NO)                                               \
	do {                                                                   \
		const char *const yes_[] = { YES, NULL };                      \
		const char *const no_[] = { NO, NULL };                        \
		expect(pattern, yes_, no_);                                    \
	} while (0)
#define L(...) __VA_ARGS__

static void test_namepat_literal_matches_only_that_name(void **state)
{
	(void)state;
	EXPECT("api.openai.com", L("api.openai.com"),
	       L("api.openai.co", "api.openai.com.evil.example", "x.api.openai.com", "openai.com",
		 "xapi.openai.com", "api.openai.comx", "api-openai.com"));
}

static void test_namepat_ignores_case_and_trailing_dot(void **state)
{
	(void)state;
	EXPECT("API.OpenAI.Com.", L("api.openai.com"), L("api.openai.com.x"));
	EXPECT("Bedrock-Runtime.{region}.AmazonAWS.com",
	       L("bedrock-runtime.eu-west-3.amazonaws.com"), L("bedrock-runtime.amazonaws.com"));
}

static void test_namepat_region_is_one_ldh_label(void **state)
{
	(void)state;
	EXPECT("bedrock-runtime.{region}.amazonaws.com",
	       L("bedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime.us-gov-west-1.amazonaws.com"),
	       L("bedrock-runtime.us-east-1.amazonaws.com.evil.example",
		 "evilbedrock-runtime.us-east-1.amazonaws.com",
		 "bedrock-runtime.us-east-1.amazonaws.co",
		 "x.bedrock-runtime.us-east-1.amazonaws.com",
		 "bedrock-runtime.us.east-1.amazonaws.com",
		 "bedrock-runtime.us_east_1.amazonaws.com",
		 "bedrock-runtime.amazonaws.com",
		 "bedrock-runtime-fips.us-east-1.amazonaws.com"));
}

static void test_namepat_region_inside_a_label(void **state)
{
	(void)state;
	EXPECT("{region}-aiplatform.googleapis.com",
	       L("us-central1-aiplatform.googleapis.com", "europe-west4-aiplatform.googleapis.com"),
	       L("aiplatform.googleapis.com", "-aiplatform.googleapis.com",
		 "us_east1-aiplatform.googleapis.com", "us-central1.aiplatform.googleapis.com",
		 "us-central1-aiplatformx.googleapis.com", "x.us-central1-aiplatform.googleapis.com"));
}

static void test_namepat_name_is_exactly_one_label(void **state)
{
	(void)state;
	EXPECT("{name}.openai.azure.com", L("myres.openai.azure.com", "a.openai.azure.com"),
	       L("openai.azure.com", "a.b.openai.azure.com", "my_res.openai.azure.com",
		 "myres.openai.azure.com.evil.example", "myres.xopenai.azure.com"));
}

static void test_namepat_star_label_is_one_or_more_labels(void **state)
{
	(void)state;
	EXPECT("*.s3.{region}.amazonaws.com",
	       L("bucket.s3.us-east-1.amazonaws.com", "a.b.c.s3.us-east-1.amazonaws.com",
		 "my_bucket.s3.us-east-1.amazonaws.com"),
	       L("s3.us-east-1.amazonaws.com", "bucket.s3.amazonaws.com",
		 "bucket.s3.us-east-1.amazonaws.com.evil.example"));
	EXPECT("api.*.example.com", L("api.x.example.com", "api.x.y.example.com"),
	       L("api.example.com", "x.api.y.example.com", "api.x.example.org"));
}

static void test_namepat_star_inside_a_label_is_one_or_more_ldh(void **state)
{
	(void)state;
	EXPECT("vpce-*.bedrock-runtime.{region}.vpce.amazonaws.com",
	       L("vpce-0a1b2c3d-abcd.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "vpce-0a1b2c3d-abcd-us-east-1a.bedrock-runtime.us-east-1.vpce.amazonaws.com"),
	       L("vpce-.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "vpce.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "xvpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "vpce-a_b.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "vpce-1.x.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		 "vpce-1.bedrock-runtime.us-east-1.amazonaws.com"));
	EXPECT("a*b*c.example", L("axbyc.example", "axxbxxc.example", "abbbc.example", "abcbcbc.example"),
	       L("abc.example", "axbc.example", "abyc.example", "axbyc1.example", "xaxbyc.example"));
	EXPECT("*-aiplatform-*.p.googleapis.com", L("us-aiplatform-x.p.googleapis.com"),
	       L("-aiplatform-x.p.googleapis.com", "us-aiplatform-.p.googleapis.com"));
}

static void expect_refused(const char *text, const char *reason)
{
	struct al_namepat p;
	struct al_err err = { "" };

	assert_int_equal(al_namepat_compile(text, &p, &err), -EINVAL);
	if (!strstr(err.msg, reason))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.msg, reason);
}

static void test_namepat_refuses_bad_patterns_with_a_reason(void **state)
{
	char label64[80], long_name[300];
	(void)state;

	expect_refused("", "empty pattern");
	expect_refused(".", "empty pattern");
	expect_refused("bedrock..{region}.amazonaws.com", "empty label");
	expect_refused(".example.com", "empty label");
	expect_refused("example.com..", "empty label");
	expect_refused("my_res.example.com", "bad character '_'");
	expect_refused("a b.example.com", "bad character ' '");
	expect_refused("a}.example.com", "bad character '}'");
	expect_refused("a\001.example.com", "bad character \\x01");
	expect_refused("{zone}.example.com", "unknown token {zone} (expected {region} or {name})");
	expect_refused("{Region}.example.com", "unknown token {Region}");
	expect_refused("{region.example.com", "unterminated '{'");
	expect_refused("**.example.com", "'**'");
	expect_refused("vpce-**.example.com", "'**'");
	expect_refused("{region}*.example.com", "two wildcards side by side");
	expect_refused("*{region}.example.com", "two wildcards side by side");
	expect_refused("x{name}.example.com", "{name} must be a whole label");
	expect_refused("*.a.*.example.com", "more than one '*' label");
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".com");
	expect_refused(label64, "label longer than 63 bytes");
	snprintf(long_name, sizeof(long_name), "%.63s.%.63s.%.63s.%.62s", label64, label64, label64,
		 label64); /* 254 bytes of text: 256 as a name */
	expect_refused(long_name, "longer than 255 bytes");
}

static void test_namepat_accepts_a_name_of_255_bytes(void **state)
{
	char text[300];
	uint8_t w[300];
	struct al_namepat p;
	size_t n;
	(void)state;

	snprintf(text, sizeof(text), "%063d.%063d.%063d.%061d", 1, 2, 3, 4);
	p = compile(text);
	n = wire(text, w);
	assert_int_equal(n, 255);
	assert_true(al_namepat_match(&p, w, n));
}

static void test_namepat_counts_literal_labels_and_suffix(void **state)
{
	struct al_namepat p = compile("vpce-*.bedrock.{region}.vpce.amazonaws.com");
	uint8_t out[AL_MAX_NAME], want[AL_MAX_NAME];
	size_t wn;
	(void)state;

	assert_int_equal(p.nlabels, 6);
	assert_int_equal(p.nliteral, 4);
	assert_int_equal(p.nsuffix, 3);
	assert_int_equal(p.multi_at, AL_NAMEPAT_NO_MULTI);
	wn = wire("amazonaws.com", want);
	assert_int_equal(al_namepat_suffix(&p, 2, out, sizeof(out)), (int)wn);
	assert_memory_equal(out, want, wn);
	wn = wire("vpce.amazonaws.com", want);
	assert_int_equal(al_namepat_suffix(&p, 3, out, sizeof(out)), (int)wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(al_namepat_suffix(&p, 4, out, sizeof(out)), -1);
	assert_int_equal(al_namepat_suffix(&p, 2, out, 5), -1);
	p = compile("*.s3.amazonaws.com");
	assert_int_equal(p.multi_at, 0);
	assert_int_equal(p.nsuffix, 3);
}

static void test_namepat_more_specific_wins(void **state)
{
	struct al_namepat s3 = compile("*.s3.amazonaws.com"),
			  bedrock = compile("bedrock.{region}.amazonaws.com"),
			  runtime = compile("bedrock-runtime.{region}.amazonaws.com"),
			  any = compile("*.{region}.amazonaws.com"),
			  part = compile("{region}-aiplatform.googleapis.com"),
			  whole = compile("{region}.googleapis.com");
	(void)state;

	/* bedrock.s3.amazonaws.com matches both: the literal "s3" nearer the
	 * right makes it S3's. */
	assert_true(al_namepat_cmp(&s3, &bedrock) < 0);
	assert_true(al_namepat_cmp(&bedrock, &s3) > 0);
	assert_true(al_namepat_cmp(&runtime, &any) < 0);
	assert_true(al_namepat_cmp(&part, &whole) < 0);
	assert_int_equal(al_namepat_cmp(&bedrock, &bedrock), 0);
}

static void test_namepat_split_refuses_malformed_wire(void **state)
{
	struct al_namelabels l;
	const uint8_t overrun[] = { 3, 'a', 'b', 0 }, no_root[] = { 1, 'a' },
		      long_label[] = { 64, 'a' }, root[] = { 0 };
	(void)state;

	assert_int_equal(al_namepat_split(overrun, sizeof(overrun), &l), -EINVAL);
	assert_int_equal(al_namepat_split(no_root, sizeof(no_root), &l), -EINVAL);
	assert_int_equal(al_namepat_split(long_label, sizeof(long_label), &l), -EINVAL);
	assert_int_equal(al_namepat_split(root, 0, &l), -EINVAL);
	assert_int_equal(al_namepat_split(root, sizeof(root), &l), 0);
	assert_int_equal(l.n, 0);
}

static bool under(const char *name, const char *suffix)
{
	uint8_t n[300], s[300];
	size_t nl = wire(name, n), sl = wire(suffix, s);

	return al_namepat_under(n, nl, s, sl);
}

static void test_namepat_under_respects_label_boundaries(void **state)
{
	uint8_t n[300], root[] = { 0 };
	size_t nl = wire("a.example.com", n);
	(void)state;

	assert_true(under("a.openai.azure.com", "openai.azure.com"));
	assert_true(under("openai.azure.com", "openai.azure.com"));
	assert_true(under("x.y.privatelink.openai.azure.com", "privatelink.openai.azure.com"));
	assert_false(under("xopenai.azure.com", "openai.azure.com"));
	assert_false(under("azure.com", "openai.azure.com"));
	assert_false(under("openai.azure.com.evil.example", "openai.azure.com"));
	assert_true(al_namepat_under(n, nl, root, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namepat_literal_matches_only_that_name),
		cmocka_unit_test(test_namepat_ignores_case_and_trailing_dot),
		cmocka_unit_test(test_namepat_region_is_one_ldh_label),
		cmocka_unit_test(test_namepat_region_inside_a_label),
		cmocka_unit_test(test_namepat_name_is_exactly_one_label),
		cmocka_unit_test(test_namepat_star_label_is_one_or_more_labels),
		cmocka_unit_test(test_namepat_star_inside_a_label_is_one_or_more_ldh),
		cmocka_unit_test(test_namepat_refuses_bad_patterns_with_a_reason),
		cmocka_unit_test(test_namepat_accepts_a_name_of_255_bytes),
		cmocka_unit_test(test_namepat_counts_literal_labels_and_suffix),
		cmocka_unit_test(test_namepat_more_specific_wins),
		cmocka_unit_test(test_namepat_split_refuses_malformed_wire),
		cmocka_unit_test(test_namepat_under_respects_label_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
