/* The forwarder: see upstream.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/dnstap.h"
#include "airlock/log.h"
#include "airlock/metrics.h"
#include "airlock/rand.h"
#include "airlock/scrub.h"
#include "airlock/upstream.h"

struct upstream {
	struct sockaddr_storage sa;
	socklen_t salen;
	uint64_t down_until;
	uint32_t fails;
	bool keep_case; /* "case_randomization": false: the name goes out lower-case */
	bool case_warned; /* told once that it seems not to echo the case */
	int mslot; /* in al_fwd.metrics->ups; AL_METRICS_NO_UPSTREAM: not counted */
};

/* The upstreams one kind of name may be sent to, in order: group 0 is
 * the default list, group i + 1 is forward[i] of the config. */
struct group {
	uint8_t idx[AL_MAX_UPSTREAMS]; /* into al_fwd.ups */
	size_t n;
};

struct al_fwd {
	uv_loop_t *loop;
	struct al_stats *stats;
	struct upstream *ups; /* every distinct upstream of every group */
	size_t nups;
	struct group *groups;
	size_t ngroups;
	unsigned gen; /* al_fwd_configure calls: indexes from before one mean other upstreams */
	uint32_t try_ms, total_ms, holddown_ms;
	uint16_t edns_size;
	size_t pending;
	struct al_metrics *metrics; /* per upstream; NULL: not counted */
	struct al_dnstap *dnstap; /* NULL: no dnstap */
	unsigned dnstap_queue;
	uint8_t rbuf[AL_MAX_MSG];
	uint8_t scrubbed[AL_MAX_MSG]; /* a reply rebuilt by al_scrub_reply */
};

struct udp_try;
struct tcp_try;

struct txn {
	struct al_fwd *fwd;
	al_fwd_cb cb;
	void *arg;
	uint64_t deadline;
	uint64_t tried; /* bit per upstream index */
	unsigned group;
	unsigned gen; /* the forwarder's gen when asked: group and tried index its lists then */
	int up;
	struct sockaddr_storage sa; /* the current try's upstream */
	uint16_t id;
	bool exact_case; /* the current try's name is in random case (0x20) */
	bool case_only;  /* the current try had a reply wrong only in that case */
	uint8_t qname[AL_MAX_NAME]; /* lower-case; the query in wire may differ in case */
	size_t qname_len;
	uint16_t qtype, qclass;
	bool do_bit, cd;
	uint8_t wire[2 + AL_HDR + AL_MAX_NAME + 4 + 11]; /* length prefix + query */
	size_t wlen;
	struct udp_try *udp;
	struct tcp_try *tcp;
	uv_timer_t timer;
	uint64_t try_start; /* when the current try began */
	uint64_t try_ns;    /* when it was sent (uv_hrtime), for the RTT */
	uint64_t try_len;   /* its timeout: shorter than try_ms near the deadline */
	struct timespec sent_at; /* wall clock of the current try's query, for dnstap */
	struct sockaddr_storage local; /* the current try's socket (dnstap) */
};

struct udp_try {
	uv_udp_t h;
	struct txn *t; /* NULL once abandoned */
};

struct tcp_try {
	uv_tcp_t h;
	uv_connect_t conn;
	uv_write_t wr;
	struct txn *t;
	uint8_t *in;
	size_t inlen, incap;
};

static void start_try(struct txn *t);

int al_fwd_new(uv_loop_t *loop, struct al_stats *stats, struct al_fwd **out)
{
	struct al_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->loop = loop;
	f->stats = stats;
	*out = f;
	return 0;
}

/* The index of ep in ups[0..*n), appended (keeping the health it had in
 * the old list, so a reload does not forget a dead upstream) if new. */
static size_t add_upstream(const struct al_fwd *f, struct upstream *ups, size_t *n,
			   const struct al_endpoint *ep)
{
	struct upstream u;
	size_t i;

	memset(&u, 0, sizeof(u));
	al_sockaddr_make(&ep->ip, ep->port, &u.sa, &u.salen);
	for (i = 0; i < *n; i++)
		if (al_sockaddr_equal((struct sockaddr *)&ups[i].sa, (struct sockaddr *)&u.sa)) {
			ups[i].keep_case |= ep->keep_case; /* one entry saying off is enough */
			return i;
		}
	u.keep_case = ep->keep_case;
	for (i = 0; i < f->nups; i++)
		if (al_sockaddr_equal((struct sockaddr *)&f->ups[i].sa, (struct sockaddr *)&u.sa)) {
			u.down_until = f->ups[i].down_until;
			u.fails = f->ups[i].fails;
		}
	u.mslot = f->metrics ? al_metrics_upstream(f->metrics, (struct sockaddr *)&u.sa)
			     : AL_METRICS_NO_UPSTREAM;
	ups[*n] = u;
	return (*n)++;
}

int al_fwd_configure(struct al_fwd *f, const struct al_config *cfg)
{
	struct upstream *ups = calloc(AL_MAX_UPSTREAMS, sizeof(*ups));
	struct group *groups = calloc(cfg->nforwards + 1, sizeof(*groups));
	size_t i, j, n = 0;

	if (!ups || !groups) {
		free(ups);
		free(groups);
		return -ENOMEM;
	}
	/* The config checked that the distinct upstreams fit. */
	for (i = 0; i <= cfg->nforwards; i++) {
		const struct al_endpoint *eps = i ? cfg->forwards[i - 1].ups : cfg->upstreams;
		size_t neps = i ? cfg->forwards[i - 1].nups : cfg->nupstreams;
		for (j = 0; j < neps; j++)
			groups[i].idx[groups[i].n++] = (uint8_t)add_upstream(f, ups, &n, &eps[j]);
	}
	free(f->ups);
	free(f->groups);
	f->ups = ups;
	f->nups = n;
	f->groups = groups;
	f->ngroups = cfg->nforwards + 1;
	f->try_ms = cfg->upstream_timeout_ms;
	f->total_ms = cfg->query_timeout_ms;
	f->holddown_ms = cfg->upstream_holddown_ms;
	f->edns_size = cfg->edns_size;
	f->gen++;
	return 0;
}

void al_fwd_set_metrics(struct al_fwd *f, struct al_metrics *m)
{
	f->metrics = m;
}

size_t al_fwd_pending(const struct al_fwd *f)
{
	return f->pending;
}

void al_fwd_set_dnstap(struct al_fwd *f, struct al_dnstap *dt, unsigned queue)
{
	f->dnstap = dt;
	f->dnstap_queue = queue;
}

/* The current try's query (reply NULL) or the reply to it, to dnstap:
 * airlockd asked from the socket h, the upstream answered.  The query
 * records the time and the socket's address once per try; the reply
 * reuses them. */
static void tap(struct txn *t, uv_handle_t *h, const uint8_t *reply, size_t len)
{
	enum al_dnstap_type type = reply ? AL_DNSTAP_FORWARDER_RESPONSE : AL_DNSTAP_FORWARDER_QUERY;
	struct al_dnstap_msg m;
	int n = sizeof(t->local);

	if (!t->fwd->dnstap)
		return;
	if (!reply) {
		clock_gettime(CLOCK_REALTIME, &t->sent_at);
		if ((h->type == UV_TCP ? uv_tcp_getsockname((uv_tcp_t *)h, (struct sockaddr *)&t->local, &n)
				       : uv_udp_getsockname((uv_udp_t *)h, (struct sockaddr *)&t->local, &n)) < 0)
			t->local.ss_family = AF_UNSPEC;
	}
	if (!al_dnstap_wants(t->fwd->dnstap, type))
		return;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.tcp = h->type == UV_TCP;
	if (t->local.ss_family != AF_UNSPEC)
		m.query_addr = (const struct sockaddr *)&t->local;
	m.response_addr = (const struct sockaddr *)&t->sa;
	m.query_time = t->sent_at;
	if (reply) {
		m.response = reply;
		m.response_len = len;
		clock_gettime(CLOCK_REALTIME, &m.response_time);
	} else {
		m.query = t->wire + 2;
		m.query_len = t->wlen;
	}
	al_dnstap_send(t->fwd->dnstap, t->fwd->dnstap_queue, &m);
}

void al_fwd_free(struct al_fwd *f)
{
	if (!f)
		return;
	free(f->ups);
	free(f->groups);
	free(f);
}

/* The current upstream entry, if the list still holds it after a reload. */
static struct upstream *current(struct txn *t)
{
	struct al_fwd *f = t->fwd;

	if (t->up < 0 || (size_t)t->up >= f->nups ||
	    !al_sockaddr_equal((struct sockaddr *)&f->ups[t->up].sa, (struct sockaddr *)&t->sa))
		return NULL;
	return &f->ups[t->up];
}

static void on_handle_closed(uv_handle_t *h)
{
	if (h->type == UV_TCP) {
		struct tcp_try *tt = h->data;
		free(tt->in);
		free(tt);
	} else {
		free(h->data);
	}
}

static void drop_tries(struct txn *t)
{
	if (t->udp) {
		t->udp->t = NULL;
		uv_close((uv_handle_t *)&t->udp->h, on_handle_closed);
		t->udp = NULL;
	}
	if (t->tcp) {
		t->tcp->t = NULL;
		uv_close((uv_handle_t *)&t->tcp->h, on_handle_closed);
		t->tcp = NULL;
	}
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void finish(struct txn *t, const uint8_t *reply, size_t len)
{
	drop_tries(t);
	t->fwd->pending--;
	t->cb(t->arg, reply, len, t->up >= 0 ? (struct sockaddr *)&t->sa : NULL);
	uv_close((uv_handle_t *)&t->timer, on_timer_closed);
}

size_t al_fwd_randomize_case(uint8_t *name, size_t len)
{
	size_t off = 0, letters = 0, i;
	uint64_t bits = 0;

	while (off < len && name[off] != 0 && name[off] < 64) {
		for (i = off + 1; i <= off + name[off] && i < len; i++) {
			uint8_t lower = name[i] | 0x20;
			if (lower < 'a' || lower > 'z')
				continue;
			if (letters % 64 == 0)
				bits = al_rand64();
			name[i] = (bits & 1) ? (uint8_t)(lower - 32) : lower;
			bits >>= 1;
			letters++;
		}
		off += 1u + name[off];
	}
	return letters;
}

bool al_fwd_reply_matches(const uint8_t *query, size_t qlen, const uint8_t *reply,
			  size_t len, bool exact_case)
{
	size_t end = AL_HDR, i;

	/* The query's name ends at its root label; the reply's question must
	 * be the same bytes at the same place (no compression). */
	while (end < qlen && query[end] != 0)
		end += 1u + query[end];
	if (end + 5 > qlen || end + 5 > len)
		return false;
	end++;
	if (al_get16(reply) != al_get16(query) || !(reply[2] & 0x80) ||
	    AL_OPCODE(al_get16(reply + 2)) != 0 || al_get16(reply + 4) != 1 ||
	    memcmp(reply + end, query + end, 4) != 0) /* type and class */
		return false;
	if (exact_case)
		return memcmp(reply + AL_HDR, query + AL_HDR, end - AL_HDR) == 0;
	for (i = AL_HDR; i < end; i++) /* label lengths are below 64: never letters */
		if (al_msg_lower(reply[i]) != al_msg_lower(query[i]))
			return false;
	return true;
}

/* The reply answers the current try.  One from the upstream that is
 * right but for the case of the name is noted: if the try then fails, the
 * upstream probably does not echo case (see warn_case). */
static bool matches(struct txn *t, const uint8_t *p, size_t len)
{
	if (al_fwd_reply_matches(t->wire + 2, t->wlen, p, len, t->exact_case))
		return true;
	if (t->exact_case && al_fwd_reply_matches(t->wire + 2, t->wlen, p, len, false))
		t->case_only = true;
	return false;
}

/* A failed try that saw a reply wrong only in case: said once per upstream
 * (a spoofer would have had to guess ID and port to cause it). */
static void warn_case(struct txn *t)
{
	struct upstream *u = current(t);
	char addr[AL_ADDRSTRLEN];

	if (!t->case_only || !u || u->case_warned)
		return;
	u->case_warned = true;
	al_sockaddr_format((struct sockaddr *)&t->sa, addr, sizeof(addr));
	al_warn("upstream %s answered with the question name in another case than asked (DNS 0x20): "
		"the replies were ignored; if it does not echo case, set \"case_randomization\": false for it",
		addr);
}

/* Owner names spelled out in place (not a pointer to the question) that
 * are the question's name carry the random case the upstream echoed:
 * lower-cased, as the name itself is (it is overwritten with the
 * client's spelling when served). */
static int owner_lower(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	const struct txn *t = arg;
	uint8_t name[AL_MAX_NAME], *p = (uint8_t *)pkt; /* the reply buffer is ours */
	size_t off = rr->owner_off, len = rr->rdata_off, i;
	int n = al_msg_read_name(pkt, len, &off, name);

	if (n != (int)t->qname_len || memcmp(name, t->qname, t->qname_len) != 0)
		return 0;
	for (off = rr->owner_off; off < len && p[off] != 0 && p[off] < 64; off += 1u + p[off])
		for (i = off + 1; i <= off + p[off] && i < len; i++)
			p[i] = al_msg_lower(p[i]);
	return 0;
}

/* A matched reply to a 0x20 query: its question (and the records owned
 * by that name, when spelled out) back to lower case, so the answer
 * cached and checked is the same whatever case went out. */
static void restore_case(const struct txn *t, uint8_t *p, size_t len)
{
	if (!t->exact_case)
		return;
	memcpy(p + AL_HDR, t->qname, t->qname_len);
	(void)al_msg_walk(p, len, owner_lower, (void *)t);
}

static void try_failed(struct txn *t, bool hold_down)
{
	struct upstream *u = current(t);

	if (u) {
		u->fails++;
		if (hold_down && t->fwd->holddown_ms)
			u->down_until = uv_now(t->fwd->loop) + t->fwd->holddown_ms;
	}
	drop_tries(t);
	start_try(t);
}

/* A matched reply: deliver it, or try elsewhere when the upstream could not
 * answer. */
/* The current try's upstream in the metrics; NULL: not counted. */
static struct al_metrics_upstream *counted(struct txn *t)
{
	struct upstream *u = current(t);

	return u && u->mslot != AL_METRICS_NO_UPSTREAM ? &t->fwd->metrics->ups[u->mslot] : NULL;
}

static void count_sent(struct txn *t)
{
	struct al_metrics_upstream *m = counted(t);

	AL_STAT_INC(t->fwd->stats->upstream_sent);
	t->try_ns = uv_hrtime();
	if (m)
		al_metrics_add(&m->sent, 1);
}

static void count_error(struct txn *t)
{
	struct al_metrics_upstream *m = counted(t);

	AL_STAT_INC(t->fwd->stats->upstream_errors);
	if (m)
		al_metrics_add(&m->errors, 1);
}

static void count_timeout(struct txn *t)
{
	struct al_metrics_upstream *m = counted(t);

	AL_STAT_INC(t->fwd->stats->upstream_timeouts);
	if (m)
		al_metrics_add(&m->timeouts, 1);
}

static void got_reply(struct txn *t, uint8_t *p, size_t len)
{
	const uint8_t *clean;
	size_t clean_len;
	unsigned dropped = 0;
	struct upstream *u;
	int rc;

	switch (al_get16(p + 2) & 0xf) {
	case AL_RCODE_SERVFAIL:
	case AL_RCODE_REFUSED:
	case AL_RCODE_NOTIMP:
	case AL_RCODE_FORMERR:
		count_error(t);
		try_failed(t, false);
		return;
	}
	restore_case(t, p, len);
	/* Only a well-formed reply, scrubbed, goes on; a malformed one is as
	 * useless as an error, and another upstream may do better. */
	if ((rc = al_scrub_reply(p, len, t->fwd->scrubbed, sizeof(t->fwd->scrubbed), &clean, &clean_len,
				 &dropped)) < 0) {
		al_debug("%s upstream reply (%zu bytes): trying elsewhere",
			 rc == -ENOSPC ? "too large once scrubbed, an" : "malformed", len);
		count_error(t);
		try_failed(t, false);
		return;
	}
	if (dropped)
		AL_STAT_ADD(t->fwd->stats->scrubbed_records, dropped);
	/* A usable reply: the upstream is well. */
	if ((u = current(t)) != NULL) {
		u->fails = 0;
		u->down_until = 0;
		if (u->mslot != AL_METRICS_NO_UPSTREAM)
			al_metrics_observe(&t->fwd->metrics->ups[u->mslot].rtt,
					   (uv_hrtime() - t->try_ns) / 1000);
	}
	finish(t, clean, clean_len);
}

static void on_timeout(uv_timer_t *timer)
{
	struct txn *t = timer->data;

	/* A try cut short by the query deadline says nothing about the
	 * upstream: only a full try_ms of silence holds it down. */
	count_timeout(t);
	warn_case(t);
	try_failed(t, t->try_len >= t->fwd->try_ms);
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tcp_try *tt = h->data;
	(void)hint;

	if (!tt->in) {
		/* One reply of at most 64 KiB plus its length prefix. */
		tt->in = malloc(2 + AL_MAX_MSG);
		tt->incap = tt->in ? 2 + AL_MAX_MSG : 0;
	}
	*buf = uv_buf_init((char *)tt->in + tt->inlen, (unsigned)(tt->incap - tt->inlen));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_try *tt = s->data;
	struct txn *t = tt->t;
	size_t need;
	(void)buf;

	if (!t)
		return;
	if (nread < 0) {
		count_error(t);
		try_failed(t, nread != UV_ENOBUFS); /* our memory, not their fault */
		return;
	}
	tt->inlen += (size_t)nread;
	if (tt->inlen < 2)
		return;
	need = al_get16(tt->in);
	if (tt->inlen < 2 + need)
		return;
	if (!matches(t, tt->in + 2, need)) {
		AL_STAT_INC(t->fwd->stats->upstream_mismatch);
		warn_case(t);
		try_failed(t, false);
		return;
	}
	tap(t, (uv_handle_t *)&tt->h, tt->in + 2, need);
	got_reply(t, tt->in + 2, need);
}

static void tcp_written(uv_write_t *req, int status)
{
	struct tcp_try *tt = req->data;

	if (!tt->t || status == 0)
		return;
	count_error(tt->t);
	try_failed(tt->t, true);
}

static void tcp_connected(uv_connect_t *req, int status)
{
	struct tcp_try *tt = req->data;
	struct txn *t = tt->t;
	uv_buf_t b;

	if (!t)
		return;
	if (status < 0) {
		count_error(t);
		try_failed(t, true);
		return;
	}
	b = uv_buf_init((char *)t->wire, (unsigned)t->wlen + 2);
	tt->wr.data = tt;
	if (uv_write(&tt->wr, (uv_stream_t *)&tt->h, &b, 1, tcp_written) < 0 ||
	    uv_read_start((uv_stream_t *)&tt->h, tcp_alloc, tcp_read) < 0) {
		count_error(t);
		try_failed(t, true);
		return;
	}
	tap(t, (uv_handle_t *)&tt->h, NULL, 0);
}

static void start_tcp(struct txn *t)
{
	struct tcp_try *tt = calloc(1, sizeof(*tt));
	uint64_t now = uv_now(t->fwd->loop);
	uint64_t wait = t->deadline > now ? t->deadline - now : 1;

	if (!tt) {
		try_failed(t, false);
		return;
	}
	tt->t = t;
	tt->h.data = tt;
	tt->conn.data = tt;
	t->try_start = now;
	t->try_len = wait < t->fwd->try_ms ? wait : t->fwd->try_ms;
	uv_timer_start(&t->timer, on_timeout, t->try_len, 0);
	uv_tcp_init(t->fwd->loop, &tt->h);
	t->tcp = tt;
	count_sent(t);
	AL_STAT_INC(t->fwd->stats->upstream_tcp);
	if (uv_tcp_connect(&tt->conn, &tt->h, (struct sockaddr *)&t->sa, tcp_connected) < 0) {
		count_error(t);
		try_failed(t, true);
	}
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct udp_try *ut = h->data;
	(void)hint;

	/* One buffer per forwarder: a datagram is handled before the next read. */
	if (ut->t)
		*buf = uv_buf_init((char *)ut->t->fwd->rbuf, sizeof(ut->t->fwd->rbuf));
	else
		*buf = uv_buf_init(NULL, 0);
}

static void udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *from, unsigned flags)
{
	struct udp_try *ut = h->data;
	struct txn *t = ut->t;
	uint8_t *p = (uint8_t *)buf->base;
	(void)flags;

	if (!t)
		return;
	if (nread < 0) { /* e.g. ECONNREFUSED: an ICMP error for the connected socket */
		count_error(t);
		try_failed(t, true);
		return;
	}
	if (nread == 0 || !from)
		return;
	if (!al_sockaddr_equal(from, (struct sockaddr *)&t->sa) || !matches(t, p, (size_t)nread)) {
		AL_STAT_INC(t->fwd->stats->upstream_mismatch);
		return; /* keep waiting for the genuine reply */
	}
	tap(t, (uv_handle_t *)h, p, (size_t)nread);
	if (p[2] & (AL_FLAG_TC >> 8)) {
		drop_tries(t);
		start_tcp(t);
		return;
	}
	got_reply(t, p, (size_t)nread);
}

static int start_udp(struct txn *t)
{
	struct udp_try *ut = calloc(1, sizeof(*ut));
	uv_buf_t b;
	int rc;

	if (!ut)
		return -ENOMEM;
	ut->t = t;
	ut->h.data = ut;
	if ((rc = uv_udp_init(t->fwd->loop, &ut->h)) < 0) {
		free(ut);
		return rc;
	}
	t->udp = ut;
	b = uv_buf_init((char *)t->wire + 2, (unsigned)t->wlen);
	/* Connected (to a fresh random port the kernel picks): the kernel
	 * passes on only datagrams from the upstream's address and port, an
	 * ICMP error ends the try at once instead of at its timeout, and the
	 * socket's own address is the real one (dnstap). */
	if ((rc = uv_udp_connect(&ut->h, (struct sockaddr *)&t->sa)) < 0 ||
	    (rc = uv_udp_recv_start(&ut->h, udp_alloc, udp_read)) < 0)
		return rc;
	rc = uv_udp_try_send(&ut->h, &b, 1, NULL);
	if (rc < 0)
		return rc;
	count_sent(t);
	tap(t, (uv_handle_t *)&ut->h, NULL, 0);
	return 0;
}

/* First untried upstream that is not held down; when all are held down,
 * the one that comes back soonest. */
static int pick(const struct txn *t, uint64_t now)
{
	const struct al_fwd *f = t->fwd;
	const struct group *g;
	int best = -1;
	size_t i, u;

	if (t->gen != f->gen)
		return -1; /* a reload renumbered the groups and upstreams: the same
			    * index may be another group's, so no other is tried */
	g = &f->groups[t->group];
	for (i = 0; i < g->n; i++) {
		u = g->idx[i];
		if (t->tried & (1ull << u))
			continue;
		if (f->ups[u].down_until <= now)
			return (int)u;
		if (best < 0 || f->ups[u].down_until < f->ups[best].down_until)
			best = (int)u;
	}
	return best;
}

static void build_query(struct txn *t)
{
	uint8_t *p = t->wire + 2;
	size_t off = AL_HDR;

	memset(p, 0, AL_HDR);
	al_put16(p, t->id);
	al_put16(p + 2, (uint16_t)(AL_FLAG_RD | (t->cd ? AL_FLAG_CD : 0)));
	al_put16(p + 4, 1);
	al_put16(p + 10, 1);
	memcpy(p + off, t->qname, t->qname_len);
	if (t->exact_case)
		al_fwd_randomize_case(p + off, t->qname_len);
	off += t->qname_len;
	al_put16(p + off, t->qtype);
	al_put16(p + off + 2, t->qclass);
	off = al_msg_put_opt(p, off + 4, sizeof(t->wire) - 2, t->fwd->edns_size, 0, t->do_bit);
	t->wlen = off;
	al_put16(t->wire, (uint16_t)off);
}

static void start_try(struct txn *t)
{
	uint64_t now = uv_now(t->fwd->loop), wait;
	int up;

	if (now >= t->deadline || (up = pick(t, now)) < 0) {
		finish(t, NULL, 0);
		return;
	}
	t->up = up;
	t->tried |= 1ull << up;
	t->sa = t->fwd->ups[up].sa;
	t->id = al_rand16();
	t->exact_case = !t->fwd->ups[up].keep_case;
	t->case_only = false;
	build_query(t);
	wait = t->deadline - now;
	if (wait > t->fwd->try_ms)
		wait = t->fwd->try_ms;
	t->try_start = now;
	t->try_len = wait;
	uv_timer_start(&t->timer, on_timeout, wait, 0);
	if (start_udp(t) < 0) {
		count_error(t);
		try_failed(t, false);
	}
}

int al_fwd_query(struct al_fwd *f, const struct al_query *q, unsigned group, al_fwd_cb cb,
		 void *arg)
{
	struct txn *t;

	if (group >= f->ngroups)
		return -EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->fwd = f;
	t->cb = cb;
	t->arg = arg;
	t->up = -1;
	t->group = group;
	t->gen = f->gen;
	memcpy(t->qname, q->qname_lc, q->qname_len);
	t->qname_len = q->qname_len;
	t->qtype = q->qtype;
	t->qclass = q->qclass;
	t->do_bit = q->do_bit;
	t->cd = (q->flags & AL_FLAG_CD) != 0;
	t->deadline = uv_now(f->loop) + f->total_ms;
	uv_timer_init(f->loop, &t->timer);
	t->timer.data = t;
	f->pending++;
	start_try(t);
	return 0;
}
