/* The forwarder: sends a question to the configured upstream resolvers and
 * hands back the first acceptable reply.  Each try uses a fresh random ID
 * and a fresh UDP socket (kernel-chosen random source port); a reply counts
 * only if its source address and port, ID and question all match (RFC
 * 5452).  Timeouts move on to the next upstream and hold the failed one
 * down for a while; TC moves to TCP on the same upstream.  One per worker
 * thread, driven by that worker's loop. */
#ifndef AIRLOCK_UPSTREAM_H
#define AIRLOCK_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "airlock/config.h"
#include "airlock/msg.h"
#include "airlock/stats.h"

struct al_fwd;
struct al_dnstap;

/* reply is NULL when every upstream failed or the query timed out; it and
 * upstream (the one that answered, or was tried last; NULL if none) are
 * valid only during the call. */
typedef void (*al_fwd_cb)(void *arg, const uint8_t *reply, size_t len,
			  const struct sockaddr *upstream);

int al_fwd_new(uv_loop_t *loop, struct al_stats *stats, struct al_fwd **out);
/* Takes the upstream lists (default and forward[]) and timeouts of cfg;
 * health of upstreams that stay is kept. */
int al_fwd_configure(struct al_fwd *fwd, const struct al_config *cfg);
/* Asks the upstreams of group (0: the default list, i + 1: forward[i]) and
 * only those: a name is never sent to a resolver outside its group. */
int al_fwd_query(struct al_fwd *fwd, const struct al_query *q, unsigned group,
		 al_fwd_cb cb, void *arg);
/* Before the first al_fwd_configure: tries, failures and RTT per
 * upstream go to m (the worker's; NULL: not counted). */
struct al_metrics;
void al_fwd_set_metrics(struct al_fwd *fwd, struct al_metrics *m);
size_t al_fwd_pending(const struct al_fwd *fwd);
/* Every question sent and every genuine reply received goes to dt
 * (NULL: none) on its input queue number queue. */
void al_fwd_set_dnstap(struct al_fwd *fwd, struct al_dnstap *dt, unsigned queue);
/* Only once al_fwd_pending() is 0 and the loop has run the close
 * callbacks. */
void al_fwd_free(struct al_fwd *fwd);

#endif
