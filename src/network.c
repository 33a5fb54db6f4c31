/* The cloud network around the zones: see network.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/network.h"

static int get_text(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		    bool required, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[128], shown[80];

	al_json_join(where, sizeof(where), path, key);
	if (!v && required)
		return al_json_fail(c, where, "missing (expected a name)");
	if (v && (!cJSON_IsString(v) || !v->valuestring[0]))
		return al_json_fail(c, where, "%s is not a name", al_json_show(v, shown, sizeof(shown)));
	return (*out = strdup(v ? v->valuestring : "")) ? 0 : -ENOMEM;
}

/* section[key]: a list of {"name", "zone", "idle_timeout_s"}. */
static int get_boxes(struct al_jctx *c, const cJSON *section, const char *key,
		     struct al_middlebox **out, size_t *n)
{
	static const char *const keys[] = { "name", "zone", "idle_timeout_s", NULL };
	const cJSON *arr, *it;
	char where[64], path[96];
	int rc, i = 0;

	if ((rc = al_json_array(c, section, key, "network",
				"e.g. [{\"name\": \"proxy-alb\", \"zone\": \"inference\", \"idle_timeout_s\": 600}]",
				&arr)) < 0 || !arr)
		return rc;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out))))
		return -ENOMEM;
	al_json_join(where, sizeof(where), "network", key);
	cJSON_ArrayForEach(it, arr) {
		struct al_middlebox *b = &(*out)[*n];

		al_json_index(path, sizeof(path), where, i++);
		(*n)++;
		if ((rc = al_json_check_keys(c, it, path, keys)) < 0 ||
		    (rc = get_text(c, it, "name", path, true, &b->name)) < 0 ||
		    (rc = get_text(c, it, "zone", path, false, &b->zone)) < 0)
			return rc;
		if (!cJSON_GetObjectItemCaseSensitive(it, "idle_timeout_s"))
			return al_json_fail(c, path, "idle_timeout_s missing (expected the idle timeout in seconds)");
		if ((rc = al_json_uint(c, it, "idle_timeout_s", path, 1, 86400, &b->idle_timeout_s)) < 0)
			return rc;
	}
	return 0;
}

int al_network_parse(struct al_jctx *c, const cJSON *section, struct al_network *net)
{
	static const char *const keys[] = { "load_balancers", "nat_gateways", NULL };
	int rc;

	memset(net, 0, sizeof(*net));
	if (!section)
		return 0;
	if ((rc = al_json_check_keys(c, section, "network", keys)) < 0 ||
	    (rc = get_boxes(c, section, "load_balancers", &net->load_balancers, &net->nload_balancers)) < 0 ||
	    (rc = get_boxes(c, section, "nat_gateways", &net->nat_gateways, &net->nnat_gateways)) < 0)
		return rc;
	return 0;
}

static void boxes_free(struct al_middlebox *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].zone);
	}
	free(v);
}

void al_network_clear(struct al_network *net)
{
	boxes_free(net->load_balancers, net->nload_balancers);
	boxes_free(net->nat_gateways, net->nnat_gateways);
	memset(net, 0, sizeof(*net));
}
