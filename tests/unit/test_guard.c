/* The tunnel detector: the registered domain from the Public Suffix List,
 * each feature of a name, the score and its points, the window arithmetic
 * (distinct names, volume, NXDOMAIN share, the daily cap, one report per
 * window), fixed memory under a flood of random domains, and a hash seed
 * secret per table, so names ground against a known one gain nothing. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "airlock/guard.h"
#include "airlock/hash.h"
#include "reply.h"

/* The seed guard.c once had for every table: what a tunnel would grind
 * its names against if the seed were known. */
#define KNOWN_SEED 0x9e3779b97f4a7c15ull

static psl_ctx_t *psl;
static const struct al_tunnel_view block = { AL_TUNNEL_BLOCK, 1.0, AL_RCODE_REFUSED, 0 };
static struct al_zone zone = { .name = (char *)"sandbox", .index = 0,
			       .view.tunnel = { AL_TUNNEL_BLOCK, 1.0, AL_RCODE_REFUSED, 0 } };

static int setup(void **state)
{
	(void)state;
	psl = psl_latest(NULL);
	return psl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	psl_free(psl);
	return 0;
}

static void features(const char *name, uint16_t qtype, struct al_name_features *f)
{
	uint8_t wire[AL_MAX_NAME];
	size_t n = test_name(wire, sizeof(wire), name);

	assert_int_equal(al_guard_features(psl, wire, n, qtype, f), 0);
}

/* A query as the worker has it: the client's case and lower case. */
static void query(struct al_query *q, const char *name, uint16_t qtype)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->qname_len = test_name(q->qname, sizeof(q->qname), name);
	for (i = 0; i < q->qname_len; i++)
		q->qname_lc[i] = (uint8_t)(q->qname[i] >= 'A' && q->qname[i] <= 'Z' ? q->qname[i] + 32 : q->qname[i]);
	q->qtype = qtype;
	q->qclass = 1;
}

static void test_guard_finds_registered_domain(void **state)
{
	struct al_name_features f;
	uint8_t wire[AL_MAX_NAME];
	size_t n;
	(void)state;

	features("a.b.example.co.uk.", 1, &f);
	assert_string_equal(f.domain, "example.co.uk.");
	assert_int_equal(f.labels, 2);
	assert_int_equal(f.sub_len, 2);
	features("WWW.Example.COM.", 1, &f);
	assert_string_equal(f.domain, "example.com.");
	assert_int_equal(f.labels, 1);
	features("x.s3.amazonaws.com.", 1, &f); /* a private suffix in the PSL */
	assert_string_equal(f.domain, "x.s3.amazonaws.com.");
	assert_int_equal(f.labels, 0);
	features("example.com.", 1, &f);
	assert_int_equal(f.labels, 0);
	assert_int_equal(f.sub_len, 0);
	/* A public suffix itself, or one label: nothing to judge. */
	n = test_name(wire, sizeof(wire), "co.uk.");
	assert_int_equal(al_guard_features(psl, wire, n, 1, &f), -EINVAL);
	n = test_name(wire, sizeof(wire), "localhost.");
	assert_int_equal(al_guard_features(psl, wire, n, 1, &f), -EINVAL);
}

static void test_guard_measures_labels_and_entropy(void **state)
{
	struct al_name_features f;
	(void)state;

	features("aaaa.bb.example.com.", 1, &f);
	assert_int_equal(f.labels, 2);
	assert_int_equal(f.sub_len, 6);
	assert_int_equal(f.longest, 4);
	assert_true(f.entropy == 0); /* words: only labels of >= 16 characters count */
	/* Two symbols, 12 and 6 of 18: -(2/3 log2 2/3 + 1/3 log2 1/3); the
	 * short label is left out. */
	features("aaaaaaaaaaaabbbbbb.zz.example.com.", 1, &f);
	assert_true(fabs(f.entropy - 0.9183) < 0.001);
	features("abcdefghijklmnop.example.com.", 1, &f); /* 16 distinct characters */
	assert_true(fabs(f.entropy - 4.0) < 1e-9);
	features("AbCdAbCdAbCdAbCd.example.com.", 1, &f); /* case does not count */
	assert_true(fabs(f.entropy - 2.0) < 1e-9);
}

static void test_guard_recognises_shapes(void **state)
{
	struct al_name_features f;
	(void)state;

	features("0123456789abcdef0123.example.com.", 1, &f);
	assert_int_equal(f.shape, AL_SHAPE_HEX);
	features("mfrggzdfmztwq2lknnwg23tpobyxe43u.example.com.", 1, &f); /* base32 of "abcdefghijklmnopqrst" */
	assert_int_equal(f.shape, AL_SHAPE_BASE32);
	/* iodine's base32 alphabet is a-z0-5: digits outside 2-7 still count. */
	features("rayadbbdqqcaibaeaqcaibae0k1m5x.example.com.", 1, &f);
	assert_int_equal(f.shape, AL_SHAPE_BASE32);
	features("YWJjZGVmZ2hpamtsbW5vcHFyc3Q.example.com.", 1, &f); /* base64 */
	assert_int_equal(f.shape, AL_SHAPE_BASE64);
	features("internal-my-alb-1234567890.example.com.", 1, &f); /* hyphens: a host name */
	assert_int_equal(f.shape, AL_SHAPE_NONE);
	features("4958302112345678.example.com.", 1, &f); /* digits alone */
	assert_int_equal(f.shape, AL_SHAPE_HEX);
	features("048590211532.dkr.example.com.", 1, &f); /* an account number: short */
	assert_int_equal(f.shape, AL_SHAPE_NONE);
	features("deadbeef.example.com.", 1, &f); /* hex, but short */
	assert_int_equal(f.shape, AL_SHAPE_NONE);
	features("abcdefabcdefabcdef.example.com.", 1, &f); /* letters only: not hex */
	assert_int_equal(f.shape, AL_SHAPE_NONE);
	assert_string_equal(al_shape_name(AL_SHAPE_BASE64), "base64");
	features("x.example.com.", 16, &f);
	assert_true(f.payload_type);
	features("x.example.com.", 1, &f);
	assert_false(f.payload_type);
}

static void test_guard_scores_encoded_name_over_threshold(void **state)
{
	struct al_zone other = { .name = (char *)"inference", .index = 1 };
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	/* 57 characters of base32: iodine's shape. */
	query(&q, "paa3yd5mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpgaydcmrtg.t.example.com.", 10);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000, &v), 0);
	assert_string_equal(v.f.domain, "example.com.");
	assert_int_equal(v.f.longest, 57);
	assert_true(v.s.label == 0.7);
	assert_true(v.s.entropy >= 0.4);
	assert_true(v.s.shape == 0.3);
	assert_true(v.s.type == 0.2);
	assert_true(v.over);
	assert_true(v.report);
	/* The same domain again in the window: still over, reported once
	 * per zone. */
	query(&q, "paa3yd5mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpgaydcmrtq.t.example.com.", 10);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2000, &v), 0);
	assert_true(v.over);
	assert_false(v.report);
	other.view.tunnel = block;
	assert_int_equal(al_guard_check(g, psl, &other, &q, 2100, &v), 0);
	assert_true(v.report);
	/* And again in the next window. */
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + 60000, &v), 0);
	assert_true(v.report);
	al_guard_free(g);
}

static void test_guard_leaves_host_names_alone(void **state)
{
	static const char *const names[] = {
		"www.example.com.", "ip-10-0-2-15.ec2.internal.", "bedrock-runtime.us-east-1.amazonaws.com.",
		"internal-my-alb-1234567890.us-east-1.elb.amazonaws.com.", "d1a2b3c4d5e6f7.cloudfront.net.",
		"e1234.a.akamaiedge.net.", "files.pythonhosted.org.", "o450123.ingest.sentry.io.",
		"s1._domainkey.example.com.", "kube-dns.kube-system.svc.cluster.local.",
	};
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	size_t i;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		query(&q, names[i], 1);
		if (al_guard_check(g, psl, &zone, &q, 1000, &v) < 0)
			continue; /* no registered domain (cluster.local, ec2.internal) */
		if (v.over || v.s.total >= 0.5)
			fail_msg("%s scored %.2f", names[i], v.s.total);
	}
	al_guard_free(g);
}

/* Many distinct names below one domain add to the window's counts only
 * once the names themselves look encoded. */
static void test_guard_window_counts_distinct_names(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[128];
	uint32_t vol, distinct;
	int i;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	for (i = 0, vol = 0, distinct = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "host%d.busy.example.", i);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + i, &v), 0);
		/* A name adds its bytes exactly when it sets a bit of the
		 * sketch (the estimate then grows); which names share a bit
		 * depends on the table's random seed. */
		if (v.d.distinct > distinct)
			vol += v.f.sub_len;
		distinct = v.d.distinct;
		assert_int_equal(v.d.volume, vol);
	}
	assert_int_equal(v.d.queries, 40);
	/* Linear counting: 40 names in 512 bits share one or two on average. */
	assert_true(v.d.distinct >= 30 && v.d.distinct <= 44);
	assert_true(v.s.distinct == 0); /* plain host names: the domain's counts do not apply */
	assert_false(v.over);
	/* 10 x 5 + 30 x 6 bytes, less the names whose sketch bit was taken. */
	assert_true(vol >= 10 * 5 + 30 * 6 - 10 * 6 && vol <= 10 * 5 + 30 * 6);
	/* The same name again adds no volume. */
	query(&q, "host0.busy.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2000, &v), 0);
	assert_int_equal(v.d.queries, 41);
	assert_int_equal(v.d.volume, vol);
	/* A new window starts from nothing. */
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + 60000, &v), 0);
	assert_int_equal(v.d.queries, 1);
	assert_int_equal(v.d.volume, 5);
	al_guard_free(g);
}

static void test_guard_hex_stream_crosses_threshold_by_volume(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[128];
	int i, first_over = -1;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	/* 24 hex characters per query: shaped, but short and low in entropy. */
	for (i = 0; i < 200 && first_over < 0; i++) {
		snprintf(name, sizeof(name), "%08x%08x%08x.c2.example.", i * 2654435761u, i * 40503u + 7, i);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + i, &v), 0);
		if (v.over)
			first_over = i;
	}
	assert_true(v.s.shape == 0.3);
	/* Over once the domain has taken >= 1 KiB (0.3) and >= 30 names (0.4). */
	assert_true(first_over >= 29 && first_over <= 60);
	assert_true(v.s.volume > 0 && v.s.distinct > 0);
	al_guard_free(g);
}

static void test_guard_counts_nxdomain_share(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[128];
	int i;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "%016x%04x.nx.example.", (unsigned)i * 2654435761u, i);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + i, &v), 0);
		al_guard_note_rcode(g, v.domain_key, i % 3 ? AL_RCODE_NXDOMAIN : AL_RCODE_NOERROR, 1000 + i);
	}
	query(&q, "0123456789abcdef0000.nx.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2000, &v), 0);
	assert_int_equal(v.d.nx, 8);
	assert_true(v.s.nx == 0.2);
	al_guard_free(g);
}

static void test_guard_daily_cap_is_a_hard_limit(void **state)
{
	struct al_zone capped = { .name = (char *)"data", .index = 1,
				  .view.tunnel = { AL_TUNNEL_BLOCK, 10.0, AL_RCODE_NXDOMAIN, 100 } };
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[64];
	int i;
	(void)state;

	assert_int_equal(al_guard_new(64, 1000, &g), 0);
	/* 10 characters a name, in windows that keep rolling over. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "plainname%d.capped.example.", i);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &capped, &q, 1000 + i * 2000, &v), 0);
		assert_false(v.cap);
		assert_false(v.over);
	}
	query(&q, "plainname10.capped.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &capped, &q, 30000, &v), 0);
	assert_int_equal(v.d.day_volume, 111);
	assert_true(v.cap);
	assert_true(v.report);
	al_guard_free(g);
}

/* What the score does not see (docs/DETECTION.md): names whose labels are
 * all under 16 characters score 0 at any rate, however much they carry;
 * they are counted all the same, for tunnel.daily_bytes. */
static void test_guard_short_labels_score_nothing(void **state)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[256];
	uint64_t x = 88172645463325252ull; /* xorshift: random-looking payload */
	size_t o;
	int i, l, k;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	for (i = 0; i < 2000; i++) {
		/* 14 labels of 15 base32 characters, then t.example.com. */
		for (o = 0, l = 0; l < 14; l++) {
			for (k = 0; k < 15; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				name[o++] = b32[x % 32];
			}
			name[o++] = '.';
		}
		snprintf(name + o, sizeof(name) - o, "t.example.com.");
		query(&q, name, 16 /* TXT */);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + (uint64_t)i, &v), 0);
		if (v.s.total != 0.0 || v.over)
			fail_msg("query %d scored %f: %s", i, v.s.total, name);
	}
	/* Counted though never scored: 226 bytes a name below example.com. */
	assert_int_equal(v.d.queries, 2000);
	assert_true(v.d.day_volume > 2000 * 226 / 2);
	al_guard_free(g);
}

static void test_guard_explains_its_verdict(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char *text;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	query(&q, "paa3yd5mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpgaydcmrtg.t.example.com.", 16);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000, &v), 0);
	text = al_guard_explain(&v, &block);
	assert_non_null(text);
	if (!strstr(text, "\"domain\":\"example.com.\"") || !strstr(text, "\"threshold\":1") ||
	    !strstr(text, "\"longest_label\":57") || !strstr(text, "\"shape\":\"base32\"") ||
	    !strstr(text, "\"points\":{\"longest_label\":0.7"))
		fail_msg("explanation lacks a feature: %s", text);
	free(text);
	al_guard_free(g);
}

/* A domain is "forgotten" only when its slot goes to another while its
 * window still runs; an idle one makes room silently. */
static void test_guard_says_when_it_forgets_a_domain(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[64];
	int i;
	(void)state;

	assert_int_equal(al_guard_new(8, 60000, &g), 0); /* 16 slots */
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "x.d%d.example.", i);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + (uint64_t)i, &v), 0);
		assert_false(v.forgot);
	}
	/* Full: the 17th takes the slot of d0, seen 1 s ago. */
	query(&q, "x.d16.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2000, &v), 0);
	assert_true(v.forgot);
	/* A domain seen again keeps its slot and counts. */
	query(&q, "x.d15.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2001, &v), 0);
	assert_false(v.forgot);
	assert_int_equal(v.d.queries, 2);
	/* A window later every other domain is idle: room without forgetting. */
	query(&q, "x.d17.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 2001 + 60000, &v), 0);
	assert_false(v.forgot);
	al_guard_free(g);

	/* What counts is the window, not the last query: domains seen again
	 * late in their window lose nothing once it has ended. */
	assert_int_equal(al_guard_new(8, 60000, &g), 0);
	for (i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "x.d%d.example.", i % 16);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + (uint64_t)(i / 16) * 59000, &v), 0);
	}
	query(&q, "x.late.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + 61000, &v), 0);
	assert_false(v.forgot);
	al_guard_free(g);
}

/* A flood of random registered domains only recycles the fixed table. */
static void test_guard_memory_is_fixed_under_flood(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[64];
	size_t before;
	int i, forgot = 0;
	(void)state;

	assert_int_equal(al_guard_new(1000, 60000, &g), 0);
	before = al_guard_size(g);
	assert_true(before < 1000 * 2 * 160 + 4096);
	for (i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "x.r%08x.example.", (unsigned)i * 2654435761u);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + (uint64_t)i, &v), 0);
		forgot += v.forgot;
	}
	assert_int_equal(al_guard_size(g), before);
	/* 2048 slots, 200 000 domains within 60 s windows: once the table is
	 * full, nearly every new domain pushes out one still in its window. */
	assert_true(forgot > 190000);
	assert_true(forgot < 200000 - 1000);
	/* The newest domain is tracked: its second query counts two. */
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + 200000, &v), 0);
	assert_int_equal(v.d.queries, 2);
	al_guard_free(g);
}

/* Each table draws its own seed: the same domain has another key. */
static void test_guard_tables_have_their_own_seed(void **state)
{
	struct al_guard *g1, *g2;
	struct al_guard_verdict v1, v2;
	struct al_query q;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g1), 0);
	assert_int_equal(al_guard_new(64, 60000, &g2), 0);
	query(&q, "www.example.com.", 1);
	assert_int_equal(al_guard_check(g1, psl, &zone, &q, 1000, &v1), 0);
	assert_int_equal(al_guard_check(g2, psl, &zone, &q, 1000, &v2), 0);
	assert_true(v1.domain_key != v2.domain_key);
	al_guard_free(g1);
	al_guard_free(g2);
}

/* A 57-character base32 label: a fixed part, then nonce in base32. */
static void nonce_name(char *out, size_t len, unsigned nonce, const char *domain)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char tail[8];
	int i;

	for (i = 0; i < 7; i++, nonce >>= 5)
		tail[i] = b32[nonce & 31];
	tail[7] = '\0';
	snprintf(out, len, "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpgaydcmrtg%s.%s", tail, domain);
}

/* 40 tunnel names ground so that, under the known seed, all hash to one
 * bit of the domain's sketch: with that seed only the first would add
 * bytes, and the daily cap would never be reached. */
static void test_guard_names_ground_against_a_known_seed_add_their_bytes(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	char name[128];
	unsigned nonce = 0, bit = 0;
	int i;
	(void)state;

	assert_int_equal(al_guard_new(64, 60000, &g), 0);
	for (i = 0; i < 40; i++) {
		do {
			nonce_name(name, sizeof(name), nonce++, "t.grind.example.");
			query(&q, name, 16);
		} while (i > 0 && al_hash(q.qname_lc, q.qname_len, KNOWN_SEED) % 512 != bit);
		bit = (unsigned)(al_hash(q.qname_lc, q.qname_len, KNOWN_SEED) % 512);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000 + (uint64_t)i, &v), 0);
	}
	assert_int_equal(v.f.sub_len, 58);
	/* Under a secret seed they spread: 40 names share a bit or two. */
	if (v.d.day_volume < 30 * 58 || v.d.encoded < 30)
		fail_msg("40 distinct names counted as %u (%llu bytes)", v.d.encoded,
			 (unsigned long long)v.d.day_volume);
	al_guard_free(g);
}

/* 16 registered domains ground so that, under the known seed, they take
 * the probe range of a tunnel's domain: with that seed the tunnel's slot
 * would be given away and its counts start again. */
static void test_guard_domains_ground_against_a_known_seed_do_not_evict(void **state)
{
	struct al_guard *g;
	struct al_guard_verdict v;
	struct al_query q;
	uint8_t wire[AL_MAX_NAME];
	char name[64];
	uint64_t home;
	unsigned d = 0;
	int i;
	(void)state;

	assert_int_equal(al_guard_new(512, 60000, &g), 0); /* 1024 slots */
	home = al_hash(wire, test_name(wire, sizeof(wire), "tun.example."), KNOWN_SEED) & 1023;
	query(&q, "x.tun.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 1000, &v), 0);
	for (i = 0; i < 16; i++) {
		do
			snprintf(name, sizeof(name), "g%u.example.", d++);
		while ((al_hash(wire, test_name(wire, sizeof(wire), name), KNOWN_SEED) & 1023) != home);
		snprintf(name, sizeof(name), "x.g%u.example.", d - 1);
		query(&q, name, 1);
		assert_int_equal(al_guard_check(g, psl, &zone, &q, 2000 + (uint64_t)i, &v), 0);
		assert_false(v.forgot);
	}
	query(&q, "y.tun.example.", 1);
	assert_int_equal(al_guard_check(g, psl, &zone, &q, 3000, &v), 0);
	assert_int_equal(v.d.queries, 2);
	al_guard_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_finds_registered_domain),
		cmocka_unit_test(test_guard_measures_labels_and_entropy),
		cmocka_unit_test(test_guard_recognises_shapes),
		cmocka_unit_test(test_guard_scores_encoded_name_over_threshold),
		cmocka_unit_test(test_guard_leaves_host_names_alone),
		cmocka_unit_test(test_guard_window_counts_distinct_names),
		cmocka_unit_test(test_guard_hex_stream_crosses_threshold_by_volume),
		cmocka_unit_test(test_guard_counts_nxdomain_share),
		cmocka_unit_test(test_guard_daily_cap_is_a_hard_limit),
		cmocka_unit_test(test_guard_short_labels_score_nothing),
		cmocka_unit_test(test_guard_explains_its_verdict),
		cmocka_unit_test(test_guard_says_when_it_forgets_a_domain),
		cmocka_unit_test(test_guard_memory_is_fixed_under_flood),
		cmocka_unit_test(test_guard_tables_have_their_own_seed),
		cmocka_unit_test(test_guard_names_ground_against_a_known_seed_add_their_bytes),
		cmocka_unit_test(test_guard_domains_ground_against_a_known_seed_do_not_evict),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
