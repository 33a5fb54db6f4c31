/* The cloud network around the zones, from the config's "network" section:
 * what `airlock policy lint` checks beyond the rules (load balancers and
 * NAT gateways in the path of streaming model calls) and what `airlock
 * policy render` needs to write the cloud configuration. */
#ifndef AIRLOCK_NETWORK_H
#define AIRLOCK_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "airlock/jsonread.h"

/* A load balancer or NAT gateway: streaming completions hold a connection
 * idle for minutes, so a short idle timeout cuts them. */
struct al_middlebox {
	char *name;
	char *zone;          /* the zone it serves ("" when not given) */
	uint32_t idle_timeout_s;
};

struct al_network {
	struct al_middlebox *load_balancers;
	size_t nload_balancers;
	struct al_middlebox *nat_gateways;
	size_t nnat_gateways;
};

/* Reads section (the "network" object; NULL: none) into net.  Errors name
 * the JSON path. */
int al_network_parse(struct al_jctx *c, const cJSON *section, struct al_network *net);
void al_network_clear(struct al_network *net);

#endif
