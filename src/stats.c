/* Adding up and printing the worker counters. */
#include <stdio.h>

#include "airlock/stats.h"

void al_stats_add(struct al_stats *sum, const struct al_stats *s)
{
#define ADD(name, help) sum->name += __atomic_load_n(&s->name, __ATOMIC_RELAXED);
	AL_STATS_FIELDS(ADD)
#undef ADD
}

void al_stats_format(const struct al_stats *s, char *buf, unsigned long len)
{
	unsigned long off = 0;

	buf[0] = '\0';
#define FMT(name, help)                                                        \
	if (s->name && off < len)                                              \
		off += (unsigned long)snprintf(buf + off, len - off, "%s%s=%llu", \
					       off ? " " : "", #name,          \
					       (unsigned long long)s->name);
	AL_STATS_FIELDS(FMT)
#undef FMT
}
