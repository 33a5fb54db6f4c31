/* The fuzz harnesses' common frame.  Each harness defines its entry with
 * FUZZ_TARGET(name): a plain function fuzz_NAME that make check's replay
 * program calls on saved inputs (built with the normal compiler), and,
 * when built for libFuzzer (-DFUZZ_LIBFUZZER), LLVMFuzzerTestOneInput
 * calling it.  An invariant that does not hold aborts with a message, so
 * libFuzzer saves the input and the replay test fails. */
#ifndef AIRLOCK_FUZZ_H
#define AIRLOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef FUZZ_LIBFUZZER
#define FUZZ_ENTRY(name) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ \
		return name(data, size); \
	}
#else
#define FUZZ_ENTRY(name)
#endif

#define FUZZ_TARGET(name) \
	int name(const uint8_t *data, size_t size); \
	FUZZ_ENTRY(name) \
	int name(const uint8_t *data, size_t size)

/* An invariant: when cond is false, say which and abort. */
#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* The source tree (zones/, tests/data/), for harnesses that load files:
 * $AIRLOCK_SRCDIR, else the one this was built from. */
const char *fuzz_srcdir(void);

/* data as a NUL-terminated string (malloc'd; embedded NULs stay). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
