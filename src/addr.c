/* IP, CIDR and sockaddr helpers shared by the config, zone matching,
 * listeners and the forwarder. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/addr.h"

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Dotted-quad IPv4 as inet_pton reads it (four decimal octets, no leading
 * zeros), without its per-character bookkeeping: the flow monitor parses
 * millions of these. */
static bool parse_ipv4(const char *s, uint8_t out[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v;

		if (*s < '0' || *s > '9')
			return false;
		v = (unsigned)(*s++ - '0');
		if (*s >= '0' && *s <= '9') {
			if (v == 0)
				return false;
			v = v * 10 + (unsigned)(*s++ - '0');
			if (*s >= '0' && *s <= '9')
				v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (v > 255)
			return false;
		out[i] = (uint8_t)v;
		if (*s++ != (i < 3 ? '.' : '\0'))
			return false;
	}
	return true;
}

int al_ip_parse(const char *text, struct al_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_ipv4(text, out->bytes)) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int al_cidr_parse(const char *text, struct al_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int bits, i;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (al_ip_parse(buf, &out->ip) < 0)
		return -EINVAL;
	bits = addr_len(out->ip.family) * 8;
	if (slash) {
		char *end;
		long p;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		p = strtol(slash + 1, &end, 10);
		if (*end != '\0' || p < 0 || p > bits)
			return -EINVAL;
		out->prefix = (int)p;
	} else {
		out->prefix = bits;
	}
	/* Host bits must be zero: "10.0.3.7/24" is almost always a typo. */
	for (i = out->prefix; i < bits; i++)
		if (out->ip.bytes[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return 0;
}

bool al_cidr_contains(const struct al_cidr *cidr, const struct al_ip *ip)
{
	int full = cidr->prefix / 8, rest = cidr->prefix % 8;

	if (cidr->ip.family != ip->family)
		return false;
	if (memcmp(cidr->ip.bytes, ip->bytes, (size_t)full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((cidr->ip.bytes[full] & mask) != (ip->bytes[full] & mask))
			return false;
	}
	return true;
}

bool al_cidr_covers(const struct al_cidr *outer, const struct al_cidr *inner)
{
	return outer->prefix <= inner->prefix && al_cidr_contains(outer, &inner->ip);
}

bool al_ip_equal(const struct al_ip *a, const struct al_ip *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, (size_t)addr_len(a->family)) == 0;
}

bool al_ip_unmap(struct al_ip *ip)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ip->family != AF_INET6 || memcmp(ip->bytes, mapped, sizeof(mapped)) != 0)
		return false;
	memmove(ip->bytes, ip->bytes + 12, 4);
	memset(ip->bytes + 4, 0, 12);
	ip->family = AF_INET;
	return true;
}

int al_ip_from_sockaddr(const struct sockaddr *sa, struct al_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->bytes, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->bytes, in6->sin6_addr.s6_addr, 16);
		al_ip_unmap(out);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int al_sockaddr_make(const struct al_ip *ip, uint16_t port,
		     struct sockaddr_storage *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	if (ip->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, ip->bytes, 4);
		*len = sizeof(*in);
		return 0;
	}
	if (ip->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, ip->bytes, 16);
		*len = sizeof(*in6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

uint16_t al_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

bool al_sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	struct al_ip ia, ib;

	if (al_ip_from_sockaddr(a, &ia) < 0 || al_ip_from_sockaddr(b, &ib) < 0)
		return false;
	return al_ip_equal(&ia, &ib) && al_sockaddr_port(a) == al_sockaddr_port(b);
}

/* Dotted quad by hand: glibc's inet_ntop goes through sprintf, which was
 * a tenth of the query log writer's time for a client and an A answer
 * per row. */
static void format4(const uint8_t *b, char *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

const char *al_ip_format(const struct al_ip *ip, char *buf, size_t len)
{
	if (ip->family == AF_INET && len >= INET_ADDRSTRLEN) {
		format4(ip->bytes, buf);
		return buf;
	}
	if (!inet_ntop(ip->family, ip->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *al_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	struct al_ip ip;
	char host[INET6_ADDRSTRLEN];

	if (al_ip_from_sockaddr(sa, &ip) < 0) {
		snprintf(buf, len, "?");
		return buf;
	}
	al_ip_format(&ip, host, sizeof(host));
	snprintf(buf, len, ip.family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 (unsigned)al_sockaddr_port(sa));
	return buf;
}
