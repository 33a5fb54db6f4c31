/* Azure flow logs through the reader: NSG version 1 (pretty-printed) and
 * version 2 (one line), VNet flowLogVersion 4, gzip, concatenated and bare
 * documents, records split across blocks, a record over the size cap, and
 * every kind of bad record or tuple reported with its record's line while
 * the run goes on. */
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
#include "flowread.h"
#include "tmpdir.h"

#define FLOWS TOP_SRCDIR "/tests/data/flows/"

/* Reads path and checks the format it was read as. */
static void read_all(const char *path, enum al_flow_format fmt, struct test_flows *run, struct al_flowstats *st)
{
	test_flows_read(path, fmt, NULL, run);
	assert_int_equal(run->format, AL_FLOW_AZURE);
	*st = run->st;
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return test_tmpdir_make(dir, sizeof(dir), "flowazure");
}

static int teardown(void **state)
{
	(void)state;
	return test_tmpdir_remove(dir);
}

static const char nsg_v1_flows[] =
	"3 10.0.2.15:44931>52.94.1.7:443/6 0 0 1795514410.000000 1795514410.999999 A out DefaultRule_AllowInternetOutBound\n"
	"3 10.0.2.15:44932>52.94.1.8:443/6 0 0 1795514411.000000 1795514411.999999 A out DefaultRule_AllowInternetOutBound\n"
	"3 203.0.113.9:51000>10.0.2.15:22/6 0 0 1795514420.000000 1795514420.999999 R in UserRule_deny-ssh-in\n"
	"38 10.0.2.15:53124>168.63.129.16:53/17 0 0 1795514470.000000 1795514470.999999 A out UserRule_allow-dns-out\n";

static void test_flow_azure_nsg_v1_pretty_printed(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	read_all(FLOWS "azure-nsg-v1.json", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out, nsg_v1_flows);
	assert_string_equal(run.bad, "");
	assert_int_equal(st.records, 4);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.lines, 62);
	read_all(FLOWS "azure-nsg-v1.json", AL_FLOW_AZURE, &run, &st);
	assert_string_equal(run.out, nsg_v1_flows);
}

/* Version 2: B has no counters; C and E count both ways, of which the
 * flow's bytes and packets are src->dst; D is a reject.  A tuple's time
 * is a whole second: the flow ends at its last microsecond. */
static const char nsg_v2_flows[] =
	"1 10.0.2.15:44931>52.94.1.7:443/6 0 0 1795514410.000000 1795514410.999999 A out DefaultRule_AllowInternetOutBound\n"
	"1 10.0.2.15:44931>52.94.1.7:443/6 16978 30 1795514470.000000 1795514470.999999 A out DefaultRule_AllowInternetOutBound\n"
	"1 10.0.2.15:44931>52.94.1.7:443/6 120 2 1795514530.000000 1795514530.999999 A out DefaultRule_AllowInternetOutBound\n"
	"1 198.51.100.23:61000>10.0.2.15:3389/6 0 0 1795514440.000000 1795514440.999999 R in UserRule_deny-rdp-in\n"
	"1 fd00:10::15:50000>2001:db8::7:443/6 5000 10 1795514480.000000 1795514480.999999 A out UserRule_allow-v6-out\n";

static void test_flow_azure_nsg_v2_single_line(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	read_all(FLOWS "azure-nsg-v2.json", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out, nsg_v2_flows);
	assert_string_equal(run.bad, "");
	assert_int_equal(st.records, 5);
	assert_int_equal(st.lines, 1);
}

static void test_flow_azure_vnet_v4(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	/* Milliseconds (a tuple spans its millisecond), protocol numbers, D
	 * denied, NX_NOT_ACCEPTED dropped, an unnamed rule (the NIC instead);
	 * bytes and packets src->dst. */
	read_all(FLOWS "azure-vnet-v4.json", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out,
			    "3 10.0.0.6:23956>192.0.2.180:443/6 0 0 1795514410.599000 1795514410.599999 A out DefaultRule_AllowInternetOutBound\n"
			    "3 10.0.0.6:23956>192.0.2.180:443/6 767 3 1795514470.606000 1795514470.606999 A out DefaultRule_AllowInternetOutBound\n"
			    "3 10.0.0.6:0>10.0.0.4:0/1 336 4 1795514471.250000 1795514471.250999 A out DefaultRule_AllowInternetOutBound\n"
			    "3 198.51.100.23:61000>10.0.0.6:22/6 0 0 1795514480.000000 1795514480.000999 R in DefaultRule_DenyAllInBound\n"
			    "3 10.0.0.6:40000>10.0.1.9:5432/6 0 0 1795514490.001000 1795514490.001999 R out 0022485D8CF8\n"
			    "47 10.0.0.6:53001>168.63.129.16:53/17 74 1 1795514530.042000 1795514530.042999 A out UserRule_allow-dns\n");
	assert_string_equal(run.bad, "");
	assert_int_equal(st.records, 6);
	assert_int_equal(st.bad, 0);
}

static void test_flow_azure_reads_gzip(void **state)
{
	char path[128], text[4096];
	struct test_flows run;
	struct al_flowstats st;
	FILE *f;
	size_t n;
	gzFile gz;

	(void)state;
	assert_non_null(f = fopen(FLOWS "azure-nsg-v2.json", "r"));
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(text));
	snprintf(path, sizeof(path), "%s/PT1H.json.gz", dir);
	assert_non_null(gz = gzopen(path, "wb"));
	assert_int_equal(gzwrite(gz, text, (unsigned)n), (int)n);
	gzclose(gz);
	read_all(path, AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out, nsg_v2_flows);
	assert_string_equal(run.bad, "");
}

static void test_flow_azure_bad_records_are_reported(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	read_all(FLOWS "azure-bad.json", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out,
			    "3 10.0.2.15:44931>52.94.1.7:443/6 100 1 1795514413.000000 1795514413.999999 A out UserRule_web\n"
			    "31 10.0.0.6:23956>192.0.2.180:443/6 2 1 1795514410.599000 1795514410.599999 A out UserRule_ok\n");
	assert_string_equal(run.bad,
			    "3: records[0].properties.flows[0].flows[0].flowTuples[0]: \"1795514410,10.0.2.15,52.94.1.7,44931,443,T,O,A,B,,,\" has 12 fields, expected 13 (NSG version 2)\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[1]: dst port \"70000\" is not a port\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[2]: protocol \"X\" is not T or U\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[4]: direction \"Q\" is not I or O\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[5]: decision \"Y\" is not A or D\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[6]: flow state \"Z\" is not B, C or E\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[7]: bytes src->dst \"-1\" is not a count\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[8]: src ip \"10.0.0.300\" is not an IP address\n"
			    "3: records[0].properties.flows[0].flows[0].flowTuples[9]: not a string (expected a flow tuple)\n"
			    "20: records[1].category: \"NetworkSecurityGroupEvent\" is not a flow log (expected NetworkSecurityGroupFlowEvent or FlowLogFlowEvent)\n"
			    "25: records[2].properties.Version: 3 is not 1 or 2\n"
			    "26: records[3]: not valid JSON\n"
			    "27: records[4]: not an object (expected a flow log record)\n"
			    "28: records[5].flowLogVersion: 3 is not 4\n"
			    "29: records[6].flowRecords.flows: {\"aclID\":\"x\"} is not a list\n"
			    "30: records[7]: neither properties (an NSG flow log record) nor flowRecords (a VNet flow log record)\n"
			    "31: records[8].flowRecords.flows[0].flowGroups[0].flowTuples[0]: time \"17955x4410599\" is not a Unix time in milliseconds\n"
			    "31: records[8].flowRecords.flows[0].flowGroups[0].flowTuples[2]: protocol \"T\" is not a protocol number\n");
	assert_int_equal(st.bad, 18);
	assert_int_equal(st.records, 2);
}

/* One flow log record with one version 1 tuple at time t. */
static const char *record_v1(char *buf, size_t len, unsigned t, const char *pad)
{
	snprintf(buf, len,
		 "{\"category\":\"NetworkSecurityGroupFlowEvent\",\"pad\":\"%s\",\"properties\":{\"Version\":1,\"flows\":"
		 "[{\"rule\":\"r\",\"flows\":[{\"mac\":\"m\",\"flowTuples\":[\"%u,10.0.0.4,192.0.2.1,1000,443,T,O,A\"]}]}]}}",
		 pad, t);
	return buf;
}

static void test_flow_azure_documents_concatenated_or_bare(void **state)
{
	char path[128], r1[512], r2[512], text[2048];
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	/* Two blobs concatenated: each document's records, in order. */
	snprintf(text, sizeof(text), "{\"records\":[%s]}\n{\"records\": [\n%s\n]}\n",
		 record_v1(r1, sizeof(r1), 1795514401, "a\\\"}]{["), record_v1(r2, sizeof(r2), 1795514402, ""));
	test_tmpdir_write(dir, "two.json", text, path, sizeof(path));
	read_all(path, AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out,
			    "1 10.0.0.4:1000>192.0.2.1:443/6 0 0 1795514401.000000 1795514401.999999 A out r\n"
			    "3 10.0.0.4:1000>192.0.2.1:443/6 0 0 1795514402.000000 1795514402.999999 A out r\n");
	assert_string_equal(run.bad, "");
	/* The records list alone (jq .records), given --format azure. */
	snprintf(text, sizeof(text), "\xef\xbb\xbf[%s,\n %s]", r1, r2);
	test_tmpdir_write(dir, "bare.json", text, path, sizeof(path));
	read_all(path, AL_FLOW_AZURE, &run, &st);
	assert_int_equal(st.records, 2);
	assert_string_equal(run.bad, "");
	assert_int_equal(run.last.line, 2);
}

static void test_flow_azure_not_a_flow_log(void **state)
{
	char path[128];
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	/* Text before a document, a document of something else, and a record
	 * cut off at the end. */
	test_tmpdir_write(dir, "junk.json",
			  "hello, world\n"
			  "{\"insertId\": \"x\", \"jsonPayload\": {\"records\": [1]}}\n"
			  "{\"records\": [\n"
			  "  {\"properties\": {\"Version\": 1, \"flows\": [",
			  path, sizeof(path));
	read_all(path, AL_FLOW_AZURE, &run, &st);
	assert_string_equal(run.out, "");
	assert_string_equal(run.bad,
			    "1: not JSON: expected an Azure flow log ({\"records\": [...]})\n"
			    "2: a JSON document without a \"records\" list (expected an Azure flow log)\n"
			    "4: records[0]: not closed at the end of the input\n");
	assert_int_equal(st.bad, 3);
	assert_int_equal(st.lines, 4);
}

/* A document of many records on one line, read in blocks: records span
 * block boundaries; one over the size cap is skipped, and the next read. */
static void test_flow_azure_long_line_and_oversized_record(void **state)
{
	char path[128], rec[512], *pad;
	struct test_flows run;
	struct al_flowstats st;
	FILE *f;
	unsigned i;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"records\":[", f);
	for (i = 0; i < 5000; i++)
		fprintf(f, "%s%s", i ? "," : "", record_v1(rec, sizeof(rec), 1795514400 + i, "0123456789abcdef"));
	fputs("]}", f);
	fclose(f);
	read_all(path, AL_FLOW_AZURE, &run, &st);
	assert_int_equal(st.records, 5000);
	assert_int_equal(st.bad, 0);
	assert_int_equal(run.last.line, 1);
	assert_int_equal(run.last.start_us, (int64_t)(1795514400 + 4999) * 1000000);
	/* The same, one record a line: each has its own line number. */
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"records\":[\n", f);
	for (i = 0; i < 5000; i++)
		fprintf(f, "%s%s", i ? ",\n" : "", record_v1(rec, sizeof(rec), 1795514400 + i, "0123456789abcdef"));
	fputs("\n]}\n", f);
	fclose(f);
	read_all(path, AL_FLOW_AUTO, &run, &st);
	assert_int_equal(st.records, 5000);
	assert_int_equal(st.lines, 5002);
	assert_int_equal(run.last.line, 5001);
	assert_int_equal(run.last.start_us, (int64_t)(1795514400 + 4999) * 1000000);

	assert_non_null(pad = malloc((16u << 20) + 2));
	memset(pad, 'x', (16u << 20) + 1);
	pad[(16u << 20) + 1] = '\0';
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "{\"records\":[\n%s,\n", record_v1(rec, sizeof(rec), 1795514400, pad + (16u << 20)));
	fprintf(f, "{\"pad\":\"%s\"},\n", pad);
	fprintf(f, "%s]}\n", record_v1(rec, sizeof(rec), 1795514402, ""));
	fclose(f);
	free(pad);
	read_all(path, AL_FLOW_AZURE, &run, &st);
	assert_string_equal(run.out,
			    "2 10.0.0.4:1000>192.0.2.1:443/6 0 0 1795514400.000000 1795514400.999999 A out r\n"
			    "4 10.0.0.4:1000>192.0.2.1:443/6 0 0 1795514402.000000 1795514402.999999 A out r\n");
	assert_string_equal(run.bad, "3: records[1]: longer than 16 MiB, skipped\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_azure_nsg_v1_pretty_printed),
		cmocka_unit_test(test_flow_azure_nsg_v2_single_line),
		cmocka_unit_test(test_flow_azure_vnet_v4),
		cmocka_unit_test(test_flow_azure_reads_gzip),
		cmocka_unit_test(test_flow_azure_bad_records_are_reported),
		cmocka_unit_test(test_flow_azure_documents_concatenated_or_bare),
		cmocka_unit_test(test_flow_azure_not_a_flow_log),
		cmocka_unit_test(test_flow_azure_long_line_and_oversized_record),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
