/* The worker rig: see rig.h.  The al_listener_* and al_client_* functions
 * here replace src/listener.c's when linked first. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "airlock/dnstap.h"
#include "airlock/listener.h"
#include "airlock/seen.h"
#include "airlock/worker.h"
#include "fuzz.h"
#include "rig.h"

struct al_listener {
	uv_loop_t *loop;
	al_query_fn fn;
	void *arg;
};

static struct {
	struct al_config *cfg;
	int upfd;                    /* the upstream's socket, shared by every worker */
	struct sockaddr_in upfrom;   /* where the last upstream question came from */
	struct al_listener listener; /* the one al_worker_new made */
	struct al_worker *w;
	struct al_seen *seen;
	struct al_dnstap *tap;       /* opened once, for the whole run */
	struct rig_reply *out;       /* the client being answered */
	char tcp_marker;             /* a TCP client's al_conn: never dereferenced */
} rig = { .upfd = -1 };

/* ----- src/listener.c's functions, as the worker sees them ----- */

int al_listener_new(uv_loop_t *loop, const struct al_config *cfg, al_query_fn fn, void *arg,
		    struct al_stats *stats, struct al_listener **out, struct al_err *err)
{
	(void)cfg;
	(void)stats;
	(void)err;
	rig.listener.loop = loop;
	rig.listener.fn = fn;
	rig.listener.arg = arg;
	*out = &rig.listener;
	return 0;
}

int al_listener_start(struct al_listener *l)
{
	(void)l;
	return 0;
}

void al_listener_set_limits(struct al_listener *l, uint32_t max_conns, uint32_t idle_ms)
{
	(void)l;
	(void)max_conns;
	(void)idle_ms;
}

void al_listener_stop(struct al_listener *l)
{
	(void)l;
}

void al_listener_close(struct al_listener *l)
{
	(void)l;
}

void al_listener_free(struct al_listener *l)
{
	(void)l;
}

size_t al_listener_conns(const struct al_listener *l)
{
	(void)l;
	return 0;
}

void al_client_reply(struct al_client *c, const uint8_t *msg, size_t len)
{
	FUZZ_CHECK(rig.out != NULL, "a reply with no client waiting");
	FUZZ_CHECK(len <= sizeof(rig.out->msg), "a reply of %zu bytes", len);
	rig.out->replies++;
	rig.out->len = len;
	memcpy(rig.out->msg, msg, len);
	c->conn = NULL;
	c->udp = NULL;
}

void al_client_release(struct al_client *c)
{
	FUZZ_CHECK(rig.out != NULL, "a release with no client waiting");
	if (!c->conn && !c->udp)
		return; /* already replied or released: a no-op, as in listener.c */
	rig.out->releases++;
	c->conn = NULL;
	c->udp = NULL;
}

int al_client_is_tcp(const struct al_client *c)
{
	return c->conn != NULL;
}

int al_client_local(const struct al_client *c, struct sockaddr_storage *out)
{
	(void)c;
	(void)out;
	return -EINVAL;
}

/* ----- the rig ----- */

static const char *peer_text[RIG_NPEERS] = {
	"127.0.1.9", "127.0.2.9", "127.0.3.9", "127.0.4.9", "127.0.5.9", "127.0.6.9",
	"192.0.2.9", "::1",
};

struct al_config *rig_config(void)
{
	static char text[4096];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	const char *src = fuzz_srcdir();
	struct al_err err;

	if (rig.cfg)
		return rig.cfg;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((rig.upfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(rig.upfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(rig.upfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("rig: upstream socket");
		abort();
	}
	snprintf(text, sizeof(text),
		 "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5353}],\n"
		 " \"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": %u}],\n"
		 " \"zones\": [\n"
		 "  {\"name\": \"application\", \"cidrs\": [\"127.0.1.0/24\"], \"ai\": \"deny\", \"rebinding_protection\": true},\n"
		 "  {\"name\": \"inference\", \"cidrs\": [\"127.0.2.0/24\"], \"ai\": \"private\"},\n"
		 "  {\"name\": \"data\", \"cidrs\": [\"127.0.3.0/24\"], \"ai\": \"deny\", \"names\": \"internal-only\", \"deny_response\": \"nxdomain\"},\n"
		 "  {\"name\": \"management\", \"cidrs\": [\"127.0.4.0/24\", \"::1/128\"], \"ai\": \"deny\"},\n"
		 "  {\"name\": \"sandbox\", \"cidrs\": [\"127.0.5.0/24\"], \"ai\": \"deny\", \"names\": \"none\", \"deny_response\": \"nodata\"},\n"
		 "  {\"name\": \"guarded\", \"cidrs\": [\"127.0.6.0/24\"], \"ai\": \"deny\",\n"
		 "   \"tunnel\": {\"action\": \"block\", \"threshold\": 0.5, \"daily_bytes\": 2000},\n"
		 "   \"new_domains\": {\"action\": \"block\"}}],\n"
		 " \"cache\": {\"size_mib\": 1, \"min_ttl\": %u, \"max_ttl\": %u, \"max_negative_ttl\": %u},\n"
		 " \"timeouts\": {\"upstream_ms\": 2000, \"query_ms\": 4000, \"upstream_holddown_ms\": 0},\n"
		 " \"edns\": {\"buffer_size\": %u},\n"
		 " \"threads\": 1,\n"
		 " \"internal_suffixes\": [\"internal\"],\n"
		 " \"endpoints\": {\"private_cidrs\": [\"10.0.2.0/24\"]},\n"
		 " \"local_data\": [\"%s/zones/private-endpoints.zone\"],\n"
		 " \"guard\": {\"allow_lists\": [\"%s/zones/guard-allow.txt\"],\n"
		 "             \"block_lists\": [\"%s/zones/guard-block.txt\"], \"max_domains\": 64},\n"
		 " \"new_domains\": {\"learning_s\": 0, \"age_s\": 3600},\n"
		 " \"rate_limit\": {\"refused_per_second\": 0, \"upstream_per_domain\": 0},\n"
		 " \"dnstap\": {\"socket\": \"/nonexistent/airlock-fuzz-tap.sock\"}}\n",
		 ntohs(sa.sin_port), RIG_MIN_TTL, RIG_MAX_TTL, RIG_MAX_NEG_TTL, RIG_EDNS, src, src, src);
	if (al_config_parse(text, "rig.json", &rig.cfg, &err) < 0) {
		fprintf(stderr, "rig: %s\n", err.msg);
		abort();
	}
	return rig.cfg;
}

void rig_start(void)
{
	struct al_err err;
	uint8_t junk[512];

	rig_config();
	while (recv(rig.upfd, junk, sizeof(junk), 0) >= 0)
		; /* an earlier input's leftovers */
	if (al_seen_new(1000, &rig.seen) < 0 || al_worker_new(0, rig.cfg, rig.seen, &rig.w, &err) < 0) {
		fprintf(stderr, "rig: worker: %s\n", err.msg);
		abort();
	}
	/* Every message is encoded as a dnstap frame; with no collector
	 * there, the frames wait in the queue, then are dropped. */
	if (!rig.tap && al_dnstap_open(&rig.cfg->dnstap, 1, &rig.tap, &err) < 0) {
		fprintf(stderr, "rig: dnstap: %s\n", err.msg);
		abort();
	}
	al_worker_set_dnstap(rig.w, rig.tap);
}

void rig_stop(void)
{
	/* A question still out ends at its timeout: let it, so the worker's
	 * handles are all closed. */
	struct rig_reply sink;

	rig.out = &sink;
	al_worker_free(rig.w);
	al_seen_free(rig.seen);
	rig.w = NULL;
	rig.seen = NULL;
	rig.out = NULL;
}

void rig_query(enum rig_zone z, bool tcp, const uint8_t *pkt, size_t len, struct rig_reply *out)
{
	struct al_client c;
	struct al_ip ip;
	socklen_t salen;

	memset(&c, 0, sizeof(c));
	if (al_ip_parse(peer_text[z], &ip) < 0)
		abort();
	al_sockaddr_make(&ip, 40000, &c.peer, &salen);
	if (tcp)
		c.conn = (struct al_conn *)&rig.tcp_marker;
	else
		c.udp = (uv_udp_t *)&rig.tcp_marker;
	out->replies = out->releases = 0;
	out->len = 0;
	rig.out = out;
	rig.listener.fn(rig.listener.arg, &c, pkt, len);
}

void rig_run(bool wait)
{
	uv_run(rig.listener.loop, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT);
}

size_t rig_upstream_read(uint8_t *buf, size_t cap)
{
	socklen_t fl = sizeof(rig.upfrom);
	ssize_t n = recvfrom(rig.upfd, buf, cap, 0, (struct sockaddr *)&rig.upfrom, &fl);

	return n > 0 ? (size_t)n : 0;
}

void rig_upstream_send(const uint8_t *msg, size_t len)
{
	if (sendto(rig.upfd, msg, len, 0, (struct sockaddr *)&rig.upfrom, sizeof(rig.upfrom)) < 0) {
		perror("rig: upstream send");
		abort();
	}
}

struct walked {
	size_t end;    /* just past the last record */
	unsigned opts; /* OPT records */
};

static int walk_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	struct walked *wk = arg;

	(void)pkt;
	wk->end = rr->rdata_off + rr->rdlen;
	if (rr->type == AL_TYPE_OPT) {
		FUZZ_CHECK(rr->section == 3, "an OPT in section %d", rr->section);
		wk->opts++;
	}
	return 0;
}

void rig_check_reply(enum rig_zone z, bool tcp, const uint8_t *pkt, size_t len,
		     const struct rig_reply *r)
{
	struct walked wk = { AL_HDR, 0 };
	struct al_query q;
	int rc = al_msg_parse_query(pkt, len, &q);
	size_t limit = tcp ? AL_MAX_MSG : !q.edns ? 512 : q.udp_size < RIG_EDNS ? q.udp_size : RIG_EDNS;
	const uint8_t *m = r->msg;
	uint16_t flags;
	size_t off = AL_HDR;
	unsigned i;

	FUZZ_CHECK(r->replies + r->releases == 1, "%d replies and %d releases for one query",
		   r->replies, r->releases);
	if (rc < 0) {
		FUZZ_CHECK(r->replies == 0, "a reply (%zu bytes) to a packet that is no query", r->len);
		return;
	}
	if (r->replies == 0)
		return; /* dropped: allowed */
	FUZZ_CHECK(r->len >= AL_HDR, "a reply of %zu bytes", r->len);
	FUZZ_CHECK(r->len <= limit, "a reply of %zu bytes over the client's limit %zu", r->len, limit);
	if (z == RIG_NOZONE)
		FUZZ_CHECK(r->len <= len, "a refusal of %zu bytes to a query of %zu", r->len, len);
	flags = al_get16(m + 2);
	FUZZ_CHECK(flags & AL_FLAG_QR, "QR clear in the reply");
	FUZZ_CHECK(al_get16(m) == q.id, "reply ID %u to query ID %u", al_get16(m), q.id);
	FUZZ_CHECK(AL_OPCODE(flags) == AL_OPCODE(q.flags), "opcode %u in the reply to opcode %u",
		   AL_OPCODE(flags), AL_OPCODE(q.flags));
	FUZZ_CHECK(!tcp || !(flags & AL_FLAG_TC), "TC over TCP");
	if (q.qname_len) {
		FUZZ_CHECK(al_get16(m + 4) == 1, "%u questions in the reply", al_get16(m + 4));
		FUZZ_CHECK(r->len >= AL_HDR + q.qname_len + 4 &&
			   memcmp(m + AL_HDR, q.qname, q.qname_len) == 0 &&
			   al_get16(m + AL_HDR + q.qname_len) == q.qtype &&
			   al_get16(m + AL_HDR + q.qname_len + 2) == q.qclass,
			   "the reply's question is not the query's");
	}
	for (i = al_get16(m + 4); i > 0; i--) {
		FUZZ_CHECK(al_msg_skip_name(m, r->len, &off) == 0 && off + 4 <= r->len,
			   "a malformed question in the reply");
		off += 4;
	}
	wk.end = off;
	FUZZ_CHECK(al_msg_walk(m, r->len, walk_rr, &wk) == 0, "a malformed reply");
	FUZZ_CHECK(wk.end == r->len, "%zu bytes after the reply's last record", r->len - wk.end);
	FUZZ_CHECK(wk.opts <= 1, "%u OPT records in the reply", wk.opts);
	if (q.edns)
		FUZZ_CHECK(wk.opts == 1, "no OPT in the reply to an EDNS query");
}
