/* Unpredictable numbers for DNS IDs and hash seeds, from the kernel's
 * CSPRNG (getrandom), buffered per thread. */
#ifndef AIRLOCK_RAND_H
#define AIRLOCK_RAND_H

#include <stdint.h>

uint16_t al_rand16(void);
uint64_t al_rand64(void);

#endif
