/* IP addresses, CIDR prefixes and socket addresses: parsing, matching and
 * printing, for IPv4 and IPv6 alike. */
#ifndef AIRLOCK_ADDR_H
#define AIRLOCK_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

#define AL_ADDRSTRLEN 64 /* "[ffff:...:ffff]:65535" fits */

struct al_ip {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct al_cidr {
	struct al_ip ip; /* host bits cleared */
	int prefix;
};

/* "10.0.3.0/24", "fd00::/8", or a bare address (full-length prefix).
 * Returns 0 or -EINVAL. Host bits set below the prefix are an error. */
int al_cidr_parse(const char *text, struct al_cidr *out);
int al_ip_parse(const char *text, struct al_ip *out);
bool al_cidr_contains(const struct al_cidr *cidr, const struct al_ip *ip);
/* Every address of inner is in outer. */
bool al_cidr_covers(const struct al_cidr *outer, const struct al_cidr *inner);
bool al_ip_equal(const struct al_ip *a, const struct al_ip *b);
/* An IPv4-mapped IPv6 address (::ffff:192.0.2.7) becomes the IPv4 one;
 * returns whether it was one. */
bool al_ip_unmap(struct al_ip *ip);

/* sockaddr <-> al_ip; IPv4-mapped IPv6 client addresses become IPv4. */
int al_ip_from_sockaddr(const struct sockaddr *sa, struct al_ip *out);
int al_sockaddr_make(const struct al_ip *ip, uint16_t port,
		     struct sockaddr_storage *out, socklen_t *len);
uint16_t al_sockaddr_port(const struct sockaddr *sa);
bool al_sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* "127.0.0.1:53" or "[::1]:53" into buf; returns buf. */
const char *al_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);
const char *al_ip_format(const struct al_ip *ip, char *buf, size_t len);

#endif
