/* Test helper: a fresh directory under /tmp for a test's files, removed
 * with everything in it afterwards. */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

#include <stddef.h>

/* Makes /tmp/airlock-TAG-XXXXXX into dir (len >= 64); 0 or -1. */
int test_tmpdir_make(char *dir, size_t len, const char *tag);
/* Writes text to dir/name and puts that path in path; returns path, or
 * NULL when the file could not be written. */
const char *test_tmpdir_write(const char *dir, const char *name, const char *text,
			      char *path, size_t len);
/* Removes the files in dir, then dir; 0 or -1. */
int test_tmpdir_remove(const char *dir);

#endif
