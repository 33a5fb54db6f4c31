/* A small blocking DNS client for the operator's tools: see dnsclient.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "airlock/dnsclient.h"
#include "airlock/rand.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket of server's family, bound to source when given, non-blocking. */
static int open_socket(const struct sockaddr_storage *server, const struct al_ip *source, int type)
{
	struct sockaddr_storage src;
	socklen_t slen;
	int fd = socket(server->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (source) {
		if (al_sockaddr_make(source, 0, &src, &slen) < 0 || bind(fd, (struct sockaddr *)&src, slen) < 0) {
			int rc = errno ? -errno : -EINVAL;
			close(fd);
			return rc;
		}
	}
	return fd;
}

static socklen_t addr_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Waits for events on fd until the deadline: 0 ready, -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_by(int fd, const struct sockaddr_storage *server, int64_t deadline)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	int rc;

	if (connect(fd, (const struct sockaddr *)server, addr_len(server)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
		return rc;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return soerr ? -soerr : 0;
}

int al_dnsclient_connect(const struct sockaddr_storage *server, const struct al_ip *source, unsigned timeout_ms)
{
	int fd = open_socket(server, source, SOCK_STREAM), rc;

	if (fd < 0)
		return fd;
	rc = connect_by(fd, server, now_ms() + timeout_ms);
	close(fd);
	return rc;
}

/* The question for name/qtype with id, RD set and an EDNS OPT of 1232. */
static size_t build_query(uint8_t *out, size_t cap, uint16_t id, const uint8_t *wire, size_t wlen, uint16_t qtype)
{
	size_t off = 12 + wlen + 4;

	if (off > cap)
		return 0;
	memset(out, 0, 12);
	al_put16(out, id);
	al_put16(out + 2, 0x0100); /* RD */
	al_put16(out + 4, 1);
	memcpy(out + 12, wire, wlen);
	al_put16(out + 12 + wlen, qtype);
	al_put16(out + 14 + wlen, 1);
	off = al_msg_put_opt(out, off, cap, 1232, 0, false);
	if (off)
		al_put16(out + 10, 1);
	return off;
}

static int show_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct al_dnsreply *r = arg;
	uint8_t wire[AL_MAX_NAME];
	char text[sizeof(r->answers[0].text) - 8];
	size_t off = rr->rdata_off;
	char *slot;

	if (rr->section != 1)
		return 1;
	if (r->nanswers >= AL_DNSCLIENT_ANSWERS)
		return 0;
	slot = r->answers[r->nanswers].text;
	if (rr->type == AL_TYPE_A && rr->rdlen == 4) {
		strcpy(slot, "A ");
		inet_ntop(AF_INET, pkt + rr->rdata_off, slot + 2, 64);
	} else if (rr->type == AL_TYPE_AAAA && rr->rdlen == 16) {
		strcpy(slot, "AAAA ");
		inet_ntop(AF_INET6, pkt + rr->rdata_off, slot + 5, 64);
	} else if (rr->type == AL_TYPE_CNAME && al_msg_read_name(pkt, rr->rdata_off + rr->rdlen, &off, wire) >= 0 &&
		   al_msg_name_to_text(wire, text, sizeof(text)) >= 0) {
		snprintf(slot, sizeof(r->answers[0].text), "CNAME %s", text);
	} else {
		return 0;
	}
	r->answers[r->nanswers++].type = rr->type;
	return 0;
}

/* The reply in r->msg: its ID and question must be ours. */
static int check_reply(struct al_dnsreply *r, uint16_t id, const uint8_t *wire, size_t wlen, uint16_t qtype)
{
	uint8_t qname[AL_MAX_NAME];
	size_t off = 12;
	int n;

	if (r->len < 12 || al_get16(r->msg) != id || !(r->msg[2] & 0x80) || al_get16(r->msg + 4) != 1)
		return -EPROTO;
	if ((n = al_msg_read_name(r->msg, r->len, &off, qname)) < 0 || (size_t)n != wlen ||
	    memcmp(qname, wire, wlen) || off + 4 > r->len || al_get16(r->msg + off) != qtype)
		return -EPROTO;
	r->rcode = r->msg[3] & 0xf;
	r->nanswers = 0;
	if (al_msg_walk(r->msg, r->len, show_rr, r) < 0)
		return -EPROTO;
	return 0;
}

static int ask_udp(const struct sockaddr_storage *server, const struct al_ip *source, const uint8_t *q, size_t qlen,
		   int64_t deadline, struct al_dnsreply *out, uint16_t id, const uint8_t *wire, size_t wlen,
		   uint16_t qtype)
{
	int fd = open_socket(server, source, SOCK_DGRAM), rc;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)server, addr_len(server)) < 0 || send(fd, q, qlen, 0) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
			break;
		if ((n = recv(fd, out->msg, sizeof(out->msg), 0)) < 0) {
			rc = errno == EAGAIN ? 0 : -errno;
			if (rc < 0)
				break;
			continue;
		}
		out->len = (size_t)n;
		if ((rc = check_reply(out, id, wire, wlen, qtype)) == 0)
			break; /* a reply that is not ours: keep waiting */
	}
	close(fd);
	return rc;
}

static int read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len) {
		if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
			return rc;
		n = recv(fd, buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static int ask_tcp(const struct sockaddr_storage *server, const struct al_ip *source, const uint8_t *q, size_t qlen,
		   int64_t deadline, struct al_dnsreply *out, uint16_t id, const uint8_t *wire, size_t wlen,
		   uint16_t qtype)
{
	uint8_t buf[2 + AL_MAX_MSG];
	int fd = open_socket(server, source, SOCK_STREAM), rc;

	if (fd < 0)
		return fd;
	al_put16(buf, (uint16_t)qlen);
	memcpy(buf + 2, q, qlen);
	if ((rc = connect_by(fd, server, deadline)) == 0 &&
	    (send(fd, buf, qlen + 2, MSG_NOSIGNAL) == (ssize_t)(qlen + 2) || (rc = -errno) == 0) &&
	    (rc = read_full(fd, buf, 2, deadline)) == 0) {
		out->len = al_get16(buf);
		if ((rc = read_full(fd, out->msg, out->len, deadline)) == 0)
			rc = check_reply(out, id, wire, wlen, qtype);
	}
	close(fd);
	return rc;
}

int al_dnsclient_query(const struct sockaddr_storage *server, const struct al_ip *source, const char *name,
		       uint16_t qtype, bool tcp, unsigned timeout_ms, struct al_dnsreply *out, struct al_err *err)
{
	uint8_t wire[AL_MAX_NAME], q[512];
	int64_t deadline = now_ms() + timeout_ms;
	uint16_t id = (uint16_t)al_rand64();
	int wlen = al_msg_name_from_text(name, wire, sizeof(wire)), rc;
	size_t qlen;

	memset(out, 0, sizeof(*out));
	if (wlen < 0)
		return al_err_set(err, "\"%.80s\" is not a DNS name", name), -EINVAL;
	if (!(qlen = build_query(q, sizeof(q), id, wire, (size_t)wlen, qtype)))
		return al_err_set(err, "\"%.80s\": query too long", name), -EINVAL;
	rc = tcp ? ask_tcp(server, source, q, qlen, deadline, out, id, wire, (size_t)wlen, qtype)
		 : ask_udp(server, source, q, qlen, deadline, out, id, wire, (size_t)wlen, qtype);
	if (rc == 0 && !tcp && (out->msg[2] & 0x02)) /* truncated: again over TCP */
		rc = ask_tcp(server, source, q, qlen, deadline, out, id, wire, (size_t)wlen, qtype);
	if (rc < 0 && rc != -ETIMEDOUT && rc != -ECONNREFUSED && rc != -EPROTO)
		al_err_set(err, "%s", strerror(-rc));
	return rc;
}
