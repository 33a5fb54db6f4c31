/* Rate limits per client prefix and per domain: the config section and
 * the shared lock-free table of counters (see ratelimit.h). */
#include <assert.h>
#include <errno.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "airlock/hash.h"
#include "airlock/msg.h"
#include "airlock/rand.h"
#include "airlock/ratelimit.h"

#define PREFIX_TAG 0xff /* no wire name starts so: labels are at most 63 */
/* Labels of the longest public suffix worth asking libpsl about: the
 * ICANN rules have at most 4 (schools.nsw.edu.au); twice that leaves
 * room for new ones. */
#define SUFFIX_LABELS_MAX 8
#define SEC_BITS 24
#define SEC_MASK ((1u << SEC_BITS) - 1)
#define AHEAD_MAX 2     /* a slot this many seconds ahead of a caller's clock is live */
#define IN_ZONE 0x9e3779b97f4a7c15ull /* sets the keys of zone clients apart */
#define FP_BITS 24      /* the key's fingerprint: its top bits, above the index's */
#define SLOTS_MIN 1024u
#define SLOTS_MAX (1u << 24) /* index bits stay below the fingerprint's */

struct al_ratelimit {
	uint64_t *slots;
	uint32_t mask;
	uint64_t seed;
};

void al_ratelimit_conf_default(struct al_ratelimit_conf *conf)
{
	conf->responses_per_s = 0;
	conf->refused_per_s = 5;
	conf->ipv4_prefix = 24;
	conf->ipv6_prefix = 56;
	conf->slip = 2;
	conf->slots = 65536;
	conf->upstream_per_domain = 1000;
}

int al_ratelimit_parse(struct al_jctx *c, const cJSON *section, struct al_ratelimit_conf *conf)
{
	static const char *const keys[] = { "responses_per_second", "refused_per_second", "ipv4_prefix",
					    "ipv6_prefix", "slip", "slots", "upstream_per_domain", NULL };
	int rc;

	if (!section)
		return 0;
	if ((rc = al_json_check_keys(c, section, "rate_limit", keys)) < 0 ||
	    (rc = al_json_uint(c, section, "responses_per_second", "rate_limit", 0, AL_RATELIMIT_RATE_MAX,
			       &conf->responses_per_s)) < 0 ||
	    (rc = al_json_uint(c, section, "refused_per_second", "rate_limit", 0, AL_RATELIMIT_RATE_MAX,
			       &conf->refused_per_s)) < 0 ||
	    (rc = al_json_uint(c, section, "ipv4_prefix", "rate_limit", 8, 32, &conf->ipv4_prefix)) < 0 ||
	    (rc = al_json_uint(c, section, "ipv6_prefix", "rate_limit", 16, 128, &conf->ipv6_prefix)) < 0 ||
	    (rc = al_json_uint(c, section, "slip", "rate_limit", 0, 10, &conf->slip)) < 0 ||
	    (rc = al_json_uint(c, section, "slots", "rate_limit", SLOTS_MIN, SLOTS_MAX, &conf->slots)) < 0 ||
	    (rc = al_json_uint(c, section, "upstream_per_domain", "rate_limit", 0, AL_RATELIMIT_RATE_MAX,
			       &conf->upstream_per_domain)) < 0)
		return rc;
	if (conf->slots & (conf->slots - 1))
		return al_json_fail(c, "rate_limit.slots", "%u is not a power of two (expected e.g. 65536; each slot takes 8 bytes)",
				    conf->slots);
	return 0;
}

int al_ratelimit_new(uint32_t slots, struct al_ratelimit **out)
{
	struct al_ratelimit *rl;

	if (!slots || (slots & (slots - 1)) || slots > SLOTS_MAX)
		return -EINVAL;
	if (!(rl = calloc(1, sizeof(*rl))))
		return -ENOMEM;
	if (!(rl->slots = calloc(slots, sizeof(*rl->slots)))) {
		free(rl);
		return -ENOMEM;
	}
	rl->mask = slots - 1;
	rl->seed = al_rand64();
	*out = rl;
	return 0;
}

void al_ratelimit_free(struct al_ratelimit *rl)
{
	if (!rl)
		return;
	free(rl->slots);
	free(rl);
}

size_t al_ratelimit_size(const struct al_ratelimit *rl)
{
	return sizeof(*rl) + ((size_t)rl->mask + 1) * sizeof(*rl->slots);
}

uint64_t al_ratelimit_prefix_key(const struct al_ratelimit *rl, const struct al_ip *ip,
				 unsigned v4_bits, unsigned v6_bits)
{
	uint8_t k[3 + 16];
	unsigned bits = ip->family == AF_INET ? v4_bits : v6_bits, i;

	assert(bits <= (ip->family == AF_INET ? 32u : 128u)); /* the config's ranges: 8-32, 16-128 */
	memset(k, 0, sizeof(k));
	k[0] = PREFIX_TAG;
	k[1] = ip->family == AF_INET ? 4 : 6;
	k[2] = (uint8_t)bits;
	for (i = 0; i < bits / 8; i++)
		k[3 + i] = ip->bytes[i];
	if (bits % 8)
		k[3 + i] = (uint8_t)(ip->bytes[i] & (0xff00u >> (bits % 8)));
	return al_hash(k, sizeof(k), rl->seed);
}

uint64_t al_ratelimit_name_key(const struct al_ratelimit *rl, const uint8_t *name, size_t len)
{
	return al_hash(name, len, rl->seed);
}

uint32_t al_ratelimit_charge(struct al_ratelimit *rl, uint64_t key, uint32_t now_s,
			    enum al_ratelimit_collision on_collision)
{
	uint64_t *slot = &rl->slots[key & rl->mask];
	uint64_t old = __atomic_load_n(slot, __ATOMIC_RELAXED), next, fp = key >> (64 - FP_BITS);
	uint32_t now = now_s & SEC_MASK, t, count;
	bool live, mine;

	do {
		t = (uint32_t)(old >> 16) & SEC_MASK;
		count = (uint32_t)old & 0xffff;
		/* This second's count, or one a little ahead (another thread's
		 * clock): never rolled back. */
		live = count && ((t - now) & SEC_MASK) <= AHEAD_MAX;
		mine = old >> (64 - FP_BITS) == fp;
		if (live && (mine || on_collision == AL_RATELIMIT_SHARE)) {
			if (count >= AL_RATELIMIT_COUNT_MAX)
				return AL_RATELIMIT_COUNT_MAX;
			next = old + 1; /* the count, in the low bits */
			count++;
		} else {
			count = 1;
			next = fp << (64 - FP_BITS) | (uint64_t)now << 16 | count;
		}
	} while (!__atomic_compare_exchange_n(slot, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return count;
}

bool al_ratelimit_allow(struct al_ratelimit *rl, uint64_t key, uint32_t limit_per_s, uint32_t now_s,
			enum al_ratelimit_collision on_collision)
{
	return al_ratelimit_charge(rl, key, now_s, on_collision) <= limit_per_s;
}

enum al_rrl_verdict al_ratelimit_reply(struct al_ratelimit *rl, const struct al_ratelimit_conf *conf,
				       const struct al_ip *ip, bool in_zone, uint32_t now_s)
{
	uint32_t limit = in_zone ? conf->responses_per_s : conf->refused_per_s, count;

	if (!limit)
		return AL_RRL_SEND;
	/* A collision resets the slot: a spoofed flood that churns the
	 * table can let a few more replies through, never silence another
	 * prefix. */
	count = al_ratelimit_charge(rl,
				    al_ratelimit_prefix_key(rl, ip, conf->ipv4_prefix, conf->ipv6_prefix) ^
					    (in_zone ? IN_ZONE : 0),
				    now_s, AL_RATELIMIT_RESET);
	if (count <= limit)
		return AL_RRL_SEND;
	if (conf->slip && count < AL_RATELIMIT_COUNT_MAX && (count - limit) % conf->slip == 0)
		return AL_RRL_SLIP;
	return AL_RRL_DROP;
}

size_t al_ratelimit_domain(const struct psl_ctx_st *psl, const uint8_t *name, size_t len)
{
	char text[AL_MAX_NAME_TEXT];
	size_t offs[AL_MAX_NAME / 2], n = 0, off, k;
	int tl;

	for (off = 0; off < len && name[off] && n < sizeof(offs) / sizeof(offs[0]); off += name[off] + 1u)
		offs[n++] = off;
	/* The longest suffix that is public under the ICANN rules (the
	 * private ones, duckdns.org or github.io, would give every name
	 * under them a count of its own); the domain is one label more.
	 * Only the last SUFFIX_LABELS_MAX labels can be one: a name of a
	 * hundred labels, chosen by a client, costs a few lookups, not a
	 * hundred. */
	for (k = n > SUFFIX_LABELS_MAX ? n - SUFFIX_LABELS_MAX : 1; psl && k < n; k++) {
		if ((tl = al_msg_name_to_text(name + offs[k], text, sizeof(text))) < 2)
			continue;
		text[tl - 1] = '\0'; /* libpsl wants no trailing dot */
		if (psl_is_public_suffix2(psl, text, PSL_TYPE_ICANN))
			return offs[k - 1];
	}
	return n > 2 ? offs[n - 2] : 0;
}

bool al_ratelimit_upstream(struct al_ratelimit *rl, const struct al_ratelimit_conf *conf,
			   const struct psl_ctx_st *psl, const uint8_t *name, size_t len, uint32_t now_s)
{
	size_t off;

	if (!conf->upstream_per_domain)
		return false;
	off = al_ratelimit_domain(psl, name, len);
	/* A collision shares the count: no name can be found that resets
	 * a flooded domain's. */
	return !al_ratelimit_allow(rl, al_ratelimit_name_key(rl, name + off, len - off),
				   conf->upstream_per_domain, now_s, AL_RATELIMIT_SHARE);
}
