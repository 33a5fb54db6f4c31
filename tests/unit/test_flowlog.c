/* Reading flow logs, AWS text and the reader itself: the version 2 default
 * order, a header's custom order (packet addresses, direction), --fields,
 * a header repeated mid-file, "-" values, NODATA and SKIPDATA counted,
 * IPv6, whole seconds as the interval they span, gzip read like plain
 * text, and every kind of bad line reported with its line number while
 * the run goes on (a NUL byte in a line too). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "airlock/flowlog.h"
#include "airlock/flowparse.h"
#include "flowread.h"
#include "tmpdir.h"

/* Reads path; the format must be AWS. */
static void read_all(const char *path, enum al_flow_format fmt, const char *fields, struct test_flows *run,
		     struct al_flowstats *st)
{
	test_flows_read(path, fmt, fields, run);
	assert_int_equal(run->format, AL_FLOW_AWS);
	*st = run->st;
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return test_tmpdir_make(dir, sizeof(dir), "flowlog");
}

static int teardown(void **state)
{
	(void)state;
	return test_tmpdir_remove(dir);
}

static void test_flowlog_aws_v2_default(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	test_tmpdir_write(dir, "v2.log",
			  "2 123456789010 eni-1235b8ca123456789 10.0.2.15 52.94.1.7 49761 443 6 20 4249 1700000000 1700000060 ACCEPT OK\n"
			  "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1700000000 1700000060 - NODATA\n"
			  "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1700000000 1700000060 - SKIPDATA\n"
			  "\n"
			  "2 123456789010 eni-1235b8ca123456789 203.0.113.9 10.0.2.15 0 0 1 4 336 1700000001 1700000061 REJECT OK\n",
			  path, sizeof(path));
	read_all(path, AL_FLOW_AUTO, NULL, &run, &st);
	/* Times in seconds: the end is the last microsecond of its second. */
	assert_string_equal(run.out,
			    "1 10.0.2.15:49761>52.94.1.7:443/6 4249 20 1700000000.000000 1700000060.999999 A - eni-1235b8ca123456789\n"
			    "5 203.0.113.9:0>10.0.2.15:0/1 336 4 1700000001.000000 1700000061.999999 R - eni-1235b8ca123456789\n");
	assert_string_equal(run.bad, "");
	assert_int_equal(st.lines, 5);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.nodata, 1);
	assert_int_equal(st.skipdata, 1);
	assert_int_equal(st.bad, 0);
}

static void test_flowlog_aws_custom_header_and_repeat(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	/* A v5 header: packet addresses win over the interface's (NAT), and a
	 * second file's header (another order) applies to what follows it. */
	test_tmpdir_write(dir, "v5.log",
			  "version vpc-id subnet-id interface-id srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action log-status flow-direction traffic-path\n"
			  "5 vpc-0a1b subnet-9f8e eni-aaa 10.0.2.15 10.0.9.9 50000 443 10.0.2.15 2600:1f18::7 6 900 3 1700000100 1700000160 ACCEPT OK egress 8\n"
			  "5 vpc-0a1b subnet-9f8e eni-aaa 10.0.9.9 10.0.2.15 443 50000 - - 6 7000 5 1700000100 1700000160 ACCEPT OK ingress -\n"
			  "srcaddr dstaddr start end bytes\n"
			  "fd00::1 fd00::2 1700000200 1700000260 42\n",
			  path, sizeof(path));
	read_all(path, AL_FLOW_AWS, NULL, &run, &st);
	assert_string_equal(run.out,
			    "2 10.0.2.15:50000>2600:1f18::7:443/6 900 3 1700000100.000000 1700000160.999999 A out eni-aaa\n"
			    "3 10.0.9.9:443>10.0.2.15:50000/6 7000 5 1700000100.000000 1700000160.999999 A in eni-aaa\n"
			    "5 fd00::1:0>fd00::2:0/0 42 0 1700000200.000000 1700000260.999999 ? - -\n");
	assert_string_equal(run.bad, "");
	assert_int_equal(st.records, 3);
}

static void test_flowlog_aws_fields_option(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;
	struct al_flowreader_opts o = { AL_FLOW_AWS, "srcaddr dstaddr nonsense!", false, NULL, NULL };
	struct al_flowreader *r;
	struct al_err err;
	char want[256];

	(void)state;
	test_tmpdir_write(dir, "f.log", "1700000000 1700000005 10.0.5.5 198.51.100.7 53 17 REJECT\n", path, sizeof(path));
	read_all(path, AL_FLOW_AWS, "start end srcaddr dstaddr dstport protocol action", &run, &st);
	assert_string_equal(run.out, "1 10.0.5.5:0>198.51.100.7:53/17 0 0 1700000000.000000 1700000005.999999 R - -\n");
	assert_int_equal(al_flowreader_open(path, &o, &r, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s: --fields: \"nonsense!\" is not a flow log field name (expected e.g. srcaddr)", path);
	assert_string_equal(err.msg, want);
}

static void test_flowlog_aws_bad_lines_are_counted(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	test_tmpdir_write(dir, "bad.log",
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK\n"
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT\n"
			  "2 1 eni-a 10.0.2.300 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK\n"
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 70000 6 1 1 1700000000 1700000060 ACCEPT OK\n"
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 1 1700000000 1700000060 MAYBE OK\n"
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 1 - 1700000060 ACCEPT OK\n"
			  "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 -5 1700000000 1700000060 ACCEPT OK\n"
			  "2 1 eni-a 10.0.2.16 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK",
			  path, sizeof(path));
	read_all(path, AL_FLOW_AUTO, NULL, &run, &st);
	assert_string_equal(run.out,
			    "1 10.0.2.15:1>52.94.1.7:443/6 1 1 1700000000.000000 1700000060.999999 A - eni-a\n"
			    "8 10.0.2.16:1>52.94.1.7:443/6 1 1 1700000000.000000 1700000060.999999 A - eni-a\n");
	assert_string_equal(run.bad,
			    "2: 13 fields, expected 14\n"
			    "3: srcaddr: \"10.0.2.300\" is not an IP address\n"
			    "4: dstport: \"70000\" is not a port\n"
			    "5: action: \"MAYBE\" is not ACCEPT or REJECT\n"
			    "6: start: \"-\" is not a Unix time\n"
			    "7: bytes: \"-5\" is not a count\n");
	assert_int_equal(st.bad, 6);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.lines, 8);
}

static void test_flowlog_reads_gzip(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;
	gzFile gz;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/many.log.gz", dir);
	assert_non_null(gz = gzopen(path, "wb"));
	gzprintf(gz, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n");
	for (i = 0; i < 3000; i++)
		gzprintf(gz, "2 1 eni-b 10.0.3.%d 203.0.113.%d 40000 443 6 2 %d 1700000000 1700000060 ACCEPT OK\n",
			 i % 250, i % 200, i);
	gzclose(gz);
	read_all(path, AL_FLOW_AUTO, NULL, &run, &st);
	assert_int_equal(st.records, 3000);
	assert_int_equal(st.lines, 3001);
	assert_int_equal(st.bad, 0);
	assert_true(strncmp(run.out, "2 10.0.3.0:40000>203.0.113.0:443/6 0 2 1700000000.000000 1700000060.999999 A - eni-b\n", 68) == 0);
}

/* A line with a NUL byte is one bad line, in the first block (read to
 * sniff the format) and past it, gzip or not; the lines after it are intact. */
static void test_flowlog_nul_byte_is_one_bad_line(void **state)
{
	static const char rec[] = "2 1 eni-a 10.0.2.15 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK\n";
	static const char nul[] = "2 1 eni-a 10.0.2.15\0 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK\n";
	static const char first[] = "1 10.0.2.15:1>52.94.1.7:443/6 1 1 1700000000.000000 1700000060.999999 A - eni-a\n"
				    "3 10.0.2.15:1>52.94.1.7:443/6 1 1 1700000000.000000 1700000060.999999 A - eni-a\n";
	static const char *const mode[] = { "wT", "wb" }; /* plain, gzip */
	char path[128];
	struct test_flows run;
	struct al_flowstats st;
	gzFile gz;
	int i, m;

	(void)state;
	for (m = 0; m < 2; m++) {
		snprintf(path, sizeof(path), "%s/nul%d.log", dir, m);
		assert_non_null(gz = gzopen(path, mode[m]));
		gzputs(gz, rec);
		gzwrite(gz, nul, sizeof(nul) - 1);
		for (i = 0; i < 1000; i++) /* 75 kB: past the first block */
			gzputs(gz, rec);
		gzwrite(gz, nul, sizeof(nul) - 1);
		gzputs(gz, "2 1 eni-a 10.0.2.16 52.94.1.7 1 443 6 1 1 1700000000 1700000060 ACCEPT OK\n");
		assert_int_equal(gzclose(gz), Z_OK);
		read_all(path, AL_FLOW_AUTO, NULL, &run, &st);
		assert_string_equal(run.bad,
				    "2: a NUL byte at column 20 (a flow log is text)\n"
				    "1003: a NUL byte at column 20 (a flow log is text)\n");
		assert_true(strncmp(run.out, first, strlen(first)) == 0);
		assert_int_equal(st.lines, 1004);
		assert_int_equal(st.records, 1002);
		assert_int_equal(st.bad, 2);
		assert_int_equal(run.last.line, 1004);
		assert_string_equal(al_ip_format(&run.last.src, path, sizeof(path)), "10.0.2.16");
	}
}

/* A real Azure blob: one line of more than a megabyte, found by sniffing. */
static void test_flowlog_sniffs_a_long_single_line_azure_file(void **state)
{
	struct al_flowreader_opts o = { AL_FLOW_AUTO, NULL, false, NULL, NULL };
	struct al_flowreader *r;
	struct al_flowrec rec;
	struct al_err err;
	char path[128];
	FILE *fp;
	int i, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/PT1H.json", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("{\"records\":[{\"time\":\"2026-11-24T10:01:00Z\",\"category\":\"NetworkSecurityGroupFlowEvent\","
	      "\"operationName\":\"NetworkSecurityGroupFlowEvents\",\"properties\":{\"Version\":1,\"flows\":"
	      "[{\"rule\":\"DefaultRule_AllowInternetOutBound\",\"flows\":[{\"mac\":\"000D3AF87856\",\"flowTuples\":[", fp);
	for (i = 0; i < 30000; i++)
		fprintf(fp, "%s\"1795514410,10.0.2.15,52.94.1.7,%d,443,T,O,A\"", i ? "," : "", 30000 + i);
	fputs("]}]}]}}]}", fp);
	fclose(fp);
	assert_int_equal(al_flowreader_open(path, &o, &r, &err), 0);
	while (al_flowreader_next(r, &rec, &err) == 1)
		n++;
	assert_int_equal(n, 30000);
	assert_int_equal(al_flowreader_format(r), AL_FLOW_AZURE);
	assert_int_equal(al_flowreader_stats(r)->bad, 0);
	al_flowreader_close(r);
}

static void test_flowlog_open_errors(void **state)
{
	struct al_flowreader_opts o = { AL_FLOW_AUTO, NULL, false, NULL, NULL };
	struct al_flowreader *r;
	struct al_err err;
	enum al_flow_format f;

	(void)state;
	assert_int_equal(al_flowreader_open("/nonexistent/flows.log", &o, &r, &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/flows.log: cannot open: No such file or directory");
	assert_int_equal(al_flow_format_parse("gcp", &f), 0);
	assert_int_equal(f, AL_FLOW_GCP);
	assert_int_equal(al_flow_format_parse("netflow", &f), -EINVAL);
}

/* The decimal fields of all three formats: digits only, at least one,
 * up to max exactly. */
static void test_flow_decimal_bounds(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_true(al_flow_decimal("65535", 65535, &v));
	assert_int_equal(v, 65535);
	assert_true(al_flow_decimal("007", 65535, &v));
	assert_int_equal(v, 7);
	assert_true(al_flow_decimal("18446744073709551615", UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_false(al_flow_decimal("65536", 65535, &v));
	assert_false(al_flow_decimal("18446744073709551616", UINT64_MAX, &v));
	assert_false(al_flow_decimal("", 65535, &v));
	assert_false(al_flow_decimal("-1", 65535, &v));
	assert_false(al_flow_decimal("12a", 65535, &v));
	assert_false(al_flow_decimal(" 12", 65535, &v));
	assert_int_equal(v, 7); /* untouched when false */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_decimal_bounds),
		cmocka_unit_test(test_flowlog_aws_v2_default),
		cmocka_unit_test(test_flowlog_aws_custom_header_and_repeat),
		cmocka_unit_test(test_flowlog_aws_fields_option),
		cmocka_unit_test(test_flowlog_aws_bad_lines_are_counted),
		cmocka_unit_test(test_flowlog_reads_gzip),
		cmocka_unit_test(test_flowlog_nul_byte_is_one_bad_line),
		cmocka_unit_test(test_flowlog_sniffs_a_long_single_line_azure_file),
		cmocka_unit_test(test_flowlog_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
