/* Helpers shared by the fuzz harnesses: see fuzz.h. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

const char *fuzz_srcdir(void)
{
	const char *d = getenv("AIRLOCK_SRCDIR");

	return d && *d ? d : FUZZ_SRCDIR;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
