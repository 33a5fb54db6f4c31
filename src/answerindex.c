/* The answers airlock gave, by address: see answerindex.h.
 *
 * Built for a million answers and a million lookups a second, where the
 * cost is cache misses.  The addresses are an open-addressing table whose
 * slots hold the address itself (32 bytes, two to a cache line).  Each
 * address keeps its answers in one array, oldest first (answers come
 * nearly in time order: a late one is moved back past the few later ones),
 * so a lookup is a binary search and a short scan over contiguous memory.
 * An answer is 32 bytes: names are interned, and the client with its zone
 * is a 32-bit id.  A ring of slot numbers, one per answer in the order
 * they were added, tells expiry which address to take an answer from next:
 * its array's first, the oldest of that address.  A late answer can make
 * expiry stop at an address whose oldest is still wanted while another
 * holds an older one: that one is dropped a little late, never early.
 *
 * Staged adds and the prefetch hints let a caller fetch the memory an add
 * or a lookup will touch some calls before it happens, so the misses of
 * several overlap instead of coming one after another. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "airlock/answerindex.h"
#include "airlock/arena.h"
#include "airlock/hash.h"

#define SEED 0x2545f4914f6cdd1dull
#define NONE UINT32_MAX
#define MAX_ANSWERS (1u << 25)  /* per address: keeps head within its 26 bits */
#define SLAB_CLASSES 9          /* arrays of up to 1023 answers come from the arena */
#define PREFETCH_MAX 32         /* answers of an address fetched before a lookup */
#define STAGED 8                /* staged answers held back */
#define STAGED_NAME 256         /* a longer name is added at once */

/* One answer, two to a cache line. */
struct entry {
	int64_t ts_us;
	int64_t query_id;
	const char *name; /* interned */
	uint32_t ttl;
	uint32_t who;     /* the client and its zone: index into whos */
};

/* A slot of the address table: the address and its answers,
 * v[head .. head + len).  v NULL: a free slot.  The array holds
 * capacity(cls) answers. */
struct addr {
	uint8_t ip[16];
	struct entry *v;
	uint32_t head : 26; /* expired answers not yet reclaimed at the front */
	uint32_t cls : 5;   /* its size class */
	uint32_t v6 : 1;
	uint32_t len;
};

/* An array given back, waiting in its class's spare list. */
struct spare {
	struct spare *next;
};

/* A slot of the name table. */
struct name_slot {
	const char *text; /* NULL: free */
	uint64_t hash;
};

/* A client of a zone, as the answers name them. */
struct who {
	struct al_ip client;
	int zone;
};

/* An answer waiting for its turn, with its hashes worked out. */
struct staged {
	struct al_ip addr, client;
	int zone;
	uint32_t ttl;
	int64_t ts_us, query_id;
	uint64_t addr_hash, name_hash;
	size_t name_len;
	char name[STAGED_NAME];
};

struct al_answerindex {
	struct addr *addrs;     /* open addressing, linear probing, at most half full */
	size_t addr_mask, naddrs;
	struct who *whos;       /* who id -> client and zone */
	uint32_t *who_slots;    /* open addressing: who id + 1, 0 free */
	size_t who_mask, nwhos;
	struct name_slot *name_slots; /* the texts live in mem */
	size_t name_mask, nnames;
	struct al_arena mem;    /* names, and the arrays of the small size classes */
	struct spare *spare[SLAB_CLASSES]; /* arrays given back, by class */
	uint32_t *ring;         /* the slot of each answer held, oldest first */
	size_t ring_head, ring_mask;
	size_t count;
	int64_t newest_us;
	uint32_t max_ttl;       /* bounds how far back a lookup must look */
	struct staged staged[STAGED]; /* a ring, oldest at staged_head */
	size_t staged_head, nstaged;
};

int al_answerindex_new(struct al_answerindex **out)
{
	struct al_answerindex *ai = calloc(1, sizeof(*ai));

	if (!ai)
		return -ENOMEM;
	ai->addr_mask = ai->name_mask = 1023;
	ai->who_mask = 63;
	if (!(ai->addrs = calloc(ai->addr_mask + 1, sizeof(*ai->addrs))) ||
	    !(ai->name_slots = calloc(ai->name_mask + 1, sizeof(*ai->name_slots))) ||
	    !(ai->who_slots = calloc(ai->who_mask + 1, sizeof(*ai->who_slots)))) {
		al_answerindex_free(ai);
		return -ENOMEM;
	}
	*out = ai;
	return 0;
}

void al_answerindex_free(struct al_answerindex *ai)
{
	size_t i;

	if (!ai)
		return;
	if (ai->addrs)
		for (i = 0; i <= ai->addr_mask; i++)
			if (ai->addrs[i].cls >= SLAB_CLASSES)
				free(ai->addrs[i].v);
	al_arena_free(&ai->mem);
	free(ai->addrs);
	free(ai->whos);
	free(ai->who_slots);
	free(ai->name_slots);
	free(ai->ring);
	free(ai);
}

/* al_ip_equal, inlined. */
static inline bool same_ip(const struct al_ip *a, const struct al_ip *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* A hash of an address: its two 8-byte halves and the family, mixed. */
static inline uint64_t ip_hash(const uint8_t bytes[16], bool v6)
{
	uint64_t lo, hi, h;

	memcpy(&lo, bytes, 8);
	memcpy(&hi, bytes + 8, 8);
	h = SEED ^ lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ (uint64_t)v6;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline uint64_t addr_hash(const struct al_ip *ip)
{
	return ip_hash(ip->bytes, ip->family != AF_INET);
}

#define HUGE_PAGE (2u << 20)

/* calloc for the big tables: on 2 MiB pages where the system has them
 * (transparent huge pages on request), as lookups land all over them and
 * each 4 KiB page would cost a TLB miss. */
static void *table_alloc(size_t n, size_t size)
{
	size_t bytes = n * size;
	void *p;

	if (bytes < HUGE_PAGE || n > SIZE_MAX / size)
		return calloc(n, size); /* the latter fails */
	if (!(p = aligned_alloc(HUGE_PAGE, (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1))))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);
#endif
	return memset(p, 0, bytes);
}

/* Prefetches the cache lines of [p, end). */
static inline void fetch(const void *p, const void *end)
{
	const char *c = (const char *)((uintptr_t)p & ~(uintptr_t)63);

	for (; c < (const char *)end; c += 64)
		__builtin_prefetch(c);
}

/* --- addresses ------------------------------------------------------------ */

/* The slot holding ip (hashed to h), or the free slot where it would go. */
static inline size_t addr_slot(const struct al_answerindex *ai, const struct al_ip *ip, uint64_t h)
{
	bool v6 = ip->family != AF_INET;
	size_t i = (size_t)h & ai->addr_mask;

	while (ai->addrs[i].v && !(ai->addrs[i].v6 == v6 && !memcmp(ai->addrs[i].ip, ip->bytes, 16)))
		i = (i + 1) & ai->addr_mask;
	return i;
}

/* Doubles the address table; the ring's slot numbers follow. */
static int addr_grow(struct al_answerindex *ai)
{
	size_t n = (ai->addr_mask + 1) * 2, mask = n - 1, i, j, k;
	struct addr *t = n - 1 <= NONE ? table_alloc(n, sizeof(*t)) : NULL;
	uint32_t *moved = malloc((ai->addr_mask + 1) * sizeof(*moved));

	if (!t || !moved) {
		free(t);
		free(moved);
		return -ENOMEM;
	}
	for (i = 0; i <= ai->addr_mask; i++) {
		const struct addr *a = &ai->addrs[i];
		if (!a->v)
			continue;
		for (j = (size_t)ip_hash(a->ip, a->v6) & mask; t[j].v; j = (j + 1) & mask)
			;
		t[j] = *a;
		moved[i] = (uint32_t)j;
	}
	for (k = 0; k < ai->count; k++) {
		uint32_t *r = &ai->ring[(ai->ring_head + k) & ai->ring_mask];
		*r = moved[*r];
	}
	free(moved);
	free(ai->addrs);
	ai->addrs = t;
	ai->addr_mask = mask;
	return 0;
}

/* The answers an array of size class cls holds: 3, 7, 15, ... (2^k - 1;
 * with the allocator's header the block is a power of two).  The small
 * classes come from the arena and go back to a spare list by class, as
 * addresses gain answers in the millions and malloc's bookkeeping showed. */
static inline size_t capacity(unsigned cls)
{
	return ((size_t)4 << cls) - 1;
}

static struct entry *array_alloc(struct al_answerindex *ai, unsigned cls)
{
	struct entry *v;

	if (cls >= SLAB_CLASSES)
		return malloc(capacity(cls) * sizeof(*v));
	if (ai->spare[cls]) {
		v = (struct entry *)ai->spare[cls];
		ai->spare[cls] = ai->spare[cls]->next;
		return v;
	}
	return al_arena_alloc(&ai->mem, capacity(cls) * sizeof(*v));
}

static void array_release(struct al_answerindex *ai, struct entry *v, unsigned cls)
{
	struct spare *sp;

	if (cls >= SLAB_CLASSES) {
		free(v);
		return;
	}
	sp = (struct spare *)v;
	sp->next = ai->spare[cls];
	ai->spare[cls] = sp;
}

/* The slot of ip (hashed to h), added when new. */
static int addr_get(struct al_answerindex *ai, const struct al_ip *ip, uint64_t h, size_t *out)
{
	size_t i = addr_slot(ai, ip, h);

	if (!ai->addrs[i].v) {
		if (ai->naddrs + 1 > (ai->addr_mask + 1) / 2) {
			if (addr_grow(ai) < 0)
				return -ENOMEM;
			i = addr_slot(ai, ip, h);
		}
		if (!(ai->addrs[i].v = array_alloc(ai, 0)))
			return -ENOMEM;
		ai->addrs[i].cls = 0;
		memcpy(ai->addrs[i].ip, ip->bytes, 16);
		ai->addrs[i].v6 = ip->family != AF_INET;
		ai->addrs[i].head = 0;
		ai->addrs[i].len = 0;
		ai->naddrs++;
	}
	*out = i;
	return 0;
}

/* Room for one more answer at the end of a's array. */
static int array_grow(struct al_answerindex *ai, struct addr *a)
{
	size_t n = a->head + a->len;
	struct entry *v;

	if (n < capacity(a->cls))
		return 0;
	if (a->head > a->len) { /* mostly expired space at the front: reuse it */
		memmove(a->v, a->v + a->head, a->len * sizeof(*v));
		a->head = 0;
		return 0;
	}
	if (capacity(a->cls + 1) > MAX_ANSWERS)
		return -ENOMEM;
	if (a->cls >= SLAB_CLASSES) {
		if (!(v = realloc(a->v, capacity(a->cls + 1) * sizeof(*v))))
			return -ENOMEM;
	} else {
		if (!(v = array_alloc(ai, a->cls + 1)))
			return -ENOMEM;
		memcpy(v, a->v + a->head, a->len * sizeof(*v));
		array_release(ai, a->v, a->cls);
		a->head = 0;
	}
	a->v = v;
	a->cls++;
	return 0;
}

/* --- clients, zones and names ---------------------------------------------- */

static uint64_t who_hash(const struct al_ip *client, int zone)
{
	return addr_hash(client) ^ ((uint64_t)(uint32_t)zone * 0x9e3779b97f4a7c15ull);
}

/* The id of a client in a zone, added when new. */
static int who_get(struct al_answerindex *ai, const struct al_ip *client, int zone, uint32_t *out)
{
	size_t i = (size_t)who_hash(client, zone) & ai->who_mask, n, k;
	uint32_t id, *t;
	struct who *w;

	while ((id = ai->who_slots[i]) != 0) {
		w = &ai->whos[id - 1];
		if (w->zone == zone && same_ip(&w->client, client)) {
			*out = id - 1;
			return 0;
		}
		i = (i + 1) & ai->who_mask;
	}
	if (ai->nwhos + 1 >= NONE)
		return -ENOMEM;
	if (!(ai->nwhos & (ai->nwhos + 1))) { /* 0, 1, 3, 7, ...: double */
		if (!(w = realloc(ai->whos, (ai->nwhos + 1) * 2 * sizeof(*w))))
			return -ENOMEM;
		ai->whos = w;
	}
	if (ai->nwhos + 1 > (ai->who_mask + 1) / 2) {
		n = (ai->who_mask + 1) * 2;
		if (!(t = calloc(n, sizeof(*t))))
			return -ENOMEM;
		for (k = 0; k < ai->nwhos; k++) {
			for (i = (size_t)who_hash(&ai->whos[k].client, ai->whos[k].zone) & (n - 1); t[i];
			     i = (i + 1) & (n - 1))
				;
			t[i] = (uint32_t)k + 1;
		}
		free(ai->who_slots);
		ai->who_slots = t;
		ai->who_mask = n - 1;
		for (i = (size_t)who_hash(client, zone) & ai->who_mask; ai->who_slots[i]; i = (i + 1) & ai->who_mask)
			;
	}
	ai->whos[ai->nwhos].client = *client;
	ai->whos[ai->nwhos].zone = zone;
	ai->who_slots[i] = (uint32_t)ai->nwhos + 1;
	*out = (uint32_t)ai->nwhos++;
	return 0;
}

/* The interned copy of text (len bytes, hashed to h), added when new. */
static const char *name_get(struct al_answerindex *ai, const char *text, size_t len, uint64_t h)
{
	struct name_slot *s, *t;
	char *copy;
	size_t i, n, k, j;

	for (i = (size_t)h & ai->name_mask; (s = &ai->name_slots[i])->text; i = (i + 1) & ai->name_mask)
		if (s->hash == h && !strcmp(s->text, text))
			return s->text;
	if (ai->nnames + 1 > (ai->name_mask + 1) / 2) {
		n = (ai->name_mask + 1) * 2;
		if (!(t = table_alloc(n, sizeof(*t))))
			return NULL;
		for (k = 0; k <= ai->name_mask; k++) {
			const struct name_slot *o = &ai->name_slots[k];
			if (!o->text)
				continue;
			for (j = (size_t)o->hash & (n - 1); t[j].text; j = (j + 1) & (n - 1))
				;
			t[j] = *o;
		}
		free(ai->name_slots);
		ai->name_slots = t;
		ai->name_mask = n - 1;
		for (i = (size_t)h & ai->name_mask; ai->name_slots[i].text; i = (i + 1) & ai->name_mask)
			;
	}
	if (!(copy = al_arena_alloc(&ai->mem, len + 1)))
		return NULL;
	memcpy(copy, text, len + 1);
	ai->name_slots[i].text = copy;
	ai->name_slots[i].hash = h;
	ai->nnames++;
	return copy;
}

/* --- adding and expiring ---------------------------------------------------- */

/* Room for one more answer in the ring of answers held. */
static int ring_grow(struct al_answerindex *ai)
{
	size_t cap = ai->ring ? (ai->ring_mask + 1) * 2 : 1024, i;
	uint32_t *r;

	if (ai->ring && ai->count <= ai->ring_mask)
		return 0;
	if (!(r = table_alloc(cap, sizeof(*r))))
		return -ENOMEM;
	for (i = 0; i < ai->count; i++)
		r[i] = ai->ring[(ai->ring_head + i) & ai->ring_mask];
	free(ai->ring);
	ai->ring = r;
	ai->ring_mask = cap - 1;
	ai->ring_head = 0;
	return 0;
}

/* al_answerindex_add with the hashes of the address and the name known. */
static int add(struct al_answerindex *ai, const struct al_ip *addr, uint64_t ah, const struct al_ip *client,
	       int zone, const char *name, size_t name_len, uint64_t nh, int64_t ts_us, uint32_t ttl,
	       int64_t query_id)
{
	struct entry *e;
	struct addr *a;
	const char *n;
	uint32_t who;
	size_t slot;

	if (who_get(ai, client, zone, &who) < 0 ||
	    !(n = name_get(ai, name, name_len, nh)) || ring_grow(ai) < 0 || addr_get(ai, addr, ah, &slot) < 0 ||
	    array_grow(ai, a = &ai->addrs[slot]) < 0)
		return -ENOMEM;
	/* A late answer goes before the later ones of its address. */
	e = &a->v[a->head + a->len];
	while (e > a->v + a->head && e[-1].ts_us > ts_us)
		e--;
	memmove(e + 1, e, (size_t)(a->v + a->head + a->len - e) * sizeof(*e));
	a->len++;
	e->ts_us = ts_us;
	e->query_id = query_id;
	e->name = n;
	e->ttl = ttl;
	e->who = who;
	ai->ring[(ai->ring_head + ai->count) & ai->ring_mask] = (uint32_t)slot;
	ai->count++;
	if (ts_us > ai->newest_us)
		ai->newest_us = ts_us;
	if (ttl > ai->max_ttl)
		ai->max_ttl = ttl;
	return 0;
}

int al_answerindex_add(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
		       int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id)
{
	size_t len = strlen(name);

	if (al_answerindex_flush(ai) < 0)
		return -ENOMEM;
	return add(ai, addr, addr_hash(addr), client, zone, name, len, al_hash(name, len, SEED), ts_us, ttl,
		   query_id);
}

/* Adds the oldest staged answer. */
static int add_staged(struct al_answerindex *ai)
{
	const struct staged *st = &ai->staged[ai->staged_head];
	int rc = add(ai, &st->addr, st->addr_hash, &st->client, st->zone, st->name, st->name_len, st->name_hash,
		     st->ts_us, st->ttl, st->query_id);

	ai->staged_head = (ai->staged_head + 1) % STAGED;
	ai->nstaged--;
	return rc;
}

/* The second step for a staged answer, its slots now in the cache: where
 * it goes in its address's array, and the text of its name. */
static void fetch_staged(const struct al_answerindex *ai, const struct staged *st)
{
	const struct addr *a = &ai->addrs[addr_slot(ai, &st->addr, st->addr_hash)];
	const struct name_slot *s;
	size_t i;

	if (a->v) {
		size_t n = a->head + a->len;
		if (n < capacity(a->cls))
			__builtin_prefetch(&a->v[n], 1);
		else /* full: all of it is copied */
			fetch(a->v + a->head, a->v + n);
	}
	for (i = (size_t)st->name_hash & ai->name_mask; (s = &ai->name_slots[i])->text; i = (i + 1) & ai->name_mask)
		if (s->hash == st->name_hash) {
			fetch(s->text, s->text + st->name_len + 1);
			break;
		}
}

int al_answerindex_stage(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
			 int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id)
{
	size_t len = strlen(name);
	struct staged *st;

	if (len >= STAGED_NAME) { /* rare: added at once, in its turn */
		return al_answerindex_add(ai, addr, client, zone, name, ts_us, ttl, query_id);
	}
	if (ai->nstaged == STAGED && add_staged(ai) < 0)
		return -ENOMEM;
	st = &ai->staged[(ai->staged_head + ai->nstaged++) % STAGED];
	st->addr = *addr;
	st->client = *client;
	st->zone = zone;
	st->ttl = ttl;
	st->ts_us = ts_us;
	st->query_id = query_id;
	st->addr_hash = addr_hash(addr);
	st->name_hash = al_hash(name, len, SEED);
	st->name_len = len;
	memcpy(st->name, name, len + 1);
	/* First step: the slots of the address and the name. */
	__builtin_prefetch(&ai->addrs[(size_t)st->addr_hash & ai->addr_mask]);
	__builtin_prefetch(&ai->name_slots[(size_t)st->name_hash & ai->name_mask]);
	if (ai->nstaged > STAGED / 2)
		fetch_staged(ai, &ai->staged[(ai->staged_head + ai->nstaged - 1 - STAGED / 2) % STAGED]);
	return 0;
}

int al_answerindex_flush(struct al_answerindex *ai)
{
	int rc = 0;

	while (ai->nstaged)
		if (add_staged(ai) < 0)
			rc = -ENOMEM;
	return rc;
}

void al_answerindex_expire(struct al_answerindex *ai, int64_t before_us)
{
	al_answerindex_flush(ai);
	while (ai->count) {
		struct addr *a = &ai->addrs[ai->ring[ai->ring_head]];

		/* The next address's oldest answer, which is the oldest held
		 * unless a late answer came in meanwhile. */
		if (a->v[a->head].ts_us >= before_us)
			break;
		a->head++;
		if (--a->len == 0)
			a->head = 0;
		ai->ring_head = (ai->ring_head + 1) & ai->ring_mask;
		ai->count--;
	}
}

/* --- lookups ---------------------------------------------------------------- */

const struct al_answer_ref *al_answerindex_find(const struct al_answerindex *ai, const struct al_ip *addr,
						const struct al_ip *client, int zone, int64_t start_us,
						int64_t end_us, int64_t grace_us, struct al_answer_ref *out,
						bool *by_zone)
{
	const struct addr *a = &ai->addrs[addr_slot(ai, addr, addr_hash(addr))];
	const struct entry *v, *hit = NULL, *zone_hit = NULL;
	size_t lo = 0, hi, mid;
	int64_t oldest = start_us - (int64_t)ai->max_ttl * 1000000 - grace_us;

	assert(ai->nstaged == 0); /* al_answerindex_flush first */
	*by_zone = false;
	if (!a->v || !a->len)
		return NULL;
	v = a->v + a->head;
	/* A short array's lines are fetched at once, not one miss per step
	 * of the search. */
	if (a->len <= PREFETCH_MAX)
		fetch(v, v + a->len);
	/* The first answer given after the flow ended: hi. */
	hi = a->len;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (v[mid].ts_us <= end_us)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (hi-- > 0 && v[hi].ts_us >= oldest) {
		const struct entry *e = &v[hi];
		const struct who *w;

		if (e->ts_us + (int64_t)e->ttl * 1000000 + grace_us < start_us)
			continue;
		w = &ai->whos[e->who];
		if (same_ip(&w->client, client)) {
			hit = e;
			break;
		}
		if (!zone_hit && zone >= 0 && w->zone == zone)
			zone_hit = e;
	}
	if (!hit && !(hit = zone_hit))
		return NULL;
	*by_zone = hit == zone_hit;
	out->ts_us = hit->ts_us;
	out->ttl = hit->ttl;
	out->client = ai->whos[hit->who].client;
	out->zone = ai->whos[hit->who].zone;
	out->name = hit->name;
	out->query_id = hit->query_id;
	return out;
}

void al_answerindex_prefetch(const struct al_answerindex *ai, const struct al_ip *addr)
{
	__builtin_prefetch(&ai->addrs[(size_t)addr_hash(addr) & ai->addr_mask]);
}

void al_answerindex_prefetch_answers(const struct al_answerindex *ai, const struct al_ip *addr)
{
	const struct addr *a = &ai->addrs[addr_slot(ai, addr, addr_hash(addr))];

	if (a->v && a->len <= PREFETCH_MAX)
		fetch(a->v + a->head, a->v + a->head + a->len);
}

size_t al_answerindex_count(const struct al_answerindex *ai)
{
	assert(ai->nstaged == 0); /* al_answerindex_flush first */
	return ai->count;
}

int64_t al_answerindex_newest(const struct al_answerindex *ai)
{
	assert(ai->nstaged == 0); /* al_answerindex_flush first */
	return ai->newest_us;
}
