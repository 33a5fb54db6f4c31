/* Upstream replies scrubbed before anything else reads them: the policy
 * checks, the query log and the cache see only records that belong to the
 * question asked.  Whatever an upstream adds beyond that is dropped. */
#ifndef AIRLOCK_SCRUB_H
#define AIRLOCK_SCRUB_H

#include <stddef.h>
#include <stdint.h>

/* The CNAME chain is followed for at most this many links. */
#define AL_SCRUB_MAX_CHAIN 16
/* Names an additional A/AAAA record may have: the targets of the first
 * this many kept NS, MX and SRV records. */
#define AL_SCRUB_MAX_TARGETS 32

/* The rules (records of a class other than the question's are always
 * dropped; QCLASS * matches every class):
 *
 * Answer: the chain starts at the question name.  A CNAME whose owner is
 * the chain's last name extends it by its target, wherever it sits in the
 * answer section; one that would loop back to a name on the chain or make
 * it longer than AL_SCRUB_MAX_CHAIN links ends the chain.  The CNAMEs that
 * are its links are kept; any other CNAME is dropped (whatever the
 * question's type).  A record
 * of the question's type (any type for ANY) is kept when its owner is on
 * the chain; a DNAME when its owner is a proper ancestor of a name on the
 * chain.  An RRSIG is kept beside what it may cover: owner on the
 * chain and covering the question's type or CNAME, or covering a DNAME
 * that would be kept.  airlock validates nothing, but a validating client
 * behind it still can.  Everything else goes.
 *
 * Authority: SOA and NS are kept when their owner is the chain's last
 * name or one of its ancestors (the bailiwick).  The first kept SOA names
 * the zone, else (a wildcard answer's proof comes without one) the signer
 * of a kept RRSIG at the chain's end, when it is that name or an ancestor;
 * NSEC and NSEC3 at or below the zone, and RRSIGs covering a kept SOA/NS or
 * those NSEC/NSEC3, stay (DNSSEC denial proofs).  Everything else goes.
 *
 * Additional: A and AAAA whose owner is the target of a kept NS, MX or
 * SRV record are kept; the OPT record (one at most, owned by the root) is
 * kept as it is.  Everything else goes.
 *
 * When nothing goes (the usual case) the reply is used as it came.
 * Otherwise it is rebuilt: the header with fixed counts, the question as
 * is, then the kept records with their owner names, and the names inside
 * the rdata of the types known to carry them (NS, CNAME, SOA, PTR, MX,
 * SRV, DNAME, NAPTR, ...), written out in full and lower-cased, so no
 * compression pointer can lead into a dropped record (the question's name
 * alone is a pointer to the question, which always stays); other rdata is
 * copied verbatim. */

/* Scrubs reply, a reply already matched to its question (one question).
 * On success *res and *reslen are reply and len when nothing was dropped,
 * or out and the rebuilt length; *dropped counts the records removed.
 * Returns -EINVAL for a malformed reply (a compressed question name, a
 * record that does not parse, an OPT elsewhere than in the additional
 * section, a second one, one not owned by the root, a name in any record's
 * rdata that overruns it), -ENOSPC when the rebuilt reply does not fit
 * outlen. */
int al_scrub_reply(const uint8_t *reply, size_t len, uint8_t *out, size_t outlen,
		   const uint8_t **res, size_t *reslen, unsigned *dropped);

#endif
