/* Local data: zone files parsed with ldns into a hash table of owner names,
 * each holding its records as uncompressed wire rdata grouped by type, CNAME
 * targets and enclosing SOAs resolved at load.  A lookup only reads.  See
 * localdata.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>

#include "airlock/arena.h"
#include "airlock/hash.h"
#include "airlock/localdata.h"
#include "airlock/rand.h"

#define MAX_HOPS 8          /* CNAMEs followed inside the local data */
#define DEFAULT_TTL 3600    /* for records before any $TTL and without a TTL */
#define CLASS_IN 1

struct rec {
	const uint8_t *rdata;
	uint32_t ttl;
	uint16_t type, rdlen;
};

struct node {
	struct node *chain;        /* next in bucket */
	uint64_t hash;
	const struct rec *recs;    /* by type, file order within a type */
	size_t nrecs;
	const struct rec *cname;   /* the CNAME here, or NULL */
	const struct node *target; /* the CNAME's target when it is held */
	const struct node *zone;   /* nearest name at or above with an SOA */
	const struct rec *soa;     /* that SOA */
	uint8_t namelen;
	uint8_t name[];            /* lower-case wire form */
};

struct al_localdata {
	struct node **buckets;
	size_t mask; /* buckets - 1; their count is a power of two */
	size_t nnames;
	uint64_t seed;
	struct rec *recs;
	struct al_arena mem; /* the nodes and what they hold */
};

/* A record read, before merging: where it came from, for messages. */
struct pending {
	struct node *node;
	struct rec rec;
	size_t seq;
	size_t file, line;
};

struct loader {
	struct al_localdata *ld;
	struct pending *v;
	size_t n, cap;
	const char *const *paths;
	struct al_err *err;
};

static struct node *find(const struct al_localdata *ld, const uint8_t *name,
			 size_t len, uint64_t h)
{
	struct node *n;

	for (n = ld->buckets[h & ld->mask]; n; n = n->chain)
		if (n->hash == h && n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

static struct node *lookup(const struct al_localdata *ld, const uint8_t *name, size_t len)
{
	return find(ld, name, len, al_hash(name, len, ld->seed));
}

static int grow(struct al_localdata *ld)
{
	size_t nb = (ld->mask + 1) * 2, i;
	struct node **b = calloc(nb, sizeof(*b)), *n, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i <= ld->mask; i++)
		for (n = ld->buckets[i]; n; n = next) {
			next = n->chain;
			n->chain = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	free(ld->buckets);
	ld->buckets = b;
	ld->mask = nb - 1;
	return 0;
}

static struct node *intern(struct al_localdata *ld, const uint8_t *name, size_t len)
{
	uint64_t h = al_hash(name, len, ld->seed);
	struct node *n = find(ld, name, len, h), **b;

	if (n)
		return n;
	if (ld->nnames > ld->mask && grow(ld) < 0)
		return NULL;
	if (!(n = al_arena_alloc(&ld->mem, sizeof(*n) + len)))
		return NULL;
	memset(n, 0, sizeof(*n));
	n->hash = h;
	n->namelen = (uint8_t)len;
	memcpy(n->name, name, len);
	b = &ld->buckets[h & ld->mask];
	n->chain = *b;
	*b = n;
	ld->nnames++;
	return n;
}

static const char *type_name(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d && d->_type == type && d->_name)
		return d->_name;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

static const char *name_text(const uint8_t *name, char *buf, size_t len)
{
	if (al_msg_name_to_text(name, buf, len) < 0)
		snprintf(buf, len, "(name too long to show)");
	return buf;
}

/* ---- reading zone files ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Where the record in text[from, to) starts: past the blank and
 * comment-only lines ldns skipped before it. */
static size_t record_start(const char *text, size_t from, size_t to)
{
	size_t p = from, q;

	while (p < to) {
		for (q = p; q < to && blank(text[q]); q++)
			;
		if (q < to && text[q] == ';')
			while (q < to && text[q] != '\n')
				q++;
		if (q >= to || text[q] != '\n')
			break;
		p = q + 1;
	}
	return p;
}

/* Splits a record's text into fields in place: parentheses and comments
 * dropped, quoted strings kept whole.  *owner: the first field is the
 * owner (the record does not start with a blank). */
static size_t split(char *s, char **tok, size_t max, bool *owner)
{
	size_t n = 0;

	*owner = !blank(*s);
	while (*s && n < max) {
		if (blank(*s) || *s == '\n' || *s == '(' || *s == ')') {
			s++;
			continue;
		}
		if (*s == ';') {
			while (*s && *s != '\n')
				s++;
			continue;
		}
		tok[n++] = s;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s)
				s++;
		} else {
			for (; *s && !blank(*s) && *s != '\n' && *s != '(' &&
			       *s != ')' && *s != ';'; s++)
				if (*s == '\\' && s[1])
					s++;
		}
		if (*s == ';') {
			*s++ = '\0';
			while (*s && *s != '\n')
				s++;
		} else if (*s) {
			*s++ = '\0';
		}
	}
	return n;
}

/* What a one-token rdata field holds, for messages; NULL for fields that
 * may span tokens (strings, base64, ...), where checking stops. */
static const char *field_kind(ldns_rdf_type t)
{
	switch (t) {
	case LDNS_RDF_TYPE_A:
	case LDNS_RDF_TYPE_AAAA:
		return "address";
	case LDNS_RDF_TYPE_DNAME:
		return "name";
	case LDNS_RDF_TYPE_INT8:
	case LDNS_RDF_TYPE_INT16:
	case LDNS_RDF_TYPE_INT32:
		return "number";
	case LDNS_RDF_TYPE_PERIOD:
		return "time value";
	default:
		return NULL;
	}
}

/* Why ldns refused the record text[0, len): the field that does not parse
 * when that can be told, else ldns's words and the record. */
static int explain(struct al_err *err, const char *path, size_t line,
		   ldns_status s, const char *text, size_t len)
{
	char buf[4096], shown[256], *tok[64];
	size_t n, i = 0, f, nf, skipped = 0, at = 0;
	bool owner;

	if (len >= sizeof(buf))
		return al_err_set(err, "%s:%zu: %s", path, line, ldns_get_errorstr_by_id(s));
	memcpy(buf, text, len);
	buf[len] = '\0';
	n = split(buf, tok, sizeof(tok) / sizeof(tok[0]), &owner);
	if (n && tok[0][0] != '$') {
		if (owner)
			i = 1;
		/* TTL and class, in either order */
		while (i < n && skipped++ < 2 &&
		       ((tok[i][0] >= '0' && tok[i][0] <= '9') ||
			ldns_get_rr_class_by_name(tok[i]) != 0))
			i++;
		if (i < n) {
			ldns_rr_type t = ldns_get_rr_type_by_name(tok[i]);
			const ldns_rr_descriptor *d;
			char tb[16];

			if (t == 0)
				return al_err_set(err, "%s:%zu: unknown record type \"%s\"%s",
						  path, line, tok[i], owner ? "" :
						  " (the line starts with a blank, so it has no owner name)");
			d = ldns_rr_descript(t);
			nf = n - i - 1;
			/* Not past the type's last field: ldns asserts on that. */
			for (f = 0; f < nf && f < ldns_rr_descriptor_maximum(d) &&
				    strcmp(tok[i + 1], "\\#") != 0; f++) {
				ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, f);
				const char *kind = field_kind(ft), *v = tok[i + 1 + f];
				ldns_rdf *rdf;

				if (!kind)
					break;
				if (strcmp(v, "@") == 0)
					continue;
				if (!(rdf = ldns_rdf_new_frm_str(ft, v)))
					return al_err_set(err, "%s:%zu: bad %s %s \"%s\"", path, line,
							  type_name(t, tb, sizeof(tb)), kind, v);
				ldns_rdf_deep_free(rdf);
			}
			if (nf < ldns_rr_descriptor_minimum(d))
				return al_err_set(err, "%s:%zu: %s record needs %zu data fields, has %zu",
						  path, line, type_name(t, tb, sizeof(tb)),
						  ldns_rr_descriptor_minimum(d), nf);
		}
	}
	for (i = 0; i < n && at + 1 < sizeof(shown); i++)
		at += (size_t)snprintf(shown + at, sizeof(shown) - at, "%s%s", i ? " " : "", tok[i]);
	return al_err_set(err, "%s:%zu: %s in \"%s\"", path, line,
			  ldns_get_errorstr_by_id(s), n ? shown : "");
}

/* ldns reads a $TTL it cannot parse as 0; say so instead. */
static int check_ttl(struct al_err *err, const char *path, size_t line,
		     const char *text, size_t len)
{
	char buf[256], *tok[3];
	ldns_rdf *rdf = NULL;
	bool owner;

	if (len >= sizeof(buf))
		return al_err_set(err, "%s:%zu: $TTL line too long", path, line);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (split(buf, tok, 3, &owner) != 2 || !(rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_PERIOD, tok[1])))
		return al_err_set(err, "%s:%zu: $TTL needs one time value (e.g. $TTL 300 or $TTL 1h)",
				  path, line);
	ldns_rdf_deep_free(rdf);
	return 0;
}

static int push(struct loader *L, const struct pending *p)
{
	if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 64;
		struct pending *v = realloc(L->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		L->v = v;
		L->cap = cap;
	}
	L->v[L->n] = *p;
	L->v[L->n].seq = L->n;
	L->n++;
	return 0;
}

/* Takes one parsed record in (rr is put in canonical form: owner and
 * names in rdata lower-cased). */
static int add(struct loader *L, ldns_rr *rr, size_t file, size_t line)
{
	const char *path = L->paths[file];
	struct pending p = { .file = file, .line = line };
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	ldns_rdf *owner = ldns_rr_owner(rr);
	const uint8_t *name;
	size_t len;
	ldns_buffer *wire;
	uint8_t *rdata;
	char nb[AL_MAX_NAME_TEXT + 2];
	int rc = 0;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		char *klass = ldns_rr_class2str(ldns_rr_get_class(rr));
		al_err_set(L->err, "%s:%zu: class %s is not supported: local data is class IN only",
			   path, line, klass ? klass : "?");
		free(klass);
		return -EINVAL;
	}
	ldns_rr2canonical(rr);
	name = ldns_rdf_data(owner);
	len = ldns_rdf_size(owner);
	if (len == 0 || len > AL_MAX_NAME || name[len - 1] != 0)
		return al_err_set(L->err, "%s:%zu: owner name is not absolute", path, line);
	if (name[0] == 1 && name[1] == '*')
		return al_err_set(L->err, "%s:%zu: wildcard \"%s\" is not supported: list each name",
				  path, line, name_text(name, nb, sizeof(nb)));
	if (type == LDNS_RR_TYPE_DNAME)
		return al_err_set(L->err, "%s:%zu: DNAME is not supported: list each name", path, line);

	if (!(wire = ldns_buffer_new(512)))
		return -ENOMEM;
	if (ldns_rr_rdata2buffer_wire(wire, rr) != LDNS_STATUS_OK) {
		ldns_buffer_free(wire);
		return -ENOMEM;
	}
	if (ldns_buffer_position(wire) > UINT16_MAX) {
		ldns_buffer_free(wire);
		return al_err_set(L->err, "%s:%zu: record data longer than 65535 bytes", path, line);
	}
	p.rec.type = type;
	p.rec.ttl = ldns_rr_ttl(rr);
	p.rec.rdlen = (uint16_t)ldns_buffer_position(wire);
	rdata = al_arena_alloc(&L->ld->mem, p.rec.rdlen ? p.rec.rdlen : 1);
	if (rdata)
		memcpy(rdata, ldns_buffer_begin(wire), p.rec.rdlen);
	ldns_buffer_free(wire);
	p.rec.rdata = rdata;
	p.node = intern(L->ld, name, len);
	if (!rdata || !p.node || (rc = push(L, &p)) < 0)
		return -ENOMEM;
	return rc;
}

static int read_all(const char *path, char **out, size_t *len, struct al_err *err)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int e;

	if (!fp) {
		e = errno ? errno : EIO;
		al_err_set(err, "%s: %s", path, strerror(e));
		return -e;
	}
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				fclose(fp);
				return -ENOMEM;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	if (ferror(fp)) {
		e = errno ? errno : EIO;
		al_err_set(err, "%s: %s", path, strerror(e));
		free(buf);
		fclose(fp);
		return -e;
	}
	fclose(fp);
	*out = buf;
	*len = n;
	return 0;
}

static int load_file(struct loader *L, size_t file)
{
	const char *path = L->paths[file];
	uint32_t ttl = DEFAULT_TTL;
	ldns_rdf *origin = NULL, *prev = NULL;
	size_t len = 0, pos = 0, line = 1; /* line counted here: ldns's is the record's last */
	int ldns_line = 0;
	char *text = NULL;
	FILE *fp;
	int rc = read_all(path, &text, &len, L->err);

	if (rc < 0)
		return rc;
	if (len == 0) {
		free(text);
		return 0;
	}
	origin = ldns_dname_new_frm_str("."); /* names without $ORIGIN are absolute */
	if (!origin || !(fp = fmemopen(text, len, "r"))) {
		ldns_rdf_deep_free(origin);
		free(text);
		return -ENOMEM;
	}
	while (rc == 0 && !feof(fp)) {
		long before = ftell(fp), after;
		ldns_rr *rr = NULL;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &ldns_line);
		size_t start;

		after = ftell(fp);
		if (before < 0 || after < before) {
			rc = al_err_set(L->err, "%s: cannot track the read position", path);
			ldns_rr_free(rr);
			break;
		}
		start = record_start(text, (size_t)before, (size_t)after);
		for (; pos < start; pos++)
			line += text[pos] == '\n';
		switch (s) {
		case LDNS_STATUS_OK:
			rc = add(L, rr, file, line);
			ldns_rr_free(rr);
			break;
		case LDNS_STATUS_SYNTAX_TTL:
			rc = check_ttl(L->err, path, line, text + start, (size_t)after - start);
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			rc = al_err_set(L->err, "%s:%zu: $INCLUDE is not supported: list each file in the configuration",
					path, line);
			break;
		case LDNS_STATUS_MEM_ERR:
			rc = -ENOMEM;
			break;
		default:
			rc = explain(L->err, path, line, s, text + start, (size_t)after - start);
			break;
		}
	}
	fclose(fp);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	free(text);
	return rc;
}

/* ---- merging ---- */

static int cmp_node(const struct pending *a, const struct pending *b)
{
	uintptr_t x = (uintptr_t)a->node, y = (uintptr_t)b->node;

	if (x != y)
		return x < y ? -1 : 1;
	return a->rec.type < b->rec.type ? -1 : a->rec.type > b->rec.type;
}

static int cmp_seq(size_t a, size_t b)
{
	return a < b ? -1 : a > b;
}

/* Name, type, rdata, order read: equal records side by side, first read first. */
static int by_content(const void *pa, const void *pb)
{
	const struct pending *a = pa, *b = pb;
	int c = cmp_node(a, b);

	if (c)
		return c;
	if (a->rec.rdlen != b->rec.rdlen)
		return a->rec.rdlen < b->rec.rdlen ? -1 : 1;
	if ((c = memcmp(a->rec.rdata, b->rec.rdata, a->rec.rdlen)) != 0)
		return c;
	return cmp_seq(a->seq, b->seq);
}

/* Name, type, order read: how records are served. */
static int by_order(const void *pa, const void *pb)
{
	const struct pending *a = pa, *b = pb;
	int c = cmp_node(a, b);

	return c ? c : cmp_seq(a->seq, b->seq);
}

static bool same_rr(const struct pending *a, const struct pending *b)
{
	return a->node == b->node && a->rec.type == b->rec.type &&
	       a->rec.rdlen == b->rec.rdlen &&
	       memcmp(a->rec.rdata, b->rec.rdata, a->rec.rdlen) == 0;
}

/* RFC 1034 3.6.2 / RFC 2181 10.1: a CNAME is alone at its name (DNSSEC's
 * RRSIG and NSEC aside) and single.  v[0, n) are one name's records. */
static int check_cname(struct loader *L, const struct pending *v, size_t n)
{
	const struct pending *cn = NULL, *other = NULL;
	char nb[AL_MAX_NAME_TEXT + 2], tb[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].rec.type != AL_TYPE_CNAME) {
			if (!other && v[i].rec.type != AL_TYPE_RRSIG && v[i].rec.type != AL_TYPE_NSEC)
				other = &v[i];
			continue;
		}
		if (cn) /* within a type, v is in the order read */
			return al_err_set(L->err, "%s:%zu: \"%s\" has a second CNAME (the first at %s:%zu); a name has at most one",
					  L->paths[v[i].file], v[i].line,
					  name_text(v[i].node->name, nb, sizeof(nb)),
					  L->paths[cn->file], cn->line);
		cn = &v[i];
	}
	if (!cn || !other)
		return 0;
	if (cn->seq > other->seq)
		return al_err_set(L->err, "%s:%zu: \"%s\" has a CNAME and other data (%s at %s:%zu); a CNAME must be alone at its name",
				  L->paths[cn->file], cn->line, name_text(cn->node->name, nb, sizeof(nb)),
				  type_name(other->rec.type, tb, sizeof(tb)),
				  L->paths[other->file], other->line);
	return al_err_set(L->err, "%s:%zu: \"%s\" has a CNAME and other data (CNAME at %s:%zu); a CNAME must be alone at its name",
			  L->paths[other->file], other->line, name_text(cn->node->name, nb, sizeof(nb)),
			  L->paths[cn->file], cn->line);
}

static const struct rec *find_type(const struct node *n, uint16_t type)
{
	size_t i;

	for (i = 0; i < n->nrecs; i++)
		if (n->recs[i].type == type)
			return &n->recs[i];
	return NULL;
}

/* Duplicates dropped, CNAME rules checked, records handed to their names,
 * CNAME targets and enclosing SOAs resolved. */
static int build(struct loader *L)
{
	struct al_localdata *ld = L->ld;
	struct pending *v = L->v;
	struct node *n;
	size_t i, j, k = 0;
	int rc;

	if (L->n == 0)
		return 0;
	qsort(v, L->n, sizeof(*v), by_content);
	for (i = 0; i < L->n; i++)
		if (k == 0 || !same_rr(&v[k - 1], &v[i]))
			v[k++] = v[i];
	qsort(v, k, sizeof(*v), by_order);
	if (!(ld->recs = malloc(k * sizeof(*ld->recs))))
		return -ENOMEM;
	for (i = 0; i < k; i = j) {
		for (j = i; j < k && v[j].node == v[i].node; j++)
			ld->recs[j] = v[j].rec;
		if ((rc = check_cname(L, v + i, j - i)) < 0)
			return rc;
		v[i].node->recs = ld->recs + i;
		v[i].node->nrecs = j - i;
	}
	for (i = 0; i <= ld->mask; i++)
		for (n = ld->buckets[i]; n; n = n->chain)
			if ((n->cname = find_type(n, AL_TYPE_CNAME)) != NULL)
				n->target = lookup(ld, n->cname->rdata, n->cname->rdlen);
	for (i = 0; i <= ld->mask; i++)
		for (n = ld->buckets[i]; n; n = n->chain) {
			size_t off = 0;
			for (;;) {
				const struct node *z = lookup(ld, n->name + off, n->namelen - off);
				const struct rec *soa = z ? find_type(z, AL_TYPE_SOA) : NULL;
				if (soa && soa->rdlen >= 22) {
					n->zone = z;
					n->soa = soa;
					break;
				}
				if (n->name[off] == 0)
					break;
				off += 1u + n->name[off];
			}
		}
	return 0;
}

int al_localdata_load(const char *const *paths, size_t npaths,
		      struct al_localdata **out, struct al_err *err)
{
	struct loader L = { .paths = paths, .err = err };
	struct al_localdata *ld = calloc(1, sizeof(*ld));
	size_t i;
	int rc = 0;

	if (!ld || !(ld->buckets = calloc(16, sizeof(*ld->buckets)))) {
		free(ld);
		al_err_set(err, "local data: out of memory");
		return -ENOMEM;
	}
	ld->mask = 15;
	ld->seed = al_rand64();
	L.ld = ld;
	for (i = 0; i < npaths && rc == 0; i++)
		rc = load_file(&L, i);
	if (rc == 0)
		rc = build(&L);
	free(L.v);
	if (rc < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "local data: out of memory");
		al_localdata_free(ld);
		return rc;
	}
	*out = ld;
	return 0;
}

void al_localdata_free(struct al_localdata *ld)
{
	if (!ld)
		return;
	al_arena_free(&ld->mem);
	free(ld->recs);
	free(ld->buckets);
	free(ld);
}

size_t al_localdata_names(const struct al_localdata *ld)
{
	return ld ? ld->nnames : 0;
}

/* ---- answering ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static bool put_rr(struct wbuf *w, const struct node *owner, const struct rec *r,
		   uint32_t ttl)
{
	uint8_t *p = w->p + w->len;

	if (w->cap - w->len < owner->namelen + 10u + r->rdlen)
		return false;
	memcpy(p, owner->name, owner->namelen);
	p += owner->namelen;
	al_put16(p, r->type);
	al_put16(p + 2, CLASS_IN);
	al_put32(p + 4, ttl);
	al_put16(p + 8, r->rdlen);
	memcpy(p + 10, r->rdata, r->rdlen);
	w->len += owner->namelen + 10u + r->rdlen;
	return true;
}

/* Appends n's records of type (all for ANY); returns how many, -1 when
 * out of room. */
static int put_type(struct wbuf *w, const struct node *n, uint16_t type)
{
	size_t i;
	int count = 0;

	for (i = 0; i < n->nrecs; i++)
		if (type == AL_TYPE_ANY || n->recs[i].type == type) {
			if (!put_rr(w, n, &n->recs[i], n->recs[i].ttl))
				return -1;
			count++;
		}
	return count;
}

int al_localdata_reply(const struct al_localdata *ld, const struct al_query *q,
		       uint8_t *out, size_t cap)
{
	const struct node *n, *seen[MAX_HOPS + 1];
	struct wbuf w = { out, 0, cap < AL_MAX_MSG ? cap : AL_MAX_MSG };
	size_t nseen = 0, i;
	unsigned an = 0, ns = 0;
	bool nodata = false;
	int got;

	if (!ld || q->qclass != CLASS_IN || q->qtype == AL_TYPE_AXFR || q->qtype == AL_TYPE_IXFR)
		return 0;
	if (!(n = lookup(ld, q->qname_lc, q->qname_len)))
		return 0;
	if (w.cap < AL_HDR + q->qname_len + 4)
		return -ENOSPC;
	memset(out, 0, AL_HDR);
	al_put16(out + 2, (uint16_t)(AL_FLAG_QR | AL_FLAG_AA | AL_FLAG_RA |
				     (q->flags & (AL_FLAG_RD | AL_FLAG_CD))));
	al_put16(out + 4, 1);
	memcpy(out + AL_HDR, q->qname_lc, q->qname_len);
	al_put16(out + AL_HDR + q->qname_len, q->qtype);
	al_put16(out + AL_HDR + q->qname_len + 2, q->qclass);
	w.len = AL_HDR + q->qname_len + 4;

	for (;;) {
		if ((got = put_type(&w, n, q->qtype)) < 0)
			return -ENOSPC;
		an += (unsigned)got;
		if (got > 0 || q->qtype == AL_TYPE_ANY)
			break;
		if (!n->cname) {
			nodata = true;
			break;
		}
		if (!put_rr(&w, n, n->cname, n->cname->ttl))
			return -ENOSPC;
		an++;
		seen[nseen++] = n;
		n = n->target;
		if (!n || nseen > MAX_HOPS)
			break; /* the chain leaves the local data, or is too long */
		for (i = 0; i < nseen && seen[i] != n; i++)
			;
		if (i < nseen)
			break; /* a loop */
	}
	if (nodata && n->soa) {
		uint32_t minimum = al_get32(n->soa->rdata + n->soa->rdlen - 4);
		if (!put_rr(&w, n->zone, n->soa, n->soa->ttl < minimum ? n->soa->ttl : minimum))
			return -ENOSPC;
		ns = 1;
	}
	al_put16(out + 6, (uint16_t)an);
	al_put16(out + 8, (uint16_t)ns);
	return (int)w.len;
}
