/* Reading flow logs: see flowlog.h.  zlib reads gzip and plain files alike;
 * the parser of the format (flowparse.h) turns lines into flows, which wait
 * in a small queue until al_flowreader_next takes them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "airlock/flowparse.h"

#define LINE_MAX_BYTES (1 << 20) /* a longer line is a bad record */
#define BLOCK_BYTES (64 * 1024)
#define FOLLOW_WAIT_MS 200

struct al_flowreader {
	struct al_flowsink sink; /* first: the sink callbacks find the reader */
	gzFile gz;
	const char *path;        /* the caller's path, "(stdin)": for errors, and what records point to */
	const struct al_flowparser_ops *ops;
	void *state;
	struct al_flowreader_opts opts;
	struct al_flowstats st;
	char *buf;               /* the line being read */
	size_t len;
	unsigned long lineno;
	bool finished;
	char *peek;              /* the first block, read to tell the format */
	size_t peek_len, peek_off;
	struct al_flowrec *queue; /* flows waiting to be taken */
	size_t qhead, qlen, qcap;
	int error;               /* a sink error (-ENOMEM) */
};

const char *al_flow_format_name(enum al_flow_format f)
{
	static const char *const names[] = { "auto", "aws", "azure", "gcp" };

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

int al_flow_format_parse(const char *text, enum al_flow_format *out)
{
	int i;

	for (i = AL_FLOW_AUTO; i <= AL_FLOW_GCP; i++)
		if (!strcmp(text, al_flow_format_name((enum al_flow_format)i))) {
			*out = (enum al_flow_format)i;
			return 0;
		}
	return -EINVAL;
}

enum al_flow_format al_flow_sniff(const char *line, size_t len)
{
	while (len && (*line == ' ' || *line == '\t' || *line == '\xef' || *line == '\xbb' || *line == '\xbf')) {
		line++; /* blanks and a UTF-8 byte order mark */
		len--;
	}
	if (len && *line == '[')
		return AL_FLOW_AZURE; /* a bare list of records (jq .records) */
	if (!len || *line != '{')
		return AL_FLOW_AWS;
	/* A Cloud Logging entry is one object a line; an Azure file is one
	 * document with a "records" list, pretty-printed or not. */
	if (memmem(line, len, "\"jsonPayload\"", 13))
		return AL_FLOW_GCP;
	return AL_FLOW_AZURE;
}

static int sink_record(struct al_flowsink *s, const struct al_flowrec *rec)
{
	struct al_flowreader *r = (struct al_flowreader *)s;

	if (r->qhead == r->qlen)
		r->qhead = r->qlen = 0;
	if (r->qlen == r->qcap) {
		size_t cap = r->qcap ? r->qcap * 2 : 64;
		struct al_flowrec *q = realloc(r->queue, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		r->queue = q;
		r->qcap = cap;
	}
	r->queue[r->qlen] = *rec;
	r->queue[r->qlen++].file = r->path;
	r->st.records++;
	return 0;
}

static void sink_bad(struct al_flowsink *s, unsigned long line, const char *why)
{
	struct al_flowreader *r = (struct al_flowreader *)s;

	r->st.bad++;
	if (r->opts.bad)
		r->opts.bad(line, why, r->opts.bad_arg);
}

int al_flowsink_bad(struct al_flowsink *sink, unsigned long line, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sink->bad(sink, line, why);
	return 0;
}

bool al_flow_decimal(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static const struct al_flowparser_ops *ops_for(enum al_flow_format f)
{
	switch (f) {
	case AL_FLOW_AZURE:
		return &al_flow_azure_ops;
	case AL_FLOW_GCP:
		return &al_flow_gcp_ops;
	default:
		return &al_flow_aws_ops;
	}
}

static int start_parser(struct al_flowreader *r, enum al_flow_format f, struct al_err *err)
{
	struct al_err perr;
	int rc;

	r->opts.format = f;
	r->ops = ops_for(f);
	if ((rc = r->ops->create(r->opts.fields, &r->state, &perr)) < 0) {
		al_err_set(err, "%s: %s", r->path, rc == -ENOMEM ? "out of memory" : perr.msg);
		return rc;
	}
	return 0;
}

int al_flowreader_open(const char *path, const struct al_flowreader_opts *opts,
		       struct al_flowreader **out, struct al_err *err)
{
	struct al_flowreader *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	r->opts = *opts;
	r->sink.record = sink_record;
	r->sink.bad = sink_bad;
	r->sink.stats = &r->st;
	r->path = strcmp(path, "-") ? path : "(stdin)";
	if (!(r->buf = malloc(LINE_MAX_BYTES + 1))) {
		al_flowreader_close(r);
		return -ENOMEM;
	}
	r->gz = strcmp(path, "-") ? gzopen(path, "rb") : gzdopen(dup(STDIN_FILENO), "rb");
	if (!r->gz) {
		rc = errno ? -errno : -ENOMEM;
		al_err_set(err, "%s: cannot open: %s", r->path, errno ? strerror(errno) : "out of memory");
		al_flowreader_close(r);
		return rc;
	}
	gzbuffer(r->gz, 256 * 1024);
	if (opts->format != AL_FLOW_AUTO && (rc = start_parser(r, opts->format, err)) < 0) {
		al_flowreader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

static void wait_more(void)
{
	struct timespec ts = { 0, FOLLOW_WAIT_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* gzgets, served from the peeked first block while it lasts.  Returns the
 * bytes read, or -1 at the end (or on an error): gztell counts them, since
 * a NUL byte in the line would stop strlen short. */
static long get_piece(struct al_flowreader *r, char *dst, int cap)
{
	size_t left = r->peek_len - r->peek_off, n = 0;
	z_off_t before;

	if (!left) {
		before = gztell(r->gz);
		return gzgets(r->gz, dst, cap) ? (long)(gztell(r->gz) - before) : -1;
	}
	while (n < left && n + 1 < (size_t)cap && r->peek[r->peek_off + n++] != '\n')
		;
	memcpy(dst, r->peek + r->peek_off, n);
	dst[n] = '\0';
	r->peek_off += n;
	return (long)n;
}

/* gzread, served from the peeked first block while it lasts. */
static int get_block(struct al_flowreader *r, char *dst, size_t cap)
{
	size_t left = r->peek_len - r->peek_off;

	if (!left)
		return gzread(r->gz, dst, (unsigned)cap);
	if (left > cap)
		left = cap;
	memcpy(dst, r->peek + r->peek_off, left);
	r->peek_off += left;
	return (int)left;
}

/* Reads the first block and starts the parser its first line suggests. */
static int sniff(struct al_flowreader *r, struct al_err *err)
{
	const char *p, *end, *eol;
	int n, errnum;

	if (!(r->peek = malloc(BLOCK_BYTES)))
		return -ENOMEM;
	if ((n = gzread(r->gz, r->peek, BLOCK_BYTES)) < 0) {
		al_err_set(err, "%s: cannot read: %s", r->path, gzerror(r->gz, &errnum));
		return -EIO;
	}
	r->peek_len = (size_t)n;
	p = r->peek;
	end = r->peek + n;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	eol = memchr(p, '\n', (size_t)(end - p));
	return start_parser(r, al_flow_sniff(p, (size_t)((eol ? eol : end) - p)), err);
}

/* Reads one line into buf (without its newline).  1: a line, 0: the end.
 * A line longer than LINE_MAX_BYTES, or holding a NUL byte (the parsers
 * read text up to a NUL), is counted bad and skipped. */
static int read_line(struct al_flowreader *r, struct al_err *err)
{
	bool too_long = false;
	size_t nul = 0; /* 1 + where the first NUL byte is; 0: none */
	int errnum;

	r->len = 0;
	for (;;) {
		long got = get_piece(r, r->buf + r->len, (int)(LINE_MAX_BYTES + 1 - r->len));
		const char *zero;
		size_t n;

		if (got < 0) {
			const char *msg = gzerror(r->gz, &errnum);
			if (errnum != Z_OK && errnum != Z_BUF_ERROR) {
				al_err_set(err, "%s: cannot read: %s", r->path,
					   errnum == Z_ERRNO ? strerror(errno) : msg);
				return -EIO;
			}
			/* The end, maybe of what was written so far. */
			if (r->opts.follow) {
				gzclearerr(r->gz);
				wait_more();
				continue;
			}
			if (!r->len && !too_long)
				return 0;
			break; /* a last line without a newline */
		}
		n = (size_t)got;
		if (!nul && (zero = memchr(r->buf + r->len, '\0', n)) != NULL)
			nul = (size_t)(zero - r->buf) + 1;
		r->len += n;
		if (r->len && r->buf[r->len - 1] == '\n') {
			r->len--;
			break;
		}
		if (r->len >= LINE_MAX_BYTES) {
			too_long = true; /* keep reading to its end, then skip it */
			r->len = 0;
		}
	}
	r->lineno++;
	r->st.lines++;
	if (r->len && r->buf[r->len - 1] == '\r')
		r->len--;
	r->buf[r->len] = '\0';
	if (too_long)
		al_flowsink_bad(&r->sink, r->lineno, "line longer than 1 MiB");
	else if (nul)
		al_flowsink_bad(&r->sink, r->lineno, "a NUL byte at column %zu (a flow log is text)", nul);
	if (too_long || nul) {
		r->len = 0;
		r->buf[0] = '\0';
	}
	return 1;
}

/* Feeds the parser until a flow waits, or the input ends. */
static int fill(struct al_flowreader *r, struct al_err *err)
{
	int rc;

	if (!r->ops && (rc = sniff(r, err)) < 0)
		return rc;
	while (r->qhead == r->qlen && !r->finished) {
		if (r->ops->blocks) {
			int n = get_block(r, r->buf, BLOCK_BYTES), i;
			unsigned long first = r->lineno + 1;

			if (n < 0) {
				int errnum;
				al_err_set(err, "%s: cannot read: %s", r->path, gzerror(r->gz, &errnum));
				return -EIO;
			}
			if (n == 0) {
				if (r->opts.follow) {
					gzclearerr(r->gz);
					wait_more();
					continue;
				}
				r->ops->finish(r->state, &r->sink);
				r->finished = true;
				break;
			}
			r->buf[n] = '\0';
			for (i = 0; i < n; i++)
				r->lineno += r->buf[i] == '\n';
			r->st.lines = r->lineno + (r->buf[n - 1] != '\n');
			if ((rc = r->ops->feed(r->state, r->buf, (size_t)n, first, &r->sink)) < 0)
				return rc;
			continue;
		}
		if ((rc = read_line(r, err)) < 0)
			return rc;
		if (rc == 0) {
			r->ops->finish(r->state, &r->sink);
			r->finished = true;
			break;
		}
		if ((rc = r->ops->feed(r->state, r->buf, r->len, r->lineno, &r->sink)) < 0)
			return rc;
	}
	return 0;
}

int al_flowreader_next(struct al_flowreader *r, struct al_flowrec *out, struct al_err *err)
{
	int rc;

	if (r->qhead == r->qlen && (rc = fill(r, err)) < 0) {
		if (rc == -ENOMEM)
			al_err_set(err, "%s: out of memory", r->path);
		return rc;
	}
	if (r->qhead == r->qlen)
		return 0;
	*out = r->queue[r->qhead++];
	return 1;
}

enum al_flow_format al_flowreader_format(const struct al_flowreader *r)
{
	return r->opts.format;
}

const struct al_flowstats *al_flowreader_stats(const struct al_flowreader *r)
{
	return &r->st;
}

void al_flowreader_close(struct al_flowreader *r)
{
	if (!r)
		return;
	if (r->ops && r->state)
		r->ops->destroy(r->state);
	if (r->gz)
		gzclose(r->gz);
	free(r->queue);
	free(r->peek);
	free(r->buf);
	free(r);
}
