/* make check's fuzz test: every harness's seed corpus and saved findings
 * (tests/fuzz/corpus/NAME/, tests/fuzz/regress/NAME/) run through the
 * harness, built with the normal compiler.  A harness aborts on a broken
 * invariant, so a regression fails the test.
 *   replay                 all of them
 *   replay NAME FILE...    those files through one harness */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int fuzz_query(const uint8_t *data, size_t size);
int fuzz_reply(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_zonefile(const uint8_t *data, size_t size);
int fuzz_flow_aws(const uint8_t *data, size_t size);
int fuzz_flow_azure(const uint8_t *data, size_t size);
int fuzz_flow_gcp(const uint8_t *data, size_t size);
int fuzz_logfilter(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
} harnesses[] = {
	{ "fuzz_query", fuzz_query },       { "fuzz_reply", fuzz_reply },
	{ "fuzz_config", fuzz_config },     { "fuzz_zonefile", fuzz_zonefile },
	{ "fuzz_flow_aws", fuzz_flow_aws }, { "fuzz_flow_azure", fuzz_flow_azure },
	{ "fuzz_flow_gcp", fuzz_flow_gcp }, { "fuzz_logfilter", fuzz_logfilter },
};
#define NHARNESSES (sizeof(harnesses) / sizeof(harnesses[0]))

static void run_file(int (*fn)(const uint8_t *, size_t), const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		exit(1);
	}
	do {
		if (len == cap && !(buf = realloc(buf, cap = cap ? cap * 2 : 4096)))
			abort();
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	fn(buf, len);
	free(buf);
}

/* Every file in dir (missing: none); returns how many ran. */
static unsigned run_dir(int (*fn)(const uint8_t *, size_t), const char *dir)
{
	char path[4096];
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fprintf(stderr, "replay: %s\n", path);
		run_file(fn, path);
		n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	char dir[4096];
	unsigned i, corpus, regress;
	int a;

	if (argc > 1) {
		for (i = 0; i < NHARNESSES && strcmp(harnesses[i].name, argv[1]) != 0; i++)
			;
		if (i == NHARNESSES) {
			fprintf(stderr, "replay: no harness %s\n", argv[1]);
			return 2;
		}
		for (a = 2; a < argc; a++)
			run_file(harnesses[i].fn, argv[a]);
		return 0;
	}
	for (i = 0; i < NHARNESSES; i++) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", fuzz_srcdir(), harnesses[i].name);
		corpus = run_dir(harnesses[i].fn, dir);
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", fuzz_srcdir(), harnesses[i].name);
		regress = run_dir(harnesses[i].fn, dir);
		printf("%s: %u seeds, %u saved findings passed\n", harnesses[i].name, corpus, regress);
		if (corpus == 0) {
			printf("%s: no seed corpus in %s/tests/fuzz/corpus\n", harnesses[i].name, fuzz_srcdir());
			return 1;
		}
	}
	return 0;
}
