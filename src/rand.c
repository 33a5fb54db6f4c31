/* Per-thread buffered getrandom(2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "airlock/rand.h"

static _Thread_local uint8_t pool[512];
static _Thread_local size_t left;

static void take(void *out, size_t n)
{
	if (left < n) {
		size_t got = 0;
		while (got < sizeof(pool)) {
			ssize_t r = getrandom(pool + got, sizeof(pool) - got, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				abort(); /* no entropy source: IDs would be guessable */
			}
			got += (size_t)r;
		}
		left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - left, n);
	left -= n;
}

uint16_t al_rand16(void)
{
	uint16_t v;

	take(&v, sizeof(v));
	return v;
}

uint64_t al_rand64(void)
{
	uint64_t v;

	take(&v, sizeof(v));
	return v;
}
