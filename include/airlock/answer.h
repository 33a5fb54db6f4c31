/* An upstream reply made ready to serve many times: the OPT record removed,
 * TTLs clamped, the offset of every TTL remembered so each serve counts it
 * down, and the lifetime it may be cached for (RFC 2308 for negatives). */
#ifndef AIRLOCK_ANSWER_H
#define AIRLOCK_ANSWER_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "airlock/msg.h"

struct al_ttl_policy {
	uint32_t min_ttl, max_ttl, max_negative_ttl;
};

struct al_answer {
	uint64_t created_ms;
	uint32_t lifetime; /* seconds it may be served from cache; 0: not cacheable */
	uint16_t rcode;
	uint16_t len;      /* wire bytes in data */
	uint16_t nttls;
	uint64_t new_until_ms; /* loop time until which its domain is newly seen; 0: not new */
	uint16_t *ttl_offs; /* points into the same allocation */
	size_t size;        /* bytes of that allocation, for cache accounting */
	uint8_t *data;      /* header (ID 0), question, records; no OPT */
};

/* Prepares reply (already matched to its question).  Returns 0, -EINVAL for
 * a malformed reply, -ENOMEM. */
int al_answer_new(const uint8_t *reply, size_t len,
		  const struct al_ttl_policy *pol, uint64_t now_ms,
		  struct al_answer **out);
void al_answer_free(struct al_answer *a);

/* Bytes this answer holds, for cache accounting. */
size_t al_answer_size(const struct al_answer *a);
bool al_answer_expired(const struct al_answer *a, uint64_t now_ms);

/* Writes the reply to q into out: q's ID, RD and CD bits and question case,
 * TTLs decremented by the time since created, an OPT RR when q had EDNS.
 * When the result exceeds limit bytes, writes a truncated reply (TC, no
 * records) instead.  Returns the length, 0 when out is too small. */
size_t al_answer_render(const struct al_answer *a, const struct al_query *q,
			uint64_t now_ms, uint16_t edns_size, size_t limit,
			uint8_t *out, size_t outlen);

#endif
