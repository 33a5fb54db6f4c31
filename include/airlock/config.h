/* The daemon's configuration: one JSON file, or the built-in default.
 * A loaded config is immutable and reference-counted, so a reload can swap
 * it under running workers. */
#ifndef AIRLOCK_CONFIG_H
#define AIRLOCK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "airlock/addr.h"
#include "airlock/err.h"
#include "airlock/namepat.h"
#include "airlock/network.h"
#include "airlock/ratelimit.h"
#include "airlock/zone.h"

#define AL_DEFAULT_PORT 5353
#define AL_MAX_UPSTREAMS 64 /* distinct upstreams, default and forward[] together */

struct al_endpoint {
	struct al_ip ip;
	uint16_t port;
	bool keep_case; /* upstreams: "case_randomization": false (no DNS 0x20) */
};

struct al_catalog;
struct al_localdata;
struct al_namelist;
struct al_rule;

/* dnstap output (see dnstap.h): socket or file, the other NULL; both NULL: off. */
struct al_dnstap_conf {
	char *socket;    /* a collector's unix socket */
	char *file;      /* a Frame Streams file */
	char *identity;  /* NULL: the host name */
	char *version;   /* NULL: "airlock VERSION" */
	bool client_query, client_response, forwarder_query, forwarder_response;
};

/* Conditional forwarding: names under suffix go to these upstreams only. */
struct al_forward {
	struct al_suffix suffix;
	struct al_endpoint *ups;
	size_t nups;
};

struct al_config {
	char *path; /* NULL for the built-in default */
	char *user;  /* started as root: become this account after binding; NULL: unset */
	char *group; /* its group; NULL: the user's primary group */

	struct al_endpoint *listen;
	size_t nlisten;
	struct al_endpoint *upstreams;
	size_t nupstreams;
	struct al_zone *zones;
	size_t nzones;
	struct al_zonemap *zonemap;

	size_t cache_bytes;
	uint32_t min_ttl, max_ttl, max_negative_ttl;

	uint32_t upstream_timeout_ms;  /* one try at one upstream */
	uint32_t query_timeout_ms;     /* whole client query */
	uint32_t tcp_idle_ms;
	uint32_t upstream_holddown_ms; /* a failed upstream is skipped this long */

	uint32_t tcp_clients; /* open client TCP connections, all threads */
	uint32_t inflight;    /* upstream questions in flight, per thread */
	uint16_t edns_size;   /* advertised and used towards upstreams */
	unsigned threads;

	char *log_path;       /* SQLite query log; NULL: no log */
	uint32_t log_queue, log_batch_rows, log_batch_ms, log_retention_days;
	bool log_required;    /* SERVFAIL while a query could not be logged */
	struct al_ip metrics_ip;  /* Prometheus /metrics over HTTP ... */
	uint16_t metrics_port;    /* ... on this port; 0: no metrics listener */
	struct al_dnstap_conf dnstap;

	char *control_path;     /* the control socket; NULL: none */
	uint32_t control_mode;  /* its permission bits (0660) */
	char *control_group;    /* its group; NULL: the daemon's */
	uint32_t control_gid;   /* control_group's id, looked up at load */

	struct al_suffix *internal; /* names internal-only zones may resolve */
	size_t ninternal;
	char *catalog_path;         /* AI endpoint catalog; NULL: the built-in one */
	struct al_cidr *private_cidrs; /* where private endpoints answer */
	size_t nprivate;
	int public_answer_rcode;    /* for a protected name answered publicly */
	char **local_data;          /* zone files answered locally */
	size_t nlocal_data;
	struct al_forward *forwards;
	size_t nforwards;
	struct al_catalog *catalog;     /* loaded from catalog_path or built in */
	struct psl_ctx_st *psl;         /* the Public Suffix List */
	uint32_t guard_domains;         /* registered domains the detector tracks, all threads */
	uint32_t guard_window_s;        /* the detector's window */
	char **allow_files, **block_files; /* guard.allow_lists, guard.block_lists */
	size_t nallow_files, nblock_files;
	uint32_t seen_domains;          /* new_domains.max_domains: first sightings kept */
	uint32_t seen_learning_s;       /* new_domains.learning_s: nothing is new before */
	uint32_t seen_age_s;            /* new_domains.age_s: how long a domain stays new */
	struct al_namelist *allow;      /* never judged by the detector; NULL: none */
	struct al_namelist *block;      /* always denied; NULL: none */
	struct al_localdata *localdata; /* from local_data; NULL: none */
	struct al_rule *rules;          /* the zone policy catalog's flow rules */
	size_t nrules;
	struct al_network network;      /* load balancers, NAT, cloud settings */
	struct al_ratelimit_conf rate_limit; /* response-rate and upstream limits */
	struct al_ratelimit *rate_table; /* their counters, shared by every worker
					  * (lock-free, see ratelimit.h); each
					  * loaded config starts a fresh one */

	int refs;
};

/* Parse text as the config file named path (path only labels messages). */
int al_config_parse(const char *text, const char *path,
		    struct al_config **out, struct al_err *err);
int al_config_load(const char *path, struct al_config **out, struct al_err *err);
/* Built-in default: 127.0.0.1 and ::1 port 5353, loopback clients only,
 * upstreams from resolv_conf (normally "/etc/resolv.conf"). */
int al_config_default(const char *resolv_conf, struct al_config **out,
		      struct al_err *err);

struct al_config *al_config_ref(struct al_config *cfg);
void al_config_unref(struct al_config *cfg);

#endif
