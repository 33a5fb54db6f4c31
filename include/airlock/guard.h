/* The tunnel detector: for each query about to be forwarded, features of
 * the name below its registered domain (found with libpsl) and of what the
 * domain received in the current window, a score that explains itself, and
 * the zone's verdict.  One detector per worker thread: fixed memory, no
 * locks, no allocation per query. */
#ifndef AIRLOCK_GUARD_H
#define AIRLOCK_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpsl.h>

#include "airlock/err.h"
#include "airlock/msg.h"
#include "airlock/zone.h"

/* The shape of the longest label below the registered domain. */
enum al_shape { AL_SHAPE_NONE, AL_SHAPE_HEX, AL_SHAPE_BASE32, AL_SHAPE_BASE64 };
const char *al_shape_name(enum al_shape s);

/* What one name says on its own. */
struct al_name_features {
	char domain[AL_MAX_NAME_TEXT]; /* registered domain, presentation form, lower case */
	unsigned sub_len;   /* characters below it, dots not counted */
	unsigned labels;    /* labels below it */
	unsigned longest;   /* the longest of them */
	double entropy;     /* Shannon entropy, bits per character, of the labels of >= 16 */
	enum al_shape shape;
	bool payload_type;  /* TXT, NULL, CNAME, MX, KEY, ANY, ... carry data back */
};

/* Reads name (wire form in the client's case: base64 mixes case) and
 * qtype.  Returns 0, or -EINVAL when the name has no registered domain
 * (a public suffix itself, or a single label). */
int al_guard_features(const psl_ctx_t *psl, const uint8_t *name, size_t len, uint16_t qtype,
		      struct al_name_features *out);

/* What the registered domain received in the current window. */
struct al_domain_stats {
	uint32_t queries;   /* forwarded queries this window */
	uint32_t distinct;  /* distinct names, estimated */
	uint32_t volume;    /* bytes of distinct names below the domain */
	uint32_t nx;        /* NXDOMAIN answers this window */
	uint32_t encoded;   /* distinct names that looked encoded (earned points) */
	uint32_t encoded_volume; /* their bytes below the domain */
	uint64_t day_volume; /* bytes of distinct names since the day began */
};

/* Each feature's share of the score, for the incident. */
struct al_score {
	double label, entropy, shape, type, distinct, volume, nx, total;
};

struct al_guard_verdict {
	struct al_name_features f;
	struct al_domain_stats d;
	struct al_score s;
	uint64_t domain_key; /* for al_guard_note_rcode */
	bool over;           /* the score reached the zone's threshold */
	bool cap;            /* the domain's daily volume passed the zone's cap */
	bool report;         /* first verdict against this domain, zone and window */
	bool forgot;         /* a new domain whose slot held another one whose window still
			      * ran: that domain's counts are gone (a full table) */
};

struct al_guard;

/* max_domains registered domains are tracked (the least recently seen
 * is forgotten first); window_ms is the length of a window. */
int al_guard_new(size_t max_domains, uint32_t window_ms, struct al_guard **out);
void al_guard_free(struct al_guard *g);
/* Bytes the detector holds, fixed at creation. */
size_t al_guard_size(const struct al_guard *g);

/* Scores q asked from zone, by the zone's tunnel settings.  Returns 0, or
 * -EINVAL for a name the detector does not judge (no registered domain).
 * out->report is set for the first verdict per domain, zone and window. */
int al_guard_check(struct al_guard *g, const psl_ctx_t *psl, const struct al_zone *zone,
		   const struct al_query *q, uint64_t now_ms, struct al_guard_verdict *out);
/* The rcode the upstream gave for a query of this domain. */
void al_guard_note_rcode(struct al_guard *g, uint64_t domain_key, int rcode, uint64_t now_ms);

/* The verdict as a JSON object for an incident's detail; NULL when out of
 * memory; the caller frees it with free(). */
char *al_guard_explain(const struct al_guard_verdict *v, const struct al_tunnel_view *rule);

#endif
