/* Posting lists in memory: see postings.h.  An open-addressing hash table
 * of keys, each with a growing array of ids. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/hash.h"
#include "airlock/postings.h"
#include "airlock/rand.h"

#define SLOTS_MIN 1024 /* a power of two */

struct list {
	char *key; /* NULL: a free slot */
	uint64_t hash;
	int64_t *ids;
	uint32_t n, cap;
};

struct al_postings {
	struct list *slots;
	size_t mask;  /* slots - 1 */
	size_t used;  /* slots with a key */
	uint64_t seed;
	char *json;   /* take's output, grown as needed */
	size_t json_cap;
};

static int slots_init(struct al_postings *p, size_t n)
{
	if (!(p->slots = calloc(n, sizeof(*p->slots))))
		return -ENOMEM;
	p->mask = n - 1;
	p->used = 0;
	return 0;
}

struct al_postings *al_postings_new(void)
{
	struct al_postings *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->seed = al_rand64();
	if (slots_init(p, SLOTS_MIN) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void free_lists(struct al_postings *p)
{
	size_t i;

	for (i = 0; i <= p->mask; i++) {
		free(p->slots[i].key);
		free(p->slots[i].ids);
	}
}

void al_postings_free(struct al_postings *p)
{
	if (!p)
		return;
	free_lists(p);
	free(p->slots);
	free(p->json);
	free(p);
}

/* The slot holding key, or the free slot where it would go. */
static struct list *find(const struct al_postings *p, const char *key, uint64_t hash)
{
	size_t i = hash & p->mask;

	while (p->slots[i].key && (p->slots[i].hash != hash || strcmp(p->slots[i].key, key) != 0))
		i = (i + 1) & p->mask;
	return &p->slots[i];
}

/* Moves the lists into a table of n slots (a power of two, more than
 * them); with drop_empty, those without ids are freed instead.  Returns 0
 * or -ENOMEM (the table is left as it was). */
static int rehash(struct al_postings *p, size_t n, bool drop_empty)
{
	struct al_postings old = *p;
	size_t i;

	if (slots_init(p, n) < 0) {
		*p = old;
		return -ENOMEM;
	}
	for (i = 0; i <= old.mask; i++) {
		struct list *l = &old.slots[i];
		if (!l->key)
			continue;
		if (drop_empty && !l->n) {
			free(l->key);
			free(l->ids);
			continue;
		}
		*find(p, l->key, l->hash) = *l;
		p->used++;
	}
	free(old.slots);
	return 0;
}

int al_postings_add(struct al_postings *p, const char *key, int64_t id)
{
	uint64_t hash = al_hash(key, strlen(key), p->seed);
	struct list *l = find(p, key, hash);

	if (!l->key) {
		/* At most 3/4 full, so probes stay short. */
		if ((p->used + 1) * 4 > (p->mask + 1) * 3) {
			if (rehash(p, (p->mask + 1) * 2, false) < 0)
				return -ENOMEM;
			l = find(p, key, hash);
		}
		if (!(l->key = strdup(key)))
			return -ENOMEM;
		l->hash = hash;
		p->used++;
	}
	if (l->n && l->ids[l->n - 1] == id)
		return 0;
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 4;
		int64_t *ids;
		if (l->cap > UINT32_MAX / 2)
			return -ENOMEM;
		ids = realloc(l->ids, (size_t)cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		l->ids = ids;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	return 0;
}

/* How many of l's ids are at most last (they ascend). */
static uint32_t upto(const struct list *l, int64_t last)
{
	uint32_t lo = 0, hi = l->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (l->ids[mid] <= last)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *put_id(char *o, int64_t id)
{
	char digits[20];
	uint64_t v = id < 0 ? 0 - (uint64_t)id : (uint64_t)id;
	int n = 0;

	if (id < 0)
		*o++ = '-';
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*o++ = digits[--n];
	return o;
}

/* The first k ids of l as a JSON array in p->json. */
static const char *to_json(struct al_postings *p, const struct list *l, uint32_t k)
{
	size_t need = (size_t)k * 21 + 3;
	char *o;
	uint32_t i;

	if (need > p->json_cap) {
		char *json = realloc(p->json, need);
		if (!json)
			return NULL;
		p->json = json;
		p->json_cap = need;
	}
	o = p->json;
	*o++ = '[';
	for (i = 0; i < k; i++) {
		if (i)
			*o++ = ',';
		o = put_id(o, l->ids[i]);
	}
	*o++ = ']';
	*o = '\0';
	return p->json;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(struct list *const *)a)->key, (*(struct list *const *)b)->key);
}

int al_postings_take(struct al_postings *p, int64_t last, al_postings_fn fn, void *arg)
{
	struct list **sel;
	size_t i, n = 0, empty = 0, slots = SLOTS_MIN;
	int rc = 0;

	if (!(sel = malloc((p->used ? p->used : 1) * sizeof(*sel))))
		return -ENOMEM;
	for (i = 0; i <= p->mask; i++)
		if (p->slots[i].key && p->slots[i].n && p->slots[i].ids[0] <= last)
			sel[n++] = &p->slots[i];
	if (fn) {
		qsort(sel, n, sizeof(*sel), by_key);
		for (i = 0; rc == 0 && i < n; i++) {
			const char *json = to_json(p, sel[i], upto(sel[i], last));
			rc = json ? fn(sel[i]->key, json, arg) : -ENOMEM;
		}
	}
	free(sel);
	if (rc != 0)
		return rc;
	/* A list emptied by the take before keeps its key and room for the
	 * next slice, where most keys come back; one still empty now (no id
	 * since) is freed, so memory follows the last two slices' keys, not
	 * every key ever seen.  Out of memory here only keeps them. */
	for (i = 0; i <= p->mask; i++)
		empty += p->slots[i].key && !p->slots[i].n;
	while (slots * 3 < (p->used - empty) * 4 + 4)
		slots *= 2;
	if (empty)
		(void)rehash(p, slots, true);
	/* The ids go. */
	for (i = 0; i <= p->mask; i++) {
		struct list *l = &p->slots[i];
		uint32_t k;
		if (!l->key)
			continue;
		k = upto(l, last);
		memmove(l->ids, l->ids + k, (l->n - k) * sizeof(*l->ids));
		l->n -= k;
	}
	return 0;
}

void al_postings_clear(struct al_postings *p)
{
	free_lists(p);
	memset(p->slots, 0, (p->mask + 1) * sizeof(*p->slots));
	p->used = 0;
}

size_t al_postings_held(const struct al_postings *p)
{
	return p->used;
}

size_t al_postings_keys(const struct al_postings *p)
{
	size_t i, n = 0;

	for (i = 0; i <= p->mask; i++)
		n += p->slots[i].key && p->slots[i].n;
	return n;
}
