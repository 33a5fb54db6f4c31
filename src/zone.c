/* Client address -> network zone, by longest prefix over all zones' CIDRs.
 * The table is every (cidr, zone) pair sorted by prefix length, longest
 * first, so the first hit is the longest match. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/zone.h"

struct entry {
	struct al_cidr cidr;
	const struct al_zone *zone;
};

struct al_zonemap {
	struct entry *v;
	size_t n;
};

static int by_prefix_desc(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	int c;

	/* Longest first; equal prefixes side by side, so duplicates are
	 * neighbours. */
	if (x->cidr.prefix != y->cidr.prefix)
		return y->cidr.prefix - x->cidr.prefix;
	if (x->cidr.ip.family != y->cidr.ip.family)
		return x->cidr.ip.family - y->cidr.ip.family;
	if ((c = memcmp(x->cidr.ip.bytes, y->cidr.ip.bytes, sizeof(x->cidr.ip.bytes))) != 0)
		return c;
	return x->zone->index < y->zone->index ? -1 : x->zone->index > y->zone->index;
}

int al_zonemap_new(const struct al_zone *zones, size_t n,
		   struct al_zonemap **out, struct al_err *err)
{
	struct al_zonemap *m;
	size_t total = 0, i, j, k = 0;

	for (i = 0; i < n; i++)
		total += zones[i].ncidrs;
	m = calloc(1, sizeof(*m));
	if (!m || (total && !(m->v = calloc(total, sizeof(*m->v))))) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < zones[i].ncidrs; j++) {
			m->v[k].cidr = zones[i].cidrs[j];
			m->v[k].zone = &zones[i];
			k++;
		}
	m->n = k;
	qsort(m->v, m->n, sizeof(*m->v), by_prefix_desc);
	for (i = 1; i < m->n; i++) {
		const struct entry *a = &m->v[i - 1], *b = &m->v[i];
		if (a->cidr.prefix == b->cidr.prefix &&
		    al_ip_equal(&a->cidr.ip, &b->cidr.ip)) {
			al_err_set(err, "the same CIDR is in zones \"%s\" and \"%s\"",
				   a->zone->name, b->zone->name);
			al_zonemap_free(m);
			return -EINVAL;
		}
	}
	*out = m;
	return 0;
}

void al_zonemap_free(struct al_zonemap *map)
{
	if (!map)
		return;
	free(map->v);
	free(map);
}

const struct al_zone *al_zonemap_match(const struct al_zonemap *map,
				       const struct al_ip *ip)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (al_cidr_contains(&map->v[i].cidr, ip))
			return map->v[i].zone;
	return NULL;
}
