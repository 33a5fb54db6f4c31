/* The query-log filters (`airlock log`, `incidents`, `who-resolved`)
 * from command-line text.  The first byte picks the kind (queries,
 * incidents, answers); each following line is "OPTION VALUE" ("ip VALUE":
 * who-resolved's address).  Asserts: a filter either fails with a
 * message (naming the option, for al_logfilter_set; -ENOENT exactly for
 * names al_logfilter_exists does not know) or round-trips: written back
 * as text (times in ISO 8601 with microseconds, CIDRs, names, numbers)
 * and parsed into a fresh filter, it gives the same filter. */
#include <errno.h>
#include <string.h>

#include "airlock/logread.h"
#include "fuzz.h"

#define NOW_US 1764000000000000LL /* 2025-11-24T16:00:00Z */

/* f's filter opt as text that sets it again. */
static void as_text(const struct al_logfilter *f, const char *opt, char *out, size_t len)
{
	char ip[64];

	if (!strcmp(opt, "since"))
		al_logtime_format(f->since_us, 6, out, len);
	else if (!strcmp(opt, "until"))
		al_logtime_format(f->until_us, 6, out, len);
	else if (!strcmp(opt, "at"))
		al_logtime_format(f->at_us, 6, out, len);
	else if (!strcmp(opt, "zone"))
		snprintf(out, len, "%s", f->zone);
	else if (!strcmp(opt, "client"))
		snprintf(out, len, "%s/%d", al_ip_format(&f->client.ip, ip, sizeof(ip)), f->client.prefix);
	else if (!strcmp(opt, "name"))
		snprintf(out, len, "%s", f->name);
	else if (!strcmp(opt, "type"))
		snprintf(out, len, "%d", f->qtype);
	else if (!strcmp(opt, "action"))
		snprintf(out, len, "%s", f->action);
	else if (!strcmp(opt, "severity"))
		snprintf(out, len, "%s", f->severity);
	else if (!strcmp(opt, "kind"))
		snprintf(out, len, "%s", f->kind_name);
	else if (!strcmp(opt, "limit"))
		snprintf(out, len, "%llu", (unsigned long long)f->limit);
	else
		abort();
}

static bool same(const struct al_logfilter *a, const struct al_logfilter *b)
{
	return a->kind == b->kind && a->has_since == b->has_since && a->has_until == b->has_until &&
	       a->has_at == b->has_at && a->has_client == b->has_client && a->has_limit == b->has_limit &&
	       a->since_us == b->since_us && a->until_us == b->until_us && a->at_us == b->at_us &&
	       (!a->has_client || (al_ip_equal(&a->client.ip, &b->client.ip) &&
				   a->client.prefix == b->client.prefix)) &&
	       a->qtype == b->qtype && a->limit == b->limit && !strcmp(a->zone, b->zone) &&
	       !strcmp(a->name, b->name) && !strcmp(a->action, b->action) &&
	       !strcmp(a->severity, b->severity) && !strcmp(a->kind_name, b->kind_name) &&
	       !strcmp(a->ip, b->ip) && a->given == b->given;
}

FUZZ_TARGET(fuzz_logfilter)
{
	static const char *const opts[] = { "since", "until", "at", "zone", "client", "name", "type",
					    "action", "severity", "kind", "limit" };
	struct al_logfilter f, back;
	struct al_err err;
	enum al_logread_kind kind;
	char *text, *line, *next, *value, buf[512];
	size_t i;
	int rc;

	if (size < 1 || size > 4096)
		return 0;
	kind = (enum al_logread_kind)(data[0] % 3);
	text = fuzz_strndup(data + 1, size - 1);
	al_logfilter_init(&f, kind);
	for (line = text; line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		value = strchr(line, ' ');
		if (value)
			*value++ = '\0';
		else
			value = line + strlen(line);
		err.msg[0] = '\0';
		if (!strcmp(line, "ip")) {
			rc = al_logfilter_set_ip(&f, value, &err);
			FUZZ_CHECK(rc == 0 || (rc == -EINVAL && err.msg[0]), "set_ip: %d \"%s\"", rc, err.msg);
			continue;
		}
		rc = al_logfilter_set(&f, line, value, NOW_US, &err);
		if (rc == 0)
			continue;
		FUZZ_CHECK(rc == (al_logfilter_exists(line) ? -EINVAL : -ENOENT), "set --%s: %d", line, rc);
		/* Unknown names are shown cut to 64 bytes. */
		FUZZ_CHECK(!strncmp(err.msg, "--", 2) &&
			   !strncmp(err.msg + 2, line, strlen(line) < 64 ? strlen(line) : 64),
			   "a message not naming --%s: \"%s\"", line, err.msg);
	}
	free(text);
	rc = al_logfilter_check(&f, &err);
	FUZZ_CHECK(rc == 0 || (rc == -EINVAL && err.msg[0]), "check: %d", rc);
	/* Round trip. */
	al_logfilter_init(&back, kind);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!al_logfilter_takes(kind, opts[i]) || !(f.given & (1u << i)))
			continue;
		as_text(&f, opts[i], buf, sizeof(buf));
		rc = al_logfilter_set(&back, opts[i], buf, NOW_US, &err);
		FUZZ_CHECK(rc == 0, "--%s \"%s\" written back does not parse: %s", opts[i], buf, err.msg);
	}
	if (f.ip[0])
		FUZZ_CHECK(al_logfilter_set_ip(&back, f.ip, &err) == 0, "ip \"%s\" written back: %s", f.ip, err.msg);
	FUZZ_CHECK(same(&f, &back), "the filter written back and parsed again differs");
	return 0;
}
