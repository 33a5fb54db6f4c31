/* The SQLite query log: see querylog.h.  The writer thread alone touches
 * the database; submitters only take the mutex to copy a record in.  A
 * batch's rows are written by querylog_rows.c; the schema, the index
 * slices and retention are in querylog_store.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/log.h"
#include "airlock/logread.h"
#include "airlock/logwrite.h"
#include "airlock/querylog.h"
#include "querylog_int.h"

/* Records per transaction at most: fewer commits, fewer rewrites of the
 * B-trees' last pages into the WAL. */
#define TAKE_MAX 16384
#define CACHE_KIB 65536      /* SQLite page cache */
#define CHECKPOINT_PAGES 16384 /* WAL pages before a checkpoint (64 MiB) */
#define RETRY_MS 1000   /* a failed batch is tried again this often */
#define BUSY_MS 1000    /* how long a write waits for another process's lock */
#define DROP_WARN_US (10 * 1000000LL) /* at most one drop warning this often */
#define SEEN_MAX 4096   /* first sightings waiting for the writer */

/* Why rows were lost: log_gaps.cause.  The submitter drops records for
 * the first two; the writer counts the rows of a file deleted under it;
 * the workers count the queries that response-rate limiting answered
 * without a row (al_qlog_unlogged). */
enum gap_cause { GAP_QUEUE_FULL, GAP_UNAVAILABLE, GAP_DELETED, GAP_RATE_LIMITED, GAP_CAUSES };
static const char *const cause_names[GAP_CAUSES] = {
	[GAP_QUEUE_FULL] = "queue full",
	[GAP_UNAVAILABLE] = "database unavailable",
	[GAP_DELETED] = "database deleted",
	[GAP_RATE_LIMITED] = "rate limited",
};
static const struct {
	bool warn;       /* lost: airlockd's own log says so */
	int64_t hold_us; /* counts are summed this long into one row (0: each batch has its own) */
} causes[GAP_CAUSES] = {
	[GAP_QUEUE_FULL] = { true, 0 },
	[GAP_UNAVAILABLE] = { true, 0 },
	[GAP_DELETED] = { true, 0 },
	/* Chosen, not lost: no warning, and one row per 10 s however long
	 * the flood. */
	[GAP_RATE_LIMITED] = { false, 10 * 1000000LL },
};

struct al_qlog {
	char *path;
	sqlite3 *db; /* NULL while it cannot be opened */
	struct qlog_rows *rows;   /* a batch's rows */
	struct qlog_store *store; /* schema, slices, retention */
	int fd;      /* the file the connection writes, read-only: to notice that path
		      * was deleted or replaced, and its link count tells which */
	struct al_qlog_opts opts;
	pthread_t thread;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t wake;
	pthread_cond_t flushed;   /* flush_done moved */
	uint64_t flush_asked;     /* al_qlog_flush calls so far ... */
	uint64_t flush_done;      /* ... and how many of them are committed */
	struct al_logrec *ring;
	size_t head, count;
	int stopping;
	int writer_waiting;
	int failing; /* the last write failed: records wait, the queue fills */
	struct gap dropped[GAP_CAUSES]; /* not yet written as gap rows */
	struct seen_rec *seen;          /* SEEN_MAX first sightings ... */
	size_t nseen;                   /* ... this many waiting */
	unsigned slice_rows;
	struct al_qlog_stats st;
};

struct al_incident *al_incident_new(enum al_severity sev, const char *kind,
				    const char *detail_json)
{
	struct al_incident *inc = calloc(1, sizeof(*inc));

	if (!inc)
		return NULL;
	inc->severity = sev;
	snprintf(inc->kind, sizeof(inc->kind), "%s", kind);
	if (!(inc->detail = strdup(detail_json ? detail_json : "{}"))) {
		free(inc);
		return NULL;
	}
	return inc;
}

void al_incident_free(struct al_incident *inc)
{
	struct al_incident *next;

	for (; inc; inc = next) {
		next = inc->next;
		free(inc->detail);
		free(inc);
	}
}

/* What a record owns, freed once it is written or dropped. */
static void rec_release(struct al_logrec *r)
{
	free(r->reply);
	r->reply = NULL;
	al_incident_free(r->incident);
	r->incident = NULL;
}

/* For holding the rate-limited counts: a wall clock step must not. */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void gap_add(struct gap *g, uint64_t rows, int64_t first_us, int64_t last_us)
{
	if (!g->rows)
		g->since_us = mono_us();
	if (!g->rows || first_us < g->first_us)
		g->first_us = first_us;
	if (!g->rows || last_us > g->last_us)
		g->last_us = last_us;
	g->rows += rows;
}

/* Indexing keeps pace with writing, a step at a time between batches so
 * the writer never stops for long: after a batch of n rows, as many steps
 * as n rows are worth (a slice of `rows` ids takes a few steps), at least
 * one.  A long tail (a file of version 1) is indexed a slice after
 * another, also while nothing is written. */
static void index_slices(struct al_qlog *log, size_t n)
{
	size_t steps, i;
	int64_t rows, t0;
	bool closed, read_back;

	pthread_mutex_lock(&log->mu);
	rows = log->slice_rows;
	pthread_mutex_unlock(&log->mu);
	steps = 1 + n * (size_t)QLOG_SLICE_STEPS / (size_t)rows;
	for (i = 0; i < steps; i++) {
		t0 = mono_us();
		if (qlog_store_slice_step(log->store, rows, &closed, &read_back) < 0)
			break;
		t0 = mono_us() - t0;
		pthread_mutex_lock(&log->mu);
		log->st.slices += closed;
		log->st.slices_read_back += read_back;
		if ((uint64_t)t0 > log->st.slice_step_max_us)
			log->st.slice_step_max_us = (uint64_t)t0;
		pthread_mutex_unlock(&log->mu);
	}
}

/* Retention between batches, in small transactions (see qlog_store_prune). */
static void prune_step(struct al_qlog *log)
{
	int64_t cutoff = al_logtime_now() - (int64_t)log->opts.retention_days * 86400 * 1000000;
	int n = qlog_store_prune(log->store, cutoff);

	pthread_mutex_lock(&log->mu);
	log->st.pruned += (uint64_t)n;
	pthread_mutex_unlock(&log->mu);
}

/* The writer's own state: records taken from the queue and losses not yet
 * written.  A batch that fails stays here and is tried again; meanwhile
 * the queue fills, and what it drops is recorded once writing works. */
struct batch {
	struct al_logrec recs[TAKE_MAX];
	size_t n;
	struct seen_rec seen[SEEN_MAX];
	size_t nseen;
	struct gap gaps[GAP_CAUSES];
	uint64_t warn_rows;   /* dropped since the last warning */
	int64_t warned_us;
	uint64_t flush_gen;   /* al_qlog_flush calls made before the take ... */
	int drained;          /* ... and the queue was empty after it */
};

static uint64_t gap_rows(const struct gap *gaps)
{
	uint64_t rows = 0;
	int c;

	for (c = 0; c < GAP_CAUSES; c++)
		rows += gaps[c].rows;
	return rows;
}

/* Waits for a batch (or the retry interval while failing), then takes the
 * queued records, unless a failed batch is still pending, and the drops.
 * Returns 1 when the log is stopping and nothing is left to take. */
static int take(struct al_qlog *log, struct batch *b, int failing)
{
	unsigned ms = failing ? RETRY_MS : log->opts.batch_ms;
	size_t goal = log->opts.batch_rows < log->opts.queue_len ? log->opts.batch_rows : log->opts.queue_len;
	struct timespec until;
	size_t i, n = 0;
	int c, last;

	pthread_mutex_lock(&log->mu);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	while (!log->stopping && (failing || (log->count < goal && log->flush_done == log->flush_asked))) {
		log->writer_waiting = 1;
		if (pthread_cond_timedwait(&log->wake, &log->mu, &until) == ETIMEDOUT)
			break;
	}
	log->writer_waiting = 0;
	if (b->n == 0) {
		n = log->count < TAKE_MAX ? log->count : TAKE_MAX;
		for (i = 0; i < n; i++)
			b->recs[i] = log->ring[(log->head + i) % log->opts.queue_len];
		log->head = (log->head + n) % log->opts.queue_len;
		log->count -= n;
		b->n = n;
	}
	if (b->nseen == 0 && log->nseen) {
		memcpy(b->seen, log->seen, log->nseen * sizeof(*b->seen));
		b->nseen = log->nseen;
		log->nseen = 0;
	}
	for (c = 0; c < GAP_CAUSES; c++) {
		struct gap *d = &log->dropped[c];
		if (!d->rows || (causes[c].hold_us && !log->stopping && mono_us() - d->since_us < causes[c].hold_us))
			continue;
		if (causes[c].warn)
			b->warn_rows += d->rows;
		gap_add(&b->gaps[c], d->rows, d->first_us, d->last_us);
		memset(d, 0, sizeof(*d));
	}
	last = log->stopping && log->count == 0;
	b->flush_gen = log->flush_asked;
	b->drained = log->count == 0;
	pthread_mutex_unlock(&log->mu);
	return last;
}

/* Loss is said out loud, but at most every DROP_WARN_US. */
static void warn_drops(struct al_qlog *log, struct batch *b)
{
	int64_t now = al_logtime_now();

	if (!b->warn_rows || now - b->warned_us < DROP_WARN_US)
		return;
	al_warn("query log %s: %llu queries could not be logged (%s); they are counted in log_gaps",
		log->path, (unsigned long long)b->warn_rows,
		b->gaps[GAP_UNAVAILABLE].rows ? "the database is unavailable" : "the queue was full");
	b->warn_rows = 0;
	b->warned_us = now;
}

static int db_open(struct al_qlog *log, struct al_err *err);
static void db_close(struct al_qlog *log);

/* True when path no longer names the file the connection writes: it was
 * deleted, or renamed away (log rotation) and perhaps replaced. */
static int file_moved(const struct al_qlog *log)
{
	struct stat sb, ours;

	if (stat(log->path, &sb) < 0)
		return errno == ENOENT;
	return fstat(log->fd, &ours) < 0 || sb.st_dev != ours.st_dev || sb.st_ino != ours.st_ino;
}

/* True when the file the connection writes has no name left: deleted,
 * not renamed.  Its rows are gone with it once the connection closes. */
static int file_deleted(const struct al_qlog *log)
{
	struct stat sb;

	return fstat(log->fd, &sb) == 0 && sb.st_nlink == 0;
}

/* What a deleted file held, read through the connection that still holds
 * it, becomes one "database deleted" gap for the new file: its queries
 * rows, and the rows its own log_gaps counted as lost (of every cause),
 * so that every query stays a row or counted.  The writer waits for this,
 * so queries is read by rowid and index lookups only: its rows are counted
 * as max(id) - min(id) + 1, exact unless retention (which prunes by ts_us,
 * not id) left holes among them, then a few too many.  An exact count(*)
 * would walk the whole table.  log_gaps is small, and read whole. */
static void count_deleted(struct al_qlog *log, struct gap *g)
{
	static const char sql[] =
		"SELECT (SELECT max(id) FROM queries) - (SELECT min(id) FROM queries) + 1,"
		" (SELECT min(ts_us) FROM queries), (SELECT max(ts_us) FROM queries),"
		" coalesce(sum(rows_lost), 0), min(first_lost_us), max(last_lost_us) FROM log_gaps";
	sqlite3_stmt *st = NULL;
	sqlite3_int64 rows = 0, gapped = 0;
	int ok;

	ok = sqlite3_prepare_v2(log->db, sql, -1, &st, NULL) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_ROW;
	if (ok) {
		rows = sqlite3_column_int64(st, 0);
		gapped = sqlite3_column_int64(st, 3);
	}
	if (rows > 0)
		gap_add(g, (uint64_t)rows, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	if (gapped > 0)
		gap_add(g, (uint64_t)gapped, sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
	if (rows > 0 || gapped > 0)
		al_warn("query log %s: the file was deleted with %lld queries rows in it (at most) and %lld more counted in its log_gaps; a new %s records them in log_gaps (cause 'database deleted')",
			log->path, (long long)(rows > 0 ? rows : 0), (long long)(gapped > 0 ? gapped : 0),
			log->path);
	else
		al_warn("query log %s: the file was deleted (%s); new rows go to a new %s", log->path,
			ok ? "it held no queries rows" : "its rows could not be counted", log->path);
	sqlite3_finalize(st);
}

/* Writes the pending batch to the file at path, opening it afresh when
 * needed.  Returns 0 or -EIO with the reason in err. */
static int flush(struct al_qlog *log, struct batch *b, struct al_err *err)
{
	if (log->db && file_moved(log)) {
		if (file_deleted(log))
			count_deleted(log, &b->gaps[GAP_DELETED]);
		else
			al_warn("query log %s: the file was deleted or moved away; the rows written so far stay in it, new rows go to a new %s",
				log->path, log->path);
		/* SQLite does not checkpoint a moved file on close, and a new
		 * file at path would discard the WAL: move its rows now. */
		sqlite3_exec(log->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		db_close(log);
	}
	if (!log->db && db_open(log, err) < 0)
		return -EIO;
	return qlog_rows_write(log->rows, b->recs, b->n, b->seen, b->nseen, b->gaps, cause_names,
			       GAP_CAUSES, al_logtime_now(), err);
}

/* Writes what take() took, if anything.  A batch that cannot be written
 * stays in b and *failing is set; returns -EIO then. */
static int write_taken(struct al_qlog *log, struct batch *b, int *failing)
{
	struct al_err err;
	size_t i;
	int rc, c;

	if (!b->n && !b->nseen && !gap_rows(b->gaps))
		return 0;
	rc = flush(log, b, &err);
	pthread_mutex_lock(&log->mu);
	if (rc == 0) {
		log->st.written += b->n;
		log->st.seen_written += b->nseen;
		for (c = 0; c < GAP_CAUSES; c++)
			log->st.gap_rows += b->gaps[c].rows != 0;
	} else {
		log->st.write_errors++;
	}
	log->failing = rc < 0;
	pthread_mutex_unlock(&log->mu);
	if (rc < 0) {
		if (!*failing)
			al_err("query log %s: cannot write (%s): answers go on, queries wait in the queue and are tried again every %d ms; what the queue cannot hold is counted in log_gaps",
			       log->path, err.msg, RETRY_MS);
		*failing = 1;
		return -EIO;
	}
	if (*failing)
		al_info("query log %s: writing again", log->path);
	*failing = 0;
	for (i = 0; i < b->n; i++)
		rec_release(&b->recs[i]);
	b->n = 0;
	b->nseen = 0;
	memset(b->gaps, 0, sizeof(b->gaps));
	return 0;
}

/* Everything queued before flush call gen is committed: wake its caller. */
static void flushed(struct al_qlog *log, uint64_t gen)
{
	pthread_mutex_lock(&log->mu);
	if (gen > log->flush_done) {
		log->flush_done = gen;
		pthread_cond_broadcast(&log->flushed);
	}
	pthread_mutex_unlock(&log->mu);
}

static void *writer(void *arg)
{
	struct al_qlog *log = arg;
	struct batch *b = calloc(1, sizeof(*b));
	uint64_t lost;
	int failing = 0, last = 0;
	size_t i, n;

	if (!b) {
		al_err("query log %s: out of memory in the writer", log->path);
		return NULL;
	}
	while (!last) {
		last = take(log, b, failing);
		warn_drops(log, b);
		n = b->n;
		if (write_taken(log, b, &failing) < 0) {
			if (log->stopping)
				break;
			continue;
		}
		if (b->drained)
			flushed(log, b->flush_gen);
		/* Between batches, also when there was none to write. */
		if (!last && log->db) {
			index_slices(log, n);
			if (log->opts.retention_days)
				prune_step(log);
		}
	}
	pthread_mutex_lock(&log->mu);
	lost = b->n + gap_rows(b->gaps) + log->count + gap_rows(log->dropped);
	log->flush_done = log->flush_asked; /* no waiting past the end */
	pthread_cond_broadcast(&log->flushed);
	pthread_mutex_unlock(&log->mu);
	for (i = 0; i < b->n; i++)
		rec_release(&b->recs[i]);
	if (lost)
		al_err("query log %s: %llu queries neither logged nor counted in log_gaps: the database stayed unwritable",
		       log->path, (unsigned long long)lost);
	free(b);
	return NULL;
}

int al_qlog_submit(struct al_qlog *log, struct al_logrec *rec)
{
	int wake = 0;

	pthread_mutex_lock(&log->mu);
	log->st.submitted++;
	if (log->count == log->opts.queue_len || log->stopping) {
		log->st.dropped++;
		gap_add(&log->dropped[log->failing ? GAP_UNAVAILABLE : GAP_QUEUE_FULL], 1,
			rec->time_us, rec->time_us);
		pthread_mutex_unlock(&log->mu);
		rec_release(rec);
		return -ENOSPC;
	}
	log->ring[(log->head + log->count) % log->opts.queue_len] = *rec;
	log->count++;
	/* A full queue wakes the writer too: batch_rows may exceed it. */
	wake = log->writer_waiting &&
	       (log->count >= log->opts.batch_rows || log->count == log->opts.queue_len);
	pthread_mutex_unlock(&log->mu);
	rec->reply = NULL; /* the queue owns them now */
	rec->incident = NULL;
	if (wake)
		pthread_cond_signal(&log->wake);
	return 0;
}

void al_qlog_unlogged(struct al_qlog *log, uint64_t n, int64_t first_us, int64_t last_us)
{
	pthread_mutex_lock(&log->mu);
	gap_add(&log->dropped[GAP_RATE_LIMITED], n, first_us, last_us);
	pthread_mutex_unlock(&log->mu);
}

int al_qlog_seen(struct al_qlog *log, const char *domain, int64_t first_us)
{
	int rc = 0;

	pthread_mutex_lock(&log->mu);
	if (log->nseen == SEEN_MAX || log->stopping || strlen(domain) >= sizeof(log->seen->domain)) {
		log->st.seen_dropped++;
		rc = -ENOSPC;
	} else {
		snprintf(log->seen[log->nseen].domain, sizeof(log->seen->domain), "%s", domain);
		log->seen[log->nseen++].first_us = first_us;
	}
	pthread_mutex_unlock(&log->mu);
	return rc;
}

int al_qlog_flush(struct al_qlog *log, unsigned timeout_ms)
{
	struct timespec until;
	uint64_t gen;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	until.tv_sec += timeout_ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&log->mu);
	gen = ++log->flush_asked;
	pthread_cond_signal(&log->wake);
	while (rc == 0 && log->flush_done < gen)
		rc = pthread_cond_timedwait(&log->flushed, &log->mu, &until);
	if (log->flush_done >= gen)
		rc = 0;
	pthread_mutex_unlock(&log->mu);
	return rc ? -ETIMEDOUT : 0;
}

void al_qlog_set_slice_rows(struct al_qlog *log, unsigned rows)
{
	pthread_mutex_lock(&log->mu);
	log->slice_rows = rows ? rows : 1;
	pthread_mutex_unlock(&log->mu);
}

bool al_qlog_available(struct al_qlog *log)
{
	bool ok;

	pthread_mutex_lock(&log->mu);
	ok = !log->failing && log->count < log->opts.queue_len;
	pthread_mutex_unlock(&log->mu);
	return ok;
}

void al_qlog_get_stats(struct al_qlog *log, struct al_qlog_stats *out)
{
	pthread_mutex_lock(&log->mu);
	*out = log->st;
	out->queued = log->count;
	out->failing = log->failing != 0;
	pthread_mutex_unlock(&log->mu);
}

static int prepare(struct al_qlog *log, struct al_err *err)
{
	if (!(log->store = qlog_store_new(log->db, err)) ||
	    !(log->rows = qlog_rows_new(log->db, log->store, err)))
		return -EIO;
	return 0;
}

/* Closing the last connection checkpoints the WAL into the file it was
 * writing, even one that was renamed away, and removes the WAL. */
static void db_close(struct al_qlog *log)
{
	qlog_rows_free(log->rows);
	log->rows = NULL;
	qlog_store_free(log->store); /* a new connection starts the slice afresh */
	log->store = NULL;
	sqlite3_close(log->db);
	log->db = NULL;
	/* Only now: closing any descriptor of the file would drop the POSIX
	 * locks SQLite holds on it. */
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

/* Opens path as every writer does (al_logwrite_connect: schema, WAL),
 * sets the writer's own pragmas and remembers which file it is.  The connection does not enforce the foreign keys: the
 * parent check costs a seek per answers row (the writer ran 5-24 %
 * faster without it in bench/qlog_writer), the writer adds answers only
 * to queries written before them in the same transaction
 * (test_qlog_writes_query_row_before_its_answers), and its retention step deletes the
 * answers and clears the incidents' links itself.  Nor does it take
 * SQLite's mutexes (SQLITE_OPEN_NOMUTEX): one thread at a time uses it,
 * al_qlog_open's before the writer starts, then the writer's (7 % less
 * CPU in bench/qlog_writer).
 * Returns 0 or -EIO with the reason in err. */
static int db_open(struct al_qlog *log, struct al_err *err)
{
	if (al_logwrite_connect(log->path, BUSY_MS, SQLITE_OPEN_NOMUTEX, &log->db, err) < 0 ||
	    qlog_exec(log->db, "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-" AL_STR(CACHE_KIB) "; PRAGMA wal_autocheckpoint=" AL_STR(CHECKPOINT_PAGES),
		 err, "cannot set up the query log") < 0 ||
	    prepare(log, err) < 0) {
		db_close(log);
		return -EIO;
	}
	if ((log->fd = open(log->path, O_RDONLY | O_CLOEXEC)) < 0) {
		al_err_set(err, "cannot stat the query log: %s", strerror(errno));
		db_close(log);
		return -EIO;
	}
	return 0;
}

static void release(struct al_qlog *log)
{
	size_t i;

	db_close(log);
	for (i = 0; i < log->count; i++)
		rec_release(&log->ring[(log->head + i) % log->opts.queue_len]);
	pthread_cond_destroy(&log->wake);
	pthread_cond_destroy(&log->flushed);
	pthread_mutex_destroy(&log->mu);
	free(log->ring);
	free(log->seen);
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
	pthread_cond_init(&log->flushed, NULL);
	log->fd = -1;
	log->opts = *opts;
	if (!log->opts.queue_len)
		log->opts.queue_len = 1;
	if (!log->opts.batch_rows)
		log->opts.batch_rows = 1;
	log->slice_rows = AL_QLOG_SLICE_ROWS;
	log->ring = calloc(log->opts.queue_len, sizeof(*log->ring));
	log->seen = calloc(SEEN_MAX, sizeof(*log->seen));
	log->path = strdup(path);
	if (!log->ring || !log->seen || !log->path) {
		release(log);
		return -ENOMEM;
	}
	if (db_open(log, &e) < 0) {
		al_err_set(err, "%s: %s", path, e.msg);
		release(log);
		return -EIO;
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
