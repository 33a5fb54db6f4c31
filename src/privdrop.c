/* Dropping root: see privdrop.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "airlock/privdrop.h"

int al_privdrop_lookup(const char *spec, const char *group, struct al_privdrop *out,
		       struct al_err *err)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	struct group *gr;

	memset(out, 0, sizeof(*out));
	if (ulen == 0 || ulen >= sizeof(out->user))
		return al_err_set(err, "user \"%s\" is not an account name (expected USER or USER:GROUP)",
				  spec);
	memcpy(out->user, spec, ulen);
	if (colon)
		group = colon + 1;
	errno = 0;
	if (!(pw = getpwnam(out->user)))
		return al_err_set(err, "user \"%s\": no such account (create it, e.g. "
				  "adduser --system --group --no-create-home %s)", out->user, out->user);
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	if (group && group[0]) {
		if (!(gr = getgrnam(group)))
			return al_err_set(err, "group \"%s\": no such group", group);
		out->gid = gr->gr_gid;
		out->group_given = true;
	} else if (colon) {
		return al_err_set(err, "user \"%s\": empty group after ':' (expected USER:GROUP)", spec);
	}
	out->stay_root = out->uid == 0;
	if (!out->stay_root && out->gid == 0)
		return al_err_set(err, "user \"%s\" with group 0 (root) would keep root's group: name another group",
				  out->user);
	return 0;
}

int al_privdrop_apply(const struct al_privdrop *d, struct al_err *err)
{
	if (d->stay_root)
		return 0;
	/* Groups first: once the uid changes, setgid is no longer allowed. */
	if ((d->group_given ? setgroups(1, &d->gid) : initgroups(d->user, d->gid)) < 0)
		return al_err_set(err, "cannot set the groups of %s: %s", d->user, strerror(errno));
	if (setresgid(d->gid, d->gid, d->gid) < 0)
		return al_err_set(err, "cannot become group %lu: %s", (unsigned long)d->gid,
				  strerror(errno));
	if (setresuid(d->uid, d->uid, d->uid) < 0)
		return al_err_set(err, "cannot become user %s: %s", d->user, strerror(errno));
	if (setuid(0) == 0 || geteuid() == 0 || getegid() != d->gid)
		return al_err_set(err, "still privileged after becoming %s: refusing to run", d->user);
	return 0;
}
