/* Newly seen domains: see seen.h.  An open-addressing table of pointers
 * to entries, grown by doubling up to twice the cap; entries are never
 * removed.  The hash seed is secret and no entry sits more than
 * MAX_PROBES slots from where its hash puts it, so the work done under the
 * shared mutex stays small whatever names the clients choose. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/hash.h"
#include "airlock/rand.h"
#include "airlock/seen.h"

#define MIN_SLOTS 1024
/* At most half full and a random seed: with linear probing at load a, the
 * chance that a run reaches k slots falls like (a e^(1-a))^k, about 2e-11
 * for a = 1/2 and k = 128.  A name that would need one is not remembered,
 * as if the table were full. */
#define MAX_PROBES 128

struct entry {
	uint64_t hash;
	int64_t first_us;
	uint64_t reported; /* zones told, a bit per zone index */
	char name[];
};

struct al_seen {
	pthread_mutex_t mu; /* guards everything below */
	struct entry **slots;
	size_t mask, count, max;
	int64_t epoch_us;
	uint64_t seed;
	uint64_t full_told; /* zones told of a domain not remembered since the table filled */
};

int al_seen_new(size_t max_domains, struct al_seen **out)
{
	struct al_seen *s = calloc(1, sizeof(*s));

	if (!s || !(s->slots = calloc(MIN_SLOTS, sizeof(*s->slots)))) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->mask = MIN_SLOTS - 1;
	s->max = max_domains;
	/* Per process: the table is rebuilt from the saved names at start. */
	s->seed = al_rand64();
	*out = s;
	return 0;
}

void al_seen_free(struct al_seen *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i <= s->mask; i++)
		free(s->slots[i]);
	free(s->slots);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void al_seen_set_max(struct al_seen *s, size_t max_domains)
{
	pthread_mutex_lock(&s->mu);
	s->max = max_domains;
	pthread_mutex_unlock(&s->mu);
}

/* The slot holding name, or the free slot where it belongs; NULL when
 * neither is within MAX_PROBES of the name's first slot. */
static struct entry **find(struct al_seen *s, const char *name, uint64_t h)
{
	size_t i = (size_t)h & s->mask, n;

	for (n = 0; n < MAX_PROBES; n++, i = (i + 1) & s->mask)
		if (!s->slots[i] || (s->slots[i]->hash == h && !strcmp(s->slots[i]->name, name)))
			return &s->slots[i];
	return NULL;
}

/* Doubles the slots once they would be more than half full.  -ENOSPC
 * (the old slots kept) if an entry would land past MAX_PROBES. */
static int grow(struct al_seen *s)
{
	size_t n = (s->mask + 1) * 2, i, j, probes;
	struct entry **slots;

	if ((s->count + 1) * 2 <= s->mask + 1)
		return 0;
	if (!(slots = calloc(n, sizeof(*slots))))
		return -ENOMEM;
	for (i = 0; i <= s->mask; i++) {
		if (!s->slots[i])
			continue;
		j = (size_t)s->slots[i]->hash & (n - 1);
		for (probes = 1; slots[j]; probes++, j = (j + 1) & (n - 1))
			if (probes == MAX_PROBES) {
				free(slots);
				return -ENOSPC;
			}
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->mask = n - 1;
	return 0;
}

/* Adds name, not held, at first_us.  Under mu. */
static int add(struct al_seen *s, const char *name, uint64_t h, int64_t first_us,
	       struct entry **out)
{
	size_t len = strlen(name) + 1;
	struct entry **at, *e;
	int rc;

	if (s->count >= s->max)
		return -ENOSPC;
	if ((rc = grow(s)) < 0)
		return rc;
	if (!(at = find(s, name, h)))
		return -ENOSPC;
	if (!(e = malloc(sizeof(*e) + len)))
		return -ENOMEM;
	e->hash = h;
	e->first_us = first_us;
	e->reported = 0;
	memcpy(e->name, name, len);
	*at = e;
	s->count++;
	s->full_told = 0; /* there was room: the next time it fills is news again */
	if (!s->epoch_us || first_us < s->epoch_us)
		s->epoch_us = first_us;
	*out = e;
	return 0;
}

int al_seen_merge(struct al_seen *s, const char *domain, int64_t first_us)
{
	uint64_t h = al_hash(domain, strlen(domain), s->seed);
	struct entry **at, *e;
	int rc = 0;

	if (!*domain || first_us <= 0)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	at = find(s, domain, h);
	if (!at || !*at) {
		rc = add(s, domain, h, first_us, &e);
	} else if (first_us < (*at)->first_us) {
		(*at)->first_us = first_us;
		if (first_us < s->epoch_us)
			s->epoch_us = first_us;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int al_seen_note(struct al_seen *s, const char *domain, unsigned zone, int64_t now_us,
		 struct al_sighting *out)
{
	uint64_t h = al_hash(domain, strlen(domain), s->seed);
	uint64_t bit = 1ull << (zone < 63 ? zone : 63);
	struct entry **at, *e = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->first_us = now_us;
	pthread_mutex_lock(&s->mu);
	at = find(s, domain, h);
	if (at && *at) {
		e = *at;
	} else if ((rc = add(s, domain, h, now_us, &e)) == 0) {
		out->added = true;
	} else if (rc == -ENOSPC) {
		/* Not remembered, so not known to have been told: each zone
		 * hears once that new domains go unremembered (the first one),
		 * not once per query; seen_full counts the rest. */
		out->full = true;
		out->report = !(s->full_told & bit);
		s->full_told |= bit;
		rc = 0;
	}
	if (e) {
		out->first_us = e->first_us;
		out->report = !(e->reported & bit);
		e->reported |= bit;
	}
	out->epoch_us = s->epoch_us ? s->epoch_us : now_us;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

size_t al_seen_count(struct al_seen *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->count;
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool al_seen_is_new(const struct al_seen_rule *r, int64_t first_us, int64_t now_us)
{
	return first_us >= r->learn_end_us && now_us - first_us < r->age_us;
}
