/* The /metrics HTTP server on a real loopback socket: a request is
 * answered, and an accept that finds no memory is tried again instead of
 * leaving the listener deaf (libuv polls the listening socket again only
 * once the pending connection is accepted).  The test is linked with
 * -Wl,--wrap=calloc,--wrap=malloc so that it can make the server's next
 * allocations fail. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "airlock/httpd.h"
#include "port.h"

/* Allocations that fail, counted down by the wrappers. */
static int fail_callocs, fail_mallocs;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_callocs > 0) {
		fail_callocs--;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *__wrap_malloc(size_t size)
{
	if (fail_mallocs > 0) {
		fail_mallocs--;
		return NULL;
	}
	return __real_malloc(size);
}

static int body(void *arg, char **out, size_t *len)
{
	(void)arg;
	if (!(*out = __real_malloc(6)))
		return -ENOMEM;
	memcpy(*out, "hello\n", 6);
	*len = 6;
	return 0;
}

/* Sends a GET of /metrics to port and runs loop until the reply is
 * complete or ms pass; returns what arrived (static). */
static const char *get(uv_loop_t *loop, uint16_t port, int ms)
{
	static char reply[1024];
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), i;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0); /* the backlog takes it */
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	for (i = 0; i < ms / 5; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		uv_run(loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 5) <= 0)
			continue;
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n <= 0)
			break; /* the server closed: the reply is whole */
		got += (size_t)n;
	}
	close(fd);
	reply[got] = 0;
	return reply;
}

static void test_httpd_serves_after_an_accept_without_memory(void **state)
{
	struct al_httpd *h = NULL;
	struct al_err err;
	struct al_ip ip;
	uv_loop_t loop;
	uint16_t port = test_free_port();
	const char *r;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(al_ip_parse("127.0.0.1", &ip), 0);
	assert_int_equal(al_httpd_new(&loop, &ip, port, "/metrics", "text/plain", body, NULL, &h, &err), 0);
	r = get(&loop, port, 2000);
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	assert_non_null(strstr(r, "\r\n\r\nhello\n"));
	/* The next connection's state and the handle to refuse it with both
	 * fail: it waits in the backlog and is taken 100 ms later. */
	fail_callocs = fail_mallocs = 1;
	r = get(&loop, port, 2000);
	assert_int_equal(fail_callocs, 0);
	assert_int_equal(fail_mallocs, 0);
	assert_non_null(strstr(r, "\r\n\r\nhello\n"));
	/* And the listener still takes the ones after. */
	r = get(&loop, port, 2000);
	assert_non_null(strstr(r, "\r\n\r\nhello\n"));
	al_httpd_close(h);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpd_serves_after_an_accept_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
