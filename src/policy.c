/* Per-zone views of names: see policy.h. */
#include <string.h>

#include "airlock/namepat.h"
#include "airlock/policy.h"

static bool under(const uint8_t *name, size_t len, const struct al_suffix *s)
{
	return al_namepat_under(name, len, s->name, s->len);
}

unsigned al_policy_group(const struct al_config *cfg, const uint8_t *name, size_t len)
{
	unsigned best = 0;
	size_t i, best_len = 0;

	for (i = 0; i < cfg->nforwards; i++)
		if (cfg->forwards[i].suffix.len > best_len && under(name, len, &cfg->forwards[i].suffix)) {
			best = (unsigned)i + 1;
			best_len = cfg->forwards[i].suffix.len;
		}
	return best;
}

static bool is_internal(const struct al_config *cfg, const uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->ninternal; i++)
		if (under(name, len, &cfg->internal[i]))
			return true;
	return false;
}

static void deny(struct al_decision *d, const char *reason, const char *incident,
		 enum al_severity sev)
{
	d->deny = true;
	d->reason = reason;
	d->incident = incident;
	d->severity = sev;
}

void al_policy_decide(const struct al_config *cfg, const struct al_catalog *cat,
		      const struct al_zone *zone, const uint8_t *name, size_t len,
		      struct al_decision *d)
{
	const struct al_view *v = &zone->view;

	memset(d, 0, sizeof(*d));
	d->reason = "";
	d->ep = cat ? al_catalog_match(cat, name, len) : NULL;
	d->internal = is_internal(cfg, name, len);
	d->group = al_policy_group(cfg, name, len);
	if (d->ep && d->ep->cls == AL_EP_PRIVATE_LINK) {
		if (v->ai == AL_AI_DENY)
			deny(d, "ai endpoint denied", "ai_name_denied", AL_SEV_HIGH);
		else
			d->verify = true;
		return;
	}
	if (d->ep) {
		if (!v->public_ai)
			deny(d, "public ai api denied", "ai_name_denied", AL_SEV_HIGH);
		return;
	}
	if (v->names == AL_NAMES_NONE)
		deny(d, "no names in this zone", "name_denied", AL_SEV_WARNING);
	else if (v->names == AL_NAMES_INTERNAL_ONLY && !d->internal)
		deny(d, "internet name denied", "internet_name_denied", AL_SEV_WARNING);
}
