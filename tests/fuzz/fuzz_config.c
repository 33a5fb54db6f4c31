/* The config parser on any text.  Asserts: either a config that holds
 * what airlockd needs (listen addresses, upstreams, zones, a zone map,
 * min_ttl <= max_ttl, upstream timeout <= query timeout), or an error
 * whose message starts with the file name.  Texts naming /dev, /proc or
 * /sys are skipped: a config may name files, and reading those could
 * block or never end. */
#include <string.h>

#include "airlock/config.h"
#include "fuzz.h"

#define PATH "fuzz.json"

FUZZ_TARGET(fuzz_config)
{
	struct al_config *cfg = NULL;
	struct al_err err;
	char *text;
	int rc;

	if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
	    memmem(data, size, "/sys", 4))
		return 0;
	text = fuzz_strndup(data, size);
	err.msg[0] = '\0';
	rc = al_config_parse(text, PATH, &cfg, &err);
	if (rc < 0) {
		FUZZ_CHECK(strncmp(err.msg, PATH, strlen(PATH)) == 0,
			   "error %d without the file name first: \"%s\"", rc, err.msg);
		FUZZ_CHECK(cfg == NULL, "a config and an error");
	} else {
		FUZZ_CHECK(rc == 0, "al_config_parse returned %d", rc);
		FUZZ_CHECK(cfg && cfg->nlisten > 0 && cfg->nupstreams > 0 && cfg->nzones > 0 &&
			   cfg->zonemap && cfg->psl, "a config missing what airlockd needs");
		FUZZ_CHECK(cfg->min_ttl <= cfg->max_ttl, "min_ttl %u > max_ttl %u", cfg->min_ttl, cfg->max_ttl);
		FUZZ_CHECK(cfg->upstream_timeout_ms <= cfg->query_timeout_ms,
			   "upstream timeout %u > query timeout %u", cfg->upstream_timeout_ms,
			   cfg->query_timeout_ms);
		FUZZ_CHECK(cfg->path && strcmp(cfg->path, PATH) == 0, "the config's path is not the file's");
		al_config_unref(cfg);
	}
	free(text);
	return 0;
}
