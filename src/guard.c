/* The tunnel detector: see guard.h.
 *
 * The score is a sum of points, each earned by one feature passing a
 * threshold, so that every verdict can say which features made it.  What a
 * domain received in the window is scored by its encoded-looking names
 * only, and only once the name asked looks encoded itself: a busy cloud
 * domain sees thousands of distinct host names, and that alone is not a
 * tunnel. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "airlock/guard.h"
#include "airlock/hash.h"
#include "airlock/rand.h"
#include "airlock/regdom.h"

#define PROBES 16          /* slots looked at per domain before evicting */
#define SEEN_BITS 512      /* distinct-name sketch per domain and window */
#define DAY_MS (86400ull * 1000)

/* Points per feature, and the thresholds that earn them. */
#define P_LABEL_LONG 0.5   /* longest label >= 40 */
#define P_LABEL_MAX 0.7    /* longest label >= 52 */
#define P_ENTROPY 0.4      /* >= 4.2 bits per character over the long labels */
#define P_ENTROPY_HIGH 0.6 /* >= 4.6 */
#define LONG_LABEL 16      /* labels this long carry data; shorter ones are words */
#define P_SHAPE 0.3        /* longest label (>= 16) is hex, or mixed-case base64 */
#define P_TYPE 0.2         /* a type that carries data back */
#define P_DISTINCT 0.4     /* >= 30 distinct encoded-looking names this window */
#define P_DISTINCT_HIGH 0.8 /* >= 100 */
#define P_VOLUME 0.3       /* >= 1 KiB of them this window */
#define P_VOLUME_HIGH 0.6  /* >= 4 KiB */
#define P_NX 0.2           /* >= half NXDOMAIN over >= 10 queries */
#define MIN_NAME_POINTS 0.3 /* the name's own points before the domain's count */

struct dom {
	uint64_t key;        /* 0: free */
	uint64_t last_ms;
	uint64_t window_ms;  /* when this window began */
	uint64_t day_ms;     /* when this day began */
	uint64_t day_volume;
	uint32_t queries, nx, volume;
	uint32_t enc_names, enc_volume; /* the distinct names that looked encoded */
	uint64_t reported; /* zones (bit per index mod 64) told this window */
	uint64_t seen[SEEN_BITS / 64];
};

struct al_guard {
	struct dom *slots;
	size_t mask;
	uint32_t window_ms;
	uint64_t seed;
};

const char *al_shape_name(enum al_shape s)
{
	static const char *const names[] = { "none", "hex", "base32", "base64" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static bool payload_type(uint16_t t)
{
	switch (t) {
	case 5:   /* CNAME */
	case 10:  /* NULL */
	case 15:  /* MX */
	case 16:  /* TXT */
	case 25:  /* KEY */
	case 33:  /* SRV */
	case 35:  /* NAPTR */
	case 64:  /* SVCB */
	case 65:  /* HTTPS */
	case 99:  /* SPF */
	case 255: /* ANY */
		return true;
	default:
		return false;
	}
}

/* The shape of one label, from its character classes. */
static enum al_shape label_shape(const uint8_t *l, unsigned n)
{
	unsigned i, lower = 0, upper = 0, digit = 0, other = 0, hexalpha = 0;

	if (n < 16)
		return AL_SHAPE_NONE;
	for (i = 0; i < n; i++) {
		uint8_t c = l[i];
		if (c >= 'a' && c <= 'z') {
			lower++;
			hexalpha += c <= 'f';
		} else if (c >= 'A' && c <= 'Z') {
			upper++;
			hexalpha += c <= 'F';
		} else if (c >= '0' && c <= '9') {
			digit++;
		} else {
			other++;
		}
	}
	if (digit && hexalpha == lower + upper && !other)
		return AL_SHAPE_HEX; /* digits alone too: 16 of them are no host name */
	if (lower && upper && (lower + upper + digit + other == n))
		return AL_SHAPE_BASE64; /* case carries bits: no host name does that */
	/* One case and digits: RFC 4648 base32 uses 2-7, iodine's a-z0-5, base36
	 * all ten; host names of 16 or more such characters are rare. */
	if (!other && digit && (lower == 0 || upper == 0))
		return AL_SHAPE_BASE32;
	return AL_SHAPE_NONE;
}

int al_guard_features(const psl_ctx_t *psl, const uint8_t *name, size_t len, uint16_t qtype,
		      struct al_name_features *out)
{
	unsigned counts[256] = { 0 }, long_chars = 0;
	int below;
	size_t off;
	unsigned i, n;

	memset(out, 0, sizeof(*out));
	if ((below = al_regdom(psl, name, len, out->domain, sizeof(out->domain))) < 0)
		return -EINVAL;
	/* The labels before the registered domain's. */
	for (off = 0; below > 0; below--, off += (size_t)name[off] + 1) {
		const uint8_t *l = name + off + 1;
		n = name[off];
		out->labels++;
		out->sub_len += n;
		if (n > out->longest) {
			out->longest = n;
			out->shape = label_shape(l, n);
		}
		if (n < LONG_LABEL)
			continue;
		long_chars += n;
		for (i = 0; i < n; i++)
			counts[(uint8_t)(l[i] | 0x20)]++; /* entropy ignores case */
	}
	for (i = 0; i < 256 && long_chars; i++)
		if (counts[i]) {
			double q = (double)counts[i] / long_chars;
			out->entropy -= q * log2(q);
		}
	out->payload_type = payload_type(qtype);
	return 0;
}

int al_guard_new(size_t max_domains, uint32_t window_ms, struct al_guard **out)
{
	struct al_guard *g = calloc(1, sizeof(*g));
	size_t n = 16;

	if (!g)
		return -ENOMEM;
	while (n < max_domains * 2)
		n <<= 1;
	if (!(g->slots = calloc(n, sizeof(*g->slots)))) {
		free(g);
		return -ENOMEM;
	}
	g->mask = n - 1;
	g->window_ms = window_ms ? window_ms : 1;
	/* Secret, per table: with a known seed a tunnel could grind its names
	 * onto one bit of the sketch (its volume would stop growing), or its
	 * registered domains into one probe range (evicting another's counts). */
	g->seed = al_rand64();
	*out = g;
	return 0;
}

void al_guard_free(struct al_guard *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

size_t al_guard_size(const struct al_guard *g)
{
	return sizeof(*g) + (g->mask + 1) * sizeof(*g->slots);
}

/* Whether d's window, started at d->window_ms, still runs at now. */
static bool in_window(const struct al_guard *g, const struct dom *d, uint64_t now)
{
	return now - d->window_ms < g->window_ms;
}

/* The domain's slot: found, or with forgot, taken (evicting the least
 * recently seen of the probed slots: a flood of new domains only recycles
 * slots), *forgot then saying whether it held a domain whose window still
 * ran.  forgot NULL: found or NULL. */
static struct dom *slot(struct al_guard *g, uint64_t key, uint64_t now, bool *forgot)
{
	struct dom *victim = NULL, *d;
	size_t i, at = (size_t)key & g->mask;

	for (i = 0; i < PROBES; i++) {
		d = &g->slots[(at + i) & g->mask];
		if (d->key == key)
			return d;
		if (!d->key) {
			victim = d;
			break;
		}
		if (!victim || d->last_ms < victim->last_ms)
			victim = d;
	}
	if (!forgot)
		return NULL;
	*forgot = victim->key && in_window(g, victim, now);
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	return victim;
}

static void roll(struct al_guard *g, struct dom *d, uint64_t now)
{
	if (!d->window_ms || !in_window(g, d, now)) {
		d->window_ms = now;
		d->queries = d->nx = d->volume = d->enc_names = d->enc_volume = 0;
		d->reported = 0;
		memset(d->seen, 0, sizeof(d->seen));
	}
	if (!d->day_ms || now - d->day_ms >= DAY_MS) {
		d->day_ms = now;
		d->day_volume = 0;
	}
}

static unsigned seen_bits(const struct dom *d)
{
	unsigned i, n = 0;

	for (i = 0; i < SEEN_BITS / 64; i++)
		n += (unsigned)__builtin_popcountll(d->seen[i]);
	return n;
}

/* Linear counting over the sketch; a full sketch means "very many". */
static uint32_t distinct_estimate(unsigned set)
{
	if (set >= SEEN_BITS)
		return UINT32_MAX;
	return (uint32_t)(-(double)SEEN_BITS * log((double)(SEEN_BITS - set) / SEEN_BITS) + 0.5);
}

/* The name's own points. */
static double name_points(const struct al_name_features *f, struct al_score *s)
{
	memset(s, 0, sizeof(*s));
	if (f->longest >= 52)
		s->label = P_LABEL_MAX;
	else if (f->longest >= 40)
		s->label = P_LABEL_LONG;
	if (f->entropy >= 4.6)
		s->entropy = P_ENTROPY_HIGH;
	else if (f->entropy >= 4.2)
		s->entropy = P_ENTROPY;
	if (f->shape != AL_SHAPE_NONE)
		s->shape = P_SHAPE;
	return s->label + s->entropy + s->shape;
}

static void score(const struct al_name_features *f, const struct al_domain_stats *d,
		  struct al_score *s)
{
	double own = name_points(f, s);

	if (f->payload_type && own > 0)
		s->type = P_TYPE;
	if (own >= MIN_NAME_POINTS) {
		if (d->encoded >= 100)
			s->distinct = P_DISTINCT_HIGH;
		else if (d->encoded >= 30)
			s->distinct = P_DISTINCT;
		if (d->encoded_volume >= 4096)
			s->volume = P_VOLUME_HIGH;
		else if (d->encoded_volume >= 1024)
			s->volume = P_VOLUME;
		if (d->queries >= 10 && d->nx * 2 >= d->queries)
			s->nx = P_NX;
	}
	s->total = own + s->type + s->distinct + s->volume + s->nx;
}

int al_guard_check(struct al_guard *g, const psl_ctx_t *psl, const struct al_zone *zone,
		   const struct al_query *q, uint64_t now_ms, struct al_guard_verdict *v)
{
	const struct al_tunnel_view *rule = &zone->view.tunnel;
	uint64_t zbit = 1ull << (zone->index % 64);
	struct dom *d;
	uint64_t h;
	size_t off;
	unsigned bit, n;
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = al_guard_features(psl, q->qname, q->qname_len, q->qtype, &v->f)) < 0)
		return rc;
	/* The domain's key: a hash of its wire form, the tail of qname_lc
	 * after the labels below it. */
	for (off = 0, n = v->f.labels; n > 0; n--)
		off += (size_t)q->qname_lc[off] + 1;
	v->domain_key = al_hash(q->qname_lc + off, q->qname_len - off, g->seed) | 1;
	d = slot(g, v->domain_key, now_ms, &v->forgot);
	roll(g, d, now_ms);
	d->last_ms = now_ms;
	d->queries++;
	h = al_hash(q->qname_lc, q->qname_len, g->seed);
	bit = (unsigned)(h % SEEN_BITS);
	/* A name not seen this window adds its bytes; once the sketch is
	 * mostly full every name counts (over-counting errs on the safe side). */
	if (!(d->seen[bit / 64] & (1ull << (bit % 64))) || seen_bits(d) >= SEEN_BITS * 3 / 4) {
		d->seen[bit / 64] |= 1ull << (bit % 64);
		d->volume += v->f.sub_len;
		d->day_volume += v->f.sub_len;
		if (name_points(&v->f, &v->s) > 0) {
			d->enc_names++;
			d->enc_volume += v->f.sub_len;
		}
	}
	v->d.queries = d->queries;
	v->d.distinct = distinct_estimate(seen_bits(d));
	v->d.volume = d->volume;
	v->d.nx = d->nx;
	v->d.encoded = d->enc_names;
	v->d.encoded_volume = d->enc_volume;
	v->d.day_volume = d->day_volume;
	score(&v->f, &v->d, &v->s);
	v->over = v->s.total >= rule->threshold;
	v->cap = rule->daily_bytes && d->day_volume > rule->daily_bytes;
	if ((v->over || v->cap) && !(d->reported & zbit)) {
		d->reported |= zbit;
		v->report = true;
	}
	return 0;
}

void al_guard_note_rcode(struct al_guard *g, uint64_t domain_key, int rcode, uint64_t now_ms)
{
	struct dom *d = slot(g, domain_key, now_ms, NULL);

	if (d && rcode == AL_RCODE_NXDOMAIN && in_window(g, d, now_ms))
		d->nx++;
}

char *al_guard_explain(const struct al_guard_verdict *v, const struct al_tunnel_view *rule)
{
	cJSON *o = cJSON_CreateObject(), *f, *s;
	char *text = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "domain", v->f.domain);
	cJSON_AddNumberToObject(o, "score", round(v->s.total * 100) / 100);
	cJSON_AddNumberToObject(o, "threshold", rule->threshold);
	if (v->cap) {
		cJSON_AddNumberToObject(o, "day_volume", (double)v->d.day_volume);
		cJSON_AddNumberToObject(o, "daily_bytes", (double)rule->daily_bytes);
	}
	f = cJSON_AddObjectToObject(o, "features");
	if (f) {
		cJSON_AddNumberToObject(f, "sub_len", v->f.sub_len);
		cJSON_AddNumberToObject(f, "labels", v->f.labels);
		cJSON_AddNumberToObject(f, "longest_label", v->f.longest);
		cJSON_AddNumberToObject(f, "entropy", round(v->f.entropy * 100) / 100);
		cJSON_AddStringToObject(f, "shape", al_shape_name(v->f.shape));
		cJSON_AddBoolToObject(f, "payload_type", v->f.payload_type);
		cJSON_AddNumberToObject(f, "window_queries", v->d.queries);
		cJSON_AddNumberToObject(f, "window_distinct", v->d.distinct == UINT32_MAX ? -1 : (double)v->d.distinct);
		cJSON_AddNumberToObject(f, "window_volume", v->d.volume);
		cJSON_AddNumberToObject(f, "window_encoded", v->d.encoded);
		cJSON_AddNumberToObject(f, "window_encoded_volume", v->d.encoded_volume);
		cJSON_AddNumberToObject(f, "window_nxdomain", v->d.nx);
	}
	s = cJSON_AddObjectToObject(o, "points");
	if (s) {
#define POINT(name, val) if ((val) > 0) cJSON_AddNumberToObject(s, name, val)
		POINT("longest_label", v->s.label);
		POINT("entropy", v->s.entropy);
		POINT("shape", v->s.shape);
		POINT("payload_type", v->s.type);
		POINT("window_encoded", v->s.distinct);
		POINT("window_encoded_volume", v->s.volume);
		POINT("window_nxdomain", v->s.nx);
#undef POINT
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}
