/* The decision for one query from one zone, made before the cache or any
 * upstream is asked: which AI endpoint (if any) the name is, whether the
 * zone's view allows it, whether the answer must then be checked as a
 * private one, and which upstream group may be asked. */
#ifndef AIRLOCK_POLICY_H
#define AIRLOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/catalog.h"
#include "airlock/config.h"
#include "airlock/querylog.h"
#include "airlock/zone.h"

struct al_decision {
	bool deny;                       /* answer with the zone's deny response */
	const struct al_catalog_ep *ep;  /* the AI endpoint the name is, or NULL */
	bool verify;                     /* a private answer is required */
	bool internal;                   /* under an internal suffix */
	unsigned group;                  /* upstream group: 0 default, i + 1 forward[i] */
	const char *reason;              /* for the log; "" when plainly allowed */
	const char *incident;            /* incident kind for a denial; NULL: none */
	enum al_severity severity;
};

/* Decides for name (lower-case wire form) asked from zone. */
void al_policy_decide(const struct al_config *cfg, const struct al_catalog *cat,
		      const struct al_zone *zone, const uint8_t *name, size_t len,
		      struct al_decision *out);

/* The upstream group for name: the forward[] entry with the longest
 * suffix containing it (as i + 1), else 0. */
unsigned al_policy_group(const struct al_config *cfg, const uint8_t *name, size_t len);

#endif
