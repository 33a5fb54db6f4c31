/* The answers airlock gave, by address: see answerindex.h.
 *
 * Each address keeps its answers in one array, oldest first (answers come
 * in time order), so a lookup is a binary search and a short scan over
 * contiguous memory.  A ring of address pointers, one per answer in the
 * order they were added, tells expiry which address holds the oldest
 * answer: its array's first.  Names are interned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/answerindex.h"
#include "airlock/hash.h"

#define SEED 0x2545f4914f6cdd1dull

struct addr {
	struct al_ip ip;
	struct al_answer_ref *v; /* v[head .. head + len) are held */
	size_t head, len, cap;
	struct addr *chain;
};

struct name {
	struct name *chain;
	char text[];
};

struct al_answerindex {
	struct addr **addrs;
	size_t addr_mask, naddrs;
	struct name **names;
	size_t name_mask, nnames;
	struct addr **ring; /* the address of each answer held, oldest first */
	size_t ring_head, ring_cap;
	size_t count;
	int64_t newest_us;
	uint32_t max_ttl; /* bounds how far back a lookup must look */
};

int al_answerindex_new(struct al_answerindex **out)
{
	struct al_answerindex *ai = calloc(1, sizeof(*ai));

	if (!ai || !(ai->addrs = calloc(1024, sizeof(*ai->addrs))) ||
	    !(ai->names = calloc(1024, sizeof(*ai->names)))) {
		if (ai)
			free(ai->addrs);
		free(ai);
		return -ENOMEM;
	}
	ai->addr_mask = ai->name_mask = 1023;
	*out = ai;
	return 0;
}

void al_answerindex_free(struct al_answerindex *ai)
{
	struct addr *a, *an;
	struct name *n, *nn;
	size_t i;

	if (!ai)
		return;
	for (i = 0; i <= ai->addr_mask; i++)
		for (a = ai->addrs[i]; a; a = an) {
			an = a->chain;
			free(a->v);
			free(a);
		}
	for (i = 0; i <= ai->name_mask; i++)
		for (n = ai->names[i]; n; n = nn) {
			nn = n->chain;
			free(n);
		}
	free(ai->addrs);
	free(ai->names);
	free(ai->ring);
	free(ai);
}

/* al_ip_equal, inlined: the lookups' inner loop compares clients. */
static inline bool same_ip(const struct al_ip *a, const struct al_ip *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static size_t ip_len(const struct al_ip *ip)
{
	return ip->family == AF_INET ? 4 : 16;
}

static uint64_t ip_hash(const struct al_ip *ip)
{
	return al_hash(ip->bytes, ip_len(ip), SEED ^ (uint64_t)ip->family);
}

/* Doubles a chained table once it holds as many items as buckets. */
static int rehash(void ***table, size_t *mask, size_t items, size_t chain_off,
		  uint64_t (*hash)(const void *item))
{
	size_t n = (*mask + 1) * 2, i;
	void **t, *it, *next;

	if (items <= *mask)
		return 0;
	if (!(t = calloc(n, sizeof(*t))))
		return -ENOMEM;
	for (i = 0; i <= *mask; i++)
		for (it = (*table)[i]; it; it = next) {
			void **link = (void **)((char *)it + chain_off);
			size_t b = (size_t)hash(it) & (n - 1);
			next = *link;
			*link = t[b];
			t[b] = it;
		}
	free(*table);
	*table = t;
	*mask = n - 1;
	return 0;
}

static uint64_t addr_item_hash(const void *item)
{
	return ip_hash(&((const struct addr *)item)->ip);
}

static uint64_t name_item_hash(const void *item)
{
	const char *s = ((const struct name *)item)->text;

	return al_hash(s, strlen(s), SEED);
}

static struct addr *addr_find(const struct al_answerindex *ai, const struct al_ip *ip)
{
	struct addr *a = ai->addrs[(size_t)ip_hash(ip) & ai->addr_mask];

	while (a && !same_ip(&a->ip, ip))
		a = a->chain;
	return a;
}

static struct addr *addr_get(struct al_answerindex *ai, const struct al_ip *ip)
{
	struct addr *a = addr_find(ai, ip);
	size_t b;

	if (a)
		return a;
	if (rehash((void ***)&ai->addrs, &ai->addr_mask, ai->naddrs + 1, offsetof(struct addr, chain),
		   addr_item_hash) < 0 || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->ip = *ip;
	b = (size_t)ip_hash(ip) & ai->addr_mask;
	a->chain = ai->addrs[b];
	ai->addrs[b] = a;
	ai->naddrs++;
	return a;
}

static const char *name_get(struct al_answerindex *ai, const char *text)
{
	size_t len = strlen(text), b = (size_t)al_hash(text, len, SEED) & ai->name_mask;
	struct name *n;

	for (n = ai->names[b]; n; n = n->chain)
		if (!strcmp(n->text, text))
			return n->text;
	if (rehash((void ***)&ai->names, &ai->name_mask, ai->nnames + 1, offsetof(struct name, chain),
		   name_item_hash) < 0 || !(n = malloc(sizeof(*n) + len + 1)))
		return NULL;
	memcpy(n->text, text, len + 1);
	b = (size_t)al_hash(text, len, SEED) & ai->name_mask;
	n->chain = ai->names[b];
	ai->names[b] = n;
	ai->nnames++;
	return n->text;
}

/* Room for one more answer in the ring of answers held. */
static int ring_grow(struct al_answerindex *ai)
{
	size_t cap = ai->ring_cap ? ai->ring_cap * 2 : 1024, i;
	struct addr **r;

	if (ai->count < ai->ring_cap)
		return 0;
	if (!(r = malloc(cap * sizeof(*r))))
		return -ENOMEM;
	for (i = 0; i < ai->count; i++)
		r[i] = ai->ring[(ai->ring_head + i) % ai->ring_cap];
	free(ai->ring);
	ai->ring = r;
	ai->ring_cap = cap;
	ai->ring_head = 0;
	return 0;
}

/* Room for one more answer at the end of a's array. */
static int array_grow(struct addr *a)
{
	struct al_answer_ref *v;
	size_t cap;

	if (a->head + a->len < a->cap)
		return 0;
	if (a->head > a->len) { /* mostly expired space at the front: reuse it */
		memmove(a->v, a->v + a->head, a->len * sizeof(*a->v));
		a->head = 0;
		return 0;
	}
	cap = a->cap ? a->cap * 2 : 4;
	if (!(v = realloc(a->v, cap * sizeof(*v))))
		return -ENOMEM;
	a->v = v;
	a->cap = cap;
	return 0;
}

int al_answerindex_add(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
		       int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id)
{
	struct al_answer_ref *e;
	struct addr *a;
	const char *n;

	if (ts_us < ai->newest_us)
		return -EINVAL;
	if (!(a = addr_get(ai, addr)) || !(n = name_get(ai, name)) || ring_grow(ai) < 0 || array_grow(a) < 0)
		return -ENOMEM;
	e = &a->v[a->head + a->len++];
	e->ts_us = ts_us;
	e->ttl = ttl;
	e->client = *client;
	e->zone = zone;
	e->name = n;
	e->query_id = query_id;
	ai->ring[(ai->ring_head + ai->count) % ai->ring_cap] = a;
	ai->count++;
	ai->newest_us = ts_us;
	if (ttl > ai->max_ttl)
		ai->max_ttl = ttl;
	return 0;
}

void al_answerindex_expire(struct al_answerindex *ai, int64_t before_us)
{
	while (ai->count) {
		struct addr *a = ai->ring[ai->ring_head];

		/* The oldest answer held is the first of its address's array. */
		if (a->v[a->head].ts_us >= before_us)
			break;
		a->head++;
		if (--a->len == 0)
			a->head = 0;
		ai->ring_head = (ai->ring_head + 1) % ai->ring_cap;
		ai->count--;
	}
}

const struct al_answer_ref *al_answerindex_find(const struct al_answerindex *ai, const struct al_ip *addr,
						const struct al_ip *client, int zone, int64_t start_us,
						int64_t end_us, int64_t grace_us, bool *by_zone)
{
	const struct addr *a = addr_find(ai, addr);
	const struct al_answer_ref *v, *zone_hit = NULL;
	size_t lo = 0, hi, mid;
	int64_t oldest = start_us - (int64_t)ai->max_ttl * 1000000 - grace_us;

	*by_zone = false;
	if (!a || !a->len)
		return NULL;
	v = a->v + a->head;
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
		const struct al_answer_ref *e = &v[hi];

		if (e->ts_us + (int64_t)e->ttl * 1000000 + grace_us < start_us)
			continue;
		if (same_ip(&e->client, client))
			return e;
		if (!zone_hit && zone >= 0 && e->zone == zone)
			zone_hit = e;
	}
	if (zone_hit)
		*by_zone = true;
	return zone_hit;
}

size_t al_answerindex_count(const struct al_answerindex *ai)
{
	return ai->count;
}

int64_t al_answerindex_newest(const struct al_answerindex *ai)
{
	return ai->newest_us;
}
