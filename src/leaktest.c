/* `airlock leak-test`: see leaktest.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "airlock/catalog.h"
#include "airlock/dnsclient.h"
#include "airlock/leaktest.h"
#include "airlock/logread.h"
#include "airlock/msg.h"
#include "airlock/verify.h"

#define BURST 20          /* tunnel-like queries in the exfiltration burst */
#define LOG_WAIT_MS 3000  /* how long the log may take to show an incident */

struct al_leaktest {
	const struct al_leaktest_opts *o;
	const struct al_zone *zone;
	struct sockaddr_storage servers[AL_LEAKTEST_MAX_SERVERS];
	size_t nservers;
	bool from_resolv;
	bool stub; /* resolv.conf names a systemd-resolved stub */
	struct al_check *v;
	size_t n, cap;
	char tag[24]; /* the test domains' unique label */
};

const char *al_check_status_name(enum al_check_status s)
{
	static const char *const names[] = { "pass", "warn", "fail", "skip" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

/* A new result of kind, named by fmt; NULL when out of memory. */
static struct al_check *check(struct al_leaktest *t, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct al_check *check(struct al_leaktest *t, const char *kind, const char *fmt, ...)
{
	struct al_check *c;
	va_list ap;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct al_check *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	c = &t->v[t->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->status = AL_CHECK_PASS;
	va_start(ap, fmt);
	vsnprintf(c->name, sizeof(c->name), fmt, ap);
	va_end(ap);
	c->ms = now_ms();
	return c;
}

static void done(struct al_check *c, enum al_check_status s)
{
	c->status = s;
	c->ms = now_ms() - c->ms;
}

static const char *server_text(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	return al_sockaddr_format((const struct sockaddr *)sa, buf, len);
}

static const struct al_ip *source(const struct al_leaktest *t)
{
	return t->o->has_source ? &t->o->source : NULL;
}

/* The reply as text: its rcode and answers. */
static void show(const struct al_dnsreply *r, int rc, char *out, size_t len)
{
	char rb[16];
	size_t off;
	unsigned i;

	if (rc == -ETIMEDOUT) {
		set(out, len, "no reply");
		return;
	}
	if (rc == -ECONNREFUSED) {
		set(out, len, "port closed (refused)");
		return;
	}
	if (rc < 0) {
		set(out, len, "no usable reply (%s)", strerror(-rc));
		return;
	}
	off = (size_t)snprintf(out, len, "%s", al_msg_rcode_text(r->rcode, rb, sizeof(rb)));
	for (i = 0; i < r->nanswers && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ", " : ": ", r->answers[i].text);
}

static bool has_address(const struct al_dnsreply *r)
{
	unsigned i;

	for (i = 0; i < r->nanswers; i++)
		if (r->answers[i].type == AL_TYPE_A || r->answers[i].type == AL_TYPE_AAAA)
			return true;
	return false;
}

static bool is_airlock(const struct al_config *cfg, const struct sockaddr_storage *sa)
{
	struct al_ip ip;
	uint16_t port = al_sockaddr_port((const struct sockaddr *)sa);
	size_t i;

	if (al_ip_from_sockaddr((const struct sockaddr *)sa, &ip) < 0)
		return false;
	for (i = 0; i < cfg->nlisten; i++)
		if (al_ip_equal(&cfg->listen[i].ip, &ip) && cfg->listen[i].port == port)
			return true;
	for (i = 0; i < cfg->network.ndns_servers; i++)
		if (al_ip_equal(&cfg->network.dns_servers[i], &ip) && port == 53)
			return true;
	return false;
}

/* resolv.conf's nameservers (port 53) into t->servers. */
static int read_resolv(struct al_leaktest *t, struct al_err *err)
{
	FILE *fp = fopen(t->o->resolv_conf, "r");
	char line[512], addr[128];
	struct al_ip ip;
	socklen_t len;

	if (!fp)
		return al_err_set(err, "%s: %s (give --server ADDR[:PORT])", t->o->resolv_conf, strerror(errno)), -errno;
	while (fgets(line, sizeof(line), fp) && t->nservers < AL_LEAKTEST_MAX_SERVERS) {
		if (sscanf(line, " nameserver %127s", addr) != 1 || al_ip_parse(addr, &ip) < 0)
			continue;
		if (!strcmp(addr, "127.0.0.53"))
			t->stub = true;
		al_sockaddr_make(&ip, 53, &t->servers[t->nservers++], &len);
	}
	fclose(fp);
	if (!t->nservers)
		return al_err_set(err, "%s names no nameserver (give --server ADDR[:PORT])", t->o->resolv_conf), -ENOENT;
	return 0;
}

/* 1. Every resolver in use is airlock's. */
static void check_resolvers(struct al_leaktest *t)
{
	char a[AL_ADDRSTRLEN];
	size_t i, off = 0;
	struct al_check *c = check(t, "resolver", "the resolvers in use are airlock's (%s)",
				   t->from_resolv ? t->o->resolv_conf : "--server");

	if (!c)
		return;
	set(c->expected, sizeof(c->expected), "only airlock's listen addresses (or network.dns_servers)");
	for (i = 0; i < t->nservers; i++)
		off += (size_t)snprintf(c->answers + off, off < sizeof(c->answers) ? sizeof(c->answers) - off : 0,
					"%s%s", i ? ", " : "", server_text(&t->servers[i], a, sizeof(a)));
	for (i = 0; i < t->nservers; i++)
		if (!is_airlock(t->o->cfg, &t->servers[i])) {
			set(c->reason, sizeof(c->reason), "%s is not airlock: queries sent there bypass it",
			    server_text(&t->servers[i], a, sizeof(a)));
			done(c, t->stub ? AL_CHECK_WARN : AL_CHECK_FAIL);
			if (t->stub)
				set(c->reason, sizeof(c->reason),
				    "resolv.conf names the systemd-resolved stub 127.0.0.53, which hides the real upstream: check resolvectl status");
			return;
		}
	done(c, AL_CHECK_PASS);
}

static const struct al_catalog_ep *endpoint(const struct al_config *cfg, const char *name)
{
	uint8_t wire[AL_MAX_NAME];
	int n = al_msg_name_from_text(name, wire, sizeof(wire));

	return n > 0 ? al_catalog_match(cfg->catalog, wire, (size_t)n) : NULL;
}

static int ask(struct al_leaktest *t, size_t s, const char *name, uint16_t type, struct al_dnsreply *r)
{
	struct al_err err;

	return al_dnsclient_query(&t->servers[s], source(t), name, type, false, t->o->timeout_ms, r, &err);
}

/* 2 and 3. The AI names: privately, or refused; an internet name in zones
 * that may not resolve them. */
static void check_names(struct al_leaktest *t)
{
	const struct al_config *cfg = t->o->cfg;
	const struct al_view *view = &t->zone->view;
	struct al_dnsreply r;
	struct al_verdict v;
	char a[AL_ADDRSTRLEN];
	size_t i, s;
	int rc;

	for (s = 0; s < t->nservers; s++) {
		server_text(&t->servers[s], a, sizeof(a));
		for (i = 0; i < t->o->nnames; i++) {
			const char *name = t->o->names[i];
			const struct al_catalog_ep *ep = endpoint(cfg, name);
			bool may = view->ai == AL_AI_PRIVATE && view->names != AL_NAMES_NONE;
			struct al_check *c = check(t, may ? "positive" : "negative", may ? "%s resolves privately via %s" :
						   "%s is refused via %s", name, a);
			if (!c)
				return;
			rc = ask(t, s, name, AL_TYPE_A, &r);
			show(&r, rc, c->answers, sizeof(c->answers));
			if (!may) {
				set(c->expected, sizeof(c->expected), "no address (zone %s may not use AI endpoints)", t->zone->name);
				if (rc == 0 && has_address(&r)) {
					set(c->reason, sizeof(c->reason), "the zone's view gives out an AI endpoint's address");
					done(c, AL_CHECK_FAIL);
				} else {
					done(c, rc == 0 ? AL_CHECK_PASS : AL_CHECK_FAIL);
					if (rc)
						set(c->reason, sizeof(c->reason), "airlock did not answer");
				}
				continue;
			}
			set(c->expected, sizeof(c->expected), "NOERROR with private addresses only (endpoints.private_cidrs%s)",
			    ep && ep->nvip ? " or the provider's VIPs" : "");
			if (rc < 0 || r.rcode != 0 || !has_address(&r)) {
				set(c->reason, sizeof(c->reason), "the name does not resolve: the private path is broken");
				done(c, AL_CHECK_FAIL);
				continue;
			}
			{
				struct al_private_rule rule = { cfg->private_cidrs, cfg->nprivate, ep };
				if (!al_verify_private(r.msg, r.len, &rule, &v)) {
					set(c->reason, sizeof(c->reason), "leak: %s (%s)", v.why ? v.why : "not private",
					    v.offending);
					done(c, AL_CHECK_FAIL);
					continue;
				}
			}
			done(c, AL_CHECK_PASS);
		}
		if (view->names == AL_NAMES_INTERNET)
			continue;
		{
			struct al_check *c = check(t, "negative", "the internet name %s is refused via %s",
						   t->o->internet_name, a);
			if (!c)
				return;
			rc = ask(t, s, t->o->internet_name, AL_TYPE_A, &r);
			show(&r, rc, c->answers, sizeof(c->answers));
			set(c->expected, sizeof(c->expected), "no address (zone %s resolves no internet names)", t->zone->name);
			if (rc == 0 && has_address(&r))
				set(c->reason, sizeof(c->reason), "the zone's view resolves internet names");
			done(c, rc == 0 && !has_address(&r) ? AL_CHECK_PASS : AL_CHECK_FAIL);
		}
	}
}

/* 4 and 5. A resolver that must not be reachable. */
static void check_unreachable(struct al_leaktest *t, const struct sockaddr_storage *sa, bool port_given,
			      bool provider)
{
	static const struct { bool tcp; uint16_t port; const char *what; } ways[] = {
		{ false, 53, "UDP" }, { true, 53, "TCP" }, { true, 853, "TCP (DNS over TLS)" },
	};
	struct sockaddr_storage to = *sa;
	struct al_dnsreply r;
	struct al_err err;
	char a[AL_ADDRSTRLEN];
	size_t w;
	int rc;

	for (w = 0; w < 3; w++) {
		struct al_check *c;

		if (port_given && w == 2)
			break; /* a port given: that port, UDP and TCP */
		if (!port_given)
			((struct sockaddr_in *)&to)->sin_port = htons(ways[w].port); /* same offset in sockaddr_in6 */
		server_text(&to, a, sizeof(a));
		if (!(c = check(t, provider ? "provider-resolver" : "public-resolver", "%s %s does not answer",
				a, ways[w].what)))
			return;
		set(c->expected, sizeof(c->expected), "no reply and no connection within %u ms", t->o->timeout_ms);
		if (w == 2)
			rc = al_dnsclient_connect(&to, source(t), t->o->timeout_ms);
		else
			rc = al_dnsclient_query(&to, source(t), t->o->internet_name, AL_TYPE_A, ways[w].tcp,
						t->o->timeout_ms, &r, &err);
		if (w == 2)
			set(c->answers, sizeof(c->answers), "%s", rc == 0 ? "connected" : rc == -ETIMEDOUT ? "no reply" :
								  strerror(-rc));
		else
			show(&r, rc, c->answers, sizeof(c->answers));
		if (rc != 0) {
			done(c, AL_CHECK_PASS);
			continue;
		}
		set(c->reason, sizeof(c->reason), provider ?
		    "the provider's resolver is reachable directly: close it (security group, NACL, firewall) so that only airlock may ask it" :
		    "leak: a public resolver answers from this zone: DNS can bypass airlock");
		done(c, provider ? AL_CHECK_WARN : AL_CHECK_FAIL);
	}
}

/* 6. With the private path down, protected names fail closed. */
static void check_failover(struct al_leaktest *t)
{
	const struct al_config *cfg = t->o->cfg;
	struct al_dnsreply r;
	struct al_verdict v;
	char a[AL_ADDRSTRLEN];
	size_t i, s;
	int rc;

	for (s = 0; s < t->nservers; s++)
		for (i = 0; i < t->o->nnames; i++) {
			const struct al_catalog_ep *ep = endpoint(cfg, t->o->names[i]);
			struct al_private_rule rule = { cfg->private_cidrs, cfg->nprivate, ep };
			struct al_check *c = check(t, "failover", "%s fails closed via %s", t->o->names[i],
						   server_text(&t->servers[s], a, sizeof(a)));
			if (!c)
				return;
			rc = ask(t, s, t->o->names[i], AL_TYPE_A, &r);
			show(&r, rc, c->answers, sizeof(c->answers));
			set(c->expected, sizeof(c->expected), "SERVFAIL or the configured refusal, never a public address");
			if (rc == 0 && has_address(&r) && !al_verify_private(r.msg, r.len, &rule, &v)) {
				set(c->reason, sizeof(c->reason), "leak: a public answer while the private path is down (%s)",
				    v.offending);
				done(c, AL_CHECK_FAIL);
			} else if (rc == 0 && has_address(&r)) {
				set(c->reason, sizeof(c->reason), "a private answer: the private endpoint is still up, so this is no failover test");
				done(c, AL_CHECK_WARN);
			} else {
				done(c, AL_CHECK_PASS);
			}
		}
}

static bool blocked(const struct al_dnsreply *r, int rc, int block_rcode)
{
	return rc == 0 && !has_address(r) && (r->rcode == AL_RCODE_REFUSED || r->rcode == block_rcode);
}

static int count_incident(const struct al_logincident *row, void *arg)
{
	(void)row;
	(*(unsigned *)arg)++;
	return 0;
}

/* The incidents of kind under the test domain, waiting for the log's
 * writer; -1 when the log cannot be read (why in err). */
static int incidents(struct al_leaktest *t, const char *kinds, const char *domain, struct al_err *err)
{
	struct al_logread_cb cb = { NULL, count_incident, NULL, NULL };
	struct al_logfilter f;
	struct al_logread *lr;
	int64_t until = now_ms() + LOG_WAIT_MS;
	unsigned n = 0;
	char kind[64];
	const char *p;

	if (al_logread_open(t->o->log_db, &lr, err) < 0)
		return -1;
	do {
		for (p = kinds, n = 0; *p; p += strlen(p) + 1) {
			al_logfilter_init(&f, AL_LOGREAD_INCIDENTS);
			snprintf(kind, sizeof(kind), "%s", p);
			cb.arg = &n;
			if (al_logfilter_set(&f, "kind", kind, 0, err) < 0 || al_logfilter_set(&f, "name", domain, 0, err) < 0 ||
			    al_logread_run(lr, &f, &cb, err) < 0) {
				al_logread_close(lr);
				return -1;
			}
		}
		if (!n)
			usleep(100 * 1000);
	} while (!n && now_ms() < until);
	al_logread_close(lr);
	return (int)n;
}

/* 7. A tunnel burst, then a never-seen domain. */
static void check_exfiltration(struct al_leaktest *t)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	const struct al_view *view = &t->zone->view;
	struct al_dnsreply r;
	struct al_err err;
	char name[300], domain[96], label[60];
	unsigned i, j, first = 0, answered_late = 0;
	uint64_t x = t->o->seed ? t->o->seed : 0x9e3779b97f4a7c15ull;
	struct al_check *c;
	/* A zone without internet names refuses these by its view, before
	 * the guard: blocked all the same, but no guard incident to find. */
	const char *log = view->names == AL_NAMES_INTERNET ? t->o->log_db : NULL;
	int rc, n;

	snprintf(domain, sizeof(domain), "%s-t.example.", t->tag);
	if (!(c = check(t, "exfiltration", "a burst of %d tunnel-like TXT queries under %s is blocked", BURST, domain)))
		return;
	set(c->expected, sizeof(c->expected), "blocked (REFUSED, or the zone's tunnel response) within the first 5 queries");
	for (i = 1; i <= BURST; i++) {
		for (j = 0; j < 56; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			label[j] = b32[x % 32];
		}
		label[56] = '\0';
		snprintf(name, sizeof(name), "%s.%u.%s", label, i, domain);
		rc = al_dnsclient_query(&t->servers[0], source(t), name, 16, false, t->o->timeout_ms, &r, &err);
		if (blocked(&r, rc, view->tunnel.block_rcode)) {
			if (!first)
				first = i;
		} else if (first || i > 5) {
			answered_late++;
		}
	}
	if (first)
		set(c->answers, sizeof(c->answers), "first blocked at query %u; %u answered after that", first,
		    answered_late);
	else
		set(c->answers, sizeof(c->answers), "none of the %d queries was blocked", BURST);
	if (!first || first > 5 || answered_late) {
		set(c->reason, sizeof(c->reason), "leak: the tunnel detector let the burst through (zone %s, tunnel.action %s)",
		    t->zone->name, view->tunnel.action == AL_TUNNEL_OFF ? "off" :
				   view->tunnel.action == AL_TUNNEL_ALERT ? "alert" : "block");
		done(c, AL_CHECK_FAIL);
	} else if (log) {
		/* Blocked by whichever guard saw it first: the domain is new too. */
		n = incidents(t, "tunnel_blocked\0tunnel_suspected\0new_domain\0", domain, &err);
		if (n <= 0) {
			set(c->reason, sizeof(c->reason), n < 0 ? "cannot read the query log: %s" :
				"blocked, but no tunnel incident in the query log %s", n < 0 ? err.msg : t->o->log_db);
			done(c, AL_CHECK_FAIL);
		} else {
			done(c, AL_CHECK_PASS);
		}
	} else {
		done(c, AL_CHECK_PASS);
	}

	snprintf(domain, sizeof(domain), "%s-n.example.", t->tag);
	snprintf(name, sizeof(name), "www.%s", domain);
	if (!(c = check(t, "exfiltration", "the never-seen domain %s is blocked", domain)))
		return;
	if (view->new_domains.action != AL_NEWDOM_BLOCK && view->names == AL_NAMES_INTERNET) {
		set(c->reason, sizeof(c->reason), "zone %s does not block new domains (new_domains.action %s)", t->zone->name,
		    view->new_domains.action == AL_NEWDOM_ALERT ? "alert" : "allow");
		done(c, AL_CHECK_SKIP);
		return;
	}
	set(c->expected, sizeof(c->expected), "blocked (REFUSED, or the zone's new-domain response)");
	rc = al_dnsclient_query(&t->servers[0], source(t), name, AL_TYPE_A, false, t->o->timeout_ms, &r, &err);
	show(&r, rc, c->answers, sizeof(c->answers));
	if (!blocked(&r, rc, view->new_domains.block_rcode)) {
		set(c->reason, sizeof(c->reason), "answered: new domains get through (still in the learning period?)");
		done(c, AL_CHECK_FAIL);
	} else if (log && (n = incidents(t, "new_domain\0", domain, &err)) <= 0) {
		set(c->reason, sizeof(c->reason), n < 0 ? "cannot read the query log: %s" :
			"blocked, but no new_domain incident in the query log %s", n < 0 ? err.msg : t->o->log_db);
		done(c, AL_CHECK_FAIL);
	} else {
		done(c, AL_CHECK_PASS);
	}
}

/* The zone of the source address: given, or the one the kernel picks to
 * reach the first server. */
static int find_zone(struct al_leaktest *t, struct al_err *err)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct al_ip ip;
	char a[AL_ADDRSTRLEN];
	int fd;

	if (t->o->has_source) {
		ip = t->o->source;
	} else {
		fd = socket(t->servers[0].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&t->servers[0],
				      t->servers[0].ss_family == AF_INET ? sizeof(struct sockaddr_in)
									 : sizeof(struct sockaddr_in6)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&local, &len) < 0 ||
		    al_ip_from_sockaddr((struct sockaddr *)&local, &ip) < 0) {
			if (fd >= 0)
				close(fd);
			return al_err_set(err, "cannot find this host's address towards the resolver: give --source ADDR"), -EINVAL;
		}
		close(fd);
	}
	if (!(t->zone = al_zonemap_match(t->o->cfg->zonemap, &ip)))
		return al_err_set(err, "%s is in no zone of %s: airlock refuses it; give --source ADDR of a zone",
				  al_ip_format(&ip, a, sizeof(a)), t->o->cfg->path ? t->o->cfg->path : "the config"),
		       -EINVAL;
	return 0;
}

int al_leaktest_run(const struct al_leaktest_opts *o, struct al_leaktest **out, struct al_err *err)
{
	struct al_leaktest *t = calloc(1, sizeof(*t));
	size_t i;
	int rc;

	if (!t)
		return -ENOMEM;
	t->o = o;
	snprintf(t->tag, sizeof(t->tag), "airlock-leaktest-%06llx",
		 (unsigned long long)((o->seed ? o->seed : (uint64_t)time(NULL) * 2654435761u) & 0xffffff));
	if (o->nservers) {
		memcpy(t->servers, o->servers, o->nservers * sizeof(*t->servers));
		t->nservers = o->nservers;
	} else if ((rc = read_resolv(t, err)) < 0) {
		free(t);
		return rc;
	} else {
		t->from_resolv = true;
	}
	if ((rc = find_zone(t, err)) < 0) {
		free(t);
		return rc;
	}
	check_resolvers(t);
	check_names(t);
	for (i = 0; i < o->npublics; i++)
		check_unreachable(t, &o->publics[i], o->public_port[i], false);
	if (o->has_provider)
		check_unreachable(t, &o->provider, true, true);
	if (o->failover)
		check_failover(t);
	check_exfiltration(t);
	*out = t;
	return 0;
}

const struct al_check *al_leaktest_checks(const struct al_leaktest *t, size_t *n)
{
	*n = t->n;
	return t->v;
}

const char *al_leaktest_zone(const struct al_leaktest *t)
{
	return t->zone->name;
}

void al_leaktest_free(struct al_leaktest *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}
