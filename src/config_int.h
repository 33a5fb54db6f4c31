/* Shared by the two halves of the config module (src/config.c and
 * src/config_service.c) and nothing else: include/airlock/config.h stays
 * the module's whole public face. */
#ifndef AIRLOCK_CONFIG_INT_H
#define AIRLOCK_CONFIG_INT_H

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/jsonread.h"

/* The file name at v (where: its JSON path; example: one to show in the
 * error), relative to the config file's directory, in *out (malloc'd);
 * with socket, no longer than a unix socket's path may be.  Returns 0,
 * -ENOMEM or the error al_json_fail gives. */
int config_file(struct al_jctx *c, const cJSON *v, const char *where, const char *example,
		bool socket, char **out);

/* The service sections: cache, timeouts, limits, edns, threads, log,
 * metrics, dnstap, control.  Needs cfg->listen parsed first. */
int config_get_service(struct al_jctx *c, const cJSON *root, struct al_config *cfg);

#endif
