/* `airlock policy render`: the cloud network configuration written from
 * the zone policy catalog (zones, flow rules, the AI endpoint catalog and
 * the config's "network" section), so the cloud and airlock cannot drift
 * apart.  AWS: the AI services' interface VPC endpoints, their security
 * group, the Bedrock endpoint policy and the DHCP options (CloudFormation
 * or Terraform JSON).  Azure: the Azure OpenAI private endpoint with its
 * private DNS zone (Bicep) and the VNet's DNS servers.  GCP: egress
 * firewall rules and the googleapis.com private zone (Terraform JSON).
 * Rendering is pure: text in memory, the same bytes for the same catalog;
 * the caller writes it. */
#ifndef AIRLOCK_RENDER_H
#define AIRLOCK_RENDER_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/err.h"
#include "airlock/rules.h"

enum al_render_target { AL_RENDER_AWS, AL_RENDER_AZURE, AL_RENDER_GCP };
enum al_render_format {
	AL_RENDER_DEFAULT,        /* AWS: CloudFormation; Azure: Bicep; GCP: Terraform */
	AL_RENDER_CLOUDFORMATION, /* AWS only */
	AL_RENDER_TERRAFORM,      /* AWS and GCP */
};

#define AL_RENDER_MAX 4

/* One output file: a fixed name ("aws-cloudformation.json") and its bytes,
 * ending in a newline. */
struct al_artifact {
	const char *name;
	char *text;
};

struct al_render {
	struct al_artifact items[AL_RENDER_MAX];
	size_t n;
};

/* Renders cfg for target in format into out (al_render_clear frees it).
 * Returns 0; -EINVAL with err naming the missing or wrong key ("FILE:
 * network.aws.region: missing (...)"), or a format the target has not;
 * -ENOMEM. */
int al_render(const struct al_config *cfg, enum al_render_target target,
	      enum al_render_format format, struct al_render *out, struct al_err *err);
void al_render_clear(struct al_render *r);

/* ----- shared by the renderers (render_aws.c, render_azure.c, render_gcp.c) ----- */

/* A zone the rules allow to open TCP 443 to external_ai, and the allows. */
struct al_render_zone {
	int zone;
	const struct al_rule *rules[AL_RULES_MATCH_MAX];
	size_t nrules;
};

/* The zones allowed to reach external_ai on TCP 443, in config order, at
 * most max; returns how many. */
size_t al_render_ai_zones(const struct al_config *cfg, struct al_render_zone *out, size_t max);
/* "NET-002, NET-007": the zone's allowing rule ids, for descriptions. */
const char *al_render_rule_ids(const struct al_render_zone *z, char *buf, size_t len);
/* Text safe in every cloud's descriptions and in Terraform strings: other
 * characters than letters, digits, space and ._:/,()+=-#@ become '_'. */
const char *al_render_plain(const char *text, char *buf, size_t len);
/* "10.0.2.0/24". */
const char *al_render_cidr(const struct al_cidr *c, char *buf, size_t len);
/* The config's name in messages. */
const char *al_render_file(const struct al_config *cfg);
/* "FILE: PATH: missing (expected EXPECT)"; returns -EINVAL. */
int al_render_missing(const struct al_config *cfg, struct al_err *err, const char *path,
		      const char *expect);
/* Checks that every zone named in a network.CLOUD.subnets map is a zone
 * of the config; path is "network.aws.subnets". */
int al_render_check_subnet_zones(const struct al_config *cfg, const struct al_zone_subnets *v,
				 size_t n, const char *path, struct al_err *err);
/* Adds an artifact taking text; -ENOMEM (text freed) when full. */
int al_render_add(struct al_render *r, const char *name, char *text);
/* Adds doc printed by cJSON_Print with a final newline, then deletes doc. */
int al_render_add_json(struct al_render *r, const char *name, cJSON *doc);

/* The addresses of family outside every CIDR of v (other families are
 * ignored), as the fewest CIDRs, in address order, at most max; returns
 * how many, or -ENOSPC. */
int al_render_complement(const struct al_cidr *v, size_t n, int family, struct al_cidr *out,
			 size_t max);

int al_render_aws(const struct al_config *cfg, enum al_render_format format, struct al_render *out,
		  struct al_err *err);
int al_render_azure(const struct al_config *cfg, struct al_render *out, struct al_err *err);
int al_render_gcp(const struct al_config *cfg, struct al_render *out, struct al_err *err);

#endif
