/* `airlock policy lint`: the classic mistakes of a zone policy catalog,
 * each a finding with a severity and the fix.  Checks: a rule CIDR that
 * spans several zones; no deny from application to external_ai; an allow
 * from the data zone or the sandbox to the internet; the management zone
 * reachable from the application zone; rules naming unknown zones; rules
 * shadowed by others; overlapping zone CIDRs; a zone whose DNS view and
 * flow rules disagree about AI endpoints or internet names; load balancer
 * and NAT idle timeouts too short for streaming completions. */
#ifndef AIRLOCK_LINT_H
#define AIRLOCK_LINT_H

#include "airlock/config.h"

enum al_lint_severity { AL_LINT_WARNING, AL_LINT_HIGH, AL_LINT_CRITICAL };
/* "warning", "high", "critical". */
const char *al_lint_severity_name(enum al_lint_severity s);

#define AL_LINT_STREAM_IDLE_S 300 /* streaming completions idle this long */

struct al_lint_finding {
	enum al_lint_severity severity;
	const char *check; /* "cidr-spans-zones", "no-ai-deny", ... */
	const char *rule;  /* the rule concerned ("" for none) */
	char message[512];
	char fix[512];
};

/* Runs every check on cfg's zones, rules and network, calling fn for each
 * finding in a fixed order (by check, then by rule order).  Returns the
 * number of findings, or fn's negative value. */
int al_lint(const struct al_config *cfg,
	    int (*fn)(const struct al_lint_finding *f, void *arg), void *arg);

#endif
