/* Azure flow logs, JSON: NSG flow logs (versions 1 and 2) and the VNet flow
 * logs that replace them (flowLogVersion 4).  A file is one document,
 * {"records": [...]}, often a single line of many megabytes, so the stream
 * is split into the elements of "records" as it arrives: only the record
 * being read is held (at most RECORD_MAX bytes), then parsed with cJSON,
 * and each of its flow tuples becomes one flow.  A bad record or tuple is
 * reported with the line its record starts on. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "airlock/flowparse.h"
#include "airlock/jsonread.h"

#define RECORD_MAX (16u << 20) /* a longer record is bad, and skipped */
#define RECORD_MAX_TEXT "16 MiB"
#define KEY_MAX 16             /* enough for "records" */
#define TUPLE_MAX 256
#define TUPLE_FIELDS 13        /* version 2 and VNet; version 1 has 8 */

enum schema { NSG_V1 = 1, NSG_V2 = 2, VNET_V4 = 4 };

struct azure {
	/* Where the splitter is in the document, across blocks. */
	bool started;
	unsigned long line;     /* the line being scanned */
	unsigned depth;         /* objects and lists open (strings excluded) */
	bool in_str, esc;
	char top;               /* '{' or '[' of the document being read; 0 between documents */
	unsigned long doc_line; /* where it started */
	bool has_list;          /* it had a "records" list */
	bool expect_key, in_key, want_list;
	char key[KEY_MAX];      /* the last key of the top object, cut at KEY_MAX */
	size_t keylen;
	unsigned list_depth;    /* the depth of the list's elements; 0: outside the list */
	unsigned long index;    /* of the element in the list */
	bool elem_bad;          /* an element that is not an object, being skipped */
	bool junk;              /* text outside any document, reported once */
	/* The record being read: its text so far. */
	bool in_record, oversize;
	unsigned long rec_line;
	char *buf;
	size_t len, cap;
};

static int azure_create(const char *fields, void **state, struct al_err *err)
{
	struct azure *a = calloc(1, sizeof(*a));

	(void)fields;
	(void)err;
	if (!a)
		return -ENOMEM;
	*state = a;
	return 0;
}

/* ----- one record: its flow tuples ----- */

/* Digits only, at most max; "" is 0 where empty_ok (version 2's counters
 * of a flow that just began). */
static bool number(const char *s, uint64_t max, bool empty_ok, uint64_t *out)
{
	if (!*s) {
		*out = 0;
		return empty_ok;
	}
	return al_flow_decimal(s, max, out);
}

static const char *schema_name(enum schema s)
{
	return s == NSG_V1 ? "NSG version 1" : s == NSG_V2 ? "NSG version 2" : "VNet flowLogVersion 4";
}

/* "1542110377,10.0.0.4,13.67.143.118,44931,443,T,O,A[,C,30,16978,24,14008]"
 * (NSG) or "1663146003599,10.0.0.6,192.0.2.180,23956,443,6,O,E,NX,3,767,2,1580"
 * (VNet: milliseconds, protocol numbers, state D for denied, encryption). */
static int tuple(struct al_flowsink *sink, unsigned long line, const char *path, const char *text,
		 enum schema schema, const char *iface)
{
	static const char *const counter[4] = { "packets src->dst", "bytes src->dst", "packets dst->src",
						"bytes dst->src" };
	char copy[TUPLE_MAX], *f[TUPLE_FIELDS], *p;
	const char *q;
	unsigned n = 1, want = schema == NSG_V1 ? 8 : TUPLE_FIELDS, i;
	size_t len = strlen(text);
	uint64_t v, c[4] = { 0, 0, 0, 0 };
	int64_t unit;
	struct al_flowrec r;
	const char *state = NULL;

	if (len >= sizeof(copy))
		return al_flowsink_bad(sink, line, "%s: longer than %d bytes (expected a %s flow tuple)", path, TUPLE_MAX - 1,
			    schema_name(schema));
	for (q = text; *q; q++)
		n += *q == ',';
	if (n != want)
		return al_flowsink_bad(sink, line, "%s: \"%.80s\" has %u fields, expected %u (%s)", path, text, n, want,
			    schema_name(schema));
	memcpy(copy, text, len + 1);
	f[0] = copy;
	for (p = copy, i = 1; *p; p++)
		if (*p == ',') {
			*p = '\0';
			f[i++] = p + 1;
		}
	memset(&r, 0, sizeof(r));
	r.line = line;
	if (!number(f[0], schema == VNET_V4 ? 1ull << 50 : 1ull << 40, false, &v))
		return al_flowsink_bad(sink, line, "%s: time \"%.40s\" is not a Unix time%s", path, f[0],
			    schema == VNET_V4 ? " in milliseconds" : "");
	/* The tuple's one time, as the whole second (millisecond) it names:
	 * see al_flowrec. */
	unit = schema == VNET_V4 ? 1000 : 1000000;
	r.start_us = (int64_t)v * unit;
	r.end_us = r.start_us + unit - 1;
	if (al_ip_parse(f[1], &r.src) < 0)
		return al_flowsink_bad(sink, line, "%s: src ip \"%.60s\" is not an IP address", path, f[1]);
	if (al_ip_parse(f[2], &r.dst) < 0)
		return al_flowsink_bad(sink, line, "%s: dst ip \"%.60s\" is not an IP address", path, f[2]);
	if (!number(f[3], 65535, true, &v))
		return al_flowsink_bad(sink, line, "%s: src port \"%.40s\" is not a port", path, f[3]);
	r.sport = (uint16_t)v;
	if (!number(f[4], 65535, true, &v))
		return al_flowsink_bad(sink, line, "%s: dst port \"%.40s\" is not a port", path, f[4]);
	r.dport = (uint16_t)v;
	if (schema == VNET_V4) {
		if (!number(f[5], 255, false, &v))
			return al_flowsink_bad(sink, line, "%s: protocol \"%.40s\" is not a protocol number", path, f[5]);
		r.proto = (uint8_t)v;
	} else if (!strcmp(f[5], "T") || !strcmp(f[5], "U")) {
		r.proto = f[5][0] == 'T' ? 6 : 17;
	} else {
		return al_flowsink_bad(sink, line, "%s: protocol \"%.40s\" is not T or U", path, f[5]);
	}
	if (!strcmp(f[6], "I") || !strcmp(f[6], "O"))
		r.dir = f[6][0] == 'I' ? AL_FLOW_INGRESS : AL_FLOW_EGRESS;
	else
		return al_flowsink_bad(sink, line, "%s: direction \"%.40s\" is not I or O", path, f[6]);
	r.opened = true; /* a tuple names the connection's initiator as its source */
	r.action = AL_FLOW_ACCEPT;
	if (schema != VNET_V4) {
		if (strcmp(f[7], "A") && strcmp(f[7], "D"))
			return al_flowsink_bad(sink, line, "%s: decision \"%.40s\" is not A or D", path, f[7]);
		if (f[7][0] == 'D')
			r.action = AL_FLOW_REJECT;
		if (schema == NSG_V2)
			state = f[8];
	} else {
		state = f[7];
	}
	if (state) {
		if (strlen(state) != 1 || !strchr(schema == VNET_V4 ? "BCED" : "BCE", state[0]))
			return al_flowsink_bad(sink, line, "%s: flow state \"%.40s\" is not %s", path, state,
				    schema == VNET_V4 ? "B, C, E or D" : "B, C or E");
		/* D: denied.  NX_NOT_ACCEPTED: dropped for want of encryption. */
		if (state[0] == 'D' || (schema == VNET_V4 && !strcmp(f[8], "NX_NOT_ACCEPTED")))
			r.action = AL_FLOW_REJECT;
		for (i = 0; i < 4; i++)
			if (!number(f[9 + i], UINT64_MAX, true, &c[i]))
				return al_flowsink_bad(sink, line, "%s: %s \"%.40s\" is not a count", path, counter[i], f[9 + i]);
	}
	/* From src to dst, as AWS and GCP count a record: dst->src is the
	 * answering side's. */
	r.packets = c[0];
	r.bytes = c[1];
	snprintf(r.iface, sizeof(r.iface), "%s", iface);
	return sink->record(sink, &r);
}

/* The flow tuples of list, every one a string. */
static int tuples(struct al_flowsink *sink, unsigned long line, const char *path, const cJSON *list,
		  enum schema schema, const char *iface)
{
	const cJSON *t;
	char where[160];
	int i = 0, rc;

	cJSON_ArrayForEach(t, list) {
		snprintf(where, sizeof(where), "%s[%d]", path, i++);
		if (!cJSON_IsString(t))
			al_flowsink_bad(sink, line, "%s: not a string (expected a flow tuple)", where);
		else if ((rc = tuple(sink, line, where, t->valuestring, schema, iface)) < 0)
			return rc;
	}
	return 0;
}

/* obj[key] when it is a list; else reported bad, and NULL. */
static const cJSON *list_at(struct al_flowsink *sink, unsigned long line, const cJSON *obj, const char *key,
			    const char *path)
{
	const cJSON *v = cJSON_GetObjectItem(obj, key);
	char shown[64];

	if (cJSON_IsArray(v))
		return v;
	if (!v)
		al_flowsink_bad(sink, line, "%s.%s: missing (expected a list)", path, key);
	else
		al_flowsink_bad(sink, line, "%s.%s: %s is not a list", path, key, al_json_show(v, shown, sizeof(shown)));
	return NULL;
}

/* The rule that decided, else the NIC (a rule is unnamed when the traffic
 * was dropped for want of encryption). */
static const char *iface_of(const cJSON *rule, const cJSON *mac)
{
	if (cJSON_IsString(rule) && rule->valuestring[0])
		return rule->valuestring;
	return cJSON_IsString(mac) ? mac->valuestring : "";
}

static bool is_int(const cJSON *v, int want)
{
	return cJSON_IsNumber(v) && v->valuedouble == (double)want;
}

static const char *shown_or_missing(const cJSON *v, char *buf, size_t len)
{
	return v ? al_json_show(v, buf, len) : "missing";
}

/* The two nestings Azure writes: base.flows[].INNER[].flowTuples[], where
 * INNER is "flows" (NSG: the rule on the outer item, the mac on the inner)
 * or "flowGroups" (VNet, schema VNET_V4: the rule on the inner item, the
 * mac on the record, given as rec_mac).  *_what name each level for
 * messages. */
static int walk(struct al_flowsink *sink, unsigned long line, const cJSON *parent, const char *base,
		const char *inner_key, const char *outer_what, const char *inner_what,
		enum schema schema, const cJSON *rec_mac)
{
	const cJSON *flows, *outer, *inner, *item, *list, *rule, *mac;
	char path[128], ipath[160];
	int j = 0, k, rc;

	if (!(flows = list_at(sink, line, parent, "flows", base)))
		return 0;
	cJSON_ArrayForEach(outer, flows) {
		snprintf(path, sizeof(path), "%s.flows[%d]", base, j++);
		if (!cJSON_IsObject(outer)) {
			al_flowsink_bad(sink, line, "%s: not an object (expected %s)", path, outer_what);
			continue;
		}
		if (!(inner = list_at(sink, line, outer, inner_key, path)))
			continue;
		k = 0;
		cJSON_ArrayForEach(item, inner) {
			snprintf(ipath, sizeof(ipath), "%s.%s[%d]", path, inner_key, k++);
			if (!cJSON_IsObject(item)) {
				al_flowsink_bad(sink, line, "%s: not an object (expected %s)", ipath, inner_what);
				continue;
			}
			if (!(list = list_at(sink, line, item, "flowTuples", ipath)))
				continue;
			strncat(ipath, ".flowTuples", sizeof(ipath) - strlen(ipath) - 1);
			rule = cJSON_GetObjectItem(schema == VNET_V4 ? item : outer, "rule");
			mac = schema == VNET_V4 ? rec_mac : cJSON_GetObjectItem(item, "mac");
			if ((rc = tuples(sink, line, ipath, list, schema, iface_of(rule, mac))) < 0)
				return rc;
		}
	}
	return 0;
}

/* properties.flows[].flows[].flowTuples[] */
static int nsg_record(struct al_flowsink *sink, unsigned long line, const cJSON *rec, const char *where)
{
	const cJSON *props = cJSON_GetObjectItem(rec, "properties"), *ver;
	char path[128], shown[64];

	if (!cJSON_IsObject(props))
		return al_flowsink_bad(sink, line, "%s: neither properties (an NSG flow log record) nor flowRecords (a VNet flow log record)",
			    where);
	ver = cJSON_GetObjectItem(props, "Version");
	if (!is_int(ver, 1) && !is_int(ver, 2))
		return al_flowsink_bad(sink, line, "%s.properties.Version: %s is not 1 or 2", where,
			    shown_or_missing(ver, shown, sizeof(shown)));
	snprintf(path, sizeof(path), "%s.properties", where);
	return walk(sink, line, props, path, "flows", "a rule and its flows", "a mac and its flowTuples",
		    is_int(ver, 1) ? NSG_V1 : NSG_V2, NULL);
}

/* flowRecords.flows[].flowGroups[].flowTuples[] */
static int vnet_record(struct al_flowsink *sink, unsigned long line, const cJSON *rec, const char *where)
{
	const cJSON *ver = cJSON_GetObjectItem(rec, "flowLogVersion"), *fr;
	const cJSON *mac = cJSON_GetObjectItem(rec, "macAddress");
	char path[128], shown[64];

	if (!is_int(ver, 4))
		return al_flowsink_bad(sink, line, "%s.flowLogVersion: %s is not 4", where,
			    shown_or_missing(ver, shown, sizeof(shown)));
	fr = cJSON_GetObjectItem(rec, "flowRecords");
	if (!cJSON_IsObject(fr))
		return al_flowsink_bad(sink, line, "%s.flowRecords: %s is not an object", where,
			    shown_or_missing(fr, shown, sizeof(shown)));
	snprintf(path, sizeof(path), "%s.flowRecords", where);
	return walk(sink, line, fr, path, "flowGroups", "an aclID and its flowGroups",
		    "a rule and its flowTuples", VNET_V4, mac);
}

static int record(struct al_flowsink *sink, unsigned long line, const cJSON *rec, const char *where)
{
	const cJSON *cat = cJSON_GetObjectItem(rec, "category");

	if (cJSON_IsString(cat) && strcmp(cat->valuestring, "NetworkSecurityGroupFlowEvent") &&
	    strcmp(cat->valuestring, "FlowLogFlowEvent"))
		return al_flowsink_bad(sink, line,
			    "%s.category: \"%.60s\" is not a flow log (expected NetworkSecurityGroupFlowEvent or FlowLogFlowEvent)",
			    where, cat->valuestring);
	if (cJSON_GetObjectItem(rec, "flowRecords") || cJSON_GetObjectItem(rec, "flowLogVersion"))
		return vnet_record(sink, line, rec, where);
	return nsg_record(sink, line, rec, where);
}

/* ----- the splitter: the stream into records ----- */

/* Appends n bytes of the record being read, unless it is already too long. */
static int keep(struct azure *a, const char *p, size_t n)
{
	if (a->oversize)
		return 0;
	if (a->len + n > RECORD_MAX) {
		a->oversize = true;
		a->len = 0;
		return 0;
	}
	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 64 * 1024;
		char *b;
		while (cap < a->len + n + 1)
			cap *= 2;
		if (cap > RECORD_MAX + 1)
			cap = RECORD_MAX + 1;
		if (!(b = realloc(a->buf, cap)))
			return -ENOMEM;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return 0;
}

/* The record read whole: its flows, or why it is bad. */
static int end_record(struct azure *a, struct al_flowsink *sink)
{
	char where[32];
	cJSON *rec;
	int rc;

	a->in_record = false;
	snprintf(where, sizeof(where), "records[%lu]", a->index);
	if (a->oversize) {
		a->oversize = false;
		return al_flowsink_bad(sink, a->rec_line, "%s: longer than " RECORD_MAX_TEXT ", skipped", where);
	}
	rec = cJSON_ParseWithLength(a->buf, a->len);
	a->len = 0;
	if (!rec)
		return al_flowsink_bad(sink, a->rec_line, "%s: not valid JSON", where);
	rc = record(sink, a->rec_line, rec, where);
	cJSON_Delete(rec);
	return rc;
}

/* Scans a record's text from p[i] to its closing brace: the index after
 * it, *done; or n, the record going on in the next block. */
static size_t scan_record(struct azure *a, const char *p, size_t i, size_t n, bool *done)
{
	for (; i < n; i++) {
		char c = p[i];

		if (a->in_str) {
			if (a->esc)
				a->esc = false;
			else if (c == '\\')
				a->esc = true;
			else if (c == '"')
				a->in_str = false;
			else if (c == '\n')
				a->line++;
			continue;
		}
		switch (c) {
		case '"':
			a->in_str = true;
			break;
		case '{':
		case '[':
			a->depth++;
			break;
		case '}':
		case ']':
			if (--a->depth == a->list_depth) {
				*done = true;
				return i + 1;
			}
			break;
		case '\n':
			a->line++;
			break;
		}
	}
	*done = false;
	return n;
}

static void junk(struct azure *a, struct al_flowsink *sink)
{
	if (!a->junk)
		al_flowsink_bad(sink, a->line, "not JSON: expected an Azure flow log ({\"records\": [...]})");
	a->junk = true;
}

static void start_document(struct azure *a, char c)
{
	a->top = c;
	a->doc_line = a->line;
	a->junk = false;
	a->expect_key = c == '{';
	a->want_list = false;
	a->keylen = 0;
	a->has_list = c == '[';
	if (c == '[')
		a->list_depth = 1; /* a bare list of records */
	a->index = 0;
	a->elem_bad = false;
}

static void end_document(struct azure *a, struct al_flowsink *sink)
{
	if (!a->has_list)
		al_flowsink_bad(sink, a->doc_line, "a JSON document without a \"records\" list (expected an Azure flow log)");
	a->top = 0;
	a->expect_key = a->want_list = false;
}

/* Scans the document around the records from p[i]: returns the index of
 * the next record's opening brace (a->in_record set), or n. */
static size_t scan_outside(struct azure *a, const char *p, size_t i, size_t n, struct al_flowsink *sink)
{
	for (; i < n; i++) {
		char c = p[i];

		if (a->in_str) {
			if (a->esc)
				a->esc = false;
			else if (c == '\\')
				a->esc = true;
			else if (c == '"')
				a->in_str = a->in_key = false;
			else if (c == '\n')
				a->line++;
			else if (a->in_key && a->keylen < KEY_MAX)
				a->key[a->keylen++] = c;
			continue;
		}
		if (c == '\n') {
			a->line++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r')
			continue;
		if (a->depth == 0 && (c == '\xef' || c == '\xbb' || c == '\xbf'))
			continue; /* a UTF-8 byte order mark */
		if (a->want_list) {
			/* The value of "records". */
			a->want_list = false;
			a->has_list = true;
			if (c == '[') {
				a->list_depth = a->depth + 1;
				a->index = 0;
				a->elem_bad = false;
			} else {
				al_flowsink_bad(sink, a->line, "records: not a list");
			}
		} else if (a->list_depth && a->depth == a->list_depth && c != ',' && c != ']' && !a->elem_bad) {
			if (c == '{') {
				a->in_record = true;
				a->rec_line = a->line;
				return i;
			}
			a->elem_bad = true;
			al_flowsink_bad(sink, a->line, "records[%lu]: not an object (expected a flow log record)", a->index);
		}
		switch (c) {
		case '"':
			a->in_str = true;
			if (a->expect_key && a->depth == 1) {
				a->in_key = true;
				a->keylen = 0;
				a->expect_key = false;
			}
			break;
		case '{':
		case '[':
			if (a->depth == 0)
				start_document(a, c);
			a->depth++;
			break;
		case '}':
		case ']':
			if (a->depth == 0) {
				junk(a, sink);
				break;
			}
			a->depth--;
			if (a->list_depth && a->depth < a->list_depth)
				a->list_depth = 0;
			if (a->depth == 0)
				end_document(a, sink);
			break;
		case ',':
			if (a->depth == 1 && a->top == '{')
				a->expect_key = true;
			if (a->list_depth && a->depth == a->list_depth) {
				a->index++;
				a->elem_bad = false;
			}
			break;
		case ':':
			if (a->depth == 1 && a->top == '{' && a->keylen == 7 && !memcmp(a->key, "records", 7))
				a->want_list = true;
			a->keylen = 0;
			break;
		default:
			if (a->depth == 0)
				junk(a, sink);
			break;
		}
	}
	return n;
}

static int azure_feed(void *state, char *block, size_t len, unsigned long lineno, struct al_flowsink *sink)
{
	struct azure *a = state;
	size_t i = 0, start;
	bool done;
	int rc;

	/* Blocks follow each other: lines are counted here from the first. */
	if (!a->started)
		a->line = lineno;
	a->started = true;
	while (i < len) {
		if (!a->in_record) {
			i = scan_outside(a, block, i, len, sink);
			continue;
		}
		start = i;
		i = scan_record(a, block, i, len, &done);
		if ((rc = keep(a, block + start, i - start)) < 0)
			return rc;
		if (done && (rc = end_record(a, sink)) < 0)
			return rc;
	}
	return 0;
}

static void azure_finish(void *state, struct al_flowsink *sink)
{
	struct azure *a = state;

	if (a->in_record)
		al_flowsink_bad(sink, a->rec_line, "records[%lu]: not closed at the end of the input", a->index);
	else if (a->top && !a->has_list)
		al_flowsink_bad(sink, a->doc_line, "a JSON document without a \"records\" list (expected an Azure flow log)");
	a->in_record = false;
	a->len = 0;
}

static void azure_destroy(void *state)
{
	struct azure *a = state;

	if (a)
		free(a->buf);
	free(a);
}

const struct al_flowparser_ops al_flow_azure_ops = {
	"azure", true, azure_create, azure_feed, azure_finish, azure_destroy,
};
