/* AWS VPC Flow Logs, text: space-separated fields in the order of the
 * version 2 default, of a header line (S3 files begin with one, and a
 * concatenation of files repeats it), or of --fields.  "-" is a missing
 * value; NODATA and SKIPDATA records are counted, not returned. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/flowparse.h"

#define MAX_FIELDS 64

/* The fields this reader uses; the others are skipped. */
enum field {
	F_SRCADDR, F_DSTADDR, F_SRCPORT, F_DSTPORT, F_PROTOCOL, F_PACKETS, F_BYTES, F_START,
	F_END, F_ACTION, F_LOG_STATUS, F_INTERFACE_ID, F_PKT_SRCADDR, F_PKT_DSTADDR,
	F_FLOW_DIRECTION, NFIELDS
};
static const char *const field_names[NFIELDS] = {
	"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start",
	"end", "action", "log-status", "interface-id", "pkt-srcaddr", "pkt-dstaddr", "flow-direction",
};

static const char v2_fields[] = "version account-id interface-id srcaddr dstaddr srcport dstport"
				" protocol packets bytes start end action log-status";

struct aws {
	int pos[NFIELDS]; /* column of each field, -1: absent */
	unsigned ncols;
};

/* Splits line at single spaces (runs of blanks count once). */
static unsigned split(char *line, char **cols, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		cols[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

static bool field_name_like(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* A layout from field names; cols/n as split.  -EINVAL when a field name
 * is malformed or the addresses and times are missing. */
static int layout(struct aws *a, char **cols, unsigned n, struct al_err *err)
{
	unsigned i, f;

	if (n == 0 || n > MAX_FIELDS)
		return al_err_set(err, "expected 1 to %d field names", MAX_FIELDS), -EINVAL;
	for (f = 0; f < NFIELDS; f++)
		a->pos[f] = -1;
	for (i = 0; i < n; i++) {
		if (!field_name_like(cols[i]))
			return al_err_set(err, "\"%.40s\" is not a flow log field name (expected e.g. srcaddr)", cols[i]), -EINVAL;
		for (f = 0; f < NFIELDS; f++)
			if (!strcmp(cols[i], field_names[f]))
				a->pos[f] = (int)i;
	}
	if ((a->pos[F_SRCADDR] < 0 && a->pos[F_PKT_SRCADDR] < 0) ||
	    (a->pos[F_DSTADDR] < 0 && a->pos[F_PKT_DSTADDR] < 0) || a->pos[F_START] < 0 || a->pos[F_END] < 0)
		return al_err_set(err, "the fields lack srcaddr, dstaddr, start or end"), -EINVAL;
	a->ncols = n;
	return 0;
}

static int aws_create(const char *fields, void **state, struct al_err *err)
{
	struct aws *a = calloc(1, sizeof(*a));
	char *copy, *cols[MAX_FIELDS + 1];
	int rc;

	if (!a || !(copy = strdup(fields ? fields : v2_fields))) {
		free(a);
		return -ENOMEM;
	}
	rc = layout(a, cols, split(copy, cols, MAX_FIELDS), err);
	free(copy);
	if (rc < 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		al_err_set(err, "--fields: %s", why);
		free(a);
		return rc;
	}
	*state = a;
	return 0;
}

/* A header names fields: every column a field name, the addresses among
 * them.  A record has an address (dots or colons) or upper-case words. */
static bool is_header(char **cols, unsigned n)
{
	bool addr = false;
	unsigned i;

	if (n > MAX_FIELDS)
		return false;
	for (i = n; i-- > 0;) /* from the end: a record's log-status or action fails at once */
		if (!field_name_like(cols[i]))
			return false;
	for (i = 0; i < n && !addr; i++)
		addr = !strcmp(cols[i], "srcaddr") || !strcmp(cols[i], "dstaddr") ||
		       !strcmp(cols[i], "pkt-srcaddr") || !strcmp(cols[i], "pkt-dstaddr");
	return addr;
}

static bool is_missing(const char *s)
{
	return s[0] == '-' && !s[1];
}

/* A number, or "-" for none (0). */
static bool number(const char *s, uint64_t max, uint64_t *out)
{
	if (is_missing(s)) {
		*out = 0;
		return true;
	}
	return al_flow_decimal(s, max, out);
}

/* The column of field f, or NULL when the layout has none. */
static const char *col(const struct aws *a, char **cols, enum field f)
{
	return a->pos[f] >= 0 ? cols[a->pos[f]] : NULL;
}

/* The packet address when given, else the interface's. */
static const char *addr_col(const struct aws *a, char **cols, enum field pkt, enum field plain)
{
	const char *p = col(a, cols, pkt);

	return p && !is_missing(p) ? p : col(a, cols, plain);
}

static int aws_feed(void *state, char *line, size_t len, unsigned long lineno, struct al_flowsink *sink)
{
	struct aws *a = state;
	char *cols[MAX_FIELDS + 1];
	const char *v;
	struct al_flowrec r;
	struct al_err err;
	uint64_t n;
	unsigned ncols;

	(void)len;
	ncols = split(line, cols, MAX_FIELDS);
	if (ncols == 0)
		return 0;
	if (is_header(cols, ncols)) {
		struct aws next;
		if (layout(&next, cols, ncols, &err) < 0) {
			sink->bad(sink, lineno, err.msg);
			return 0;
		}
		*a = next; /* a header: the fields of the lines that follow */
		return 0;
	}
	if (ncols != a->ncols) {
		char why[96];
		snprintf(why, sizeof(why), "%u fields, expected %u", ncols > MAX_FIELDS ? MAX_FIELDS + 1 : ncols,
			 a->ncols);
		sink->bad(sink, lineno, why);
		return 0;
	}
	if ((v = col(a, cols, F_LOG_STATUS)) != NULL) {
		if (!strcmp(v, "NODATA")) {
			sink->stats->nodata++;
			return 0;
		}
		if (!strcmp(v, "SKIPDATA")) {
			sink->stats->skipdata++;
			return 0;
		}
	}
	memset(&r, 0, sizeof(r));
	r.line = lineno;
	v = addr_col(a, cols, F_PKT_SRCADDR, F_SRCADDR);
	if (!v || al_ip_parse(v, &r.src) < 0)
		return al_flowsink_bad(sink, lineno, "srcaddr: \"%.60s\" is not an IP address", v ? v : "");
	v = addr_col(a, cols, F_PKT_DSTADDR, F_DSTADDR);
	if (!v || al_ip_parse(v, &r.dst) < 0)
		return al_flowsink_bad(sink, lineno, "dstaddr: \"%.60s\" is not an IP address", v ? v : "");
	if ((v = col(a, cols, F_SRCPORT)) && !number(v, 65535, &n))
		return al_flowsink_bad(sink, lineno, "srcport: \"%.60s\" is not a port", v);
	r.sport = v ? (uint16_t)n : 0;
	if ((v = col(a, cols, F_DSTPORT)) && !number(v, 65535, &n))
		return al_flowsink_bad(sink, lineno, "dstport: \"%.60s\" is not a port", v);
	r.dport = v ? (uint16_t)n : 0;
	if ((v = col(a, cols, F_PROTOCOL)) && !number(v, 255, &n))
		return al_flowsink_bad(sink, lineno, "protocol: \"%.60s\" is not a protocol number", v);
	r.proto = v ? (uint8_t)n : 0;
	if ((v = col(a, cols, F_PACKETS)) && !number(v, UINT64_MAX, &r.packets))
		return al_flowsink_bad(sink, lineno, "packets: \"%.60s\" is not a count", v);
	if ((v = col(a, cols, F_BYTES)) && !number(v, UINT64_MAX, &r.bytes))
		return al_flowsink_bad(sink, lineno, "bytes: \"%.60s\" is not a count", v);
	v = col(a, cols, F_START);
	if (is_missing(v) || !number(v, 1ull << 40, &n))
		return al_flowsink_bad(sink, lineno, "start: \"%.60s\" is not a Unix time", v);
	r.start_us = (int64_t)n * 1000000;
	v = col(a, cols, F_END);
	if (is_missing(v) || !number(v, 1ull << 40, &n))
		return al_flowsink_bad(sink, lineno, "end: \"%.60s\" is not a Unix time", v);
	r.end_us = (int64_t)n * 1000000 + 999999; /* a whole second: see al_flowrec */
	r.action = AL_FLOW_UNKNOWN_ACTION;
	if ((v = col(a, cols, F_ACTION)) != NULL) {
		if (!strcmp(v, "ACCEPT"))
			r.action = AL_FLOW_ACCEPT;
		else if (!strcmp(v, "REJECT"))
			r.action = AL_FLOW_REJECT;
		else if (!is_missing(v))
			return al_flowsink_bad(sink, lineno, "action: \"%.60s\" is not ACCEPT or REJECT", v);
	}
	if ((v = col(a, cols, F_FLOW_DIRECTION)) != NULL)
		r.dir = !strcmp(v, "ingress") ? AL_FLOW_INGRESS : !strcmp(v, "egress") ? AL_FLOW_EGRESS
										: AL_FLOW_DIR_UNKNOWN;
	if ((v = col(a, cols, F_INTERFACE_ID)) != NULL && !is_missing(v)) {
		size_t cut = strnlen(v, sizeof(r.iface) - 1); /* as snprintf would */
		memcpy(r.iface, v, cut);
		r.iface[cut] = '\0';
	}
	return sink->record(sink, &r);
}

static void aws_finish(void *state, struct al_flowsink *sink)
{
	(void)state;
	(void)sink;
}

static void aws_destroy(void *state)
{
	free(state);
}

const struct al_flowparser_ops al_flow_aws_ops = {
	"aws", false, aws_create, aws_feed, aws_finish, aws_destroy,
};
