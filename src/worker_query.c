/* A worker's query pipeline: a client's query is parsed and judged (rate
 * limits, policy, lists, new domains, tunnels), answered from local data
 * or the cache or forwarded (identical questions coalesced), and the
 * reply is logged, tapped and sent.  The thread and its life: worker.c. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/answer.h"
#include "airlock/cache.h"
#include "airlock/dnstap.h"
#include "airlock/guard.h"
#include "airlock/hash.h"
#include "airlock/listener.h"
#include "airlock/localdata.h"
#include "airlock/log.h"
#include "airlock/metrics.h"
#include "airlock/msg.h"
#include "airlock/namelist.h"
#include "airlock/policy.h"
#include "airlock/logread.h"
#include "airlock/querylog.h"
#include "airlock/ratelimit.h"
#include "airlock/regdom.h"
#include "airlock/seen.h"
#include "airlock/upstream.h"
#include "airlock/verify.h"
#include "worker_int.h"

#define UNLOGGED_BATCH 4096 /* rate-limited queries counted before the log is told */

/* Where and when a query came from, for its log row. */
struct origin {
	int64_t ts_us;   /* wall clock at arrival */
	uint64_t t0_ns;  /* monotonic, for the latency */
	char zone[64];   /* copied: a reload may free the config's */
	unsigned mzone;  /* the zone's slot in the metrics (a reload keeps it) */
};

/* Clients that may wait on flights, per flight allowed (limits.inflight):
 * identical questions share a flight, but each client's wait holds memory. */
#define WAITERS_PER_FLIGHT 4

struct waiter {
	struct waiter *next;
	struct al_client client;
	struct al_query q;
	struct origin o;
	bool rebinding; /* internal addresses in the answer are refused */
	struct al_incident *inc; /* written with this query's row (alert mode) */
};

/* What the exfiltration guard said about a query it let through. */
struct verdicts {
	uint64_t guard_key;         /* the tunnel detector's domain; 0: not judged */
	uint64_t new_until_ms;      /* the domain is newly seen until then; 0: not new */
	struct al_incident *alert;  /* alert mode: written with the query's row */
};

/* One question on its way upstream and the clients waiting for it. */
struct flight {
	struct flight *chain;
	struct al_worker *w;
	struct waiter *waiters;
	struct al_config *cfg;          /* a reference: ep points into its catalog */
	const struct al_catalog_ep *ep; /* non-NULL: a private answer is required */
	uint64_t guard_key;             /* the detector's domain, for NXDOMAIN counts; 0: none */
	uint64_t new_until_ms;          /* its domain is newly seen until then; 0: not new */
	uint64_t hash;
	size_t keylen;
	uint8_t key[AL_CACHE_KEY_MAX];
};

static uint64_t now_ms(struct al_worker *w)
{
	return uv_now(&w->loop);
}

static size_t udp_limit(const struct al_worker *w, const struct al_client *c,
			const struct al_query *q)
{
	size_t lim;

	if (al_client_is_tcp(c))
		return AL_MAX_MSG;
	if (!q->edns)
		return 512;
	lim = q->udp_size;
	return lim < w->cfg->edns_size ? lim : w->cfg->edns_size;
}

/* The log row for a reply about to be sent (w->out, n bytes).  Only raw
 * copies here: the writer thread formats addresses and names. */
static void log_reply(struct al_worker *w, const struct al_client *c, const struct al_query *q,
		      const struct origin *o, size_t n, int rcode, enum al_action action,
		      const char *reason, const struct sockaddr *upstream, struct al_incident *inc)
{
	struct al_logrec r;

	r.time_us = o->ts_us;
	r.latency_us = (uint32_t)((uv_hrtime() - o->t0_ns) / 1000);
	r.client = c->peer;
	r.upstream.ss_family = AF_UNSPEC;
	if (upstream)
		memcpy(&r.upstream, upstream, upstream->sa_family == AF_INET6
					      ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	r.tcp = al_client_is_tcp(c);
	memcpy(r.zone, o->zone, sizeof(r.zone));
	memcpy(r.qname, q->qname_lc, q->qname_len);
	r.qname_len = (uint16_t)q->qname_len;
	r.qtype = q->qtype;
	r.rcode = n < 4 ? AL_RCODE_SERVFAIL : rcode >= 0 ? (uint16_t)rcode : w->out[3] & 0xf;
	r.action = action;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.reply = NULL;
	r.incident = inc;
	r.reply_len = 0;
	if (n >= AL_HDR && al_get16(w->out + 6) > 0 && (r.reply = malloc(n)) != NULL) {
		memcpy(r.reply, w->out, n);
		r.reply_len = (uint16_t)n;
	}
	al_qlog_submit(w->qlog, &r);
}

/* A client's query (query set) or airlockd's reply to it (reply set) to
 * dnstap: the client asked, the listen socket's address answered. */
static void tap_client(struct al_worker *w, const struct al_client *c, const struct origin *o,
		       const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen)
{
	struct sockaddr_storage local;
	struct al_dnstap_msg m;

	memset(&m, 0, sizeof(m));
	m.type = reply ? AL_DNSTAP_CLIENT_RESPONSE : AL_DNSTAP_CLIENT_QUERY;
	m.tcp = al_client_is_tcp(c);
	m.query_addr = (const struct sockaddr *)&c->peer;
	if (al_client_local(c, &local) == 0)
		m.response_addr = (const struct sockaddr *)&local;
	m.query_time.tv_sec = (time_t)(o->ts_us / 1000000);
	m.query_time.tv_nsec = (long)(o->ts_us % 1000000) * 1000;
	m.query = query;
	m.query_len = qlen;
	m.response = reply;
	m.response_len = rlen;
	if (reply)
		clock_gettime(CLOCK_REALTIME, &m.response_time);
	al_dnstap_send(w->dnstap, w->id, &m); /* dropped and counted when its queue is full */
}

/* Logs and sends w->out (n bytes; 0: nothing to send).  rcode: the full
 * (extended) rcode when airlockd made the reply, -1: read it from the header. */
static void respond(struct al_worker *w, struct al_client *c, const struct al_query *q,
		    const struct origin *o, size_t n, int rcode, enum al_action action,
		    const char *reason, const struct sockaddr *upstream, struct al_incident *inc)
{
	struct al_incident *i;

	al_metrics_query(&w->metrics, o->mzone, q->qtype,
			 n < 4 ? AL_RCODE_SERVFAIL : rcode >= 0 ? (unsigned)rcode : w->out[3] & 0xfu,
			 action, (uv_hrtime() - o->t0_ns) / 1000);
	for (i = inc; i; i = i->next)
		al_metrics_incident(&w->metrics, i->kind, i->severity);
	if (w->qlog)
		log_reply(w, c, q, o, n, rcode, action, reason, upstream, inc);
	else
		al_incident_free(inc);
	if (n && al_dnstap_wants(w->dnstap, AL_DNSTAP_CLIENT_RESPONSE))
		tap_client(w, c, o, NULL, 0, w->out, n);
	if (n)
		al_client_reply(c, w->out, n);
	else
		al_client_release(c);
}

/* An error, or an empty NOERROR (NODATA), with an optional incident. */
static void reply_status(struct al_worker *w, struct al_client *c, const struct al_query *q,
			 const struct origin *o, int rcode, enum al_action action,
			 const char *reason, const struct sockaddr *upstream,
			 struct al_incident *inc)
{
	size_t n = al_msg_error(q, rcode, w->cfg->edns_size, w->out, sizeof(w->out));

	if (rcode == AL_RCODE_SERVFAIL)
		AL_STAT_INC(w->stats.servfail);
	respond(w, c, q, o, n, rcode, action, reason, upstream, inc);
}

static void reply_error(struct al_worker *w, struct al_client *c, const struct al_query *q,
			const struct origin *o, int rcode, enum al_action action,
			const char *reason, const struct sockaddr *upstream)
{
	reply_status(w, c, q, o, rcode, action, reason, upstream, NULL);
}

/* The incident's detail: a JSON object of string fields (NULL-terminated
 * key, value pairs); NULL when out of memory. */
static struct al_incident *incident(enum al_severity sev, const char *kind, ...)
{
	cJSON *d = cJSON_CreateObject();
	struct al_incident *inc = NULL;
	const char *k, *v;
	char *text;
	va_list ap;

	if (!d)
		return NULL;
	va_start(ap, kind);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		cJSON_AddStringToObject(d, k, v ? v : "");
	}
	va_end(ap);
	if ((text = cJSON_PrintUnformatted(d)) != NULL)
		inc = al_incident_new(sev, kind, text);
	cJSON_free(text);
	cJSON_Delete(d);
	return inc;
}

/* Sends a prepared answer; with rebinding set, one that holds an internal
 * address is refused instead. */
static void reply_answer(struct al_worker *w, struct al_client *c, const struct al_query *q,
			 const struct origin *o, const struct al_answer *a, bool rebinding,
			 enum al_action action, const struct sockaddr *upstream, struct al_incident *inc)
{
	size_t lim = udp_limit(w, c, q);
	size_t n;
	char addr[AL_ADDRSTRLEN];

	if (rebinding && al_verify_find_internal(a->data, a->len, addr, sizeof(addr))) {
		al_incident_free(inc);
		AL_STAT_INC(w->stats.rebinding_refused);
		reply_status(w, c, q, o, AL_RCODE_REFUSED, AL_ACT_BLOCKED, "rebinding", upstream,
			     incident(AL_SEV_WARNING, "dns_rebinding", "address", addr, NULL));
		return;
	}
	n = al_answer_render(a, q, now_ms(w), w->cfg->edns_size, lim, w->out, sizeof(w->out));
	if (!n) {
		reply_status(w, c, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "reply too large", NULL, inc);
		return;
	}
	if (al_get16(w->out + 2) & AL_FLAG_TC)
		AL_STAT_INC(w->stats.truncated);
	respond(w, c, q, o, n, -1, action, "", upstream, inc);
}

static struct flight **flight_find(struct al_worker *w, const uint8_t *key,
				   size_t keylen, uint64_t h)
{
	struct flight **pp = &w->flights[h & (FLIGHT_BUCKETS - 1)];

	for (; *pp; pp = &(*pp)->chain)
		if ((*pp)->hash == h && (*pp)->keylen == keylen &&
		    memcmp((*pp)->key, key, keylen) == 0)
			break;
	return pp;
}

/* A protected name's upstream reply: good when every address and CNAME
 * is private (see verify.h). */
static bool private_answer(struct flight *f, const uint8_t *reply, size_t len,
			   struct al_verdict *v)
{
	struct al_private_rule rule = { f->cfg->private_cidrs, f->cfg->nprivate, f->ep };

	return al_verify_private(reply, len, &rule, v);
}

static void on_upstream(void *arg, const uint8_t *reply, size_t len,
			const struct sockaddr *upstream)
{
	struct flight *f = arg, **pp;
	struct al_worker *w = f->w;
	struct al_ttl_policy pol = { w->cfg->min_ttl, w->cfg->max_ttl, w->cfg->max_negative_ttl };
	struct al_answer *a = NULL;
	struct waiter *wt, *next;
	struct al_verdict v = { 0, "", NULL };
	const char *why = "upstreams failed";
	char up[AL_ADDRSTRLEN] = "";

	pp = flight_find(w, f->key, f->keylen, f->hash);
	if (*pp == f)
		*pp = f->chain;
	w->nflights--;
	if (reply && al_answer_new(reply, len, &pol, now_ms(w), &a) < 0) {
		al_debug("malformed upstream reply (%zu bytes): SERVFAIL", len);
		why = "malformed upstream reply";
		a = NULL;
	}
	if (f->ep && upstream)
		al_sockaddr_format(upstream, up, sizeof(up));
	if (f->guard_key && reply && len >= 4)
		al_guard_note_rcode(w->guard, f->guard_key, reply[3] & 0xf, now_ms(w));
	if (a && f->ep && !private_answer(f, reply, len, &v)) {
		/* Never served, never cached: the private path is broken. */
		al_answer_free(a);
		a = NULL;
	}
	for (wt = f->waiters; wt; wt = next) {
		next = wt->next;
		if (a) {
			reply_answer(w, &wt->client, &wt->q, &wt->o, a, wt->rebinding, AL_ACT_UPSTREAM, upstream,
				     wt->inc);
		} else if (!f->ep) {
			reply_status(w, &wt->client, &wt->q, &wt->o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, why,
				     upstream, wt->inc);
		} else if (v.why) {
			/* Protected names are never judged by the detector: no wt->inc. */
			AL_STAT_INC(w->stats.public_answer_refused);
			reply_status(w, &wt->client, &wt->q, &wt->o, f->cfg->public_answer_rcode,
				     AL_ACT_BLOCKED, "public answer refused", upstream,
				     incident(AL_SEV_CRITICAL, "public_answer_refused", "endpoint", f->ep->id,
					      "why", v.why, "offending", v.offending, "upstream", up, NULL));
		} else {
			/* Fail closed: no other resolver is asked for a protected name. */
			AL_STAT_INC(w->stats.private_path_down);
			reply_status(w, &wt->client, &wt->q, &wt->o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, why,
				     upstream, incident(AL_SEV_HIGH, "private_path_down", "endpoint", f->ep->id,
							"why", why, "upstream", up, NULL));
		}
		free(wt);
		w->nwaiters--;
	}
	/* Cached only when checked against the config queries are now judged
	 * by (a reload in between starts an empty cache). */
	if (a && a->lifetime > 0 && !w->stopping && f->cfg == w->cfg) {
		a->new_until_ms = f->new_until_ms;
		al_cache_put_take(w->cache, f->key, f->keylen, a);
		worker_publish_cache(w);
	} else {
		al_answer_free(a);
	}
	al_config_unref(f->cfg);
	free(f);
}

/* Joins an identical question in flight, or starts one.  The client moves
 * into the waiter list. */
static void forward(struct al_worker *w, struct al_client *c, const struct al_query *q,
		    const struct origin *o, const struct al_decision *d, bool rebinding,
		    const struct verdicts *v, const uint8_t *key, size_t keylen)
{
	struct al_incident *inc = v->alert;
	uint64_t h = al_hash(key, keylen, w->seed);
	struct flight **pp = flight_find(w, key, keylen, h), *f = *pp;
	struct waiter *wt;

	if (w->nwaiters >= (size_t)w->cfg->inflight * WAITERS_PER_FLIGHT) {
		AL_STAT_INC(w->stats.overload);
		reply_status(w, c, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "overload", NULL, inc);
		return;
	}
	if (!(wt = malloc(sizeof(*wt)))) {
		reply_status(w, c, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "out of memory", NULL, inc);
		return;
	}
	wt->inc = inc;
	wt->q = *q;
	wt->client = *c;
	wt->o = *o;
	wt->rebinding = rebinding;
	if (f) {
		AL_STAT_INC(w->stats.coalesced);
		wt->next = f->waiters;
		f->waiters = wt;
		w->nwaiters++;
		return;
	}
	if (al_ratelimit_upstream(w->cfg->rate_table, &w->cfg->rate_limit, w->cfg->psl, q->qname_lc, q->qname_len,
				  (uint32_t)(now_ms(w) / 1000))) {
		AL_STAT_INC(w->stats.upstream_limited);
		reply_status(w, &wt->client, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "upstream rate limit",
			     NULL, wt->inc);
		free(wt);
		return;
	}
	if (w->nflights >= w->cfg->inflight || !(f = calloc(1, sizeof(*f)))) {
		AL_STAT_INC(w->stats.overload);
		reply_status(w, &wt->client, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "overload", NULL, wt->inc);
		free(wt);
		return;
	}
	wt->next = NULL;
	f->w = w;
	f->waiters = wt;
	w->nwaiters++;
	f->cfg = al_config_ref(w->cfg);
	f->ep = d->verify ? d->ep : NULL;
	f->guard_key = v->guard_key;
	f->new_until_ms = v->new_until_ms;
	f->hash = h;
	f->keylen = keylen;
	memcpy(f->key, key, keylen);
	f->chain = *pp;
	*pp = f;
	w->nflights++;
	AL_STAT_INC(w->stats.cache_misses);
	if (al_fwd_query(w->fwd, q, d->group, on_upstream, f) < 0)
		on_upstream(f, NULL, 0, NULL);
}

/* Local data (forced private answers): true when it held the name and
 * the client has its reply. */
static bool answer_local(struct al_worker *w, struct al_client *c, const struct al_query *q,
			 const struct origin *o)
{
	struct al_ttl_policy pol = { 0, UINT32_MAX, UINT32_MAX };
	struct al_answer *a;
	int n = al_localdata_reply(w->cfg->localdata, q, w->local, sizeof(w->local));

	if (n == 0)
		return false;
	if (n < 0 || al_answer_new(w->local, (size_t)n, &pol, now_ms(w), &a) < 0) {
		reply_error(w, c, q, o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "local data reply", NULL);
		return true;
	}
	AL_STAT_INC(w->stats.local_answers);
	reply_answer(w, c, q, o, a, false, AL_ACT_LOCAL, NULL, NULL);
	al_answer_free(a);
	return true;
}

/* alert mode: inc goes with the query's row, after any other. */
static void add_alert(struct verdicts *v, struct al_incident *inc)
{
	struct al_incident **pp = &v->alert;

	while (*pp)
		pp = &(*pp)->next;
	*pp = inc;
}

/* Newly seen domains, on the way upstream and for cached answers of
 * young domains: the first sighting of the query's registered domain is
 * noted (and saved); one first seen after learning and less than
 * new_domains.age_s ago gets the zone's action.  True when the query was
 * blocked and answered. */
static bool first_sight(struct al_worker *w, struct al_client *c, const struct al_query *q,
			const struct origin *o, const struct al_zone *zone, struct verdicts *v)
{
	const struct al_newdom_view *rule = &zone->view.new_domains;
	const struct al_config *cfg = w->cfg;
	struct al_seen_rule r;
	struct al_sighting s;
	struct al_incident *inc = NULL;
	char dom[AL_MAX_NAME_TEXT], first[40];
	int64_t now = al_logtime_now();
	bool block = rule->action == AL_NEWDOM_BLOCK;

	if (al_regdom(cfg->psl, q->qname_lc, q->qname_len, dom, sizeof(dom)) < 0)
		return false;
	if (al_seen_note(w->seen, dom, zone->index, now, &s) < 0)
		s.report = false; /* out of memory: judged new, not remembered, no incident */
	if (s.full)
		AL_STAT_INC(w->stats.seen_full);
	if (s.added && w->qlog)
		al_qlog_seen(w->qlog, dom, s.first_us);
	r.learn_end_us = s.epoch_us + (int64_t)cfg->seen_learning_s * 1000000;
	r.age_us = (int64_t)cfg->seen_age_s * 1000000;
	if (!al_seen_is_new(&r, s.first_us, now))
		return false;
	v->new_until_ms = now_ms(w) + (uint64_t)(s.first_us + r.age_us - now + 999) / 1000;
	if (rule->action == AL_NEWDOM_ALLOW)
		return false;
	/* A full table's one report to the zone says so ("table": "full"): it
	 * tells of no new domain after it (seen.h). */
	if (s.report && w->qlog)
		inc = incident(block ? AL_SEV_WARNING : AL_SEV_INFO, "new_domain", "domain", dom,
			       "first_seen", al_logtime_format(s.first_us, 0, first, sizeof(first)),
			       "action", block ? "block" : "alert", s.full ? "table" : NULL, "full", NULL);
	if (!block) {
		AL_STAT_INC(w->stats.new_domain_alerts);
		add_alert(v, inc);
		return false;
	}
	AL_STAT_INC(w->stats.new_domain_blocked);
	reply_status(w, c, q, o, rule->block_rcode, AL_ACT_BLOCKED, "new domain", NULL, inc);
	return true;
}

/* The tunnel detector, on the way upstream only: a tunnel's names are new
 * by nature, and a cache hit carries nothing out.  True when the query
 * was blocked and answered. */
static bool judge(struct al_worker *w, struct al_client *c, const struct al_query *q,
		  const struct origin *o, const struct al_zone *zone, struct verdicts *vs)
{
	const struct al_tunnel_view *rule = &zone->view.tunnel;
	struct al_guard_verdict v;
	struct al_incident *inc = NULL;
	bool block = rule->action == AL_TUNNEL_BLOCK;
	char *why;

	if (al_guard_check(w->guard, w->cfg->psl, zone, q, now_ms(w), &v) < 0)
		return false;
	if (v.forgot)
		AL_STAT_INC(w->stats.tunnel_forgot);
	vs->guard_key = v.domain_key;
	if (!v.over && !v.cap)
		return false;
	if (v.report && w->qlog && (why = al_guard_explain(&v, rule)) != NULL) {
		inc = al_incident_new(block ? AL_SEV_HIGH : AL_SEV_WARNING,
				      block ? "tunnel_blocked" : "tunnel_suspected", why);
		free(why);
	}
	if (!block) {
		AL_STAT_INC(w->stats.tunnel_alerts);
		add_alert(vs, inc);
		return false;
	}
	AL_STAT_INC(w->stats.tunnel_blocked);
	/* A new domain's alert, if any, goes with the block. */
	add_alert(vs, inc);
	inc = vs->alert;
	vs->alert = NULL;
	reply_status(w, c, q, o, rule->block_rcode, AL_ACT_BLOCKED,
		     v.cap ? "tunnel daily cap" : "tunnel", NULL, inc);
	return true;
}

/* A query the zone's view does not allow: its deny response, and an
 * incident when the policy wants one. */
static void deny(struct al_worker *w, struct al_client *c, const struct al_query *q,
		 const struct origin *o, const struct al_zone *zone, const struct al_decision *d)
{
	static const int rcodes[] = { AL_RCODE_REFUSED, AL_RCODE_NXDOMAIN, AL_RCODE_NOERROR };
	struct al_incident *inc = NULL;

	AL_STAT_INC(w->stats.denied);
	if (d->incident && d->ep)
		inc = incident(d->severity, d->incident, "endpoint", d->ep->id,
			       "provider", d->ep->provider, NULL);
	else if (d->incident)
		inc = incident(d->severity, d->incident, "reason", d->reason, NULL);
	reply_status(w, c, q, o, rcodes[zone->view.deny], AL_ACT_BLOCKED, d->reason, NULL, inc);
}

/* The rate-limited queries counted so far go to the log's log_gaps. */
void worker_hand_unlogged(struct al_worker *w)
{
	uv_timer_stop(&w->unlogged.timer);
	if (!w->unlogged.n || !w->qlog)
		return;
	al_qlog_unlogged(w->qlog, w->unlogged.n, w->unlogged.first_us, w->unlogged.last_us);
	w->unlogged.n = 0;
}

static void on_unlogged_timer(uv_timer_t *t)
{
	worker_hand_unlogged(t->data);
}

/* One more query limited without a row: counted here, handed to the log
 * a second after the first or at UNLOGGED_BATCH (not one lock per packet
 * of a flood), and at stop. */
static void count_unlogged(struct al_worker *w, int64_t ts_us)
{
	if (!w->qlog)
		return;
	if (!w->unlogged.n++) {
		w->unlogged.first_us = ts_us;
		uv_timer_start(&w->unlogged.timer, on_unlogged_timer, 1000, 0);
	}
	w->unlogged.last_us = ts_us;
	if (w->unlogged.n >= UNLOGGED_BATCH)
		worker_hand_unlogged(w);
}

/* Response-rate limiting per client prefix, over UDP only (a TCP
 * client's address is verified by its handshake); see ratelimit.h.
 * Limited queries get no log row (logging a flood would flood the log):
 * they are counted, and summed in log_gaps.  True when the query was
 * dealt with. */
static bool rate_limited(struct al_worker *w, struct al_client *c, const struct al_query *q,
			 const struct al_ip *ip, const struct al_zone *zone)
{
	size_t n;

	if (al_client_is_tcp(c) || (ip->family != AF_INET && ip->family != AF_INET6))
		return false;
	switch (al_ratelimit_reply(w->cfg->rate_table, &w->cfg->rate_limit, ip, zone != NULL,
				   (uint32_t)(now_ms(w) / 1000))) {
	case AL_RRL_SEND:
		return false;
	case AL_RRL_SLIP:
		n = al_msg_error(q, zone ? AL_RCODE_NOERROR : AL_RCODE_REFUSED, w->cfg->edns_size, w->out,
				 sizeof(w->out));
		if (n) {
			al_put16(w->out + 2, (uint16_t)(al_get16(w->out + 2) | AL_FLAG_TC));
			AL_STAT_INC(w->stats.rrl_slipped);
			al_client_reply(c, w->out, n);
			return true;
		}
		break;
	case AL_RRL_DROP:
		break;
	}
	AL_STAT_INC(w->stats.rrl_dropped);
	al_client_release(c);
	return true;
}

void worker_on_query(void *arg, struct al_client *c, const uint8_t *pkt, size_t len)
{
	struct al_worker *w = arg;
	const struct al_answer *a;
	const struct al_zone *zone = NULL;
	struct al_decision d;
	struct verdicts v = { 0, 0, NULL };
	const struct al_namelist_hit *hit;
	char listed[64];
	bool rebinding, exempt;
	struct al_query q;
	struct al_ip ip;
	struct origin o;
	uint8_t key[AL_CACHE_KEY_MAX];
	size_t keylen;
	int rc;

	AL_STAT_INC(w->stats.queries);
	rc = al_msg_parse_query(pkt, len, &q);
	if (rc < 0) {
		AL_STAT_INC(w->stats.dropped_malformed);
		al_client_release(c);
		return;
	}
	if (al_ip_from_sockaddr((struct sockaddr *)&c->peer, &ip) == 0)
		zone = al_zonemap_match(w->cfg->zonemap, &ip);
	o.zone[0] = '\0';
	o.t0_ns = uv_hrtime(); /* the metrics' latency too */
	o.mzone = zone ? w->zone_slots[zone->index] : AL_METRICS_NO_ZONE;
	if (w->qlog || w->dnstap) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.ts_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	if (w->qlog && zone) /* only the log row names the zone */
		snprintf(o.zone, sizeof(o.zone), "%s", zone->name);
	if (al_dnstap_wants(w->dnstap, AL_DNSTAP_CLIENT_QUERY))
		tap_client(w, c, &o, pkt, len, NULL, 0);
	if (rate_limited(w, c, &q, &ip, zone)) {
		count_unlogged(w, o.ts_us); /* no row, but counted in log_gaps */
		return;
	}
	if (!zone) {
		/* Never an open resolver.  The reply is no larger than the
		 * query: no amplification. */
		AL_STAT_INC(w->stats.refused_no_zone);
		reply_error(w, c, &q, &o, AL_RCODE_REFUSED, AL_ACT_REFUSED, "no zone", NULL);
		return;
	}
	if (w->qlog && w->cfg->log_required && !al_qlog_available(w->qlog)) {
		/* An unlogged answer is worse than none here. */
		AL_STAT_INC(w->stats.log_unavailable);
		reply_error(w, c, &q, &o, AL_RCODE_SERVFAIL, AL_ACT_FAILED, "log unavailable", NULL);
		return;
	}
	if (rc > 0) {
		const char *why = rc == AL_RCODE_FORMERR ? "formerr" : rc == AL_RCODE_NOTIMP ? "notimp" : "badvers";
		if (rc == AL_RCODE_FORMERR)
			AL_STAT_INC(w->stats.formerr);
		else if (rc == AL_RCODE_NOTIMP)
			AL_STAT_INC(w->stats.notimp);
		else
			AL_STAT_INC(w->stats.badvers);
		reply_error(w, c, &q, &o, rc, AL_ACT_REFUSED, why, NULL);
		return;
	}
	if (q.qtype == AL_TYPE_AXFR || q.qtype == AL_TYPE_IXFR || q.qtype == AL_TYPE_OPT) {
		AL_STAT_INC(w->stats.refused_other);
		reply_error(w, c, &q, &o, AL_RCODE_REFUSED, AL_ACT_REFUSED, "zone transfer", NULL);
		return;
	}
	al_policy_decide(w->cfg, w->cfg->catalog, zone, q.qname_lc, q.qname_len, &d);
	if (!d.deny && w->cfg->block &&
	    (hit = al_namelist_match(w->cfg->block, q.qname_lc, q.qname_len)) != NULL) {
		snprintf(listed, sizeof(listed), "list %s: %s", hit->list, hit->entry);
		d.deny = true;
		d.reason = listed;
		AL_STAT_INC(w->stats.block_listed);
		d.incident = NULL;
	}
	if (d.deny) {
		deny(w, c, &q, &o, zone, &d);
		return;
	}
	if (w->cfg->localdata && answer_local(w, c, &q, &o))
		return;
	/* Protected names are checked against stricter rules; internal
	 * names may have internal addresses. */
	rebinding = zone->view.rebinding && !d.internal && !d.ep;
	keylen = al_cache_key(&q, key);
	a = al_cache_get(w->cache, key, keylen, now_ms(w));
	worker_publish_cache(w);
	if (a) {
		/* A young domain's answer: the zone's rule may block it. */
		if (a->new_until_ms > now_ms(w) && first_sight(w, c, &q, &o, zone, &v))
			return;
		AL_STAT_INC(w->stats.cache_hits);
		reply_answer(w, c, &q, &o, a, rebinding, AL_ACT_CACHE, NULL, v.alert);
		return;
	}
	/* Names the guard never judges: protected, internal, allow-listed. */
	exempt = d.ep || d.internal ||
		 (w->cfg->allow && al_namelist_match(w->cfg->allow, q.qname_lc, q.qname_len));
	if (!exempt && (first_sight(w, c, &q, &o, zone, &v) ||
			(zone->view.tunnel.action != AL_TUNNEL_OFF && judge(w, c, &q, &o, zone, &v))))
		return;
	forward(w, c, &q, &o, &d, rebinding, &v, key, keylen);
}
