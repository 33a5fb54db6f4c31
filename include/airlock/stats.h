/* Per-worker counters: each worker thread owns its own, so updates take no
 * lock; the daemon adds them up.  The owner bumps a counter with
 * AL_STAT_INC (a relaxed atomic load and store: no lock, no read-modify-
 * write instruction), so the main thread may add them up while the
 * workers run (al_stats_add loads them relaxed) for SIGUSR1 and /metrics. */
#ifndef AIRLOCK_STATS_H
#define AIRLOCK_STATS_H

#include <stdint.h>

#define AL_STATS_FIELDS(X)                                                     \
	X(queries, "client queries received")                                  \
	X(queries_tcp, "of which over TCP")                                    \
	X(refused_no_zone, "REFUSED: client in no zone")                       \
	X(dropped_malformed, "dropped: too short or a response")               \
	X(formerr, "FORMERR sent")                                             \
	X(notimp, "NOTIMP sent")                                               \
	X(badvers, "BADVERS sent")                                             \
	X(refused_other, "REFUSED: zone transfer or class")                    \
	X(cache_hits, "answered from cache")                                   \
	X(local_answers, "answered from local data")                           \
	X(cache_misses, "sent upstream")                                       \
	X(coalesced, "joined an identical question in flight")                 \
	X(servfail, "SERVFAIL sent")                                           \
	X(truncated, "TC sent (answer too large for UDP)")                     \
	X(overload, "SERVFAIL: too many questions, or clients, waiting upstream") \
	X(upstream_limited, "SERVFAIL: rate_limit.upstream_per_domain reached") \
	X(rrl_dropped, "UDP replies dropped by the response-rate limit")        \
	X(rrl_slipped, "UDP replies sent empty with TC by the rate limit (slip)") \
	X(log_unavailable, "SERVFAIL: log.required and the query log unavailable") \
	X(denied, "denied by the zone's view")                                 \
	X(block_listed, "of which denied by a guard block list")               \
	X(public_answer_refused, "protected name answered publicly: refused")  \
	X(private_path_down, "protected name: upstreams failed, SERVFAIL")     \
	X(rebinding_refused, "public name with an internal address: REFUSED")  \
	X(tunnel_blocked, "blocked by the tunnel detector")                    \
	X(tunnel_alerts, "tunnel suspected, answered (alert mode)")            \
	X(tunnel_forgot, "tunnel detector: a domain in its window forgotten for room (guard.max_domains)") \
	X(new_domain_blocked, "newly seen domain: blocked")                    \
	X(new_domain_alerts, "newly seen domain: answered (alert mode)")       \
	X(seen_full, "newly seen domain not remembered: new_domains.max_domains reached") \
	X(upstream_sent, "upstream queries sent (UDP and TCP)")                \
	X(upstream_tcp, "upstream queries over TCP")                           \
	X(upstream_timeouts, "upstream tries timed out")                       \
	X(upstream_errors, "upstream tries failed (error rcode, socket)")      \
	X(upstream_mismatch, "upstream replies ignored (wrong address, ID or question)") \
	X(scrubbed_records, "upstream records dropped by scrubbing")           \
	X(tcp_accepted, "TCP connections accepted")                            \
	X(tcp_rejected, "TCP connections over the cap, closed")                \
	X(tcp_idle_closed, "TCP connections closed when idle")                 \
	X(send_errors, "replies that could not be sent")

struct al_stats {
#define AL_STATS_MEMBER(name, help) uint64_t name;
	AL_STATS_FIELDS(AL_STATS_MEMBER)
#undef AL_STATS_MEMBER
};

/* The owning thread's addition to one counter, e.g.
 * AL_STAT_ADD(w->stats.queries, 1). */
#define AL_STAT_ADD(counter, n)                                                \
	__atomic_store_n(&(counter), __atomic_load_n(&(counter), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define AL_STAT_INC(counter) AL_STAT_ADD(counter, 1)

/* sum += s; s may be a running worker's (sum is the caller's alone). */
void al_stats_add(struct al_stats *sum, const struct al_stats *s);
/* One "name=value" line of every nonzero counter, for the log. */
void al_stats_format(const struct al_stats *s, char *buf, unsigned long len);

#endif
