/* Workers, signals and reloads: see daemon.h. */
#include "config.h" /* PACKAGE_VERSION */

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "airlock/control.h"
#include "airlock/daemon.h"
#include "airlock/dnstap.h"
#include "airlock/httpd.h"
#include "airlock/log.h"
#include "airlock/notify.h"
#include "airlock/privdrop.h"
#include "airlock/logread.h"
#include "airlock/metrics.h"
#include "airlock/querylog.h"
#include "airlock/seen.h"
#include "airlock/worker.h"

struct daemon {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint, sighup, sigusr1;
	struct al_config *cfg;
	struct al_qlog *qlog;
	struct al_dnstap *dnstap; /* NULL: no dnstap output */
	struct al_seen *seen; /* first sightings of domains, kept across reloads */
	struct al_worker **workers;
	unsigned nworkers, nstarted;
	int stopping;
	struct al_control *control; /* NULL: no control socket */
	struct al_httpd *metrics;   /* NULL: no /metrics (or closed at stop) */
	uint64_t reloads_ok, reloads_failed;
	int64_t started_s, reloaded_s; /* wall clock: start, last good reload */
};

static int same_sockets(const struct al_config *a, const struct al_config *b)
{
	return a->nlisten == b->nlisten && a->threads == b->threads &&
	       memcmp(a->listen, b->listen, a->nlisten * sizeof(*a->listen)) == 0;
}

static int same_control(const struct al_config *a, const struct al_config *b)
{
	if (!a->control_path || !b->control_path)
		return a->control_path == b->control_path;
	return strcmp(a->control_path, b->control_path) == 0 && a->control_mode == b->control_mode &&
	       (a->control_group ? a->control_gid : (uint32_t)-1) ==
	       (b->control_group ? b->control_gid : (uint32_t)-1);
}

static int merge_seen(const char *domain, int64_t first_us, void *arg)
{
	int rc = al_seen_merge(arg, domain, first_us);

	return rc == -ENOSPC ? 0 : rc; /* past the cap: the rest are judged new */
}

/* The saved first sightings (and whatever `airlock seen import` added)
 * into the table.  Reads the database: never on a worker's loop. */
static void load_seen(struct daemon *d, const char *path)
{
	struct al_logread *lr;
	struct al_err err;
	size_t before = al_seen_count(d->seen);

	if (al_logread_open(path, &lr, &err) < 0 || al_logread_seen(lr, merge_seen, d->seen, &err) < 0)
		al_warn("newly seen domains: cannot read the saved sightings: %s", err.msg);
	else
		al_info("newly seen domains: %zu known (%zu read from %s)", al_seen_count(d->seen),
			al_seen_count(d->seen) - before, path);
	if (lr)
		al_logread_close(lr);
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Returns 0, or -errno with the reason in err (the old config stays). */
static int reload_config(struct daemon *d, struct al_err *err)
{
	struct al_config *cfg;
	unsigned i;
	int rc;

	if (!d->cfg->path) {
		al_warn("reload: running on the built-in default, nothing to reload");
		return al_err_set(err, "running on the built-in default (no -c FILE): nothing to reload");
	}
	if ((rc = al_config_load(d->cfg->path, &cfg, err)) < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "%s: out of memory", d->cfg->path);
		al_err("reload failed: %s; the running config stays in force", err->msg);
		return rc;
	}
	if ((d->cfg->log_path == NULL) != (cfg->log_path == NULL) ||
	    (cfg->log_path && strcmp(cfg->log_path, d->cfg->log_path) != 0))
		al_warn("reload: a change of log.path takes effect at restart; logging to %s",
			d->cfg->log_path ? d->cfg->log_path : "(nowhere)");
	if (!al_dnstap_conf_equal(&d->cfg->dnstap, &cfg->dnstap))
		al_warn("reload: changes to dnstap take effect at restart");
	if (!same_control(d->cfg, cfg))
		al_warn("reload: changes to control take effect at restart");
	if (cfg->metrics_port != d->cfg->metrics_port ||
	    (cfg->metrics_port && !al_ip_equal(&cfg->metrics_ip, &d->cfg->metrics_ip)))
		al_warn("reload: changes to metrics take effect at restart");
	if (!same_sockets(d->cfg, cfg)) {
		/* Workers keep the sockets they bound at start. */
		al_warn("reload: changes to listen or threads take effect at restart; keeping the current sockets");
	}
	al_seen_set_max(d->seen, cfg->seen_domains);
	if (d->qlog)
		load_seen(d, d->cfg->log_path);
	for (i = 0; i < d->nworkers; i++)
		al_worker_set_config(d->workers[i], cfg);
	al_config_unref(d->cfg);
	d->cfg = cfg;
	al_info("reloaded %s: %zu zones, %zu upstreams", cfg->path, cfg->nzones, cfg->nupstreams);
	return 0;
}

/* SIGHUP and `airlock ctl reload`: the manager sees the reload begin and
 * end (Type=notify-reload).  Returns reload_config's status. */
static int reload(struct daemon *d, struct al_err *err)
{
	int rc;

	al_notify("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)monotonic_us());
	rc = reload_config(d, err);
	if (rc == 0) {
		d->reloads_ok++;
		d->reloaded_s = (int64_t)time(NULL);
	} else {
		d->reloads_failed++;
	}
	al_notify("READY=1\nSTATUS=serving %zu zones, config %s", d->cfg->nzones,
		  d->cfg->path ? d->cfg->path : "(built-in default)");
	return rc;
}

static struct al_config *control_config(void *arg)
{
	return ((struct daemon *)arg)->cfg;
}

static int control_reload(void *arg, struct al_err *err)
{
	return reload(arg, err);
}

static void log_stats(struct daemon *d, const char *when)
{
	struct al_stats sum;
	char line[2048];
	unsigned i;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < d->nworkers; i++)
		al_stats_add(&sum, al_worker_stats(d->workers[i]));
	al_stats_format(&sum, line, sizeof(line));
	al_info("counters %s: %s", when, line[0] ? line : "(none)");
	if (d->qlog) {
		struct al_qlog_stats q;
		al_qlog_get_stats(d->qlog, &q);
		al_info("query log %s: %llu rows written, %llu dropped (%llu gap rows), %llu write errors, %zu queued%s",
			d->cfg->log_path, (unsigned long long)q.written, (unsigned long long)q.dropped,
			(unsigned long long)q.gap_rows, (unsigned long long)q.write_errors, q.queued,
			q.failing ? "; cannot write now" : "");
	}
	if (d->dnstap) {
		struct al_dnstap_stats s;
		al_dnstap_get_stats(d->dnstap, &s);
		al_info("dnstap %s: %llu messages queued for output, %llu dropped (queue full)",
			al_dnstap_where(d->dnstap), (unsigned long long)s.sent, (unsigned long long)s.dropped);
	}
}

/* GET /metrics, on the main loop: the workers' counters read while they
 * run (relaxed loads), the query log's under its lock. */
static int scrape(void *arg, char **body, size_t *len)
{
	struct daemon *d = arg;
	const struct al_metrics **ws = calloc(d->nworkers + 1, sizeof(*ws));
	struct al_metrics_process p;
	struct al_stats sum;
	unsigned i;
	int rc;

	if (!ws)
		return -ENOMEM;
	memset(&sum, 0, sizeof(sum));
	memset(&p, 0, sizeof(p));
	for (i = 0; i < d->nworkers; i++) {
		al_stats_add(&sum, al_worker_stats(d->workers[i]));
		ws[i] = al_worker_metrics(d->workers[i]);
	}
	p.version = PACKAGE_VERSION;
	p.start_time_s = d->started_s;
	p.reloads_ok = d->reloads_ok;
	p.reloads_failed = d->reloads_failed;
	p.last_reload_ok_s = d->reloaded_s;
	if (d->qlog) {
		p.has_log = true;
		p.log_available = al_qlog_available(d->qlog);
		al_qlog_get_stats(d->qlog, &p.log);
	}
	rc = al_metrics_render(ws, d->nworkers, &sum, &p, body, len);
	free(ws);
	return rc;
}

/* The metrics listener, bound before the privilege drop like the DNS
 * ports (metrics.port may be below 1024). */
static int open_metrics(struct daemon *d)
{
	const struct al_config *cfg = d->cfg;
	char where[AL_ADDRSTRLEN];
	struct al_err err;

	if (!cfg->metrics_port)
		return 0;
	if (al_httpd_new(&d->loop, &cfg->metrics_ip, cfg->metrics_port, "/metrics",
			 "text/plain; version=0.0.4; charset=utf-8", scrape, d, &d->metrics, &err) < 0) {
		al_err("%s", err.msg);
		return -1;
	}
	al_info("metrics on http://%s%s%s:%u/metrics", cfg->metrics_ip.family == AF_INET6 ? "[" : "",
		al_ip_format(&cfg->metrics_ip, where, sizeof(where)),
		cfg->metrics_ip.family == AF_INET6 ? "]" : "", cfg->metrics_port);
	return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	struct al_err err;
	unsigned i;

	switch (signum) {
	case SIGHUP:
		reload(d, &err);
		break;
	case SIGUSR1:
		/* Relaxed loads of counters the workers own (race-free, but
		 * not one instant across them); exact at exit. */
		log_stats(d, "so far");
		break;
	default:
		if (d->stopping)
			break;
		d->stopping = 1;
		al_notify("STOPPING=1");
		al_info("stopping: answering queries in flight");
		for (i = 0; i < d->nworkers; i++)
			al_worker_stop(d->workers[i]);
		uv_close((uv_handle_t *)&d->sigterm, NULL);
		uv_close((uv_handle_t *)&d->sigint, NULL);
		uv_close((uv_handle_t *)&d->sighup, NULL);
		uv_close((uv_handle_t *)&d->sigusr1, NULL);
		al_control_close(d->control);
		al_httpd_close(d->metrics);
		d->metrics = NULL;
	}
}

static void watch(struct daemon *d, uv_signal_t *s, int signum)
{
	uv_signal_init(&d->loop, s);
	s->data = d;
	uv_signal_start(s, on_signal, signum);
}

static void describe(const struct al_config *cfg)
{
	char where[AL_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < cfg->nlisten; i++)
		al_info("listening on %s port %u (udp, tcp)",
			al_ip_format(&cfg->listen[i].ip, where, sizeof(where)), cfg->listen[i].port);
	for (i = 0; i < cfg->nupstreams; i++)
		al_info("upstream %s port %u",
			al_ip_format(&cfg->upstreams[i].ip, where, sizeof(where)), cfg->upstreams[i].port);
	if (!cfg->nupstreams)
		al_warn("no upstream resolver: every query that is not cached gets SERVFAIL");
	al_info("%zu zones, %u threads, cache %zu MiB, config %s", cfg->nzones, cfg->threads,
		cfg->cache_bytes >> 20, cfg->path ? cfg->path : "(built-in default)");
}

/* The query log, and the first sightings saved in it; opened as the user
 * airlockd runs as, so the files it creates are that user's. */
static int open_log(struct daemon *d)
{
	const struct al_config *cfg = d->cfg;
	struct al_qlog_opts o = { cfg->log_queue, cfg->log_batch_rows, cfg->log_batch_ms,
				  cfg->log_retention_days };
	struct al_err err;
	unsigned i;

	if (!cfg->log_path)
		return 0;
	if (al_qlog_open(cfg->log_path, &o, &d->qlog, &err) < 0) {
		al_err("%s", err.msg);
		return -1;
	}
	load_seen(d, cfg->log_path);
	for (i = 0; i < d->nworkers; i++)
		al_worker_set_log(d->workers[i], d->qlog);
	return 0;
}

/* dnstap output, opened as the user airlockd runs as (a file it creates
 * is that user's); the workers get it before they start. */
static int open_dnstap(struct daemon *d)
{
	const struct al_dnstap_conf *c = &d->cfg->dnstap;
	struct al_err err;
	unsigned i;

	if (!c->socket && !c->file)
		return 0;
	if (al_dnstap_open(c, d->nworkers, &d->dnstap, &err) < 0) {
		al_err("%s", err.msg);
		return -1;
	}
	for (i = 0; i < d->nworkers; i++)
		al_worker_set_dnstap(d->workers[i], d->dnstap);
	al_info("dnstap to %s %s", c->socket ? "socket" : "file", c->socket ? c->socket : c->file);
	return 0;
}

int al_daemon_run(struct al_config *cfg, const struct al_privdrop *drop)
{
	struct daemon d;
	struct al_err err;
	unsigned i;
	int rc, status = 0;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.started_s = d.reloaded_s = (int64_t)time(NULL);
	d.workers = calloc(cfg->threads, sizeof(*d.workers));
	if (!d.workers || al_seen_new(cfg->seen_domains, &d.seen) < 0 || uv_loop_init(&d.loop) < 0) {
		al_err("out of memory");
		free(d.workers);
		al_seen_free(d.seen);
		al_config_unref(cfg);
		return 1;
	}
	/* Privileged: bind the ports. */
	for (i = 0; status == 0 && i < cfg->threads; i++) {
		if ((rc = al_worker_new(i, cfg, d.seen, &d.workers[i], &err)) < 0) {
			al_err("%s", err.msg);
			status = 1;
			break;
		}
		d.nworkers++;
	}
	/* Privileged too: the control socket's group may be one the user is
	 * not in. */
	if (status == 0 && cfg->control_path && al_control_open(&d.loop, cfg, &d.control, &err) < 0) {
		al_err("%s", err.msg);
		status = 1;
	}
	if (status == 0 && open_metrics(&d) < 0)
		status = 1;
	/* From here on, the configured user: no thread has started yet, so
	 * every thread is born unprivileged. */
	if (status == 0 && drop && al_privdrop_apply(drop, &err) < 0) {
		al_err("%s", err.msg);
		status = 1;
	} else if (status == 0 && drop && !drop->stay_root) {
		al_info("running as user %s (uid %lu, gid %lu)", drop->user, (unsigned long)drop->uid,
			(unsigned long)drop->gid);
		if (cfg->path && access(cfg->path, R_OK) < 0)
			al_warn("%s: user %s cannot read it (%s): a reload (SIGHUP, airlock ctl reload) will fail",
				cfg->path, drop->user, strerror(errno));
	}
	if (status == 0 && open_log(&d) < 0)
		status = 1;
	if (status == 0 && open_dnstap(&d) < 0)
		status = 1;
	for (i = 0; status == 0 && i < d.nworkers; i++) {
		if ((rc = al_worker_start(d.workers[i])) < 0) {
			al_err("cannot start worker %u: %s", i, uv_strerror(rc));
			status = 1;
			break;
		}
		d.nstarted++;
	}
	if (status == 0) {
		describe(cfg);
		al_notify("READY=1\nSTATUS=serving %zu zones, config %s\nMAINPID=%ld", cfg->nzones,
			  cfg->path ? cfg->path : "(built-in default)", (long)getpid());
		watch(&d, &d.sigterm, SIGTERM);
		watch(&d, &d.sigint, SIGINT);
		watch(&d, &d.sighup, SIGHUP);
		watch(&d, &d.sigusr1, SIGUSR1);
		if (d.control) {
			struct al_control_daemon cd = { &d, control_config, control_reload, d.workers,
							d.nworkers, d.qlog };
			al_control_serve(d.control, &cd);
		}
		uv_run(&d.loop, UV_RUN_DEFAULT);
	} else {
		for (i = 0; i < d.nstarted; i++)
			al_worker_stop(d.workers[i]);
	}
	/* Closed at stop already, unless the start failed (a listener that
	 * failed to open is closing too): the loop runs their close callbacks. */
	al_control_close(d.control);
	al_httpd_close(d.metrics);
	d.metrics = NULL;
	uv_run(&d.loop, UV_RUN_DEFAULT);
	for (i = 0; i < d.nstarted; i++)
		al_worker_join(d.workers[i]);
	al_control_free(d.control); /* after the workers: a cache flush may report to it */
	if (d.qlog) {
		al_qlog_close(d.qlog); /* flushes every queued row */
		d.qlog = NULL;
	}
	if (status == 0)
		log_stats(&d, "at exit");
	al_dnstap_close(d.dnstap); /* writes what the workers queued */
	for (i = 0; i < d.nworkers; i++)
		al_worker_free(d.workers[i]);
	free(d.workers);
	al_seen_free(d.seen);
	uv_loop_close(&d.loop);
	al_config_unref(d.cfg);
	return status;
}
