/* The forwarder: sends a question to the configured upstream resolvers and
 * hands back the first acceptable reply.  Each try uses a fresh random ID
 * and a fresh UDP socket (kernel-chosen random source port) connected to
 * the upstream, so the kernel passes on nothing from elsewhere and an ICMP
 * error ends the try at once; a reply counts only if its source address
 * and port, ID and question all match (RFC 5452).  The letters of the name go out in random case (DNS 0x20) and
 * the reply must echo them exactly, unless the upstream's config entry
 * turns it off.  Timeouts move on to the next upstream and hold the failed
 * one down for a while; TC moves to TCP on the same upstream; an error
 * rcode or a malformed reply moves on without the hold-down.  A reply is
 * scrubbed (scrub.h) before it is handed back.  One per worker thread,
 * driven by that worker's loop. */
#ifndef AIRLOCK_UPSTREAM_H
#define AIRLOCK_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "airlock/config.h"
#include "airlock/msg.h"
#include "airlock/stats.h"

struct al_fwd;
struct al_dnstap;

/* reply (matched, well-formed, scrubbed) is NULL when every upstream
 * failed or the query timed out; it and upstream (the one that answered,
 * or was tried last; NULL if none) are valid only during the call. */
typedef void (*al_fwd_cb)(void *arg, const uint8_t *reply, size_t len,
			  const struct sockaddr *upstream);

int al_fwd_new(uv_loop_t *loop, struct al_stats *stats, struct al_fwd **out);
/* Takes the upstream lists (default and forward[]) and timeouts of cfg;
 * health of upstreams that stay is kept.  A query asked before finishes
 * its current try but moves on to no other upstream. */
int al_fwd_configure(struct al_fwd *fwd, const struct al_config *cfg);
/* Asks the upstreams of group (0: the default list, i + 1: forward[i]) and
 * only those: a name is never sent to a resolver outside its group.
 * Returns 0, -EINVAL for a group the config has not, or -ENOMEM. */
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

/* DNS 0x20: sets the case of every letter of the uncompressed wire name
 * at random (al_rand64).  Returns how many letters it holds: the bits of
 * the pattern an off-path spoofer would have to guess. */
size_t al_fwd_randomize_case(uint8_t *name, size_t len);
/* RFC 5452 9.1: whether reply (len bytes) answers query (as built by the
 * forwarder: one question, uncompressed): the same ID, a response to a
 * standard query, the same question type, class and name.  exact_case
 * compares the name byte for byte (0x20); otherwise ASCII case is ignored. */
bool al_fwd_reply_matches(const uint8_t *query, size_t qlen, const uint8_t *reply,
			  size_t len, bool exact_case);

#endif
