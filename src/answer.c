/* Upstream replies prepared for serving from cache: see answer.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/answer.h"

/* What a walk over the reply's records finds.  The TTL offsets go straight
 * into the answer being built. */
struct scan {
	uint16_t *offs;
	unsigned n, cap;
	size_t cut;          /* offset of the OPT RR, or 0 */
	size_t end;          /* just past the last record read: bytes after it are dropped */
	unsigned kept_ar;    /* additional records before the OPT */
	bool have_soa;
	uint32_t soa_neg;    /* min(SOA TTL, SOA minimum) */
	unsigned soa_index;
};

static int scan_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct scan *s = arg;

	if (s->cut)
		return 0; /* records after the OPT are dropped */
	s->end = rr->rdata_off + rr->rdlen;
	if (rr->type == AL_TYPE_OPT) {
		if (rr->section != 3)
			return -1; /* RFC 6891 6.1.1: OPT only in additional */
		s->cut = rr->owner_off;
		return 0;
	}
	if (s->n == s->cap)
		return -1;
	if (rr->section == 3)
		s->kept_ar++;
	if (rr->section == 2 && rr->type == AL_TYPE_SOA && rr->rdlen >= 22 && !s->have_soa) {
		uint32_t minimum = al_get32(pkt + rr->rdata_off + rr->rdlen - 4);
		s->have_soa = true;
		s->soa_neg = rr->ttl < minimum ? rr->ttl : minimum;
		s->soa_index = s->n;
	}
	s->offs[s->n++] = (uint16_t)rr->ttl_off;
	return 0;
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Record i's TTL as it will be cached. */
static uint32_t settled(const struct scan *s, const struct al_ttl_policy *p,
			const uint8_t *data, unsigned i, bool negative)
{
	if (negative && i == s->soa_index)
		return clamp(s->soa_neg, 0, p->max_negative_ttl);
	return clamp(al_get32(data + s->offs[i]) & 0x7fffffffu, p->min_ttl, p->max_ttl);
}

/* How long the answer may be cached (the smallest settled TTL; 0: not at
 * all); when it may, every TTL in data is rewritten to its settled value.
 * An answer served only once keeps the TTLs the upstream sent. */
static uint32_t settle_ttls(const struct scan *s, const struct al_ttl_policy *p,
			    uint8_t *data, uint16_t flags, uint16_t ancount)
{
	uint16_t rcode = flags & 0xf;
	bool negative = rcode == AL_RCODE_NXDOMAIN || ancount == 0;
	uint32_t life = UINT32_MAX;
	unsigned i;

	if (flags & AL_FLAG_TC)
		return 0;
	if (rcode != AL_RCODE_NOERROR && rcode != AL_RCODE_NXDOMAIN)
		return 0;
	if (negative && !s->have_soa)
		return 0; /* RFC 2308 5: no SOA, no negative caching */
	for (i = 0; i < s->n; i++) {
		uint32_t ttl = settled(s, p, data, i, negative);
		if (ttl < life)
			life = ttl;
	}
	if (life == UINT32_MAX || life == 0)
		return 0;
	for (i = 0; i < s->n; i++)
		al_put32(data + s->offs[i], settled(s, p, data, i, negative));
	return life;
}

int al_answer_new(const uint8_t *reply, size_t len,
		  const struct al_ttl_policy *pol, uint64_t now_ms,
		  struct al_answer **out)
{
	struct scan s = { 0 };
	struct al_answer *a;
	size_t qend = AL_HDR, records;

	if (len < AL_HDR || len > AL_MAX_MSG || al_get16(reply + 4) != 1)
		return -EINVAL;
	/* The question name must be plain labels: render overwrites it with
	 * the client's spelling of the same length. */
	while (qend < len && reply[qend] != 0) {
		if (reply[qend] & 0xc0)
			return -EINVAL;
		qend += 1u + reply[qend];
	}
	if (++qend + 4 > len)
		return -EINVAL;
	s.end = qend + 4;
	/* Every record takes at least 11 bytes, so this bounds the count. */
	records = (size_t)al_get16(reply + 6) + al_get16(reply + 8) + al_get16(reply + 10);
	if (records > len / 11)
		records = len / 11;
	a = malloc(sizeof(*a) + records * sizeof(uint16_t) + len);
	if (!a)
		return -ENOMEM;
	a->size = sizeof(*a) + records * sizeof(uint16_t) + len;
	a->ttl_offs = (uint16_t *)(a + 1);
	a->data = (uint8_t *)(a->ttl_offs + records);
	s.offs = a->ttl_offs;
	s.cap = (unsigned)records;
	if (al_msg_walk(reply, len, scan_rr, &s) != 0) { /* incl. a misplaced OPT */
		free(a);
		return -EINVAL;
	}
	a->len = (uint16_t)(s.cut ? s.cut : s.end);
	memcpy(a->data, reply, a->len);
	al_put16(a->data, 0);
	if (s.cut)
		al_put16(a->data + 10, (uint16_t)s.kept_ar);
	a->rcode = al_get16(reply + 2) & 0xf;
	a->lifetime = settle_ttls(&s, pol, a->data, al_get16(reply + 2), al_get16(reply + 6));
	a->nttls = (uint16_t)s.n;
	a->created_ms = now_ms;
	a->new_until_ms = 0;
	*out = a;
	return 0;
}

void al_answer_free(struct al_answer *a)
{
	free(a);
}

size_t al_answer_size(const struct al_answer *a)
{
	return a->size;
}

bool al_answer_expired(const struct al_answer *a, uint64_t now_ms)
{
	return now_ms >= a->created_ms + (uint64_t)a->lifetime * 1000;
}

size_t al_answer_render(const struct al_answer *a, const struct al_query *q,
			uint64_t now_ms, uint16_t edns_size, size_t limit,
			uint8_t *out, size_t outlen)
{
	uint32_t elapsed = (uint32_t)((now_ms - a->created_ms) / 1000);
	size_t need = a->len + (q->edns ? 11u : 0u), off;
	uint16_t flags;
	unsigned i;

	if (need > outlen || AL_HDR + q->qname_len > a->len)
		return 0;
	flags = al_get16(a->data + 2);
	flags &= (uint16_t)~(AL_FLAG_RD | AL_FLAG_CD | AL_FLAG_AA | AL_FLAG_AD | AL_FLAG_TC);
	flags |= AL_FLAG_RA | (q->flags & (AL_FLAG_RD | AL_FLAG_CD));
	if (need > limit) {
		/* RFC 1035 4.2.1 / RFC 6891 7: say it did not fit; the client
		 * retries over TCP. */
		off = al_msg_error(q, a->rcode, edns_size, out, outlen);
		if (off)
			al_put16(out + 2, (uint16_t)(flags | AL_FLAG_TC));
		return off;
	}
	memcpy(out, a->data, a->len);
	al_put16(out, q->id);
	al_put16(out + 2, flags);
	memcpy(out + AL_HDR, q->qname, q->qname_len); /* the client's case */
	for (i = 0; i < a->nttls; i++) {
		uint8_t *t = out + a->ttl_offs[i];
		uint32_t ttl = al_get32(t);
		al_put32(t, ttl > elapsed ? ttl - elapsed : 0);
	}
	off = a->len;
	if (q->edns) {
		off = al_msg_put_opt(out, off, outlen, edns_size, a->rcode, q->do_bit);
		al_put16(out + 10, (uint16_t)(al_get16(out + 10) + 1));
	}
	return off;
}
