/* A minimal HTTP/1.x server on a libuv loop, for one read-only resource
 * (/metrics).  One request per connection, answered with Connection:
 * close.  Bounded: a request head of at most AL_HTTPD_MAX_REQUEST bytes,
 * AL_HTTPD_MAX_CONNS connections at once (more are closed at accept), and
 * AL_HTTPD_IDLE_MS for a client to send its request. */
#ifndef AIRLOCK_HTTPD_H
#define AIRLOCK_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "airlock/addr.h"
#include "airlock/err.h"

#define AL_HTTPD_MAX_REQUEST 4096
#define AL_HTTPD_MAX_CONNS 16
#define AL_HTTPD_IDLE_MS 10000

struct al_httpd;

/* Makes the body of a GET of the resource: a malloc'd *body of *len bytes
 * that the server frees.  0 or -errno (the client gets 500). */
typedef int (*al_httpd_fn)(void *arg, char **body, size_t *len);

/* Listens on ip:port; GET (or HEAD) of path gets 200 with content_type
 * and fn's body, another path 404, another method 405, a bad request 400,
 * one too large 431.  Errors (address in use, ...) name the address. */
int al_httpd_new(uv_loop_t *loop, const struct al_ip *ip, uint16_t port, const char *path,
		 const char *content_type, al_httpd_fn fn, void *arg, struct al_httpd **out,
		 struct al_err *err);
/* Closes the listener and every connection; the memory goes once the
 * loop has run their close callbacks, so the loop's uv_run can return. */
void al_httpd_close(struct al_httpd *h);

#endif
