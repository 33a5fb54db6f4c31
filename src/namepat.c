/* Name patterns: text -> a compact right-to-left label code, and the
 * allocation-free matcher that walks it against a wire name.
 *
 * Code, one element per label starting at the rightmost:
 *   1..63        literal label of that length, then its bytes
 *   0x40         one whole label of letters, digits, '-' ({region}, {name})
 *   0x80         one or more labels of any content (the '*' label)
 *   0xc0 | n     a label of n segments, left to right: a literal segment
 *                is its length (1..63) and bytes, 0x40 is one or more
 *                letters, digits, '-' ({region} or '*' inside a label) */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "airlock/msg.h"
#include "airlock/namepat.h"

enum { K_LIT = 0x00, K_LABEL = 0x40, K_MULTI = 0x80, K_PART = 0xc0 };
#define SEG_VAR 0x40
#define MAX_SEGS 63

static bool ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool all_ldh(const uint8_t *s, size_t n)
{
	while (n--)
		if (!ldh(*s++))
			return false;
	return true;
}

struct seg {
	bool var;
	const char *s; /* literal text, not yet lower-cased */
	size_t n;
};

static int bad_char(int c, struct al_err *err)
{
	if (isprint(c))
		return al_err_set(err, "bad character '%c' (expected letters, digits, '-', "
				  "{region}, {name} or '*')", c);
	return al_err_set(err, "bad character \\x%02x (expected letters, digits, '-', "
			  "{region}, {name} or '*')", (unsigned)(unsigned char)c);
}

/* Cuts one label's text into literal runs and wildcards. */
static int parse_label(const char *s, size_t n, struct seg *segs, size_t *nsegs,
		       bool *whole_token, struct al_err *err)
{
	size_t i = 0, k = 0, j;

	*whole_token = false;
	while (i < n) {
		if (s[i] == '{') {
			for (j = i + 1; j < n && s[j] != '}'; j++)
				;
			if (j == n)
				return al_err_set(err, "unterminated '{' (expected {region} or {name})");
			if (j - i - 1 == 4 && memcmp(s + i + 1, "name", 4) == 0) {
				if (n != 6)
					return al_err_set(err, "{name} must be a whole label (it stands for one label)");
				*whole_token = true;
			} else if (j - i - 1 == 6 && memcmp(s + i + 1, "region", 6) == 0) {
				*whole_token = n == 8;
			} else {
				return al_err_set(err, "unknown token {%.*s} (expected {region} or {name})",
						  (int)(j - i - 1), s + i + 1);
			}
			i = j + 1;
		} else if (s[i] == '*') {
			if (i + 1 < n && s[i + 1] == '*')
				return al_err_set(err, "'**' (expected one '*': it already means one or more)");
			i++;
		} else if (ldh(tolower((unsigned char)s[i]))) {
			if (k && !segs[k - 1].var) {
				segs[k - 1].n++;
			} else {
				if (k == MAX_SEGS)
					return al_err_set(err, "too many wildcards in one label");
				segs[k++] = (struct seg){ false, s + i, 1 };
			}
			i++;
			continue;
		} else {
			return bad_char((unsigned char)s[i], err);
		}
		if (k && segs[k - 1].var)
			return al_err_set(err, "two wildcards side by side in one label (expected text between them)");
		if (k == MAX_SEGS)
			return al_err_set(err, "too many wildcards in one label");
		segs[k++] = (struct seg){ true, NULL, 0 };
	}
	*nsegs = k;
	return 0;
}

static int put(struct al_namepat *p, uint8_t b, struct al_err *err)
{
	if (p->len >= AL_NAMEPAT_CODE)
		return al_err_set(err, "too complex");
	p->code[p->len++] = b;
	return 0;
}

static int put_lit(struct al_namepat *p, const char *s, size_t n, struct al_err *err)
{
	size_t i;
	int rc;

	if ((rc = put(p, (uint8_t)n, err)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = put(p, (uint8_t)tolower((unsigned char)s[i]), err)) < 0)
			return rc;
	p->nlitchars = (uint16_t)(p->nlitchars + n);
	return 0;
}

static int compile_label(struct al_namepat *p, const char *s, size_t n,
			 bool *literal, struct al_err *err)
{
	struct seg segs[MAX_SEGS];
	size_t nsegs = 0, i;
	bool whole;
	int rc;

	*literal = false;
	if ((rc = parse_label(s, n, segs, &nsegs, &whole, err)) < 0)
		return rc;
	if (nsegs == 1 && !segs[0].var) {
		*literal = true;
		return put_lit(p, segs[0].s, segs[0].n, err);
	}
	if (whole)
		return put(p, K_LABEL, err);
	if ((rc = put(p, (uint8_t)(K_PART | nsegs), err)) < 0)
		return rc;
	for (i = 0; i < nsegs; i++) {
		rc = segs[i].var ? put(p, SEG_VAR, err) : put_lit(p, segs[i].s, segs[i].n, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int al_namepat_compile(const char *text, struct al_namepat *out, struct al_err *err)
{
	struct {
		const char *s;
		size_t n;
	} labels[AL_MAX_NAME / 2 + 1];
	size_t tlen = strlen(text), nl = 0, start = 0, i;
	bool literal, suffix = true;
	int rc;

	memset(out, 0, offsetof(struct al_namepat, code));
	out->multi_at = AL_NAMEPAT_NO_MULTI;
	if (tlen && text[tlen - 1] == '.')
		tlen--;
	if (tlen == 0)
		return al_err_set(err, "empty pattern (expected e.g. \"bedrock-runtime.{region}.amazonaws.com\")");
	if (tlen + 2 > AL_MAX_NAME)
		return al_err_set(err, "longer than %d bytes as a name", AL_MAX_NAME);
	for (i = 0; i <= tlen; i++) {
		if (i < tlen && text[i] != '.')
			continue;
		if (i == start)
			return al_err_set(err, "empty label");
		if (i - start > 63)
			return al_err_set(err, "label longer than 63 bytes");
		labels[nl].s = text + start;
		labels[nl++].n = i - start;
		start = i + 1;
	}
	out->nlabels = (uint8_t)nl;
	for (i = nl; i-- > 0;) {
		if (labels[i].n == 1 && labels[i].s[0] == '*') {
			if (out->multi_at != AL_NAMEPAT_NO_MULTI)
				return al_err_set(err, "more than one '*' label (expected at most one)");
			out->multi_at = (uint8_t)i;
			suffix = false;
			if ((rc = put(out, K_MULTI, err)) < 0)
				return rc;
			continue;
		}
		if ((rc = compile_label(out, labels[i].s, labels[i].n, &literal, err)) < 0)
			return rc;
		out->nliteral = (uint8_t)(out->nliteral + literal);
		suffix = suffix && literal;
		out->nsuffix = (uint8_t)(out->nsuffix + suffix);
	}
	return 0;
}

int al_namepat_split(const uint8_t *name, size_t len, struct al_namelabels *out)
{
	size_t o = 0;

	out->name = name;
	out->len = len;
	out->n = 0;
	if (len == 0 || len > AL_MAX_NAME)
		return -EINVAL;
	while (o < len && name[o]) {
		if (name[o] > 63)
			return -EINVAL;
		out->off[out->n++] = (uint8_t)o;
		o += 1u + name[o];
	}
	return o == len - 1 ? 0 : -EINVAL;
}

/* Leftmost s[from..n) position where lit occurs, or -1. */
static int find(const uint8_t *s, size_t n, size_t from, const uint8_t *lit, size_t ln)
{
	size_t i;

	for (i = from; i + ln <= n; i++)
		if (memcmp(s + i, lit, ln) == 0)
			return (int)i;
	return -1;
}

/* Literal runs between wildcards: the first is anchored at the start, the
 * last at the end, each middle one is taken at its leftmost place (which
 * leaves the most room to what follows); every wildcard takes >= 1 byte. */
static bool match_part(const uint8_t **cp, unsigned k, const uint8_t *s, size_t n)
{
	const uint8_t *c = *cp;
	size_t pos = 0;
	bool pending = false;
	unsigned j;
	int q;

	if (!all_ldh(s, n))
		return false;
	for (j = 0; j < k; j++) {
		uint8_t b = *c++;
		const uint8_t *lit = c;

		if (b == SEG_VAR) {
			pending = true;
			continue;
		}
		c += b;
		if (!pending) { /* only the first segment */
			if (n < b || memcmp(s, lit, b) != 0)
				return false;
			pos = b;
		} else if (j == k - 1) {
			if (n < pos + 1 + b || memcmp(s + n - b, lit, b) != 0)
				return false;
			pos = n;
		} else {
			if ((q = find(s, n, pos + 1, lit, b)) < 0)
				return false;
			pos = (size_t)q + b;
		}
		pending = false;
	}
	*cp = c;
	return pending ? n > pos : n == pos;
}

bool al_namepat_match_split(const struct al_namepat *p, const struct al_namelabels *l)
{
	const uint8_t *c = p->code, *end = p->code + p->len, *lab;
	unsigned i = l->n, n;
	uint8_t b;

	if (p->multi_at == AL_NAMEPAT_NO_MULTI ? l->n != p->nlabels : l->n < p->nlabels)
		return false;
	while (c < end) {
		b = *c++;
		if (b == K_MULTI) {
			i = p->multi_at;
			continue;
		}
		lab = l->name + l->off[--i];
		n = *lab++;
		switch (b & 0xc0) {
		case K_LIT:
			if (n != b || memcmp(lab, c, n) != 0)
				return false;
			c += n;
			break;
		case K_LABEL:
			if (!all_ldh(lab, n))
				return false;
			break;
		default:
			if (!match_part(&c, b & 0x3fu, lab, n))
				return false;
			break;
		}
	}
	return true;
}

bool al_namepat_match(const struct al_namepat *p, const uint8_t *name, size_t len)
{
	struct al_namelabels l;

	return al_namepat_split(name, len, &l) == 0 && al_namepat_match_split(p, &l);
}

/* How specific one code element is: a literal label beats a label with
 * literal text and wildcards, which beats a whole-label token, which
 * beats '*'. */
static int element(const uint8_t **cp)
{
	const uint8_t *c = *cp;
	uint8_t b = *c++;
	unsigned k;

	switch (b & 0xc0) {
	case K_LIT:
		*cp = c + b;
		return 3;
	case K_LABEL:
		*cp = c;
		return 1;
	case K_MULTI:
		*cp = c;
		return 0;
	default:
		for (k = b & 0x3fu; k; k--)
			c += *c == SEG_VAR ? 1u : 1u + *c;
		*cp = c;
		return 2;
	}
}

int al_namepat_cmp(const struct al_namepat *a, const struct al_namepat *b)
{
	const uint8_t *x = a->code, *xe = a->code + a->len;
	const uint8_t *y = b->code, *ye = b->code + b->len;
	int ex, ey;

	if (a->nliteral != b->nliteral)
		return a->nliteral > b->nliteral ? -1 : 1;
	while (x < xe && y < ye) {
		ex = element(&x);
		ey = element(&y);
		if (ex != ey)
			return ex > ey ? -1 : 1;
	}
	if ((x < xe) != (y < ye))
		return x < xe ? -1 : 1;
	if (a->nlitchars != b->nlitchars)
		return a->nlitchars > b->nlitchars ? -1 : 1;
	return 0;
}

unsigned al_namepat_probe(const struct al_namepat *p, const uint8_t **label)
{
	const uint8_t *c = p->code, *end = p->code + p->len, *at;
	unsigned pos = 0, best = 0;

	while (c < end && *c != K_MULTI) {
		at = c;
		pos++;
		if (element(&c) == 3 && pos >= 3) {
			best = pos;
			*label = at;
		}
	}
	return best;
}

int al_namepat_suffix(const struct al_namepat *p, unsigned k, uint8_t *out, size_t outlen)
{
	const uint8_t *lab[AL_MAX_NAME / 2 + 1], *c = p->code;
	size_t total = 1, off = 0;
	unsigned i;

	if (k == 0 || k > p->nsuffix)
		return -1;
	for (i = 0; i < k; i++) {
		lab[i] = c;
		total += 1u + *c;
		c += 1u + *c;
	}
	if (total > outlen)
		return -1;
	for (i = k; i-- > 0;) {
		memcpy(out + off, lab[i], 1u + *lab[i]);
		off += 1u + *lab[i];
	}
	out[off] = 0;
	return (int)total;
}

bool al_namepat_under(const uint8_t *name, size_t len, const uint8_t *suffix, size_t slen)
{
	size_t o = 0;

	if (slen == 0 || slen > len)
		return false;
	while (o < len) {
		if (len - o == slen)
			return memcmp(name + o, suffix, slen) == 0;
		if (len - o < slen || name[o] == 0)
			return false;
		o += 1u + name[o];
	}
	return false;
}
