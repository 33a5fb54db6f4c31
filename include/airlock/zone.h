/* Network zones: which subnet a client is in.  A client address maps to the
 * zone of the longest matching prefix over every zone's CIDRs. */
#ifndef AIRLOCK_ZONE_H
#define AIRLOCK_ZONE_H

#include <stddef.h>
#include "airlock/addr.h"
#include "airlock/err.h"

struct al_zone {
	char *name;
	struct al_cidr *cidrs;
	size_t ncidrs;
	unsigned index; /* position in the zone list, for per-zone counters */
};

struct al_zonemap; /* opaque, immutable once built */

/* Builds the lookup table over zones[0..n).  The zones stay owned by the
 * caller and must outlive the map.  A CIDR listed in two zones is an error
 * (the message names both). */
int al_zonemap_new(const struct al_zone *zones, size_t n,
		   struct al_zonemap **out, struct al_err *err);
void al_zonemap_free(struct al_zonemap *map);

/* The zone of the longest prefix containing ip, or NULL: not a client. */
const struct al_zone *al_zonemap_match(const struct al_zonemap *map,
				       const struct al_ip *ip);

#endif
