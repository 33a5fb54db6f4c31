/* Reading JSON files (the config, the endpoint catalog) with errors that
 * name the file, the JSON path, the value found and what was expected:
 * `airlock.json: zones[2].cidrs[0]: "10.0.300.0/24" is not a CIDR (...)`.
 * Unknown keys are errors, so typos are caught. */
#ifndef AIRLOCK_JSONREAD_H
#define AIRLOCK_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "airlock/err.h"

/* Where messages go: the file name they start with, and the error. */
struct al_jctx {
	const char *file;
	struct al_err *err;
};

/* Reads path (at most max bytes) and parses it; invalid JSON is reported
 * as FILE:LINE:COLUMN.  *root is the caller's (cJSON_Delete). */
int al_json_load(const char *path, size_t max, const char *what, cJSON **root,
		 struct al_err *err);
/* The same for text already in memory; path only labels messages. */
int al_json_parse(const char *text, const char *path, cJSON **root, struct al_err *err);

/* Sets the error "FILE: PATH: message"; returns -EINVAL. */
int al_json_fail(struct al_jctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value as it appeared, for messages: strings quoted, others printed. */
const char *al_json_show(const cJSON *v, char *buf, size_t len);
/* "path.key" (or "key" at the top) and "path[i]" into out. */
void al_json_join(char *out, size_t len, const char *path, const char *key);
void al_json_index(char *out, size_t len, const char *path, int i);

/* obj must be an object whose keys are all in allowed (NULL-terminated). */
int al_json_check_keys(struct al_jctx *c, const cJSON *obj, const char *path,
		       const char *const *allowed);
/* obj[key] as an object checked against keys; *out NULL when absent. */
int al_json_section(struct al_jctx *c, const cJSON *root, const char *key,
		    const char *const *keys, const cJSON **out);
/* obj[key] as a non-empty list; *out NULL when absent. */
int al_json_array(struct al_jctx *c, const cJSON *root, const char *key,
		  const char *path, const char *expect, const cJSON **out);
/* Scalars: absent keys keep *out (the default). */
int al_json_uint(struct al_jctx *c, const cJSON *obj, const char *key,
		 const char *path, double min, double max, uint32_t *out);
int al_json_bool(struct al_jctx *c, const cJSON *obj, const char *key,
		 const char *path, bool *out);
int al_json_number(struct al_jctx *c, const cJSON *obj, const char *key,
		   const char *path, double min, double max, double *out);
/* A non-empty string, copied into *out (freed first; the caller frees). */
int al_json_string(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		   const char *expect, char **out);
/* A string that must be one of names (NULL-terminated); *out its index. */
int al_json_choice(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		   const char *const *names, int *out);

#endif
