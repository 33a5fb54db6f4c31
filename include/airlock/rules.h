/* The zone policy catalog's flow rules: which zone may open connections to
 * which, over what protocol and ports.  Besides the config's zones there
 * are two pseudo-zones: "internet" (an address in no zone) and
 * "external_ai" (the AI services' private endpoints: endpoints.private_cidrs).
 * A rule's end is a zone or a CIDR.  Semantics: default deny; a matching
 * deny wins over any matching allow; port ranges are inclusive; "https" is
 * TCP (a "tcp" rule covers it) and an "https" rule covers TCP 443 only,
 * unless it lists ports. */
#ifndef AIRLOCK_RULES_H
#define AIRLOCK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "airlock/addr.h"
#include "airlock/jsonread.h"
#include "airlock/zone.h"

#define AL_ZONE_INTERNET (-1)    /* any address in no zone */
#define AL_ZONE_EXTERNAL_AI (-2) /* endpoints.private_cidrs */
#define AL_ZONE_UNKNOWN (-3)     /* a rule naming no zone of the config (lint) */

enum al_proto { AL_PROTO_TCP, AL_PROTO_UDP, AL_PROTO_HTTPS, AL_PROTO_ANY };
/* "tcp", "udp", "https", "any". */
const char *al_proto_name(enum al_proto p);

struct al_portrange {
	uint16_t lo, hi; /* inclusive */
};

/* One end of a rule, as written ("inference", "10.0.0.0/16"). */
struct al_rule_end {
	char text[64];
	bool is_cidr;
	struct al_cidr cidr; /* is_cidr */
	int zone;            /* !is_cidr: index into the zones, or AL_ZONE_* */
};

struct al_rule {
	char id[32];          /* "NET-001" */
	char *name;
	struct al_rule_end from, to;
	enum al_proto proto;
	struct al_portrange *ports; /* none listed: every port (https: 443) */
	size_t nports;
	bool allow;
	char *justification, *classification; /* "" when not given */
};

/* The rules of the config's "rules" list (arr may be NULL: none), checked
 * for form: ids unique, ports in 0-65535 and ranges low-high.  Zone names
 * are looked up in zones[0..nzones); an unknown one is kept as
 * AL_ZONE_UNKNOWN for lint to report.  Errors name the JSON path. */
int al_rules_parse(struct al_jctx *c, const cJSON *arr, const struct al_zone *zones,
		   size_t nzones, struct al_rule **out, size_t *n);
void al_rules_free(struct al_rule *rules, size_t n);

/* A port list as written: 443, "443", "6333-6334", or a list of those.
 * Returns 0, or -EINVAL with err saying what is wrong (no file, no path). */
int al_ports_parse(const cJSON *v, struct al_portrange **out, size_t *n, struct al_err *err);
/* One "N" or "LO-HI" from text (a command line); 0 or -EINVAL with err. */
int al_port_parse(const char *text, struct al_portrange *out, struct al_err *err);

/* The zone an address is in: the longest prefix over the zones' CIDRs and
 * the external_ai CIDRs; AL_ZONE_INTERNET when none holds it. */
int al_rules_zone_of(const struct al_zone *zones, size_t nzones, const struct al_cidr *ai,
		     size_t nai, const struct al_ip *ip);

/* Whether c holds every address of zone (0.0.0.0/0 and ::/0 hold the
 * internet; external_ai is the ai CIDRs). */
bool al_rules_cidr_covers_zone(const struct al_zone *zones, size_t nzones, const struct al_cidr *ai,
			       size_t nai, const struct al_cidr *c, int zone);

/* One side of a flow to check: a zone, and the address when one was given. */
struct al_flow_end {
	int zone;
	bool has_ip;
	struct al_ip ip;
};

struct al_flow {
	struct al_flow_end from, to;
	enum al_proto proto; /* TCP or UDP (https flows are TCP); ANY: another protocol, which only "any" rules match */
	uint16_t port;
};

#define AL_RULES_MATCH_MAX 16

struct al_flow_verdict {
	bool allowed;
	/* The deciding rules: the matching denies when denied, else the
	 * matching allows (none: default deny), in catalog order. */
	const struct al_rule *rules[AL_RULES_MATCH_MAX];
	size_t nrules;
};

/* Decides flow by rules.  zones and the external_ai CIDRs give CIDR ends
 * their meaning for a flow given by zone: a CIDR matches a zone it covers
 * whole. */
void al_rules_check(const struct al_rule *rules, size_t n, const struct al_zone *zones,
		    size_t nzones, const struct al_cidr *ai, size_t nai,
		    const struct al_flow *flow, struct al_flow_verdict *out);

/* "inference", "internet", "external_ai" (zone names for AL_ZONE_* values). */
const char *al_rules_zone_name(const struct al_zone *zones, size_t nzones, int zone);
/* The zone index of a name (incl. the pseudo-zones); AL_ZONE_UNKNOWN if none. */
int al_rules_zone_find(const struct al_zone *zones, size_t nzones, const char *name);

#endif
