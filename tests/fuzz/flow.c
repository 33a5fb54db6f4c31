/* A flow log parser fed the input as src/flowlog.c's reader would: line
 * by line (CR LF too; a NUL ends the line, as fgets leaves it), or, for
 * parsers that take blocks (Azure), in blocks.  AWS: an input starting
 * "F:" gives its first line as the field order.  Asserts: every flow and
 * every bad record carries a line within the input, every bad record
 * says why, flows hold known actions, directions, address families and
 * a terminated interface name; a block parser finds the same flows and
 * bad records whatever the block size (whole input, or 1 to 97 bytes
 * picked by the first byte). */
#include <errno.h>
#include <string.h>

#include "flow.h"
#include "fuzz.h"

struct tally {
	struct al_flowsink sink;
	struct al_flowstats st;
	unsigned long lines;     /* the input's line count */
	unsigned long records, bad;
	uint64_t digest;         /* over the flows' content, order included */
};

static void mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ull;
}

static int on_record(struct al_flowsink *s, const struct al_flowrec *r)
{
	struct tally *t = (struct tally *)s;

	FUZZ_CHECK(r->line >= 1 && r->line <= t->lines, "a flow at line %lu of %lu", r->line, t->lines);
	FUZZ_CHECK(r->action <= AL_FLOW_UNKNOWN_ACTION && r->dir <= AL_FLOW_EGRESS,
		   "action %d direction %d", (int)r->action, (int)r->dir);
	FUZZ_CHECK((r->src.family == AF_INET || r->src.family == AF_INET6) &&
		   (r->dst.family == AF_INET || r->dst.family == AF_INET6),
		   "address families %d, %d", r->src.family, r->dst.family);
	FUZZ_CHECK(memchr(r->iface, '\0', sizeof(r->iface)) != NULL, "an unterminated interface name");
	t->records++;
	mix(&t->digest, &r->start_us, sizeof(r->start_us));
	mix(&t->digest, &r->end_us, sizeof(r->end_us));
	mix(&t->digest, r->src.bytes, sizeof(r->src.bytes));
	mix(&t->digest, r->dst.bytes, sizeof(r->dst.bytes));
	mix(&t->digest, &r->sport, sizeof(r->sport));
	mix(&t->digest, &r->dport, sizeof(r->dport));
	mix(&t->digest, &r->bytes, sizeof(r->bytes));
	mix(&t->digest, &r->packets, sizeof(r->packets));
	mix(&t->digest, r->iface, strlen(r->iface));
	return 0;
}

static void on_bad(struct al_flowsink *s, unsigned long line, const char *why)
{
	struct tally *t = (struct tally *)s;

	FUZZ_CHECK(line >= 1 && line <= t->lines + 1, "a bad record at line %lu of %lu", line, t->lines);
	FUZZ_CHECK(why && why[0], "a bad record without a reason");
	t->bad++;
}

static unsigned long count_lines(const uint8_t *data, size_t size)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size && data[size - 1] != '\n');
}

/* chunk: block size for block parsers (0: the whole input at once). */
static void run(const struct al_flowparser_ops *ops, const char *fields, const uint8_t *data,
		size_t size, size_t chunk, struct tally *t)
{
	struct al_err err;
	void *state;
	char *buf = malloc(size + 1);
	size_t off = 0, n;
	unsigned long lineno = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	t->sink.record = on_record;
	t->sink.bad = on_bad;
	t->sink.stats = &t->st;
	t->lines = count_lines(data, size);
	if (!buf)
		abort();
	if ((rc = ops->create(fields, &state, &err)) < 0) {
		free(buf);
		FUZZ_CHECK(rc == -EINVAL && err.msg[0], "create: %d", rc);
		t->records = (unsigned long)-1;
		return;
	}
	while (off < size) {
		if (ops->blocks) {
			unsigned long first = lineno + 1;
			size_t i;
			n = chunk && size - off > chunk ? chunk : size - off;
			memcpy(buf, data + off, n);
			buf[n] = '\0';
			for (i = 0; i < n; i++)
				lineno += buf[i] == '\n';
			rc = ops->feed(state, buf, n, first, &t->sink);
		} else {
			const uint8_t *nl = memchr(data + off, '\n', size - off);
			size_t end = nl ? (size_t)(nl - data) : size, len;
			n = end - off + (nl != NULL);
			memcpy(buf, data + off, end - off);
			buf[end - off] = '\0';
			len = strlen(buf);
			if (len && buf[len - 1] == '\r')
				buf[--len] = '\0';
			rc = ops->feed(state, buf, len, ++lineno, &t->sink);
		}
		FUZZ_CHECK(rc == 0, "feed: %d", rc);
		off += n;
	}
	ops->finish(state, &t->sink);
	ops->destroy(state);
	free(buf);
}

int fuzz_flow_run(const struct al_flowparser_ops *ops, const uint8_t *data, size_t size)
{
	struct tally whole, pieces;
	char *fields = NULL;

	if (size > 256 * 1024)
		return 0;
	if (size >= 2 && data[0] == 'F' && data[1] == ':' && !ops->blocks) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size;
		fields = fuzz_strndup(data + 2, len - 2);
		data += len + (nl != NULL);
		size -= len + (nl != NULL);
	}
	run(ops, fields, data, size, 0, &whole);
	if (ops->blocks && size > 0) {
		run(ops, fields, data, size, 1 + data[0] % 97, &pieces);
		FUZZ_CHECK(pieces.records == whole.records && pieces.bad == whole.bad &&
			   pieces.digest == whole.digest,
			   "%lu flows, %lu bad whole; %lu flows, %lu bad in blocks of %u",
			   whole.records, whole.bad, pieces.records, pieces.bad, 1 + data[0] % 97);
	}
	free(fields);
	return 0;
}
