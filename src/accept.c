/* Accepting again later: see accept.h. */
#include "airlock/accept.h"

static void on_timer(uv_timer_t *t)
{
	struct al_accept_retry *r = t->data;

	r->cb(r->server, 0);
}

void al_accept_retry_init(struct al_accept_retry *r, uv_loop_t *loop, uv_stream_t *server,
			  uv_connection_cb cb)
{
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->server = server;
	r->cb = cb;
}

void al_accept_retry_later(struct al_accept_retry *r)
{
	uv_timer_start(&r->timer, on_timer, AL_ACCEPT_RETRY_MS, 0);
}

void al_accept_retry_close(struct al_accept_retry *r, uv_close_cb close_cb, void *data)
{
	r->timer.data = data;
	uv_close((uv_handle_t *)&r->timer, close_cb);
}
