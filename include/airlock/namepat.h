/* Name patterns for the AI endpoint catalog ("bedrock-runtime.{region}.
 * amazonaws.com", "{name}.openai.azure.com", "vpce-*.s3.{region}.vpce.
 * amazonaws.com"): compiled once, matched without allocation against the
 * lower-cased uncompressed wire names airlock keeps (q->qname_lc). */
#ifndef AIRLOCK_NAMEPAT_H
#define AIRLOCK_NAMEPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "airlock/err.h"
#include "airlock/msg.h"

/* Compiled labels, right to left; enough for any pattern whose text is
 * itself a name of at most 255 bytes. */
#define AL_NAMEPAT_CODE 400
#define AL_NAMEPAT_NO_MULTI 0xff

/* Pattern syntax, one element per dot-separated label:
 *   literal    letters, digits, '-'; matched case-insensitively
 *   {region}   one label of letters, digits, '-'; also inside a label
 *              ("{region}-aiplatform"), then one or more such characters
 *   {name}     one whole label of letters, digits, '-' (customer-chosen)
 *   *          as a whole label: one or more labels of any content;
 *              at most one per pattern
 *   *          inside a label ("vpce-*"): one or more letters, digits, '-'
 * A trailing dot is allowed.  Two wildcards may not touch ("**",
 * "{region}*"). */
struct al_namepat {
	uint8_t nlabels;    /* pattern labels, the '*' label counted once */
	uint8_t multi_at;   /* labels left of the '*' label, or AL_NAMEPAT_NO_MULTI */
	uint8_t nliteral;   /* wholly literal labels (specificity) */
	uint8_t nsuffix;    /* literal labels at the right end (index keys) */
	uint16_t nlitchars; /* literal characters (specificity) */
	uint16_t len;       /* bytes used in code */
	uint8_t code[AL_NAMEPAT_CODE];
};

/* A wire name split into labels once, to be tried against many patterns. */
struct al_namelabels {
	const uint8_t *name;
	size_t len;
	unsigned n;          /* labels, the root not counted */
	uint8_t off[128];    /* offset of each label's length byte */
};

/* Compiles text.  Returns 0, or -EINVAL with the reason alone in err
 * ("empty label", "unknown token {zone} ..."): the caller adds where. */
int al_namepat_compile(const char *text, struct al_namepat *out,
		       struct al_err *err);

/* Splits a wire name; -EINVAL when it is not one (bad length bytes). */
int al_namepat_split(const uint8_t *name, size_t len, struct al_namelabels *out);
bool al_namepat_match_split(const struct al_namepat *p,
			    const struct al_namelabels *l);
/* Name in lower-cased uncompressed wire form. */
bool al_namepat_match(const struct al_namepat *p, const uint8_t *name, size_t len);

/* Which of two patterns is more specific (< 0: a, > 0: b, 0: as specific):
 * more wholly literal labels; then, label by label from the right, the
 * first difference decides (literal > literal text with wildcards >
 * {region}/{name} > '*'); then more labels; then more literal characters.
 * "bedrock.s3.amazonaws.com" is S3's ("*.s3.amazonaws.com"), not
 * Bedrock's ("bedrock.{region}.amazonaws.com"): s3 is literal where
 * {region} is not, nearer the right. */
int al_namepat_cmp(const struct al_namepat *a, const struct al_namepat *b);

/* Wire form of the pattern's rightmost k literal labels (k <= nsuffix),
 * root included: "amazonaws.com" for k = 2.  With k = nlabels == nsuffix it
 * is the whole name of an all-literal pattern.  Returns the length, or -1
 * when k is out of range or out is too small. */
int al_namepat_suffix(const struct al_namepat *p, unsigned k, uint8_t *out,
		      size_t outlen);

/* A second index key: the literal label farthest from the right whose
 * place, counted from the right, is the same in every name the pattern
 * matches (so right of a '*' label), at place 3 or more ("bedrock-runtime"
 * in "bedrock-runtime.{region}.amazonaws.com" is at 4).  Returns the place
 * (1 is the rightmost label) with *label its wire form (length byte
 * first), or 0 when there is none. */
unsigned al_namepat_probe(const struct al_namepat *p, const uint8_t **label);

/* A name suffix ("corp.example.com") in lower-cased uncompressed wire form. */
struct al_suffix {
	uint8_t name[AL_MAX_NAME];
	size_t len;
};

/* True when name equals suffix or lies below it, on a label boundary
 * ("a.openai.azure.com" is under "openai.azure.com", "xopenai.azure.com"
 * is not).  Both in lower-cased uncompressed wire form. */
bool al_namepat_under(const uint8_t *name, size_t len, const uint8_t *suffix,
		      size_t slen);

#endif
