/* dnstap output: every client query and reply, and every question to and
 * reply from an upstream, as dnstap protobuf frames to a collector's unix
 * socket (Vector, dnstap tools) or to a Frame Streams file.  One fstrm I/O
 * thread writes; each worker thread submits to its own input queue, so
 * workers never wait on each other or on the collector: a full queue drops
 * the message and counts it, a collector that is down is retried. */
#ifndef AIRLOCK_DNSTAP_H
#define AIRLOCK_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "airlock/config.h"
#include "airlock/err.h"

struct al_dnstap;

/* The message types airlockd sends; values are the dnstap schema's. */
enum al_dnstap_type {
	AL_DNSTAP_CLIENT_QUERY = 5,
	AL_DNSTAP_CLIENT_RESPONSE = 6,
	AL_DNSTAP_FORWARDER_QUERY = 7,
	AL_DNSTAP_FORWARDER_RESPONSE = 8,
};

/* One event.  "query" is the side that asked (the client; airlockd towards
 * an upstream), "response" the side that answered.  Absent parts (NULL
 * pointers, a zero time) are left out of the frame. */
struct al_dnstap_msg {
	enum al_dnstap_type type;
	bool tcp;
	const struct sockaddr *query_addr;
	const struct sockaddr *response_addr;
	struct timespec query_time, response_time;
	const uint8_t *query;
	size_t query_len;
	const uint8_t *response;
	size_t response_len;
};

struct al_dnstap_stats {
	uint64_t sent;    /* handed to the I/O thread */
	uint64_t dropped; /* its queue was full, or out of memory */
};

/* Starts the I/O thread writing to cfg->dnstap's socket or file, with
 * nqueues input queues (one per worker thread).  A file that cannot be
 * created is an error here; a socket with no collector yet is not (it is
 * retried every second).  The file is truncated, as fstrm does. */
int al_dnstap_open(const struct al_dnstap_conf *conf, unsigned nqueues,
		   struct al_dnstap **out, struct al_err *err);
/* NULL is a no-op.  Writes what is queued and frees dt; a collector that does not take the
 * frames within a few seconds is given up on (logged), so a stop never
 * hangs on it. */
void al_dnstap_close(struct al_dnstap *dt);
/* The socket or file it writes to, as opened. */
const char *al_dnstap_where(const struct al_dnstap *dt);

/* Whether messages of this type are wanted; false for a NULL dt.  Callers
 * test it before gathering a message's parts. */
bool al_dnstap_wants(const struct al_dnstap *dt, enum al_dnstap_type type);
/* Encodes m and queues it on input queue `queue`; only one thread may use
 * a queue.  Never blocks: 0, or -EAGAIN/-ENOMEM when dropped (counted). */
int al_dnstap_send(struct al_dnstap *dt, unsigned queue, const struct al_dnstap_msg *m);
/* Totals over the queues; exact once the senders have stopped. */
void al_dnstap_get_stats(const struct al_dnstap *dt, struct al_dnstap_stats *out);

/* The frame for m: a malloc'd buffer (the caller frees it).  identity and
 * version may be NULL (left out). */
int al_dnstap_encode(const char *identity, const char *version,
		     const struct al_dnstap_msg *m, uint8_t **out, size_t *len);
/* Whether two configs ask for the same output (a reload cannot change it). */
bool al_dnstap_conf_equal(const struct al_dnstap_conf *a, const struct al_dnstap_conf *b);

#endif
