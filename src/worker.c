/* A worker's thread and its life: the config it applies (at start and
 * at each reload), the requests other threads send it (config, cache
 * flush, stop), and the drain at stop.  The query pipeline: worker_query.c. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/cache.h"
#include "airlock/guard.h"
#include "airlock/listener.h"
#include "airlock/log.h"
#include "airlock/metrics.h"
#include "airlock/rand.h"
#include "airlock/upstream.h"
#include "airlock/worker.h"
#include "worker_int.h"

#define DRAIN_CHECK_MS 20

/* An operator's request to empty the cache (airlock ctl flush-cache). */
struct cache_flush {
	struct cache_flush *next;
	void (*done)(void *arg, size_t dropped);
	void *arg;
	size_t len; /* 0: every name */
	uint8_t name[AL_MAX_NAME];
};

/* The cache's counters into the metrics, added to those of the caches
 * reloads replaced: the counters never go back. */
void worker_publish_cache(struct al_worker *w)
{
	struct al_cache_stats st;

	al_cache_get_stats(w->cache, &st);
	al_metrics_set(&w->metrics.cache_hits, w->cache_old.hits + st.hits);
	al_metrics_set(&w->metrics.cache_misses, w->cache_old.misses + st.misses);
	al_metrics_set(&w->metrics.cache_evictions, w->cache_old.evictions + st.evictions);
	al_metrics_set(&w->metrics.cache_entries, st.entries);
	al_metrics_set(&w->metrics.cache_bytes, st.bytes);
}

/* This worker's share of the connection cap. */
static uint32_t conn_share(const struct al_worker *w, const struct al_config *cfg)
{
	return (cfg->tcp_clients + w->nworkers - 1) / w->nworkers;
}

/* The detector's share of guard.max_domains; a new size or window starts
 * it afresh. */
static int guard_configure(struct al_worker *w, const struct al_config *cfg)
{
	size_t share = (cfg->guard_domains + w->nworkers - 1) / w->nworkers;
	uint32_t window_ms = cfg->guard_window_s * 1000;
	struct al_guard *g;
	int rc;

	if (w->guard && share == w->guard_domains && window_ms == w->guard_window_ms)
		return 0;
	if ((rc = al_guard_new(share, window_ms, &g)) < 0)
		return rc;
	al_guard_free(w->guard);
	w->guard = g;
	w->guard_domains = share;
	w->guard_window_ms = window_ms;
	return 0;
}

static int apply_config(struct al_worker *w, struct al_config *cfg)
{
	size_t share = cfg->cache_bytes / w->nworkers, i;
	struct al_cache_stats st;
	struct al_cache *cache = NULL;
	unsigned *slots = calloc(cfg->nzones ? cfg->nzones : 1, sizeof(*slots));
	int rc;

	if (!slots)
		return -ENOMEM;
	/* A reload starts an empty cache: answers were checked against the
	 * old catalog, views and local data.  The forwarder goes last: when
	 * it fails it is left as it was, so it never routes by groups of a
	 * config the worker does not have (the guard's new size is harmless). */
	if ((rc = al_cache_new(share, &cache)) < 0 || (rc = guard_configure(w, cfg)) < 0 ||
	    (rc = al_fwd_configure(w->fwd, cfg)) < 0) {
		al_cache_free(cache);
		free(slots);
		return rc;
	}
	/* Zone names are copied into the metrics once; a query then finds
	 * its zone's counters by index. */
	for (i = 0; i < cfg->nzones; i++)
		slots[cfg->zones[i].index] = al_metrics_zone(&w->metrics, cfg->zones[i].name);
	free(w->zone_slots);
	w->zone_slots = slots;
	if (w->cache) {
		al_cache_get_stats(w->cache, &st);
		w->cache_old.hits += st.hits;
		w->cache_old.misses += st.misses;
		w->cache_old.evictions += st.evictions;
	}
	al_cache_free(w->cache);
	w->cache = cache;
	worker_publish_cache(w);
	if (w->listener)
		al_listener_set_limits(w->listener, conn_share(w, cfg), cfg->tcp_idle_ms);
	if (w->cfg)
		al_config_unref(w->cfg);
	w->cfg = cfg;
	/* Questions on their way upstream go on (still counted in nflights),
	 * but out of the table: no new query joins one, and its answer, checked
	 * against the old config, is not cached (on_upstream). */
	memset(w->flights, 0, sizeof(w->flights));
	return 0;
}

/* The loop's own handles (the listener closes its own). */
static void close_handles(struct al_worker *w)
{
	uv_close((uv_handle_t *)&w->wake, NULL);
	uv_close((uv_handle_t *)&w->drain, NULL);
	uv_close((uv_handle_t *)&w->unlogged.timer, NULL);
}

static void on_drain(uv_timer_t *t)
{
	struct al_worker *w = t->data;

	if (w->nflights || al_fwd_pending(w->fwd) || al_listener_conns(w->listener))
		return;
	uv_timer_stop(t);
	worker_hand_unlogged(w);
	al_listener_close(w->listener);
	close_handles(w);
}

static void on_wake(uv_async_t *a)
{
	struct al_worker *w = a->data;
	struct al_config *cfg;
	struct cache_flush *fl, *next;
	int stop;

	pthread_mutex_lock(&w->mu);
	cfg = w->next_cfg;
	w->next_cfg = NULL;
	stop = w->stop_requested;
	fl = w->flushes;
	w->flushes = NULL;
	pthread_mutex_unlock(&w->mu);
	if (cfg && apply_config(w, cfg) < 0) {
		al_err("worker %u: out of memory applying the new config", w->id);
		al_config_unref(cfg);
	}
	for (; fl; fl = next) {
		next = fl->next;
		fl->done(fl->arg, fl->len ? al_cache_flush_name(w->cache, fl->name, fl->len)
					  : al_cache_flush(w->cache));
		free(fl);
	}
	worker_publish_cache(w); /* after a flush */
	if (stop && !w->stopping) {
		w->stopping = 1;
		al_listener_stop(w->listener);
		uv_timer_start(&w->drain, on_drain, 0, DRAIN_CHECK_MS);
	}
}

int al_worker_new(unsigned id, struct al_config *cfg, struct al_seen *seen,
		  struct al_worker **out, struct al_err *err)
{
	struct al_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->id = id;
	w->seen = seen;
	w->nworkers = cfg->threads;
	w->seed = al_rand64();
	pthread_mutex_init(&w->mu, NULL);
	if ((rc = uv_loop_init(&w->loop)) < 0) {
		free(w);
		return al_err_set(err, "event loop: %s", uv_strerror(rc)), rc;
	}
	uv_async_init(&w->loop, &w->wake, on_wake);
	w->wake.data = w;
	uv_timer_init(&w->loop, &w->drain);
	w->drain.data = w;
	uv_timer_init(&w->loop, &w->unlogged.timer);
	w->unlogged.timer.data = w;
	if ((rc = al_fwd_new(&w->loop, &w->stats, &w->fwd)) == 0)
		al_fwd_set_metrics(w->fwd, &w->metrics);
	if (rc < 0 || (rc = apply_config(w, al_config_ref(cfg))) < 0 ||
	    (rc = al_listener_new(&w->loop, cfg, worker_on_query, w, &w->stats, &w->listener, err)) < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "out of memory");
		w->listener = NULL;
		close_handles(w);
		uv_run(&w->loop, UV_RUN_DEFAULT);
		al_worker_free(w);
		return rc;
	}
	al_listener_set_limits(w->listener, conn_share(w, cfg), cfg->tcp_idle_ms);
	*out = w;
	return 0;
}

void al_worker_set_log(struct al_worker *w, struct al_qlog *qlog)
{
	w->qlog = qlog;
}

void al_worker_set_dnstap(struct al_worker *w, struct al_dnstap *dt)
{
	w->dnstap = dt;
	al_fwd_set_dnstap(w->fwd, dt, w->id);
}

static void run(void *arg)
{
	struct al_worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
}

int al_worker_start(struct al_worker *w)
{
	int rc = al_listener_start(w->listener);

	if (rc < 0)
		return rc;
	if ((rc = uv_thread_create(&w->thread, run, w)) < 0)
		return rc;
	w->started = 1;
	return 0;
}

void al_worker_set_config(struct al_worker *w, struct al_config *cfg)
{
	struct al_config *old;

	pthread_mutex_lock(&w->mu);
	old = w->next_cfg;
	w->next_cfg = al_config_ref(cfg);
	pthread_mutex_unlock(&w->mu);
	al_config_unref(old);
	uv_async_send(&w->wake);
}

int al_worker_flush_cache(struct al_worker *w, const uint8_t *name, size_t len,
			  void (*done)(void *arg, size_t dropped), void *arg)
{
	struct cache_flush *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return -ENOMEM;
	if (name) {
		if (len == 0 || len > sizeof(fl->name)) {
			free(fl);
			return -EINVAL;
		}
		memcpy(fl->name, name, len);
		fl->len = len;
	}
	fl->done = done;
	fl->arg = arg;
	pthread_mutex_lock(&w->mu);
	fl->next = w->flushes;
	w->flushes = fl;
	pthread_mutex_unlock(&w->mu);
	uv_async_send(&w->wake);
	return 0;
}

void al_worker_stop(struct al_worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop_requested = 1;
	pthread_mutex_unlock(&w->mu);
	uv_async_send(&w->wake);
}

void al_worker_join(struct al_worker *w)
{
	uv_thread_join(&w->thread);
}

const struct al_stats *al_worker_stats(const struct al_worker *w)
{
	return &w->stats;
}

const struct al_metrics *al_worker_metrics(const struct al_worker *w)
{
	return &w->metrics;
}

void al_worker_free(struct al_worker *w)
{
	if (!w)
		return;
	if (!w->started && w->listener) {
		/* Never ran: close its handles here. */
		al_listener_close(w->listener);
		close_handles(w);
		uv_run(&w->loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&w->loop);
	al_listener_free(w->listener);
	al_cache_free(w->cache);
	free(w->zone_slots);
	al_guard_free(w->guard);
	al_fwd_free(w->fwd);
	al_config_unref(w->cfg);
	al_config_unref(w->next_cfg);
	while (w->flushes) { /* asked as it stopped: never done */
		struct cache_flush *fl = w->flushes;
		w->flushes = fl->next;
		free(fl);
	}
	pthread_mutex_destroy(&w->mu);
	free(w);
}
