/* The HTTP server for /metrics: see httpd.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/httpd.h"
#include "airlock/accept.h"
#include "airlock/log.h"

#define BACKLOG 64

struct conn {
	uv_tcp_t h;
	uv_timer_t timer;
	struct al_httpd *srv;
	struct conn *prev, *next;
	uv_write_t wr;
	uv_shutdown_t shut;
	char *out;     /* the response being written */
	int closing;   /* handles still to close */
	int responded; /* from then on input is read and dropped */
	int written;   /* the response is out: the client's EOF closes */
	int eof;       /* the client closed its side */
	size_t inlen;
	char in[AL_HTTPD_MAX_REQUEST];
};

struct al_httpd {
	uv_tcp_t h;
	char *path, *content_type;
	al_httpd_fn fn;
	void *arg;
	struct conn *conns;
	size_t nconns;
	struct al_accept_retry retry; /* an accept that found no memory, tried again */
	int closing; /* the listener is closed or closing */
	int open;    /* the listener and retry, until their close callbacks ran */
	char discard[512]; /* input after the request: read, never looked at */
};

static void free_if_done(struct al_httpd *s)
{
	if (!s->open && !s->nconns) {
		free(s->path);
		free(s->content_type);
		free(s);
	}
}

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct al_httpd *s = c->srv;

	if (--c->closing)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->out);
	free(c);
	free_if_done(s);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 2;
	uv_close((uv_handle_t *)&c->h, conn_closed);
	uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	/* Input may still arrive (a request body): it is read and dropped
	 * until the client closes or the timer fires, so closing does not
	 * reset the connection under the response. */
	if (status < 0 || c->eof)
		conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	if (status < 0 || c->closing) {
		conn_close(c);
		return;
	}
	c->written = 1;
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->h, on_shutdown) < 0)
		conn_close(c);
}

static void respond(struct conn *c, int status, const char *reason, const char *type,
		    const char *extra, const char *body, size_t len, int head_only)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 status, reason, type, len, extra);
	size_t total;
	uv_buf_t b;

	c->responded = 1;
	if (n < 0 || (size_t)n >= sizeof(hdr)) { /* a content type too long for the head */
		conn_close(c);
		return;
	}
	total = (size_t)n + (head_only ? 0 : len);
	if (!(c->out = malloc(total))) {
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (!head_only)
		memcpy(c->out + n, body, len);
	b = uv_buf_init(c->out, (unsigned)total);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->h, &b, 1, on_written) < 0)
		conn_close(c);
}

static void simple(struct conn *c, int status, const char *reason, const char *extra,
		   int head_only)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", reason);

	respond(c, status, reason, "text/plain; charset=utf-8", extra, body, (size_t)n, head_only);
}

/* The request line of a complete head: "METHOD TARGET HTTP/1.x". */
static void handle(struct conn *c)
{
	struct al_httpd *s = c->srv;
	char *line = c->in, *method, *target, *version, *end, *q;
	char *body = NULL;
	size_t len = 0;
	int head_only;

	end = strpbrk(line, "\r\n");
	*end = '\0';
	method = line;
	if (!(target = strchr(method, ' ')) || !(version = strchr(target + 1, ' '))) {
		simple(c, 400, "Bad Request", "", 0);
		return;
	}
	*target++ = '\0';
	*version++ = '\0';
	if (strcmp(version, "HTTP/1.0") != 0 && strcmp(version, "HTTP/1.1") != 0) {
		simple(c, 400, "Bad Request", "", 0);
		return;
	}
	head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		simple(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", 0);
		return;
	}
	if ((q = strchr(target, '?')) != NULL)
		*q = '\0';
	if (strcmp(target, s->path) != 0) {
		simple(c, 404, "Not Found", "", head_only);
		return;
	}
	if (s->fn(s->arg, &body, &len) < 0) {
		simple(c, 500, "Internal Server Error", "", head_only);
		return;
	}
	respond(c, 200, "OK", s->content_type, "", body, len, head_only);
	free(body);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)hint;

	if (c->responded)
		*buf = uv_buf_init(c->srv->discard, sizeof(c->srv->discard));
	else
		*buf = uv_buf_init(c->in + c->inlen, (unsigned)(sizeof(c->in) - 1 - c->inlen));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	(void)buf;

	if (nread == UV_EOF && c->responded && !c->written) {
		/* The client only half-closed while the reply is still on its
		 * way: the shutdown that follows the write closes. */
		c->eof = 1;
		uv_read_stop(st);
		return;
	}
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (c->responded || nread == 0)
		return;
	if (memchr(c->in + c->inlen, '\0', (size_t)nread)) {
		simple(c, 400, "Bad Request", "", 0);
		return;
	}
	c->inlen += (size_t)nread;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		handle(c);
	} else if (c->inlen == sizeof(c->in) - 1) {
		simple(c, 431, "Request Header Fields Too Large", "", 0);
	}
}

static void on_closed_reject(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct al_httpd *s = server->data;
	struct conn *c;
	uv_tcp_t *t;

	if (status < 0)
		return;
	if (s->nconns >= AL_HTTPD_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		/* Accepted only to be closed: the backlog does not fill. */
		if ((t = malloc(sizeof(*t))) == NULL) {
			al_accept_retry_later(&s->retry);
			return;
		}
		uv_tcp_init(server->loop, t);
		uv_accept(server, (uv_stream_t *)t);
		uv_close((uv_handle_t *)t, on_closed_reject);
		return;
	}
	c->srv = s;
	uv_tcp_init(server->loop, &c->h);
	uv_timer_init(server->loop, &c->timer);
	c->h.data = c->timer.data = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0 ||
	    uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_idle, AL_HTTPD_IDLE_MS, 0);
}

static void server_closed(uv_handle_t *h)
{
	struct al_httpd *s = h->data;

	s->open--;
	free_if_done(s);
}

int al_httpd_new(uv_loop_t *loop, const struct al_ip *ip, uint16_t port, const char *path,
		 const char *content_type, al_httpd_fn fn, void *arg, struct al_httpd **out,
		 struct al_err *err)
{
	struct al_httpd *s = calloc(1, sizeof(*s));
	struct sockaddr_storage sa;
	socklen_t salen;
	char where[AL_ADDRSTRLEN];
	int rc;

	if (!s || !(s->path = strdup(path)) || !(s->content_type = strdup(content_type))) {
		if (s)
			free(s->path);
		free(s);
		return al_err_set(err, "out of memory"), -ENOMEM;
	}
	s->fn = fn;
	s->arg = arg;
	al_sockaddr_make(ip, port, &sa, &salen);
	al_sockaddr_format((struct sockaddr *)&sa, where, sizeof(where));
	uv_tcp_init(loop, &s->h);
	al_accept_retry_init(&s->retry, loop, (uv_stream_t *)&s->h, on_connection);
	s->h.data = s;
	s->open = 2;
	if ((rc = uv_tcp_bind(&s->h, (struct sockaddr *)&sa, 0)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&s->h, BACKLOG, on_connection)) < 0) {
		al_err_set(err, "metrics: cannot listen on %s (tcp): %s", where, uv_strerror(rc));
		al_httpd_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void al_httpd_close(struct al_httpd *s)
{
	struct conn *c;

	if (!s || s->closing)
		return;
	s->closing = 1;
	for (c = s->conns; c; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&s->h, server_closed);
	al_accept_retry_close(&s->retry, server_closed, s);
}
