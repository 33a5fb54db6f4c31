/* The control socket: see control.h.  Everything here runs on the daemon's
 * main loop, except the query-log flush (the libuv thread pool: it waits
 * for the writer) and the end of a cache flush, which each worker reports
 * from its own thread through the mutex and the done async. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "airlock/accept.h"
#include "airlock/control.h"
#include "airlock/log.h"
#include "airlock/worker.h"

#define MAX_CONNS 16          /* open control connections; more are told to retry */
#define IDLE_MS 5000          /* a connection must send its command within this */
#define FLUSH_LOG_MS 5000     /* flush-log waits this long for the writer */

/* ----- requests and answers: plain data in, JSON out ----- */

static const struct {
	const char *name;
	enum al_control_op op;
} commands[] = {
	{ "status", AL_CTL_STATUS },
	{ "stats", AL_CTL_STATS },
	{ "reload", AL_CTL_RELOAD },
	{ "flush-cache", AL_CTL_FLUSH_CACHE },
	{ "flush-log", AL_CTL_FLUSH_LOG },
};

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The next blank-separated word of line[*off..len): *word, its length. */
static size_t next_word(const char *line, size_t len, size_t *off, const char **word)
{
	size_t start;

	while (*off < len && blank(line[*off]))
		(*off)++;
	start = *off;
	while (*off < len && !blank(line[*off]))
		(*off)++;
	*word = line + start;
	return *off - start;
}

int al_control_parse(const char *line, size_t len, struct al_control_cmd *out,
		     struct al_err *err)
{
	const char *word, *arg, *extra;
	char name[AL_MAX_NAME_TEXT + 1];
	size_t off = 0, n, argn, i;
	int wire;

	memset(out, 0, sizeof(*out));
	if (memchr(line, '\0', len))
		return al_err_set(err, "a NUL byte in the command (expected one line of text: %s)",
				  AL_CONTROL_COMMANDS);
	n = next_word(line, len, &off, &word);
	if (n == 0)
		return al_err_set(err, "empty command; expected %s", AL_CONTROL_COMMANDS);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strlen(commands[i].name) == n && memcmp(commands[i].name, word, n) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return al_err_set(err, "unknown command \"%.*s\"; expected %s",
				  (int)(n < 64 ? n : 64), word, AL_CONTROL_COMMANDS);
	out->op = commands[i].op;
	argn = next_word(line, len, &off, &arg);
	if (argn && next_word(line, len, &off, &extra))
		return al_err_set(err, "%s: too many arguments (expected at most one name)", commands[i].name);
	if (!argn)
		return 0;
	if (out->op != AL_CTL_FLUSH_CACHE)
		return al_err_set(err, "%s takes no argument (saw \"%.*s\")", commands[i].name,
				  (int)(argn < 64 ? argn : 64), arg);
	if (argn >= sizeof(name) || (memcpy(name, arg, argn), name[argn] = '\0',
				     (wire = al_msg_name_from_text(name, out->name, sizeof(out->name))) < 0))
		return al_err_set(err, "flush-cache: \"%.*s\" is not a domain name (expected e.g. example.com)",
				  (int)(argn < 64 ? argn : 64), arg);
	out->name_len = (size_t)wire;
	return 0;
}

cJSON *al_control_error_json(const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddFalseToObject(o, "ok") || !cJSON_AddStringToObject(o, "error", msg))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *endpoints_json(const struct al_endpoint *ep, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	char ip[AL_ADDRSTRLEN], text[AL_ADDRSTRLEN + 8];
	size_t i;

	for (i = 0; a && i < n; i++) {
		al_ip_format(&ep[i].ip, ip, sizeof(ip));
		snprintf(text, sizeof(text), ep[i].ip.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
			 ep[i].port);
		cJSON_AddItemToArray(a, cJSON_CreateString(text));
	}
	return a;
}

cJSON *al_control_status_json(const struct al_config *cfg, const struct al_control_facts *f)
{
	cJSON *o = cJSON_CreateObject(), *names;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddTrueToObject(o, "ok");
	cJSON_AddStringToObject(o, "version", f->version);
	cJSON_AddNumberToObject(o, "pid", (double)f->pid);
	cJSON_AddNumberToObject(o, "uptime_s", (double)f->uptime_s);
	if (cfg->path)
		cJSON_AddStringToObject(o, "config", cfg->path);
	else
		cJSON_AddNullToObject(o, "config");
	cJSON_AddNumberToObject(o, "zones", (double)cfg->nzones);
	if ((names = cJSON_AddArrayToObject(o, "zone_names")) != NULL)
		for (i = 0; i < cfg->nzones; i++)
			cJSON_AddItemToArray(names, cJSON_CreateString(cfg->zones[i].name));
	cJSON_AddNumberToObject(o, "threads", f->threads);
	cJSON_AddItemToObject(o, "listen", endpoints_json(f->listen, f->nlisten));
	cJSON_AddItemToObject(o, "upstreams", endpoints_json(cfg->upstreams, cfg->nupstreams));
	if (f->log_path)
		cJSON_AddStringToObject(o, "log_path", f->log_path);
	else
		cJSON_AddNullToObject(o, "log_path");
	cJSON_AddBoolToObject(o, "log_writing", f->log_writing);
	cJSON_AddBoolToObject(o, "ready", f->ready);
	return o;
}

cJSON *al_control_stats_json(const struct al_stats *s, const struct al_qlog_stats *q)
{
	cJSON *o = cJSON_CreateObject(), *l;

	if (!o)
		return NULL;
	cJSON_AddTrueToObject(o, "ok");
#define AL_STATS_JSON(name, help) cJSON_AddNumberToObject(o, #name, (double)s->name);
	AL_STATS_FIELDS(AL_STATS_JSON)
#undef AL_STATS_JSON
	if (!q) {
		cJSON_AddNullToObject(o, "query_log");
		return o;
	}
	if ((l = cJSON_AddObjectToObject(o, "query_log")) != NULL) {
		cJSON_AddNumberToObject(l, "written", (double)q->written);
		cJSON_AddNumberToObject(l, "dropped", (double)q->dropped);
		cJSON_AddNumberToObject(l, "gap_rows", (double)q->gap_rows);
		cJSON_AddNumberToObject(l, "write_errors", (double)q->write_errors);
		cJSON_AddNumberToObject(l, "queued", (double)q->queued);
		cJSON_AddBoolToObject(l, "failing", q->failing);
	}
	return o;
}

/* ----- the socket ----- */

/* One client: a command line in, one answer out. */
struct conn {
	struct conn *next;
	struct al_control *ctl;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	uv_work_t work;
	int handles;        /* pipe and timer not yet closed */
	bool closing;       /* no answer can be sent any more */
	bool answered;      /* the answer is being written */
	bool working;       /* flush-log in the thread pool */
	bool flushing;      /* flush-cache: waiting for the workers */
	unsigned remaining; /* under ctl->mu: workers yet to flush */
	unsigned failed;    /* under ctl->mu: workers that could not be asked */
	size_t dropped;     /* under ctl->mu */
	int work_rc;
	struct al_control_cmd cmd;
	char *out;          /* the answer being written */
	size_t len;
	char buf[AL_CONTROL_MAX_REQUEST];
};

struct al_control {
	uv_loop_t *loop;
	uv_pipe_t server;
	struct al_accept_retry retry; /* an accept that found no memory, tried again */
	uv_async_t done; /* a worker finished a cache flush */
	char *path;
	dev_t dev;       /* the socket file we made, removed on close */
	ino_t ino;
	struct al_endpoint *listen; /* as bound at start */
	size_t nlisten;
	char *log_path;
	uint64_t start_ns;
	struct al_control_daemon d;
	bool served;
	struct conn *conns;
	unsigned nconns;

	pthread_mutex_t mu; /* the conns' remaining, failed, dropped; closed */
	bool closed;
};

static void maybe_free(struct conn *cn)
{
	struct conn **pp;

	if (cn->handles || cn->working || cn->flushing)
		return;
	for (pp = &cn->ctl->conns; *pp != cn; pp = &(*pp)->next)
		;
	*pp = cn->next;
	cn->ctl->nconns--;
	free(cn->out);
	free(cn);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *cn = h->data;

	cn->handles--;
	maybe_free(cn);
}

static void close_conn(struct conn *cn)
{
	if (cn->closing)
		return;
	cn->closing = true;
	uv_close((uv_handle_t *)&cn->pipe, on_conn_closed);
	uv_close((uv_handle_t *)&cn->timer, on_conn_closed);
}

static void on_written(uv_write_t *wr, int status)
{
	(void)status;
	close_conn(wr->data);
}

/* Sends obj (taken) and closes; a connection already closing gets
 * nothing. */
static void reply(struct conn *cn, cJSON *obj)
{
	uv_buf_t buf;
	char *text;
	size_t n;

	if (cn->closing || cn->answered || !obj) {
		cJSON_Delete(obj);
		if (!obj)
			close_conn(cn);
		return;
	}
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (!text || !(cn->out = malloc((n = strlen(text)) + 2))) {
		cJSON_free(text);
		close_conn(cn);
		return;
	}
	memcpy(cn->out, text, n);
	memcpy(cn->out + n, "\n", 2);
	cJSON_free(text);
	cn->answered = true;
	uv_read_stop((uv_stream_t *)&cn->pipe);
	uv_timer_stop(&cn->timer);
	buf = uv_buf_init(cn->out, (unsigned)n + 1);
	cn->wr.data = cn;
	if (uv_write(&cn->wr, (uv_stream_t *)&cn->pipe, &buf, 1, on_written) < 0)
		close_conn(cn);
}

static void reply_error(struct conn *cn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_error(struct conn *cn, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply(cn, al_control_error_json(msg));
}

static cJSON *ok_json(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddTrueToObject(o, "ok")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void do_status(struct conn *cn)
{
	struct al_control *c = cn->ctl;
	struct al_control_facts f;
	struct al_qlog_stats q;

	memset(&f, 0, sizeof(f));
	f.version = PACKAGE_VERSION;
	f.pid = (long)getpid();
	f.uptime_s = (uv_hrtime() - c->start_ns) / 1000000000u;
	f.threads = c->d.nworkers;
	f.listen = c->listen;
	f.nlisten = c->nlisten;
	f.log_path = c->d.qlog ? c->log_path : NULL;
	if (c->d.qlog) {
		al_qlog_get_stats(c->d.qlog, &q);
		f.log_writing = !q.failing;
	}
	f.ready = c->served && !c->closed;
	reply(cn, al_control_status_json(c->d.config(c->d.arg), &f));
}

static void do_stats(struct conn *cn)
{
	struct al_control *c = cn->ctl;
	struct al_qlog_stats q;
	struct al_stats sum;
	unsigned i;

	/* Racy reads of counters the workers own, as for SIGUSR1: each one
	 * is a naturally aligned 64-bit word, good enough for a glance. */
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < c->d.nworkers; i++)
		al_stats_add(&sum, al_worker_stats(c->d.workers[i]));
	if (c->d.qlog)
		al_qlog_get_stats(c->d.qlog, &q);
	reply(cn, al_control_stats_json(&sum, c->d.qlog ? &q : NULL));
}

static void do_reload(struct conn *cn)
{
	struct al_err err;
	int rc;

	err.msg[0] = '\0';
	rc = cn->ctl->d.reload(cn->ctl->d.arg, &err);
	if (rc < 0)
		reply_error(cn, "%s", err.msg[0] ? err.msg : strerror(-rc));
	else
		reply(cn, ok_json());
}

/* On a worker's thread: its share of a cache flush is done. */
static void on_worker_flushed(void *arg, size_t dropped)
{
	struct conn *cn = arg;
	struct al_control *c = cn->ctl;

	pthread_mutex_lock(&c->mu);
	cn->dropped += dropped;
	cn->remaining--;
	if (!c->closed)
		uv_async_send(&c->done);
	pthread_mutex_unlock(&c->mu);
}

static void do_flush_cache(struct conn *cn)
{
	struct al_control *c = cn->ctl;
	unsigned i;

	cn->flushing = true;
	pthread_mutex_lock(&c->mu);
	cn->remaining = c->d.nworkers;
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < c->d.nworkers; i++)
		if (al_worker_flush_cache(c->d.workers[i], cn->cmd.name_len ? cn->cmd.name : NULL,
					  cn->cmd.name_len, on_worker_flushed, cn) < 0) {
			pthread_mutex_lock(&c->mu);
			cn->remaining--;
			cn->failed++;
			pthread_mutex_unlock(&c->mu);
		}
	uv_async_send(&c->done); /* also when there was no worker to ask */
}

/* On the main loop: answers the cache flushes every worker has done. */
static void on_done(uv_async_t *a)
{
	struct al_control *c = a->data;
	struct conn *cn, *next;
	unsigned left, failed;
	size_t dropped;
	char name[AL_MAX_NAME_TEXT + 2] = "";
	cJSON *o;

	for (cn = c->conns; cn; cn = next) {
		next = cn->next;
		if (!cn->flushing)
			continue;
		pthread_mutex_lock(&c->mu);
		left = cn->remaining;
		failed = cn->failed;
		dropped = cn->dropped;
		pthread_mutex_unlock(&c->mu);
		if (left)
			continue;
		cn->flushing = false;
		if (failed) {
			reply_error(cn, "out of memory: %u of %u threads could not be asked to flush their cache (%zu entries dropped by the others)",
				    failed, c->d.nworkers, dropped);
		} else if ((o = ok_json()) != NULL) {
			cJSON_AddNumberToObject(o, "dropped", (double)dropped);
			cJSON_AddNumberToObject(o, "threads", c->d.nworkers);
			if (cn->cmd.name_len && al_msg_name_to_text(cn->cmd.name, name, sizeof(name)) >= 0)
				cJSON_AddStringToObject(o, "name", name);
			al_info("control: cache flushed%s%s: %zu entries dropped", cn->cmd.name_len ? " for " : "",
				cn->cmd.name_len ? name : "", dropped);
			reply(cn, o);
		} else {
			close_conn(cn);
		}
		maybe_free(cn);
	}
}

/* In the thread pool: the writer may take a while. */
static void flush_log_work(uv_work_t *w)
{
	struct conn *cn = w->data;

	cn->work_rc = al_qlog_flush(cn->ctl->d.qlog, FLUSH_LOG_MS);
}

static void flush_log_after(uv_work_t *w, int status)
{
	struct conn *cn = w->data;
	struct al_control *c = cn->ctl;
	struct al_qlog_stats q;
	cJSON *o;

	cn->working = false;
	if (status == 0) {
		al_qlog_get_stats(c->d.qlog, &q);
		if (cn->work_rc < 0)
			reply_error(cn, "query log %s: not everything queued was committed within %d ms (%zu rows queued%s)",
				    c->log_path, FLUSH_LOG_MS, q.queued,
				    q.failing ? "; the database cannot be written now: see airlockd's log" : "");
		else if ((o = ok_json()) != NULL) {
			cJSON_AddNumberToObject(o, "written", (double)q.written);
			cJSON_AddNumberToObject(o, "queued", (double)q.queued);
			reply(cn, o);
		} else {
			close_conn(cn);
		}
	}
	maybe_free(cn);
}

static void do_flush_log(struct conn *cn)
{
	struct al_control *c = cn->ctl;
	int rc;

	if (!c->d.qlog) {
		reply_error(cn, "no query log: log.path is not set in %s",
			    c->d.config(c->d.arg)->path ? c->d.config(c->d.arg)->path : "the built-in default");
		return;
	}
	cn->work.data = cn;
	if ((rc = uv_queue_work(c->loop, &cn->work, flush_log_work, flush_log_after)) < 0) {
		reply_error(cn, "cannot flush the query log: %s", uv_strerror(rc));
		return;
	}
	cn->working = true;
}

static void dispatch(struct conn *cn, const char *line, size_t len)
{
	struct al_err err;

	uv_read_stop((uv_stream_t *)&cn->pipe);
	uv_timer_stop(&cn->timer);
	if (al_control_parse(line, len, &cn->cmd, &err) < 0) {
		reply(cn, al_control_error_json(err.msg));
		return;
	}
	if (!cn->ctl->served) {
		reply_error(cn, "airlockd is starting; try again");
		return;
	}
	switch (cn->cmd.op) {
	case AL_CTL_STATUS: do_status(cn); break;
	case AL_CTL_STATS: do_stats(cn); break;
	case AL_CTL_RELOAD: do_reload(cn); break;
	case AL_CTL_FLUSH_CACHE: do_flush_cache(cn); break;
	case AL_CTL_FLUSH_LOG: do_flush_log(cn); break;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *cn = h->data;

	(void)hint;
	*buf = uv_buf_init(cn->buf + cn->len, (unsigned)(sizeof(cn->buf) - cn->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *cn = s->data;
	char *nl;

	(void)buf;
	if (nread == UV_EOF && cn->len) {
		dispatch(cn, cn->buf, cn->len); /* the last line had no newline */
		return;
	}
	if (nread < 0) {
		close_conn(cn);
		return;
	}
	cn->len += (size_t)nread;
	if ((nl = memchr(cn->buf, '\n', cn->len)) != NULL)
		dispatch(cn, cn->buf, (size_t)(nl - cn->buf));
	else if (cn->len == sizeof(cn->buf))
		reply_error(cn, "command longer than %d bytes; expected one line: %s",
			    AL_CONTROL_MAX_REQUEST - 1, AL_CONTROL_COMMANDS);
}

static void on_idle(uv_timer_t *t)
{
	reply_error(t->data, "no command within %d ms; expected one line: %s", IDLE_MS,
		    AL_CONTROL_COMMANDS);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct al_control *c = server->data;
	struct conn *cn;

	if (status < 0) {
		al_warn("control socket %s: %s", c->path, uv_strerror(status));
		return;
	}
	if (!(cn = calloc(1, sizeof(*cn)))) {
		al_accept_retry_later(&c->retry);
		return;
	}
	cn->ctl = c;
	uv_pipe_init(c->loop, &cn->pipe, 0);
	uv_timer_init(c->loop, &cn->timer);
	cn->pipe.data = cn->timer.data = cn;
	cn->handles = 2;
	cn->next = c->conns;
	c->conns = cn;
	c->nconns++;
	if (uv_accept(server, (uv_stream_t *)&cn->pipe) < 0) {
		close_conn(cn);
		return;
	}
	if (c->nconns > MAX_CONNS) {
		reply_error(cn, "too many control connections (at most %d); try again", MAX_CONNS);
		return;
	}
	uv_timer_start(&cn->timer, on_idle, IDLE_MS, 0);
	if (uv_read_start((uv_stream_t *)&cn->pipe, on_alloc, on_read) < 0)
		close_conn(cn);
}

/* Whatever is at path: nothing, a socket nobody listens on (removed), a
 * live one or anything else (errors). */
static int clear_stale(const char *path, struct al_err *err)
{
	struct sockaddr_un sa;
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return al_err_set(err, "control socket %s: %s (check control.path and its directory)",
				  path, strerror(errno));
	}
	if (!S_ISSOCK(sb.st_mode))
		return al_err_set(err, "control socket %s: the file exists and is not a socket (remove it or choose another control.path)",
				  path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return al_err_set(err, "control socket %s: socket: %s", path, strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0)
		rc = -errno;
	close(fd);
	if (rc == 0)
		return al_err_set(err, "control socket %s: another process is listening on it (is airlockd already running? stop it or choose another control.path)",
				  path);
	if (rc != -ECONNREFUSED)
		return al_err_set(err, "control socket %s: cannot tell whether it is in use: %s", path,
				  strerror(-rc));
	if (unlink(path) < 0 && errno != ENOENT)
		return al_err_set(err, "control socket %s: cannot remove the stale socket: %s", path,
				  strerror(errno));
	al_info("control socket %s: replaced a stale socket file (no process was listening)", path);
	return 0;
}

/* The listening socket, its mode and group set before listen(2): until
 * then a connect is refused, so nobody gets in under the wrong mode. */
static int make_socket(const struct al_config *cfg, dev_t *dev, ino_t *ino, struct al_err *err)
{
	const char *path = cfg->control_path;
	struct sockaddr_un sa;
	struct stat sb;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1); /* the config checked the length */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return al_err_set(err, "control socket %s: socket: %s", path, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		al_err_set(err, "control socket %s: cannot create it: %s (does the directory exist and is it writable? create it or choose another control.path)",
			   path, strerror(errno));
		close(fd);
		return -EIO;
	}
	if (chmod(path, (mode_t)cfg->control_mode) < 0 ||
	    (cfg->control_group && chown(path, (uid_t)-1, (gid_t)cfg->control_gid) < 0) ||
	    stat(path, &sb) < 0) {
		al_err_set(err, "control socket %s: cannot set mode %04o%s%s: %s", path,
			   (unsigned)cfg->control_mode, cfg->control_group ? " and group " : "",
			   cfg->control_group ? cfg->control_group : "", strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	if (listen(fd, MAX_CONNS) < 0) {
		al_err_set(err, "control socket %s: listen: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return fd;
}

static void release(struct al_control *c)
{
	struct conn *cn;

	while ((cn = c->conns) != NULL) {
		c->conns = cn->next;
		free(cn->out);
		free(cn);
	}
	pthread_mutex_destroy(&c->mu);
	free(c->listen);
	free(c->log_path);
	free(c->path);
	free(c);
}

int al_control_open(uv_loop_t *loop, const struct al_config *cfg,
		    struct al_control **out, struct al_err *err)
{
	struct al_control *c = calloc(1, sizeof(*c));
	int fd, rc;

	if (!c)
		return al_err_set(err, "out of memory"), -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	c->loop = loop;
	c->start_ns = uv_hrtime();
	c->path = strdup(cfg->control_path);
	c->listen = calloc(cfg->nlisten ? cfg->nlisten : 1, sizeof(*c->listen));
	c->log_path = cfg->log_path ? strdup(cfg->log_path) : NULL;
	if (!c->path || !c->listen || (cfg->log_path && !c->log_path)) {
		release(c);
		return al_err_set(err, "out of memory"), -ENOMEM;
	}
	memcpy(c->listen, cfg->listen, cfg->nlisten * sizeof(*c->listen));
	c->nlisten = cfg->nlisten;
	if ((rc = clear_stale(c->path, err)) < 0 || (rc = fd = make_socket(cfg, &c->dev, &c->ino, err)) < 0) {
		release(c);
		return rc;
	}
	uv_pipe_init(loop, &c->server, 0);
	c->server.data = c;
	if ((rc = uv_pipe_open(&c->server, fd)) < 0)
		close(fd); /* not the handle's yet */
	if (rc < 0 || (rc = uv_listen((uv_stream_t *)&c->server, MAX_CONNS, on_connection)) < 0) {
		al_err_set(err, "control socket %s: %s", c->path, uv_strerror(rc));
		/* Closing a handle takes a turn of the loop; nothing else
		 * is on it before the daemon starts. */
		uv_close((uv_handle_t *)&c->server, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		unlink(c->path);
		release(c);
		return rc;
	}
	uv_async_init(loop, &c->done, on_done);
	al_accept_retry_init(&c->retry, loop, (uv_stream_t *)&c->server, on_connection);
	c->done.data = c;
	al_info("control socket %s (mode %04o%s%s)", c->path, (unsigned)cfg->control_mode,
		cfg->control_group ? ", group " : "", cfg->control_group ? cfg->control_group : "");
	*out = c;
	return 0;
}

void al_control_serve(struct al_control *c, const struct al_control_daemon *d)
{
	c->d = *d;
	c->served = true;
}

void al_control_close(struct al_control *c)
{
	struct conn *cn, *next;
	struct stat sb;

	if (!c || c->closed)
		return;
	pthread_mutex_lock(&c->mu);
	c->closed = true; /* no worker sends to done from now on */
	pthread_mutex_unlock(&c->mu);
	uv_close((uv_handle_t *)&c->done, NULL);
	al_accept_retry_close(&c->retry, NULL, NULL);
	uv_close((uv_handle_t *)&c->server, NULL);
	for (cn = c->conns; cn; cn = next) {
		next = cn->next;
		if (cn->working)
			uv_cancel((uv_req_t *)&cn->work);
		close_conn(cn);
	}
	/* Only the file we made: not one that replaced it since. */
	if (lstat(c->path, &sb) == 0 && sb.st_dev == c->dev && sb.st_ino == c->ino &&
	    unlink(c->path) < 0)
		al_warn("control socket %s: cannot remove it: %s (its directory should be writable by the user airlockd runs as, e.g. systemd's RuntimeDirectory=airlock; the next start replaces it)",
			c->path, strerror(errno));
}

void al_control_free(struct al_control *c)
{
	if (c)
		release(c);
}
