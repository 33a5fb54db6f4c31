/* The client query path: any packet, from a client in any zone, over UDP
 * or TCP, through the whole pipeline (parse, zone, policy and lists,
 * guard, new domains, local data, cache, forwarder, rebinding and private
 * answer checks, reply).  The query's ID picks the client: its low 3 bits
 * the zone (enum rig_zone), bit 3 TCP, bits 4-5 what the upstream answers
 * (a private, public or internal address, or NXDOMAIN).  The same query
 * is then asked again with another ID, to be served from cache.
 * Asserts rig_check_reply for both replies. */
#include <string.h>

#include "fuzz.h"
#include "rig.h"

/* The upstream's answer to its question u (n bytes) into out. */
static size_t upstream_answer(const uint8_t *u, size_t n, unsigned choice, uint8_t *out)
{
	static const uint8_t addrs[3][4] = { { 10, 0, 2, 5 }, { 93, 184, 216, 34 }, { 127, 0, 0, 1 } };
	static const uint32_t ttls[4] = { 300, 0x7fffffff, 0, 86400 };
	struct al_query q;
	size_t off;

	if (al_msg_parse_query(u, n, &q) != 0)
		return 0;
	memcpy(out, u, q.question_end);
	al_put16(out + 2, AL_FLAG_QR | AL_FLAG_RD | AL_FLAG_RA);
	al_put16(out + 6, 0);
	al_put16(out + 8, 0);
	al_put16(out + 10, 0);
	off = q.question_end;
	if (choice < 3 && (q.qtype == AL_TYPE_A || q.qtype == AL_TYPE_AAAA)) {
		al_put16(out + 6, 1);
		al_put16(out + off, 0xc00c);
		al_put16(out + off + 2, q.qtype);
		al_put16(out + off + 4, 1);
		al_put32(out + off + 6, ttls[choice]);
		off += 10;
		if (q.qtype == AL_TYPE_A) {
			al_put16(out + off, 4);
			memcpy(out + off + 2, addrs[choice], 4);
			off += 6;
		} else {
			al_put16(out + off, 16);
			memset(out + off + 2, 0, 16);
			if (choice == 0)
				out[off + 2] = 0xfd; /* fd00::1 */
			else if (choice == 1)
				out[off + 2] = 0x20; /* 2000::1 */
			out[off + 17] = 1;   /* ::1 */
			off += 18;
		}
		return off;
	}
	/* NXDOMAIN (choice 3) or NODATA, with the root's SOA. */
	if (choice == 3)
		out[3] |= AL_RCODE_NXDOMAIN;
	al_put16(out + 8, 1);
	out[off] = 0;
	al_put16(out + off + 1, AL_TYPE_SOA);
	al_put16(out + off + 3, 1);
	al_put32(out + off + 5, ttls[choice]);
	al_put16(out + off + 9, 22);
	off += 11;
	out[off++] = 0; /* mname . */
	out[off++] = 0; /* rname . */
	memset(out + off, 0, 20);
	al_put32(out + off + 16, 60); /* minimum */
	return off + 20;
}

/* Answers what goes upstream until the client has its reply. */
static void settle(struct rig_reply *r, unsigned choice)
{
	uint8_t u[AL_MAX_MSG], a[AL_MAX_MSG];
	size_t n, an;
	int i;

	for (i = 0; i < 1000 && r->replies + r->releases == 0; i++) {
		if ((n = rig_upstream_read(u, sizeof(u))) > 0) {
			if ((an = upstream_answer(u, n, choice, a)) > 0)
				rig_upstream_send(a, an);
			rig_run(false);
		} else {
			rig_run(true);
		}
	}
}

FUZZ_TARGET(fuzz_query)
{
	static struct rig_reply r;
	static uint8_t again[AL_MAX_MSG];
	uint16_t id = size >= 2 ? al_get16(data) : 0;
	enum rig_zone z = (enum rig_zone)(id & 7);
	bool tcp = (id & 8) != 0;
	unsigned choice = (id >> 4) & 3;

	if (size > AL_MAX_MSG)
		return 0;
	rig_start();
	rig_query(z, tcp, data, size, &r);
	settle(&r, choice);
	rig_check_reply(z, tcp, data, size, &r);
	if (r.replies && size >= AL_HDR) {
		memcpy(again, data, size);
		al_put16(again, (uint16_t)(id ^ 0xa5a0));
		rig_query(z, tcp, again, size, &r);
		settle(&r, choice);
		rig_check_reply(z, tcp, again, size, &r);
	}
	rig_stop();
	return 0;
}
