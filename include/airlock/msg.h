/* DNS messages on the wire: reading a client query (header, question,
 * EDNS0), building short replies, and walking resource records. */
#ifndef AIRLOCK_MSG_H
#define AIRLOCK_MSG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define AL_MAX_NAME 255
/* A name in presentation form (al_msg_name_to_text) with its NUL: a \DDD
 * escape takes 4 characters a wire byte. */
#define AL_MAX_NAME_TEXT (AL_MAX_NAME * 4)
#define AL_HDR 12
#define AL_MAX_MSG 65535

enum {
	AL_RCODE_NOERROR = 0,
	AL_RCODE_FORMERR = 1,
	AL_RCODE_SERVFAIL = 2,
	AL_RCODE_NXDOMAIN = 3,
	AL_RCODE_NOTIMP = 4,
	AL_RCODE_REFUSED = 5,
	AL_RCODE_BADVERS = 16, /* extended: upper 8 bits travel in OPT */
};
/* A byte of a name in lower case: DNS compares names in ASCII case only. */
static inline uint8_t al_msg_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* "NOERROR" ... "NOTZONE" for rcodes 0-10, NULL for any other. */
const char *al_msg_rcode_name(int rcode);
/* The same for any rcode: its name, or "RCODE%d" written into buf. */
const char *al_msg_rcode_text(int rcode, char *buf, size_t len);

enum {
	AL_TYPE_A = 1, AL_TYPE_NS = 2, AL_TYPE_CNAME = 5, AL_TYPE_SOA = 6,
	AL_TYPE_PTR = 12, AL_TYPE_MX = 15, AL_TYPE_AAAA = 28, AL_TYPE_SRV = 33,
	AL_TYPE_DNAME = 39, AL_TYPE_OPT = 41, AL_TYPE_RRSIG = 46, AL_TYPE_NSEC = 47,
	AL_TYPE_NSEC3 = 50, AL_TYPE_IXFR = 251, AL_TYPE_AXFR = 252, AL_TYPE_ANY = 255,
};

/* Header flag bits (the 16-bit flags word). */
#define AL_FLAG_QR 0x8000u
#define AL_FLAG_AA 0x0400u
#define AL_FLAG_TC 0x0200u
#define AL_FLAG_RD 0x0100u
#define AL_FLAG_RA 0x0080u
#define AL_FLAG_AD 0x0020u
#define AL_FLAG_CD 0x0010u
#define AL_OPCODE(flags) (((flags) >> 11) & 0xf)

struct al_query {
	uint16_t id;
	uint16_t flags;
	uint8_t qname[AL_MAX_NAME]; /* wire form as the client sent it */
	uint8_t qname_lc[AL_MAX_NAME]; /* lower-cased, for keys */
	size_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question */

	bool edns;
	uint8_t edns_version;
	bool do_bit;
	uint16_t udp_size; /* client's advertised size, >= 512 */
};

/* Reads a query.  Returns 0, or the rcode the client should get
 * (FORMERR, NOTIMP, BADVERS) with as much of q filled as was readable, or -1
 * when the packet does not deserve an answer (too short for a header, or a
 * response). */
int al_msg_parse_query(const uint8_t *pkt, size_t len, struct al_query *q);

/* Header, echoed question (if read) and OPT when the client sent EDNS;
 * returns the length written, 0 if out is too small. */
size_t al_msg_error(const struct al_query *q, int rcode, uint16_t edns_size,
		    uint8_t *out, size_t outlen);

/* Appends an OPT RR (payload size, extended rcode, DO) at out[off]; returns
 * the new length or 0 when it does not fit. */
size_t al_msg_put_opt(uint8_t *out, size_t off, size_t outlen,
		      uint16_t size, int rcode, bool do_bit);

/* Skips a possibly-compressed name starting at *off; returns 0 or -1. */
int al_msg_skip_name(const uint8_t *pkt, size_t len, size_t *off);
/* Reads a name into lower-case uncompressed wire form; returns its length
 * or -1.  *off moves past the name as it sits in the packet. */
int al_msg_read_name(const uint8_t *pkt, size_t len, size_t *off,
		     uint8_t *name);

/* Uncompressed wire name -> presentation form with a trailing dot ("."
 * for the root); bytes outside printable ASCII and the characters . \ are
 * escaped (\DDD, \.).  Returns the length, -1 if out is too small. */
int al_msg_name_to_text(const uint8_t *name, char *out, size_t outlen);
/* Presentation form ("www.Example.com." or without the final dot; \X and
 * \DDD escapes) -> lower-case uncompressed wire form.  Returns the length,
 * -1 for an empty label, a label over 63 or a name over 255 bytes, or an
 * escape that is neither (a digit not followed by two more, over 255, a
 * backslash at the end). */
int al_msg_name_from_text(const char *text, uint8_t *out, size_t outlen);

/* One resource record as seen by al_msg_walk. */
struct al_rr {
	int section; /* 1 answer, 2 authority, 3 additional */
	size_t owner_off, ttl_off, rdata_off;
	uint16_t type, klass, rdlen;
	uint32_t ttl;
};

/* Calls fn for every RR after the question; stops early when fn returns
 * nonzero (and returns that).  Returns -1 on a malformed message. */
int al_msg_walk(const uint8_t *pkt, size_t len,
		int (*fn)(const uint8_t *pkt, const struct al_rr *rr, void *arg),
		void *arg);

static inline uint16_t al_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t al_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static inline void al_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void al_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
