/* GCP VPC Flow Logs as exported from Cloud Logging: one log entry a line,
 * the flow in its jsonPayload (connection, bytes_sent, packets_sent,
 * start_time, end_time, reporter).  Counters are int64, which Cloud
 * Logging's JSON writes as strings; numbers are taken as well, and an
 * absent counter or port is 0 (proto3 omits zero values).
 *
 * bytes_sent and packets_sent count from src to dest, as AWS records do.
 * VPC Flow Logs sample packets and the entries carry no rate to scale by,
 * so they are taken as Google gives them (large_transfer compares them
 * as they are).  Entries carry no allow/deny decision either (egress is
 * sampled before the firewall), so the action is unknown.
 *
 * Times are nanoseconds: cut to microseconds, they still hold an answer
 * given before the flow (airlock's times are cut the same way), so unlike
 * AWS and Azure they are not widened (al_flowrec).  Cloud Logging drops
 * trailing zero digits of a time, so fewer digits are no coarser time. */
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
#include "airlock/logread.h"

static int gcp_create(const char *fields, void **state, struct al_err *err)
{
	(void)fields;
	(void)err;
	*state = NULL; /* lines are independent: nothing to keep */
	return 0;
}

/* A whole number in 0..max, as a JSON number or a string of digits; an
 * absent value is 0. */
static bool whole(const cJSON *v, uint64_t max, uint64_t *out)
{
	if (!v) {
		*out = 0;
		return true;
	}
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0 && v->valuedouble <= (double)max && v->valuedouble < 0x1p64) ||
		    v->valuedouble != (double)(uint64_t)v->valuedouble)
			return false;
		*out = (uint64_t)v->valuedouble;
		return true;
	}
	return cJSON_IsString(v) && al_flow_decimal(v->valuestring, max, out);
}

/* RFC 3339, "2026-11-24T10:00:00.123456789Z" or with an offset.  Cloud
 * Logging gives nanoseconds; al_logtime_parse takes microseconds, so the
 * digits past the sixth are dropped. */
static bool rfc3339(const cJSON *v, int64_t *out)
{
	char t[48], *dot;
	size_t digits;

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof(t) || !strchr(v->valuestring, 'T'))
		return false;
	memcpy(t, v->valuestring, strlen(v->valuestring) + 1);
	if ((dot = strchr(t, '.')) != NULL) {
		digits = strspn(dot + 1, "0123456789");
		if (digits > 6)
			memmove(dot + 7, dot + 1 + digits, strlen(dot + 1 + digits) + 1);
	}
	return al_logtime_parse(t, 0, out) == 0;
}

/* The name of the reporting side's VM (or gateway). */
static const char *reporter_name(const cJSON *payload, const char *reporter)
{
	static const char *const sides[][3] = {
		{ "SRC", "src_instance", "vm_name" },
		{ "DEST", "dest_instance", "vm_name" },
		{ "SRC_GATEWAY", "src_gateway", "name" },
		{ "DEST_GATEWAY", "dest_gateway", "name" },
	};
	const cJSON *name;
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if (!strcmp(reporter, sides[i][0])) {
			name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(payload, sides[i][1]),
								sides[i][2]);
			return cJSON_IsString(name) ? name->valuestring : "";
		}
	return "";
}

/* A field that is not what it should be: "jsonPayload.bytes_sent: "12kB"
 * is not a count", or missing. */
static int bad_value(struct al_flowsink *sink, unsigned long lineno, const char *path, const cJSON *v,
		     const char *expected)
{
	char shown[96];

	if (!v)
		return al_flowsink_bad(sink, lineno, "%s: missing (expected %s)", path, expected);
	return al_flowsink_bad(sink, lineno, "%s: %s is not %s", path, al_json_show(v, shown, sizeof(shown)), expected);
}

/* One entry, parsed: its flow, or why it is not one. */
static int entry(const cJSON *root, unsigned long lineno, struct al_flowsink *sink)
{
	const cJSON *payload, *conn, *v, *log;
	struct al_flowrec r;
	uint64_t n;

	if (!cJSON_IsObject(root))
		return al_flowsink_bad(sink, lineno, "not a JSON object (expected a Cloud Logging entry)");
	payload = cJSON_GetObjectItemCaseSensitive(root, "jsonPayload");
	conn = cJSON_GetObjectItemCaseSensitive(payload, "connection");
	if (!cJSON_IsObject(payload) || !cJSON_IsObject(conn)) {
		log = cJSON_GetObjectItemCaseSensitive(root, "logName");
		return al_flowsink_bad(sink, lineno, "no jsonPayload.connection: not a VPC flow log entry%s%.100s%s",
			    cJSON_IsString(log) ? " (logName \"" : "", cJSON_IsString(log) ? log->valuestring : "",
			    cJSON_IsString(log) ? "\")" : "");
	}
	memset(&r, 0, sizeof(r));
	r.line = lineno;
	v = cJSON_GetObjectItemCaseSensitive(conn, "src_ip");
	if (!cJSON_IsString(v) || al_ip_parse(v->valuestring, &r.src) < 0)
		return bad_value(sink, lineno, "jsonPayload.connection.src_ip", v, "an IP address");
	v = cJSON_GetObjectItemCaseSensitive(conn, "dest_ip");
	if (!cJSON_IsString(v) || al_ip_parse(v->valuestring, &r.dst) < 0)
		return bad_value(sink, lineno, "jsonPayload.connection.dest_ip", v, "an IP address");
	if (!whole(v = cJSON_GetObjectItemCaseSensitive(conn, "src_port"), 65535, &n))
		return bad_value(sink, lineno, "jsonPayload.connection.src_port", v, "a port");
	r.sport = (uint16_t)n;
	if (!whole(v = cJSON_GetObjectItemCaseSensitive(conn, "dest_port"), 65535, &n))
		return bad_value(sink, lineno, "jsonPayload.connection.dest_port", v, "a port");
	r.dport = (uint16_t)n;
	if (!whole(v = cJSON_GetObjectItemCaseSensitive(conn, "protocol"), 255, &n))
		return bad_value(sink, lineno, "jsonPayload.connection.protocol", v, "a protocol number");
	r.proto = (uint8_t)n;
	if (!whole(v = cJSON_GetObjectItemCaseSensitive(payload, "bytes_sent"), UINT64_MAX, &r.bytes))
		return bad_value(sink, lineno, "jsonPayload.bytes_sent", v, "a count");
	if (!whole(v = cJSON_GetObjectItemCaseSensitive(payload, "packets_sent"), UINT64_MAX, &r.packets))
		return bad_value(sink, lineno, "jsonPayload.packets_sent", v, "a count");
	if (!rfc3339(v = cJSON_GetObjectItemCaseSensitive(payload, "start_time"), &r.start_us))
		return bad_value(sink, lineno, "jsonPayload.start_time", v, "an RFC 3339 time");
	if (!rfc3339(v = cJSON_GetObjectItemCaseSensitive(payload, "end_time"), &r.end_us))
		return bad_value(sink, lineno, "jsonPayload.end_time", v, "an RFC 3339 time");
	r.action = AL_FLOW_UNKNOWN_ACTION;
	v = cJSON_GetObjectItemCaseSensitive(payload, "reporter");
	if (cJSON_IsString(v)) {
		/* The reporting VM sent it (SRC) or received it (DEST); a
		 * gateway's side says nothing of the VPC's direction. */
		r.dir = !strcmp(v->valuestring, "SRC") ? AL_FLOW_EGRESS
			: !strcmp(v->valuestring, "DEST") ? AL_FLOW_INGRESS : AL_FLOW_DIR_UNKNOWN;
		snprintf(r.iface, sizeof(r.iface), "%s", reporter_name(payload, v->valuestring));
	}
	return sink->record(sink, &r);
}

static int gcp_feed(void *state, char *line, size_t len, unsigned long lineno, struct al_flowsink *sink)
{
	const char *p = line, *end = line + len;
	cJSON *root;
	int rc;

	(void)state;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* a UTF-8 byte order mark */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return 0; /* a blank line */
	if (!(root = cJSON_ParseWithLength(p, (size_t)(end - p))))
		return al_flowsink_bad(sink, lineno, "not valid JSON (expected a Cloud Logging entry, one a line)");
	rc = entry(root, lineno, sink);
	cJSON_Delete(root);
	return rc;
}

static void gcp_finish(void *state, struct al_flowsink *sink)
{
	(void)state;
	(void)sink;
}

static void gcp_destroy(void *state)
{
	(void)state;
}

const struct al_flowparser_ops al_flow_gcp_ops = {
	"gcp", false, gcp_create, gcp_feed, gcp_finish, gcp_destroy,
};
