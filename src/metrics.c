/* Per-worker metrics and their Prometheus text exposition: see metrics.h. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/metrics.h"
#include "airlock/msg.h"

#define QSLOT_BITS 12
_Static_assert(AL_METRICS_QSLOTS == 1u << QSLOT_BITS, "AL_METRICS_QSLOTS is 2^QSLOT_BITS");

/* Upper bounds in microseconds, and as the le label shows them. */
static const uint64_t bounds_us[AL_METRICS_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000,
};
static const char *const bounds_le[AL_METRICS_BUCKETS + 1] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
};

/* The qtypes worth a label of their own; the rest are "other". */
static const struct {
	uint16_t type;
	const char *name;
} qtypes[] = {
	{ 1, "A" }, { 28, "AAAA" }, { 5, "CNAME" }, { 15, "MX" }, { 16, "TXT" }, { 2, "NS" },
	{ 6, "SOA" }, { 12, "PTR" }, { 33, "SRV" }, { 65, "HTTPS" }, { 64, "SVCB" }, { 255, "ANY" },
};
#define NQTYPES (sizeof(qtypes) / sizeof(qtypes[0]))

#define NRCODES 6 /* NOERROR-REFUSED have their own label value, the rest are "other" */
#define NACTIONS AL_NACTIONS /* a value outside enum al_action is "unknown" (7) */
#define MAX_PROBES 32 /* a label set not found this close is counted as untracked */

/* qkey packs these into 4 (type), 3 (rcode) and 3 (decision) bits, each
 * with one value to spare for "other". */
_Static_assert(sizeof(qtypes) / sizeof(qtypes[0]) < 16, "qtype index needs more than 4 bits");
_Static_assert(NRCODES < 8, "rcode index needs more than 3 bits");
_Static_assert(AL_NACTIONS < 8, "decision needs more than 3 bits");

static unsigned qtype_index(uint16_t qtype)
{
	unsigned i;

	for (i = 0; i < NQTYPES && qtypes[i].type != qtype; i++)
		;
	return i;
}

/* The label of a packed qtype index (NQTYPES: none of the named ones). */
static const char *qtype_label(unsigned i)
{
	return i < NQTYPES ? qtypes[i].name : "other";
}

const char *al_metrics_qtype_name(uint16_t qtype)
{
	return qtype_label(qtype_index(qtype));
}

const char *al_metrics_rcode_name(unsigned rcode)
{
	return rcode < NRCODES ? al_msg_rcode_name((int)rcode) : "other";
}

/* One label set packed: a set bit 31 (so 0 means free), zone slot in bits
 * 10-25, qtype index 6-9, rcode index 3-5, decision 0-2. */
static uint32_t qkey(unsigned zone, unsigned type, unsigned rcode, unsigned action)
{
	return 1u << 31 | (zone & 0xffffu) << 10 | type << 6 | rcode << 3 | action;
}

unsigned al_metrics_zone(struct al_metrics *m, const char *name)
{
	size_t i, n = m->nzones; /* only the owner writes it */

	for (i = 0; i < n; i++)
		if (strcmp(m->zones[i], name) == 0)
			return (unsigned)i;
	if (n == AL_METRICS_ZONES)
		return AL_METRICS_OTHER_ZONE;
	snprintf(m->zones[n], sizeof(m->zones[n]), "%s", name);
	__atomic_store_n(&m->nzones, n + 1, __ATOMIC_RELEASE);
	return (unsigned)n;
}

int al_metrics_upstream(struct al_metrics *m, const struct sockaddr *sa)
{
	char name[AL_ADDRSTRLEN];
	struct al_ip ip;
	size_t i, n = m->nups;

	if (al_ip_from_sockaddr(sa, &ip) < 0)
		return AL_METRICS_NO_UPSTREAM;
	al_ip_format(&ip, name, sizeof(name));
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "#%u", al_sockaddr_port(sa));
	for (i = 0; i < n; i++)
		if (strcmp(m->ups[i].name, name) == 0)
			return (int)i;
	if (n == AL_METRICS_UPSTREAMS)
		return AL_METRICS_NO_UPSTREAM;
	memcpy(m->ups[n].name, name, sizeof(name));
	__atomic_store_n(&m->nups, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

void al_metrics_observe(struct al_hist *h, uint64_t us)
{
	unsigned i;

	for (i = 0; i < AL_METRICS_BUCKETS && us > bounds_us[i]; i++)
		;
	al_metrics_add(&h->buckets[i], 1);
	al_metrics_add(&h->sum_us, us);
}

void al_metrics_query(struct al_metrics *m, unsigned zone, uint16_t qtype, unsigned rcode,
		      enum al_action decision, uint64_t latency_us)
{
	unsigned action = (unsigned)decision < NACTIONS ? (unsigned)decision : 7;
	uint32_t key = qkey(zone, qtype_index(qtype), rcode < NRCODES ? rcode : NRCODES, action);
	uint32_t i = (key * 2654435761u) >> (32 - QSLOT_BITS), k, probes;

	al_metrics_observe(&m->latency, latency_us);
	/* Probing stops early: a full table must not cost a query a scan. */
	for (probes = 0; probes < MAX_PROBES; probes++, i = (i + 1) & (AL_METRICS_QSLOTS - 1)) {
		k = m->q[i].key;
		if (k == key) {
			al_metrics_add(&m->q[i].n, 1);
			return;
		}
		if (k == 0) {
			/* The count first: a reader that sees the key sees it. */
			al_metrics_set(&m->q[i].n, 1);
			__atomic_store_n(&m->q[i].key, key, __ATOMIC_RELEASE);
			return;
		}
	}
	al_metrics_add(&m->q_untracked, 1);
}

void al_metrics_incident(struct al_metrics *m, const char *kind, enum al_severity sev)
{
	size_t i, n = m->nincidents;

	for (i = 0; i < n; i++)
		if (m->incidents[i].severity == (uint8_t)sev && strcmp(m->incidents[i].kind, kind) == 0) {
			al_metrics_add(&m->incidents[i].n, 1);
			return;
		}
	if (n == AL_METRICS_KINDS) {
		al_metrics_add(&m->incidents_untracked, 1);
		return;
	}
	snprintf(m->incidents[n].kind, sizeof(m->incidents[n].kind), "%s", kind);
	m->incidents[n].severity = (uint8_t)sev;
	al_metrics_set(&m->incidents[n].n, 1);
	__atomic_store_n(&m->nincidents, n + 1, __ATOMIC_RELEASE);
}

/* ----- rendering ----- */

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		need = b->len + (size_t)n + 1;
		if (!(p = realloc(b->p, need > 2 * b->cap ? need : 2 * b->cap))) {
			b->err = -ENOMEM;
			return;
		}
		b->cap = need > 2 * b->cap ? need : 2 * b->cap;
		b->p = p;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static const char *esc(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : *s;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static uint64_t load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void scalar(struct buf *b, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	head(b, name, type, help);
	put(b, "%s %llu\n", name, v);
}

/* The buckets of one labelled histogram; labels is "" or `k="v",`. */
static void hist(struct buf *b, const char *name, const char *labels, const struct al_hist *h)
{
	unsigned long long cum = 0;
	unsigned i;

	for (i = 0; i <= AL_METRICS_BUCKETS; i++) {
		cum += h->buckets[i];
		put(b, "%s_bucket{%sle=\"%s\"} %llu\n", name, labels, bounds_le[i], cum);
	}
	/* _count is the +Inf bucket, as the format requires, even while a
	 * worker is between its bucket and its sum. */
	if (labels[0]) {
		char l[256];
		snprintf(l, sizeof(l), "%.*s", (int)strlen(labels) - 1, labels);
		put(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, l, (double)h->sum_us / 1e6,
		    name, l, cum);
	} else {
		put(b, "%s_sum %.6f\n%s_count %llu\n", name, (double)h->sum_us / 1e6, name, cum);
	}
}

static void hist_add(struct al_hist *sum, const struct al_hist *h)
{
	unsigned i;

	for (i = 0; i <= AL_METRICS_BUCKETS; i++)
		sum->buckets[i] += load(&h->buckets[i]);
	sum->sum_us += load(&h->sum_us);
}

struct qrow {
	const char *zone;
	unsigned slot;   /* the zone's, until named */
	uint32_t labels; /* the key without its zone */
	uint64_t n;
};

static int qrow_cmp(const void *a, const void *b)
{
	const struct qrow *x = a, *y = b;
	int c = strcmp(x->zone, y->zone);

	return c ? c : x->labels < y->labels ? -1 : x->labels > y->labels;
}

static const char *zone_name(const struct al_metrics *m, size_t nz, unsigned slot)
{
	if (slot == AL_METRICS_NO_ZONE)
		return "";
	return slot < nz ? m->zones[slot] : "(other)";
}

static void render_queries(struct buf *b, const struct al_metrics *const *ws, size_t n)
{
	struct qrow *rows = NULL, *r;
	size_t nrows = 0, cap = 0, i, j, nz;
	unsigned long long untracked = 0;
	char z[160];
	uint32_t key;

	for (i = 0; i < n && !b->err; i++) {
		const struct al_metrics *m = ws[i];
		size_t first = nrows;
		for (j = 0; j < AL_METRICS_QSLOTS; j++) {
			if (!(key = __atomic_load_n(&m->q[j].key, __ATOMIC_ACQUIRE)))
				continue;
			if (nrows == cap) {
				cap = cap ? 2 * cap : 64;
				if (!(r = realloc(rows, cap * sizeof(*rows)))) {
					b->err = -ENOMEM;
					break;
				}
				rows = r;
			}
			rows[nrows].slot = (key >> 10) & 0xffffu;
			rows[nrows].labels = key & 0x3ffu;
			rows[nrows++].n = load(&m->q[j].n);
		}
		/* Names after keys: a key seen names a zone published before it. */
		nz = __atomic_load_n(&m->nzones, __ATOMIC_ACQUIRE);
		for (j = first; j < nrows; j++)
			rows[j].zone = zone_name(m, nz, rows[j].slot);
		untracked += load(&m->q_untracked);
	}
	head(b, "airlock_queries_total", "counter",
	     "Client queries answered or refused, by zone (empty: in no zone), query type, rcode and decision (the query log's action).");
	if (rows)
		qsort(rows, nrows, sizeof(*rows), qrow_cmp);
	for (i = 0; i < nrows && !b->err; i = j) {
		unsigned long long sum = 0;
		unsigned t = rows[i].labels >> 6, rc = rows[i].labels >> 3 & 7, act = rows[i].labels & 7;
		for (j = i; j < nrows && qrow_cmp(&rows[i], &rows[j]) == 0; j++)
			sum += rows[j].n;
		put(b, "airlock_queries_total{zone=\"%s\",type=\"%s\",rcode=\"%s\",decision=\"%s\"} %llu\n",
		    esc(rows[i].zone, z, sizeof(z)), qtype_label(t), al_metrics_rcode_name(rc),
		    al_action_name((enum al_action)act), sum);
	}
	free(rows);
	scalar(b, "airlock_queries_untracked_total", "counter",
	       "Queries answered while a worker's label table was full: in no airlock_queries_total series.",
	       untracked);
}

static void render_latency(struct buf *b, const struct al_metrics *const *ws, size_t n)
{
	struct al_hist h;
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < n; i++)
		hist_add(&h, &ws[i]->latency);
	head(b, "airlock_query_duration_seconds", "histogram",
	     "From a query's arrival to its reply, as the query log records it.");
	hist(b, "airlock_query_duration_seconds", "", &h);
}

static void render_cache(struct buf *b, const struct al_metrics *const *ws, size_t n)
{
	static const struct {
		size_t off;
		const char *name, *type, *help;
	} cache[] = {
		{ offsetof(struct al_metrics, cache_hits), "airlock_cache_hits_total", "counter",
		  "Cache lookups that found a live answer." },
		{ offsetof(struct al_metrics, cache_misses), "airlock_cache_misses_total", "counter",
		  "Cache lookups that found none (or an expired one)." },
		{ offsetof(struct al_metrics, cache_evictions), "airlock_cache_evictions_total", "counter",
		  "Answers evicted to stay within cache.size_mib." },
		{ offsetof(struct al_metrics, cache_entries), "airlock_cache_entries", "gauge",
		  "Answers in the caches (a reload empties them)." },
		{ offsetof(struct al_metrics, cache_bytes), "airlock_cache_bytes", "gauge",
		  "Bytes the cached answers take, as counted against cache.size_mib." },
	};
	unsigned long long v;
	size_t i, k;

	for (k = 0; k < sizeof(cache) / sizeof(cache[0]); k++) {
		for (v = 0, i = 0; i < n; i++)
			v += load((const uint64_t *)((const char *)ws[i] + cache[k].off));
		scalar(b, cache[k].name, cache[k].type, cache[k].help, v);
	}
}

struct uprow {
	const char *name;
	unsigned long long sent, timeouts, errors;
	struct al_hist rtt;
};

static int uprow_cmp(const void *a, const void *b)
{
	return strcmp(((const struct uprow *)a)->name, ((const struct uprow *)b)->name);
}

static void render_upstreams(struct buf *b, const struct al_metrics *const *ws, size_t n)
{
	struct uprow *rows = calloc(n * AL_METRICS_UPSTREAMS + 1, sizeof(*rows));
	size_t nrows = 0, i, j, k, nu;
	char l[160], e[AL_ADDRSTRLEN * 2];

	if (!rows) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		nu = __atomic_load_n(&ws[i]->nups, __ATOMIC_ACQUIRE);
		for (j = 0; j < nu; j++) {
			const struct al_metrics_upstream *u = &ws[i]->ups[j];
			for (k = 0; k < nrows && strcmp(rows[k].name, u->name) != 0; k++)
				;
			if (k == nrows)
				rows[nrows++].name = u->name;
			rows[k].sent += load(&u->sent);
			rows[k].timeouts += load(&u->timeouts);
			rows[k].errors += load(&u->errors);
			hist_add(&rows[k].rtt, &u->rtt);
		}
	}
	qsort(rows, nrows, sizeof(*rows), uprow_cmp);
	head(b, "airlock_upstream_queries_total", "counter",
	     "Queries sent to an upstream resolver (each try, UDP or TCP).");
	for (k = 0; k < nrows; k++)
		put(b, "airlock_upstream_queries_total{upstream=\"%s\"} %llu\n",
		    esc(rows[k].name, e, sizeof(e)), rows[k].sent);
	head(b, "airlock_upstream_failures_total", "counter",
	     "Tries at an upstream that failed: no reply in timeouts.upstream_ms (timeout), or an error rcode or socket error (error).");
	for (k = 0; k < nrows; k++)
		put(b, "airlock_upstream_failures_total{upstream=\"%s\",reason=\"timeout\"} %llu\n"
		       "airlock_upstream_failures_total{upstream=\"%s\",reason=\"error\"} %llu\n",
		    esc(rows[k].name, e, sizeof(e)), rows[k].timeouts, e, rows[k].errors);
	head(b, "airlock_upstream_rtt_seconds", "histogram",
	     "From sending a try to an upstream's accepted reply.");
	for (k = 0; k < nrows; k++) {
		snprintf(l, sizeof(l), "upstream=\"%s\",", esc(rows[k].name, e, sizeof(e)));
		hist(b, "airlock_upstream_rtt_seconds", l, &rows[k].rtt);
	}
	free(rows);
}

static void render_log(struct buf *b, const struct al_metrics_process *p)
{
	if (!p->has_log)
		return;
	scalar(b, "airlock_log_queue_rows", "gauge", "Query log records waiting for the writer.",
	       (unsigned long long)p->log.queued);
	scalar(b, "airlock_log_rows_written_total", "counter", "Query rows committed to the query log.",
	       (unsigned long long)p->log.written);
	scalar(b, "airlock_log_rows_dropped_total", "counter",
	       "Query log records dropped because the queue was full.",
	       (unsigned long long)p->log.dropped);
	scalar(b, "airlock_log_gap_rows_total", "counter", "log_gaps rows written for dropped records.",
	       (unsigned long long)p->log.gap_rows);
	scalar(b, "airlock_log_write_errors_total", "counter", "Query log batches that could not be written.",
	       (unsigned long long)p->log.write_errors);
	scalar(b, "airlock_log_available", "gauge",
	       "1 while a query would be logged; 0 while the database cannot be written or the queue is full.",
	       p->log_available ? 1 : 0);
}

struct kindrow {
	const char *kind;
	unsigned severity;
	unsigned long long n;
};

static int kindrow_cmp(const void *a, const void *b)
{
	const struct kindrow *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	return c ? c : (int)x->severity - (int)y->severity;
}

static void render_incidents(struct buf *b, const struct al_metrics *const *ws, size_t n)
{
	struct kindrow *rows = calloc(n * AL_METRICS_KINDS + 1, sizeof(*rows));
	unsigned long long untracked = 0;
	size_t nrows = 0, i, j, k, ni;
	char e[96];

	if (!rows) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		ni = __atomic_load_n(&ws[i]->nincidents, __ATOMIC_ACQUIRE);
		for (j = 0; j < ni; j++) {
			const struct al_metrics_kind *x = &ws[i]->incidents[j];
			for (k = 0; k < nrows && (rows[k].severity != x->severity ||
						  strcmp(rows[k].kind, x->kind) != 0); k++)
				;
			if (k == nrows) {
				rows[nrows].kind = x->kind;
				rows[nrows++].severity = x->severity;
			}
			rows[k].n += load(&x->n);
		}
		untracked += load(&ws[i]->incidents_untracked);
	}
	qsort(rows, nrows, sizeof(*rows), kindrow_cmp);
	head(b, "airlock_incidents_total", "counter",
	     "Security incidents raised with a query, by kind and severity (as in the query log's incidents).");
	for (k = 0; k < nrows; k++)
		put(b, "airlock_incidents_total{kind=\"%s\",severity=\"%s\"} %llu\n",
		    esc(rows[k].kind, e, sizeof(e)), al_severity_name((enum al_severity)rows[k].severity),
		    rows[k].n);
	free(rows);
	scalar(b, "airlock_incidents_untracked_total", "counter",
	       "Incidents raised while a worker's kind table was full: in no airlock_incidents_total series.",
	       untracked);
}

static void render_guard(struct buf *b, const struct al_stats *s)
{
	head(b, "airlock_guard_blocked_total", "counter",
	     "Queries the exfiltration guard blocked: tunnel detector (threshold or daily cap), newly seen domain, guard.block_lists.");
	put(b, "airlock_guard_blocked_total{kind=\"tunnel\"} %llu\n"
	       "airlock_guard_blocked_total{kind=\"new_domain\"} %llu\n"
	       "airlock_guard_blocked_total{kind=\"block_list\"} %llu\n",
	    (unsigned long long)s->tunnel_blocked, (unsigned long long)s->new_domain_blocked,
	    (unsigned long long)s->block_listed);
	head(b, "airlock_guard_alerts_total", "counter",
	     "Queries the guard suspected but answered (alert mode).");
	put(b, "airlock_guard_alerts_total{kind=\"tunnel\"} %llu\n"
	       "airlock_guard_alerts_total{kind=\"new_domain\"} %llu\n",
	    (unsigned long long)s->tunnel_alerts, (unsigned long long)s->new_domain_alerts);
}

/* The struct al_stats counters no metric above covers. */
static const struct {
	size_t off;
	const char *name, *help;
} stat_metrics[] = {
#define S(field, name, help) { offsetof(struct al_stats, field), name, help }
	S(queries, "airlock_queries_received_total", "Client queries received, malformed ones included."),
	S(queries_tcp, "airlock_tcp_queries_received_total", "Client queries received over TCP."),
	S(dropped_malformed, "airlock_queries_dropped_malformed_total", "Client messages dropped unanswered: too short, or a response."),
	S(refused_no_zone, "airlock_refused_no_zone_total", "REFUSED: the client is in no zone."),
	S(refused_other, "airlock_refused_zone_transfer_total", "REFUSED: a zone transfer, or a class other than IN."),
	S(formerr, "airlock_formerr_sent_total", "FORMERR sent."),
	S(notimp, "airlock_notimp_sent_total", "NOTIMP sent."),
	S(badvers, "airlock_badvers_sent_total", "BADVERS sent."),
	S(servfail, "airlock_servfail_sent_total", "SERVFAIL sent, whatever the reason."),
	S(truncated, "airlock_truncated_sent_total", "Replies sent with TC: too large for UDP."),
	S(local_answers, "airlock_local_answers_total", "Queries answered from local_data."),
	S(cache_misses, "airlock_forwarded_questions_total", "Questions sent upstream (identical ones in flight joined)."),
	S(coalesced, "airlock_coalesced_queries_total", "Queries that joined an identical question in flight."),
	S(overload, "airlock_servfail_overload_total", "SERVFAIL: limits.inflight questions already in flight."),
	S(upstream_limited, "airlock_servfail_upstream_rate_limited_total", "SERVFAIL: the registered domain had rate_limit.upstream_per_domain questions sent upstream this second."),
	S(rrl_dropped, "airlock_rrl_dropped_total", "UDP replies dropped by the response-rate limit (rate_limit.responses_per_second, refused_per_second)."),
	S(rrl_slipped, "airlock_rrl_slipped_total", "UDP replies over the response-rate limit sent empty with TC (rate_limit.slip), so a real client retries over TCP."),
	S(log_unavailable, "airlock_servfail_log_unavailable_total", "SERVFAIL: log.required and the query log unavailable."),
	S(denied, "airlock_policy_denied_total", "Queries denied by the zone's view or a block list."),
	S(public_answer_refused, "airlock_public_answer_refused_total", "Protected names answered publicly upstream: refused."),
	S(private_path_down, "airlock_private_path_down_total", "Protected names whose upstreams failed: SERVFAIL."),
	S(rebinding_refused, "airlock_rebinding_refused_total", "Public names answered with an internal address: REFUSED."),
	S(tunnel_forgot, "airlock_guard_tunnel_domains_forgotten_total", "Domains the tunnel detector forgot while their window ran, to make room for a new one: guard.max_domains is too small for the traffic, or a flood of domains hides one."),
	S(seen_full, "airlock_new_domains_not_remembered_total", "Newly seen domains not remembered: new_domains.max_domains reached."),
	S(upstream_tcp, "airlock_upstream_tcp_queries_total", "Upstream tries over TCP (after a truncated UDP reply)."),
	S(upstream_mismatch, "airlock_upstream_mismatched_replies_total", "Upstream replies ignored: wrong address, ID or question."),
	S(scrubbed_records, "airlock_upstream_scrubbed_records_total", "Upstream records dropped by reply scrubbing: outside the question's chain or bailiwick, or unrelated additional records."),
	S(tcp_accepted, "airlock_tcp_connections_total", "Client TCP connections accepted."),
	S(tcp_rejected, "airlock_tcp_connections_rejected_total", "Client TCP connections closed at accept: limits.tcp_clients reached."),
	S(tcp_idle_closed, "airlock_tcp_connections_idle_closed_total", "Client TCP connections closed after timeouts.tcp_idle_ms idle."),
	S(send_errors, "airlock_send_errors_total", "Replies that could not be sent."),
#undef S
};

static void render_stats(struct buf *b, const struct al_stats *s)
{
	size_t k;

	for (k = 0; k < sizeof(stat_metrics) / sizeof(stat_metrics[0]); k++)
		scalar(b, stat_metrics[k].name, "counter", stat_metrics[k].help,
		       (unsigned long long)*(const uint64_t *)((const char *)s + stat_metrics[k].off));
}

static void render_process(struct buf *b, const struct al_metrics_process *p)
{
	char v[96];

	head(b, "airlock_config_reloads_total", "counter", "Config reloads (SIGHUP), by result.");
	put(b, "airlock_config_reloads_total{result=\"success\"} %llu\n"
	       "airlock_config_reloads_total{result=\"failure\"} %llu\n",
	    (unsigned long long)p->reloads_ok, (unsigned long long)p->reloads_failed);
	scalar(b, "airlock_config_last_reload_success_timestamp_seconds", "gauge",
	       "When the config in force was loaded (the start, until a reload succeeds).",
	       (unsigned long long)p->last_reload_ok_s);
	head(b, "airlock_build_info", "gauge", "Always 1; the version of airlockd running.");
	put(b, "airlock_build_info{version=\"%s\"} 1\n", esc(p->version ? p->version : "", v, sizeof(v)));
	scalar(b, "airlock_start_time_seconds", "gauge", "When airlockd started, in seconds since the epoch.",
	       (unsigned long long)p->start_time_s);
}

int al_metrics_render(const struct al_metrics *const *workers, size_t n,
		      const struct al_stats *sum, const struct al_metrics_process *p,
		      char **out, size_t *len)
{
	struct buf b = { NULL, 0, 0, 0 };

	if (!(b.p = malloc(b.cap = 16384)))
		return -ENOMEM;
	render_queries(&b, workers, n);
	render_latency(&b, workers, n);
	render_cache(&b, workers, n);
	render_upstreams(&b, workers, n);
	render_log(&b, p);
	render_guard(&b, sum);
	render_incidents(&b, workers, n);
	render_stats(&b, sum);
	render_process(&b, p);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
