/* Loads the AI endpoint catalog and classifies query names against it.
 * Two hash levels keep a match to a few pattern tests: patterns are
 * grouped by their two rightmost labels when those are literal
 * ("amazonaws.com", "azure.com"), so a name under no catalog suffix costs
 * one label walk and one hash probe; within a group, by one more literal
 * label at a fixed place from the right ("bedrock-runtime" at place 4), so
 * only the patterns that can match are tried, best first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/catalog.h"
#include "airlock/jsonread.h"
#include "airlock/namepat.h"

#define MAX_FILE (4u << 20)
#define SCHEMA "airlock-ai-endpoint-catalog"
#define HASH_SEED 0x61692d636174616cULL
#define NO_BUCKET UINT32_MAX
#define NO_PROBE UINT32_MAX
#define MAX_PLACE 31 /* places are bits of a uint32_t */

struct pat {
	struct al_namepat np;
	uint32_t ep, name_i; /* where it came from */
	uint32_t bucket, probe;
	uint32_t order; /* position in the file */
	uint32_t rank;  /* position by specificity, best first: lower wins */
};

/* Patterns sharing their two rightmost literal labels. */
struct bucket {
	uint64_t hash;
	size_t klen;
	uint8_t key[AL_MAX_NAME];
	uint32_t places;       /* bit n: some probe is at place n */
	uint32_t first, count; /* the bucket's patterns without a probe */
};

/* A bucket's patterns with one literal label at one place from the right. */
struct probe {
	uint64_t hash;
	uint32_t bucket, place;
	uint8_t label[64]; /* length byte, then the text */
	uint32_t first, count;
};

struct al_catalog {
	struct al_catalog_ep *eps;
	size_t neps;
	struct pat *pats; /* by bucket, then probe, best first; unindexed last */
	size_t npats, cap, nwild;
	struct bucket *buckets;
	size_t nbuckets;
	struct probe *probes;
	size_t nprobes;
	uint32_t *slots, *pslots; /* bucket / probe index + 1; 0 is empty */
	size_t mask, pmask;
};

/* A required string member; *out borrows the JSON's text. */
static int get_str(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		   const char *expect, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char where[256], shown[80];

	al_json_join(where, sizeof(where), path, key);
	if (!v)
		return al_json_fail(c, where, "missing (expected %s)", expect);
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return al_json_fail(c, where, "%s is not valid (expected %s)",
				    al_json_show(v, shown, sizeof(shown)), expect);
	*out = v->valuestring;
	return 0;
}

/* An optional non-empty list whose items are all non-empty strings. */
static int get_strings(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		       const char *expect, const cJSON **out)
{
	char where[256], ipath[280], shown[80], list[300];
	const cJSON *it;
	int rc, i = 0;

	snprintf(list, sizeof(list), "a list of %s", expect);
	if ((rc = al_json_array(c, obj, key, path, list, out)) < 0 || !*out)
		return rc;
	al_json_join(where, sizeof(where), path, key);
	cJSON_ArrayForEach(it, *out) {
		al_json_index(ipath, sizeof(ipath), where, i++);
		if (!cJSON_IsString(it) || !it->valuestring[0])
			return al_json_fail(c, ipath, "%s is not valid (expected a string: %s)",
					    al_json_show(it, shown, sizeof(shown)), expect);
	}
	return 0;
}

/* A required member that must be one of names; *out its index. */
static int get_choice(struct al_jctx *c, const cJSON *obj, const char *key, const char *path,
		      const char *const *names, const char *expect, int *out)
{
	char where[256];

	*out = -1;
	if (!cJSON_GetObjectItemCaseSensitive(obj, key)) {
		al_json_join(where, sizeof(where), path, key);
		return al_json_fail(c, where, "missing (expected %s)", expect);
	}
	return al_json_choice(c, obj, key, path, names, out);
}

/* Ids and providers: 1-63 of a-z, 0-9, '-'. */
static bool valid_token(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int add_pattern(struct al_catalog *cat, const struct al_namepat *np,
		       size_t ep, size_t name_i)
{
	struct pat *p;

	if (cat->npats == cat->cap) {
		size_t cap = cat->cap ? cat->cap * 2 : 64;
		if (!(p = realloc(cat->pats, cap * sizeof(*p))))
			return -ENOMEM;
		cat->pats = p;
		cat->cap = cap;
	}
	p = &cat->pats[cat->npats];
	p->np = *np;
	p->ep = (uint32_t)ep;
	p->name_i = (uint32_t)name_i;
	p->order = (uint32_t)cat->npats++;
	return 0;
}

static int get_names(struct al_jctx *c, const cJSON *obj, const char *path,
		     struct al_catalog *cat, size_t epi)
{
	struct al_catalog_ep *ep = &cat->eps[epi];
	char where[256], ipath[280];
	struct al_namepat np;
	struct al_err why;
	const cJSON *arr, *it;
	int rc, i = 0;

	al_json_join(where, sizeof(where), path, "names");
	if ((rc = get_strings(c, obj, "names", path, "name patterns, e.g. "
			      "\"bedrock-runtime.{region}.amazonaws.com\"", &arr)) < 0)
		return rc;
	if (!arr)
		return al_json_fail(c, where, "missing (expected a list of name patterns, e.g. "
				    "[\"bedrock-runtime.{region}.amazonaws.com\"])");
	if (!(ep->names = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ep->names))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(ipath, sizeof(ipath), where, i++);
		if (al_namepat_compile(it->valuestring, &np, &why) < 0)
			return al_json_fail(c, ipath, "\"%s\" is not a name pattern (%s)", it->valuestring,
					    why.msg);
		if (!(ep->names[ep->nnames] = strdup(it->valuestring)) ||
		    add_pattern(cat, &np, epi, ep->nnames) < 0)
			return -ENOMEM;
		ep->nnames++;
	}
	return 0;
}

static int get_cname_suffixes(struct al_jctx *c, const cJSON *arr, const char *where,
			      struct al_catalog_ep *ep)
{
	char ipath[280];
	struct al_namepat np;
	struct al_err why;
	const cJSON *it;
	int i = 0, len;

	if (!(ep->cname_suffixes = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ep->cname_suffixes))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct al_suffix *d = &ep->cname_suffixes[ep->ncname_suffixes];

		al_json_index(ipath, sizeof(ipath), where, i++);
		if (al_namepat_compile(it->valuestring, &np, &why) < 0)
			return al_json_fail(c, ipath, "\"%s\" is not a domain name (%s)", it->valuestring, why.msg);
		if (np.nsuffix != np.nlabels)
			return al_json_fail(c, ipath, "\"%s\" is not a domain name (expected literal labels only, "
					    "e.g. \"privatelink.openai.azure.com\")", it->valuestring);
		len = al_namepat_suffix(&np, np.nlabels, d->name, sizeof(d->name));
		if (len < 0)
			return al_json_fail(c, ipath, "\"%s\" is too long", it->valuestring);
		d->len = (size_t)len;
		ep->ncname_suffixes++;
	}
	return 0;
}

static int get_vips(struct al_jctx *c, const cJSON *arr, const char *where,
		    struct al_catalog_ep *ep)
{
	char ipath[280], shown[80];
	const cJSON *it;
	int i = 0;

	if (!(ep->vip = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ep->vip))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(ipath, sizeof(ipath), where, i++);
		if (al_cidr_parse(it->valuestring, &ep->vip[ep->nvip]) < 0)
			return al_json_fail(c, ipath, "%s is not a CIDR (expected e.g. \"199.36.153.4/30\", "
					    "host bits zero)", al_json_show(it, shown, sizeof(shown)));
		ep->nvip++;
	}
	return 0;
}

/* An optional member that only some kinds may have. */
static int only_with(struct al_jctx *c, const cJSON *v, const char *where, bool allowed,
		     const char *kind, const char *expect)
{
	if (v && !allowed)
		return al_json_fail(c, where, "not allowed with kind \"%s\" (expected only with "
				    "%s)", kind, expect);
	return 0;
}

static int get_answer(struct al_jctx *c, const cJSON *obj, const char *path,
		      struct al_catalog_ep *ep)
{
	static const char *const keys[] = { "kind", "cname_suffixes", "vip_cidrs",
					    "gateway_endpoint", "notes", NULL };
	static const char *const kinds[] = { "operator_cidrs", "cname_then_operator_cidrs",
					     "vip_ranges", NULL };
	const cJSON *pa = cJSON_GetObjectItemCaseSensitive(obj, "private_answer");
	const cJSON *cn, *vip, *notes;
	char where[256], cwhere[280], vwhere[280], gwhere[280];
	const char *kind;
	int rc, k;

	al_json_join(where, sizeof(where), path, "private_answer");
	if (ep->cls == AL_EP_PUBLIC_ONLY) {
		if (pa)
			return al_json_fail(c, where, "not allowed with class \"public-only\" "
					    "(expected none: the name has no private path)");
		return 0;
	}
	if (!pa)
		return al_json_fail(c, where, "missing (expected {\"kind\": ...} for class "
				    "\"private-link\")");
	if ((rc = al_json_check_keys(c, pa, where, keys)) < 0 ||
	    (rc = get_choice(c, pa, "kind", where, kinds, "\"operator_cidrs\", "
			     "\"cname_then_operator_cidrs\" or \"vip_ranges\"", &k)) < 0)
		return rc;
	ep->kind = (enum al_ep_kind)(AL_EPK_OPERATOR_CIDRS + k);
	kind = kinds[k];
	al_json_join(cwhere, sizeof(cwhere), where, "cname_suffixes");
	al_json_join(vwhere, sizeof(vwhere), where, "vip_cidrs");
	al_json_join(gwhere, sizeof(gwhere), where, "gateway_endpoint");
	if ((rc = get_strings(c, pa, "cname_suffixes", where, "domains, e.g. "
			      "\"privatelink.openai.azure.com\"", &cn)) < 0 ||
	    (rc = get_strings(c, pa, "vip_cidrs", where, "CIDRs, e.g. \"199.36.153.4/30\"",
			      &vip)) < 0 ||
	    (rc = get_strings(c, pa, "notes", where, "text", &notes)) < 0 ||
	    (rc = only_with(c, cn, cwhere, ep->kind == AL_EPK_CNAME_THEN_OPERATOR_CIDRS, kind,
			    "\"cname_then_operator_cidrs\"")) < 0 ||
	    (rc = only_with(c, vip, vwhere, ep->kind == AL_EPK_VIP_RANGES, kind,
			    "\"vip_ranges\"")) < 0 ||
	    (rc = only_with(c, cJSON_GetObjectItemCaseSensitive(pa, "gateway_endpoint"), gwhere,
			    ep->kind == AL_EPK_OPERATOR_CIDRS, kind, "\"operator_cidrs\"")) < 0 ||
	    (rc = al_json_bool(c, pa, "gateway_endpoint", where, &ep->gateway_endpoint)) < 0)
		return rc;
	if (ep->kind == AL_EPK_CNAME_THEN_OPERATOR_CIDRS && !cn)
		return al_json_fail(c, cwhere, "missing (expected the privatelink zones a CNAME "
				    "may point into, e.g. [\"privatelink.openai.azure.com\"])");
	if (ep->kind == AL_EPK_VIP_RANGES && !vip)
		return al_json_fail(c, vwhere, "missing (expected the provider's VIP ranges, "
				    "e.g. [\"199.36.153.4/30\"])");
	if (cn && (rc = get_cname_suffixes(c, cn, cwhere, ep)) < 0)
		return rc;
	if (vip && (rc = get_vips(c, vip, vwhere, ep)) < 0)
		return rc;
	return 0;
}

static int dup_str(const char *s, char **out)
{
	return (*out = strdup(s)) ? 0 : -ENOMEM;
}

/* id and provider: 1-63 of a-z, 0-9, '-'; ids unique. */
static int get_ids(struct al_jctx *c, const cJSON *obj, const char *path,
		   struct al_catalog *cat, size_t epi)
{
	struct al_catalog_ep *ep = &cat->eps[epi];
	const char *id, *provider;
	char where[280];
	size_t i;
	int rc;

	if ((rc = get_str(c, obj, "id", path, "an id, e.g. \"aws-bedrock-runtime\"", &id)) < 0)
		return rc;
	al_json_join(where, sizeof(where), path, "id");
	if (!valid_token(id))
		return al_json_fail(c, where, "\"%s\" is not an id (expected 1-63 of a-z, 0-9, '-')",
				    id);
	for (i = 0; i < epi; i++)
		if (strcmp(cat->eps[i].id, id) == 0)
			return al_json_fail(c, where, "\"%s\" is already the id of endpoints[%zu] "
					    "(expected unique ids)", id, i);
	if ((rc = dup_str(id, &ep->id)) < 0 ||
	    (rc = get_str(c, obj, "provider", path, "a provider, e.g. \"aws\"", &provider)) < 0)
		return rc;
	al_json_join(where, sizeof(where), path, "provider");
	if (!valid_token(provider))
		return al_json_fail(c, where, "\"%s\" is not a provider (expected 1-63 of a-z, "
				    "0-9, '-', e.g. \"aws\", \"azure\", \"gcp\")", provider);
	return dup_str(provider, &ep->provider);
}

static int get_endpoint(struct al_jctx *c, const cJSON *obj, const char *path,
			struct al_catalog *cat, size_t epi)
{
	static const char *const keys[] = { "id", "provider", "service", "class", "names",
					    "private_answer", "confidence", "sources", "notes", NULL };
	static const char *const classes[] = { "private-link", "public-only", NULL };
	static const char *const confidences[] = { "documented", "corroborated",
						   "needs-verification", NULL };
	struct al_catalog_ep *ep = &cat->eps[epi];
	const cJSON *sources, *notes;
	const char *service;
	char where[280];
	int rc, cls, conf;

	if ((rc = al_json_check_keys(c, obj, path, keys)) < 0 ||
	    (rc = get_ids(c, obj, path, cat, epi)) < 0 ||
	    (rc = get_str(c, obj, "service", path, "the service's name as text", &service)) < 0 ||
	    (rc = dup_str(service, &ep->service)) < 0 ||
	    (rc = get_choice(c, obj, "class", path, classes, "\"private-link\" or "
			     "\"public-only\"", &cls)) < 0)
		return rc;
	ep->cls = cls == 0 ? AL_EP_PRIVATE_LINK : AL_EP_PUBLIC_ONLY;
	if ((rc = get_names(c, obj, path, cat, epi)) < 0 ||
	    (rc = get_answer(c, obj, path, ep)) < 0 ||
	    (rc = get_choice(c, obj, "confidence", path, confidences, "\"documented\", "
			     "\"corroborated\" or \"needs-verification\"", &conf)) < 0 ||
	    (rc = dup_str(confidences[conf], &ep->confidence)) < 0 ||
	    (rc = get_strings(c, obj, "sources", path, "source URLs", &sources)) < 0 ||
	    (rc = get_strings(c, obj, "notes", path, "text", &notes)) < 0)
		return rc;
	al_json_join(where, sizeof(where), path, "sources");
	if (!sources && conf != 2)
		return al_json_fail(c, where, "missing (expected at least one source for "
				    "confidence \"%s\")", confidences[conf]);
	return 0;
}

/* The most specific first; equally specific ones in file order. */
static int by_specificity(const void *a, const void *b)
{
	const struct pat *x = a, *y = b;
	int d = al_namepat_cmp(&x->np, &y->np);

	if (d)
		return d;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int by_group_then_rank(const void *a, const void *b)
{
	const struct pat *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->probe != y->probe)
		return x->probe < y->probe ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* The tables are built once and never change, and every hit is confirmed
 * with memcmp, so a hash of the first and last 8 bytes and the length is
 * enough (al_hash, keyed for tables clients fill, costs three times as
 * much here).  A crafted name can at worst walk one short probe chain. */
static uint64_t quick_hash(const uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t a = 0, b = 0, h;

	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
	} else {
		memcpy(&a, p, n);
	}
	h = (a ^ (b << 29 | b >> 35) ^ seed ^ n) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 29;
}

static uint64_t probe_hash(uint32_t bucket, uint32_t place, const uint8_t *label)
{
	return quick_hash(label, 1u + label[0], HASH_SEED ^ ((uint64_t)bucket << 40 | (uint64_t)place << 32));
}

/* The same pattern twice would make the winner depend on file order. */
static int check_duplicates(struct al_jctx *c, const struct al_catalog *cat)
{
	const struct pat *p, *q;
	char where[64];
	size_t i, j;

	for (j = 1; j < cat->npats; j++)
		for (i = 0; i < j; i++) {
			p = &cat->pats[i];
			q = &cat->pats[j];
			if (p->np.len != q->np.len || p->np.multi_at != q->np.multi_at ||
			    memcmp(p->np.code, q->np.code, p->np.len) != 0)
				continue;
			snprintf(where, sizeof(where), "endpoints[%u].names[%u]", q->ep, q->name_i);
			return al_json_fail(c, where, "\"%s\" is the same pattern as endpoints[%u].names[%u] "
					    "(expected each pattern once)", cat->eps[q->ep].names[q->name_i],
					    p->ep, p->name_i);
		}
	return 0;
}

static int find_bucket(struct al_catalog *cat, const uint8_t *key, size_t klen, uint32_t *out)
{
	struct bucket *b;
	size_t j;

	for (j = 0; j < cat->nbuckets; j++)
		if (cat->buckets[j].klen == klen && memcmp(cat->buckets[j].key, key, klen) == 0)
			break;
	if (j == cat->nbuckets) {
		if (!(b = realloc(cat->buckets, (j + 1) * sizeof(*b))))
			return -ENOMEM;
		cat->buckets = b;
		b = &b[j];
		memset(b, 0, sizeof(*b));
		memcpy(b->key, key, klen);
		b->klen = klen;
		b->hash = quick_hash(key, klen, HASH_SEED);
		cat->nbuckets++;
	}
	*out = (uint32_t)j;
	return 0;
}

static int find_probe(struct al_catalog *cat, uint32_t bucket, uint32_t place,
		      const uint8_t *label, uint32_t *out)
{
	struct probe *q;
	size_t j;

	for (j = 0; j < cat->nprobes; j++)
		if (cat->probes[j].bucket == bucket && cat->probes[j].place == place &&
		    memcmp(cat->probes[j].label, label, 1u + label[0]) == 0)
			break;
	if (j == cat->nprobes) {
		if (!(q = realloc(cat->probes, (j + 1) * sizeof(*q))))
			return -ENOMEM;
		cat->probes = q;
		q = &q[j];
		memset(q, 0, sizeof(*q));
		q->bucket = bucket;
		q->place = place;
		memcpy(q->label, label, 1u + label[0]);
		q->hash = probe_hash(bucket, place, label);
		cat->buckets[bucket].places |= 1u << place;
		cat->nprobes++;
	}
	*out = (uint32_t)j;
	return 0;
}

/* Open addressing over hashes; slots hold index + 1. */
static int fill_slots(size_t n, const void *items, size_t stride, uint32_t **slots, size_t *mask)
{
	size_t size = 8, i, j;
	uint64_t h;

	while (size < 2 * n)
		size *= 2;
	if (!(*slots = calloc(size, sizeof(**slots))))
		return -ENOMEM;
	*mask = size - 1;
	for (j = 0; j < n; j++) {
		memcpy(&h, (const uint8_t *)items + j * stride, sizeof(h)); /* hash comes first */
		for (i = h & *mask; (*slots)[i]; i = (i + 1) & *mask)
			;
		(*slots)[i] = (uint32_t)j + 1;
	}
	return 0;
}

static int build_index(struct al_catalog *cat)
{
	uint8_t key[AL_MAX_NAME];
	const uint8_t *label;
	unsigned place;
	size_t i;
	int klen, rc;

	qsort(cat->pats, cat->npats, sizeof(*cat->pats), by_specificity);
	for (i = 0; i < cat->npats; i++) {
		struct pat *p = &cat->pats[i];

		p->rank = (uint32_t)i;
		p->bucket = NO_BUCKET;
		p->probe = NO_PROBE;
		if ((klen = al_namepat_suffix(&p->np, 2, key, sizeof(key))) < 0)
			continue; /* fewer than two literal labels at the right */
		if ((rc = find_bucket(cat, key, (size_t)klen, &p->bucket)) < 0)
			return rc;
		place = al_namepat_probe(&p->np, &label);
		if (place && place <= MAX_PLACE &&
		    (rc = find_probe(cat, p->bucket, place, label, &p->probe)) < 0)
			return rc;
	}
	qsort(cat->pats, cat->npats, sizeof(*cat->pats), by_group_then_rank);
	for (i = 0; i < cat->npats; i++) {
		struct pat *p = &cat->pats[i];
		uint32_t *first, *count;

		if (p->bucket == NO_BUCKET) {
			cat->nwild++;
			continue;
		}
		if (p->probe == NO_PROBE) {
			first = &cat->buckets[p->bucket].first;
			count = &cat->buckets[p->bucket].count;
		} else {
			first = &cat->probes[p->probe].first;
			count = &cat->probes[p->probe].count;
		}
		if ((*count)++ == 0)
			*first = (uint32_t)i;
	}
	if ((rc = fill_slots(cat->nbuckets, cat->buckets, sizeof(*cat->buckets), &cat->slots,
			     &cat->mask)) < 0)
		return rc;
	return fill_slots(cat->nprobes, cat->probes, sizeof(*cat->probes), &cat->pslots,
			  &cat->pmask);
}

static int parse_root(struct al_jctx *c, const cJSON *root, struct al_catalog *cat)
{
	static const char *const keys[] = { "schema", "version", "endpoints", "notes", NULL };
	const cJSON *v, *arr, *it;
	char where[64], shown[80];
	int rc, i = 0;

	if ((rc = al_json_check_keys(c, root, "", keys)) < 0)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(root, "schema");
	if (!v)
		return al_json_fail(c, "schema", "missing (expected \"" SCHEMA "\")");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, SCHEMA) != 0)
		return al_json_fail(c, "schema", "%s is not valid (expected \"" SCHEMA "\": is this an "
				    "endpoint catalog?)", al_json_show(v, shown, sizeof(shown)));
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!v)
		return al_json_fail(c, "version", "missing (expected 1)");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		return al_json_fail(c, "version", "%s is not supported (expected 1)",
				    al_json_show(v, shown, sizeof(shown)));
	if ((rc = get_strings(c, root, "notes", "", "text", &v)) < 0)
		return rc;
	arr = cJSON_GetObjectItemCaseSensitive(root, "endpoints");
	if (!arr)
		return al_json_fail(c, "endpoints", "missing (expected a list of endpoints)");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return al_json_fail(c, "endpoints", "%s is not valid (expected a non-empty list of "
				    "{\"id\": ..., \"names\": [...], ...})", al_json_show(arr, shown, sizeof(shown)));
	if (!(cat->eps = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*cat->eps))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		al_json_index(where, sizeof(where), "endpoints", i);
		cat->neps++;
		if ((rc = get_endpoint(c, it, where, cat, (size_t)i++)) < 0)
			return rc;
	}
	if ((rc = check_duplicates(c, cat)) < 0)
		return rc;
	return build_index(cat);
}

static int from_root(const cJSON *root, const char *path, struct al_catalog **out,
		     struct al_err *err)
{
	struct al_jctx c = { path, err };
	struct al_catalog *cat = calloc(1, sizeof(*cat));
	int rc = cat ? parse_root(&c, root, cat) : -ENOMEM;

	if (rc < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "%s: out of memory", path);
		al_catalog_free(cat);
		return rc;
	}
	*out = cat;
	return 0;
}

int al_catalog_parse(const char *text, const char *path, struct al_catalog **out,
		     struct al_err *err)
{
	cJSON *root;
	int rc;

	*out = NULL;
	if ((rc = al_json_parse(text, path, &root, err)) < 0)
		return rc;
	rc = from_root(root, path, out, err);
	cJSON_Delete(root);
	return rc;
}

int al_catalog_load(const char *path, struct al_catalog **out, struct al_err *err)
{
	cJSON *root;
	int rc;

	*out = NULL;
	if ((rc = al_json_load(path, MAX_FILE, "an endpoint catalog", &root, err)) < 0)
		return rc;
	rc = from_root(root, path, out, err);
	cJSON_Delete(root);
	return rc;
}

void al_catalog_free(struct al_catalog *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->neps; i++) {
		struct al_catalog_ep *ep = &c->eps[i];

		free(ep->id);
		free(ep->provider);
		free(ep->service);
		free(ep->confidence);
		free(ep->cname_suffixes);
		free(ep->vip);
		for (j = 0; j < ep->nnames; j++)
			free(ep->names[j]);
		free(ep->names);
	}
	free(c->eps);
	free(c->pats);
	free(c->buckets);
	free(c->probes);
	free(c->slots);
	free(c->pslots);
	free(c);
}

static bool better(const struct pat *p, const struct pat *than)
{
	return !than || p->rank < than->rank;
}

/* The first of count patterns (best first) that matches and beats best. */
static const struct pat *try_list(const struct pat *p, uint32_t count,
				  const struct al_namelabels *l, const struct pat *best)
{
	const struct pat *end = p + count;

	for (; p < end && better(p, best); p++)
		if (al_namepat_match_split(&p->np, l))
			return p;
	return best;
}

static const struct bucket *lookup_bucket(const struct al_catalog *c,
					  const struct al_namelabels *l, uint32_t *index)
{
	size_t koff = l->off[l->n - 2], klen = l->len - koff, i;
	uint64_t h = quick_hash(l->name + koff, klen, HASH_SEED);
	const struct bucket *b;

	for (i = h & c->mask; c->slots[i]; i = (i + 1) & c->mask) {
		b = &c->buckets[c->slots[i] - 1];
		if (b->hash == h && b->klen == klen && memcmp(b->key, l->name + koff, klen) == 0) {
			*index = c->slots[i] - 1;
			return b;
		}
	}
	return NULL;
}

static const struct probe *lookup_probe(const struct al_catalog *c, uint32_t bucket,
					uint32_t place, const uint8_t *label)
{
	uint64_t h = probe_hash(bucket, place, label);
	const struct probe *q;
	size_t i;

	for (i = h & c->pmask; c->pslots[i]; i = (i + 1) & c->pmask) {
		q = &c->probes[c->pslots[i] - 1];
		if (q->hash == h && q->bucket == bucket && q->place == place &&
		    memcmp(q->label, label, 1u + label[0]) == 0)
			return q;
	}
	return NULL;
}

const struct al_catalog_ep *al_catalog_match(const struct al_catalog *c,
					     const uint8_t *name_lc, size_t len)
{
	const struct pat *best = NULL;
	const struct bucket *b;
	const struct probe *q;
	struct al_namelabels l;
	uint32_t bi, places, place;

	if (al_namepat_split(name_lc, len, &l) < 0)
		return NULL;
	if (l.n >= 2 && c->nbuckets && (b = lookup_bucket(c, &l, &bi))) {
		for (places = b->places; places; places &= places - 1) {
			place = (uint32_t)__builtin_ctz(places);
			if (place > l.n)
				break;
			q = lookup_probe(c, bi, place, name_lc + l.off[l.n - place]);
			if (q)
				best = try_list(&c->pats[q->first], q->count, &l, best);
		}
		best = try_list(&c->pats[b->first], b->count, &l, best);
	}
	if (c->nwild)
		best = try_list(&c->pats[c->npats - c->nwild], (uint32_t)c->nwild, &l, best);
	return best ? &c->eps[best->ep] : NULL;
}

size_t al_catalog_count(const struct al_catalog *c)
{
	return c->neps;
}

const struct al_catalog_ep *al_catalog_get(const struct al_catalog *c, size_t i)
{
	return i < c->neps ? &c->eps[i] : NULL;
}

const struct al_catalog_ep *al_catalog_find(const struct al_catalog *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->neps; i++)
		if (strcmp(c->eps[i].id, id) == 0)
			return &c->eps[i];
	return NULL;
}

bool al_catalog_cname_ok(const struct al_catalog_ep *ep, const uint8_t *target_lc, size_t len)
{
	size_t i;

	for (i = 0; ep && i < ep->ncname_suffixes; i++)
		if (al_namepat_under(target_lc, len, ep->cname_suffixes[i].name,
				     ep->cname_suffixes[i].len))
			return true;
	return false;
}

bool al_catalog_vip_ok(const struct al_catalog_ep *ep, const struct al_ip *ip)
{
	size_t i;

	for (i = 0; ep && i < ep->nvip; i++)
		if (al_cidr_contains(&ep->vip[i], ip))
			return true;
	return false;
}
