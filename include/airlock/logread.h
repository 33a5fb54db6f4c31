/* Reading the query log for investigation (`airlock log`, `incidents`,
 * `who-resolved`): the one place that opens the log for reading.  Filters
 * are parsed and validated from command-line text (src/logfilter.c); a
 * read-only connection with a schema-version check runs them as SQL with
 * bound parameters and hands the rows to a callback (src/logread.c). */
#ifndef AIRLOCK_LOGREAD_H
#define AIRLOCK_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/addr.h"
#include "airlock/err.h"

#define AL_LOGREAD_LIMIT 100 /* default --limit */
#define AL_LOGTIME_LEN 32    /* "2026-11-24T10:00:01.250000Z" fits */

/* What is listed: queries rows, incidents rows, or answers rows of one
 * address (who-resolved).  Each takes its own set of filters. */
enum al_logread_kind { AL_LOGREAD_QUERIES, AL_LOGREAD_INCIDENTS, AL_LOGREAD_ANSWERS };

struct al_logfilter {
	enum al_logread_kind kind;
	bool has_since, has_until, has_at, has_client, has_limit;
	int64_t since_us, until_us, at_us; /* since inclusive, until exclusive */
	struct al_cidr client;
	int qtype;          /* -1: any */
	uint64_t limit;     /* 0: no limit */
	char zone[64];      /* "": any */
	char name[256];     /* suffix, lower case with the trailing dot; "": any */
	char action[16];    /* "": any */
	char severity[64];  /* "": any */
	char kind_name[64]; /* incidents.kind; "": any */
	char ip[64];        /* who-resolved: the address, as inet_ntop writes it */
	unsigned given;     /* one bit per filter already set */
};

/* Every filter unset, limit AL_LOGREAD_LIMIT. */
void al_logfilter_init(struct al_logfilter *f, enum al_logread_kind kind);
/* Sets the filter named opt ("since", "zone", "limit", ...: the option
 * without its dashes) from text.  now_us anchors relative times.  Returns 0,
 * or -EINVAL with a message naming the option, the value and what is
 * expected (also for a filter this kind does not take, or one given twice),
 * or -ENOENT when opt names no filter at all. */
int al_logfilter_set(struct al_logfilter *f, const char *opt, const char *text,
		     int64_t now_us, struct al_err *err);
/* Whether opt ("since", ...) names a filter at all, and one kind takes. */
bool al_logfilter_exists(const char *opt);
bool al_logfilter_takes(enum al_logread_kind kind, const char *opt);
/* who-resolved's address: validated and normalised (inet_pton, inet_ntop). */
int al_logfilter_set_ip(struct al_logfilter *f, const char *text, struct al_err *err);
/* Checks the filters together (since before until, an address for
 * who-resolved).  Returns 0 or -EINVAL. */
int al_logfilter_check(const struct al_logfilter *f, struct al_err *err);

/* "30s", "15m", "1h", "7d", "2w" (digits and one unit) in microseconds.
 * Returns 0 or -EINVAL. */
int al_logtime_duration(const char *s, int64_t *out_us);
/* "30s", "15m", "1h", "7d", "2w" before now_us, or an ISO 8601 date or
 * time in UTC or with an offset ("2026-11-24", "2026-11-24T10:00Z",
 * "2026-11-24T10:00:00.250Z", "2026-11-24T11:00:00+01:00"; no zone: UTC).
 * Returns 0 or -EINVAL. */
int al_logtime_parse(const char *text, int64_t now_us, int64_t *out_us);
/* Now, in UTC microseconds since the epoch: the log's time. */
int64_t al_logtime_now(void);
/* "2026-11-24T10:00:01.250Z" with digits (0, 3 or 6) fractional digits. */
const char *al_logtime_format(int64_t ts_us, int digits, char *buf, size_t len);

struct al_loganswer {
	const char *name, *data;
	int type;
	int64_t ttl;
};

/* One row, borrowed: valid only during the callback. */
struct al_logquery {
	int64_t id, ts_us, latency_us;
	const char *client, *zone, *transport, *qname, *action, *reason, *upstream;
	int client_port, qtype, rcode;
	const struct al_loganswer *answers; /* in reply order */
	size_t nanswers;
};

struct al_logincident {
	int64_t id, ts_us, query_id; /* query_id < 0: NULL */
	const char *severity, *kind, *zone, *client, *name, *detail;
};

struct al_logresolved {
	int64_t query_id, ts_us, ttl;
	const char *client, *zone, *qname, *name;
	int type;
};

/* A callback returns 0 to go on, anything else to stop (al_logread_run
 * then returns that value). */
struct al_logread_cb {
	int (*query)(const struct al_logquery *row, void *arg);
	int (*incident)(const struct al_logincident *row, void *arg);
	int (*resolved)(const struct al_logresolved *row, void *arg);
	void *arg;
};

struct al_logread;

/* Opens path read-only (it stays readable while airlockd writes it) and
 * checks its schema version: 0 (not an airlock log) and versions newer
 * than AL_QLOG_SCHEMA_VERSION are refused.  Returns 0 or a negative errno
 * (-ENOENT, -EACCES, -EISDIR, -EIO, ...), with a message naming the path. */
/* A handle is for one thread at a time (it takes no locks of its own). */
int al_logread_open(const char *path, struct al_logread **out, struct al_err *err);
void al_logread_close(struct al_logread *lr);

/* Runs the filter f and calls the callback of its kind for each matching
 * row: with a limit, the limit most recent, oldest first.  Returns 0, the
 * callback's non-zero value, -ENOMEM or -EIO (message in err). */
int al_logread_run(struct al_logread *lr, const struct al_logfilter *f,
		   const struct al_logread_cb *cb, struct al_err *err);
/* What SQLite would do to run f: EXPLAIN QUERY PLAN of al_logread_run's
 * statement, one step a line (e.g. "SEARCH x USING PRIMARY KEY
 * (slice=? AND data=?)"), truncated to len.  Returns 0, -EINVAL or -EIO. */
int al_logread_plan(struct al_logread *lr, const struct al_logfilter *f, char *out, size_t len,
		    struct al_err *err);

/* One address answer (A or AAAA) given to a client, for the flow monitor. */
struct al_logaddr {
	int64_t ts_us;
	const char *client, *zone, *qname, *data; /* data: the address as text */
	int64_t ttl;
	int64_t query_id;
};
/* The A/AAAA answers of the queries asked from since_us on, read in log
 * order, a window at a time.  Log order is the order replies were sent, so
 * a query comes after those asked up to its latency (timeouts.query_ms at
 * most) plus its wait in the writer's queue later: AL_LOGREAD_LATE_US
 * bounds that.  A scan holds no read transaction between calls: each call
 * sees the rows written meanwhile (airlock flows --follow). */
#define AL_LOGREAD_LATE_US (300LL * 1000000)
struct al_logread_scan;
int al_logread_scan_open(struct al_logread *lr, int64_t since_us, struct al_logread_scan **out,
			 struct al_err *err);
void al_logread_scan_close(struct al_logread_scan *s);
/* Calls fn for each answer of the queries after those of the previous
 * call, until it has read one asked at until_us + AL_LOGREAD_LATE_US or
 * later: so every answer to a query asked before until_us and written no
 * later than AL_LOGREAD_LATE_US after it is delivered by the call (a
 * later one, by a later call).  A query's answers come together, in the
 * order of the reply.  Returns 0, fn's non-zero value, or -EIO (err). */
int al_logread_scan(struct al_logread_scan *s, int64_t until_us,
		    int (*fn)(const struct al_logaddr *a, void *arg), void *arg, struct al_err *err);

/* Calls fn for each first sighting in seen_domains (newly seen domains),
 * by domain name; none in a log older than the table.  Returns 0, fn's
 * non-zero value, or -EIO (message in err). */
int al_logread_seen(struct al_logread *lr,
		    int (*fn)(const char *domain, int64_t first_us, void *arg), void *arg,
		    struct al_err *err);

#endif
