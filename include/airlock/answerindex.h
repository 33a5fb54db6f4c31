/* The answers airlock gave, indexed by address, for the flow monitor: which
 * names this client (else another client of its zone) was given this
 * address for, and when.  It holds a window of the query log: answers are
 * added about in time order and the oldest dropped as the flows move on,
 * so memory follows the window, not the log. */
#ifndef AIRLOCK_ANSWERINDEX_H
#define AIRLOCK_ANSWERINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/addr.h"

struct al_answer_ref {
	int64_t ts_us;      /* when the answer was given */
	uint32_t ttl;
	struct al_ip client;
	int zone;           /* the client's zone (an index), or -1 */
	const char *name;   /* the name the client asked for; lives as long as the index */
	int64_t query_id;   /* its row in the query log */
};

struct al_answerindex;

int al_answerindex_new(struct al_answerindex **out);
void al_answerindex_free(struct al_answerindex *ai);

/* One answer: client (in zone) was given addr for name at ts_us with ttl.
 * Answers should come about in time order: one older than the latest
 * added is put in its place at the cost of moving the later answers of
 * its address.  Returns 0 or -ENOMEM. */
int al_answerindex_add(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
		       int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id);
/* The same for many answers in a row, faster: each is held back a few
 * calls while the memory it will touch is fetched (name is copied), so
 * al_answerindex_flush must follow the last before the index is read
 * (add and expire flush by themselves).  Both return 0 or -ENOMEM, which
 * may be an earlier answer's. */
int al_answerindex_stage(struct al_answerindex *ai, const struct al_ip *addr, const struct al_ip *client,
			 int zone, const char *name, int64_t ts_us, uint32_t ttl, int64_t query_id);
int al_answerindex_flush(struct al_answerindex *ai);
/* Drops the answers given before before_us. */
void al_answerindex_expire(struct al_answerindex *ai, int64_t before_us);

/* The answer that explains a flow from client (in zone) to addr during
 * [start_us, end_us]: one given at ts <= end_us whose ttl + grace_us
 * reaches start_us.  The client's own latest such answer first, else the
 * latest given to its zone (*by_zone set).  Fills *out and returns out,
 * or NULL when none; out->name lives as long as the index. */
const struct al_answer_ref *al_answerindex_find(const struct al_answerindex *ai, const struct al_ip *addr,
						const struct al_ip *client, int zone, int64_t start_us,
						int64_t end_us, int64_t grace_us, struct al_answer_ref *out,
						bool *by_zone);

/* Hints for a caller that will look addr up some calls from now, so that
 * the memory the lookup touches is fetched meanwhile: first the address's
 * slot, a few calls later (with the slot in the cache) its answers.  They
 * change nothing. */
void al_answerindex_prefetch(const struct al_answerindex *ai, const struct al_ip *addr);
void al_answerindex_prefetch_answers(const struct al_answerindex *ai, const struct al_ip *addr);

size_t al_answerindex_count(const struct al_answerindex *ai);
/* The time of the newest answer added (0: none). */
int64_t al_answerindex_newest(const struct al_answerindex *ai);

#endif
