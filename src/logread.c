/* Reading the query log: see logread.h.  Filters (logfilter.c) become a
 * WHERE clause whose values are all bound parameters; --client CIDR is
 * matched by an SQL function that uses addr.h's matcher, so --limit counts
 * matching rows only.  An address (who-resolved) or an exact client is
 * looked up in the slice index tables plus the unindexed tail of rows
 * after the last slice (docs/SCHEMA.md, "Slices"), in one statement, so
 * one snapshot. */
#include <arpa/inet.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "airlock/logread.h"
#include "airlock/querylog.h"

#define BUSY_MS 2000 /* how long a read waits for the writer's lock */
#define SLICES_SINCE 4 /* the schema version of the slice tables read here (3's are not) */

struct al_logread {
	sqlite3 *db;
	char *path;
	int version; /* below SLICES_SINCE: version 1's indexes, no slices */
};

/* ----- the connection ----- */

/* in_cidr(CIDR, IP): 1 when the address text IP is in CIDR.  The CIDR is
 * one bound parameter, parsed once per statement (auxdata). */
static void fn_in_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct al_cidr *cached = sqlite3_get_auxdata(ctx, 0);
	struct al_cidr cidr, *keep;
	const char *ip_text = (const char *)sqlite3_value_text(argv[1]);
	struct al_ip ip;

	(void)argc;
	if (cached) {
		cidr = *cached;
	} else {
		const char *text = (const char *)sqlite3_value_text(argv[0]);

		if (!text || al_cidr_parse(text, &cidr) < 0) {
			sqlite3_result_error(ctx, "in_cidr: not a CIDR", -1);
			return;
		}
		if ((keep = malloc(sizeof(*keep))) != NULL) {
			*keep = cidr;
			sqlite3_set_auxdata(ctx, 0, keep, free);
		}
	}
	sqlite3_result_int(ctx, ip_text && al_ip_parse(ip_text, &ip) == 0 &&
					al_cidr_contains(&cidr, &ip));
}

/* below_name(NAME, SUFFIX): 1 when NAME (presentation form, as logged) is
 * a name below SUFFIX: it ends in a dot that separates labels, then SUFFIX.
 * A dot escaped inside a label (evil\.example.com. is one label under
 * com.) is no separator: an odd run of backslashes before it escapes it. */
static void fn_below_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	const char *suffix = (const char *)sqlite3_value_text(argv[1]);
	size_t n, s, dot, k = 0;

	(void)argc;
	if (!name || !suffix || (n = strlen(name)) < (s = strlen(suffix)) + 2) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	dot = n - s - 1;
	if (name[dot] != '.' || memcmp(name + dot + 1, suffix, s) != 0) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	while (k < dot && name[dot - 1 - k] == '\\')
		k++;
	sqlite3_result_int(ctx, k % 2 == 0);
}

static int schema_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int al_logread_open(const char *path, struct al_logread **out, struct al_err *err)
{
	struct al_logread *lr;
	struct stat sb;
	int version = 0, rc;

	*out = NULL;
	if (stat(path, &sb) < 0 || (!S_ISDIR(sb.st_mode) && access(path, R_OK) < 0)) {
		rc = -errno;
		al_err_set(err, "%s: cannot open the query log: %s", path, strerror(errno));
		return rc;
	}
	if (S_ISDIR(sb.st_mode)) {
		al_err_set(err, "%s: is a directory (expected the query log file, log.path)", path);
		return -EISDIR;
	}
	if (!(lr = calloc(1, sizeof(*lr))) || !(lr->path = strdup(path))) {
		free(lr);
		return -ENOMEM;
	}
	/* One thread per connection: SQLite's own locking is not needed. */
	rc = sqlite3_open_v2(path, &lr->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(lr->db, BUSY_MS);
		rc = schema_version(lr->db, &version);
	}
	if (rc != SQLITE_OK) {
		al_err_set(err, "%s: cannot read the query log: %s", path,
			   lr->db ? sqlite3_errmsg(lr->db) : sqlite3_errstr(rc));
		al_logread_close(lr);
		return -EIO;
	}
	if (version == 0 || version > AL_QLOG_SCHEMA_VERSION) {
		if (version == 0)
			al_err_set(err, "%s: not an airlock query log (schema version 0: empty, or another program's database)",
				   path);
		else
			al_err_set(err, "%s: schema version %d is newer than this airlock knows (%d): use a newer airlock",
				   path, version, AL_QLOG_SCHEMA_VERSION);
		al_logread_close(lr);
		return -EIO;
	}
	if (sqlite3_create_function(lr->db, "in_cidr", 2,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    fn_in_cidr, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(lr->db, "below_name", 2,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    fn_below_name, NULL, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: %s", path, sqlite3_errmsg(lr->db));
		al_logread_close(lr);
		return -EIO;
	}
	lr->version = version;
	*out = lr;
	return 0;
}

void al_logread_close(struct al_logread *lr)
{
	if (!lr)
		return;
	sqlite3_close(lr->db);
	free(lr->path);
	free(lr);
}

/* ----- building the SQL ----- */

struct sql {
	char text[4096];
	size_t len;
	bool overflow;
	int nbind;
	struct {
		const char *text; /* NULL: integer */
		int64_t num;
	} bind[32];
};

static void add(struct sql *q, const char *s)
{
	size_t n = strlen(s);

	if (q->len + n >= sizeof(q->text)) {
		q->overflow = true;
		return;
	}
	memcpy(q->text + q->len, s, n + 1);
	q->len += n;
}

static void bind_num(struct sql *q, int64_t v)
{
	if (q->nbind == (int)(sizeof(q->bind) / sizeof(q->bind[0]))) {
		q->overflow = true;
		return;
	}
	q->bind[q->nbind].text = NULL;
	q->bind[q->nbind++].num = v;
}

static void bind_text(struct sql *q, const char *s)
{
	if (q->nbind == (int)(sizeof(q->bind) / sizeof(q->bind[0]))) {
		q->overflow = true;
		return;
	}
	q->bind[q->nbind++].text = s;
}

/* Column names for one kind: answers rows join queries as q. */
struct cols {
	const char *ts, *zone, *client, *name, *order;
};

static const struct cols cols_of[] = {
	[AL_LOGREAD_QUERIES] = { "ts_us", "zone", "client", "qname", "ts_us DESC, id DESC" },
	[AL_LOGREAD_INCIDENTS] = { "ts_us", "zone", "client", "name", "ts_us DESC, id DESC" },
	[AL_LOGREAD_ANSWERS] = { "q.ts_us", "q.zone", "q.client", "q.qname",
				 "q.ts_us DESC, q.id DESC, a.rowid DESC" },
};

static void cond(struct sql *q, const char *col, const char *op)
{
	add(q, " AND ");
	add(q, col);
	add(q, op);
}

/* The name and every name below it (both parameters: the suffix). */
static void name_cond(struct sql *q, const char *col, const char *suffix)
{
	if (!strcmp(suffix, ".")) {
		cond(q, col, " != ''");
		return;
	}
	add(q, " AND (");
	add(q, col);
	add(q, " = ? OR below_name(");
	add(q, col);
	add(q, ", ?))");
}

struct scratch {
	char client[AL_ADDRSTRLEN + 8];
};

/* The last id of the last slice: rows after it are the unindexed tail. */
#define TAIL_START "ifnull((SELECT last_id FROM log_slices ORDER BY slice DESC LIMIT 1), 0)"

/* The slices that can hold rows of the time window, by their first and
 * last ts_us. */
static void slices_in_window(struct sql *q, const struct al_logfilter *f)
{
	add(q, "slice IN (SELECT slice FROM log_slices WHERE 1");
	if (f->has_since) {
		add(q, " AND last_us >= ?");
		bind_num(q, f->since_us);
	}
	if (f->has_until) {
		add(q, " AND first_us < ?");
		bind_num(q, f->until_us);
	}
	if (f->has_at) {
		add(q, " AND first_us <= ?");
		bind_num(q, f->at_us);
	}
	add(q, ")");
}

/* The queries with an answer whose data is ip: the id lists of
 * answer_ids in the slices, then the tail. */
static void answer_ids(struct sql *q, const struct al_logfilter *f)
{
	add(q, " AND a.query_id IN (SELECT j.value FROM answer_ids x, json_each(x.ids) j WHERE x.");
	slices_in_window(q, f);
	add(q, " AND x.data = ? UNION ALL SELECT query_id FROM answers WHERE query_id > " TAIL_START
	       " AND data = ?)");
	bind_text(q, f->ip);
	bind_text(q, f->ip);
}

/* The queries of one client: the id lists of client_ids in the slices,
 * then the tail. */
static void client_ids(struct sql *q, const struct al_logfilter *f, const char *client)
{
	add(q, " AND id IN (SELECT j.value FROM client_ids x, json_each(x.ids) j WHERE x.");
	slices_in_window(q, f);
	add(q, " AND x.client = ?");
	bind_text(q, client);
	add(q, " UNION ALL SELECT id FROM queries WHERE id > " TAIL_START " AND client = ?)");
	bind_text(q, client);
}

static void build(struct sql *q, const struct al_logfilter *f, int version, struct scratch *s)
{
	const struct cols *c = &cols_of[f->kind];
	int full;

	if (f->limit)
		add(q, "SELECT * FROM (");
	switch (f->kind) {
	case AL_LOGREAD_QUERIES:
		add(q, "SELECT id, ts_us, client, client_port, zone, transport, qname, qtype, rcode,"
		       " action, reason, upstream, latency_us FROM queries WHERE 1");
		break;
	case AL_LOGREAD_INCIDENTS:
		add(q, "SELECT id, ts_us, severity, kind, zone, client, name, detail, query_id"
		       " FROM incidents WHERE 1");
		break;
	case AL_LOGREAD_ANSWERS:
		add(q, "SELECT q.id AS id, q.ts_us AS ts_us, q.client AS client, q.zone AS zone,"
		       " q.qname AS qname, a.name AS name, a.type AS type, a.ttl AS ttl, a.rowid AS rid"
		       " FROM answers a JOIN queries q ON q.id = a.query_id WHERE a.data = ?");
		bind_text(q, f->ip);
		if (version >= SLICES_SINCE)
			answer_ids(q, f);
		if (f->has_at) {
			cond(q, "q.ts_us", " <= ?");
			bind_num(q, f->at_us);
			add(q, " AND q.ts_us + a.ttl * 1000000 >= ?");
			bind_num(q, f->at_us);
		}
		break;
	}
	if (f->has_since) {
		cond(q, c->ts, " >= ?");
		bind_num(q, f->since_us);
	}
	if (f->has_until) {
		cond(q, c->ts, " < ?");
		bind_num(q, f->until_us);
	}
	if (f->zone[0]) {
		cond(q, c->zone, " = ?");
		bind_text(q, f->zone);
	}
	if (f->has_client) {
		full = f->client.ip.family == AF_INET ? 32 : 128;
		al_ip_format(&f->client.ip, s->client, sizeof(s->client));
		if (f->client.prefix == full) {
			cond(q, c->client, " = ?");
			bind_text(q, s->client);
			if (version >= SLICES_SINCE && f->kind == AL_LOGREAD_QUERIES)
				client_ids(q, f, s->client);
		} else {
			snprintf(s->client + strlen(s->client), sizeof(s->client) - strlen(s->client),
				 "/%d", f->client.prefix);
			add(q, " AND in_cidr(?, ");
			add(q, c->client);
			add(q, ")");
			bind_text(q, s->client);
		}
	}
	if (f->name[0]) {
		name_cond(q, c->name, f->name);
		if (strcmp(f->name, ".") != 0) {
			bind_text(q, f->name);
			bind_text(q, f->name);
		}
	}
	if (f->qtype >= 0) {
		cond(q, "qtype", " = ?");
		bind_num(q, f->qtype);
	}
	if (f->action[0]) {
		cond(q, "action", " = ?");
		bind_text(q, f->action);
	}
	if (f->severity[0]) {
		cond(q, "severity", " = ?");
		bind_text(q, f->severity);
	}
	if (f->kind_name[0]) {
		cond(q, "kind", " = ?");
		bind_text(q, f->kind_name);
	}
	if (f->limit) {
		/* The most recent rows, then turned round: oldest first. */
		add(q, " ORDER BY ");
		add(q, c->order);
		add(q, " LIMIT ?) ORDER BY ts_us, id");
		add(q, f->kind == AL_LOGREAD_ANSWERS ? ", rid" : "");
		bind_num(q, (int64_t)f->limit);
	} else {
		add(q, " ORDER BY ");
		add(q, f->kind == AL_LOGREAD_ANSWERS ? "q.ts_us, q.id, a.rowid" : "ts_us, id");
	}
}

/* ----- running it ----- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

struct answers {
	struct al_loganswer *v;
	size_t n, cap;
};

static void answers_clear(struct answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free((char *)a->v[i].name);
		free((char *)a->v[i].data);
	}
	a->n = 0;
}

/* The answer rows of one query, copied: the statement moves on. */
static int load_answers(struct al_logread *lr, sqlite3_stmt *st, int64_t query_id,
			struct answers *a, struct al_err *err)
{
	int rc;

	answers_clear(a);
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, query_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct al_loganswer *x;

		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 8;
			void *v = realloc(a->v, cap * sizeof(*a->v));

			if (!v)
				return al_err_set(err, "out of memory"), -ENOMEM;
			a->v = v;
			a->cap = cap;
		}
		x = &a->v[a->n];
		x->name = strdup(col_text(st, 0));
		x->type = sqlite3_column_int(st, 1);
		x->data = strdup(col_text(st, 2));
		x->ttl = sqlite3_column_int64(st, 3);
		a->n++;
		if (!x->name || !x->data)
			return al_err_set(err, "out of memory"), -ENOMEM;
	}
	if (rc != SQLITE_DONE)
		return al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db)), -EIO;
	return 0;
}

/* Hands the current row of st to the callback of its kind. */
static int emit(struct al_logread *lr, const struct al_logfilter *f, sqlite3_stmt *st,
		sqlite3_stmt *ans, struct answers *a, const struct al_logread_cb *cb,
		struct al_err *err)
{
	int rc;

	switch (f->kind) {
	case AL_LOGREAD_QUERIES: {
		struct al_logquery r;

		r.id = sqlite3_column_int64(st, 0);
		if ((rc = load_answers(lr, ans, r.id, a, err)) < 0)
			return rc;
		r.ts_us = sqlite3_column_int64(st, 1);
		r.client = col_text(st, 2);
		r.client_port = sqlite3_column_int(st, 3);
		r.zone = col_text(st, 4);
		r.transport = col_text(st, 5);
		r.qname = col_text(st, 6);
		r.qtype = sqlite3_column_int(st, 7);
		r.rcode = sqlite3_column_int(st, 8);
		r.action = col_text(st, 9);
		r.reason = col_text(st, 10);
		r.upstream = col_text(st, 11);
		r.latency_us = sqlite3_column_int64(st, 12);
		r.answers = a->v;
		r.nanswers = a->n;
		return cb->query ? cb->query(&r, cb->arg) : 0;
	}
	case AL_LOGREAD_INCIDENTS: {
		struct al_logincident r;

		r.id = sqlite3_column_int64(st, 0);
		r.ts_us = sqlite3_column_int64(st, 1);
		r.severity = col_text(st, 2);
		r.kind = col_text(st, 3);
		r.zone = col_text(st, 4);
		r.client = col_text(st, 5);
		r.name = col_text(st, 6);
		r.detail = col_text(st, 7);
		r.query_id = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 8);
		return cb->incident ? cb->incident(&r, cb->arg) : 0;
	}
	case AL_LOGREAD_ANSWERS: {
		struct al_logresolved r;

		r.query_id = sqlite3_column_int64(st, 0);
		r.ts_us = sqlite3_column_int64(st, 1);
		r.client = col_text(st, 2);
		r.zone = col_text(st, 3);
		r.qname = col_text(st, 4);
		r.name = col_text(st, 5);
		r.type = sqlite3_column_int(st, 6);
		r.ttl = sqlite3_column_int64(st, 7);
		return cb->resolved ? cb->resolved(&r, cb->arg) : 0;
	}
	}
	return 0;
}

static int prepare(struct al_logread *lr, const char *sql, sqlite3_stmt **st, struct al_err *err)
{
	if (sqlite3_prepare_v2(lr->db, sql, -1, st, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db));
		return -EIO;
	}
	return 0;
}

/* The statement for f, its values bound; prefix is "" or "EXPLAIN QUERY
 * PLAN ". */
static int compile(struct al_logread *lr, const struct al_logfilter *f, const char *prefix,
		   sqlite3_stmt **st, struct al_err *err)
{
	struct sql q;
	struct scratch s;
	int i, rc;

	*st = NULL;
	if (al_logfilter_check(f, err) < 0)
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	add(&q, prefix);
	build(&q, f, lr->version, &s);
	if (q.overflow) /* the buffers are sized for every filter at once */
		return al_err_set(err, "internal error: query too long"), -EIO;
	if ((rc = prepare(lr, q.text, st, err)) < 0)
		return rc;
	for (i = 0; i < q.nbind; i++) {
		if (q.bind[i].text)
			sqlite3_bind_text(*st, i + 1, q.bind[i].text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(*st, i + 1, q.bind[i].num);
	}
	return 0;
}

int al_logread_plan(struct al_logread *lr, const struct al_logfilter *f, char *out, size_t len,
		    struct al_err *err)
{
	sqlite3_stmt *st;
	size_t o = 0;
	int rc;

	if ((rc = compile(lr, f, "EXPLAIN QUERY PLAN ", &st, err)) < 0)
		return rc;
	if (len)
		out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, "%s\n",
					      (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db)), -EIO;
	return 0;
}

int al_logread_run(struct al_logread *lr, const struct al_logfilter *f,
		   const struct al_logread_cb *cb, struct al_err *err)
{
	struct answers a = { NULL, 0, 0 };
	sqlite3_stmt *st = NULL, *ans = NULL;
	int rc;

	if ((rc = compile(lr, f, "", &st, err)) < 0)
		goto out;
	if (f->kind == AL_LOGREAD_QUERIES &&
	    (rc = prepare(lr, "SELECT name, type, data, ttl FROM answers WHERE query_id = ? ORDER BY rowid",
			  &ans, err)) < 0)
		goto out;
	/* While st is being stepped, its read transaction holds one snapshot
	 * for the answers statement too. */
	for (;;) {
		int step = sqlite3_step(st);

		if (step == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (step != SQLITE_ROW) {
			al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db));
			rc = -EIO;
			break;
		}
		if ((rc = emit(lr, f, st, ans, &a, cb, err)) != 0)
			break;
	}
out:
	answers_clear(&a);
	free(a.v);
	sqlite3_finalize(ans);
	sqlite3_finalize(st);
	return rc;
}

int al_logread_seen(struct al_logread *lr,
		    int (*fn)(const char *domain, int64_t first_us, void *arg), void *arg,
		    struct al_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, version = 0, stop = 0;

	if (schema_version(lr->db, &version) != SQLITE_OK)
		return al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db)), -EIO;
	if (version < 2)
		return 0; /* before seen_domains */
	if ((rc = prepare(lr, "SELECT domain, first_seen_us FROM seen_domains ORDER BY domain", &st, err)) < 0)
		return rc;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), arg);
	if (!stop && rc != SQLITE_DONE)
		stop = (al_err_set(err, "%s: %s", lr->path, sqlite3_errmsg(lr->db)), -EIO);
	sqlite3_finalize(st);
	return stop;
}

/* ----- address answers in log order, for the flow monitor ----- */

struct al_logread_scan {
	struct al_logread *lr;
	sqlite3_stmt *q, *a; /* queries from an id on; their A/AAAA answers */
	int64_t since_us;
	int64_t next_id;     /* the first query not yet read */
};

/* The first query that may have been asked at since_us or later: the first
 * of the earliest slice that holds such a query, else the first of the
 * tail (a log before slices: the first such query by queries_ts). */
static int first_id(struct al_logread_scan *s, struct al_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = prepare(s->lr, s->lr->version >= SLICES_SINCE
		? "SELECT coalesce((SELECT min(first_id) FROM log_slices WHERE last_us >= ?1 AND last_id >= first_id),"
		  " (SELECT ifnull(max(last_id), 0) + 1 FROM log_slices))"
		: "SELECT coalesce((SELECT min(id) FROM queries WHERE ts_us >= ?1),"
		  " (SELECT ifnull(max(id), 0) + 1 FROM queries))", &st, err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, s->since_us);
	if (sqlite3_step(st) == SQLITE_ROW)
		s->next_id = sqlite3_column_int64(st, 0);
	else
		rc = (al_err_set(err, "%s: %s", s->lr->path, sqlite3_errmsg(s->lr->db)), -EIO);
	sqlite3_finalize(st);
	return rc;
}

int al_logread_scan_open(struct al_logread *lr, int64_t since_us, struct al_logread_scan **out,
			 struct al_err *err)
{
	struct al_logread_scan *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return al_err_set(err, "out of memory"), -ENOMEM;
	s->lr = lr;
	s->since_us = since_us;
	/* answers' rowids rise with query_id (the writer gives ids in order
	 * and writes each batch's answers in query order), so the answers of
	 * query X and later start at the first entry of answers_query from X on. */
	if ((rc = prepare(lr, "SELECT id, ts_us, client, zone, qname FROM queries WHERE id >= ? ORDER BY id",
			  &s->q, err)) < 0 ||
	    (rc = prepare(lr, "SELECT query_id, data, ttl FROM answers WHERE rowid >= "
			      "(SELECT rowid FROM answers WHERE query_id >= ?1 ORDER BY query_id LIMIT 1)"
			      " AND type IN (1, 28) ORDER BY rowid", &s->a, err)) < 0 ||
	    (rc = first_id(s, err)) < 0) {
		al_logread_scan_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void al_logread_scan_close(struct al_logread_scan *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->q);
	sqlite3_finalize(s->a);
	free(s);
}

/* Steps the answers statement: 1 with a row, 0 at the end, -1 on error. */
static int step_answer(sqlite3_stmt *a, int64_t *qid)
{
	int rc = sqlite3_step(a);

	if (rc == SQLITE_ROW) {
		*qid = sqlite3_column_int64(a, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

int al_logread_scan(struct al_logread_scan *s, int64_t until_us,
		    int (*fn)(const struct al_logaddr *a, void *arg), void *arg, struct al_err *err)
{
	struct al_logaddr a;
	int64_t qid = 0, stop_us = until_us > INT64_MAX - AL_LOGREAD_LATE_US ? INT64_MAX : until_us + AL_LOGREAD_LATE_US;
	int rc = SQLITE_DONE, ans, stop = 0;

	/* Both statements end with this call, so no read transaction is held
	 * between calls (it would keep the writer's checkpoints from
	 * finishing) and each call sees what was written meanwhile. */
	sqlite3_bind_int64(s->q, 1, s->next_id);
	sqlite3_bind_int64(s->a, 1, s->next_id);
	ans = step_answer(s->a, &qid);
	while (!stop && ans >= 0 && (rc = sqlite3_step(s->q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s->q, 0);

		a.ts_us = sqlite3_column_int64(s->q, 1);
		s->next_id = id + 1;
		while (ans > 0 && qid < id)
			ans = step_answer(s->a, &qid);
		if (a.ts_us >= s->since_us && ans > 0 && qid == id) {
			a.client = (const char *)sqlite3_column_text(s->q, 2);
			a.zone = (const char *)sqlite3_column_text(s->q, 3);
			a.qname = (const char *)sqlite3_column_text(s->q, 4);
			a.query_id = id;
			do {
				a.data = (const char *)sqlite3_column_text(s->a, 1);
				a.ttl = sqlite3_column_int64(s->a, 2);
				stop = fn(&a, arg);
			} while (!stop && (ans = step_answer(s->a, &qid)) > 0 && qid == id);
		}
		if (a.ts_us >= stop_us)
			break;
	}
	if (!stop && (ans < 0 || (rc != SQLITE_ROW && rc != SQLITE_DONE)))
		stop = (al_err_set(err, "%s: %s", s->lr->path, sqlite3_errmsg(s->lr->db)), -EIO);
	sqlite3_reset(s->q);
	sqlite3_reset(s->a);
	return stop;
}
