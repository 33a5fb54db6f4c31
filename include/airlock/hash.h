/* A keyed 64-bit hash for the cache and the in-flight table.  The seed is
 * random per process, so clients cannot aim queries at one bucket. */
#ifndef AIRLOCK_HASH_H
#define AIRLOCK_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t al_hash(const void *data, size_t len, uint64_t seed);

#endif
