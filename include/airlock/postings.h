/* Posting lists: for each key (a name, a client's address, an answer's
 * address), the ids of the query log rows that hold it, ascending.  The
 * query log's writer collects a slice's lists in memory as it writes the
 * rows, then stores one row per key (docs/SCHEMA.md, "Slices").  Not
 * thread-safe: the writer thread owns it. */
#ifndef AIRLOCK_POSTINGS_H
#define AIRLOCK_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

struct al_postings;

/* NULL when out of memory.  Keys are hashed with a random seed: clients
 * choose names, and must not be able to aim them at one bucket. */
struct al_postings *al_postings_new(void);
void al_postings_free(struct al_postings *p);

/* Adds id to key's list (key is copied).  A key's ids must come in
 * ascending order; the same id again is kept once.  Returns 0, or -ENOMEM
 * (the id is not added). */
int al_postings_add(struct al_postings *p, const char *key, int64_t id);

/* Called for each key with ids up to last, in byte order of the keys:
 * ids is its ids up to last as a JSON array, "[3,17,42]", valid for the
 * call.  Nonzero stops the walk. */
typedef int (*al_postings_fn)(const char *key, const char *ids, void *arg);

/* Calls fn for each key with ids up to last, then removes those ids.  A
 * key left without ids keeps its memory until the next take, for the
 * next slice, where most keys come back; one still without ids then is
 * freed.  fn NULL: only removes them.  When fn stops the walk, or memory
 * runs out (-ENOMEM), nothing is removed: returns fn's value or -ENOMEM,
 * else 0. */
int al_postings_take(struct al_postings *p, int64_t last, al_postings_fn fn, void *arg);

/* Removes every key. */
void al_postings_clear(struct al_postings *p);
/* How many keys have at least one id. */
size_t al_postings_keys(const struct al_postings *p);
/* How many keys are held, with ids or kept empty for the next slice. */
size_t al_postings_held(const struct al_postings *p);

#endif
