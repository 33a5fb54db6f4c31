/* Rate limits: response-rate limiting per client prefix (no open
 * amplifier, even for clients in no zone) and upstream questions per
 * registered domain (the random-subdomain "water torture" flood).  One
 * table of counters is shared by every worker thread, lock-free.
 *
 * The table is a fixed array of slots (a power of two, allocated once),
 * each one 64-bit word updated with compare-and-swap:
 *
 *   bits 63..40  the key's fingerprint (the top 24 bits of its hash)
 *   bits 39..16  the second the count is for (modulo 2^24: 194 days)
 *   bits 15..0   the count, saturating at AL_RATELIMIT_COUNT_MAX
 *
 * The slot is chosen by the key's lower bits.  Keys are hashed with a
 * random seed drawn when the table is made (hash.h, rand.h), so a client
 * cannot pick names or addresses that land in one slot, though a patient
 * one with a way to see its own limit (the upstream limit's SERVFAIL) can
 * find two that do.
 *
 * Collisions: a slot counting the current second (or up to 2 seconds
 * ahead of the caller: another thread's clock) is live; a stale one goes
 * to whichever key charges it next, starting at 1.  A live slot held by
 * another key is taken over or shared, as the caller asks: taking over
 * can only let a few more events through and never blocks an innocent
 * key (the reply limit, where sources can be forged in bulk); sharing
 * can block a key that collides for the seconds both are active, and no
 * key can ever be used to reset another's count (the upstream limit,
 * where names are the attacker's to choose).  Keys with equal
 * fingerprints in one slot (1 in 2^24 per pair) always share.
 *
 * Threads: every charge is one successful compare-and-swap, so a key
 * alone in its slot is counted exactly, however many threads charge it:
 * within one second at most the limit is allowed.  Threads whose clocks
 * straddle a second boundary do not reset each other: a charge for the
 * second before the slot's counts into the slot's second.  The bound over
 * any window of T whole seconds is thus limit * (T + 1). */
#ifndef AIRLOCK_RATELIMIT_H
#define AIRLOCK_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "airlock/addr.h"
#include "airlock/jsonread.h"

#define AL_RATELIMIT_COUNT_MAX 0xffffu /* a count stops here for the second */
#define AL_RATELIMIT_RATE_MAX 50000u   /* the largest per-second limit configurable */

/* The config's "rate_limit" section.  Rates are per second; 0: off. */
struct al_ratelimit_conf {
	uint32_t responses_per_s;     /* UDP replies to a client prefix in a zone */
	uint32_t refused_per_s;       /* UDP REFUSED replies to a client prefix in no zone */
	uint32_t ipv4_prefix;         /* a client prefix: the address's first bits */
	uint32_t ipv6_prefix;
	uint32_t slip;                /* every slip-th limited reply goes out empty with TC; 0: none */
	uint32_t slots;               /* the table's size, a power of two */
	uint32_t upstream_per_domain; /* questions sent upstream per registered domain */
};

/* The defaults: responses 0 (off), refused 5, /24 and /56, slip 2,
 * 65536 slots, 1000 upstream questions per domain. */
void al_ratelimit_conf_default(struct al_ratelimit_conf *conf);
/* Reads section (the "rate_limit" object; NULL: none) over the values in
 * conf.  Errors name the JSON path; unknown keys are errors. */
int al_ratelimit_parse(struct al_jctx *c, const cJSON *section, struct al_ratelimit_conf *conf);

struct al_ratelimit;

/* slots: a power of two, at least 1.  Returns 0, -EINVAL or -ENOMEM. */
int al_ratelimit_new(uint32_t slots, struct al_ratelimit **out);
void al_ratelimit_free(struct al_ratelimit *rl);
/* Bytes the table holds, fixed at creation. */
size_t al_ratelimit_size(const struct al_ratelimit *rl);

/* The key of a client prefix: ip's first v4_bits (IPv4) or v6_bits
 * (IPv6) bits.  Addresses in one prefix share a key. */
uint64_t al_ratelimit_prefix_key(const struct al_ratelimit *rl, const struct al_ip *ip,
				 unsigned v4_bits, unsigned v6_bits);
/* The key of a DNS name (lower-case wire form); never equal to a prefix's
 * but by a hash collision. */
uint64_t al_ratelimit_name_key(const struct al_ratelimit *rl, const uint8_t *name, size_t len);

/* What a charge does to a live slot (one counting this second) that
 * another key holds. */
enum al_ratelimit_collision {
	AL_RATELIMIT_RESET, /* takes it over from 1: the other key gets a few more through */
	AL_RATELIMIT_SHARE, /* counts into it: both keys share one count for that second */
};
/* Thread-safe: charges one event to key in second now_s (any monotonic
 * count of seconds) and returns the events charged to its slot in that
 * second, this one included (at most AL_RATELIMIT_COUNT_MAX). */
uint32_t al_ratelimit_charge(struct al_ratelimit *rl, uint64_t key, uint32_t now_s,
			    enum al_ratelimit_collision on_collision);
/* al_ratelimit_charge(...) <= limit_per_s. */
bool al_ratelimit_allow(struct al_ratelimit *rl, uint64_t key, uint32_t limit_per_s, uint32_t now_s,
			enum al_ratelimit_collision on_collision);

/* What response-rate limiting does with one UDP reply. */
enum al_rrl_verdict {
	AL_RRL_SEND, /* within the limit */
	AL_RRL_SLIP, /* over it: send it empty, with TC, so a real client retries over TCP */
	AL_RRL_DROP, /* over it: send nothing */
};
/* The reply to a UDP query from ip, a client in a zone or not, in second
 * now_s: charged to ip's prefix against conf's responses_per_second or
 * refused_per_second (0: SEND, uncharged).  Over the limit, every slip-th
 * is SLIP (none with slip 0, none once the count stops at
 * AL_RATELIMIT_COUNT_MAX), the rest DROP. */
enum al_rrl_verdict al_ratelimit_reply(struct al_ratelimit *rl, const struct al_ratelimit_conf *conf,
				       const struct al_ip *ip, bool in_zone, uint32_t now_s);

struct psl_ctx_st;
/* The part of name (lower-case wire form, len bytes) that upstream
 * questions are counted by: its registered domain under the Public Suffix
 * List's ICANN rules (psl; the private ones would give every name under
 * duckdns.org or github.io a count of its own), or for a name without one
 * its last two labels, or the name itself when shorter.  Returns that
 * part's offset in name. */
size_t al_ratelimit_domain(const struct psl_ctx_st *psl, const uint8_t *name, size_t len);
/* One more question about name sent upstream in second now_s, charged to
 * al_ratelimit_domain's part against conf's upstream_per_domain (0:
 * false, uncharged).  True when over: the question must not go. */
bool al_ratelimit_upstream(struct al_ratelimit *rl, const struct al_ratelimit_conf *conf,
			   const struct psl_ctx_st *psl, const uint8_t *name, size_t len, uint32_t now_s);

#endif
