/* The flow monitor's judgement: each flow from a flow log, with the name
 * the client was given for its destination (answerindex.h), against the
 * zones, the policy catalog and the endpoint catalog.  Findings, by kind:
 *   data_zone_egress     critical  the data zone talking to the internet
 *   large_transfer       high      more than large_bytes from the inference zone in one connection
 *   unapproved_endpoint  warning   the inference zone talking to a name outside the endpoint catalog
 *   no_dns_answer        warning   egress to a public address no answer explains
 *   dns_bypass           high      a zone client asking DNS (53/853) of anyone but airlock
 *   policy_violation     high      an accepted flow the catalog's rules deny
 *   rejected_probe       high      many REJECTs from one source (warning from the internet)
 * Repeats of one (kind, source, destination, name) within the window are
 * one finding with a count.  Not judged: flows from outside the zones
 * (except REJECTs, for probes), airlock's own traffic, DNS to airlock, and
 * the answering side of a connection (the reverse of a flow the rules
 * allow, or one from a port below 1024 to one above), unless the record's
 * source is known to have opened the connection (Azure). */
#ifndef AIRLOCK_FLOWMON_H
#define AIRLOCK_FLOWMON_H

#include <stdbool.h>
#include <stdint.h>

#include "airlock/answerindex.h"
#include "airlock/config.h"
#include "airlock/flowlog.h"
#include "airlock/querylog.h"

struct al_flowmon_opts {
	int64_t grace_us;      /* past the TTL, an answer still explains a flow (20 min) */
	uint64_t large_bytes;  /* large_transfer threshold (100 MiB) */
	unsigned probe_rejects; /* REJECTs to distinct destinations that make a probe (20) */
	int64_t window_us;     /* aggregation and probe window (10 min); a connection's bytes are
	                          summed until it has not shown up for this long */
};
void al_flowmon_defaults(struct al_flowmon_opts *o);

struct al_flow_finding {
	const char *kind;
	enum al_severity severity;
	struct al_flowrec flow;  /* the first flow of the finding */
	int src_zone, dst_zone;  /* zone indexes or AL_ZONE_INTERNET / AL_ZONE_EXTERNAL_AI */
	const char *name;        /* the name that explains the destination; NULL: none */
	int64_t answered_us;     /* when it was answered */
	bool by_zone;            /* answered to another client of the zone */
	int64_t query_id;        /* the answer's query row; 0: none */
	char rule[64];           /* policy_violation: the deny rule, or "default deny" */
	uint64_t count, bytes;   /* flows and bytes the finding stands for */
	int64_t last_us;         /* the last flow's end */
};

typedef int (*al_flow_finding_fn)(const struct al_flow_finding *f, void *arg);

struct al_flowmon;

/* cfg and answers must outlive the monitor. */
int al_flowmon_new(const struct al_config *cfg, const struct al_flowmon_opts *opts,
		   const struct al_answerindex *answers, struct al_flowmon **out);
void al_flowmon_free(struct al_flowmon *m);

/* Judges one flow.  Findings whose window closed are passed to fn.
 * Returns 0, -ENOMEM or fn's negative value. */
int al_flowmon_add(struct al_flowmon *m, const struct al_flowrec *f, al_flow_finding_fn fn, void *arg);
/* Passes every open finding to fn (at the end of the input). */
int al_flowmon_flush(struct al_flowmon *m, al_flow_finding_fn fn, void *arg);

#endif
