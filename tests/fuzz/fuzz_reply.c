/* The upstream reply path: a client asks one of four questions (data[0]
 * bits 0-1: a public name from a zone with rebinding protection, a
 * protected AI endpoint name from a private zone, an AAAA with EDNS+DO,
 * an internal name), and the upstream's reply is the rest of the input,
 * with the forwarder's ID put in (bit 2) and its question spliced in
 * after the header (bit 3), so that most replies match.  A reply that
 * does not match (ID, QR, opcode, one question equal to the one asked)
 * is followed by a genuine one.  Asserts: scrubbing a reply that matches
 * twice drops nothing the second time; the client's reply passes
 * rig_check_reply; a reply that does not match never reaches the client
 * or the cache (the client gets the genuine one); asking again, a cached
 * answer renders the same as the first time (so it was stored for the
 * question asked), with every TTL within max_ttl; a protected name's
 * cached answer holds only private addresses; the rebinding zone never
 * gets an internal address. */
#include <string.h>

#include "airlock/scrub.h"
#include "airlock/verify.h"
#include "fuzz.h"
#include "rig.h"

static const struct {
	enum rig_zone zone;
	const char *name;
	uint16_t qtype;
	bool edns;
} questions[4] = {
	{ RIG_APPLICATION, "www.example.com", AL_TYPE_A, false },
	{ RIG_INFERENCE, "bedrock-runtime.us-west-2.amazonaws.com", AL_TYPE_A, false },
	{ RIG_MANAGEMENT, "www.Example.com", AL_TYPE_AAAA, true },
	{ RIG_DATA, "db.internal", AL_TYPE_A, false },
};

static size_t client_query(unsigned which, uint16_t id, uint8_t *out)
{
	int n;
	size_t off = AL_HDR;

	memset(out, 0, AL_HDR);
	al_put16(out, id);
	al_put16(out + 2, AL_FLAG_RD);
	al_put16(out + 4, 1);
	n = al_msg_name_from_text(questions[which].name, out + off, AL_MAX_NAME);
	if (n < 0)
		abort();
	off += (size_t)n;
	al_put16(out + off, questions[which].qtype);
	al_put16(out + off + 2, 1);
	off += 4;
	if (questions[which].edns) {
		al_put16(out + 10, 1);
		off = al_msg_put_opt(out, off, 512, 1232, 0, true);
	}
	return off;
}

/* RFC 5452 and DNS 0x20 as the forwarder should apply them, written out
 * again: the question repeated byte for byte (its case was random). */
static bool reply_matches(const uint8_t *u, size_t ulen, const uint8_t *p, size_t len)
{
	size_t qend = AL_HDR;

	if (len < AL_HDR || al_get16(p) != al_get16(u) || !(p[2] & 0x80) ||
	    AL_OPCODE(al_get16(p + 2)) != 0 || al_get16(p + 4) != 1 ||
	    al_msg_skip_name(u, ulen, &qend) < 0 || qend + 4 > ulen)
		return false;
	qend += 4;
	return len >= qend && memcmp(p + AL_HDR, u + AL_HDR, qend - AL_HDR) == 0;
}

/* A genuine reply to u: one address (private for a protected name,
 * else public), TTL 120. */
static size_t genuine(const uint8_t *u, size_t ulen, bool private, uint8_t *out)
{
	const uint8_t v4[4] = { private ? 10 : 192, 0, 2, 99 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
	struct al_query q;
	size_t off;

	if (al_msg_parse_query(u, ulen, &q) != 0)
		abort();
	memcpy(out, u, q.question_end);
	al_put16(out + 2, AL_FLAG_QR | AL_FLAG_RD | AL_FLAG_RA);
	al_put16(out + 6, 1);
	al_put16(out + 8, 0);
	al_put16(out + 10, 0);
	off = q.question_end;
	al_put16(out + off, 0xc00c);
	al_put16(out + off + 2, q.qtype);
	al_put16(out + off + 4, 1);
	al_put32(out + off + 6, 120);
	al_put16(out + off + 10, q.qtype == AL_TYPE_A ? 4 : 16);
	memcpy(out + off + 12, q.qtype == AL_TYPE_A ? v4 : v6, q.qtype == AL_TYPE_A ? 4 : 16);
	return off + 12 + (q.qtype == AL_TYPE_A ? 4 : 16);
}

struct look {
	unsigned which;
	uint32_t max_ttl;
	bool internal;  /* an internal A/AAAA in the answer section */
	bool public;    /* an A/AAAA outside 10.0.2.0/24 */
};

static int look_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct look *l = arg;
	struct al_ip ip = { 0 };

	if (rr->type != AL_TYPE_OPT && rr->ttl > l->max_ttl)
		l->max_ttl = rr->ttl;
	if (rr->section != 1 || rr->klass != 1)
		return 0;
	if (rr->type == AL_TYPE_A && rr->rdlen == 4) {
		ip.family = AF_INET;
		memcpy(ip.bytes, pkt + rr->rdata_off, 4);
	} else if (rr->type == AL_TYPE_AAAA && rr->rdlen == 16) {
		ip.family = AF_INET6;
		memcpy(ip.bytes, pkt + rr->rdata_off, 16);
	} else {
		return 0;
	}
	l->internal |= al_ip_is_internal(&ip);
	l->public |= !(ip.family == AF_INET && ip.bytes[0] == 10 && ip.bytes[1] == 0 && ip.bytes[2] == 2);
	return 0;
}

static void look(const struct rig_reply *r, struct look *l)
{
	memset(l, 0, sizeof(*l));
	if (r->replies)
		FUZZ_CHECK(al_msg_walk(r->msg, r->len, look_rr, l) == 0, "a malformed reply");
}

/* What scrubbing keeps scrubs to itself: the second pass drops nothing
 * and hands the reply back as it came. */
static void check_scrub_idempotent(const uint8_t *p, size_t plen)
{
	static uint8_t s1[AL_MAX_MSG], s2[AL_MAX_MSG];
	const uint8_t *r1, *r2;
	size_t l1, l2;
	unsigned dropped;

	if (al_scrub_reply(p, plen, s1, sizeof(s1), &r1, &l1, &dropped) < 0)
		return;
	FUZZ_CHECK(al_scrub_reply(r1, l1, s2, sizeof(s2), &r2, &l2, &dropped) == 0 && dropped == 0 &&
			   r2 == r1 && l2 == l1,
		   "a scrubbed reply scrubbed again lost %u records", dropped);
}

/* Runs the loop until the client has its reply; questions that go
 * upstream again get a genuine reply. */
static void settle(struct rig_reply *r, unsigned which)
{
	uint8_t u[AL_MAX_MSG], a[AL_MAX_MSG];
	size_t n;
	int i;

	for (i = 0; i < 1000 && r->replies + r->releases == 0; i++) {
		if ((n = rig_upstream_read(u, sizeof(u))) > 0) {
			rig_upstream_send(a, genuine(u, n, which == 1, a));
			rig_run(false);
		} else {
			rig_run(true);
		}
	}
}

FUZZ_TARGET(fuzz_reply)
{
	static struct rig_reply first, second;
	static uint8_t q[512], u[AL_MAX_MSG], p[AL_MAX_MSG + 600], g[AL_MAX_MSG];
	unsigned which, mode;
	size_t qlen, ulen, plen = 0, qend = AL_HDR, body, glen = 0;
	struct look l1, l2;
	bool matched;

	if (size < 1 || size > AL_MAX_MSG)
		return 0;
	mode = data[0];
	which = mode & 3;
	data++;
	size--;
	rig_start();
	qlen = client_query(which, 0x1234, q);
	rig_query(questions[which].zone, false, q, qlen, &first);
	FUZZ_CHECK(first.replies + first.releases == 0, "question %u answered without asking upstream", which);
	ulen = rig_upstream_read(u, sizeof(u));
	FUZZ_CHECK(ulen > 0, "question %u was not forwarded", which);
	/* The upstream's reply. */
	if (mode & 8) {
		al_msg_skip_name(u, ulen, &qend);
		qend += 4;
		body = size < AL_HDR ? size : AL_HDR;
		memcpy(p, data, body);
		memset(p + body, 0, AL_HDR - body);
		al_put16(p + 4, 1);
		memcpy(p + AL_HDR, u + AL_HDR, qend - AL_HDR);
		plen = qend;
		if (size > AL_HDR) {
			memcpy(p + plen, data + AL_HDR, size - AL_HDR);
			plen += size - AL_HDR;
		}
	} else {
		memcpy(p, data, size);
		plen = size;
	}
	if ((mode & 4) && plen >= 2)
		memcpy(p, u, 2);
	if (plen > AL_MAX_MSG)
		plen = AL_MAX_MSG;
	matched = reply_matches(u, ulen, p, plen);
	if (matched)
		check_scrub_idempotent(p, plen);
	rig_upstream_send(p, plen);
	if (!matched) {
		glen = genuine(u, ulen, which == 1, g);
		rig_upstream_send(g, glen);
	}
	settle(&first, which);
	rig_check_reply(questions[which].zone, false, q, qlen, &first);
	FUZZ_CHECK(first.replies == 1, "no reply to question %u", which);
	look(&first, &l1);
	if (!matched)
		FUZZ_CHECK((first.msg[3] & 0xf) == AL_RCODE_NOERROR && al_get16(first.msg + 6) == 1 &&
			   memmem(first.msg, first.len, g + glen - 4, 4),
			   "a reply that does not match reached the client");
	if (questions[which].zone == RIG_APPLICATION)
		FUZZ_CHECK(!l1.internal, "an internal address for a public name in a rebinding-protected zone");

	/* Again: from cache, or upstream again. */
	al_put16(q, 0x4321);
	rig_query(questions[which].zone, false, q, qlen, &second);
	if (second.replies + second.releases == 0) {
		settle(&second, which);
	} else {
		/* Served from cache. */
		look(&second, &l2);
		FUZZ_CHECK(second.len == first.len && memcmp(second.msg + 2, first.msg + 2, 10) == 0,
			   "the cached answer (%zu bytes) differs from the first (%zu bytes)",
			   second.len, first.len);
		FUZZ_CHECK(l2.max_ttl <= RIG_MAX_TTL, "a cached TTL of %u", l2.max_ttl);
		if (questions[which].zone == RIG_INFERENCE && (second.msg[3] & 0xf) == AL_RCODE_NOERROR)
			FUZZ_CHECK(!l2.public, "a public address cached for a protected name");
	}
	rig_check_reply(questions[which].zone, false, q, qlen, &second);
	if (questions[which].zone == RIG_APPLICATION) {
		look(&second, &l2);
		FUZZ_CHECK(!l2.internal, "an internal address for a public name in a rebinding-protected zone");
	}
	rig_stop();
	return 0;
}
