/* The registered domain of a name: its public suffix plus one label, by the
 * Public Suffix List (libpsl).  What a person or a company registered, and
 * the unit the exfiltration guard counts by: the tunnel detector's windows
 * and the newly seen domains. */
#ifndef AIRLOCK_REGDOM_H
#define AIRLOCK_REGDOM_H

#include <stddef.h>
#include <stdint.h>
#include <libpsl.h>

/* Writes the registered domain of name (wire form, any case) into out in
 * presentation form, lower case, with the trailing dot.  Returns the
 * number of name's labels below it (0: name is the registered domain), or
 * -EINVAL when name has none (a public suffix itself, a single label, a
 * malformed name, psl NULL) or out is too small. */
int al_regdom(const psl_ctx_t *psl, const uint8_t *name, size_t len, char *out, size_t outlen);

#endif
