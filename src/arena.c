/* Arena allocation: see arena.h. */
#include <stdint.h>
#include <stdlib.h>

#include "airlock/arena.h"

#define CHUNK 65536

struct al_arena_chunk {
	struct al_arena_chunk *next;
	size_t used, cap;
	uint64_t data[];
};

void *al_arena_alloc(struct al_arena *a, size_t n)
{
	struct al_arena_chunk *c = a->chunks;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK ? n : CHUNK;
		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->next = a->chunks;
		c->used = 0;
		c->cap = cap;
		a->chunks = c;
	}
	p = (uint8_t *)c->data + c->used;
	c->used += n;
	return p;
}

void al_arena_free(struct al_arena *a)
{
	struct al_arena_chunk *c, *next;

	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
}
