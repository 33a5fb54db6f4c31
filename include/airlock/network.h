/* The cloud network around the zones, from the config's "network" section:
 * what `airlock policy lint` checks beyond the rules (load balancers and
 * NAT gateways in the path of streaming model calls) and what `airlock
 * policy render` needs to write the cloud configuration (airlock's DNS
 * addresses, and per cloud the ids and names the rules cannot give). */
#ifndef AIRLOCK_NETWORK_H
#define AIRLOCK_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "airlock/addr.h"
#include "airlock/jsonread.h"

/* A load balancer or NAT gateway: streaming completions hold a connection
 * idle for minutes, so a short idle timeout cuts them. */
struct al_middlebox {
	char *name;
	char *zone;          /* the zone it serves ("" when not given) */
	uint32_t idle_timeout_s;
};

/* A zone's subnets in one cloud: AWS subnet ids (one per availability
 * zone), or the one Azure subnet name.  The zone name is checked against
 * the config's zones by the renderer (the section is parsed on its own). */
struct al_zone_subnets {
	char *zone;
	char **ids;
	size_t nids;
};

/* Every text below is NULL (and every list empty) when not given: only
 * the target being rendered needs its keys, and says which is missing. */
struct al_network_aws {
	bool given;               /* network.aws is present */
	char *region;             /* "us-east-1" */
	char *vpc_id;             /* "vpc-0abc1234def567890" */
	struct al_zone_subnets *subnets;
	size_t nsubnets;
	char **approved_models;   /* "anthropic.claude-*", or a whole ARN */
	size_t napproved_models;
	char **services;          /* more catalog endpoint ids (aws-bedrock-runtime always) */
	size_t nservices;
};

struct al_network_azure {
	bool given;
	char *resource_group, *location, *vnet, *openai_account;
	struct al_zone_subnets *subnets; /* one name each */
	size_t nsubnets;
};

struct al_network_gcp {
	bool given;
	char *project, *network;
};

#define AL_NETWORK_DNS_MAX 4 /* an AWS DHCP options set holds four */

struct al_network {
	struct al_middlebox *load_balancers;
	size_t nload_balancers;
	struct al_middlebox *nat_gateways;
	size_t nnat_gateways;
	struct al_ip dns_servers[AL_NETWORK_DNS_MAX]; /* airlock's addresses, as clients reach it */
	size_t ndns_servers;
	struct al_network_aws aws;
	struct al_network_azure azure;
	struct al_network_gcp gcp;
};

/* Reads section (the "network" object; NULL: none) into net.  Errors name
 * the JSON path; unknown keys are errors. */
int al_network_parse(struct al_jctx *c, const cJSON *section, struct al_network *net);
void al_network_clear(struct al_network *net);

/* The subnets listed for zone in v (NULL: none). */
const struct al_zone_subnets *al_network_subnets(const struct al_zone_subnets *v, size_t n,
						 const char *zone);

#endif
