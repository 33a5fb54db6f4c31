/* JSON reading with precise errors: see jsonread.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/jsonread.h"

int al_json_fail(struct al_jctx *c, const char *path, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return al_err_set(c->err, "%s: %s: %s", c->file, path, what);
}

/* The value as it appeared, for messages: strings quoted, others printed. */
const char *al_json_show(const cJSON *v, char *buf, size_t len)
{
	char *s;

	if (cJSON_IsString(v)) {
		snprintf(buf, len, "\"%s\"", v->valuestring);
		return buf;
	}
	s = cJSON_PrintUnformatted(v);
	snprintf(buf, len, "%s", s ? s : "?");
	if (len > 4 && s && strlen(s) >= len)
		memcpy(buf + len - 4, "...", 4);
	free(s);
	return buf;
}

void al_json_join(char *out, size_t len, const char *path, const char *key)
{
	if (*path)
		snprintf(out, len, "%s.%s", path, key);
	else
		snprintf(out, len, "%s", key);
}

void al_json_index(char *out, size_t len, const char *path, int i)
{
	if (snprintf(out, len, "%s[%d]", path, i) >= (int)len)
		out[len - 1] = '\0'; /* deep paths are cut, never overrun */
}

int al_json_check_keys(struct al_jctx *c, const cJSON *obj, const char *path,
		      const char *const *allowed)
{
	const cJSON *it;
	char where[256], list[256];
	size_t i, off;

	if (!cJSON_IsObject(obj)) {
		char v[80];
		return al_json_fail(c, *path ? path : "(top)", "%s is not an object (expected { ... })",
			    al_json_show(obj, v, sizeof(v)));
	}
	cJSON_ArrayForEach(it, obj) {
		for (i = 0; allowed[i]; i++)
			if (strcmp(it->string, allowed[i]) == 0)
				break;
		if (allowed[i])
			continue;
		for (i = 0, off = 0; allowed[i] && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						i ? ", " : "", allowed[i]);
		al_json_join(where, sizeof(where), path, it->string);
		return al_json_fail(c, where, "unknown key (expected one of: %s)", list);
	}
	return 0;
}

int al_json_uint(struct al_jctx *c, const cJSON *obj, const char *key,
		    const char *path, double min, double max, uint32_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80];

	if (!v)
		return 0; /* keep the default */
	al_json_join(where, sizeof(where), path, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max) ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return al_json_fail(c, where, "%s is not valid (expected an integer from %.0f to %.0f)",
			    al_json_show(v, shown, sizeof(shown)), min, max);
	*out = (uint32_t)v->valuedouble;
	return 0;
}

int al_json_number(struct al_jctx *c, const cJSON *obj, const char *key,
		   const char *path, double min, double max, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80];

	if (!v)
		return 0; /* keep the default */
	al_json_join(where, sizeof(where), path, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max))
		return al_json_fail(c, where, "%s is not valid (expected a number from %g to %g)",
				    al_json_show(v, shown, sizeof(shown)), min, max);
	*out = v->valuedouble;
	return 0;
}

int al_json_bool(struct al_jctx *c, const cJSON *obj, const char *key,
		    const char *path, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80];

	if (!v)
		return 0; /* keep the default */
	al_json_join(where, sizeof(where), path, key);
	if (!cJSON_IsBool(v))
		return al_json_fail(c, where, "%s is not valid (expected true or false)",
			    al_json_show(v, shown, sizeof(shown)));
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A non-empty string, copied (the caller frees *out).  Absent: *out is
 * kept; expect says what was expected, for the message. */
int al_json_string(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		   const char *expect, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80];
	char *copy;

	if (!v)
		return 0;
	al_json_join(where, sizeof(where), path, key);
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return al_json_fail(c, where, "%s is not valid (expected %s)",
			    al_json_show(v, shown, sizeof(shown)), expect);
	if (!(copy = strdup(v->valuestring)))
		return -ENOMEM;
	free(*out);
	*out = copy;
	return 0;
}

/* A string that must be one of names[] (NULL-terminated); *out is its
 * index.  Absent: *out keeps its default. */
int al_json_choice(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		      const char *const *names, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80], list[160];
	size_t i, off = 0;

	if (!v)
		return 0;
	for (i = 0; names[i]; i++) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s\"%s\"",
					i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
		if (off >= sizeof(list))
			off = sizeof(list) - 1;
	}
	al_json_join(where, sizeof(where), path, key);
	return al_json_fail(c, where, "%s is not valid (expected %s)", al_json_show(v, shown, sizeof(shown)), list);
}

int al_json_array(struct al_jctx *c, const cJSON *root, const char *key,
		     const char *path, const char *expect, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	char where[256], shown[80];

	al_json_join(where, sizeof(where), path, key);
	*out = v;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return al_json_fail(c, where, "%s is not a list (expected %s)",
			    al_json_show(v, shown, sizeof(shown)), expect);
	if (cJSON_GetArraySize(v) == 0)
		return al_json_fail(c, where, "empty list (expected %s)", expect);
	return 0;
}

int al_json_section(struct al_jctx *c, const cJSON *root, const char *key,
		       const char *const *keys, const cJSON **out)
{
	*out = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!*out)
		return 0;
	return al_json_check_keys(c, *out, key, keys);
}

static void line_col(const char *text, const char *at, int *line, int *col)
{
	const char *p;

	*line = 1;
	*col = 1;
	for (p = text; p < at && *p; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int al_json_parse(const char *text, const char *path, cJSON **root, struct al_err *err)
{
	const char *end = NULL;
	int line, col;

	*root = cJSON_ParseWithOpts(text, &end, 1);
	if (*root)
		return 0;
	line_col(text, end ? end : text, &line, &col);
	al_err_set(err, "%s:%d:%d: invalid JSON near \"%.20s\" (expected a JSON object; check commas, quotes and brackets)",
		   path, line, col, end ? end : "");
	return -EINVAL;
}

int al_json_load(const char *path, size_t max, const char *what, cJSON **root,
		 struct al_err *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t n;
	int rc;

	if (!f)
		return al_err_set(err, "%s: cannot open: %s", path, strerror(errno)), -errno;
	if (!(text = malloc(max + 1))) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, max + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		al_err_set(err, "%s: cannot read: %s", path, strerror(errno));
	} else if (n > max) {
		rc = -EFBIG;
		al_err_set(err, "%s: larger than %zu KiB (expected %s)", path, max >> 10, what);
	} else {
		text[n] = '\0';
		rc = al_json_parse(text, path, root, err);
	}
	free(text);
	fclose(f);
	return rc;
}
