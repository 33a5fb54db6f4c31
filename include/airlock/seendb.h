/* First sightings of domains outside the daemon: the text form a baseline
 * is exported in and imported from, one domain a line,
 *   # a comment
 *   example.com. 2026-11-24T10:00:00Z
 * the domain in presentation form as the daemon keeps it (b!c.com.,
 * \200x.com.: any bytes, \DDD and \X escapes; a leading '#' written
 * "\#", since a '#' that begins a word starts a comment), and the import
 * into a query log's seen_domains table (`airlock seen import`), which
 * keeps the earlier sighting of a domain held twice.
 * Reading the table is logread's (al_logread_seen). */
#ifndef AIRLOCK_SEENDB_H
#define AIRLOCK_SEENDB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "airlock/err.h"
#include "airlock/msg.h"

/* Parses one line of the text form (line is modified).  Returns 1 with
 * the domain (AL_MAX_NAME_TEXT bytes: lower case, escaped as the daemon
 * keeps it, trailing dot) and its first sighting, 0 for a blank or
 * comment line, -EINVAL with err saying what is wrong. */
int al_seendb_parse_line(char *line, char *domain, int64_t *first_us, struct al_err *err);
/* Writes one line of the text form.  Returns 0 or -EIO. */
int al_seendb_write_line(FILE *fp, const char *domain, int64_t first_us);

/* Reads the text form from fp (named name in messages) into the database
 * at db_path, creating or migrating it: all lines or none, in one
 * transaction that waits up to busy_ms for airlockd's writer.  *added and
 * *earlier count the domains that were new to the table and the ones
 * whose first sighting moved earlier.  Errors name name:line or db_path. */
int al_seendb_import(const char *db_path, FILE *fp, const char *name, unsigned busy_ms,
		     size_t *added, size_t *earlier, struct al_err *err);

#endif
