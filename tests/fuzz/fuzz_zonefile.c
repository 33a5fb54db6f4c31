/* The local-data zone file parser, then replies from what it loaded.
 * The input is the file.  Asserts: the load either fails with a message
 * that starts with the file's path, or succeeds; loading the file twice
 * gives the same names (the same record twice is kept once); for a few
 * questions (fixed names, and the first word of the first lines), each
 * reply is -ENOSPC only when the buffer is small, or a DNS message that
 * walks cleanly to its last byte with ID 0, QR and AA set, and the
 * question asked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "airlock/localdata.h"
#include "fuzz.h"

static char path[64];

/* The input as a file, removed again once the input is done. */
static void write_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/airlock-fuzz-zone.%ld", (long)getpid());
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

static size_t ends_at;

static int walk_rr(const uint8_t *pkt, const struct al_rr *rr, void *arg)
{
	(void)pkt;
	(void)arg;
	ends_at = rr->rdata_off + rr->rdlen;
	return 0;
}

static void ask(const struct al_localdata *ld, const uint8_t *name, size_t len, uint16_t qtype)
{
	static uint8_t out[AL_MAX_MSG];
	struct al_query q;
	size_t off = AL_HDR;
	int n, small;

	memset(&q, 0, sizeof(q));
	memcpy(q.qname, name, len);
	memcpy(q.qname_lc, name, len);
	q.qname_len = len;
	q.qtype = qtype;
	q.qclass = 1;
	q.flags = AL_FLAG_RD;
	n = al_localdata_reply(ld, &q, out, sizeof(out));
	FUZZ_CHECK(n >= 0, "reply %d with a 64 KiB buffer", n);
	if (n == 0)
		return;
	FUZZ_CHECK(n >= AL_HDR + (int)len + 4, "a reply of %d bytes", n);
	FUZZ_CHECK(al_get16(out) == 0 && (al_get16(out + 2) & (AL_FLAG_QR | AL_FLAG_AA)) == (AL_FLAG_QR | AL_FLAG_AA),
		   "header ID %u flags %#x", al_get16(out), al_get16(out + 2));
	FUZZ_CHECK(al_get16(out + 4) == 1 && memcmp(out + AL_HDR, name, len) == 0 &&
		   al_get16(out + AL_HDR + len) == qtype && al_get16(out + AL_HDR + len + 2) == 1,
		   "the reply's question is not the one asked");
	off += len + 4;
	ends_at = off;
	FUZZ_CHECK(al_msg_walk(out, (size_t)n, walk_rr, NULL) == 0, "a malformed reply");
	FUZZ_CHECK(ends_at == (size_t)n, "%zu bytes after the last record", (size_t)n - ends_at);
	small = al_localdata_reply(ld, &q, out, (size_t)n - 1);
	FUZZ_CHECK(small == -ENOSPC, "%d for a buffer one byte short", small);
}

FUZZ_TARGET(fuzz_zonefile)
{
	static const char *const fixed[] = { "bedrock-runtime.us-east-1.amazonaws.com", "example.com",
					     "www.example.com", "localhost" };
	static const uint16_t types[] = { AL_TYPE_A, AL_TYPE_AAAA, AL_TYPE_CNAME, AL_TYPE_SOA,
					  AL_TYPE_ANY, 16 /* TXT */, AL_TYPE_NS };
	const char *paths[2];
	struct al_localdata *ld = NULL, *twice = NULL;
	struct al_err err;
	uint8_t name[AL_MAX_NAME];
	char word[300];
	size_t i, j, off = 0;
	int rc, n, lines = 0;

	if (size > 65536)
		return 0;
	write_file(data, size);
	paths[0] = paths[1] = path;
	err.msg[0] = '\0';
	rc = al_localdata_load(paths, 1, &ld, &err);
	if (rc < 0)
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0,
			   "error %d without the file first: \"%s\"", rc, err.msg);
	n = al_localdata_load(paths, 2, &twice, &err);
	unlink(path);
	if (rc < 0) {
		FUZZ_CHECK(n < 0, "loads twice but not once");
		return 0;
	}
	FUZZ_CHECK(n == 0, "loads once but not twice: %s", err.msg);
	FUZZ_CHECK(al_localdata_names(twice) == al_localdata_names(ld), "%zu names once, %zu twice",
		   al_localdata_names(ld), al_localdata_names(twice));
	al_localdata_free(twice);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if ((n = al_msg_name_from_text(fixed[i], name, sizeof(name))) > 0)
			for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
				ask(ld, name, (size_t)n, types[j]);
	/* The first word of each of the first lines: owners, mostly. */
	while (off < size && lines++ < 16) {
		size_t k = 0;
		while (off < size && data[off] != '\n' && data[off] != ' ' && data[off] != '\t' &&
		       k < sizeof(word) - 1)
			word[k++] = (char)data[off++];
		word[k] = '\0';
		while (off < size && data[off++] != '\n')
			;
		if (k && (n = al_msg_name_from_text(word, name, sizeof(name))) > 0)
			for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
				ask(ld, name, (size_t)n, types[j]);
	}
	al_localdata_free(ld);
	return 0;
}
