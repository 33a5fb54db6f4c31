/* Answer checks for protected names and rebinding: see verify.h. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "airlock/verify.h"


static bool in_any(const struct al_ip *ip, const struct al_cidr *cidrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (al_cidr_contains(&cidrs[i], ip))
			return true;
	return false;
}

#define V4(a, b, p) { { AF_INET, { a, b } }, p }
#define V6(a, b, p) { { AF_INET6, { a, b } }, p }

/* Addresses that name something inside a network, never a public service. */
static const struct al_cidr internal_nets[] = {
	V4(0, 0, 8),      /* this network */
	V4(10, 0, 8),     /* RFC 1918 */
	V4(100, 64, 10),  /* shared address space (carrier-grade NAT) */
	V4(127, 0, 8),    /* loopback */
	V4(169, 254, 16), /* link-local, cloud metadata */
	V4(172, 16, 12),  /* RFC 1918 */
	V4(192, 168, 16), /* RFC 1918 */
	V6(0, 0, 127),    /* :: and ::1 */
	V6(0xfc, 0, 7),   /* unique local */
	V6(0xfe, 0x80, 10), /* link-local */
};

bool al_ip_is_internal(const struct al_ip *ip)
{
	struct al_ip v4 = *ip;

	if (al_ip_unmap(&v4))
		ip = &v4;
	return in_any(ip, internal_nets, sizeof(internal_nets) / sizeof(internal_nets[0]));
}

/* An A or AAAA record's address, or false for any other record. */
static bool rr_addr(const uint8_t *pkt, const struct al_rr *rr, struct al_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (rr->type == AL_TYPE_A && rr->rdlen == 4)
		ip->family = AF_INET;
	else if (rr->type == AL_TYPE_AAAA && rr->rdlen == 16)
		ip->family = AF_INET6;
	else
		return false;
	memcpy(ip->bytes, pkt + rr->rdata_off, rr->rdlen);
	return true;
}

struct check {
	const struct al_private_rule *rule;
	struct al_verdict *v;
	size_t len;
};

static int fail_with(struct al_verdict *v, const char *why, const char *what)
{
	v->why = why;
	snprintf(v->offending, sizeof(v->offending), "%s", what);
	return 1;
}

static int check_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct check *c = arg;
	uint8_t target[AL_MAX_NAME];
	char text[256];
	struct al_ip ip;
	size_t off;
	int n;

	if (rr->section != 1)
		return 2; /* past the answers: done */
	if (rr_addr(pkt, rr, &ip)) {
		c->v->addrs++;
		if (in_any(&ip, c->rule->cidrs, c->rule->ncidrs) || al_catalog_vip_ok(c->rule->ep, &ip))
			return 0;
		return fail_with(c->v, "address outside the private ranges",
				 al_ip_format(&ip, text, sizeof(text)));
	}
	if (rr->type == AL_TYPE_CNAME) {
		off = rr->rdata_off;
		if ((n = al_msg_read_name(pkt, c->len, &off, target)) < 0)
			return fail_with(c->v, "malformed CNAME", "");
		if (al_catalog_cname_ok(c->rule->ep, target, (size_t)n))
			return 0;
		if (al_msg_name_to_text(target, text, sizeof(text)) < 0)
			text[0] = '\0';
		return fail_with(c->v, "CNAME outside the private zones", text);
	}
	if (rr->type == AL_TYPE_RRSIG)
		return 0;
	if (rr->type == AL_TYPE_A || rr->type == AL_TYPE_AAAA)
		return fail_with(c->v, "malformed address record", "");
	snprintf(text, sizeof(text), "TYPE%u", rr->type);
	return fail_with(c->v, "record type that cannot be checked", text);
}

bool al_verify_private(const uint8_t *reply, size_t len, const struct al_private_rule *rule,
		       struct al_verdict *out)
{
	struct check c = { rule, out, len };

	memset(out, 0, sizeof(*out));
	if (al_msg_walk(reply, len, check_rr, &c) < 0 && !out->why)
		out->why = "malformed reply";
	return out->why == NULL;
}

struct internal {
	char *out;
	size_t outlen;
};

static int find_internal(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct internal *f = arg;
	struct al_ip ip;

	if (rr->section != 1)
		return 2;
	if (!rr_addr(pkt, rr, &ip) || !al_ip_is_internal(&ip))
		return 0;
	al_ip_format(&ip, f->out, f->outlen);
	return 1;
}

bool al_verify_find_internal(const uint8_t *reply, size_t len, char *out, size_t outlen)
{
	struct internal f = { out, outlen };

	return al_msg_walk(reply, len, find_internal, &f) == 1;
}
