/* The query log: every client query, the answers given and why, in SQLite.
 * The event loop only copies a record into a bounded queue; a writer thread
 * owns the database connection and commits in batches.  A full queue drops
 * records, counts them and writes a log_gaps row: loss is never silent.
 * A batch that cannot be written (disk full, read-only, locked) is kept and
 * tried again every second; a deleted or renamed file is opened afresh.
 * Only indexes that take keys in order are kept up to date per row; the
 * others are built in bulk for each slice of rows (docs/SCHEMA.md). */
#ifndef AIRLOCK_QUERYLOG_H
#define AIRLOCK_QUERYLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <sys/socket.h>

#include "airlock/addr.h"
#include "airlock/err.h"
#include "airlock/msg.h"

#define AL_QLOG_SCHEMA_VERSION 4
/* queries ids per slice: the writer indexes a slice of rows in bulk once
 * the unindexed tail spans this many. */
#define AL_QLOG_SLICE_ROWS 65536

/* How a query was answered (queries.action). */
enum al_action {
	AL_ACT_CACHE,
	AL_ACT_UPSTREAM,
	AL_ACT_LOCAL,
	AL_ACT_BLOCKED,
	AL_ACT_REFUSED,
	AL_ACT_FAILED,
	AL_NACTIONS /* how many; not an action */
};
/* "cache", "upstream", ...; "unknown" for a value outside the enum. */
const char *al_action_name(enum al_action a);

/* Raw as the event loop has them; the writer thread turns addresses and
 * names into text. */
struct al_logrec {
	int64_t time_us;       /* UTC microseconds since the epoch */
	struct sockaddr_storage client;   /* address and port */
	struct sockaddr_storage upstream; /* AF_UNSPEC: no upstream asked */
	bool tcp;
	char zone[64];         /* empty: in no zone */
	uint8_t qname[AL_MAX_NAME]; /* wire form, lower case */
	uint16_t qname_len;    /* 0: no question could be read */
	uint16_t qtype;
	uint16_t rcode;
	enum al_action action;
	char reason[64];       /* rule or detector; empty for plain forwarding */
	uint32_t latency_us;
	/* The reply sent (a DNS message), for its A/AAAA/CNAME answer rows;
	 * owned by the record, freed by the log (NULL: none). */
	uint8_t *reply;
	uint16_t reply_len;
	/* A security event this query raised, written to incidents linked to
	 * its row (incident NULL: none); owned by the record like reply. */
	struct al_incident *incident;
};

/* incidents.severity */
enum al_severity { AL_SEV_INFO, AL_SEV_WARNING, AL_SEV_HIGH, AL_SEV_CRITICAL };
/* "info", "warning", "high", "critical"; "unknown" outside the enum. */
const char *al_severity_name(enum al_severity s);

struct al_incident {
	enum al_severity severity;
	char kind[40];   /* e.g. "ai_name_denied", "public_answer_refused" */
	char *detail;    /* JSON object text, malloc'd; freed with the incident */
	struct al_incident *next; /* another one the same query raised; owned */
};

/* A new incident with a copy of detail_json; NULL when out of memory. */
struct al_incident *al_incident_new(enum al_severity sev, const char *kind,
				    const char *detail_json);
/* Frees inc and the ones chained after it. */
void al_incident_free(struct al_incident *inc);

struct al_qlog_opts {
	size_t queue_len;       /* records waiting for the writer */
	unsigned batch_rows;    /* commit once this many rows wait ... */
	unsigned batch_ms;      /* ... or this long after the writer last woke */
	unsigned retention_days; /* older query rows are pruned; 0: kept */
};

struct al_qlog_stats {
	uint64_t submitted, written, dropped, gap_rows, write_errors, pruned;
	uint64_t seen_written, seen_dropped; /* first sightings of domains */
	uint64_t slices;            /* slices indexed */
	uint64_t slices_read_back;  /* times a slice's lists were read back from the rows, not
				     * collected as they were written (rows from before the
				     * connection, a failed write, retention in the tail) */
	uint64_t slice_step_max_us; /* the longest step (one index table) */
	size_t queued;
	bool failing; /* the last write failed; it is tried again every second */
};

struct al_qlog;

/* Opens (creating or migrating) the database and starts the writer.
 * Errors name the path and what went wrong. */
int al_qlog_open(const char *path, const struct al_qlog_opts *opts,
		 struct al_qlog **out, struct al_err *err);
/* Thread-safe, never blocks on disk: takes rec (with its reply and
 * incident) into the queue, or drops it and counts the loss.  Either way
 * they now belong to the log (both are set to NULL).  Returns 0 or -ENOSPC. */
int al_qlog_submit(struct al_qlog *log, struct al_logrec *rec);
/* Thread-safe, never blocks on disk: n queries, asked from first_us to
 * last_us, answered (or dropped) on purpose without a row, by
 * response-rate limiting.  Counted in log_gaps (cause "rate limited", at
 * most one row per 10 s), so every query is a row or counted there. */
void al_qlog_unlogged(struct al_qlog *log, uint64_t n, int64_t first_us, int64_t last_us);
/* Thread-safe, never blocks on disk: the first sighting of a registered
 * domain (newly seen domains), for the seen_domains table.  The earlier
 * sighting wins when the table has one.  A full sighting queue drops it
 * and counts it (seen_dropped).  Returns 0 or -ENOSPC. */
int al_qlog_seen(struct al_qlog *log, const char *domain, int64_t first_us);
/* False while the database cannot be written or the queue is full: a
 * record submitted now would be lost (log.required answers SERVFAIL). */
bool al_qlog_available(struct al_qlog *log);
/* Writes everything queued (and a gap row for what was dropped), logs the
 * final counts, then stops the writer and closes the database. */
void al_qlog_close(struct al_qlog *log);
void al_qlog_get_stats(struct al_qlog *log, struct al_qlog_stats *out);
/* Thread-safe; blocks (off the event loop): wakes the writer and waits up
 * to timeout_ms until every record queued before the call is committed.
 * Returns 0, or -ETIMEDOUT (the database cannot be written now, or the
 * writer is still busy). */
int al_qlog_flush(struct al_qlog *log, unsigned timeout_ms);
/* For tests and benchmarks: queries ids per slice from the next slice on
 * (at least 1; AL_QLOG_SLICE_ROWS until set). */
void al_qlog_set_slice_rows(struct al_qlog *log, unsigned rows);

/* Schema creation and forward migration on an open connection (used by
 * al_qlog_open; exposed for tests and the CLI).  Returns 0 or -EIO. */
struct sqlite3;
int al_qlog_migrate(struct sqlite3 *db, struct al_err *err);
/* Indexes the rows of the unindexed tail up to queries.id last_id as one
 * slice, in one transaction (the writer does the same in steps, every
 * slice_rows ids; exposed for tests).  Returns 0 (nothing to index
 * included) or -EIO. */
int al_qlog_index_tail(struct sqlite3 *db, int64_t last_id, struct al_err *err);

#endif
