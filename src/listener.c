/* Client sockets and TCP connections: see listener.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "airlock/accept.h"
#include "airlock/listener.h"
#include "airlock/log.h"
#include "airlock/msg.h"

#define TCP_BACKLOG 256
/* Queries unanswered plus replies unwritten, per connection: past this the
 * connection is not read, so a client that sends without reading cannot
 * make the server buffer without bound. */
#define TCP_PIPELINE_MAX 64
#define TCP_BUF (2 + AL_MAX_MSG)
/* libuv reads up to this many datagrams per recvmmsg(2) call, one 64 KiB
 * slot each: under load one system call instead of twenty. */
#define UDP_BATCH 20
#define UDP_SLOT (64 * 1024)

struct al_listener {
	uv_loop_t *loop;
	al_query_fn fn;
	void *arg;
	struct al_stats *stats;
	uv_udp_t *udp;
	struct sockaddr_storage *udp_local; /* udp[i]'s own address, read once at bind */
	size_t nudp;
	uv_tcp_t *tcp;
	size_t ntcp;
	struct al_accept_retry *retry; /* tcp[i]'s accept that found no memory, tried again */
	struct al_conn *conns; /* open connections */
	size_t nconns;
	uint32_t max_conns, idle_ms;
	int stopped;
	uint8_t *rbuf; /* UDP_BATCH slots, shared by this worker's UDP sockets */
};

struct al_conn {
	uv_tcp_t h;
	uv_timer_t idle;
	struct al_listener *l;
	struct al_conn *prev, *next;
	struct sockaddr_storage peer, local;
	int refs;     /* the connection itself + one per unanswered query */
	int pending;  /* queries not yet answered */
	int writes;   /* writes in progress */
	int closing;  /* 2 handles to close */
	int eof;
	int draining; /* conn_drain() is on the stack */
	int wrote;    /* a write completed since the last idle tick */
	size_t inlen;
	uint8_t in[TCP_BUF];
};

struct write_req {
	uv_write_t req;
	struct al_conn *conn;
	uint8_t data[];
};

static void conn_unref(struct al_conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct al_conn *c = h->data;

	if (--c->closing == 0)
		conn_unref(c);
}

static void conn_close(struct al_conn *c)
{
	struct al_listener *l = c->l;

	if (c->closing)
		return;
	c->closing = 2;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->nconns--;
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

/* Close when the client is gone, or idle with nothing owed. */
static void conn_maybe_close(struct al_conn *c)
{
	if (!c->closing && (c->eof || c->l->stopped) && c->pending == 0 && c->writes == 0)
		conn_close(c);
}

static void on_idle(uv_timer_t *t)
{
	struct al_conn *c = t->data;

	/* Waiting on upstreams is not idle (the query deadline bounds it);
	 * replies that the client has not taken for a whole idle period are:
	 * a client that never reads must not hold the connection. */
	if ((c->pending && !c->writes) || (c->writes && c->wrote)) {
		c->wrote = 0;
		uv_timer_again(t);
		return;
	}
	AL_STAT_INC(c->l->stats->tcp_idle_closed);
	conn_close(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct al_conn *c = h->data;
	(void)hint;

	*buf = uv_buf_init((char *)c->in + c->inlen, (unsigned)(sizeof(c->in) - c->inlen));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static int conn_busy(const struct al_conn *c)
{
	return c->pending + c->writes >= TCP_PIPELINE_MAX;
}

/* Hands every complete frame in the buffer to the query callback, as long
 * as the connection is not busy; reads more only when it is not. */
static void conn_drain(struct al_conn *c)
{
	struct al_listener *l = c->l;
	size_t off = 0;

	if (c->draining)
		return; /* a reply made inside the loop below: it re-checks */
	c->draining = 1;
	while (!c->closing && c->inlen - off >= 2 && !conn_busy(c)) {
		size_t n = al_get16(c->in + off);
		struct al_client cl = { .conn = c, .peer = c->peer };
		if (c->inlen - off < 2 + n)
			break;
		c->refs++;
		c->pending++;
		AL_STAT_INC(l->stats->queries_tcp);
		l->fn(l->arg, &cl, c->in + off + 2, n);
		off += 2 + n;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	c->draining = 0;
	if (c->closing)
		return;
	if (conn_busy(c) || c->eof || l->stopped)
		uv_read_stop((uv_stream_t *)&c->h);
	else
		uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct al_conn *c = s->data;
	size_t before;
	(void)buf;

	if (nread < 0) {
		uv_read_stop(s);
		if (nread == UV_EOF) {
			c->eof = 1;
			conn_maybe_close(c);
		} else {
			conn_close(c);
		}
		return;
	}
	before = c->inlen;
	c->inlen += (size_t)nread;
	c->refs++; /* the callback may reply and close synchronously */
	conn_drain(c);
	/* The idle period runs from a message's first byte, not its last: a
	 * client trickling a message a byte at a time must still deliver it
	 * within tcp_idle_ms, or a few such clients would hold every one of
	 * the limits.tcp_clients slots for good.  So the timer restarts only
	 * when a message begins (nothing partial was waiting) or one was
	 * completed (the buffer gave up a frame). */
	if (!c->closing && ((before == 0 && nread > 0) || c->inlen < before + (size_t)nread))
		uv_timer_again(&c->idle);
	conn_unref(c);
}

static void on_accept(uv_stream_t *server, int status)
{
	struct al_listener *l = server->data;
	struct al_conn *c;
	int len = sizeof(struct sockaddr_storage);

	if (status < 0 || l->stopped)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		al_accept_retry_later(&l->retry[(uv_tcp_t *)server - l->tcp]);
		return;
	}
	c->l = l;
	c->refs = 1;
	c->h.data = c;
	c->idle.data = c;
	uv_tcp_init(l->loop, &c->h);
	uv_timer_init(l->loop, &c->idle);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0) {
		conn_close(c);
		return;
	}
	if (l->nconns > l->max_conns) {
		AL_STAT_INC(l->stats->tcp_rejected);
		conn_close(c);
		return;
	}
	AL_STAT_INC(l->stats->tcp_accepted);
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &len);
	len = sizeof(c->local);
	uv_tcp_getsockname(&c->h, (struct sockaddr *)&c->local, &len);
	uv_tcp_nodelay(&c->h, 1);
	uv_timer_start(&c->idle, on_idle, l->idle_ms, l->idle_ms);
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

static void written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct al_conn *c = w->conn;

	c->writes--;
	c->wrote = 1;
	if (status < 0 && status != UV_ECANCELED) {
		AL_STAT_INC(c->l->stats->send_errors);
		conn_close(c);
	} else if (c->writes + c->pending == TCP_PIPELINE_MAX - 1) {
		conn_drain(c); /* was busy: take the queries waiting in the buffer */
		conn_maybe_close(c);
	} else {
		conn_maybe_close(c);
	}
	free(w);
	conn_unref(c);
}

static void tcp_reply(struct al_conn *c, const uint8_t *msg, size_t len)
{
	struct write_req *w;
	uv_buf_t b;

	if (c->closing)
		return;
	w = malloc(sizeof(*w) + 2 + len);
	if (!w) {
		AL_STAT_INC(c->l->stats->send_errors);
		conn_close(c);
		return;
	}
	w->conn = c;
	al_put16(w->data, (uint16_t)len);
	memcpy(w->data + 2, msg, len);
	b = uv_buf_init((char *)w->data, (unsigned)(2 + len));
	c->refs++;
	c->writes++;
	if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, written) < 0) {
		c->writes--;
		c->refs--;
		free(w);
		AL_STAT_INC(c->l->stats->send_errors);
		conn_close(c);
	}
}

void al_client_reply(struct al_client *cl, const uint8_t *msg, size_t len)
{
	if (cl->conn) {
		tcp_reply(cl->conn, msg, len);
	} else if (cl->udp) {
		uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
		/* Datagrams that do not fit the socket buffer are dropped, as a
		 * router would; the client retries. */
		if (uv_udp_try_send(cl->udp, &b, 1, (struct sockaddr *)&cl->peer) < 0)
			AL_STAT_INC(((struct al_listener *)cl->udp->data)->stats->send_errors);
	}
	al_client_release(cl);
}

void al_client_release(struct al_client *cl)
{
	struct al_conn *c = cl->conn;

	if (!c)
		return;
	cl->conn = NULL;
	c->pending--;
	if (c->writes + c->pending == TCP_PIPELINE_MAX - 1)
		conn_drain(c);
	conn_maybe_close(c);
	conn_unref(c);
}

int al_client_is_tcp(const struct al_client *c)
{
	return c->conn != NULL;
}

/* Read when the socket was bound or the connection accepted: no system
 * call per query. */
int al_client_local(const struct al_client *c, struct sockaddr_storage *out)
{
	const struct al_listener *l;

	if (c->conn) {
		*out = c->conn->local;
	} else if (c->udp) {
		l = c->udp->data;
		*out = l->udp_local[c->udp - l->udp];
	} else {
		return -EINVAL;
	}
	return out->ss_family == AF_UNSPEC ? -EINVAL : 0;
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct al_listener *l = h->data;
	(void)hint;

	*buf = uv_buf_init((char *)l->rbuf, UDP_BATCH * UDP_SLOT);
}

static void udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *from, unsigned flags)
{
	struct al_listener *l = h->data;
	struct al_client cl = { .udp = h };

	/* nread 0 without an address ends a batch (UV_UDP_MMSG_FREE): the
	 * buffer is ours and reused, nothing to free. */
	if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	memcpy(&cl.peer, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							   : sizeof(struct sockaddr_in));
	l->fn(l->arg, &cl, (const uint8_t *)buf->base, (size_t)nread);
}

/* A bound, non-blocking socket; SO_REUSEPORT lets several workers share
 * the address. */
static int open_socket(const struct al_endpoint *ep, int type, int reuseport,
		       struct al_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	char where[AL_ADDRSTRLEN];
	int fd, one = 1;

	al_sockaddr_make(&ep->ip, ep->port, &sa, &salen);
	al_sockaddr_format((struct sockaddr *)&sa, where, sizeof(where));
	fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return al_err_set(err, "listen %s: socket: %s", where, strerror(errno)), -errno;
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		int e = errno;
		close(fd);
		al_err_set(err, "listen %s: SO_REUSEPORT: %s", where, strerror(e));
		return -e;
	}
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		int e = errno;
		close(fd);
		al_err_set(err, "listen %s/%s: bind: %s", where,
			   type == SOCK_STREAM ? "tcp" : "udp", strerror(e));
		return -e;
	}
	return fd;
}

int al_listener_new(uv_loop_t *loop, const struct al_config *cfg,
		    al_query_fn fn, void *arg, struct al_stats *stats,
		    struct al_listener **out, struct al_err *err)
{
	struct al_listener *l = calloc(1, sizeof(*l));
	int reuseport = cfg->threads > 1, rcvbuf = 4 << 20, fd, len;
	size_t i;

	if (!l)
		return -ENOMEM;
	l->loop = loop;
	l->fn = fn;
	l->arg = arg;
	l->stats = stats;
	l->max_conns = cfg->tcp_clients;
	l->idle_ms = cfg->tcp_idle_ms;
	l->udp = calloc(cfg->nlisten, sizeof(*l->udp));
	l->udp_local = calloc(cfg->nlisten, sizeof(*l->udp_local));
	l->tcp = calloc(cfg->nlisten, sizeof(*l->tcp));
	l->retry = calloc(cfg->nlisten, sizeof(*l->retry));
	l->rbuf = malloc(UDP_BATCH * UDP_SLOT);
	if (!l->udp || !l->udp_local || !l->tcp || !l->retry || !l->rbuf) {
		al_listener_free(l);
		return -ENOMEM;
	}
	for (i = 0; i < cfg->nlisten; i++) {
		if ((fd = open_socket(&cfg->listen[i], SOCK_DGRAM, reuseport, err)) < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		uv_udp_init_ex(loop, &l->udp[i], AF_UNSPEC | UV_UDP_RECVMMSG);
		l->udp[i].data = l;
		l->nudp++;
		uv_udp_open(&l->udp[i], fd);
		len = sizeof(l->udp_local[i]);
		uv_udp_getsockname(&l->udp[i], (struct sockaddr *)&l->udp_local[i], &len);
		if ((fd = open_socket(&cfg->listen[i], SOCK_STREAM, reuseport, err)) < 0)
			goto fail;
		uv_tcp_init(loop, &l->tcp[i]);
		l->tcp[i].data = l;
		al_accept_retry_init(&l->retry[i], loop, (uv_stream_t *)&l->tcp[i], on_accept);
		l->ntcp++;
		uv_tcp_open(&l->tcp[i], fd);
	}
	*out = l;
	return 0;
fail:
	al_listener_close(l);
	uv_run(loop, UV_RUN_NOWAIT); /* let the close callbacks run */
	al_listener_free(l);
	return fd;
}

int al_listener_start(struct al_listener *l)
{
	size_t i;
	int rc;

	for (i = 0; i < l->nudp; i++)
		if ((rc = uv_udp_recv_start(&l->udp[i], udp_alloc, udp_read)) < 0)
			return rc;
	for (i = 0; i < l->ntcp; i++)
		if ((rc = uv_listen((uv_stream_t *)&l->tcp[i], TCP_BACKLOG, on_accept)) < 0)
			return rc;
	return 0;
}

void al_listener_set_limits(struct al_listener *l, uint32_t max_conns, uint32_t idle_ms)
{
	l->max_conns = max_conns;
	l->idle_ms = idle_ms;
}

/* The TCP listening sockets and their accept timers. */
static void close_tcp(struct al_listener *l)
{
	size_t i;

	for (i = 0; i < l->ntcp; i++) {
		uv_close((uv_handle_t *)&l->tcp[i], NULL);
		al_accept_retry_close(&l->retry[i], NULL, NULL);
	}
	l->ntcp = 0;
}

void al_listener_stop(struct al_listener *l)
{
	struct al_conn *c, *next;
	size_t i;

	l->stopped = 1;
	for (i = 0; i < l->nudp; i++)
		uv_udp_recv_stop(&l->udp[i]);
	close_tcp(l);
	for (c = l->conns; c; c = next) {
		next = c->next;
		uv_read_stop((uv_stream_t *)&c->h);
		conn_maybe_close(c);
	}
}

size_t al_listener_conns(const struct al_listener *l)
{
	return l->nconns;
}

void al_listener_close(struct al_listener *l)
{
	size_t i;

	if (!l)
		return;
	while (l->conns)
		conn_close(l->conns);
	for (i = 0; i < l->nudp; i++)
		uv_close((uv_handle_t *)&l->udp[i], NULL);
	close_tcp(l);
	l->nudp = 0;
}

void al_listener_free(struct al_listener *l)
{
	if (!l)
		return;
	free(l->udp);
	free(l->udp_local);
	free(l->tcp);
	free(l->retry);
	free(l->rbuf);
	free(l);
}
