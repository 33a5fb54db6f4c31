/* The operator tools' DNS client on loopback: a reply with another ID is
 * ignored and the right one parsed (rcode, A and CNAME answers), a closed
 * port is "refused", a silent one times out on time, a TCP connect to a
 * listening port succeeds and to a closed one is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "airlock/dnsclient.h"
#include "reply.h"

struct responder {
	int fd;
	int rcode;
};

/* Answers one query: first with a wrong ID, then properly. */
static void *respond(void *arg)
{
	struct responder *r = arg;
	static const char *const rrs[] = { "AN x.example. 60 IN CNAME y.example.", "AN y.example. 60 IN A 10.0.2.10", NULL };
	uint8_t q[512], out[512];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n = recvfrom(r->fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &plen);
	size_t len;

	if (n < 12)
		return NULL;
	len = test_reply(out, sizeof(out), (uint16_t)(al_get16(q) + 1), "x.example.", AL_TYPE_A, r->rcode, 0, rrs);
	sendto(r->fd, out, len, 0, (struct sockaddr *)&peer, plen);
	len = test_reply(out, sizeof(out), al_get16(q), "x.example.", AL_TYPE_A, r->rcode, 0, rrs);
	sendto(r->fd, out, len, 0, (struct sockaddr *)&peer, plen);
	return NULL;
}

static int bound(int type, struct sockaddr_storage *sa)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	socklen_t len = sizeof(*in);
	int fd = socket(AF_INET, type, 0);

	memset(sa, 0, sizeof(*sa));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(0x7f000001);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)in, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)in, &len), 0);
	return fd;
}

static void test_dnsclient_parses_the_matching_reply(void **state)
{
	struct responder r;
	struct sockaddr_storage sa;
	struct al_dnsreply out;
	struct al_err err;
	pthread_t th;

	(void)state;
	r.fd = bound(SOCK_DGRAM, &sa);
	r.rcode = 0;
	pthread_create(&th, NULL, respond, &r);
	assert_int_equal(al_dnsclient_query(&sa, NULL, "x.example", AL_TYPE_A, false, 2000, &out, &err), 0);
	pthread_join(th, NULL);
	close(r.fd);
	assert_int_equal(out.rcode, 0);
	assert_int_equal(out.nanswers, 2);
	assert_string_equal(out.answers[0].text, "CNAME y.example.");
	assert_int_equal(out.answers[0].type, AL_TYPE_CNAME);
	assert_string_equal(out.answers[1].text, "A 10.0.2.10");
	assert_int_equal(out.answers[1].type, AL_TYPE_A);
}

static void test_dnsclient_refused_and_timeout(void **state)
{
	struct sockaddr_storage sa;
	struct al_dnsreply out;
	struct al_err err;
	struct timespec t0, t1;
	long ms;
	int fd;

	(void)state;
	/* A port nobody listens on: the kernel refuses. */
	fd = bound(SOCK_DGRAM, &sa);
	close(fd);
	assert_int_equal(al_dnsclient_query(&sa, NULL, "x.example", AL_TYPE_A, false, 2000, &out, &err), -ECONNREFUSED);
	assert_int_equal(al_dnsclient_connect(&sa, NULL, 2000), -ECONNREFUSED);
	/* A port that listens and never answers: the deadline. */
	fd = bound(SOCK_DGRAM, &sa);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(al_dnsclient_query(&sa, NULL, "x.example", AL_TYPE_A, false, 300, &out, &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 290 && ms < 2000);
	close(fd);
	/* TCP: a listening port connects. */
	fd = bound(SOCK_STREAM, &sa);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(al_dnsclient_connect(&sa, NULL, 2000), 0);
	close(fd);
	assert_int_equal(al_dnsclient_query(&sa, NULL, "bad..name", AL_TYPE_A, false, 100, &out, &err), -EINVAL);
	assert_string_equal(err.msg, "\"bad..name\" is not a DNS name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsclient_parses_the_matching_reply),
		cmocka_unit_test(test_dnsclient_refused_and_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
