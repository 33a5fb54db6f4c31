/* The answer cache: prepared answers keyed by lower-cased name, type,
 * class and the DO/CD bits; bounded in bytes, least recently used out
 * first.  One per worker thread, so it takes no locks. */
#ifndef AIRLOCK_CACHE_H
#define AIRLOCK_CACHE_H

#include <stdint.h>
#include <stddef.h>
#include "airlock/answer.h"
#include "airlock/msg.h"

#define AL_CACHE_KEY_MAX (AL_MAX_NAME + 5)

struct al_cache;

struct al_cache_stats {
	uint64_t hits, misses, inserts, evictions, expired;
	size_t entries, bytes, max_bytes;
};

int al_cache_new(size_t max_bytes, struct al_cache **out);
void al_cache_free(struct al_cache *c);

/* Writes q's key into key (AL_CACHE_KEY_MAX bytes); returns its length. */
size_t al_cache_key(const struct al_query *q, uint8_t *key);

/* A live answer for key (borrowed until the next put/flush), or NULL.
 * Expired entries are dropped on the way. */
const struct al_answer *al_cache_get(struct al_cache *c, const uint8_t *key,
				     size_t keylen, uint64_t now_ms);
/* Stores a (the cache takes it), replacing any entry for key, evicting the
 * least recently used entries to stay within max_bytes.  An answer larger
 * than the whole cache is freed. */
void al_cache_put_take(struct al_cache *c, const uint8_t *key, size_t keylen,
		       struct al_answer *a);
/* Drops every entry; returns how many there were. */
size_t al_cache_flush(struct al_cache *c);
/* Drops the answers for name (lower-case wire form) and every name below
 * it, any type; returns how many.  A walk over all entries: for operators. */
size_t al_cache_flush_name(struct al_cache *c, const uint8_t *name, size_t len);
void al_cache_get_stats(const struct al_cache *c, struct al_cache_stats *out);

#endif
