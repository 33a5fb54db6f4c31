/* The parsers behind flowlog.h, one per format, all with one shape: the
 * reader feeds each line of the file in order, and the parser hands every
 * flow it completes, and every bad record, to a sink.  A parser holds at
 * most one record's worth of text (Azure's records span lines), so memory
 * stays constant whatever the file size. */
#ifndef AIRLOCK_FLOWPARSE_H
#define AIRLOCK_FLOWPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/flowlog.h"

struct al_flowsink {
	/* A complete flow.  Returns 0 or -ENOMEM. */
	int (*record)(struct al_flowsink *s, const struct al_flowrec *r);
	/* A record that could not be read: where it started and why. */
	void (*bad)(struct al_flowsink *s, unsigned long line, const char *why);
	struct al_flowstats *stats; /* parsers count nodata and skipdata here */
};

/* Reports a bad record to the sink with a printf-style reason; returns 0
 * (the run goes on). */
int al_flowsink_bad(struct al_flowsink *sink, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct al_flowparser_ops {
	const char *name;
	/* false: fed one line at a time, without its newline; true: fed the
	 * file in blocks as read (Azure: a whole file may be one line). */
	bool blocks;
	/* fields: AWS's field order (NULL: from a header line, else version 2). */
	int (*create)(const char *fields, void **state, struct al_err *err);
	/* One line (or block), NUL-terminated at len; the parser may modify
	 * it.  lineno: the line it is (a block: the line it starts in).
	 * Returns 0, or a negative errno from the sink (-ENOMEM). */
	int (*feed)(void *state, char *line, size_t len, unsigned long lineno, struct al_flowsink *sink);
	/* End of input: a record left open is bad. */
	void (*finish)(void *state, struct al_flowsink *sink);
	void (*destroy)(void *state);
};

extern const struct al_flowparser_ops al_flow_aws_ops;   /* src/flow_aws.c */
extern const struct al_flowparser_ops al_flow_azure_ops; /* src/flow_azure.c */
extern const struct al_flowparser_ops al_flow_gcp_ops;   /* src/flow_gcp.c */

/* A decimal field of a flow record: only digits, at least one, at most
 * max; true with the value in out. */
bool al_flow_decimal(const char *s, uint64_t max, uint64_t *out);

/* The format a file's first non-blank line suggests. */
enum al_flow_format al_flow_sniff(const char *line, size_t len);

#endif
