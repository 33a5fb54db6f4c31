/* Upstream replies prepared for serving from cache: see answer.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/answer.h"

#define MAX_TTLS 4096

struct scan {
	const struct al_ttl_policy *pol;
	size_t cut;          /* offset of the OPT RR, or 0 */
	unsigned kept_ar;    /* additional records before the OPT */
	uint16_t offs[MAX_TTLS];
	uint32_t ttls[MAX_TTLS];
	unsigned n;
	bool have_soa;
	uint32_t soa_neg;    /* min(SOA TTL, SOA minimum) */
	size_t soa_index;
	bool overflow;
};

static int scan_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct scan *s = arg;

	if (s->cut)
		return 0; /* records after the OPT are dropped */
	if (rr->type == AL_TYPE_OPT) {
		if (rr->section != 3)
			return -1; /* RFC 6891 6.1.1: OPT only in additional */
		s->cut = rr->owner_off;
		return 0;
	}
	if (s->n == MAX_TTLS) {
		s->overflow = true;
		return 1;
	}
	if (rr->section == 3)
		s->kept_ar++;
	if (rr->section == 2 && rr->type == AL_TYPE_SOA && rr->rdlen >= 22 && !s->have_soa) {
		uint32_t minimum = al_get32(pkt + rr->rdata_off + rr->rdlen - 4);
		s->have_soa = true;
		s->soa_neg = rr->ttl < minimum ? rr->ttl : minimum;
		s->soa_index = s->n;
	}
	s->offs[s->n] = (uint16_t)rr->ttl_off;
	s->ttls[s->n] = rr->ttl;
	s->n++;
	return 0;
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Clamps every TTL and returns how long the whole answer may live. */
static uint32_t settle_ttls(struct scan *s, uint16_t rcode, uint16_t ancount)
{
	const struct al_ttl_policy *p = s->pol;
	bool negative = rcode == AL_RCODE_NXDOMAIN || ancount == 0;
	uint32_t life = UINT32_MAX;
	unsigned i;

	if (rcode != AL_RCODE_NOERROR && rcode != AL_RCODE_NXDOMAIN)
		return 0;
	if (negative && !s->have_soa)
		return 0; /* RFC 2308 5: no SOA, no negative caching */
	for (i = 0; i < s->n; i++) {
		if (negative && i == s->soa_index)
			s->ttls[i] = clamp(s->soa_neg, 0, p->max_negative_ttl);
		else
			s->ttls[i] = clamp(s->ttls[i] & 0x7fffffffu, p->min_ttl, p->max_ttl);
		if (s->ttls[i] < life)
			life = s->ttls[i];
	}
	return life == UINT32_MAX ? 0 : life;
}

int al_answer_new(const uint8_t *reply, size_t len,
		  const struct al_ttl_policy *pol, uint64_t now_ms,
		  struct al_answer **out)
{
	struct scan *s;
	struct al_answer *a;
	size_t qend = AL_HDR, keep;
	uint16_t flags;
	unsigned i;

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
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->pol = pol;
	if (al_msg_walk(reply, len, scan_rr, s) != 0 || s->overflow) { /* incl. misplaced OPT */
		free(s);
		return -EINVAL;
	}
	keep = s->cut ? s->cut : len;
	a = malloc(sizeof(*a) + s->n * sizeof(uint16_t) + keep);
	if (!a) {
		free(s);
		return -ENOMEM;
	}
	a->ttl_offs = (uint16_t *)(a + 1);
	a->data = (uint8_t *)(a->ttl_offs + s->n);
	memcpy(a->data, reply, keep);
	flags = al_get16(reply + 2);
	a->rcode = flags & 0xf;
	a->lifetime = (flags & AL_FLAG_TC) ? 0 : settle_ttls(s, a->rcode, al_get16(reply + 6));
	if (a->lifetime == 0) /* served once: keep the TTLs as the upstream sent */
		for (i = 0; i < s->n; i++)
			s->ttls[i] = al_get32(reply + s->offs[i]);
	al_put16(a->data, 0);
	if (s->cut)
		al_put16(a->data + 10, (uint16_t)s->kept_ar);
	for (i = 0; i < s->n; i++) {
		a->ttl_offs[i] = s->offs[i];
		al_put32(a->data + s->offs[i], s->ttls[i]);
	}
	a->nttls = (uint16_t)s->n;
	a->len = (uint16_t)keep;
	a->created_ms = now_ms;
	free(s);
	*out = a;
	return 0;
}

void al_answer_free(struct al_answer *a)
{
	free(a);
}

size_t al_answer_size(const struct al_answer *a)
{
	return sizeof(*a) + a->nttls * sizeof(uint16_t) + a->len;
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
