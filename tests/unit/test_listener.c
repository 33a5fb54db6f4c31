/* The DNS listener on a real loopback TCP socket: a query is answered,
 * and an accept that finds no memory is tried again instead of leaving
 * the socket deaf (libuv polls a listening socket again only once its
 * pending connection is accepted).  Linked with -Wl,--wrap=calloc so that
 * the test can make the listener's next allocation fail. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "airlock/config.h"
#include "airlock/listener.h"
#include "airlock/stats.h"
#include "port.h"

static int fail_callocs; /* callocs still to fail */

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_callocs > 0) {
		fail_callocs--;
		return NULL;
	}
	return __real_calloc(n, size);
}

/* Answers every query with its own bytes, QR set. */
static void echo(void *arg, struct al_client *c, const uint8_t *pkt, size_t len)
{
	uint8_t out[512];

	(void)arg;
	assert_true(len <= sizeof(out));
	memcpy(out, pkt, len);
	out[2] |= 0x80;
	al_client_reply(c, out, len);
}

/* One query over TCP to port, loop run meanwhile for up to ms; returns
 * the bytes of the reply read (0: none). */
static size_t ask(uv_loop_t *loop, uint16_t port, uint16_t id, int ms)
{
	/* Length 17, ID, RD, one question: "a." A IN. */
	uint8_t q[19] = { 0, 17, (uint8_t)(id >> 8), (uint8_t)id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			  1, 'a', 0, 0, 1 };
	uint8_t tail[2] = { 0, 1 }, reply[64];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), i;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, q, sizeof(q)), (ssize_t)sizeof(q));
	assert_int_equal(write(fd, tail, sizeof(tail)), (ssize_t)sizeof(tail));
	for (i = 0; i < ms / 5 && got < 19; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		uv_run(loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 5) <= 0)
			continue;
		if ((n = read(fd, reply + got, sizeof(reply) - got)) <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got >= 4) /* the reply's ID and QR */
		assert_true(reply[2] == (uint8_t)(id >> 8) && reply[3] == (uint8_t)id && (reply[4] & 0x80));
	return got;
}

static void test_listener_serves_after_an_accept_without_memory(void **state)
{
	struct al_listener *l = NULL;
	struct al_config *cfg = NULL;
	struct al_stats stats;
	struct al_err err;
	uv_loop_t loop;
	char text[512];

	(void)state;
	memset(&stats, 0, sizeof(stats));
	snprintf(text, sizeof(text),
		 "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": %u}],"
		 " \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 9}],"
		 " \"zones\": [{\"name\": \"z\", \"cidrs\": [\"127.0.0.0/8\"]}]}", test_free_port());
	assert_int_equal(al_config_parse(text, "listener.json", &cfg, &err), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(al_listener_new(&loop, cfg, echo, NULL, &stats, &l, &err), 0);
	assert_int_equal(al_listener_start(l), 0);
	assert_int_equal(ask(&loop, cfg->listen[0].port, 0x1234, 2000), 19);
	/* The next connection's state cannot be allocated: it waits in the
	 * backlog and is taken 100 ms later. */
	fail_callocs = 1;
	assert_int_equal(ask(&loop, cfg->listen[0].port, 0x2345, 2000), 19);
	assert_int_equal(fail_callocs, 0);
	assert_int_equal(ask(&loop, cfg->listen[0].port, 0x3456, 2000), 19);
	assert_int_equal(stats.tcp_accepted, 3);
	al_listener_stop(l);
	al_listener_close(l);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	al_listener_free(l);
	assert_int_equal(uv_loop_close(&loop), 0);
	al_config_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_serves_after_an_accept_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
