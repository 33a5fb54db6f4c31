/* The rows of one batch of the query log, in one transaction: each
 * query's row, its answers and incidents, first sightings and gap rows.
 * querylog.c's writer thread calls it (querylog_int.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/msg.h"
#include "airlock/querylog.h"
#include "airlock/rowbuf.h"
#include "querylog_int.h"


/* The writer's statements, prepared once per connection. */
enum { INS_INCIDENT, INS_GAP, INS_SEEN, NSTMTS };

static const char *const stmt_sql[NSTMTS] = {
	[INS_INCIDENT] = "INSERT INTO incidents (ts_us, severity, kind, zone, client, name, detail,"
			 " query_id) VALUES (?,?,?,?,?,?,?,?)",
	[INS_GAP] = "INSERT INTO log_gaps (ts_us, first_lost_us, last_lost_us, rows_lost, cause)"
		    " VALUES (?,?,?,?,?)",
	[INS_SEEN] = "INSERT INTO seen_domains (domain, first_seen_us) VALUES (?,?)"
		     " ON CONFLICT(domain) DO UPDATE SET first_seen_us ="
		     " min(first_seen_us, excluded.first_seen_us)",
};

struct qlog_rows {
	sqlite3 *db;
	struct qlog_store *store; /* told each row's keys, for the slices */
	sqlite3_stmt *sql[NSTMTS];
	struct al_rowbuf *query_rows, *answer_rows;
};

const char *al_action_name(enum al_action a)
{
	static const char *const names[] = { "cache", "upstream", "local", "blocked", "refused", "failed" };

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

const char *al_severity_name(enum al_severity s)
{
	static const char *const names[] = { "info", "warning", "high", "critical" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* One answer row per A, AAAA and CNAME record of the answer section. */
struct answer_ctx {
	struct qlog_rows *w;
	sqlite3_int64 query_id;
	int rc;
};

static int add_answer(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct answer_ctx *a = arg;
	struct al_rowbuf *rb = a->w->answer_rows;
	uint8_t wire[AL_MAX_NAME];
	char name[AL_MAX_NAME_TEXT], data[AL_MAX_NAME_TEXT];
	size_t off = rr->owner_off;
	size_t len = rr->rdata_off + rr->rdlen;

	if (rr->section != 1)
		return 1; /* past the answer section: done */
	if (rr->type == AL_TYPE_A && rr->rdlen == 4) {
		struct al_ip ip = { .family = AF_INET };
		memcpy(ip.bytes, pkt + rr->rdata_off, 4);
		al_ip_format(&ip, data, sizeof(data));
	} else if (rr->type == AL_TYPE_AAAA && rr->rdlen == 16)
		inet_ntop(AF_INET6, pkt + rr->rdata_off, data, sizeof(data));
	else if (rr->type == AL_TYPE_CNAME) {
		size_t roff = rr->rdata_off;
		if (al_msg_read_name(pkt, len, &roff, wire) < 0 ||
		    al_msg_name_to_text(wire, data, sizeof(data)) < 0)
			return 0;
	} else
		return 0;
	if (al_msg_read_name(pkt, len, &off, wire) < 0 ||
	    al_msg_name_to_text(wire, name, sizeof(name)) < 0)
		return 0;
	if (rr->type != AL_TYPE_CNAME) /* addresses only: what lookups by address need */
		qlog_store_post(a->w->store, QLOG_ANSWER, data, a->query_id);
	al_rowbuf_int(rb, a->query_id);
	al_rowbuf_text(rb, name);
	al_rowbuf_int(rb, rr->type);
	al_rowbuf_text(rb, data);
	al_rowbuf_int(rb, rr->ttl);
	a->rc = al_rowbuf_end(rb);
	return a->rc ? -1 : 0;
}

static int write_incident(struct qlog_rows *w, const struct al_logrec *r,
			  const struct al_incident *inc, const char *client, const char *qname,
			  sqlite3_int64 query_id)
{
	sqlite3_stmt *st = w->sql[INS_INCIDENT];

	sqlite3_bind_int64(st, 1, r->time_us);
	sqlite3_bind_text(st, 2, al_severity_name(inc->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, inc->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, inc->detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, query_id);
	return qlog_run(st);
}

/* A record's addresses and name as the rows hold them. */
struct rec_text {
	char client[AL_ADDRSTRLEN], upstream[AL_ADDRSTRLEN], qname[AL_MAX_NAME_TEXT];
};

/* Every text of a row fits the rowbuf's room for one row: nothing is cut. */
_Static_assert(2 * (AL_MAX_NAME_TEXT - 1) < AL_ROWBUF_TEXT, "an answers row's name and data");
_Static_assert(sizeof(struct rec_text) + sizeof(((struct al_logrec *)0)->zone) +
		       sizeof(((struct al_logrec *)0)->reason) + 16 < AL_ROWBUF_TEXT,
	       "a queries row's texts");

static void rec_text(const struct al_logrec *r, struct rec_text *t)
{
	struct al_ip ip;

	if (al_ip_from_sockaddr((const struct sockaddr *)&r->client, &ip) < 0)
		memset(&ip, 0, sizeof(ip));
	al_ip_format(&ip, t->client, sizeof(t->client));
	t->upstream[0] = '\0';
	if (r->upstream.ss_family != AF_UNSPEC)
		al_sockaddr_format((const struct sockaddr *)&r->upstream, t->upstream, sizeof(t->upstream));
	t->qname[0] = '\0';
	if (r->qname_len && al_msg_name_to_text(r->qname, t->qname, sizeof(t->qname)) < 0)
		t->qname[0] = '\0';
}

static int write_query(struct qlog_rows *w, const struct al_logrec *r, int64_t id)
{
	struct al_rowbuf *rb = w->query_rows;
	struct rec_text t;

	rec_text(r, &t);
	qlog_store_post(w->store, QLOG_QNAME, t.qname, id);
	qlog_store_post(w->store, QLOG_CLIENT, t.client, id);
	al_rowbuf_int(rb, id);
	al_rowbuf_int(rb, r->time_us);
	al_rowbuf_text(rb, t.client);
	al_rowbuf_int(rb, al_sockaddr_port((const struct sockaddr *)&r->client));
	al_rowbuf_text(rb, r->zone);
	al_rowbuf_text(rb, r->tcp ? "tcp" : "udp");
	al_rowbuf_text(rb, t.qname);
	al_rowbuf_int(rb, r->qtype);
	al_rowbuf_int(rb, r->rcode);
	al_rowbuf_text(rb, al_action_name(r->action));
	al_rowbuf_text(rb, r->reason);
	al_rowbuf_text(rb, t.upstream);
	al_rowbuf_int(rb, r->latency_us);
	return al_rowbuf_end(rb);
}

static int write_answers(struct qlog_rows *w, const struct al_logrec *r, int64_t id)
{
	struct answer_ctx a = { w, id, 0 };

	if (r->reply)
		al_msg_walk(r->reply, r->reply_len, add_answer, &a); /* malformed: no rows */
	return a.rc;
}

static int write_incidents(struct qlog_rows *w, const struct al_logrec *r, int64_t id)
{
	const struct al_incident *inc;
	struct rec_text t;
	int rc = 0;

	if (!r->incident)
		return 0;
	rec_text(r, &t);
	for (inc = r->incident; rc == 0 && inc; inc = inc->next)
		rc = write_incident(w, r, inc, t.client, t.qname, id);
	return rc;
}

static int write_gap(struct qlog_rows *w, const struct gap *g, const char *cause, int64_t now_us)
{
	sqlite3_stmt *st = w->sql[INS_GAP];

	sqlite3_bind_int64(st, 1, now_us);
	sqlite3_bind_int64(st, 2, g->first_us);
	sqlite3_bind_int64(st, 3, g->last_us);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)g->rows);
	sqlite3_bind_text(st, 5, cause, -1, SQLITE_STATIC);
	return qlog_run(st);
}

static int write_seen(struct qlog_rows *w, const struct seen_rec *s)
{
	sqlite3_stmt *st = w->sql[INS_SEEN];

	sqlite3_bind_text(st, 1, s->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->first_us);
	return qlog_run(st);
}

/* One transaction: the records, the first sightings, then a gap row per
 * cause of loss. */
int qlog_rows_write(struct qlog_rows *w, const struct al_logrec *recs, size_t n,
		    const struct seen_rec *seen, size_t nseen, const struct gap *gaps,
		    const char *const *causes, size_t ncauses, int64_t now_us, struct al_err *err)
{
	int64_t id = 0; /* the first record's queries.id */
	size_t i, c;
	int rc = sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;

	if (rc == 0 && n)
		rc = qlog_store_next_id(w->store, &id);
	/* A table at a time: each query's row is in before its answers and
	 * incidents, which point at it. */
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_query(w, &recs[i], id + (int64_t)i);
	if (rc == 0)
		rc = al_rowbuf_flush(w->query_rows);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_answers(w, &recs[i], id + (int64_t)i);
	if (rc == 0)
		rc = al_rowbuf_flush(w->answer_rows);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_incidents(w, &recs[i], id + (int64_t)i);
	for (i = 0; rc == 0 && i < nseen; i++)
		rc = write_seen(w, &seen[i]);
	for (c = 0; rc == 0 && c < ncauses; c++)
		if (gaps[c].rows)
			rc = write_gap(w, &gaps[c], causes[c], now_us);
	if (rc == 0 && sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	qlog_store_batch_end(w->store, id, n, rc == 0);
	if (rc < 0) {
		al_err_set(err, "%s", sqlite3_errmsg(w->db));
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		al_rowbuf_clear(w->query_rows);
		al_rowbuf_clear(w->answer_rows);
	}
	return rc;
}

struct qlog_rows *qlog_rows_new(sqlite3 *db, struct qlog_store *store, struct al_err *err)
{
	struct qlog_rows *w = calloc(1, sizeof(*w));
	size_t k;

	if (!w) {
		al_err_set(err, "out of memory");
		return NULL;
	}
	w->db = db;
	w->store = store;
	for (k = 0; k < NSTMTS; k++)
		if (sqlite3_prepare_v2(db, stmt_sql[k], -1, &w->sql[k], NULL) != SQLITE_OK) {
			al_err_set(err, "%s", sqlite3_errmsg(db));
			qlog_rows_free(w);
			return NULL;
		}
	w->query_rows = al_rowbuf_new(db, "queries", "id, ts_us, client, client_port, zone,"
				      " transport, qname, qtype, rcode, action, reason, upstream, latency_us",
				      13, err);
	if (w->query_rows)
		w->answer_rows = al_rowbuf_new(db, "answers", "query_id, name, type, data, ttl", 5, err);
	if (!w->answer_rows) {
		qlog_rows_free(w);
		return NULL;
	}
	return w;
}

void qlog_rows_free(struct qlog_rows *w)
{
	size_t k;

	if (!w)
		return;
	for (k = 0; k < NSTMTS; k++)
		sqlite3_finalize(w->sql[k]);
	al_rowbuf_free(w->query_rows);
	al_rowbuf_free(w->answer_rows);
	free(w);
}
