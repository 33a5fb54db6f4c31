/* Name lists: entries from list files kept in one hash table keyed by
 * lower-case wire names (name entries, and every suffix of one as an inner
 * key) and by single wire labels (~label entries).  A name's hash chains
 * its labels from the right, so a lookup hashes each label once and walks
 * suffixes shortest first, stopping where no key lies deeper.  See
 * namelist.h and docs/LISTS.md. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "airlock/arena.h"
#include "airlock/hash.h"
#include "airlock/msg.h"
#include "airlock/namelist.h"
#include "airlock/rand.h"

#define MAX_LABEL 63
#define SHOWN 80 /* characters of an entry quoted in a message */

/* A key holds at most one entry of each kind.  Name keys end in the root
 * byte, label keys (a length byte and the label) never do, so the two
 * never compare equal. */
enum kind { K_EXACT, K_BELOW, K_SUFFIX, K_LABEL, NKINDS };

struct node {
	struct node *chain; /* next in bucket */
	uint64_t hash;
	const struct al_namelist_hit *hit[NKINDS];
	bool inner;         /* a longer name key ends in this name */
	uint8_t len;
	uint8_t key[];
};

struct stored {
	struct al_namelist_hit hit;
	char text[];
};

struct al_namelist {
	struct node **buckets;
	size_t mask;  /* buckets - 1; their count is a power of two */
	size_t nkeys, count;
	uint64_t seed;       /* of name hashes: the root's */
	uint64_t label_seed; /* of label keys' hashes */
	uint64_t label_lens; /* bit n: some label key has an n-character label */
	struct al_arena mem; /* the nodes and what they hold */
};

struct loader {
	struct al_namelist *l;
	const char *path, *list;
	struct al_err *err;
};

/* Offsets of the labels of a wire name, left to right (at most 127);
 * -1 when it is not one. */
static int label_offsets(const uint8_t *name, size_t len, uint8_t *off)
{
	size_t o = 0;
	int n = 0;

	if (len == 0 || len > AL_MAX_NAME)
		return -1;
	while (name[o] != 0) {
		if (name[o] > MAX_LABEL || name[o] + 1u >= len - o)
			return -1;
		off[n++] = (uint8_t)o;
		o += 1u + name[o];
	}
	return n;
}

/* The hash of a name from its parent's and its first label s (length
 * byte first).  Labels are hashed independently, so the processor can
 * overlap them; the multiply only orders them ("a.b" is not "b.a"). */
static uint64_t chain(const struct al_namelist *l, uint64_t parent, const uint8_t *s)
{
	return (parent ^ al_hash(s, 1u + s[0], l->seed)) * 0x9e3779b97f4a7c15ULL;
}

/* A bucket from the high half: the low bits of chain()'s product depend
 * on low bits only. */
static size_t slot(uint64_t h, size_t mask)
{
	return (size_t)(h >> 32) & mask;
}

static struct node *find(const struct al_namelist *l, uint64_t h, const uint8_t *key, size_t len)
{
	struct node *n;

	for (n = l->buckets[slot(h, l->mask)]; n; n = n->chain)
		if (n->hash == h && n->len == len && memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

static int grow(struct al_namelist *l)
{
	size_t nb = (l->mask + 1) * 2, i;
	struct node **b = calloc(nb, sizeof(*b)), *n, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i <= l->mask; i++)
		for (n = l->buckets[i]; n; n = next) {
			next = n->chain;
			n->chain = b[slot(n->hash, nb - 1)];
			b[slot(n->hash, nb - 1)] = n;
		}
	free(l->buckets);
	l->buckets = b;
	l->mask = nb - 1;
	return 0;
}

static struct node *intern(struct al_namelist *l, uint64_t h, const uint8_t *key, size_t len)
{
	struct node *n = find(l, h, key, len), **b;

	if (n)
		return n;
	if (l->nkeys > l->mask && grow(l) < 0)
		return NULL;
	if (!(n = al_arena_alloc(&l->mem, sizeof(*n) + len)))
		return NULL;
	memset(n, 0, sizeof(*n));
	n->hash = h;
	n->len = (uint8_t)len;
	memcpy(n->key, key, len);
	b = &l->buckets[slot(h, l->mask)];
	n->chain = *b;
	*b = n;
	l->nkeys++;
	return n;
}

/* ---- reading list files ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The entry text for a message: quoted elsewhere, bytes outside printable
 * ASCII as \xNN, cut after SHOWN characters. */
static const char *show(const char *s, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == SHOWN) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static const char *bad_char(char c, char *why, size_t len)
{
	if (c == '*')
		snprintf(why, len, "'*' is allowed only as the whole leftmost label, as in \"*.example.com\"");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(why, len, "bad character '%c'; expected letters, digits, '-', '_'", c);
	else
		snprintf(why, len, "bad character \\x%02x; expected letters, digits, '-', '_'",
			 (unsigned)(unsigned char)c);
	return why;
}

/* One label s[0, n) appended to out at *o in lower case; NULL, or why it
 * is not a label. */
static const char *put_label(const char *s, size_t n, uint8_t *out, size_t *o,
			     char *why, size_t len)
{
	size_t i;

	if (n == 0)
		return "empty label";
	for (i = 0; i < n; i++)
		if (!name_char(s[i]))
			return bad_char(s[i], why, len);
	if (n > MAX_LABEL) {
		snprintf(why, len, "label \"%.20s...\" has %zu characters; at most %d",
			 s, n, MAX_LABEL);
		return why;
	}
	if (*o + 1 + n + 1 > AL_MAX_NAME)
		return "longer than 255 bytes in wire form";
	out[(*o)++] = (uint8_t)n;
	for (i = 0; i < n; i++)
		out[(*o)++] = al_msg_lower((uint8_t)s[i]);
	return NULL;
}

/* A name s[0, n) (trailing dot optional) into lower-case wire form; NULL,
 * or why it is not a name. */
static const char *to_wire(const char *s, size_t n, uint8_t *out, size_t *outlen,
			   char *why, size_t len)
{
	const char *r;
	size_t i = 0, start, o = 0;

	if (n == 0)
		return "no name after the prefix";
	if (n == 1 && s[0] == '.')
		return "the root would match every name";
	if (s[n - 1] == '.')
		n--;
	for (;;) {
		for (start = i; i < n && s[i] != '.'; i++)
			;
		if ((r = put_label(s + start, i - start, out, &o, why, len)) != NULL)
			return r;
		if (i == n)
			break;
		i++;
	}
	out[o++] = 0;
	*outlen = o;
	return NULL;
}

static int add(struct loader *L, enum kind k, const uint8_t *key, size_t klen,
	       const char *text, size_t tn, unsigned line)
{
	struct al_namelist *l = L->l;
	struct node *n = NULL;
	struct stored *s;
	uint8_t off[AL_MAX_NAME / 2];
	uint64_t h = l->seed;
	int i;

	if (k == K_LABEL) {
		n = intern(l, al_hash(key, klen, l->label_seed), key, klen);
	} else {
		/* Every suffix a key, so a lookup can walk down to this one. */
		for (i = label_offsets(key, klen, off); i-- > 0;) {
			h = chain(l, h, key + off[i]);
			if (!(n = intern(l, h, key + off[i], klen - off[i])))
				break;
			n->inner |= i > 0;
		}
	}
	if (!n)
		return -ENOMEM;
	if (n->hit[k])
		return 0; /* the same entry again: the first stays */
	if (!(s = al_arena_alloc(&l->mem, sizeof(*s) + tn + 1)))
		return -ENOMEM;
	memcpy(s->text, text, tn);
	s->text[tn] = '\0';
	s->hit.list = L->list;
	s->hit.entry = s->text;
	s->hit.line = line;
	n->hit[k] = &s->hit;
	l->count++;
	if (k == K_LABEL)
		l->label_lens |= (uint64_t)1 << (klen - 1); /* the label's length */
	return 0;
}

static int parse_line(struct loader *L, const char *s, size_t n, unsigned line)
{
	const char *hash = memchr(s, '#', n), *body, *why;
	uint8_t key[AL_MAX_NAME];
	char shown[SHOWN * 4 + 8], wbuf[128];
	size_t klen = 0, bn;
	enum kind k = K_SUFFIX;

	if (hash)
		n = (size_t)(hash - s);
	while (n && blank(*s)) {
		s++;
		n--;
	}
	while (n && blank(s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	body = s;
	bn = n;
	if (s[0] == '=') {
		k = K_EXACT;
		body++;
		bn--;
	} else if (s[0] == '~') {
		k = K_LABEL;
		body++;
		bn--;
	} else if (n >= 2 && s[0] == '*' && s[1] == '.') {
		k = K_BELOW;
		body += 2;
		bn -= 2;
	}
	if (k == K_LABEL) {
		if (memchr(body, '.', bn))
			why = "one label without dots, e.g. \"~_domainkey\"";
		else
			why = put_label(body, bn, key, &klen, wbuf, sizeof(wbuf));
		if (why)
			return al_err_set(L->err, "%s:%u: \"%s\" is not a label entry (%s)", L->path,
					  line, show(s, n, shown, sizeof(shown)), why);
	} else if ((why = to_wire(body, bn, key, &klen, wbuf, sizeof(wbuf))) != NULL) {
		return al_err_set(L->err, "%s:%u: \"%s\" is not a DNS name (%s)", L->path, line,
				  show(s, n, shown, sizeof(shown)), why);
	}
	return add(L, k, key, klen, s, n, line);
}

/* The list's name: the file's base name without its extension. */
static int list_name(struct loader *L)
{
	const char *slash = strrchr(L->path, '/'), *base = slash ? slash + 1 : L->path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *s;

	if (n == 0)
		return al_err_set(L->err, "%s: no file name after the last '/' (expected a list file, e.g. zones/guard-allow.txt)",
				  L->path);
	if (!(s = al_arena_alloc(&L->l->mem, n + 1)))
		return -ENOMEM;
	memcpy(s, base, n);
	s[n] = '\0';
	L->list = s;
	return 0;
}

static int load_file(struct loader *L)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned line = 0;
	FILE *fp;
	int rc, e;

	if ((rc = list_name(L)) < 0)
		return rc;
	if (!(fp = fopen(L->path, "r"))) {
		e = errno ? errno : EIO;
		al_err_set(L->err, "%s: %s", L->path, strerror(e));
		return -e;
	}
	while (rc == 0 && (got = getline(&buf, &cap, fp)) >= 0)
		rc = parse_line(L, buf, (size_t)got, ++line);
	if (rc == 0 && ferror(fp)) {
		e = errno ? errno : EIO;
		rc = -e;
		al_err_set(L->err, "%s: %s", L->path, strerror(e));
	}
	free(buf);
	fclose(fp);
	return rc;
}

int al_namelist_load(const char *const *paths, size_t n, struct al_namelist **out,
		     struct al_err *err)
{
	struct loader L = { .err = err };
	struct al_namelist *l = calloc(1, sizeof(*l));
	size_t i;
	int rc = 0;

	if (!l || !(l->buckets = calloc(64, sizeof(*l->buckets)))) {
		free(l);
		al_err_set(err, "name lists: out of memory");
		return -ENOMEM;
	}
	l->mask = 63;
	l->seed = al_rand64();
	l->label_seed = al_rand64();
	L.l = l;
	for (i = 0; i < n && rc == 0; i++) {
		L.path = paths[i];
		if (!paths[i] || !paths[i][0])
			rc = al_err_set(err, "name list %zu: empty file name (expected a path, e.g. zones/guard-allow.txt)",
					i + 1);
		else
			rc = load_file(&L);
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "name lists: out of memory");
		al_namelist_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void al_namelist_free(struct al_namelist *l)
{
	if (!l)
		return;
	al_arena_free(&l->mem);
	free(l->buckets);
	free(l);
}

size_t al_namelist_count(const struct al_namelist *l)
{
	return l ? l->count : 0;
}

/* ---- matching ---- */

const struct al_namelist_hit *al_namelist_match(const struct al_namelist *l,
						const uint8_t *name, size_t len)
{
	const struct al_namelist_hit *best = NULL;
	const struct node *n;
	const uint8_t *s;
	uint8_t off[AL_MAX_NAME / 2];
	uint64_t h;
	int i, nl;

	if (!l || (nl = label_offsets(name, len, off)) < 0)
		return NULL;
	/* Suffixes shortest first, while some key lies deeper: the last entry
	 * found is the most specific. */
	h = l->seed;
	for (i = nl; i-- > 0;) {
		s = name + off[i];
		h = chain(l, h, s);
		if (!(n = find(l, h, s, len - off[i])))
			break;
		if (i == 0 && n->hit[K_EXACT])
			best = n->hit[K_EXACT];
		else if (i > 0 && n->hit[K_BELOW])
			best = n->hit[K_BELOW];
		else if (n->hit[K_SUFFIX])
			best = n->hit[K_SUFFIX];
		if (!n->inner)
			break;
	}
	if (best || !l->label_lens)
		return best;
	for (i = 0; i < nl; i++) {
		s = name + off[i];
		if ((l->label_lens >> s[0] & 1) &&
		    (n = find(l, al_hash(s, 1u + s[0], l->label_seed), s, 1u + s[0])) != NULL)
			return n->hit[K_LABEL];
	}
	return NULL;
}
