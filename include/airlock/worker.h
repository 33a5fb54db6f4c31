/* A worker: one thread, one libuv loop, its own sockets, cache, forwarder
 * and in-flight table.  It runs the query pipeline: zone lookup, parse,
 * cache, forward (identical questions coalesced), reply. */
#ifndef AIRLOCK_WORKER_H
#define AIRLOCK_WORKER_H

#include "airlock/config.h"
#include "airlock/err.h"
#include "airlock/stats.h"

struct al_worker;
struct al_dnstap;
struct al_qlog;
struct al_seen;

/* Binds the listen sockets (errors show here, before any thread runs,
 * and before root is given up).  seen holds the first sightings of
 * domains, shared by all workers; it must outlive the worker. */
int al_worker_new(unsigned id, struct al_config *cfg, struct al_seen *seen,
		  struct al_worker **out, struct al_err *err);
/* Before al_worker_start: qlog (shared, must outlive the worker) receives
 * a row per answered query.  Without it nothing is logged. */
void al_worker_set_log(struct al_worker *w, struct al_qlog *qlog);
/* Before al_worker_start: client queries and replies, and the questions
 * to and replies from upstreams, go to dt (shared, must outlive the
 * worker) on its input queue number id.  Without it there is no dnstap. */
void al_worker_set_dnstap(struct al_worker *w, struct al_dnstap *dt);
int al_worker_start(struct al_worker *w);
/* Thread-safe: the worker switches to cfg (it takes a reference). */
void al_worker_set_config(struct al_worker *w, struct al_config *cfg);
/* Thread-safe: the worker empties its cache in its own thread (name, in
 * lower-case wire form: that name and every name below it; NULL: all),
 * then calls done(arg, entries dropped) there.  Not after al_worker_stop.
 * Returns 0, -ENOMEM or -EINVAL (a bad name length). */
int al_worker_flush_cache(struct al_worker *w, const uint8_t *name, size_t len,
			  void (*done)(void *arg, size_t dropped), void *arg);
/* Thread-safe: stop reading, answer what is in flight, then exit. */
void al_worker_stop(struct al_worker *w);
void al_worker_join(struct al_worker *w);
/* Counters, readable from another thread while the worker runs with
 * relaxed atomic loads (al_stats_add, al_metrics_render). */
const struct al_stats *al_worker_stats(const struct al_worker *w);
struct al_metrics;
const struct al_metrics *al_worker_metrics(const struct al_worker *w);
void al_worker_free(struct al_worker *w);

#endif
