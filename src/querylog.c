/* The SQLite query log: see querylog.h.  The writer thread alone touches
 * the database; submitters only take the mutex to copy a record in. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/log.h"
#include "airlock/msg.h"
#include "airlock/querylog.h"

#define TAKE_MAX 1024 /* records moved out of the queue per lock */
#define PRUNE_ROWS 1000 /* rows deleted per retention step ... */
#define PRUNE_STEPS 8   /* ... and steps per writer wake-up, so it never stalls */

/* migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[] = {
	"CREATE TABLE queries ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL,"
	" client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL,"
	" qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL,"
	" action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL,"
	" latency_us INTEGER NOT NULL);"
	"CREATE INDEX queries_ts ON queries(ts_us);"
	"CREATE INDEX queries_client_ts ON queries(client, ts_us);"
	"CREATE INDEX queries_qname ON queries(qname);"
	"CREATE TABLE answers ("
	" query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);"
	"CREATE INDEX answers_data ON answers(data);"
	"CREATE INDEX answers_query ON answers(query_id);"
	"CREATE TABLE incidents ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL,"
	" kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);"
	"CREATE INDEX incidents_ts ON incidents(ts_us);"
	"CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);"
	"CREATE TABLE log_gaps ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL,"
	" last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);",
};

struct gap {
	uint64_t rows;
	int64_t first_us, last_us;
};

struct al_qlog {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *ins_query, *ins_answer, *ins_gap, *prune;
	struct al_qlog_opts opts;
	pthread_t thread;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t wake;
	struct al_logrec *ring;
	size_t head, count;
	int stopping;
	int writer_waiting;
	struct gap dropped; /* queue overflow not yet written as a gap row */
	struct al_qlog_stats st;
};

const char *al_action_name(enum al_action a)
{
	static const char *const names[] = { "cache", "upstream", "local", "blocked", "refused", "failed" };

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void gap_add(struct gap *g, uint64_t rows, int64_t first_us, int64_t last_us)
{
	if (!g->rows || first_us < g->first_us)
		g->first_us = first_us;
	if (!g->rows || last_us > g->last_us)
		g->last_us = last_us;
	g->rows += rows;
}

static int exec(sqlite3 *db, const char *sql, struct al_err *err, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	al_err_set(err, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -EIO;
}

int al_qlog_migrate(sqlite3 *db, struct al_err *err)
{
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	sqlite3_stmt *st;
	char sql[64];
	int version = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0)
		return al_err_set(err, "cannot read the schema version: %s", sqlite3_errmsg(db)), -EIO;
	if (version > latest)
		return al_err_set(err, "schema version %d is newer than this airlock knows (%d): use a newer airlock or another file",
				  version, latest), -EIO;
	for (; version < latest; version++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (exec(db, "BEGIN IMMEDIATE", err, "migration") < 0)
			return -EIO;
		if (exec(db, migrations[version], err, "migration") < 0 ||
		    exec(db, sql, err, "migration") < 0 || exec(db, "COMMIT", err, "migration") < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
	}
	return 0;
}

/* One answer row per A, AAAA and CNAME record of the answer section. */
struct answer_ctx {
	struct al_qlog *log;
	sqlite3_int64 query_id;
	int rc;
};

static int add_answer(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct answer_ctx *a = arg;
	sqlite3_stmt *st = a->log->ins_answer;
	uint8_t wire[AL_MAX_NAME];
	char name[1024], data[1024];
	size_t off = rr->owner_off;
	size_t len = rr->rdata_off + rr->rdlen;

	if (rr->section != 1)
		return 1; /* past the answer section: done */
	if (rr->type == AL_TYPE_A && rr->rdlen == 4)
		inet_ntop(AF_INET, pkt + rr->rdata_off, data, sizeof(data));
	else if (rr->type == AL_TYPE_AAAA && rr->rdlen == 16)
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
	sqlite3_bind_int64(st, 1, a->query_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, rr->type);
	sqlite3_bind_text(st, 4, data, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, rr->ttl);
	if (sqlite3_step(st) != SQLITE_DONE)
		a->rc = -EIO;
	sqlite3_reset(st);
	return a->rc ? -1 : 0;
}

static int write_record(struct al_qlog *log, const struct al_logrec *r)
{
	sqlite3_stmt *st = log->ins_query;
	const struct sockaddr *peer = (const struct sockaddr *)&r->client;
	char client[AL_ADDRSTRLEN], upstream[AL_ADDRSTRLEN] = "", qname[1024] = "";
	struct answer_ctx a = { log, 0, 0 };
	struct al_ip ip;
	int rc;

	if (al_ip_from_sockaddr(peer, &ip) < 0)
		memset(&ip, 0, sizeof(ip));
	al_ip_format(&ip, client, sizeof(client));
	if (r->upstream.ss_family != AF_UNSPEC)
		al_sockaddr_format((const struct sockaddr *)&r->upstream, upstream, sizeof(upstream));
	if (r->qname_len && al_msg_name_to_text(r->qname, qname, sizeof(qname)) < 0)
		qname[0] = '\0';
	sqlite3_bind_int64(st, 1, r->time_us);
	sqlite3_bind_text(st, 2, client, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, al_sockaddr_port(peer));
	sqlite3_bind_text(st, 4, r->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->tcp ? "tcp" : "udp", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, qname, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, r->qtype);
	sqlite3_bind_int(st, 8, r->rcode);
	sqlite3_bind_text(st, 9, al_action_name(r->action), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, upstream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, r->latency_us);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (r->reply) {
		a.query_id = sqlite3_last_insert_rowid(log->db);
		al_msg_walk(r->reply, r->reply_len, add_answer, &a); /* malformed: no rows */
	}
	return a.rc;
}

static int write_gap(struct al_qlog *log, const struct gap *g, const char *cause)
{
	sqlite3_stmt *st = log->ins_gap;
	int rc;

	sqlite3_bind_int64(st, 1, now_us());
	sqlite3_bind_int64(st, 2, g->first_us);
	sqlite3_bind_int64(st, 3, g->last_us);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)g->rows);
	sqlite3_bind_text(st, 5, cause, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* One transaction: the records taken, then any gap rows.  On failure the
 * batch is lost and becomes part of the database-error gap, written when
 * the database works again. */
static void write_batch(struct al_qlog *log, struct al_logrec *recs, size_t n,
			struct gap *overflow, struct gap *failed, int *failing)
{
	size_t i;
	int rc = sqlite3_exec(log->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;

	for (i = 0; rc == 0 && i < n; i++)
		rc = write_record(log, &recs[i]);
	if (rc == 0 && overflow->rows)
		rc = write_gap(log, overflow, "queue full");
	if (rc == 0 && failed->rows)
		rc = write_gap(log, failed, "database error");
	if (rc == 0 && sqlite3_exec(log->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	pthread_mutex_lock(&log->mu);
	if (rc == 0) {
		log->st.written += n;
		log->st.gap_rows += (overflow->rows != 0) + (failed->rows != 0);
		memset(overflow, 0, sizeof(*overflow));
		memset(failed, 0, sizeof(*failed));
	} else {
		log->st.write_errors++;
	}
	pthread_mutex_unlock(&log->mu);
	if (rc == 0) {
		if (*failing)
			al_info("query log %s: writing again; the lost rows are recorded in log_gaps",
				log->path);
		*failing = 0;
		return;
	}
	if (!*failing)
		al_err("query log %s: cannot write (%s): rows are lost until it works again, then counted in log_gaps",
		       log->path, sqlite3_errmsg(log->db));
	*failing = 1;
	sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
	if (n)
		gap_add(failed, n, recs[0].time_us, recs[n - 1].time_us);
}

/* Retention: deletes the oldest expired queries (their answers follow by
 * ON DELETE CASCADE) in small transactions between batches. */
static void prune_step(struct al_qlog *log)
{
	int64_t cutoff = now_us() - (int64_t)log->opts.retention_days * 86400 * 1000000;
	int i, n = PRUNE_ROWS;

	for (i = 0; i < PRUNE_STEPS && n == PRUNE_ROWS; i++) {
		sqlite3_bind_int64(log->prune, 1, cutoff);
		n = sqlite3_step(log->prune) == SQLITE_DONE ? sqlite3_changes(log->db) : 0;
		sqlite3_reset(log->prune);
		pthread_mutex_lock(&log->mu);
		log->st.pruned += (uint64_t)n;
		pthread_mutex_unlock(&log->mu);
	}
}

static void *writer(void *arg)
{
	struct al_qlog *log = arg;
	struct al_logrec *recs = calloc(TAKE_MAX, sizeof(*recs));
	struct gap overflow = { 0 }, failed = { 0 };
	int failing = 0, stop = 0;
	size_t n, i;

	if (!recs) {
		al_err("query log %s: out of memory in the writer", log->path);
		return NULL;
	}
	while (!stop) {
		struct timespec until;

		pthread_mutex_lock(&log->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)(log->opts.batch_ms % 1000) * 1000000;
		until.tv_sec += log->opts.batch_ms / 1000 + until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		while (!log->stopping && log->count < log->opts.batch_rows) {
			log->writer_waiting = 1;
			if (pthread_cond_timedwait(&log->wake, &log->mu, &until) == ETIMEDOUT)
				break;
		}
		log->writer_waiting = 0;
		n = log->count < TAKE_MAX ? log->count : TAKE_MAX;
		for (i = 0; i < n; i++)
			recs[i] = log->ring[(log->head + i) % log->opts.queue_len];
		log->head = (log->head + n) % log->opts.queue_len;
		log->count -= n;
		if (log->dropped.rows) {
			gap_add(&overflow, log->dropped.rows, log->dropped.first_us, log->dropped.last_us);
			memset(&log->dropped, 0, sizeof(log->dropped));
		}
		stop = log->stopping && log->count == 0;
		pthread_mutex_unlock(&log->mu);

		if (n || overflow.rows || failed.rows)
			write_batch(log, recs, n, &overflow, &failed, &failing);
		if (log->opts.retention_days && !failing)
			prune_step(log);
		for (i = 0; i < n; i++)
			free(recs[i].reply);
	}
	if (overflow.rows || failed.rows)
		al_err("query log %s: %llu rows lost and not recorded: the database stayed unwritable",
		       log->path, (unsigned long long)(overflow.rows + failed.rows));
	free(recs);
	return NULL;
}

int al_qlog_submit(struct al_qlog *log, struct al_logrec *rec)
{
	int wake = 0;

	pthread_mutex_lock(&log->mu);
	log->st.submitted++;
	if (log->count == log->opts.queue_len || log->stopping) {
		log->st.dropped++;
		gap_add(&log->dropped, 1, rec->time_us, rec->time_us);
		pthread_mutex_unlock(&log->mu);
		free(rec->reply);
		rec->reply = NULL;
		return -ENOSPC;
	}
	log->ring[(log->head + log->count) % log->opts.queue_len] = *rec;
	log->count++;
	wake = log->writer_waiting && log->count >= log->opts.batch_rows;
	pthread_mutex_unlock(&log->mu);
	rec->reply = NULL; /* the queue owns it now */
	if (wake)
		pthread_cond_signal(&log->wake);
	return 0;
}

void al_qlog_get_stats(struct al_qlog *log, struct al_qlog_stats *out)
{
	pthread_mutex_lock(&log->mu);
	*out = log->st;
	out->queued = log->count;
	pthread_mutex_unlock(&log->mu);
}

static int prepare(struct al_qlog *log, struct al_err *err)
{
	static const char q[] =
		"INSERT INTO queries (ts_us, client, client_port, zone, transport, qname, qtype,"
		" rcode, action, reason, upstream, latency_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char a[] = "INSERT INTO answers (query_id, name, type, data, ttl) VALUES (?,?,?,?,?)";
	static const char g[] = "INSERT INTO log_gaps (ts_us, first_lost_us, last_lost_us, rows_lost, cause)"
				" VALUES (?,?,?,?,?)";
	char p[160];

	snprintf(p, sizeof(p), "DELETE FROM queries WHERE id IN (SELECT id FROM queries"
		 " WHERE ts_us < ? ORDER BY ts_us LIMIT %d)", PRUNE_ROWS);

	if (sqlite3_prepare_v2(log->db, q, -1, &log->ins_query, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(log->db, a, -1, &log->ins_answer, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(log->db, g, -1, &log->ins_gap, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(log->db, p, -1, &log->prune, NULL) != SQLITE_OK)
		return al_err_set(err, "%s: %s", log->path, sqlite3_errmsg(log->db)), -EIO;
	return 0;
}

static void release(struct al_qlog *log)
{
	sqlite3_finalize(log->ins_query);
	sqlite3_finalize(log->ins_answer);
	sqlite3_finalize(log->ins_gap);
	sqlite3_finalize(log->prune);
	sqlite3_close(log->db);
	pthread_cond_destroy(&log->wake);
	pthread_mutex_destroy(&log->mu);
	free(log->ring);
	free(log->path);
	free(log);
}

int al_qlog_open(const char *path, const struct al_qlog_opts *opts,
		 struct al_qlog **out, struct al_err *err)
{
	struct al_qlog *log = calloc(1, sizeof(*log));
	struct al_err e;
	int rc;

	if (!log)
		return -ENOMEM;
	pthread_mutex_init(&log->mu, NULL);
	pthread_cond_init(&log->wake, NULL);
	log->opts = *opts;
	if (!log->opts.queue_len)
		log->opts.queue_len = 1;
	if (!log->opts.batch_rows)
		log->opts.batch_rows = 1;
	log->ring = calloc(log->opts.queue_len, sizeof(*log->ring));
	log->path = strdup(path);
	if (!log->ring || !log->path) {
		release(log);
		return -ENOMEM;
	}
	if (sqlite3_open_v2(path, &log->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		al_err_set(err, "%s: cannot open the query log: %s", path,
			   log->db ? sqlite3_errmsg(log->db) : "out of memory");
		release(log);
		return -EIO;
	}
	sqlite3_busy_timeout(log->db, 1000);
	if ((rc = exec(log->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			       " PRAGMA foreign_keys=ON", &e, path)) < 0 ||
	    (rc = al_qlog_migrate(log->db, &e)) < 0) {
		al_err_set(err, "%s: %s", path, e.msg);
		release(log);
		return rc;
	}
	if ((rc = prepare(log, err)) < 0) {
		release(log);
		return rc;
	}
	if ((rc = pthread_create(&log->thread, NULL, writer, log)) != 0) {
		al_err_set(err, "%s: cannot start the writer thread: %s", path, strerror(rc));
		release(log);
		return -rc;
	}
	*out = log;
	return 0;
}

void al_qlog_close(struct al_qlog *log)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->mu);
	log->stopping = 1;
	pthread_mutex_unlock(&log->mu);
	pthread_cond_signal(&log->wake);
	pthread_join(log->thread, NULL);
	al_info("query log %s closed: %llu rows written, %llu dropped (%llu gap rows), %llu write errors, %llu pruned",
		log->path, (unsigned long long)log->st.written, (unsigned long long)log->st.dropped,
		(unsigned long long)log->st.gap_rows, (unsigned long long)log->st.write_errors,
		(unsigned long long)log->st.pruned);
	release(log);
}
