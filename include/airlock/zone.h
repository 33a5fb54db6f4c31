/* Network zones: which subnet a client is in.  A client address maps to the
 * zone of the longest matching prefix over every zone's CIDRs. */
#ifndef AIRLOCK_ZONE_H
#define AIRLOCK_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "airlock/addr.h"
#include "airlock/err.h"

/* What a zone may resolve: its view of the DNS. */
enum al_ai_view { AL_AI_PRIVATE, AL_AI_DENY };          /* AI names with a private endpoint */
enum al_names_view { AL_NAMES_INTERNET, AL_NAMES_INTERNAL_ONLY, AL_NAMES_NONE }; /* the rest */
enum al_deny_reply { AL_DENY_REFUSED, AL_DENY_NXDOMAIN, AL_DENY_NODATA };

/* The tunnel detector's settings for a zone. */
enum al_tunnel_action { AL_TUNNEL_BLOCK, AL_TUNNEL_ALERT, AL_TUNNEL_OFF };
struct al_tunnel_view {
	enum al_tunnel_action action;
	double threshold;     /* score at which a query is a tunnel */
	int block_rcode;      /* REFUSED or NXDOMAIN */
	uint64_t daily_bytes; /* per registered domain per day; 0: no cap */
};

/* What a zone does with a domain first seen less than new_domains.age_s ago. */
enum al_newdom_action { AL_NEWDOM_ALERT, AL_NEWDOM_BLOCK, AL_NEWDOM_ALLOW };
struct al_newdom_view {
	enum al_newdom_action action;
	int block_rcode; /* REFUSED or NXDOMAIN */
};

struct al_view {
	enum al_ai_view ai;
	bool public_ai;           /* AI APIs with no private endpoint may be resolved */
	enum al_names_view names; /* names that are no AI endpoint */
	enum al_deny_reply deny;  /* what a denied query gets */
	bool rebinding;           /* refuse internal addresses for public names */
	struct al_tunnel_view tunnel;
	struct al_newdom_view new_domains;
};

struct al_zone {
	char *name;
	struct al_cidr *cidrs;
	size_t ncidrs;
	unsigned index; /* position in the zone list, for per-zone counters */
	struct al_view view;
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
