/* Running as an unprivileged account: airlockd started as root binds its
 * ports, then becomes the configured user for good.  The account is looked
 * up before anything is bound, so a typo fails at start, not after. */
#ifndef AIRLOCK_PRIVDROP_H
#define AIRLOCK_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "airlock/err.h"

struct al_privdrop {
	char user[64];
	uid_t uid;
	gid_t gid;
	bool stay_root; /* the user is root: nothing to drop */
	bool group_given; /* GROUP named: the only group, no supplementary ones */
};

/* spec: "USER" or "USER:GROUP"; group (may be NULL) applies when spec names
 * none; without either the user's primary group is used. */
int al_privdrop_lookup(const char *spec, const char *group, struct al_privdrop *out,
		       struct al_err *err);
/* Becomes d's user and group, then checks that root cannot be regained.
 * The supplementary groups are the user's memberships (initgroups), or,
 * when a group was named, that group alone: naming it means "this group
 * and no other".  A no-op when d->stay_root. */
int al_privdrop_apply(const struct al_privdrop *d, struct al_err *err);

#endif
