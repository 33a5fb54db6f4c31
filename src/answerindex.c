/* The answers airlock gave, by address: see answerindex.h.
 *
 * Each address has a list of its answers, newest first; all answers are
 * also on one list in the order they were added, oldest first, which is
 * where expiry takes them from (the oldest answer of an address is always
 * the last of its list).  Names are interned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/answerindex.h"
#include "airlock/hash.h"

#define SEED 0x2545f4914f6cdd1dull

struct entry {
	struct al_answer_ref ref;
	struct entry *newer, *older; /* on its address's list */
	struct entry *next_added;    /* the global list, oldest first */
	struct addr *addr;
};

struct addr {
	struct al_ip ip;
	struct entry *newest, *oldest;
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
	struct entry *first, *last; /* the global list */
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
	struct entry *e, *en;
	struct addr *a, *an;
	struct name *n, *nn;
	size_t i;

	if (!ai)
		return;
	for (e = ai->first; e; e = en) {
		en = e->next_added;
		free(e);
	}
	for (i = 0; i <= ai->addr_mask; i++)
		for (a = ai->addrs[i]; a; a = an) {
			an = a->chain;
			free(a);
		}
	for (i = 0; i <= ai->name_mask; i++)
		for (n = ai->names[i]; n; n = nn) {
			nn = n->chain;
			free(n);
		}
	free(ai->addrs);
	free(ai->names);
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

int al_answerindex_add(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
		       int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id)
{
	struct entry *e;
	struct addr *a;
	const char *n;

	if (ts_us < ai->newest_us)
		return -EINVAL;
	if (!(a = addr_get(ai, addr)) || !(n = name_get(ai, name)) || !(e = calloc(1, sizeof(*e))))
		return -ENOMEM;
	e->ref.ts_us = ts_us;
	e->ref.ttl = ttl;
	e->ref.client = *client;
	e->ref.zone = zone;
	e->ref.name = n;
	e->ref.query_id = query_id;
	e->addr = a;
	e->older = a->newest;
	if (a->newest)
		a->newest->newer = e;
	else
		a->oldest = e;
	a->newest = e;
	if (ai->last)
		ai->last->next_added = e;
	else
		ai->first = e;
	ai->last = e;
	ai->count++;
	ai->newest_us = ts_us;
	if (ttl > ai->max_ttl)
		ai->max_ttl = ttl;
	return 0;
}

void al_answerindex_expire(struct al_answerindex *ai, int64_t before_us)
{
	struct entry *e;

	while ((e = ai->first) != NULL && e->ref.ts_us < before_us) {
		struct addr *a = e->addr;

		/* The oldest answer of its address: the end of that list. */
		a->oldest = e->newer;
		if (a->oldest)
			a->oldest->older = NULL;
		else
			a->newest = NULL;
		ai->first = e->next_added;
		if (!ai->first)
			ai->last = NULL;
		ai->count--;
		free(e);
	}
}

const struct al_answer_ref *al_answerindex_find(const struct al_answerindex *ai, const struct al_ip *addr,
						const struct al_ip *client, int zone, int64_t start_us,
						int64_t end_us, int64_t grace_us, bool *by_zone)
{
	const struct addr *a = addr_find(ai, addr);
	const struct entry *e, *zone_hit = NULL;

	*by_zone = false;
	for (e = a ? a->newest : NULL; e; e = e->older) {
		if (e->ref.ts_us > end_us)
			continue; /* given after the flow */
		if (e->ref.ts_us + (int64_t)ai->max_ttl * 1000000 + grace_us < start_us)
			break;    /* this and every older one expired before it */
		if (e->ref.ts_us + (int64_t)e->ref.ttl * 1000000 + grace_us < start_us)
			continue;
		if (same_ip(&e->ref.client, client))
			return &e->ref;
		if (!zone_hit && zone >= 0 && e->ref.zone == zone)
			zone_hit = e;
	}
	if (zone_hit)
		*by_zone = true;
	return zone_hit ? &zone_hit->ref : NULL;
}

size_t al_answerindex_count(const struct al_answerindex *ai)
{
	return ai->count;
}

int64_t al_answerindex_newest(const struct al_answerindex *ai)
{
	return ai->newest_us;
}
