/* Config loading: every bad input gets a message naming the file, the JSON
 * path, the value and what is expected; good configs load with defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "airlock/config.h"
#include "airlock/namelist.h"

#define BASE_LISTEN "\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}]"
#define BASE_UP "\"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 5300}]"
#define BASE_ZONES "\"zones\": [{\"name\": \"inference\", \"cidrs\": [\"127.0.2.0/24\"]}]"
#define BASE BASE_LISTEN ", " BASE_UP ", " BASE_ZONES

static void expect_error(const char *text, const char *const *needles)
{
	struct al_config *cfg = NULL;
	struct al_err err = { "" };

	assert_int_equal(al_config_parse(text, "airlock.json", &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "airlock.json"));
	for (; *needles; needles++)
		if (!strstr(err.msg, *needles))
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, *needles);
}

#define EXPECT_ERROR(text, ...)                                                \
	do {                                                                   \
		const char *const needles_[] = { __VA_ARGS__, NULL };           \
		expect_error(text, needles_);                                  \
	} while (0)

static void test_config_loads_minimal_with_defaults(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE "}", "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->nlisten, 1);
	assert_int_equal(cfg->listen[0].port, 5353);
	assert_int_equal(cfg->nupstreams, 1);
	assert_int_equal(cfg->nzones, 1);
	assert_string_equal(cfg->zones[0].name, "inference");
	assert_int_equal(cfg->edns_size, 1232);
	assert_int_equal(cfg->threads, 1);
	assert_int_equal(cfg->max_ttl, 86400);
	assert_int_equal(cfg->cache_bytes, 32u << 20);
	assert_null(cfg->log_path); /* no "log": no query log */
	assert_false(cfg->log_required);
	al_config_unref(cfg);
}

static void test_config_reads_every_section(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE ", \"cache\": {\"size_mib\": 8, \"min_ttl\": 5, \"max_ttl\": 600,"
					 " \"max_negative_ttl\": 60}, \"timeouts\": {\"upstream_ms\": 700,"
					 " \"query_ms\": 3000, \"tcp_idle_ms\": 2000, \"upstream_holddown_ms\": 0},"
					 " \"limits\": {\"tcp_clients\": 10, \"inflight\": 100},"
					 " \"edns\": {\"buffer_size\": 1400}, \"threads\": 2,"
					 " \"log\": {\"path\": \"/tmp/q.db\", \"queue\": 1024, \"batch_rows\": 50,"
					 " \"batch_ms\": 20, \"retention_days\": 7, \"required\": true}}",
					 "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->cache_bytes, 8u << 20);
	assert_int_equal(cfg->min_ttl, 5);
	assert_int_equal(cfg->max_ttl, 600);
	assert_int_equal(cfg->max_negative_ttl, 60);
	assert_int_equal(cfg->upstream_timeout_ms, 700);
	assert_int_equal(cfg->query_timeout_ms, 3000);
	assert_int_equal(cfg->tcp_idle_ms, 2000);
	assert_int_equal(cfg->upstream_holddown_ms, 0);
	assert_int_equal(cfg->tcp_clients, 10);
	assert_int_equal(cfg->inflight, 100);
	assert_int_equal(cfg->edns_size, 1400);
	assert_int_equal(cfg->threads, 2);
	assert_string_equal(cfg->log_path, "/tmp/q.db");
	assert_int_equal(cfg->log_queue, 1024);
	assert_int_equal(cfg->log_batch_rows, 50);
	assert_int_equal(cfg->log_batch_ms, 20);
	assert_int_equal(cfg->log_retention_days, 7);
	assert_true(cfg->log_required);
	al_config_unref(cfg);
}

static void test_config_rejects_unknown_key(void **state)
{
	(void)state;
	EXPECT_ERROR("{" BASE ", \"cahce\": {}}", "cahce", "unknown key", "cache");
	EXPECT_ERROR("{" BASE ", \"cache\": {\"size\": 3}}", "cache.size", "unknown key", "size_mib");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": "
		     "[\"10.0.0.0/8\"], \"cidr\": 1}]}", "zones[0].cidr", "unknown key");
}

static void test_config_rejects_bad_cidr_with_its_path(void **state)
{
	(void)state;
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.1.0/24\"]},"
		     " {\"name\": \"b\", \"cidrs\": [\"10.0.300.0/24\"]}]}",
		     "zones[1].cidrs[0]", "\"10.0.300.0/24\"", "not a CIDR", "expected");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.1.7/24\"]}]}",
		     "zones[0].cidrs[0]", "host bits");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [42]}]}",
		     "zones[0].cidrs[0]", "42");
}

static void test_config_rejects_bad_values(void **state)
{
	(void)state;
	EXPECT_ERROR("{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 70000}], " BASE_UP ", " BASE_ZONES "}",
		     "listen[0].port", "70000", "1 to 65535");
	EXPECT_ERROR("{\"listen\": [{\"address\": \"localhost\"}], " BASE_UP ", " BASE_ZONES "}",
		     "listen[0].address", "\"localhost\"", "not an IP address");
	EXPECT_ERROR("{" BASE ", \"threads\": 0}", "threads", "1 to 64");
	EXPECT_ERROR("{" BASE ", \"threads\": 1.5}", "threads", "1.5", "integer");
	EXPECT_ERROR("{" BASE ", \"cache\": {\"size_mib\": \"big\"}}", "cache.size_mib", "\"big\"");
	EXPECT_ERROR("{" BASE ", \"cache\": {\"min_ttl\": 900, \"max_ttl\": 600}}", "cache.min_ttl", "max_ttl");
	EXPECT_ERROR("{" BASE ", \"timeouts\": {\"upstream_ms\": 5000, \"query_ms\": 1000}}",
		     "timeouts.query_ms", "upstream_ms");
	EXPECT_ERROR("{" BASE ", \"edns\": {\"buffer_size\": 100}}", "edns.buffer_size", "512 to 4096");
	EXPECT_ERROR("{" BASE ", \"log\": {\"queue\": 100}}", "log.path", "missing");
	EXPECT_ERROR("{" BASE ", \"log\": {\"path\": \"\"}}", "log.path", "not a file name");
	EXPECT_ERROR("{" BASE ", \"log\": {\"path\": \"a.db\", \"batch_ms\": 0}}", "log.batch_ms", "1 to 10000");
	EXPECT_ERROR("{" BASE ", \"log\": {\"path\": \"a.db\", \"required\": 1}}", "log.required",
		     "expected true or false");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"Inference\", \"cidrs\": [\"10.0.0.0/8\"]}]}",
		     "zones[0].name", "\"Inference\"");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.1.0.0/16\"]},"
		     " {\"name\": \"a\", \"cidrs\": [\"10.2.0.0/16\"]}]}", "zones[1].name", "zones[0]");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": []}", "zones", "empty list");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.1.0.0/16\"]},"
		     " {\"name\": \"b\", \"cidrs\": [\"10.1.0.0/16\"]}]}", "zones", "\"a\"", "\"b\"");
}

static void test_config_rejects_missing_sections(void **state)
{
	(void)state;
	EXPECT_ERROR("{" BASE_UP ", " BASE_ZONES "}", "listen", "missing");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_ZONES "}", "upstreams", "missing");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP "}", "zones", "missing");
	EXPECT_ERROR("[]", "not an object");
}

static void test_config_rejects_forwarding_to_itself(void **state)
{
	(void)state;
	EXPECT_ERROR("{" BASE_LISTEN ", \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 5353}], " BASE_ZONES "}",
		     "upstreams[0]", "listen[0]", "itself");
}

static void test_config_reports_json_syntax_line(void **state)
{
	(void)state;
	EXPECT_ERROR("{\n  \"listen\": [\n    {\"address\": \"127.0.0.1\",}\n  ]\n}", "airlock.json:3:", "invalid JSON");
}

static void test_config_load_names_missing_file(void **state)
{
	struct al_config *cfg = NULL;
	struct al_err err;
	(void)state;

	assert_int_equal(al_config_load("/nonexistent/airlock.json", &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent/airlock.json"));
	assert_non_null(strstr(err.msg, "No such file"));
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/airlock-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_default_reads_resolv_conf(void **state)
{
	char *resolv = write_temp("# comment\nnameserver 127.0.0.1\nnameserver ::1\n"
				  "nameserver fe80::1%eth0\nsearch example\nnameserver 192.0.2.53\n");
	struct al_config *cfg;
	struct al_err err;
	char buf[AL_ADDRSTRLEN];
	(void)state;

	assert_int_equal(al_config_default(resolv, &cfg, &err), 0);
	assert_int_equal(cfg->nlisten, 2);
	assert_int_equal(cfg->listen[0].port, AL_DEFAULT_PORT);
	/* port 53 upstreams are not our port 5353 listeners, so all three
	 * plain addresses stay; the scoped one is skipped. */
	assert_int_equal(cfg->nupstreams, 3);
	assert_string_equal(al_ip_format(&cfg->upstreams[2].ip, buf, sizeof(buf)), "192.0.2.53");
	/* DNS 0x20 is on for upstreams from resolv.conf. */
	assert_false(cfg->upstreams[0].keep_case);
	assert_false(cfg->upstreams[2].keep_case);
	assert_int_equal(cfg->nzones, 1);
	assert_int_equal(cfg->zones[0].ncidrs, 2);
	al_config_unref(cfg);
	unlink(resolv);
	free(resolv);
}

static void test_config_reads_zone_views(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	const struct al_view *v;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE_LISTEN ", " BASE_UP ", \"zones\": ["
					 "{\"name\": \"plain\", \"cidrs\": [\"127.0.1.0/24\"]},"
					 "{\"name\": \"app\", \"cidrs\": [\"127.0.2.0/24\"], \"ai\": \"deny\","
					 " \"deny_response\": \"nxdomain\", \"rebinding_protection\": true},"
					 "{\"name\": \"proxy\", \"cidrs\": [\"127.0.3.0/24\"], \"public_ai\": \"allow\"},"
					 "{\"name\": \"data\", \"cidrs\": [\"127.0.4.0/24\"], \"names\": \"internal-only\","
					 " \"deny_response\": \"nodata\"},"
					 "{\"name\": \"sandbox\", \"cidrs\": [\"127.0.5.0/24\"], \"names\": \"none\"}]}",
					 "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->nzones, 5);
	v = &cfg->zones[0].view; /* the defaults */
	assert_int_equal(v->ai, AL_AI_PRIVATE);
	assert_false(v->public_ai);
	assert_int_equal(v->names, AL_NAMES_INTERNET);
	assert_int_equal(v->deny, AL_DENY_REFUSED);
	assert_false(v->rebinding);
	v = &cfg->zones[1].view;
	assert_int_equal(v->ai, AL_AI_DENY);
	assert_int_equal(v->deny, AL_DENY_NXDOMAIN);
	assert_true(v->rebinding);
	assert_true(cfg->zones[2].view.public_ai);
	assert_int_equal(cfg->zones[2].view.ai, AL_AI_PRIVATE);
	assert_int_equal(cfg->zones[3].view.names, AL_NAMES_INTERNAL_ONLY);
	assert_int_equal(cfg->zones[3].view.deny, AL_DENY_NODATA);
	assert_int_equal(cfg->zones[4].view.names, AL_NAMES_NONE);
	al_config_unref(cfg);

	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"ai\": \"maybe\"}]}", "zones[0].ai: \"maybe\" is not valid (expected \"private\" or \"deny\")");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"names\": 3}]}", "zones[0].names: 3 is not valid (expected \"internet\", \"internal-only\" or \"none\")");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"rebinding_protection\": \"yes\"}]}", "zones[0].rebinding_protection", "true or false");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"view\": 1}]}", "zones[0].view", "unknown key", "deny_response");
}

static void test_config_reads_endpoint_policy(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	/* Files are relative to the config's directory, here zones/. */
	if (al_config_parse("{" BASE ", \"internal_suffixes\": [\"Corp.Example.\", \"ec2.internal\"],"
			    " \"endpoints\": {\"catalog\": \"ai-endpoints.json\", \"private_cidrs\": [\"10.0.2.0/24\"],"
			    " \"on_public_answer\": \"refused\"},"
			    " \"local_data\": [\"private-endpoints.zone\", \"" TOP_SRCDIR "/zones/private-endpoints.zone\"],"
			    " \"forward\": [{\"suffix\": \"amazonaws.com\", \"upstreams\": [{\"address\": \"127.0.0.9\"}]}]}",
			    TOP_SRCDIR "/zones/test.json", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->ninternal, 2);
	assert_int_equal(cfg->internal[0].len, 14);
	assert_memory_equal(cfg->internal[0].name, "\4corp\7example", 14);
	assert_string_equal(cfg->catalog_path, TOP_SRCDIR "/zones/ai-endpoints.json");
	assert_non_null(cfg->catalog);
	assert_non_null(cfg->localdata);
	assert_int_equal(cfg->nprivate, 1);
	assert_int_equal(cfg->public_answer_rcode, 5);
	assert_int_equal(cfg->nlocal_data, 2);
	assert_string_equal(cfg->local_data[0], TOP_SRCDIR "/zones/private-endpoints.zone");
	assert_string_equal(cfg->local_data[1], TOP_SRCDIR "/zones/private-endpoints.zone");
	assert_int_equal(cfg->nforwards, 1);
	assert_int_equal(cfg->forwards[0].nups, 1);
	assert_int_equal(cfg->forwards[0].ups[0].port, 53);
	assert_int_equal(cfg->forwards[0].suffix.len, 15);
	al_config_unref(cfg);

	assert_int_equal(al_config_parse("{" BASE "}", "a.json", &cfg, &err), 0);
	assert_null(cfg->catalog_path); /* the built-in catalog */
	assert_non_null(cfg->catalog);
	assert_null(cfg->localdata);
	assert_int_equal(cfg->public_answer_rcode, 2);
	assert_int_equal(cfg->nforwards, 0);
	al_config_unref(cfg);

	EXPECT_ERROR("{" BASE ", \"endpoints\": {\"catalog\": \"/nonexistent/cat.json\"}}", "/nonexistent/cat.json",
		     "cannot open");
	EXPECT_ERROR("{" BASE ", \"local_data\": [\"/nonexistent/pin.zone\"]}", "/nonexistent/pin.zone");
	EXPECT_ERROR("{" BASE ", \"internal_suffixes\": [\".\"]}", "internal_suffixes[0]", "below the root");
	EXPECT_ERROR("{" BASE ", \"internal_suffixes\": [\"a..b\"]}", "internal_suffixes[0]: \"a..b\" is not a DNS name");
	EXPECT_ERROR("{" BASE ", \"endpoints\": {\"private_cidrs\": [\"10.0.2.1/24\"]}}", "endpoints.private_cidrs[0]",
		     "not a CIDR");
	EXPECT_ERROR("{" BASE ", \"endpoints\": {\"on_public_answer\": \"nxdomain\"}}", "endpoints.on_public_answer",
		     "\"servfail\" or \"refused\"");
	EXPECT_ERROR("{" BASE ", \"endpoints\": {\"cidrs\": []}}", "endpoints.cidrs", "unknown key");
	EXPECT_ERROR("{" BASE ", \"local_data\": [3]}", "local_data[0]: 3 is not a file name");
	EXPECT_ERROR("{" BASE ", \"forward\": [{\"suffix\": \"a.example\"}]}", "forward[0].upstreams", "missing");
	EXPECT_ERROR("{" BASE ", \"forward\": [{\"upstreams\": [{\"address\": \"127.0.0.9\"}]}]}",
		     "forward[0].suffix", "missing");
	EXPECT_ERROR("{" BASE ", \"forward\": [{\"suffix\": \"a.example\", \"upstreams\": [{\"address\": \"127.0.0.9\"}]},"
		     " {\"suffix\": \"A.example.\", \"upstreams\": [{\"address\": \"127.0.0.8\"}]}]}",
		     "forward[1].suffix", "forward[0]");
	EXPECT_ERROR("{" BASE ", \"forward\": [{\"suffix\": \"a.example\", \"upstreams\": [{\"address\": \"127.0.0.1\","
		     " \"port\": 5353}]}]}", "forward[0].upstreams[0]", "listen[0]");
	EXPECT_ERROR("{" BASE ", \"forward\": [{\"suffix\": \"a.example\", \"upstreams\": [{\"adress\": \"127.0.0.9\"}]}]}",
		     "forward[0].upstreams[0].adress", "unknown key");
}

static void test_config_reads_new_domain_settings(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE_LISTEN ", " BASE_UP ", \"zones\": ["
					 "{\"name\": \"plain\", \"cidrs\": [\"127.0.1.0/24\"]},"
					 "{\"name\": \"strict\", \"cidrs\": [\"127.0.2.0/24\"],"
					 " \"new_domains\": {\"action\": \"block\", \"response\": \"nxdomain\"}},"
					 "{\"name\": \"ops\", \"cidrs\": [\"127.0.4.0/24\"],"
					 " \"new_domains\": {\"action\": \"allow\"}}],"
					 " \"new_domains\": {\"learning_s\": 0, \"age_s\": 3600, \"max_domains\": 500}}",
					 "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->zones[0].view.new_domains.action, AL_NEWDOM_ALERT); /* the default */
	assert_int_equal(cfg->zones[0].view.new_domains.block_rcode, 5);
	assert_int_equal(cfg->zones[1].view.new_domains.action, AL_NEWDOM_BLOCK);
	assert_int_equal(cfg->zones[1].view.new_domains.block_rcode, 3);
	assert_int_equal(cfg->zones[2].view.new_domains.action, AL_NEWDOM_ALLOW);
	assert_int_equal(cfg->seen_learning_s, 0);
	assert_int_equal(cfg->seen_age_s, 3600);
	assert_int_equal(cfg->seen_domains, 500);
	al_config_unref(cfg);

	assert_int_equal(al_config_default("/nonexistent/resolv.conf", &cfg, &err), 0);
	assert_int_equal(cfg->zones[0].view.new_domains.action, AL_NEWDOM_ALERT);
	assert_int_equal(cfg->seen_learning_s, 7 * 86400);
	assert_int_equal(cfg->seen_age_s, 86400);
	assert_int_equal(cfg->seen_domains, 1000000);
	al_config_unref(cfg);

	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"new_domains\": {\"action\": \"off\"}}]}", "zones[0].new_domains.action",
		     "\"alert\", \"block\" or \"allow\"");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"new_domains\": {\"response\": \"drop\"}}]}", "zones[0].new_domains.response",
		     "\"refused\" or \"nxdomain\"");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"new_domains\": {\"age_s\": 5}}]}", "zones[0].new_domains.age_s", "unknown key");
	EXPECT_ERROR("{" BASE ", \"new_domains\": {\"age_s\": 0}}", "new_domains.age_s", "1 to 31536000");
	EXPECT_ERROR("{" BASE ", \"new_domains\": {\"max_domains\": 2}}", "new_domains.max_domains",
		     "16 to 100000000");
	EXPECT_ERROR("{" BASE ", \"new_domains\": {\"learning\": 5}}", "new_domains.learning", "unknown key");
}

static void test_config_reads_tunnel_settings(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	const struct al_tunnel_view *t;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE_LISTEN ", " BASE_UP ", \"zones\": ["
					 "{\"name\": \"plain\", \"cidrs\": [\"127.0.1.0/24\"]},"
					 "{\"name\": \"watch\", \"cidrs\": [\"127.0.2.0/24\"], \"tunnel\": {\"action\": \"alert\","
					 " \"threshold\": 1.5, \"response\": \"nxdomain\", \"daily_bytes\": 65536}}],"
					 " \"guard\": {\"max_domains\": 5000, \"window_s\": 30}}",
					 "a.json", &cfg, &err), 0);
	t = &cfg->zones[0].view.tunnel; /* the defaults */
	assert_int_equal(t->action, AL_TUNNEL_BLOCK);
	assert_true(t->threshold == 1.0);
	assert_int_equal(t->block_rcode, 5);
	assert_int_equal(t->daily_bytes, 0);
	t = &cfg->zones[1].view.tunnel;
	assert_int_equal(t->action, AL_TUNNEL_ALERT);
	assert_true(t->threshold == 1.5);
	assert_int_equal(t->block_rcode, 3);
	assert_int_equal(t->daily_bytes, 65536);
	assert_int_equal(cfg->guard_domains, 5000);
	assert_int_equal(cfg->guard_window_s, 30);
	assert_non_null(cfg->psl);
	al_config_unref(cfg);

	assert_int_equal(al_config_default("/nonexistent/resolv.conf", &cfg, &err), 0);
	assert_int_equal(cfg->zones[0].view.tunnel.action, AL_TUNNEL_BLOCK);
	assert_true(cfg->zones[0].view.tunnel.threshold == 1.0);
	assert_int_equal(cfg->guard_domains, 100000);
	al_config_unref(cfg);

	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"tunnel\": {\"threshold\": 0}}]}", "zones[0].tunnel.threshold: 0 is not valid",
		     "a number from 0.1 to 10");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"tunnel\": {\"action\": \"drop\"}}]}", "zones[0].tunnel.action",
		     "\"block\", \"alert\" or \"off\"");
	EXPECT_ERROR("{" BASE_LISTEN ", " BASE_UP ", \"zones\": [{\"name\": \"a\", \"cidrs\": [\"10.0.0.0/8\"],"
		     " \"tunnel\": {\"score\": 1}}]}", "zones[0].tunnel.score", "unknown key");
	EXPECT_ERROR("{" BASE ", \"guard\": {\"max_domains\": 1}}", "guard.max_domains", "16 to 10000000");
	EXPECT_ERROR("{" BASE ", \"guard\": {\"allow_lists\": [\"/nonexistent/allow.txt\"]}}", "guard.allow_lists",
		     "/nonexistent/allow.txt");
	EXPECT_ERROR("{" BASE ", \"guard\": {\"block_lists\": [7]}}", "guard.block_lists[0]", "not a file name");

	/* The shipped allow-list, relative to the config's directory. */
	if (al_config_parse("{" BASE ", \"guard\": {\"allow_lists\": [\"guard-allow.txt\"],"
			    " \"block_lists\": [\"guard-block.txt\"]}}", TOP_SRCDIR "/zones/x.json", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(cfg->allow);
	assert_true(al_namelist_count(cfg->allow) > 10);
	assert_int_equal(cfg->nblock_files, 1);
	al_config_unref(cfg);
}

static void test_config_upstreams_from_resolv_conf_file(void **state)
{
	char *resolv = write_temp("nameserver 127.0.0.1\n");
	char text[512];
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	snprintf(text, sizeof(text), "{" BASE_LISTEN ", \"upstreams\": \"%s\", " BASE_ZONES "}", resolv);
	assert_int_equal(al_config_parse(text, "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->nupstreams, 1);
	assert_int_equal(cfg->upstreams[0].port, 53);
	al_config_unref(cfg);
	/* Listening on 127.0.0.1:53, the same nameserver would be ourselves. */
	snprintf(text, sizeof(text), "{\"listen\": [{\"address\": \"127.0.0.1\"}], \"upstreams\": \"%s\", "
		 BASE_ZONES "}", resolv);
	EXPECT_ERROR(text, "upstreams", "no usable nameserver");
	EXPECT_ERROR("{" BASE_LISTEN ", \"upstreams\": \"/nonexistent/resolv.conf\", " BASE_ZONES "}",
		     "upstreams", "/nonexistent/resolv.conf");
	unlink(resolv);
	free(resolv);
}

static void test_config_shipped_zone_files_load(void **state)
{
	static const char *const files[] = { "zones/reference.json", "zones/demo.json" };
	char path[1024];
	struct al_config *cfg;
	struct al_err err = { "" };
	size_t i;
	(void)state;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, files[i]);
		if (al_config_load(path, &cfg, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(cfg->nzones, 5);
		al_config_unref(cfg);
	}
}

/* cfg's rate_limit section, field by field. */
static void expect_rate_limit(const struct al_config *cfg, unsigned responses, unsigned refused,
			      unsigned v4, unsigned v6, unsigned slip, unsigned slots, unsigned per_domain)
{
	assert_int_equal(cfg->rate_limit.responses_per_s, responses);
	assert_int_equal(cfg->rate_limit.refused_per_s, refused);
	assert_int_equal(cfg->rate_limit.ipv4_prefix, v4);
	assert_int_equal(cfg->rate_limit.ipv6_prefix, v6);
	assert_int_equal(cfg->rate_limit.slip, slip);
	assert_int_equal(cfg->rate_limit.slots, slots);
	assert_int_equal(cfg->rate_limit.upstream_per_domain, per_domain);
}

static void test_config_rate_limit_defaults_and_values(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE "}", "a.json", &cfg, &err), 0);
	expect_rate_limit(cfg, 0, 5, 24, 56, 2, 65536, 1000);
	assert_non_null(cfg->rate_table);
	assert_true(al_ratelimit_size(cfg->rate_table) >= 65536 * 8);
	al_config_unref(cfg);

	assert_int_equal(al_config_parse("{" BASE ", \"rate_limit\": {\"responses_per_second\": 20, "
					 "\"refused_per_second\": 0, \"ipv4_prefix\": 32, \"ipv6_prefix\": 64, "
					 "\"slip\": 0, \"slots\": 1024, \"upstream_per_domain\": 7}}",
					 "a.json", &cfg, &err), 0);
	expect_rate_limit(cfg, 20, 0, 32, 64, 0, 1024, 7);
	assert_int_equal(al_ratelimit_size(cfg->rate_table) < 65536 * 8, 1);
	al_config_unref(cfg);
}

static void test_config_rate_limit_errors_name_the_path(void **state)
{
	(void)state;

	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"ipv4_prefix\": 40}}", "airlock.json: ", "rate_limit.ipv4_prefix: 40", "from 8 to 32");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"ipv4_prefix\": 4}}", "airlock.json: ", "rate_limit.ipv4_prefix: 4", "from 8 to 32");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"ipv6_prefix\": 129}}", "airlock.json: ", "rate_limit.ipv6_prefix: 129", "from 16 to 128");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"slip\": 11}}", "airlock.json: ", "rate_limit.slip: 11", "from 0 to 10");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"slots\": 3000}}", "airlock.json: ", "rate_limit.slots: 3000", "not a power of two");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"slots\": 512}}", "airlock.json: ", "rate_limit.slots: 512", "from 1024 to 16777216");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"responses_per_second\": -1}}", "airlock.json: ", "rate_limit.responses_per_second: -1", "integer");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"refused_per_second\": \"5\"}}", "airlock.json: ", "rate_limit.refused_per_second: \"5\"", "integer");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"upstream_per_domain\": 50001}}", "airlock.json: ", "rate_limit.upstream_per_domain: 50001", "from 0 to 50000");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": {\"per_second\": 5}}", "airlock.json: ", "rate_limit.per_second", "unknown key");
	EXPECT_ERROR("{" BASE ", \"rate_limit\": 5}", "airlock.json: ", "rate_limit", "not an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_loads_minimal_with_defaults),
		cmocka_unit_test(test_config_rate_limit_defaults_and_values),
		cmocka_unit_test(test_config_rate_limit_errors_name_the_path),
		cmocka_unit_test(test_config_reads_every_section),
		cmocka_unit_test(test_config_rejects_unknown_key),
		cmocka_unit_test(test_config_rejects_bad_cidr_with_its_path),
		cmocka_unit_test(test_config_rejects_bad_values),
		cmocka_unit_test(test_config_rejects_missing_sections),
		cmocka_unit_test(test_config_rejects_forwarding_to_itself),
		cmocka_unit_test(test_config_reports_json_syntax_line),
		cmocka_unit_test(test_config_load_names_missing_file),
		cmocka_unit_test(test_config_default_reads_resolv_conf),
		cmocka_unit_test(test_config_upstreams_from_resolv_conf_file),
		cmocka_unit_test(test_config_reads_zone_views),
		cmocka_unit_test(test_config_reads_endpoint_policy),
		cmocka_unit_test(test_config_reads_tunnel_settings),
		cmocka_unit_test(test_config_reads_new_domain_settings),
		cmocka_unit_test(test_config_shipped_zone_files_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
