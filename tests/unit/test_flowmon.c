/* The flow monitor's judgement on hand-made flows and on flows read from
 * the test logs: each kind of finding, what must not be one (the
 * answering side of a connection, airlock's own traffic, an approved
 * endpoint, a rejected flow), an answer given in the second a log stamps
 * a flow with, the direction over the ports, aggregation of repeats,
 * the large-transfer sum counting each interval once and going on while
 * the connection does, sums that stop at UINT64_MAX, the probe threshold
 * and the window that closes findings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/config.h"
#include "airlock/flowmon.h"

#define S 1000000LL
#define T0 1795514400LL

static const char cfg_text[] =
	"{\"listen\": [{\"address\": \"10.0.4.53\", \"port\": 53}],"
	" \"upstreams\": [{\"address\": \"169.254.169.253\", \"port\": 53}],"
	" \"zones\": [{\"name\": \"application\", \"cidrs\": [\"10.0.1.0/24\"], \"ai\": \"deny\"},"
	" {\"name\": \"inference\", \"cidrs\": [\"10.0.2.0/24\"]},"
	" {\"name\": \"data\", \"cidrs\": [\"10.0.3.0/24\"], \"ai\": \"deny\"},"
	" {\"name\": \"management\", \"cidrs\": [\"10.0.4.0/24\"], \"ai\": \"deny\"}],"
	" \"endpoints\": {\"private_cidrs\": [\"10.0.2.0/27\"]},"
	" \"rules\": [{\"id\": \"NET-001\", \"from\": \"application\", \"to\": \"inference\", \"proto\": \"https\", \"action\": \"allow\"},"
	" {\"id\": \"NET-002\", \"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"},"
	" {\"id\": \"NET-003\", \"from\": \"inference\", \"to\": \"data\", \"proto\": \"tcp\", \"ports\": \"6333-6334\", \"action\": \"allow\"},"
	" {\"id\": \"NET-012\", \"from\": \"inference\", \"to\": \"internet\", \"action\": \"deny\"}]}";

struct world {
	struct al_config *cfg;
	struct al_answerindex *ai;
	struct al_flowmon *m;
	char out[4096];
};

static int collect(const struct al_flow_finding *f, void *arg)
{
	struct world *w = arg;
	size_t len = strlen(w->out);
	char a[64], b[64];

	snprintf(w->out + len, sizeof(w->out) - len, "%s %s>%s:%u %s%s%s x%llu %lluB\n", f->kind,
		 al_ip_format(&f->flow.src, a, sizeof(a)), al_ip_format(&f->flow.dst, b, sizeof(b)), f->flow.dport,
		 f->name ? f->name : "-", f->rule[0] ? " " : "", f->rule, (unsigned long long)f->count,
		 (unsigned long long)f->bytes);
	return 0;
}

static int setup(void **state)
{
	static struct world w;
	struct al_flowmon_opts o;
	struct al_err err;
	struct al_ip a, c;

	memset(&w, 0, sizeof(w));
	if (al_config_parse(cfg_text, "f.json", &w.cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(al_answerindex_new(&w.ai), 0);
	al_ip_parse("10.0.2.10", &a);
	al_ip_parse("10.0.2.40", &c);
	assert_int_equal(al_answerindex_add(w.ai, &a, &c, 1, "bedrock-runtime.us-east-1.amazonaws.com.", (T0 - 10) * S, 60, 7), 0);
	al_ip_parse("203.0.113.50", &a);
	assert_int_equal(al_answerindex_add(w.ai, &a, &c, 1, "evil.example.", (T0 - 5) * S, 60, 8), 0);
	al_flowmon_defaults(&o);
	o.large_bytes = 1000;
	o.probe_rejects = 5;
	assert_int_equal(al_flowmon_new(w.cfg, &o, w.ai, &w.m), 0);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	al_flowmon_free(w->m);
	al_answerindex_free(w->ai);
	al_config_unref(w->cfg);
	return 0;
}

/* A flow of a minute from start, its direction not said. */
static struct al_flowrec rec(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
			     uint64_t bytes, int64_t start, bool accept)
{
	struct al_flowrec r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(al_ip_parse(src, &r.src), 0);
	assert_int_equal(al_ip_parse(dst, &r.dst), 0);
	r.sport = sport;
	r.dport = dport;
	r.proto = proto;
	r.bytes = bytes;
	r.start_us = start * S;
	r.end_us = (start + 60) * S;
	r.action = accept ? AL_FLOW_ACCEPT : AL_FLOW_REJECT;
	return r;
}

static void flow(struct world *w, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		 uint8_t proto, uint64_t bytes, int64_t start, bool accept)
{
	struct al_flowrec r = rec(src, sport, dst, dport, proto, bytes, start, accept);

	assert_int_equal(al_flowmon_add(w->m, &r, collect, w), 0);
}

/* Judges the first n flows of a file of tests/data/flows, read by the
 * parser of its format. */
static void flows_of(struct world *w, const char *name, unsigned n)
{
	static char path[256]; /* the records point to it */
	struct al_flowreader_opts o = { AL_FLOW_AUTO, NULL, false, NULL, NULL };
	struct al_flowreader *r;
	struct al_flowrec f;
	struct al_err err;

	snprintf(path, sizeof(path), "%s/tests/data/flows/%s", TOP_SRCDIR, name);
	if (al_flowreader_open(path, &o, &r, &err) < 0)
		fail_msg("%s", err.msg);
	while (n-- > 0) {
		assert_int_equal(al_flowreader_next(r, &f, &err), 1);
		assert_int_equal(al_flowmon_add(w->m, &f, collect, w), 0);
	}
	al_flowreader_close(r);
}

static void answer(struct world *w, const char *addr, const char *client, const char *name, int64_t ts_us)
{
	struct al_ip a, c;

	assert_int_equal(al_ip_parse(addr, &a), 0);
	assert_int_equal(al_ip_parse(client, &c), 0);
	assert_int_equal(al_answerindex_add(w->ai, &a, &c, 1, name, ts_us, 60, 9), 0);
}

static const char *flush(struct world *w)
{
	assert_int_equal(al_flowmon_flush(w->m, collect, w), 0);
	return w->out;
}

static void test_flowmon_quiet_traffic(void **state)
{
	struct world *w = *state;

	/* The approved endpoint, an allowed internal flow, their answers, a
	 * rejected one-off, DNS to airlock, and airlock's own upstream query. */
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 500, T0, true);
	flow(w, "10.0.2.10", 443, "10.0.2.40", 50000, 6, 90000, T0, true);
	flow(w, "10.0.2.40", 50001, "10.0.3.7", 6333, 6, 500, T0, true);
	flow(w, "10.0.3.7", 6333, "10.0.2.40", 50001, 6, 500, T0, true);
	flow(w, "10.0.1.5", 50002, "10.0.2.40", 443, 6, 500, T0, true);
	flow(w, "10.0.1.5", 50003, "10.0.4.53", 53, 17, 80, T0, true);
	flow(w, "10.0.4.53", 40000, "169.254.169.253", 53, 17, 80, T0, true);
	flow(w, "10.0.1.5", 50004, "10.0.3.9", 22, 6, 40, T0, false);
	assert_string_equal(flush(w), "");
}

static void test_flowmon_each_kind(void **state)
{
	struct world *w = *state;

	flow(w, "10.0.2.40", 50000, "203.0.113.50", 443, 6, 700, T0, true);
	flow(w, "10.0.2.41", 50000, "203.0.113.50", 443, 6, 300, T0 + 1, true); /* the zone's answer */
	flow(w, "10.0.3.7", 50000, "198.51.100.7", 443, 6, 800, T0, true);
	flow(w, "10.0.1.5", 50000, "8.8.8.8", 853, 6, 90, T0, true);
	flow(w, "10.0.2.40", 50009, "10.0.3.7", 5432, 6, 10, T0, true);
	assert_string_equal(flush(w),
			    "unapproved_endpoint 10.0.2.40>203.0.113.50:443 evil.example. x1 700B\n"
			    "policy_violation 10.0.2.40>203.0.113.50:443 evil.example. NET-012 x1 700B\n"
			    "unapproved_endpoint 10.0.2.41>203.0.113.50:443 evil.example. x1 300B\n"
			    "policy_violation 10.0.2.41>203.0.113.50:443 evil.example. NET-012 x1 300B\n"
			    "data_zone_egress 10.0.3.7>198.51.100.7:443 - x1 800B\n"
			    "no_dns_answer 10.0.3.7>198.51.100.7:443 - x1 800B\n"
			    "policy_violation 10.0.3.7>198.51.100.7:443 - default deny x1 800B\n"
			    "dns_bypass 10.0.1.5>8.8.8.8:853 - x1 90B\n"
			    "policy_violation 10.0.1.5>8.8.8.8:853 - default deny x1 90B\n"
			    "policy_violation 10.0.2.40>10.0.3.7:5432 - default deny x1 10B\n");
}

static void test_flowmon_repeats_aggregate_and_window_closes(void **state)
{
	struct world *w = *state;

	flow(w, "10.0.3.7", 50000, "198.51.100.7", 443, 6, 10, T0, true);
	flow(w, "10.0.3.7", 50001, "198.51.100.7", 443, 6, 20, T0 + 60, true);
	flow(w, "10.0.3.7", 50002, "198.51.100.7", 443, 6, 30, T0 + 120, true);
	assert_string_equal(w->out, "");
	/* Eleven minutes on: the first findings' window has closed. */
	flow(w, "10.0.1.5", 50003, "10.0.2.40", 443, 6, 1, T0 + 720, true);
	assert_string_equal(w->out,
			    "data_zone_egress 10.0.3.7>198.51.100.7:443 - x3 60B\n"
			    "no_dns_answer 10.0.3.7>198.51.100.7:443 - x3 60B\n"
			    "policy_violation 10.0.3.7>198.51.100.7:443 - default deny x3 60B\n");
	assert_string_equal(flush(w), w->out);
}

static void test_flowmon_large_transfer_counts_each_interval_once(void **state)
{
	struct world *w = *state;

	/* 600 bytes an interval; both interfaces log each: 3 intervals = 1800 > 1000. */
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 600, T0, true);
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 600, T0, true);
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 600, T0 + 60, true);
	assert_string_equal(flush(w), "large_transfer 10.0.2.40>10.0.2.10:443 bedrock-runtime.us-east-1.amazonaws.com. x1 1200B\n");
}

static void test_flowmon_large_transfer_sums_a_long_connection(void **state)
{
	struct world *w = *state;
	int i;

	/* 90 bytes every two minutes: 12 intervals over 22 minutes (more than
	 * two windows) make 1080 > 1000.  The answer has expired by the last. */
	for (i = 0; i < 12; i++)
		flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 90, T0 + 120 * i, true);
	assert_string_equal(flush(w), "large_transfer 10.0.2.40>10.0.2.10:443 - x1 1080B\n");
}

static void test_flowmon_byte_sums_saturate(void **state)
{
	struct world *w = *state;

	/* A connection's sum would wrap to 599, under the threshold; a
	 * finding's to UINT64_MAX - 1. */
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, 600, T0, true);
	flow(w, "10.0.2.40", 50000, "10.0.2.10", 443, 6, UINT64_MAX, T0 + 60, true);
	flow(w, "10.0.3.7", 50000, "198.51.100.7", 443, 6, UINT64_MAX, T0, true);
	flow(w, "10.0.3.7", 50001, "198.51.100.7", 443, 6, UINT64_MAX, T0 + 60, true);
	assert_string_equal(flush(w),
			    "large_transfer 10.0.2.40>10.0.2.10:443 bedrock-runtime.us-east-1.amazonaws.com. x1 18446744073709551615B\n"
			    "data_zone_egress 10.0.3.7>198.51.100.7:443 - x2 18446744073709551615B\n"
			    "no_dns_answer 10.0.3.7>198.51.100.7:443 - x2 18446744073709551615B\n"
			    "policy_violation 10.0.3.7>198.51.100.7:443 - default deny x2 18446744073709551615B\n");
}

static void test_flowmon_answer_in_the_flows_second_explains_it(void **state)
{
	struct world *w = *state;

	/* Azure NSG version 1 stamps a tuple with its second (T0 + 10 and
	 * T0 + 11), AWS its start and end (T0 + 20): an answer 0.4 s into the
	 * second came before the connection, one in the next second after. */
	answer(w, "52.94.1.7", "10.0.2.40", "first.example.", (T0 + 10) * S + 400000);
	answer(w, "52.94.1.8", "10.0.2.40", "next.example.", (T0 + 12) * S + 400000);
	answer(w, "52.94.1.9", "10.0.2.41", "aws.example.", (T0 + 20) * S + 400000);
	flows_of(w, "azure-nsg-v1-inference.json", 2);
	flows_of(w, "aws-custom.txt", 1);
	assert_string_equal(flush(w),
			    "unapproved_endpoint 10.0.2.40>52.94.1.7:443 first.example. x1 0B\n"
			    "policy_violation 10.0.2.40>52.94.1.7:443 first.example. NET-012 x1 0B\n"
			    "no_dns_answer 10.0.2.40>52.94.1.8:443 - x1 0B\n"
			    "policy_violation 10.0.2.40>52.94.1.8:443 - NET-012 x1 0B\n"
			    "unapproved_endpoint 10.0.2.41>52.94.1.9:443 aws.example. x1 500B\n"
			    "policy_violation 10.0.2.41>52.94.1.9:443 aws.example. NET-012 x1 500B\n");
}

static void test_flowmon_initiator_wins_over_ports(void **state)
{
	struct world *w = *state;

	/* The data zone connecting out from port 443: an Azure tuple, whose
	 * source opened the connection, is judged; a record that does not say
	 * who opened it (AWS and GCP say only how packets crossed) passes for
	 * the answer to a connection to port 443. */
	flows_of(w, "azure-nsg-v1-lowport.json", 1);
	flow(w, "10.0.3.8", 443, "198.51.100.7", 8443, 6, 800, T0, true);
	/* The answering side of a flow the rules allow stays unjudged. */
	flow(w, "10.0.3.7", 6333, "10.0.2.40", 50001, 6, 500, T0, true);
	assert_string_equal(flush(w),
			    "data_zone_egress 10.0.3.7>198.51.100.7:8443 - x1 0B\n"
			    "no_dns_answer 10.0.3.7>198.51.100.7:8443 - x1 0B\n"
			    "policy_violation 10.0.3.7>198.51.100.7:8443 - default deny x1 0B\n");
}

static void test_flowmon_probe_threshold(void **state)
{
	struct world *w = *state;
	char dst[32];
	int i;

	for (i = 1; i <= 4; i++) {
		snprintf(dst, sizeof(dst), "10.0.3.%d", i);
		flow(w, "10.0.1.5", 50000, dst, 22, 6, 40, T0, false);
	}
	flow(w, "10.0.1.5", 50001, "10.0.3.4", 22, 6, 40, T0, false); /* the same destination again */
	assert_string_equal(w->out, "");
	flow(w, "10.0.1.5", 50000, "10.0.3.5", 22, 6, 40, T0, false);
	for (i = 6; i <= 9; i++) {
		snprintf(dst, sizeof(dst), "10.0.3.%d", i);
		flow(w, "10.0.1.5", 50000, dst, 22, 6, 40, T0, false);
	}
	assert_string_equal(flush(w), "rejected_probe 10.0.1.5>10.0.3.5:22 - x5 40B\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flowmon_quiet_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_each_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_repeats_aggregate_and_window_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_large_transfer_counts_each_interval_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_large_transfer_sums_a_long_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_byte_sums_saturate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_answer_in_the_flows_second_explains_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_initiator_wins_over_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowmon_probe_threshold, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
