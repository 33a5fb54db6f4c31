/* Reply scrubbing (rules in scrub.h): walks over the answer section build
 * the CNAME chain, whatever the order of its records; two walks over the
 * reply then decide which records stay, and a last one writes the kept
 * ones out when any must go. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "airlock/msg.h"
#include "airlock/namepat.h"
#include "airlock/scrub.h"

/* The rarer types whose rdata holds names (RFC 3597 section 4). */
enum {
	T_MD = 3, T_MF = 4, T_MB = 7, T_MG = 8, T_MR = 9, T_MINFO = 14, T_RP = 17,
	T_AFSDB = 18, T_RT = 21, T_PX = 26, T_NAPTR = 35, T_KX = 36,
	C_ANY = 255,
};

/* Every record takes at least 11 bytes. */
#define MAX_RRS (AL_MAX_MSG / 11 + 1)

struct name {
	int len;
	uint8_t b[AL_MAX_NAME];
};

struct scrub {
	size_t len;
	uint16_t qtype, qclass;
	struct name chain[AL_SCRUB_MAX_CHAIN + 1];
	unsigned nchain;
	bool chain_ended, grew;
	struct name apex;   /* owner of the first kept SOA; len 0: none */
	struct name signer; /* signer of a kept RRSIG over the chain's end; len 0: none */
	unsigned opts;      /* OPT records seen */
	struct name targets[AL_SCRUB_MAX_TARGETS];
	unsigned ntargets;
	int pass;
	unsigned i; /* the record's index in the walk */
	uint8_t decided[MAX_RRS / 8 + 1], keep[MAX_RRS / 8 + 1];
	unsigned kept[3], dropped;
	uint8_t *out;
	size_t outlen, off;
};

static int rdata(struct scrub *s, const uint8_t *pkt, const struct al_rr *rr, bool write);

static bool bit(const uint8_t *set, unsigned i)
{
	return (set[i / 8] >> (i % 8)) & 1;
}

static void set_bit(uint8_t *set, unsigned i)
{
	set[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* name is zone or below it (proper: strictly below). */
static bool under(const uint8_t *name, int nlen, const uint8_t *zone, int zlen, bool proper)
{
	return al_namepat_under(name, (size_t)nlen, zone, (size_t)zlen) && !(proper && nlen == zlen);
}

/* A DNAME owned by owner is above a name of the chain (it made the CNAME
 * that leads on from there). */
static bool dname_above(const struct scrub *s, const uint8_t *owner, int olen)
{
	unsigned j;

	for (j = 0; j < s->nchain; j++)
		if (under(s->chain[j].b, s->chain[j].len, owner, olen, true))
			return true;
	return false;
}

/* RFC 1035 3.2.5: QCLASS * matches every class. */
static bool same_class(const struct scrub *s, const struct al_rr *rr)
{
	return s->qclass == C_ANY || rr->klass == s->qclass;
}

static struct name as_name(const uint8_t *b, int len)
{
	struct name n;

	n.len = len;
	memcpy(n.b, b, (size_t)len);
	return n;
}

static int chain_index(const struct scrub *s, const uint8_t *name, int nlen)
{
	unsigned k;

	for (k = 0; k < s->nchain; k++)
		if (s->chain[k].len == nlen && memcmp(s->chain[k].b, name, (size_t)nlen) == 0)
			return (int)k;
	return -1;
}

static const struct name *tail(const struct scrub *s)
{
	return &s->chain[s->nchain - 1];
}

/* The name at pkt[off], which must end within the rdata. */
static int rdata_name(const uint8_t *pkt, const struct al_rr *rr, size_t skip, struct name *n)
{
	size_t off = rr->rdata_off + skip;

	if (skip >= rr->rdlen)
		return -1;
	n->len = al_msg_read_name(pkt, rr->rdata_off + rr->rdlen, &off, n->b);
	return n->len < 0 ? -1 : 0;
}

/* Remembers the target of a kept NS, MX or SRV record for glue. */
static int note_target(struct scrub *s, const uint8_t *pkt, const struct al_rr *rr)
{
	size_t skip;
	struct name n;

	switch (rr->type) {
	case AL_TYPE_NS: skip = 0; break;
	case AL_TYPE_MX: skip = 2; break;
	case AL_TYPE_SRV: skip = 6; break;
	default: return 0;
	}
	if (rdata_name(pkt, rr, skip, &n) < 0)
		return -1;
	if (s->ntargets < AL_SCRUB_MAX_TARGETS)
		s->targets[s->ntargets++] = n;
	return 0;
}

static int covered(const struct al_rr *rr, const uint8_t *pkt)
{
	return rr->rdlen >= 2 ? al_get16(pkt + rr->rdata_off) : -1;
}

/* 1: keep, 0: drop, -1: malformed. */
static int judge_answer(struct scrub *s, const uint8_t *pkt, const struct al_rr *rr,
			const uint8_t *owner, int olen)
{
	int k = chain_index(s, owner, olen), c;
	bool wanted = rr->type == s->qtype || s->qtype == AL_TYPE_ANY;
	struct name target;

	if (rr->type == AL_TYPE_CNAME) {
		/* Even for a CNAME or ANY question: the kept CNAMEs are the
		 * chain's links, so a scrubbed reply scrubs to itself. */
		if (rdata_name(pkt, rr, 0, &target) < 0)
			return -1;
		return k >= 0 && k + 1 < (int)s->nchain && s->chain[k + 1].len == target.len &&
		       memcmp(s->chain[k + 1].b, target.b, (size_t)target.len) == 0;
	}
	if (rr->type == AL_TYPE_DNAME)
		return (wanted && k >= 0) || dname_above(s, owner, olen);
	if (rr->type == AL_TYPE_RRSIG) {
		c = covered(rr, pkt);
		if (k == (int)s->nchain - 1 && !s->signer.len && (wanted || c == s->qtype) &&
		    rdata_name(pkt, rr, 18, &target) == 0 &&
		    under(tail(s)->b, tail(s)->len, target.b, target.len, false))
			s->signer = target; /* the zone of a wildcard answer's proof */
		return (k >= 0 && (wanted || c == s->qtype || c == AL_TYPE_CNAME)) ||
		       (c == AL_TYPE_DNAME && dname_above(s, owner, olen));
	}
	if (k < 0 || !wanted)
		return 0;
	return note_target(s, pkt, rr) < 0 ? -1 : 1;
}

/* As judge_answer; 2: decided in the second pass. */
static int judge_authority(struct scrub *s, const uint8_t *pkt, const struct al_rr *rr,
			   const uint8_t *owner, int olen)
{
	const struct name *t = tail(s), *apex;
	int c;

	if (rr->type == AL_TYPE_SOA || rr->type == AL_TYPE_NS) {
		if (!under(t->b, t->len, owner, olen, false))
			return 0;
		if (rr->type == AL_TYPE_SOA && !s->apex.len)
			s->apex = as_name(owner, olen);
		return note_target(s, pkt, rr) < 0 ? -1 : 1;
	}
	if (s->pass == 1)
		return 2; /* decided once the zone is known */
	/* The zone of the denial proofs: the SOA's, else (a wildcard answer
	 * carries no SOA) the signer of the answer. */
	apex = s->apex.len ? &s->apex : &s->signer;
	switch (rr->type) {
	case AL_TYPE_NSEC:
	case AL_TYPE_NSEC3:
		return apex->len && under(owner, olen, apex->b, apex->len, false);
	case AL_TYPE_RRSIG:
		c = covered(rr, pkt);
		if (c == AL_TYPE_SOA || c == AL_TYPE_NS)
			return under(t->b, t->len, owner, olen, false);
		if (c == AL_TYPE_NSEC || c == AL_TYPE_NSEC3)
			return apex->len && under(owner, olen, apex->b, apex->len, false);
		return 0;
	}
	return 0;
}

static int judge_additional(struct scrub *s, const struct al_rr *rr, const uint8_t *owner,
			    int olen)
{
	unsigned k;

	if (s->pass == 1)
		return 2; /* decided once every NS, MX and SRV is */
	if (rr->type != AL_TYPE_A && rr->type != AL_TYPE_AAAA)
		return 0;
	for (k = 0; k < s->ntargets; k++)
		if (s->targets[k].len == olen && memcmp(s->targets[k].b, owner, (size_t)olen) == 0)
			return 1;
	return 0;
}

static int judge(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct scrub *s = arg;
	unsigned i = s->i++;
	uint8_t owner[AL_MAX_NAME];
	size_t off = rr->owner_off;
	int olen, verdict;

	if (i >= MAX_RRS)
		return -1;
	if (bit(s->decided, i))
		return 0;
	/* Every record is checked, kept or not, so whether a reply is
	 * refused never depends on what else it carries. */
	if (s->pass == 1 && rdata(s, pkt, rr, false) < 0)
		return -1;
	if (rr->type == AL_TYPE_OPT) {
		/* RFC 6891 6.1.1: one, in additional, owned by the root. */
		if (rr->section != 3 || pkt[rr->owner_off] != 0 || ++s->opts > 1)
			return -1;
		verdict = 1;
	} else if (!same_class(s, rr)) {
		verdict = 0;
	} else {
		if ((olen = al_msg_read_name(pkt, s->len, &off, owner)) < 0)
			return -1;
		verdict = rr->section == 1 ? judge_answer(s, pkt, rr, owner, olen)
			  : rr->section == 2 ? judge_authority(s, pkt, rr, owner, olen)
					     : judge_additional(s, rr, owner, olen);
	}
	if (verdict < 0)
		return -1;
	if (verdict == 2)
		return 0;
	set_bit(s->decided, i);
	if (verdict) {
		set_bit(s->keep, i);
		s->kept[rr->section - 1]++;
	} else {
		s->dropped++;
	}
	return 0;
}

/* Appends n bytes; -ENOSPC when they do not fit. */
static int put(struct scrub *s, const uint8_t *p, size_t n)
{
	if (s->off + n > s->outlen)
		return -ENOSPC;
	memcpy(s->out + s->off, p, n);
	s->off += n;
	return 0;
}

/* Appends a name: the question's as a pointer to it (it is always kept,
 * and most owners are it), any other written out in full. */
static int put_name(struct scrub *s, const uint8_t *name, int len)
{
	static const uint8_t to_question[2] = { 0xc0, AL_HDR };

	if (len == s->chain[0].len && memcmp(name, s->chain[0].b, (size_t)len) == 0)
		return put(s, to_question, sizeof(to_question));
	return put(s, name, (size_t)len);
}

/* Where the names sit in the rdata of the types that may carry compressed
 * ones (RFC 1035, and RFC 3597 4's list to decompress): n a name, a digit
 * that many fixed bytes, c a character-string.  The rest is copied. */
static const char *layout(uint16_t type)
{
	switch (type) {
	case AL_TYPE_NS: case T_MD: case T_MF: case AL_TYPE_CNAME: case T_MB:
	case T_MG: case T_MR: case AL_TYPE_PTR: case AL_TYPE_DNAME:
		return "n";
	case AL_TYPE_SOA: case T_MINFO: case T_RP:
		return "nn";
	case AL_TYPE_MX: case T_AFSDB: case T_RT: case T_KX:
		return "2n";
	case T_PX:
		return "2nn";
	case AL_TYPE_SRV:
		return "6n";
	case T_NAPTR:
		return "4cccn";
	}
	return "";
}

/* Checks rr's rdata against its layout (every name within it), and with
 * write appends it with its names in full.  0, -EINVAL or -ENOSPC. */
static int rdata(struct scrub *s, const uint8_t *pkt, const struct al_rr *rr, bool write)
{
	size_t p = rr->rdata_off, end = rr->rdata_off + rr->rdlen, n;
	const char *f;
	uint8_t name[AL_MAX_NAME];
	int nlen, rc;

	for (f = layout(rr->type); *f; f++) {
		if (*f == 'n') {
			if ((nlen = al_msg_read_name(pkt, end, &p, name)) < 0)
				return -EINVAL;
			if (write && (rc = put_name(s, name, nlen)) < 0)
				return rc;
			continue;
		}
		n = *f == 'c' ? (p < end ? 1u + pkt[p] : 1u) : (size_t)(*f - '0');
		if (p + n > end)
			return -EINVAL;
		if (write && (rc = put(s, pkt + p, n)) < 0)
			return rc;
		p += n;
	}
	return write ? put(s, pkt + p, end - p) : 0;
}

static int write_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct scrub *s = arg;
	unsigned i = s->i++;
	static const uint8_t zero[2];
	uint8_t owner[AL_MAX_NAME];
	size_t off = rr->owner_off, rdlen_at;
	int olen, rc;

	if (i >= MAX_RRS || !bit(s->keep, i))
		return 0;
	if ((olen = al_msg_read_name(pkt, s->len, &off, owner)) < 0)
		return -EINVAL;
	if ((rc = put_name(s, owner, olen)) < 0 ||
	    (rc = put(s, pkt + rr->ttl_off - 4, 8)) < 0) /* type, class, TTL */
		return rc;
	rdlen_at = s->off;
	if ((rc = put(s, zero, 2)) < 0 || (rc = rdata(s, pkt, rr, true)) < 0)
		return rc;
	al_put16(s->out + rdlen_at, (uint16_t)(s->off - rdlen_at - 2));
	return 0;
}

/* A walk that extends the chain by the CNAME at its end, wherever that
 * record sits in the answer section. */
static int grow(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct scrub *s = arg;
	uint8_t owner[AL_MAX_NAME];
	size_t off = rr->owner_off;
	struct name target;
	int olen;

	if (s->chain_ended || rr->section != 1 || rr->type != AL_TYPE_CNAME || !same_class(s, rr))
		return 0;
	if ((olen = al_msg_read_name(pkt, s->len, &off, owner)) < 0 || rdata_name(pkt, rr, 0, &target) < 0)
		return -1;
	if (olen != tail(s)->len || memcmp(owner, tail(s)->b, (size_t)olen) != 0)
		return 0;
	if (chain_index(s, target.b, target.len) >= 0 || s->nchain > AL_SCRUB_MAX_CHAIN) {
		s->chain_ended = true; /* a loop, or too long */
		return 0;
	}
	s->chain[s->nchain++] = target;
	s->grew = true;
	return 0;
}

int al_scrub_reply(const uint8_t *reply, size_t len, uint8_t *out, size_t outlen,
		   const uint8_t **res, size_t *reslen, unsigned *dropped)
{
	struct scrub s;
	size_t qend = AL_HDR;
	int rc;

	*dropped = 0;
	if (len < AL_HDR || len > AL_MAX_MSG || al_get16(reply + 4) != 1)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.len = len;
	s.chain[0].len = al_msg_read_name(reply, len, &qend, s.chain[0].b);
	if (s.chain[0].len < 0 || qend != AL_HDR + (size_t)s.chain[0].len || qend + 4 > len)
		return -EINVAL; /* a compressed question is copied as is: it must not point */
	s.qtype = al_get16(reply + qend);
	s.qclass = al_get16(reply + qend + 2);
	qend += 4;
	s.nchain = 1;
	do {
		s.grew = false;
		if (al_msg_walk(reply, len, grow, &s) != 0)
			return -EINVAL;
	} while (s.grew && !s.chain_ended);
	for (s.pass = 1; s.pass <= 2; s.pass++) {
		s.i = 0;
		if (al_msg_walk(reply, len, judge, &s) != 0)
			return -EINVAL;
	}
	*dropped = s.dropped;
	if (!s.dropped) {
		*res = reply;
		*reslen = len;
		return 0;
	}
	s.out = out;
	s.outlen = outlen < AL_MAX_MSG ? outlen : AL_MAX_MSG;
	s.off = 0;
	s.i = 0;
	if ((rc = put(&s, reply, qend)) < 0 || (rc = al_msg_walk(reply, len, write_rr, &s)) != 0)
		return rc == -ENOSPC ? -ENOSPC : -EINVAL;
	al_put16(out + 6, (uint16_t)s.kept[0]);
	al_put16(out + 8, (uint16_t)s.kept[1]);
	al_put16(out + 10, (uint16_t)s.kept[2]);
	*res = out;
	*reslen = s.off;
	return 0;
}
