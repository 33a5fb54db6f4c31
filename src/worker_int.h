/* Shared by the two halves of the worker module (src/worker.c: the
 * thread, its config and its life; src/worker_query.c: the query
 * pipeline) and nothing else: include/airlock/worker.h stays its public face. */
#ifndef AIRLOCK_WORKER_INT_H
#define AIRLOCK_WORKER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "airlock/cache.h"
#include "airlock/config.h"
#include "airlock/listener.h"
#include "airlock/metrics.h"
#include "airlock/msg.h"
#include "airlock/stats.h"

#define FLIGHT_BUCKETS 4096

struct flight;      /* worker_query.c */
struct cache_flush; /* worker.c */

struct al_worker {
	unsigned id;
	unsigned nworkers; /* fixed at start: a reload cannot change it */
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t wake;
	uv_timer_t drain;
	pthread_mutex_t mu;
	struct al_config *next_cfg; /* under mu */
	int stop_requested;         /* under mu */
	struct cache_flush *flushes; /* under mu: asked, not yet done */
	int stopping;
	int started;

	struct al_config *cfg;
	struct al_listener *listener;
	struct al_cache *cache;
	struct al_guard *guard; /* the tunnel detector's state for this thread */
	size_t guard_domains;
	uint32_t guard_window_ms;
	struct al_fwd *fwd;
	struct al_qlog *qlog; /* shared, thread-safe; NULL: no query log */
	struct al_dnstap *dnstap; /* shared; this worker sends on queue id; NULL: off */
	struct al_seen *seen; /* shared, thread-safe: first sightings of domains */
	struct flight *flights[FLIGHT_BUCKETS];
	size_t nflights;
	size_t nwaiters; /* clients waiting on them, all flights together */
	uint64_t seed;
	struct al_stats stats;
	struct al_metrics metrics;
	unsigned *zone_slots;            /* cfg->zones[i] counts in metrics slot zone_slots[i] */
	struct al_cache_stats cache_old; /* counted by the caches reloads replaced */
	struct {                         /* rate-limited queries not yet told to the log */
		uint64_t n;
		int64_t first_us, last_us;
		uv_timer_t timer; /* hands them over a second after the first */
	} unlogged;
	uint8_t out[AL_MAX_MSG];
	uint8_t local[AL_MAX_MSG]; /* a local-data reply before it is rendered */
};

/* The listener's callback: one client query, through the pipeline. */
void worker_on_query(void *arg, struct al_client *c, const uint8_t *pkt, size_t len);
/* The rate-limited queries counted so far go to the log's log_gaps. */
void worker_hand_unlogged(struct al_worker *w);
/* The cache's counters into the metrics, added to those of the caches
 * reloads replaced: the counters never go back. */
void worker_publish_cache(struct al_worker *w);

#endif
