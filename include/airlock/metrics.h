/* Prometheus metrics.  Each worker owns one struct al_metrics and bumps it
 * without locks: the owning thread is the only writer and stores with
 * relaxed atomics, so the main thread may read it at any time (relaxed
 * loads) while the worker runs.  Label values come from bounded tables
 * filled by the owner: names are written once, then published by a
 * release store of the count, and never change afterwards.  A scrape
 * merges the workers' tables and renders the text exposition format
 * (version 0.0.4). */
#ifndef AIRLOCK_METRICS_H
#define AIRLOCK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "airlock/addr.h"
#include "airlock/querylog.h"
#include "airlock/stats.h"

#define AL_METRICS_ZONES 256     /* zone names per worker; later ones count as "(other)" */
#define AL_METRICS_UPSTREAMS 128 /* upstreams per worker, across reloads */
#define AL_METRICS_QSLOTS 4096   /* (zone, type, rcode, decision) sets per worker (power of two) */
#define AL_METRICS_KINDS 64      /* (incident kind, severity) pairs per worker */
#define AL_METRICS_BUCKETS 15    /* histogram bounds, 100 us to 5 s; one more for +Inf */

/* The zone slot of a client in no zone, and of zones past the table. */
#define AL_METRICS_NO_ZONE 0xffffu
#define AL_METRICS_OTHER_ZONE 0xfffeu
#define AL_METRICS_NO_UPSTREAM (-1)

/* Counts per bucket (not cumulative; the last is +Inf) and the sum. */
struct al_hist {
	uint64_t buckets[AL_METRICS_BUCKETS + 1];
	uint64_t sum_us;
};

struct al_metrics_upstream {
	char name[AL_ADDRSTRLEN]; /* "ADDR#PORT" */
	uint64_t sent, timeouts, errors;
	struct al_hist rtt;
};

struct al_metrics_qslot {
	uint32_t key; /* 0: free; published last */
	uint64_t n;
};

struct al_metrics_kind {
	char kind[40];
	uint8_t severity;
	uint64_t n;
};

struct al_metrics {
	char zones[AL_METRICS_ZONES][64];
	size_t nzones;
	struct al_metrics_upstream ups[AL_METRICS_UPSTREAMS];
	size_t nups;
	struct al_metrics_qslot q[AL_METRICS_QSLOTS];
	uint64_t q_untracked; /* answered while the table was full */
	struct al_hist latency;
	struct al_metrics_kind incidents[AL_METRICS_KINDS];
	size_t nincidents;
	uint64_t incidents_untracked;
	/* The worker's cache, across the caches a reload replaces. */
	uint64_t cache_hits, cache_misses, cache_evictions, cache_entries, cache_bytes;
};

/* The owner's increment and set: no read-modify-write instruction, no lock. */
static inline void al_metrics_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline void al_metrics_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Owner only (at config time): the slot of a zone name, added if new;
 * AL_METRICS_OTHER_ZONE once the table is full. */
unsigned al_metrics_zone(struct al_metrics *m, const char *name);
/* Owner only (at config time): the slot of an upstream, added if new;
 * AL_METRICS_NO_UPSTREAM once the table is full. */
int al_metrics_upstream(struct al_metrics *m, const struct sockaddr *sa);

/* Owner only: one answered query.  rcode is the full (extended) rcode. */
void al_metrics_query(struct al_metrics *m, unsigned zone, uint16_t qtype, unsigned rcode,
		      enum al_action decision, uint64_t latency_us);
/* Owner only: one incident raised (rare: a short scan by name). */
void al_metrics_incident(struct al_metrics *m, const char *kind, enum al_severity sev);
void al_metrics_observe(struct al_hist *h, uint64_t us);

/* What the daemon knows besides the workers. */
struct al_metrics_process {
	const char *version;
	int64_t start_time_s;
	uint64_t reloads_ok, reloads_failed;
	int64_t last_reload_ok_s; /* the start, until a reload succeeds */
	bool has_log;             /* false: no log metrics */
	bool log_available;
	struct al_qlog_stats log;
};

/* The text exposition of n workers' metrics, their summed counters
 * (sum) and the process's: a malloc'd, NUL-terminated *out of *len bytes
 * (the caller frees).  Pure: reads only its arguments.  0 or -ENOMEM. */
int al_metrics_render(const struct al_metrics *const *workers, size_t n,
		      const struct al_stats *sum, const struct al_metrics_process *p,
		      char **out, size_t *len);

/* Label values as the exposition has them. */
const char *al_metrics_qtype_name(uint16_t qtype);
const char *al_metrics_rcode_name(unsigned rcode);

#endif
