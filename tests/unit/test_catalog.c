/* The endpoint catalog: the shipped zones/ai-endpoints.json loads and sorts
 * real names to the right endpoints (and near-misses to none), the most
 * specific pattern wins, and every bad input gets a message naming the
 * file, the JSON path and what is expected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/catalog.h"

#define SHIPPED TOP_SRCDIR "/zones/ai-endpoints.json"

static size_t wire(const char *text, uint8_t *out)
{
	size_t o = 0, start;

	while (*text) {
		start = o++;
		while (*text && *text != '.')
			out[o++] = (uint8_t)*text++;
		out[start] = (uint8_t)(o - start - 1);
		if (*text == '.')
			text++;
	}
	out[o++] = 0;
	return o;
}

static const struct al_catalog_ep *match(const struct al_catalog *c, const char *name)
{
	uint8_t w[300];
	size_t n = wire(name, w);

	return al_catalog_match(c, w, n);
}

/* Test JSON with ' for ", so it stays readable. */
static char *json(const char *text)
{
	char *s = strdup(text), *p;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static struct al_catalog *parse_ok(const char *text)
{
	struct al_catalog *c = NULL;
	struct al_err err = { "" };
	char *s = json(text);

	if (al_catalog_parse(s, "cat.json", &c, &err) != 0)
		fail_msg("%s", err.msg);
	free(s);
	return c;
}

static void expect_error(const char *text, const char *const *needles)
{
	struct al_catalog *c = (struct al_catalog *)1;
	struct al_err err = { "" };
	char *s = json(text);

	assert_int_equal(al_catalog_parse(s, "cat.json", &c, &err), -EINVAL);
	free(s);
	assert_null(c);
	for (; *needles; needles++)
		if (!strstr(err.msg, *needles))
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, *needles);
}

#define EXPECT_ERROR(text, ...)                                                \
	do {                                                                   \
		const char *const needles_[] = { __VA_ARGS__, NULL };           \
		expect_error(text, needles_);                                  \
	} while (0)

#define HEAD "'schema': 'airlock-ai-endpoint-catalog', 'version': 1"
#define CAT(...) "{" HEAD ", 'endpoints': [" __VA_ARGS__ "]}"
#define PUB(id, names) \
	"{'id': '" id "', 'provider': 'p', 'service': 'S', 'class': 'public-only', " \
	"'names': [" names "], 'confidence': 'needs-verification'}"
#define PRIV(id, names, answer) \
	"{'id': '" id "', 'provider': 'p', 'service': 'S', 'class': 'private-link', " \
	"'names': [" names "], 'private_answer': " answer ", 'confidence': 'needs-verification'}"
#define OPS "{'kind': 'operator_cidrs'}"

static struct al_catalog *shipped;

static int load_shipped(void **state)
{
	struct al_err err = { "" };
	(void)state;

	if (al_catalog_load(SHIPPED, &shipped, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int free_shipped(void **state)
{
	(void)state;
	al_catalog_free(shipped);
	return 0;
}

static void test_catalog_shipped_sorts_real_names(void **state)
{
	static const struct {
		const char *name, *id;
	} table[] = {
		{ "bedrock-runtime.us-east-1.amazonaws.com", "aws-bedrock-runtime" },
		{ "bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "aws-bedrock-runtime" },
		{ "vpce-0a1b2c3d-abcd.bedrock-runtime.us-east-1.vpce.amazonaws.com", "aws-bedrock-runtime" },
		{ "vpce-0a1b2c3d-abcd-us-east-1a.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		  "aws-bedrock-runtime" },
		{ "bedrock.eu-central-1.amazonaws.com", "aws-bedrock" },
		{ "bedrock-fips.us-east-2.amazonaws.com", "aws-bedrock" },
		{ "bedrock-agent.us-west-2.amazonaws.com", "aws-bedrock-agent" },
		{ "bedrock-agent-runtime.us-west-2.amazonaws.com", "aws-bedrock-agent-runtime" },
		{ "bedrock-agent-runtime-fips.us-east-1.amazonaws.com", "aws-bedrock-agent-runtime" },
		{ "vpce-1.bedrock-agent-runtime.us-west-2.vpce.amazonaws.com", "aws-bedrock-agent-runtime" },
		{ "bedrock-mantle.us-east-1.api.aws", "aws-bedrock-mantle" },
		{ "bedrock-agentcore.us-east-1.amazonaws.com", "aws-bedrock-agentcore" },
		{ "bedrock-agentcore-control.us-west-2.amazonaws.com", "aws-bedrock-agentcore-control" },
		{ "runtime.sagemaker.eu-west-1.amazonaws.com", "aws-sagemaker-runtime" },
		{ "my-bucket.s3.us-east-1.amazonaws.com", "aws-s3" },
		{ "s3.amazonaws.com", "aws-s3" },
		{ "bucket.vpce-1a2b-3c4d.s3.us-east-1.vpce.amazonaws.com", "aws-s3" },
		{ "bedrock.s3.amazonaws.com", "aws-s3" }, /* a bucket named bedrock */
		{ "myres.openai.azure.com", "azure-openai" },
		{ "myres.privatelink.openai.azure.com", "azure-openai" },
		/* the zone apex reads as a resource named "privatelink": harmless,
		 * it is held to a private answer too */
		{ "privatelink.openai.azure.com", "azure-openai" },
		{ "myres.cognitiveservices.azure.com", "azure-cognitiveservices" },
		{ "myproj.services.ai.azure.com", "azure-ai-services" },
		{ "mysearch.search.windows.net", "azure-ai-search" },
		{ "mydata.blob.core.windows.net", "azure-blob" },
		{ "0123-abcd.workspace.eastus.api.azureml.ms", "azure-ml-workspace" },
		{ "southcentralus.privatelink.api.openai.com", "openai-private-link" },
		{ "aiplatform.googleapis.com", "gcp-vertex-ai" },
		{ "us-central1-aiplatform.googleapis.com", "gcp-vertex-ai" },
		{ "aiplatform-myendpoint.p.googleapis.com", "gcp-vertex-ai" },
		{ "storage.googleapis.com", "gcp-storage" },
		{ "generativelanguage.googleapis.com", "gcp-gemini-developer-api" },
		{ "api.openai.com", "openai-api" },
		{ "api.anthropic.com", "anthropic-api" },
		{ "openrouter.ai", "openrouter-api" },
		{ "api.x.ai", "xai-api" },
	};
	static const char *const none[] = {
		"www.amazonaws.com", "amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com.evil.example",
		"evilbedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.co",
		"x.bedrock-runtime.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com",
		"openai.azure.com", "a.b.openai.azure.com", "x.y.privatelink.openai.azure.com",
		"management.azure.com", "www.googleapis.com", "private.googleapis.com",
		"restricted.googleapis.com", "openai.com", "chat.openai.com.example", "example.com",
		"com", "", "vpce-.bedrock-runtime.us-east-1.vpce.amazonaws.com",
		"us_east1-aiplatform.googleapis.com",
	};
	const struct al_catalog_ep *ep;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ep = match(shipped, table[i].name);
		if (!ep || strcmp(ep->id, table[i].id) != 0)
			fail_msg("%s: got %s, expected %s", table[i].name, ep ? ep->id : "(none)",
				 table[i].id);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if ((ep = match(shipped, none[i])))
			fail_msg("%s: got %s, expected none", none[i], ep->id);
}

static void test_catalog_shipped_classes_and_answers(void **state)
{
	const struct al_catalog_ep *ep;
	struct al_ip ip;
	uint8_t w[300];
	size_t n;
	(void)state;

	ep = match(shipped, "api.openai.com");
	assert_int_equal(ep->cls, AL_EP_PUBLIC_ONLY);
	assert_int_equal(ep->kind, AL_EPK_NONE);
	assert_int_equal(match(shipped, "generativelanguage.googleapis.com")->cls, AL_EP_PUBLIC_ONLY);

	ep = match(shipped, "bedrock-runtime.us-east-1.amazonaws.com");
	assert_int_equal(ep->cls, AL_EP_PRIVATE_LINK);
	assert_int_equal(ep->kind, AL_EPK_OPERATOR_CIDRS);
	assert_false(ep->gateway_endpoint);
	assert_string_equal(ep->provider, "aws");
	assert_string_equal(ep->confidence, "documented");

	ep = al_catalog_find(shipped, "aws-s3");
	assert_int_equal(ep->kind, AL_EPK_OPERATOR_CIDRS);
	assert_true(ep->gateway_endpoint);

	ep = match(shipped, "myres.openai.azure.com");
	assert_int_equal(ep->kind, AL_EPK_CNAME_THEN_OPERATOR_CIDRS);
	assert_int_equal(ep->ncname_suffixes, 1);
	n = wire("myres.privatelink.openai.azure.com", w);
	assert_true(al_catalog_cname_ok(ep, w, n));
	n = wire("myres.privatelink.blob.core.windows.net", w);
	assert_false(al_catalog_cname_ok(ep, w, n));
	n = wire("evilprivatelink.openai.azure.com", w);
	assert_false(al_catalog_cname_ok(ep, w, n));

	ep = match(shipped, "us-central1-aiplatform.googleapis.com");
	assert_int_equal(ep->kind, AL_EPK_VIP_RANGES);
	assert_int_equal(ep->nvip, 4);
	al_ip_parse("199.36.153.9", &ip);
	assert_true(al_catalog_vip_ok(ep, &ip));
	al_ip_parse("2600:2d00:2:1000::5", &ip);
	assert_true(al_catalog_vip_ok(ep, &ip));
	al_ip_parse("199.36.153.12", &ip);
	assert_false(al_catalog_vip_ok(ep, &ip));
	al_ip_parse("142.250.69.170", &ip);
	assert_false(al_catalog_vip_ok(ep, &ip));
	assert_false(al_catalog_vip_ok(NULL, &ip));
}

static void test_catalog_get_find_and_count(void **state)
{
	size_t i, n = al_catalog_count(shipped);
	(void)state;

	assert_true(n >= 30);
	for (i = 0; i < n; i++)
		assert_ptr_equal(al_catalog_find(shipped, al_catalog_get(shipped, i)->id),
				 al_catalog_get(shipped, i));
	assert_null(al_catalog_get(shipped, n));
	assert_null(al_catalog_find(shipped, "no-such-endpoint"));
	assert_string_equal(al_catalog_get(shipped, 0)->names[0], "bedrock-runtime.{region}.amazonaws.com");
}

static void test_catalog_builtin_copy_is_the_shipped_file(void **state)
{
	struct al_catalog *c;
	struct al_err err = { "" };
	size_t i;
	(void)state;

	if (al_catalog_parse(al_catalog_builtin, "(built-in catalog)", &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(al_catalog_count(c), al_catalog_count(shipped));
	for (i = 0; i < al_catalog_count(c); i++)
		assert_string_equal(al_catalog_get(c, i)->id, al_catalog_get(shipped, i)->id);
	al_catalog_free(c);
}

static void test_catalog_most_specific_then_first_wins(void **state)
{
	struct al_catalog *c = parse_ok(CAT(
		PUB("wild", "'*.example.com'") ", "
		PUB("region", "'{region}.svc.example.com'") ", "
		PUB("exact", "'api.svc.example.com'") ", "
		PUB("first", "'a-*.tie.example.com'") ", "
		PUB("second", "'*-b.tie.example.com'")));
	(void)state;

	assert_string_equal(match(c, "api.svc.example.com")->id, "exact");
	assert_string_equal(match(c, "eu-1.svc.example.com")->id, "region");
	assert_string_equal(match(c, "x.y.svc.example.com")->id, "wild");
	assert_string_equal(match(c, "a-b.tie.example.com")->id, "first");
	assert_string_equal(match(c, "x-b.tie.example.com")->id, "second");
	assert_null(match(c, "example.com"));
	al_catalog_free(c);
}

/* Patterns whose two rightmost labels are not both literal are not in
 * the hash index: they are tried on every name, and the most specific
 * match still wins whichever side it is on. */
static void test_catalog_unindexed_patterns_still_match(void **state)
{
	struct al_catalog *c = parse_ok(CAT(
		PUB("any-ai", "'{name}.ai'") ", "
		PUB("x-ai", "'*.x.ai'") ", "
		PUB("v1", "'api.v1.{name}.ai'") ", "
		PUB("star", "'*.{region}.example'")));
	const uint8_t bad[] = { 5, 'a', 0 };
	(void)state;

	assert_string_equal(match(c, "api.x.ai")->id, "x-ai");
	assert_string_equal(match(c, "mistral.ai")->id, "any-ai");
	assert_string_equal(match(c, "api.v1.x.ai")->id, "v1");
	assert_string_equal(match(c, "api.v1.y.ai")->id, "v1");
	assert_string_equal(match(c, "a.b.eu.example")->id, "star");
	assert_null(match(c, "a.mistral.ai"));
	assert_null(al_catalog_match(c, bad, sizeof(bad)));
	al_catalog_free(c);
}

static void test_catalog_rejects_bad_top_level(void **state)
{
	(void)state;
	EXPECT_ERROR("{\n 'schema': 'airlock-ai-endpoint-catalog',\n 'version': 1,,\n}",
		     "cat.json:3:", "invalid JSON");
	EXPECT_ERROR("[1]", "cat.json: (top): [1] is not an object");
	EXPECT_ERROR("{" HEAD ", 'endpionts': []}",
		     "cat.json: endpionts: unknown key (expected one of: schema, version, endpoints, notes)");
	EXPECT_ERROR("{'version': 1, 'endpoints': []}", "cat.json: schema: missing");
	EXPECT_ERROR("{'schema': 'airlock-config', 'version': 1}",
		     "cat.json: schema: \"airlock-config\" is not valid (expected \"airlock-ai-endpoint-catalog\"");
	EXPECT_ERROR("{'schema': 'airlock-ai-endpoint-catalog', 'version': 2}",
		     "cat.json: version: 2 is not supported (expected 1)");
	EXPECT_ERROR("{'schema': 'airlock-ai-endpoint-catalog'}", "cat.json: version: missing (expected 1)");
	EXPECT_ERROR("{" HEAD "}", "cat.json: endpoints: missing");
	EXPECT_ERROR("{" HEAD ", 'endpoints': []}", "cat.json: endpoints: [] is not valid (expected a non-empty list");
	EXPECT_ERROR("{" HEAD ", 'notes': 'x', 'endpoints': [" PUB("a", "'x.example.com'") "]}",
		     "cat.json: notes: \"x\" is not a list");
}

static void test_catalog_rejects_bad_endpoint_fields(void **state)
{
	(void)state;
	EXPECT_ERROR(CAT("{'id': 'a', 'nmaes': []}"), "cat.json: endpoints[0].nmaes: unknown key (expected one of: id,");
	EXPECT_ERROR(CAT("{'provider': 'p'}"), "endpoints[0].id: missing (expected an id");
	EXPECT_ERROR(CAT("{'id': 'Bad_Id'}"), "endpoints[0].id: \"Bad_Id\" is not an id (expected 1-63 of a-z, 0-9, '-')");
	EXPECT_ERROR(CAT("{'id': 7}"), "endpoints[0].id: 7 is not valid (expected an id");
	EXPECT_ERROR(CAT(PUB("a", "'x.example.com'") ", " PUB("a", "'y.example.com'")),
		     "cat.json: endpoints[1].id: \"a\" is already the id of endpoints[0] (expected unique ids)");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'A W S'}"), "endpoints[0].provider: \"A W S\" is not a provider");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p'}"), "endpoints[0].service: missing");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S'}"),
		     "endpoints[0].class: missing (expected \"private-link\" or \"public-only\")");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'private'}"),
		     "endpoints[0].class: \"private\" is not valid (expected \"private-link\" or \"public-only\")");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only'}"),
		     "endpoints[0].names: missing (expected a list of name patterns");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', 'names': []}"),
		     "endpoints[0].names: empty list");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', 'names': [3]}"),
		     "endpoints[0].names[0]: 3 is not valid");
	EXPECT_ERROR(CAT(PUB("a", "'x.example.com'") ", " PUB("b", "'y.example.com', 'bedrock..{region}'")),
		     "cat.json: endpoints[1].names[1]: \"bedrock..{region}\" is not a name pattern (empty label)");
	EXPECT_ERROR(CAT(PUB("a", "'{zone}.example.com'")),
		     "endpoints[0].names[0]: \"{zone}.example.com\" is not a name pattern (unknown token {zone}");
	EXPECT_ERROR(CAT(PUB("a", "'{region}.example.com'") ", " PUB("b", "'x.com', '{name}.Example.com.'")),
		     "cat.json: endpoints[1].names[1]: \"{name}.Example.com.\" is the same pattern as endpoints[0].names[0] (expected each pattern once)");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com']}"),
		     "endpoints[0].confidence: missing (expected \"documented\", \"corroborated\" or \"needs-verification\")");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com'], 'confidence': 'high'}"),
		     "endpoints[0].confidence: \"high\" is not valid");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com'], 'confidence': 'documented'}"),
		     "endpoints[0].sources: missing (expected at least one source for confidence \"documented\")");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com'], 'confidence': 'corroborated', 'sources': ['u', '']}"),
		     "endpoints[0].sources[1]: \"\" is not valid");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com'], 'confidence': 'needs-verification', 'notes': [1]}"),
		     "endpoints[0].notes[0]: 1 is not valid");
}

static void test_catalog_rejects_bad_private_answers(void **state)
{
	(void)state;
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'private-link', "
			 "'names': ['x.example.com'], 'confidence': 'needs-verification'}"),
		     "cat.json: endpoints[0].private_answer: missing (expected {\"kind\": ...} for class \"private-link\")");
	EXPECT_ERROR(CAT("{'id': 'a', 'provider': 'p', 'service': 'S', 'class': 'public-only', "
			 "'names': ['x.example.com'], 'private_answer': " OPS "}"),
		     "endpoints[0].private_answer: not allowed with class \"public-only\"");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'operator_cidrs', 'cidrs': []}")),
		     "endpoints[0].private_answer.cidrs: unknown key (expected one of: kind, cname_suffixes,");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{}")),
		     "endpoints[0].private_answer.kind: missing (expected \"operator_cidrs\", \"cname_then_operator_cidrs\" or \"vip_ranges\")");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'private'}")),
		     "endpoints[0].private_answer.kind: \"private\" is not valid (expected \"operator_cidrs\", \"cname_then_operator_cidrs\" or \"vip_ranges\")");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'cname_then_operator_cidrs'}")),
		     "endpoints[0].private_answer.cname_suffixes: missing (expected the privatelink zones");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'operator_cidrs', 'cname_suffixes': ['privatelink.example.com']}")),
		     "endpoints[0].private_answer.cname_suffixes: not allowed with kind \"operator_cidrs\" (expected only with \"cname_then_operator_cidrs\")");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'cname_then_operator_cidrs', 'cname_suffixes': ['privatelink.{region}.example.com']}")),
		     "endpoints[0].private_answer.cname_suffixes[0]: \"privatelink.{region}.example.com\" is not a domain name (expected literal labels only");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'cname_then_operator_cidrs', 'cname_suffixes': ['ok.example.com', 'a..b']}")),
		     "endpoints[0].private_answer.cname_suffixes[1]: \"a..b\" is not a domain name (empty label)");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'vip_ranges'}")),
		     "endpoints[0].private_answer.vip_cidrs: missing (expected the provider's VIP ranges");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'vip_ranges', 'vip_cidrs': ['199.36.153.4/30', '199.36.153.5/30']}")),
		     "endpoints[0].private_answer.vip_cidrs[1]: \"199.36.153.5/30\" is not a CIDR (expected e.g. \"199.36.153.4/30\", host bits zero)");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'cname_then_operator_cidrs', 'cname_suffixes': ['p.example.com'], 'vip_cidrs': ['199.36.153.4/30']}")),
		     "endpoints[0].private_answer.vip_cidrs: not allowed with kind \"cname_then_operator_cidrs\" (expected only with \"vip_ranges\")");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'vip_ranges', 'vip_cidrs': ['199.36.153.4/30'], 'gateway_endpoint': true}")),
		     "endpoints[0].private_answer.gateway_endpoint: not allowed with kind \"vip_ranges\" (expected only with \"operator_cidrs\")");
	EXPECT_ERROR(CAT(PRIV("a", "'x.example.com'", "{'kind': 'operator_cidrs', 'gateway_endpoint': 'yes'}")),
		     "endpoints[0].private_answer.gateway_endpoint: \"yes\" is not valid (expected true or false)");
}

static void test_catalog_reads_a_private_answer(void **state)
{
	struct al_catalog *c = parse_ok(CAT(
		PRIV("cn", "'{name}.svc.example.com'", "{'kind': 'cname_then_operator_cidrs', "
		     "'cname_suffixes': ['privatelink.svc.example.com.', 'PL2.Example.com'], 'notes': ['n']}") ", "
		PRIV("gw", "'*.store.example.com'", "{'kind': 'operator_cidrs', 'gateway_endpoint': true}")));
	const struct al_catalog_ep *ep = al_catalog_find(c, "cn");
	uint8_t w[300];
	size_t n;
	(void)state;

	assert_int_equal(ep->ncname_suffixes, 2);
	n = wire("privatelink.svc.example.com", w);
	assert_int_equal(ep->cname_suffixes[0].len, n);
	assert_memory_equal(ep->cname_suffixes[0].name, w, n);
	n = wire("x.pl2.example.com", w);
	assert_true(al_catalog_cname_ok(ep, w, n));
	assert_int_equal(ep->nnames, 1);
	assert_string_equal(ep->names[0], "{name}.svc.example.com");
	assert_true(al_catalog_find(c, "gw")->gateway_endpoint);
	al_catalog_free(c);
}

static void test_catalog_load_names_the_missing_file(void **state)
{
	struct al_catalog *c;
	struct al_err err = { "" };
	(void)state;

	assert_true(al_catalog_load("/nonexistent/ai-endpoints.json", &c, &err) < 0);
	assert_null(c);
	assert_non_null(strstr(err.msg, "/nonexistent/ai-endpoints.json: cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_shipped_sorts_real_names),
		cmocka_unit_test(test_catalog_shipped_classes_and_answers),
		cmocka_unit_test(test_catalog_get_find_and_count),
		cmocka_unit_test(test_catalog_builtin_copy_is_the_shipped_file),
		cmocka_unit_test(test_catalog_most_specific_then_first_wins),
		cmocka_unit_test(test_catalog_unindexed_patterns_still_match),
		cmocka_unit_test(test_catalog_rejects_bad_top_level),
		cmocka_unit_test(test_catalog_rejects_bad_endpoint_fields),
		cmocka_unit_test(test_catalog_rejects_bad_private_answers),
		cmocka_unit_test(test_catalog_reads_a_private_answer),
		cmocka_unit_test(test_catalog_load_names_the_missing_file),
	};
	return cmocka_run_group_tests(tests, load_shipped, free_shipped);
}
