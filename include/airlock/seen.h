/* Newly seen domains: when each registered domain was first asked for.
 * One table for the whole daemon, shared by the worker threads (a domain
 * first seen by one thread is not new to another) under a mutex, touched
 * only on the way upstream and for cached answers of young domains.  It
 * outlives reloads; the query log's seen_domains table keeps it across
 * restarts.  The number of domains is capped: past the cap a domain is
 * still judged (as new) but not remembered, and each zone is told of that
 * once, not once per query.  Its hash seed is random per table. */
#ifndef AIRLOCK_SEEN_H
#define AIRLOCK_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct al_seen;

int al_seen_new(size_t max_domains, struct al_seen **out);
void al_seen_free(struct al_seen *s);

/* A new cap; domains already held are kept. */
void al_seen_set_max(struct al_seen *s, size_t max_domains);

/* Records that domain (lower case, trailing dot) was first seen at
 * first_us, keeping the earlier of that and what is known: for a saved
 * table, an import, a baseline.  Returns 0, -ENOSPC when the table is
 * full, -ENOMEM, -EINVAL for an empty name or a time <= 0. */
int al_seen_merge(struct al_seen *s, const char *domain, int64_t first_us);

/* A query for domain, from the zone with index zone (0..63 each its own;
 * higher ones share bit 63), at now_us. */
struct al_sighting {
	int64_t first_us; /* its first sighting: now_us when added */
	bool added;       /* first sighting now: to be saved */
	bool report;      /* the first time this zone asks for it since it was added;
			   * when full: the zone's first domain not remembered since
			   * the table filled */
	bool full;        /* not known and not remembered: the table is full (or, by
			   * rare chance, the name's run of slots is) */
	int64_t epoch_us; /* the earliest first sighting held: learning starts there */
};
int al_seen_note(struct al_seen *s, const char *domain, unsigned zone, int64_t now_us,
		 struct al_sighting *out);

size_t al_seen_count(struct al_seen *s);

/* When learning ends and how long a domain stays new. */
struct al_seen_rule {
	int64_t learn_end_us; /* domains first seen before this are never new */
	int64_t age_us;       /* new while first sighting + age_us > now */
};
/* Whether a domain first seen at first_us is new at now_us. */
bool al_seen_is_new(const struct al_seen_rule *r, int64_t first_us, int64_t now_us);

#endif
