/* Name lists for the exfiltration guard: allow- and block-lists of domains
 * read from text files (see docs/LISTS.md), loaded with the configuration
 * and matched, without allocation, against every query before it is
 * forwarded.  A hit names the list, the entry and its line. */
#ifndef AIRLOCK_NAMELIST_H
#define AIRLOCK_NAMELIST_H

#include <stddef.h>
#include <stdint.h>
#include "airlock/err.h"

/* Immutable once loaded: worker threads may share one read-only. */
struct al_namelist;

/* The entry a name matched; lives as long as the list. */
struct al_namelist_hit {
	const char *list;  /* the file's base name without extension ("guard-allow") */
	const char *entry; /* the entry as written ("*.example.com", "~_dmarc") */
	unsigned line;     /* its line in that file */
};

/* Reads the list files paths[0..n) into one list.  One entry a line, '#'
 * starts a comment:
 *   example.com        that name and every name below it
 *   =host.example.com  that name only
 *   *.example.com      names strictly below it
 *   ~_domainkey        any name with that label anywhere in it
 * Names are case-insensitive, a trailing dot optional; labels are 1-63 of
 * letters, digits, '-', '_'.  The same entry twice (in any file) is kept
 * once, the first.  Reading does file I/O: call it off the event loop.
 * Returns 0, -EINVAL for a bad entry or file name (err names file:line,
 * the entry and what is wrong), -errno when a file cannot be read (err
 * names the file), -ENOMEM. */
int al_namelist_load(const char *const *paths, size_t n, struct al_namelist **out,
		     struct al_err *err);
void al_namelist_free(struct al_namelist *l);

/* Entries held (duplicates counted once). */
size_t al_namelist_count(const struct al_namelist *l);

/* The entry matching name (lower-cased uncompressed wire form), the most
 * specific first: the longest matching name suffix wins, and at equal
 * length "=name" before "*.name" before "name"; "~label" entries only when
 * no name entry matches (the leftmost such label).  NULL when none
 * matches, l is NULL or name is not a wire name.  Does not allocate.
 * Walks the name's suffixes from the right, one probe each, only while
 * some entry lies deeper ("a.b.example.com" against a list without
 * example.com: 2 probes); then, if no name entry matched, one probe for
 * each label whose length some "~label" entry has. */
const struct al_namelist_hit *al_namelist_match(const struct al_namelist *l,
						const uint8_t *name, size_t len);

#endif
