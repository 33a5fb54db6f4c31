/* Accepting again later.  libuv starts listening on a stream again only
 * once its pending connection is accepted; a connection callback that
 * could not accept (no memory for the connection) would leave the socket
 * deaf for good.  It asks for its callback to run again a little later
 * instead.  Used by the DNS listener, /metrics and the control socket. */
#ifndef AIRLOCK_ACCEPT_H
#define AIRLOCK_ACCEPT_H

#include <uv.h>

#define AL_ACCEPT_RETRY_MS 100

struct al_accept_retry {
	uv_timer_t timer;
	uv_stream_t *server;
	uv_connection_cb cb;
};

/* For server, whose connection callback is cb. */
void al_accept_retry_init(struct al_accept_retry *r, uv_loop_t *loop, uv_stream_t *server,
			  uv_connection_cb cb);
/* cb(server, 0) runs once, AL_ACCEPT_RETRY_MS from now. */
void al_accept_retry_later(struct al_accept_retry *r);
/* Closes the timer (with the server); close_cb, if any, then gets a
 * handle whose data is data. */
void al_accept_retry_close(struct al_accept_retry *r, uv_close_cb close_cb, void *data);

#endif
