/* An arena: many small allocations that live and die together, for data
 * built once at load time (local data, name lists).  Not thread-safe while
 * it grows; read-only sharing afterwards is fine. */
#ifndef AIRLOCK_ARENA_H
#define AIRLOCK_ARENA_H

#include <stddef.h>

struct al_arena_chunk;

struct al_arena {
	struct al_arena_chunk *chunks; /* NULL: empty (a zeroed arena is ready) */
};

/* n bytes aligned for any scalar, or NULL when out of memory. */
void *al_arena_alloc(struct al_arena *a, size_t n);
/* Frees everything allocated; the arena is empty again. */
void al_arena_free(struct al_arena *a);

#endif
