/* Test helper: reads a whole flow log through the public reader
 * (flowlog.h) and prints each flow as one line,
 *   "LINE SRC:SPORT>DST:DPORT/PROTO BYTES PACKETS START END ACTION DIR IFACE"
 * (times as seconds.microseconds, ACTION A/R/?, DIR in/out/-), and each bad
 * record as "LINE: WHY".  Fails the test when the file cannot be read. */
#ifndef TEST_FLOWREAD_H
#define TEST_FLOWREAD_H

#include "airlock/flowlog.h"

struct test_flows {
	char out[16384];
	char bad[4096];
	unsigned long count;
	struct al_flowrec last;
	struct al_flowstats st;
	enum al_flow_format format; /* as the reader took it */
};

void test_flows_read(const char *path, enum al_flow_format fmt, const char *fields, struct test_flows *t);

#endif
