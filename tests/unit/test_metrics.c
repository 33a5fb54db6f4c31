/* The per-worker metrics tables and their Prometheus text exposition:
 * label sets merged across workers, values escaped, histograms cumulative
 * with _count equal to +Inf, every line well formed. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/metrics.h"

static struct al_metrics *metrics(void)
{
	struct al_metrics *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

static const struct al_metrics_process no_log = { "1.2.3", 1700000000, 2, 1, 1700000100, false, false, { 0 } };

/* The exposition of ws[0..n) with sum (NULL: all zero) and p. */
static char *render(struct al_metrics **ws, size_t n, const struct al_stats *sum,
		    const struct al_metrics_process *p)
{
	struct al_stats zero;
	char *out = NULL;
	size_t len = 0;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(al_metrics_render((const struct al_metrics *const *)ws, n, sum ? sum : &zero,
					   p ? p : &no_log, &out, &len),
			 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* The line must be in text, whole. */
static void expect_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("line not found: %s\n--- in ---\n%s", line, text);
}

static void expect_no(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected: %s", part);
}

static void test_metrics_merges_queries_of_one_zone_across_workers(void **state)
{
	struct al_metrics *w[2] = { metrics(), metrics() };
	unsigned a0, b0, a1;
	char *out;
	(void)state;

	a0 = al_metrics_zone(w[0], "app");
	b0 = al_metrics_zone(w[0], "data");
	a1 = al_metrics_zone(w[1], "other-first");
	a1 = al_metrics_zone(w[1], "app"); /* another slot in this worker */
	assert_int_equal(a0, 0);
	assert_int_equal(b0, 1);
	assert_int_equal(a1, 1);
	assert_int_equal(al_metrics_zone(w[0], "app"), 0); /* found, not added */
	al_metrics_query(w[0], a0, 1, 0, AL_ACT_UPSTREAM, 1000);
	al_metrics_query(w[0], a0, 1, 0, AL_ACT_UPSTREAM, 1000);
	al_metrics_query(w[1], a1, 1, 0, AL_ACT_UPSTREAM, 1000);
	al_metrics_query(w[0], a0, 1, 0, AL_ACT_CACHE, 10);
	al_metrics_query(w[0], b0, 28, 3, AL_ACT_UPSTREAM, 10);
	al_metrics_query(w[1], AL_METRICS_NO_ZONE, 1, 5, AL_ACT_REFUSED, 10);
	out = render(w, 2, NULL, NULL);
	expect_line(out, "airlock_queries_total{zone=\"app\",type=\"A\",rcode=\"NOERROR\",decision=\"upstream\"} 3");
	expect_line(out, "airlock_queries_total{zone=\"app\",type=\"A\",rcode=\"NOERROR\",decision=\"cache\"} 1");
	expect_line(out, "airlock_queries_total{zone=\"data\",type=\"AAAA\",rcode=\"NXDOMAIN\",decision=\"upstream\"} 1");
	expect_line(out, "airlock_queries_total{zone=\"\",type=\"A\",rcode=\"REFUSED\",decision=\"refused\"} 1");
	expect_no(out, "other-first");
	expect_line(out, "airlock_query_duration_seconds_count 6");
	free(out);
	free(w[0]);
	free(w[1]);
}

static void test_metrics_folds_rare_types_and_rcodes_into_other(void **state)
{
	struct al_metrics *w = metrics();
	unsigned z = al_metrics_zone(w, "e2e");
	char *out;
	(void)state;

	al_metrics_query(w, z, 99, 16, AL_ACT_REFUSED, 1);  /* BADVERS */
	al_metrics_query(w, z, 257, 9, AL_ACT_REFUSED, 1);  /* CAA, NOTAUTH */
	al_metrics_query(w, z, 65, 2, AL_ACT_FAILED, 1);
	out = render(&w, 1, NULL, NULL);
	expect_line(out, "airlock_queries_total{zone=\"e2e\",type=\"other\",rcode=\"other\",decision=\"refused\"} 2");
	expect_line(out, "airlock_queries_total{zone=\"e2e\",type=\"HTTPS\",rcode=\"SERVFAIL\",decision=\"failed\"} 1");
	assert_string_equal(al_metrics_qtype_name(64), "SVCB");
	assert_string_equal(al_metrics_rcode_name(4), "NOTIMP");
	free(out);
	free(w);
}

static void test_metrics_histogram_is_cumulative_with_count_at_inf(void **state)
{
	struct al_metrics *w = metrics();
	char *out;
	(void)state;

	al_metrics_query(w, AL_METRICS_NO_ZONE, 1, 0, AL_ACT_CACHE, 100);     /* le 0.0001 */
	al_metrics_query(w, AL_METRICS_NO_ZONE, 1, 0, AL_ACT_CACHE, 101);     /* le 0.00025 */
	al_metrics_query(w, AL_METRICS_NO_ZONE, 1, 0, AL_ACT_CACHE, 2000000); /* le 2.5 */
	al_metrics_query(w, AL_METRICS_NO_ZONE, 1, 0, AL_ACT_CACHE, 6000000); /* +Inf only */
	out = render(&w, 1, NULL, NULL);
	expect_line(out, "# TYPE airlock_query_duration_seconds histogram");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"0.0001\"} 1");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"0.00025\"} 2");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"1\"} 2");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"2.5\"} 3");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"5\"} 3");
	expect_line(out, "airlock_query_duration_seconds_bucket{le=\"+Inf\"} 4");
	expect_line(out, "airlock_query_duration_seconds_count 4");
	expect_line(out, "airlock_query_duration_seconds_sum 8.000201");
	free(out);
	free(w);
}

static void test_metrics_escapes_label_values(void **state)
{
	struct al_metrics *w = metrics();
	unsigned z = al_metrics_zone(w, "a\"b\\c\nd");
	char *out;
	(void)state;

	al_metrics_query(w, z, 16, 0, AL_ACT_UPSTREAM, 1);
	al_metrics_incident(w, "odd\"kind", AL_SEV_HIGH);
	out = render(&w, 1, NULL, NULL);
	expect_line(out, "airlock_queries_total{zone=\"a\\\"b\\\\c\\nd\",type=\"TXT\",rcode=\"NOERROR\",decision=\"upstream\"} 1");
	expect_line(out, "airlock_incidents_total{kind=\"odd\\\"kind\",severity=\"high\"} 1");
	free(out);
	free(w);
}

static void test_metrics_upstreams_by_address_and_port(void **state)
{
	struct al_metrics *w[2] = { metrics(), metrics() };
	struct sockaddr_in a, b;
	int ua, ub, ua1;
	char *out;
	(void)state;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	b = a;
	b.sin_port = htons(5300);
	ua = al_metrics_upstream(w[0], (struct sockaddr *)&a);
	ub = al_metrics_upstream(w[0], (struct sockaddr *)&b);
	ua1 = al_metrics_upstream(w[1], (struct sockaddr *)&a);
	assert_int_equal(ua, 0);
	assert_int_equal(ub, 1);
	assert_int_equal(al_metrics_upstream(w[0], (struct sockaddr *)&a), 0);
	al_metrics_add(&w[0]->ups[ua].sent, 2);
	al_metrics_add(&w[1]->ups[ua1].sent, 1);
	al_metrics_add(&w[1]->ups[ua1].timeouts, 1);
	al_metrics_add(&w[0]->ups[ub].errors, 1);
	al_metrics_observe(&w[0]->ups[ua].rtt, 300);
	al_metrics_observe(&w[1]->ups[ua1].rtt, 20000);
	out = render(w, 2, NULL, NULL);
	expect_line(out, "airlock_upstream_queries_total{upstream=\"127.0.0.1#53\"} 3");
	expect_line(out, "airlock_upstream_queries_total{upstream=\"127.0.0.1#5300\"} 0");
	expect_line(out, "airlock_upstream_failures_total{upstream=\"127.0.0.1#53\",reason=\"timeout\"} 1");
	expect_line(out, "airlock_upstream_failures_total{upstream=\"127.0.0.1#53\",reason=\"error\"} 0");
	expect_line(out, "airlock_upstream_failures_total{upstream=\"127.0.0.1#5300\",reason=\"error\"} 1");
	expect_line(out, "airlock_upstream_rtt_seconds_bucket{upstream=\"127.0.0.1#53\",le=\"0.0005\"} 1");
	expect_line(out, "airlock_upstream_rtt_seconds_bucket{upstream=\"127.0.0.1#53\",le=\"0.025\"} 2");
	expect_line(out, "airlock_upstream_rtt_seconds_count{upstream=\"127.0.0.1#53\"} 2");
	expect_line(out, "airlock_upstream_rtt_seconds_sum{upstream=\"127.0.0.1#53\"} 0.020300");
	free(out);
	free(w[0]);
	free(w[1]);
}

static void test_metrics_full_zone_table_counts_as_other(void **state)
{
	struct al_metrics *w = metrics();
	char name[16];
	unsigned i, z;
	char *out;
	(void)state;

	for (i = 0; i < AL_METRICS_ZONES; i++) {
		snprintf(name, sizeof(name), "z%u", i);
		assert_int_equal(al_metrics_zone(w, name), i);
	}
	z = al_metrics_zone(w, "one-too-many");
	assert_int_equal(z, AL_METRICS_OTHER_ZONE);
	al_metrics_query(w, z, 1, 0, AL_ACT_UPSTREAM, 1);
	out = render(&w, 1, NULL, NULL);
	expect_line(out, "airlock_queries_total{zone=\"(other)\",type=\"A\",rcode=\"NOERROR\",decision=\"upstream\"} 1");
	free(out);
	free(w);
}

static void test_metrics_process_log_guard_and_stats(void **state)
{
	struct al_metrics *w = metrics();
	struct al_metrics_process p = no_log;
	struct al_stats s;
	char *out;
	(void)state;

	memset(&s, 0, sizeof(s));
	s.tcp_accepted = 7;
	s.tunnel_blocked = 3;
	s.block_listed = 2;
	s.new_domain_alerts = 5;
	s.tunnel_forgot = 13;
	s.queries = 11;
	out = render(&w, 1, &s, &p);
	expect_no(out, "airlock_log_rows_written_total");
	expect_no(out, "airlock_log_available");
	expect_line(out, "airlock_config_reloads_total{result=\"success\"} 2");
	expect_line(out, "airlock_config_reloads_total{result=\"failure\"} 1");
	expect_line(out, "airlock_config_last_reload_success_timestamp_seconds 1700000100");
	expect_line(out, "airlock_build_info{version=\"1.2.3\"} 1");
	expect_line(out, "airlock_start_time_seconds 1700000000");
	expect_line(out, "airlock_guard_blocked_total{kind=\"tunnel\"} 3");
	expect_line(out, "airlock_guard_blocked_total{kind=\"block_list\"} 2");
	expect_line(out, "airlock_guard_alerts_total{kind=\"new_domain\"} 5");
	expect_line(out, "airlock_guard_tunnel_domains_forgotten_total 13");
	expect_line(out, "airlock_tcp_connections_total 7");
	expect_line(out, "airlock_queries_received_total 11");
	free(out);

	p.has_log = true;
	p.log_available = true;
	p.log.written = 40;
	p.log.dropped = 4;
	p.log.gap_rows = 1;
	p.log.write_errors = 2;
	p.log.queued = 9;
	out = render(&w, 1, &s, &p);
	expect_line(out, "airlock_log_queue_rows 9");
	expect_line(out, "airlock_log_rows_written_total 40");
	expect_line(out, "airlock_log_rows_dropped_total 4");
	expect_line(out, "airlock_log_gap_rows_total 1");
	expect_line(out, "airlock_log_write_errors_total 2");
	expect_line(out, "airlock_log_available 1");
	free(out);
	free(w);
}

static void test_metrics_counts_incidents_by_kind_and_severity(void **state)
{
	struct al_metrics *w[2] = { metrics(), metrics() };
	char *out;
	(void)state;

	al_metrics_incident(w[0], "ai_name_denied", AL_SEV_HIGH);
	al_metrics_incident(w[0], "ai_name_denied", AL_SEV_HIGH);
	al_metrics_incident(w[1], "ai_name_denied", AL_SEV_HIGH);
	al_metrics_incident(w[1], "new_domain", AL_SEV_INFO);
	al_metrics_incident(w[1], "new_domain", AL_SEV_WARNING);
	out = render(w, 2, NULL, NULL);
	expect_line(out, "airlock_incidents_total{kind=\"ai_name_denied\",severity=\"high\"} 3");
	expect_line(out, "airlock_incidents_total{kind=\"new_domain\",severity=\"info\"} 1");
	expect_line(out, "airlock_incidents_total{kind=\"new_domain\",severity=\"warning\"} 1");
	free(out);
	free(w[0]);
	free(w[1]);
}

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*; returns its length (0: none). */
static size_t name_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != ':')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == ':')
		n++;
	return n;
}

/* `{k="v",...}` with escapes; returns its length (0: malformed). */
static size_t labels_len(const char *s)
{
	size_t i = 1, n;

	if (s[0] != '{')
		return 0;
	while (s[i] != '}') {
		if (!(n = name_len(s + i)) || s[i + n] != '=' || s[i + n + 1] != '"')
			return 0;
		for (i += n + 2; s[i] != '"'; i++) {
			if (!s[i] || s[i] == '\n')
				return 0;
			if (s[i] == '\\' && s[++i] != '\\' && s[i] != '"' && s[i] != 'n')
				return 0;
		}
		i++;
		if (s[i] == ',')
			i++;
		else if (s[i] != '}')
			return 0;
	}
	return i + 1;
}

static void test_metrics_every_line_is_valid_exposition(void **state)
{
	struct al_metrics *w = metrics();
	struct al_metrics_process p = no_log;
	struct sockaddr_in a;
	char *out, *line, *save = NULL, typed[128] = "", *end;
	size_t n, samples = 0;
	(void)state;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(53);
	al_metrics_upstream(w, (struct sockaddr *)&a);
	al_metrics_query(w, al_metrics_zone(w, "z"), 1, 0, AL_ACT_UPSTREAM, 1);
	al_metrics_incident(w, "k", AL_SEV_INFO);
	p.has_log = true;
	out = render(&w, 1, NULL, &p);
	assert_int_equal(out[strlen(out) - 1], '\n');
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = name_len(line + 7);
			assert_true(n > 0 && line[7 + n] == ' ' && line[8 + n]);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = name_len(line + 7);
			assert_true(n > 0 && n < sizeof(typed));
			snprintf(typed, sizeof(typed), "%.*s", (int)n, line + 7);
			end = line + 8 + n;
			assert_true(strcmp(end, "counter") == 0 || strcmp(end, "gauge") == 0 ||
				    strcmp(end, "histogram") == 0);
			continue;
		}
		/* A sample of the family last typed: name{labels} value. */
		n = name_len(line);
		assert_true(n > 0);
		if (strncmp(line, typed, strlen(typed)) != 0)
			fail_msg("sample before its TYPE line: %s", line);
		if (line[n] == '{') {
			size_t l = labels_len(line + n);
			if (!l)
				fail_msg("bad labels: %s", line);
			n += l;
		}
		assert_int_equal(line[n], ' ');
		strtod(line + n + 1, &end);
		if (end == line + n + 1 || *end)
			fail_msg("bad value: %s", line);
		samples++;
	}
	assert_true(samples > 60);
	free(out);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_merges_queries_of_one_zone_across_workers),
		cmocka_unit_test(test_metrics_folds_rare_types_and_rcodes_into_other),
		cmocka_unit_test(test_metrics_histogram_is_cumulative_with_count_at_inf),
		cmocka_unit_test(test_metrics_escapes_label_values),
		cmocka_unit_test(test_metrics_upstreams_by_address_and_port),
		cmocka_unit_test(test_metrics_full_zone_table_counts_as_other),
		cmocka_unit_test(test_metrics_process_log_guard_and_stats),
		cmocka_unit_test(test_metrics_counts_incidents_by_kind_and_severity),
		cmocka_unit_test(test_metrics_every_line_is_valid_exposition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
