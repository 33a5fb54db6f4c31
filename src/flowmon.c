/* The flow monitor's judgement: see flowmon.h.
 *
 * Three kinds of state, each a hash table of nodes that also sit on a list
 * in the order they were stamped, so that the ones stamped longer than the
 * window ago are dropped from its head: open findings (aggregated until
 * their window closes), per-connection byte sums (large_transfer; stamped
 * each time the connection shows up, so a long one goes on summing) and
 * per-source REJECT counts (rejected_probe). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/catalog.h"
#include "airlock/flowmon.h"
#include "airlock/hash.h"
#include "airlock/msg.h"
#include "airlock/rules.h"

#define SEED 0x9e3779b97f4a7c15ull
#define KEY_MAX 64
#define PROBE_DSTS 64 /* distinct destinations remembered per source */
#define CONN_STARTS 8 /* intervals remembered per connection, to count each once */

void al_flowmon_defaults(struct al_flowmon_opts *o)
{
	o->grace_us = 20 * 60 * 1000000LL;
	o->large_bytes = 100ull << 20;
	o->probe_rejects = 20;
	o->window_us = 10 * 60 * 1000000LL;
}

struct node {
	uint64_t h;
	uint8_t key[KEY_MAX];
	size_t keylen;
	int64_t stamp_us;           /* the flow time it was made at (connections: last seen at) */
	struct node *chain;         /* hash chain */
	struct node *prev, *next;   /* the list in stamping order */
	union {
		struct al_flow_finding finding;
		struct {
			uint64_t bytes;
			int64_t starts[CONN_STARTS]; /* the intervals counted, a ring */
			unsigned nstarts;
			bool reported;
		} conn;
		struct {
			uint64_t dsts[PROBE_DSTS];
			unsigned ndsts;
			bool reported;
		} probe;
	} u;
};

struct table {
	struct node **buckets;
	size_t mask, count;
	struct node *head, *tail;
};

struct al_flowmon {
	const struct al_config *cfg;
	const struct al_answerindex *answers;
	struct al_flowmon_opts o;
	struct table findings, conns, probes;
	int64_t now_us; /* the latest flow end seen */
	int data, inference; /* zone indexes, -1: none */
};

static int table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
	if (!(t->buckets = calloc(4096, sizeof(*t->buckets))))
		return -ENOMEM;
	t->mask = 4095;
	return 0;
}

static void table_free(struct table *t)
{
	struct node *n, *next;

	for (n = t->head; n; n = next) {
		next = n->next;
		free(n);
	}
	free(t->buckets);
}

static struct node *table_find(const struct table *t, const void *key, size_t len, uint64_t h)
{
	struct node *n;

	for (n = t->buckets[h & t->mask]; n; n = n->chain)
		if (n->h == h && n->keylen == len && !memcmp(n->key, key, len))
			return n;
	return NULL;
}

/* a + b for a flow's byte counts: they reach UINT64_MAX in the formats
 * that allow it, so a sum stops there rather than wrap. */
static uint64_t sum(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static struct node *table_add(struct table *t, const void *key, size_t len, uint64_t h, int64_t now)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (t->count > t->mask) {
		size_t size = (t->mask + 1) * 2, i;
		struct node **b = calloc(size, sizeof(*b)), *m, *next;
		if (!b) {
			free(n);
			return NULL;
		}
		for (i = 0; i <= t->mask; i++)
			for (m = t->buckets[i]; m; m = next) {
				next = m->chain;
				m->chain = b[m->h & (size - 1)];
				b[m->h & (size - 1)] = m;
			}
		free(t->buckets);
		t->buckets = b;
		t->mask = size - 1;
	}
	n->h = h;
	memcpy(n->key, key, len);
	n->keylen = len;
	n->stamp_us = now;
	n->chain = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = n;
	n->prev = t->tail;
	if (t->tail)
		t->tail->next = n;
	else
		t->head = n;
	t->tail = n;
	t->count++;
	return n;
}

/* Stamps n again and moves it to the list's tail: it is then dropped a
 * window after now rather than after it was made. */
static void table_touch(struct table *t, struct node *n, int64_t now)
{
	if (now > n->stamp_us)
		n->stamp_us = now;
	if (t->tail == n)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		t->head = n->next;
	n->next->prev = n->prev;
	n->prev = t->tail;
	n->next = NULL;
	t->tail->next = n;
	t->tail = n;
}

/* Unlinks the list's first node from its chain and the list; the caller frees it. */
static struct node *table_pop(struct table *t)
{
	struct node *n = t->head, **pp;

	if (!n)
		return NULL;
	for (pp = &t->buckets[n->h & t->mask]; *pp != n; pp = &(*pp)->chain)
		;
	*pp = n->chain;
	t->head = n->next;
	if (t->head)
		t->head->prev = NULL;
	else
		t->tail = NULL;
	t->count--;
	return n;
}

int al_flowmon_new(const struct al_config *cfg, const struct al_flowmon_opts *opts,
		   const struct al_answerindex *answers, struct al_flowmon **out)
{
	struct al_flowmon *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->cfg = cfg;
	m->answers = answers;
	m->o = *opts;
	if (table_init(&m->findings) < 0 || table_init(&m->conns) < 0 || table_init(&m->probes) < 0) {
		al_flowmon_free(m);
		return -ENOMEM;
	}
	m->data = al_rules_zone_find(cfg->zones, cfg->nzones, "data");
	m->inference = al_rules_zone_find(cfg->zones, cfg->nzones, "inference");
	*out = m;
	return 0;
}

void al_flowmon_free(struct al_flowmon *m)
{
	if (!m)
		return;
	table_free(&m->findings);
	table_free(&m->conns);
	table_free(&m->probes);
	free(m);
}

static size_t ip_key(uint8_t *out, const struct al_ip *ip)
{
	out[0] = (uint8_t)ip->family;
	memcpy(out + 1, ip->bytes, 16);
	return 17;
}

/* Aggregates a finding under (kind, src, dst, name): the kind and the
 * name are compared by pointer (static strings, interned names). */
static int finding(struct al_flowmon *m, const struct al_flow_finding *f)
{
	uint8_t key[KEY_MAX];
	size_t len = 0;
	struct node *n;
	uint64_t h;

	memcpy(key, &f->kind, sizeof(f->kind));
	len += sizeof(f->kind);
	len += ip_key(key + len, &f->flow.src);
	len += ip_key(key + len, &f->flow.dst);
	memcpy(key + len, &f->name, sizeof(f->name));
	len += sizeof(f->name);
	h = al_hash(key, len, SEED);
	if ((n = table_find(&m->findings, key, len, h)) != NULL) {
		n->u.finding.count++;
		n->u.finding.bytes = sum(n->u.finding.bytes, f->flow.bytes);
		if (f->flow.end_us > n->u.finding.last_us)
			n->u.finding.last_us = f->flow.end_us;
		return 0;
	}
	if (!(n = table_add(&m->findings, key, len, h, f->flow.end_us)))
		return -ENOMEM;
	n->u.finding = *f;
	n->u.finding.count = f->count ? f->count : 1;
	n->u.finding.bytes = f->flow.bytes;
	n->u.finding.last_us = f->flow.end_us;
	return 0;
}

static bool is_airlock(const struct al_config *cfg, const struct al_ip *ip)
{
	size_t i;

	for (i = 0; i < cfg->nlisten; i++)
		if (al_ip_equal(&cfg->listen[i].ip, ip))
			return true;
	return false;
}

static enum al_proto proto_of(uint8_t p)
{
	return p == 6 ? AL_PROTO_TCP : p == 17 ? AL_PROTO_UDP : AL_PROTO_ANY;
}

static void check_flow(const struct al_flowmon *m, const struct al_ip *src, int sz, const struct al_ip *dst,
		       int dz, enum al_proto proto, uint16_t port, struct al_flow_verdict *v)
{
	const struct al_config *cfg = m->cfg;
	struct al_flow f = { { sz, true, *src }, { dz, true, *dst }, proto, port };

	al_rules_check(cfg->rules, cfg->nrules, cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate, &f, v);
}

/* A record of the answering side of a connection: one whose reverse the
 * rules allow and itself not, or one from a well-known port to a high one.
 * Never a record whose source is known to have opened the connection
 * (Azure): a client may connect from port 443.  AWS's flow-direction and
 * GCP's reporter say only which way packets crossed an interface, and a
 * server's answers go out too, so they do not say that. */
static bool is_response(const struct al_flowmon *m, const struct al_flowrec *r, int sz, int dz)
{
	struct al_flow_verdict fwd, rev;

	if (!r->sport || !r->dport)
		return false;
	if (r->opened)
		return false;
	if (r->sport < 1024 && r->dport >= 1024)
		return true;
	if (!m->cfg->nrules)
		return false;
	check_flow(m, &r->dst, dz, &r->src, sz, proto_of(r->proto), r->sport, &rev);
	if (!rev.allowed)
		return false;
	check_flow(m, &r->src, sz, &r->dst, dz, proto_of(r->proto), r->dport, &fwd);
	return !fwd.allowed;
}

static void init_finding(struct al_flow_finding *f, const char *kind, enum al_severity sev,
			 const struct al_flowrec *r, int sz, int dz, const struct al_answer_ref *ref,
			 bool by_zone)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = sev;
	f->flow = *r;
	f->src_zone = sz;
	f->dst_zone = dz;
	if (ref) {
		f->name = ref->name;
		f->answered_us = ref->ts_us;
		f->by_zone = by_zone;
		f->query_id = ref->query_id;
	}
}

/* Whether the name is an endpoint of the catalog. */
static bool approved(const struct al_config *cfg, const char *name)
{
	uint8_t wire[AL_MAX_NAME];
	int n = al_msg_name_from_text(name, wire, sizeof(wire));

	return n > 0 && cfg->catalog && al_catalog_match(cfg->catalog, wire, (size_t)n) != NULL;
}

/* large_transfer: the bytes of one connection, each interval once although
 * both ends' interfaces log it, for as long as it shows up at least once a
 * window. */
static int large(struct al_flowmon *m, const struct al_flowrec *r, int sz, int dz,
		 const struct al_answer_ref *ref, bool by_zone)
{
	uint8_t key[KEY_MAX];
	size_t len = 0;
	struct node *n;
	struct al_flow_finding f;
	uint64_t h;
	unsigned i;

	len += ip_key(key + len, &r->src);
	len += ip_key(key + len, &r->dst);
	memcpy(key + len, &r->sport, 2);
	memcpy(key + len + 2, &r->dport, 2);
	key[len + 4] = r->proto;
	len += 5;
	h = al_hash(key, len, SEED);
	if ((n = table_find(&m->conns, key, len, h)) != NULL)
		table_touch(&m->conns, n, r->end_us);
	else if (!(n = table_add(&m->conns, key, len, h, r->end_us)))
		return -ENOMEM;
	for (i = 0; i < n->u.conn.nstarts && i < CONN_STARTS; i++)
		if (n->u.conn.starts[i] == r->start_us)
			return 0; /* the same interval from the other end's interface */
	n->u.conn.starts[n->u.conn.nstarts++ % CONN_STARTS] = r->start_us;
	n->u.conn.bytes = sum(n->u.conn.bytes, r->bytes);
	if (n->u.conn.reported || n->u.conn.bytes <= m->o.large_bytes)
		return 0;
	n->u.conn.reported = true;
	init_finding(&f, "large_transfer", AL_SEV_HIGH, r, sz, dz, ref, by_zone);
	f.flow.bytes = n->u.conn.bytes; /* the connection's sum so far */
	return finding(m, &f);
}

/* rejected_probe: REJECTs from one source to many destinations. */
static int probe(struct al_flowmon *m, const struct al_flowrec *r, int sz, int dz)
{
	uint8_t key[KEY_MAX];
	size_t len = ip_key(key, &r->src);
	uint64_t h = al_hash(key, len, SEED), d;
	struct al_flow_finding f;
	struct node *n;
	unsigned i;

	if (!(n = table_find(&m->probes, key, len, h)) && !(n = table_add(&m->probes, key, len, h, r->end_us)))
		return -ENOMEM;
	d = al_hash(r->dst.bytes, 16, SEED ^ r->dport);
	for (i = 0; i < n->u.probe.ndsts && n->u.probe.dsts[i] != d; i++)
		;
	if (i == n->u.probe.ndsts && n->u.probe.ndsts < PROBE_DSTS)
		n->u.probe.dsts[n->u.probe.ndsts++] = d;
	if (n->u.probe.reported || n->u.probe.ndsts < m->o.probe_rejects)
		return 0;
	n->u.probe.reported = true;
	init_finding(&f, "rejected_probe", sz >= 0 ? AL_SEV_HIGH : AL_SEV_WARNING, r, sz, dz, NULL, false);
	f.count = n->u.probe.ndsts;
	return finding(m, &f);
}

/* Drops state older than the window; findings go to fn first. */
static int expire(struct al_flowmon *m, al_flow_finding_fn fn, void *arg, bool all)
{
	struct node *n;
	int rc = 0;

	while (m->findings.head && (all || m->findings.head->stamp_us + m->o.window_us < m->now_us)) {
		n = table_pop(&m->findings);
		if (rc == 0)
			rc = fn(&n->u.finding, arg);
		free(n);
	}
	while (m->conns.head && m->conns.head->stamp_us + m->o.window_us < m->now_us)
		free(table_pop(&m->conns));
	while (m->probes.head && m->probes.head->stamp_us + m->o.window_us < m->now_us)
		free(table_pop(&m->probes));
	return rc;
}

int al_flowmon_add(struct al_flowmon *m, const struct al_flowrec *r, al_flow_finding_fn fn, void *arg)
{
	const struct al_config *cfg = m->cfg;
	const struct al_answer_ref *ref = NULL;
	struct al_answer_ref answer;
	struct al_flow_finding f;
	struct al_flow_verdict v;
	bool by_zone = false, dns;
	int sz, dz, rc = 0;

	if (r->end_us > m->now_us)
		m->now_us = r->end_us;
	sz = al_rules_zone_of(cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate, &r->src);
	dz = al_rules_zone_of(cfg->zones, cfg->nzones, cfg->private_cidrs, cfg->nprivate, &r->dst);
	if (r->action == AL_FLOW_REJECT) {
		rc = probe(m, r, sz, dz);
		return rc < 0 ? rc : expire(m, fn, arg, false);
	}
	if (sz < 0 || is_airlock(cfg, &r->src) || is_response(m, r, sz, dz))
		return expire(m, fn, arg, false);
	ref = al_answerindex_find(m->answers, &r->dst, &r->src, sz, r->start_us, r->end_us, m->o.grace_us,
				  &answer, &by_zone);
	dns = (r->dport == 53 || r->dport == 853) && (r->proto == 6 || r->proto == 17);
	if (dns && is_airlock(cfg, &r->dst))
		return expire(m, fn, arg, false); /* what every zone must do: ask airlock */
	if (dns) {
		init_finding(&f, "dns_bypass", AL_SEV_HIGH, r, sz, dz, ref, by_zone);
		rc = finding(m, &f);
	}
	if (rc == 0 && sz == m->data && dz == AL_ZONE_INTERNET) {
		init_finding(&f, "data_zone_egress", AL_SEV_CRITICAL, r, sz, dz, ref, by_zone);
		rc = finding(m, &f);
	}
	if (rc == 0 && sz == m->inference && (dz == AL_ZONE_INTERNET || dz == AL_ZONE_EXTERNAL_AI))
		rc = large(m, r, sz, dz, ref, by_zone);
	if (rc == 0 && sz == m->inference && dz < 0 && ref && !approved(cfg, ref->name)) {
		init_finding(&f, "unapproved_endpoint", AL_SEV_WARNING, r, sz, dz, ref, by_zone);
		rc = finding(m, &f);
	}
	if (rc == 0 && dz == AL_ZONE_INTERNET && !ref && !dns) {
		init_finding(&f, "no_dns_answer", AL_SEV_WARNING, r, sz, dz, NULL, false);
		rc = finding(m, &f);
	}
	if (rc == 0 && cfg->nrules) {
		check_flow(m, &r->src, sz, &r->dst, dz, proto_of(r->proto), r->dport, &v);
		if (!v.allowed) {
			init_finding(&f, "policy_violation", AL_SEV_HIGH, r, sz, dz, ref, by_zone);
			snprintf(f.rule, sizeof(f.rule), "%s", v.nrules ? v.rules[0]->id : "default deny");
			rc = finding(m, &f);
		}
	}
	return rc < 0 ? rc : expire(m, fn, arg, false);
}

int al_flowmon_flush(struct al_flowmon *m, al_flow_finding_fn fn, void *arg)
{
	return expire(m, fn, arg, true);
}
