/* Client-facing sockets of one worker: UDP and TCP on every listen address
 * (SO_REUSEPORT when several workers share a port), TCP connections with
 * 2-byte framing, pipelining, an idle timeout and a connection cap.  Each
 * query is handed to a callback with a client handle to reply through. */
#ifndef AIRLOCK_LISTENER_H
#define AIRLOCK_LISTENER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "airlock/config.h"
#include "airlock/err.h"
#include "airlock/stats.h"

struct al_listener;
struct al_conn;

/* Where a reply goes.  A TCP client holds a reference on its connection
 * until al_client_reply() or al_client_release(); the struct may be copied
 * (moved) to answer later, and exactly one copy is then released. */
struct al_client {
	uv_udp_t *udp;
	struct al_conn *conn;
	struct sockaddr_storage peer;
};

typedef void (*al_query_fn)(void *arg, struct al_client *client,
			    const uint8_t *pkt, size_t len);

/* Binds every listen address of cfg on loop; reuseport when cfg->threads
 * > 1.  Nothing is read until al_listener_start(). */
int al_listener_new(uv_loop_t *loop, const struct al_config *cfg,
		    al_query_fn fn, void *arg, struct al_stats *stats,
		    struct al_listener **out, struct al_err *err);
int al_listener_start(struct al_listener *l);
/* Per-worker TCP connection cap and idle timeout, from a (re)loaded config. */
void al_listener_set_limits(struct al_listener *l, uint32_t max_conns,
			    uint32_t idle_ms);
/* Stops accepting and reading; connections close once their replies are
 * written.  Sockets stay open for replies still to come. */
void al_listener_stop(struct al_listener *l);
/* Closes every handle; the loop then runs to completion. */
void al_listener_close(struct al_listener *l);
/* After the loop has finished the close callbacks. */
void al_listener_free(struct al_listener *l);
size_t al_listener_conns(const struct al_listener *l);

/* Sends a reply (a DNS message, without TCP length) and releases client. */
void al_client_reply(struct al_client *c, const uint8_t *msg, size_t len);
void al_client_release(struct al_client *c);
int al_client_is_tcp(const struct al_client *c);
/* The address the client sent to (the listen socket's); 0 or -errno.
 * Before the client is replied to or released. */
int al_client_local(const struct al_client *c, struct sockaddr_storage *out);

#endif
