/* Checking what an upstream answered for a protected name: every address
 * must lie in the endpoint's private ranges and every CNAME must point into
 * an allowed suffix; and, for zones with rebinding protection, whether a
 * public name was answered with an internal address. */
#ifndef AIRLOCK_VERIFY_H
#define AIRLOCK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/addr.h"
#include "airlock/catalog.h"
#include "airlock/msg.h"

/* What a correct private answer may hold: addresses in the operator's
 * private endpoint subnets or the endpoint's provider VIP ranges, CNAMEs
 * into the endpoint's private zones. */
struct al_private_rule {
	const struct al_cidr *cidrs; /* the operator's (endpoints.private_cidrs) */
	size_t ncidrs;
	const struct al_catalog_ep *ep;
};

struct al_verdict {
	unsigned addrs;      /* A/AAAA records seen in the answer section */
	char offending[256]; /* the first address or name outside the rule; "" if none */
	const char *why;     /* NULL: good; else what was wrong, for the incident */
};

/* Checks the answer section of reply (len bytes).  Records other than A,
 * AAAA, CNAME and RRSIG cannot be checked and fail the answer, as does a
 * malformed message.  Returns true when the answer is good. */
bool al_verify_private(const uint8_t *reply, size_t len, const struct al_private_rule *rule,
		       struct al_verdict *out);

/* True for loopback, RFC 1918, shared (100.64/10), link-local, unspecified,
 * unique-local IPv6 and IPv4-mapped forms of these. */
bool al_ip_is_internal(const struct al_ip *ip);

/* The first internal A/AAAA address in reply's answer section, formatted
 * into out; false when there is none (or the message is malformed). */
bool al_verify_find_internal(const uint8_t *reply, size_t len, char *out, size_t outlen);

#endif
