/* Reading and writing DNS wire format where the hot path needs it without
 * allocation: the client's question and EDNS0, short error replies, and a
 * walk over resource records (for TTLs). */
#include <stdio.h>
#include <string.h>

#include "airlock/msg.h"

const char *al_msg_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					     "NOTZONE" };

	return rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : NULL;
}

const char *al_msg_rcode_text(int rcode, char *buf, size_t len)
{
	const char *name = al_msg_rcode_name(rcode);

	if (name)
		return name;
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

int al_msg_skip_name(const uint8_t *pkt, size_t len, size_t *off)
{
	size_t p = *off;

	while (p < len) {
		uint8_t l = pkt[p];
		if (l == 0) {
			*off = p + 1;
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -1;
			*off = p + 2;
			return 0;
		}
		if (l & 0xc0)
			return -1; /* extended label types are obsolete */
		p += 1u + l;
	}
	return -1;
}

int al_msg_read_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *name)
{
	size_t p = *off, n = 0;
	int jumps = 0;
	bool moved = false;

	while (p < len) {
		uint8_t l = pkt[p];
		if ((l & 0xc0) == 0xc0) {
			size_t target;
			if (p + 2 > len || ++jumps > 64)
				return -1;
			target = (size_t)(l & 0x3f) << 8 | pkt[p + 1];
			if (!moved)
				*off = p + 2;
			moved = true;
			if (target >= p)
				return -1; /* pointers go backwards only */
			p = target;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (n + 1u + l > AL_MAX_NAME || p + 1u + l > len)
			return -1;
		name[n++] = l;
		if (l == 0) {
			if (!moved)
				*off = p + 1;
			return (int)n;
		}
		for (size_t i = 1; i <= l; i++) {
			uint8_t ch = pkt[p + i];
			name[n++] = al_msg_lower(ch);
		}
		p += 1u + l;
	}
	return -1;
}

static int read_opt(const uint8_t *pkt, size_t len, size_t off, struct al_query *q)
{
	uint16_t arcount = al_get16(pkt + 10), ancount = al_get16(pkt + 6),
		 nscount = al_get16(pkt + 8);
	unsigned i, total = (unsigned)ancount + nscount + arcount;
	bool seen_opt = false;

	for (i = 0; i < total; i++) {
		uint16_t type, rdlen;
		bool root = off < len && pkt[off] == 0;
		if (al_msg_skip_name(pkt, len, &off) < 0 || off + 10 > len)
			return AL_RCODE_FORMERR;
		type = al_get16(pkt + off);
		rdlen = al_get16(pkt + off + 8);
		if (off + 10u + rdlen > len)
			return AL_RCODE_FORMERR;
		if (type == AL_TYPE_OPT) {
			/* RFC 6891 6.1.1: one OPT, owner root, in additional. */
			if (seen_opt || !root || i < (unsigned)ancount + nscount)
				return AL_RCODE_FORMERR;
			seen_opt = true;
			q->edns = true;
			q->udp_size = al_get16(pkt + off + 2);
			if (q->udp_size < 512)
				q->udp_size = 512;
			q->edns_version = pkt[off + 5];
			q->do_bit = (pkt[off + 6] & 0x80) != 0;
		}
		off += 10u + rdlen;
	}
	if (off != len)
		return AL_RCODE_FORMERR; /* trailing garbage */
	if (q->edns && q->edns_version > 0)
		return AL_RCODE_BADVERS;
	return 0;
}

int al_msg_parse_query(const uint8_t *pkt, size_t len, struct al_query *q)
{
	size_t off = AL_HDR, start;
	int n;

	memset(q, 0, sizeof(*q));
	q->udp_size = 512;
	if (len < AL_HDR)
		return -1;
	q->id = al_get16(pkt);
	q->flags = al_get16(pkt + 2);
	if (q->flags & AL_FLAG_QR)
		return -1; /* never answer a response: no reflection loops */
	if (AL_OPCODE(q->flags) != 0)
		return AL_RCODE_NOTIMP;
	if (al_get16(pkt + 4) != 1)
		return AL_RCODE_FORMERR;
	start = off;
	n = al_msg_read_name(pkt, len, &off, q->qname_lc);
	if (n < 0 || off != start + (size_t)n || off + 4 > len)
		return AL_RCODE_FORMERR; /* no compression in a lone question */
	memcpy(q->qname, pkt + start, (size_t)n);
	q->qname_len = (size_t)n;
	q->qtype = al_get16(pkt + off);
	q->qclass = al_get16(pkt + off + 2);
	q->question_end = off + 4;
	return read_opt(pkt, len, q->question_end, q);
}

size_t al_msg_put_opt(uint8_t *out, size_t off, size_t outlen,
		      uint16_t size, int rcode, bool do_bit)
{
	uint8_t *p = out + off;

	if (off + 11 > outlen)
		return 0;
	p[0] = 0;
	al_put16(p + 1, AL_TYPE_OPT);
	al_put16(p + 3, size);
	p[5] = (uint8_t)(rcode >> 4); /* extended rcode, upper 8 bits */
	p[6] = 0;                    /* version 0 */
	al_put16(p + 7, do_bit ? 0x8000 : 0);
	al_put16(p + 9, 0);
	return off + 11;
}

size_t al_msg_error(const struct al_query *q, int rcode, uint16_t edns_size,
		    uint8_t *out, size_t outlen)
{
	size_t off = AL_HDR;
	uint16_t flags = (uint16_t)(AL_FLAG_QR | AL_FLAG_RA |
				    (q->flags & (0x7800u | AL_FLAG_RD | AL_FLAG_CD)) |
				    (rcode & 0xf));

	if (outlen < AL_HDR)
		return 0;
	memset(out, 0, AL_HDR);
	al_put16(out, q->id);
	al_put16(out + 2, flags);
	if (q->qname_len) {
		if (off + q->qname_len + 4 > outlen)
			return 0;
		memcpy(out + off, q->qname, q->qname_len);
		off += q->qname_len;
		al_put16(out + off, q->qtype);
		al_put16(out + off + 2, q->qclass);
		off += 4;
		al_put16(out + 4, 1);
	}
	if (q->edns || rcode > 0xf) {
		off = al_msg_put_opt(out, off, outlen, edns_size, rcode, q->do_bit);
		if (!off)
			return 0;
		al_put16(out + 10, 1);
	}
	return off;
}

int al_msg_walk(const uint8_t *pkt, size_t len,
		int (*fn)(const uint8_t *pkt, const struct al_rr *rr, void *arg),
		void *arg)
{
	size_t off = AL_HDR;
	unsigned counts[3], s, i, q;
	int rc;

	if (len < AL_HDR)
		return -1;
	for (q = al_get16(pkt + 4); q > 0; q--) {
		if (al_msg_skip_name(pkt, len, &off) < 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	counts[0] = al_get16(pkt + 6);
	counts[1] = al_get16(pkt + 8);
	counts[2] = al_get16(pkt + 10);
	for (s = 0; s < 3; s++)
		for (i = 0; i < counts[s]; i++) {
			struct al_rr rr = { .section = (int)s + 1, .owner_off = off };
			if (al_msg_skip_name(pkt, len, &off) < 0 || off + 10 > len)
				return -1;
			rr.type = al_get16(pkt + off);
			rr.klass = al_get16(pkt + off + 2);
			rr.ttl_off = off + 4;
			rr.ttl = al_get32(pkt + off + 4);
			rr.rdlen = al_get16(pkt + off + 8);
			rr.rdata_off = off + 10;
			off += 10u + rr.rdlen;
			if (off > len)
				return -1;
			if (fn && (rc = fn(pkt, &rr, arg)) != 0)
				return rc;
		}
	return 0;
}

int al_msg_name_to_text(const uint8_t *name, char *out, size_t outlen)
{
	size_t o = 0, i;

	if (outlen < 2)
		return -1;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (*name) {
		uint8_t l = *name++;
		for (i = 0; i < l; i++, name++) {
			uint8_t ch = *name;
			if (o + 5 >= outlen)
				return -1;
			if (ch == '.' || ch == '\\') {
				out[o++] = '\\';
				out[o++] = (char)ch;
			} else if (ch <= ' ' || ch >= 0x7f) {
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", ch);
			} else {
				out[o++] = (char)ch;
			}
		}
		if (o + 2 >= outlen)
			return -1;
		out[o++] = '.';
	}
	out[o] = '\0';
	return (int)o;
}

int al_msg_name_from_text(const char *text, uint8_t *out, size_t outlen)
{
	size_t o = 0, n = 0; /* the current label's length byte, and its bytes so far */
	const char *p = text;

	if (outlen > AL_MAX_NAME)
		outlen = AL_MAX_NAME;
	if (outlen < 1)
		return -1;
	if (!strcmp(text, ".")) {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		unsigned ch = (unsigned char)*p++;

		if (ch == '.') {
			if (!n)
				return -1; /* an empty label */
			out[o] = (uint8_t)n;
			o += n + 1;
			n = 0;
			continue;
		}
		if (ch == '\\') {
			if (p[0] >= '0' && p[0] <= '9') {
				/* \DDD: three digits, at most 255 ("\2x" means nothing) */
				if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
					return -1;
				ch = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
				p += 3;
				if (ch > 255)
					return -1;
			} else if (*p) {
				ch = (unsigned char)*p++;
			} else {
				return -1;
			}
		}
		if (n == 63 || o + n + 2 >= outlen)
			return -1;
		out[o + 1 + n++] = al_msg_lower((uint8_t)ch);
	}
	if (n) {
		out[o] = (uint8_t)n;
		o += n + 1;
	}
	if (o >= outlen)
		return -1;
	out[o] = 0;
	return (int)o + 1;
}
