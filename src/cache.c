/* A hash table with chaining, threaded on a doubly linked LRU list, holding
 * prepared answers within a byte budget.  See cache.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/cache.h"
#include "airlock/hash.h"
#include "airlock/rand.h"

struct entry {
	struct entry *chain;      /* next in bucket */
	struct entry *prev, *next; /* LRU: head is most recent */
	struct al_answer *answer;
	uint64_t hash;
	uint16_t keylen;
	uint8_t key[];
};

struct al_cache {
	struct entry **buckets;
	size_t nbuckets; /* power of two */
	struct entry *head, *tail;
	uint64_t seed;
	struct al_cache_stats st;
};

static size_t entry_bytes(const struct entry *e)
{
	return sizeof(*e) + e->keylen + al_answer_size(e->answer) + sizeof(void *);
}

int al_cache_new(size_t max_bytes, struct al_cache **out)
{
	struct al_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->nbuckets = 1024;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return -ENOMEM;
	}
	c->seed = al_rand64();
	c->st.max_bytes = max_bytes;
	*out = c;
	return 0;
}

size_t al_cache_key(const struct al_query *q, uint8_t *key)
{
	size_t n = q->qname_len;

	memcpy(key, q->qname_lc, n);
	al_put16(key + n, q->qtype);
	al_put16(key + n + 2, q->qclass);
	key[n + 4] = (uint8_t)((q->do_bit ? 1 : 0) | ((q->flags & AL_FLAG_CD) ? 2 : 0));
	return n + 5;
}

static void lru_unlink(struct al_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct al_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static struct entry **find(struct al_cache *c, const uint8_t *key, size_t keylen,
			   uint64_t h)
{
	struct entry **pp = &c->buckets[h & (c->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->chain)
		if ((*pp)->hash == h && (*pp)->keylen == keylen &&
		    memcmp((*pp)->key, key, keylen) == 0)
			break;
	return pp;
}

static void drop(struct al_cache *c, struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->chain;
	lru_unlink(c, e);
	c->st.bytes -= entry_bytes(e);
	c->st.entries--;
	al_answer_free(e->answer);
	free(e);
}

static void drop_entry(struct al_cache *c, struct entry *e)
{
	drop(c, find(c, e->key, e->keylen, e->hash));
}

static void grow(struct al_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->buckets[i], *next;
		for (; e; e = next) {
			next = e->chain;
			e->chain = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

const struct al_answer *al_cache_get(struct al_cache *c, const uint8_t *key,
				     size_t keylen, uint64_t now_ms)
{
	uint64_t h = al_hash(key, keylen, c->seed);
	struct entry **pp = find(c, key, keylen, h);

	if (!*pp) {
		c->st.misses++;
		return NULL;
	}
	if (al_answer_expired((*pp)->answer, now_ms)) {
		drop(c, pp);
		c->st.expired++;
		c->st.misses++;
		return NULL;
	}
	c->st.hits++;
	if (c->head != *pp) {
		lru_unlink(c, *pp);
		lru_push(c, *pp);
	}
	return (*pp)->answer;
}

void al_cache_put_take(struct al_cache *c, const uint8_t *key, size_t keylen,
		       struct al_answer *a)
{
	uint64_t h = al_hash(key, keylen, c->seed);
	struct entry **pp = find(c, key, keylen, h), *e;
	size_t bytes;

	if (*pp)
		drop(c, pp);
	e = malloc(sizeof(*e) + keylen);
	if (!e) {
		al_answer_free(a);
		return;
	}
	e->answer = a;
	e->hash = h;
	e->keylen = (uint16_t)keylen;
	memcpy(e->key, key, keylen);
	bytes = entry_bytes(e);
	if (bytes > c->st.max_bytes) {
		al_answer_free(a);
		free(e);
		return;
	}
	while (c->st.bytes + bytes > c->st.max_bytes && c->tail) {
		drop_entry(c, c->tail);
		c->st.evictions++;
	}
	if (c->st.entries >= c->nbuckets)
		grow(c);
	pp = &c->buckets[h & (c->nbuckets - 1)];
	e->chain = *pp;
	*pp = e;
	e->prev = e->next = NULL;
	lru_push(c, e);
	c->st.bytes += bytes;
	c->st.entries++;
	c->st.inserts++;
}

size_t al_cache_flush(struct al_cache *c)
{
	size_t n = c->st.entries;

	while (c->tail)
		drop_entry(c, c->tail);
	return n;
}

/* The key's name (its first keylen - 5 bytes) is name or below it: one of
 * its label boundaries leaves exactly name. */
static int below(const struct entry *e, const uint8_t *name, size_t len)
{
	size_t off = 0, n = e->keylen - 5u;

	while (n - off > len && e->key[off])
		off += 1u + e->key[off];
	return n - off == len && memcmp(e->key + off, name, len) == 0;
}

size_t al_cache_flush_name(struct al_cache *c, const uint8_t *name, size_t len)
{
	struct entry *e, *next;
	size_t n = 0;

	for (e = c->head; e; e = next) {
		next = e->next;
		if (below(e, name, len)) {
			drop_entry(c, e);
			n++;
		}
	}
	return n;
}

void al_cache_free(struct al_cache *c)
{
	if (!c)
		return;
	al_cache_flush(c);
	free(c->buckets);
	free(c);
}

void al_cache_get_stats(const struct al_cache *c, struct al_cache_stats *out)
{
	*out = c->st;
}
