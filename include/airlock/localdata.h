/* Forced private answers: names an operator pins in RFC 1035 zone files
 * (AI endpoints -> private endpoint IPs) are answered here, without asking
 * an upstream.  Names not held fall through to normal resolution. */
#ifndef AIRLOCK_LOCALDATA_H
#define AIRLOCK_LOCALDATA_H

#include <stddef.h>
#include <stdint.h>
#include "airlock/err.h"
#include "airlock/msg.h"

/* Immutable once loaded: worker threads may share one read-only. */
struct al_localdata;

/* Parses and merges the zone files paths[0..npaths) (class IN only; the
 * same record twice is kept once; a CNAME must be alone at its name;
 * no wildcards, DNAME or $INCLUDE).  Parsing does file I/O: call it off the
 * event loop.  Returns 0, -EINVAL for bad data (err names file:line and
 * the problem), -errno when a file cannot be read, -ENOMEM. */
int al_localdata_load(const char *const *paths, size_t npaths,
		      struct al_localdata **out, struct al_err *err);
void al_localdata_free(struct al_localdata *ld);

/* Owner names held. */
size_t al_localdata_names(const struct al_localdata *ld);

/* Writes the reply for q into out (cap bytes): a complete DNS message
 * with ID 0, flags QR|AA|RA plus q's RD and CD, the question (q's
 * lower-cased name, type and class), then the answer: the records of q's
 * type at the name (ANY: all of them); a CNAME and its chain followed
 * within the local data (at most 8 hops, loops stop); for NODATA the SOA
 * of the enclosing local zone, if held, in the authority section with
 * TTL min(SOA TTL, minimum).  No name compression; zone-file TTLs.
 * Returns the length; 0 when q's name (exactly, class IN) is not held,
 * or q asks for AXFR/IXFR: the caller resolves it normally; -ENOSPC when
 * cap is too small.  Does not allocate. */
int al_localdata_reply(const struct al_localdata *ld, const struct al_query *q,
		       uint8_t *out, size_t cap);

#endif
