/* A small blocking DNS client for the operator's tools (`airlock
 * leak-test`): one question to one server over UDP (TCP on truncation, or
 * when asked), from a chosen source address, with a deadline; and a bare
 * TCP connect, to see whether a port answers at all.  Never used by the
 * daemon. */
#ifndef AIRLOCK_DNSCLIENT_H
#define AIRLOCK_DNSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "airlock/addr.h"
#include "airlock/err.h"
#include "airlock/msg.h"

#define AL_DNSCLIENT_ANSWERS 16

/* An A, AAAA or CNAME record of the answer section. */
struct al_dnsanswer {
	uint16_t type;  /* AL_TYPE_A, AL_TYPE_AAAA or AL_TYPE_CNAME */
	char text[300]; /* for people: "A 10.0.2.10", "CNAME x.privatelink..." */
};

struct al_dnsreply {
	int rcode;
	unsigned nanswers; /* A, AAAA and CNAME records, in reply order */
	struct al_dnsanswer answers[AL_DNSCLIENT_ANSWERS];
	uint8_t msg[AL_MAX_MSG];
	size_t len;
};

/* Asks server (address and port) for name/qtype, from source when not NULL.
 * Returns 0 with *out filled, -ETIMEDOUT when no reply came before
 * timeout_ms, -ECONNREFUSED when the port refused, another -errno (err says
 * what), or -EPROTO for a reply that does not parse or answer the question. */
int al_dnsclient_query(const struct sockaddr_storage *server, const struct al_ip *source, const char *name,
		       uint16_t qtype, bool tcp, unsigned timeout_ms, struct al_dnsreply *out, struct al_err *err);

/* Whether a TCP connection to server opens within timeout_ms: 0 yes,
 * -ETIMEDOUT, -ECONNREFUSED, -ENETUNREACH, ... */
int al_dnsclient_connect(const struct sockaddr_storage *server, const struct al_ip *source, unsigned timeout_ms);

#endif
