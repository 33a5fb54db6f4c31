/* Test helper: see flowread.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flowread.h"

static void on_bad(unsigned long line, const char *why, void *arg)
{
	struct test_flows *t = arg;
	size_t len = strlen(t->bad);

	snprintf(t->bad + len, sizeof(t->bad) - len, "%lu: %s\n", line, why);
}

static const char *usecs(int64_t us, char *buf, size_t len)
{
	snprintf(buf, len, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
	return buf;
}

void test_flows_read(const char *path, enum al_flow_format fmt, const char *fields, struct test_flows *t)
{
	struct al_flowreader_opts o = { fmt, fields, false, on_bad, t };
	struct al_flowreader *r;
	struct al_flowrec rec;
	struct al_err err;
	char a[64], b[64], s[32], e[32];
	size_t len;
	int rc;

	memset(t, 0, sizeof(*t));
	if (al_flowreader_open(path, &o, &r, &err) < 0)
		fail_msg("open: %s", err.msg);
	while ((rc = al_flowreader_next(r, &rec, &err)) == 1) {
		t->count++;
		t->last = rec;
		len = strlen(t->out);
		snprintf(t->out + len, sizeof(t->out) - len, "%lu %s:%u>%s:%u/%u %llu %llu %s %s %s %s %s\n",
			 rec.line, al_ip_format(&rec.src, a, sizeof(a)), rec.sport,
			 al_ip_format(&rec.dst, b, sizeof(b)), rec.dport, rec.proto,
			 (unsigned long long)rec.bytes, (unsigned long long)rec.packets,
			 usecs(rec.start_us, s, sizeof(s)), usecs(rec.end_us, e, sizeof(e)),
			 rec.action == AL_FLOW_ACCEPT ? "A" : rec.action == AL_FLOW_REJECT ? "R" : "?",
			 rec.dir == AL_FLOW_EGRESS ? "out" : rec.dir == AL_FLOW_INGRESS ? "in" : "-",
			 rec.iface[0] ? rec.iface : "-");
	}
	if (rc < 0)
		fail_msg("next: %s", err.msg);
	t->format = al_flowreader_format(r);
	t->st = *al_flowreader_stats(r);
	al_flowreader_close(r);
}
