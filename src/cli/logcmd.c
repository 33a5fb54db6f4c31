/* `airlock log`, `airlock incidents`, `airlock who-resolved`: the query
 * log's rows as a table for people (times to the millisecond, latency in
 * ms), or as JSON lines or CSV for programs (microseconds). */
#include <errno.h>
#include <inttypes.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/msg.h"
#include "cli.h"

struct run {
	const struct cli_logargs *args;
	struct cli_out *out;
};

static const char *type_name(int type, char *buf, size_t len)
{
	char *s = ldns_rr_type2str((ldns_rr_type)type);

	/* ldns writes an unknown type as "TYPE123": show the number. */
	if (s && strncmp(s, "TYPE", 4) != 0)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%d", type);
	free(s);
	return buf;
}

static const char *num(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/* Integers as written, not through a double: cJSON would print
 * 1795514400000000 as 1.7955144e+15. */
static bool add_int(cJSON *obj, const char *key, int64_t v)
{
	char buf[24];

	return cJSON_AddRawToObject(obj, key, num(v, buf, sizeof(buf))) != NULL;
}

static bool add_str(cJSON *obj, const char *key, const char *v)
{
	return cJSON_AddStringToObject(obj, key, v) != NULL;
}

static bool add_time(cJSON *obj, int64_t ts_us)
{
	char t[AL_LOGTIME_LEN];

	return add_str(obj, "time", al_logtime_format(ts_us, 6, t, sizeof(t))) &&
	       add_int(obj, "ts_us", ts_us);
}

static int print_json(struct run *r, cJSON *obj, bool ok)
{
	int rc = ok ? cli_out_json(r->out, obj) : -ENOMEM;

	cJSON_Delete(obj);
	return rc;
}

/* ----- airlock log ----- */

static const struct cli_col query_cols[] = {
	{ "time", false }, { "client", false }, { "port", true }, { "zone", false },
	{ "proto", false }, { "name", false }, { "type", false }, { "rcode", false },
	{ "action", false }, { "reason", false }, { "upstream", false },
	{ "latency_ms", true }, { "answers", false },
};
#define NQUERY_COLS (sizeof(query_cols) / sizeof(query_cols[0]))

static int query_json(struct run *r, const struct al_logquery *q)
{
	cJSON *obj = cJSON_CreateObject(), *answers, *a;
	bool ok = obj != NULL;
	size_t i;

	ok = ok && add_int(obj, "id", q->id) && add_time(obj, q->ts_us) &&
	     add_str(obj, "client", q->client) && add_int(obj, "client_port", q->client_port) &&
	     add_str(obj, "zone", q->zone) && add_str(obj, "transport", q->transport) &&
	     add_str(obj, "qname", q->qname) && add_int(obj, "qtype", q->qtype) &&
	     add_int(obj, "rcode", q->rcode) && add_str(obj, "action", q->action) &&
	     add_str(obj, "reason", q->reason) && add_str(obj, "upstream", q->upstream) &&
	     add_int(obj, "latency_us", q->latency_us) &&
	     (answers = cJSON_AddArrayToObject(obj, "answers")) != NULL;
	for (i = 0; ok && i < q->nanswers; i++) {
		ok = (a = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(answers, a) &&
		     add_str(a, "name", q->answers[i].name) && add_int(a, "type", q->answers[i].type) &&
		     add_str(a, "data", q->answers[i].data) && add_int(a, "ttl", q->answers[i].ttl);
	}
	return print_json(r, obj, ok);
}

/* The answers' data joined by spaces, in reply order. */
static char *join_answers(const struct al_logquery *q)
{
	size_t len = 1, i, o = 0;
	char *s;

	for (i = 0; i < q->nanswers; i++)
		len += strlen(q->answers[i].data) + 1;
	if (!(s = malloc(len)))
		return NULL;
	s[0] = '\0';
	for (i = 0; i < q->nanswers; i++)
		o += (size_t)snprintf(s + o, len - o, "%s%s", i ? " " : "", q->answers[i].data);
	return s;
}

static int query_row(const struct al_logquery *q, void *arg)
{
	struct run *r = arg;
	bool table = r->args->fmt == CLI_TABLE;
	char time[AL_LOGTIME_LEN], port[24], type[16], rcode[16], latency[32];
	const char *cells[NQUERY_COLS];
	char *answers;
	int rc;

	if (r->args->fmt == CLI_JSON)
		return query_json(r, q);
	if (!(answers = join_answers(q)))
		return -ENOMEM;
	if (table)
		snprintf(latency, sizeof(latency), "%" PRId64 ".%03d", q->latency_us / 1000,
			 (int)(q->latency_us % 1000));
	else
		num(q->latency_us, latency, sizeof(latency));
	cells[0] = al_logtime_format(q->ts_us, table ? 3 : 6, time, sizeof(time));
	cells[1] = q->client;
	cells[2] = num(q->client_port, port, sizeof(port));
	cells[3] = q->zone;
	cells[4] = q->transport;
	cells[5] = q->qname;
	cells[6] = type_name(q->qtype, type, sizeof(type));
	cells[7] = al_msg_rcode_text(q->rcode, rcode, sizeof(rcode));
	cells[8] = q->action;
	cells[9] = q->reason;
	cells[10] = q->upstream;
	cells[11] = latency;
	cells[12] = answers;
	rc = cli_out_row(r->out, cells);
	free(answers);
	return rc;
}

/* ----- airlock incidents ----- */

static const struct cli_col incident_cols[] = {
	{ "time", false }, { "severity", false }, { "kind", false }, { "zone", false },
	{ "client", false }, { "name", false }, { "detail", false }, { "query_id", true },
};
#define NINCIDENT_COLS (sizeof(incident_cols) / sizeof(incident_cols[0]))

static int incident_json(struct run *r, const struct al_logincident *in)
{
	cJSON *obj = cJSON_CreateObject(), *detail;
	bool ok = obj != NULL;

	ok = ok && add_int(obj, "id", in->id) && add_time(obj, in->ts_us) &&
	     add_str(obj, "severity", in->severity) && add_str(obj, "kind", in->kind) &&
	     add_str(obj, "zone", in->zone) && add_str(obj, "client", in->client) &&
	     add_str(obj, "name", in->name);
	/* A detector may write its detail as JSON: embed it as such. */
	if (ok && (detail = cJSON_ParseWithOpts(in->detail, NULL, 1)) != NULL)
		ok = cJSON_AddItemToObject(obj, "detail", detail);
	else
		ok = ok && add_str(obj, "detail", in->detail);
	if (ok)
		ok = in->query_id < 0 ? cJSON_AddNullToObject(obj, "query_id") != NULL
				      : add_int(obj, "query_id", in->query_id);
	return print_json(r, obj, ok);
}

static int incident_row(const struct al_logincident *in, void *arg)
{
	struct run *r = arg;
	char time[AL_LOGTIME_LEN], qid[24] = "";
	const char *cells[NINCIDENT_COLS];

	if (r->args->fmt == CLI_JSON)
		return incident_json(r, in);
	if (in->query_id >= 0)
		num(in->query_id, qid, sizeof(qid));
	cells[0] = al_logtime_format(in->ts_us, r->args->fmt == CLI_TABLE ? 3 : 6, time,
				     sizeof(time));
	cells[1] = in->severity;
	cells[2] = in->kind;
	cells[3] = in->zone;
	cells[4] = in->client;
	cells[5] = in->name;
	cells[6] = in->detail;
	cells[7] = qid;
	return cli_out_row(r->out, cells);
}

/* ----- airlock who-resolved ----- */

static const struct cli_col resolved_cols[] = {
	{ "time", false }, { "client", false }, { "zone", false }, { "qname", false },
	{ "name", false }, { "ttl", true }, { "query_id", true },
};
#define NRESOLVED_COLS (sizeof(resolved_cols) / sizeof(resolved_cols[0]))

static int resolved_row(const struct al_logresolved *a, void *arg)
{
	struct run *r = arg;
	char time[AL_LOGTIME_LEN], ttl[24], qid[24];
	const char *cells[NRESOLVED_COLS];

	if (r->args->fmt == CLI_JSON) {
		cJSON *obj = cJSON_CreateObject();
		bool ok = obj && add_int(obj, "query_id", a->query_id) && add_time(obj, a->ts_us) &&
			  add_str(obj, "client", a->client) && add_str(obj, "zone", a->zone) &&
			  add_str(obj, "qname", a->qname) && add_str(obj, "name", a->name) &&
			  add_int(obj, "type", a->type) && add_int(obj, "ttl", a->ttl);

		return print_json(r, obj, ok);
	}
	cells[0] = al_logtime_format(a->ts_us, r->args->fmt == CLI_TABLE ? 3 : 6, time,
				     sizeof(time));
	cells[1] = a->client;
	cells[2] = a->zone;
	cells[3] = a->qname;
	cells[4] = a->name;
	cells[5] = num(a->ttl, ttl, sizeof(ttl));
	cells[6] = num(a->query_id, qid, sizeof(qid));
	return cli_out_row(r->out, cells);
}

/* ----- the three commands ----- */

static int run(const char *cmd, enum al_logread_kind kind, int argc, char **argv)
{
	static const struct {
		const struct cli_col *cols;
		size_t ncols;
	} layout[] = {
		[AL_LOGREAD_QUERIES] = { query_cols, NQUERY_COLS },
		[AL_LOGREAD_INCIDENTS] = { incident_cols, NINCIDENT_COLS },
		[AL_LOGREAD_ANSWERS] = { resolved_cols, NRESOLVED_COLS },
	};
	struct cli_col csv_cols[NQUERY_COLS];
	const struct cli_col *cols = layout[kind].cols;
	struct cli_logargs args;
	struct al_logread *lr = NULL;
	struct run r = { &args, NULL };
	struct al_logread_cb cb = { query_row, incident_row, resolved_row, &r };
	struct al_err err;
	int rc;

	if (!cli_logargs_parse(&args, cmd, kind, argc, argv, &rc))
		return rc;
	if (kind == AL_LOGREAD_QUERIES && args.fmt == CLI_CSV) {
		/* CSV has the latency in microseconds, as JSON. */
		memcpy(csv_cols, query_cols, sizeof(csv_cols));
		csv_cols[11].name = "latency_us";
		cols = csv_cols;
	}
	if ((rc = cli_logargs_open(&args, &lr)) != 0)
		return rc;
	if (!(r.out = cli_out_new(args.fmt, cols, layout[kind].ncols, stdout))) {
		al_logread_close(lr);
		fprintf(stderr, "airlock %s: out of memory\n", cmd);
		return 1;
	}
	rc = al_logread_run(lr, &args.filter, &cb, &err);
	if (rc == -ENOMEM)
		snprintf(err.msg, sizeof(err.msg), "out of memory");
	if (rc == 0 && cli_out_end(r.out) < 0) {
		rc = -EIO;
		snprintf(err.msg, sizeof(err.msg), "writing the output failed");
	}
	if (rc != 0)
		fprintf(stderr, "airlock %s: %s\n", cmd, err.msg);
	cli_out_free(r.out);
	al_logread_close(lr);
	return rc == 0 ? 0 : rc == -EINVAL ? 2 : 1;
}

int cli_log(int argc, char **argv)
{
	return run("log", AL_LOGREAD_QUERIES, argc, argv);
}

int cli_incidents(int argc, char **argv)
{
	return run("incidents", AL_LOGREAD_INCIDENTS, argc, argv);
}

int cli_who_resolved(int argc, char **argv)
{
	return run("who-resolved", AL_LOGREAD_ANSWERS, argc, argv);
}
