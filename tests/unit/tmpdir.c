/* Test helper: temporary directories, see tmpdir.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"

int test_tmpdir_make(char *dir, size_t len, const char *tag)
{
	if (snprintf(dir, len, "/tmp/airlock-%s-XXXXXX", tag) >= (int)len)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

const char *test_tmpdir_write(const char *dir, const char *name, const char *text,
			      char *path, size_t len)
{
	FILE *f;
	int ok;

	snprintf(path, len, "%s/%s", dir, name);
	if (!(f = fopen(path, "w")))
		return NULL;
	ok = fputs(text, f) >= 0;
	ok &= fclose(f) == 0;
	return ok ? path : NULL;
}

int test_tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}
