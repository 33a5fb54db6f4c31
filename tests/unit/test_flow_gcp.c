/* GCP VPC Flow Logs through the reader: Cloud Logging entries one a line,
 * counters as strings or numbers, nanosecond and offset times, IPv6, ICMP
 * without ports, the reporter's side as direction and VM, and every kind
 * of bad line reported with its number while the run goes on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/flowlog.h"
#include "flowread.h"

#define FLOWS TOP_SRCDIR "/tests/data/flows/"

/* Reads path and checks the format it was read as. */
static void read_all(const char *path, enum al_flow_format fmt, struct test_flows *run, struct al_flowstats *st)
{
	test_flows_read(path, fmt, NULL, run);
	assert_int_equal(run->format, AL_FLOW_GCP);
	*st = run->st;
}

/* Counts as given (no sampling rate to scale by); the action is unknown. */
static const char vpc_flows[] =
	"1 10.128.0.15:49761>52.94.1.7:443/6 1234 5 1795514400.123456 1795514405.500000 ? out inference-0\n"
	"2 2001:db8:77::9:50444>2600:1900:4000:ab::15:8443/6 98304 70 1795514401.250000 1795514409.000000 ? in inference-1\n"
	"4 10.128.0.15:0>10.128.0.20:0/1 84 1 1795514460.000000 1795514460.000000 ? out inference-0\n"
	"5 192.168.10.4:60100>10.128.0.15:22/6 4000 12 1795514519.000000 1795514520.000001 ? - vpn-tunnel-1\n";

static void test_flow_gcp_entries(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	read_all(FLOWS "gcp-vpc.jsonl", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out, vpc_flows);
	assert_string_equal(run.bad, "");
	assert_int_equal(st.lines, 5);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.bad, 0);
	read_all(FLOWS "gcp-vpc.jsonl", AL_FLOW_GCP, &run, &st);
	assert_string_equal(run.out, vpc_flows);
}

static void test_flow_gcp_bad_lines_are_reported(void **state)
{
	struct test_flows run;
	struct al_flowstats st;

	(void)state;
	read_all(FLOWS "gcp-bad.jsonl", AL_FLOW_AUTO, &run, &st);
	assert_string_equal(run.out,
			    "1 10.128.0.15:49761>52.94.1.7:443/6 100 2 1795514400.000000 1795514405.000000 ? out -\n"
			    "10 fd00::1:0>fd00::2:0/58 0 0 1795514400.000000 1795514405.000000 ? in -\n");
	assert_string_equal(run.bad,
			    "2: not valid JSON (expected a Cloud Logging entry, one a line)\n"
			    "3: not a JSON object (expected a Cloud Logging entry)\n"
			    "4: no jsonPayload.connection: not a VPC flow log entry (logName \"projects/ai-prod/logs/cloudaudit.googleapis.com%2Factivity\")\n"
			    "5: jsonPayload.connection.src_ip: \"10.128.0.300\" is not an IP address\n"
			    "6: jsonPayload.connection.dest_port: 70000 is not a port\n"
			    "7: jsonPayload.bytes_sent: \"12kB\" is not a count\n"
			    "8: jsonPayload.start_time: missing (expected an RFC 3339 time)\n"
			    "9: jsonPayload.end_time: \"yesterday\" is not an RFC 3339 time\n"
			    "11: not valid JSON (expected a Cloud Logging entry, one a line)\n");
	assert_int_equal(st.bad, 9);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.lines, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_gcp_entries),
		cmocka_unit_test(test_flow_gcp_bad_lines_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
