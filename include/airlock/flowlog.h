/* Cloud flow logs, read as a stream: AWS VPC Flow Logs (text, version 2 or
 * a custom field order), Azure NSG and VNet flow logs (JSON) and GCP VPC
 * Flow Logs (JSON lines from Cloud Logging), plain or gzip, each turned
 * into the same record.  Memory stays constant whatever the file size.
 * Bad records are counted and reported with their line, and the run goes
 * on. */
#ifndef AIRLOCK_FLOWLOG_H
#define AIRLOCK_FLOWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/addr.h"
#include "airlock/err.h"

enum al_flow_format { AL_FLOW_AUTO, AL_FLOW_AWS, AL_FLOW_AZURE, AL_FLOW_GCP };
/* "auto", "aws", "azure", "gcp"; al_flow_format_parse returns -EINVAL for others. */
const char *al_flow_format_name(enum al_flow_format f);
int al_flow_format_parse(const char *text, enum al_flow_format *out);

enum al_flow_action { AL_FLOW_ACCEPT, AL_FLOW_REJECT, AL_FLOW_UNKNOWN_ACTION };
enum al_flow_dir { AL_FLOW_DIR_UNKNOWN, AL_FLOW_INGRESS, AL_FLOW_EGRESS };

/* One flow as every format gives it.  Times given to the second (AWS,
 * Azure NSG) or the millisecond (Azure VNet) span the whole unit: start
 * at its first microsecond, end at its last, so that [start_us, end_us]
 * holds the flow's true times (an answer given 0.4 s into the second a
 * flow was stamped with came before the flow's end).  GCP's times are
 * nanoseconds, cut to the microsecond as airlock's own times are. */
struct al_flowrec {
	int64_t start_us, end_us;  /* UTC */
	struct al_ip src, dst;     /* the packets' addresses (pkt-srcaddr/dstaddr when given) */
	uint16_t sport, dport;     /* 0 for protocols without ports */
	uint8_t proto;             /* IANA number: 6 TCP, 17 UDP, 1 ICMP */
	uint64_t bytes, packets;   /* sent from src to dst, as the log counts them (Azure: the tuple's
	                              src->dst counters; GCP: sampled, not scaled: no rate is given) */
	enum al_flow_action action;
	enum al_flow_dir dir;      /* how they crossed the logging interface: AWS flow-direction, Azure
	                              I/O, GCP reporter (SRC sent, DEST received); unknown if not said */
	bool opened;               /* src opened the connection (Azure tuples are the initiator's);
	                              false: not known (AWS and GCP say only how packets crossed) */
	char iface[64];            /* interface-id, NSG rule or VM; "" if none */
	unsigned long line;        /* where it was read (JSON: the line it starts on) */
	const char *file;          /* the path given to al_flowreader_open, "(stdin)" for "-" */
};

struct al_flowstats {
	uint64_t lines;    /* lines read */
	uint64_t records;  /* flows returned */
	uint64_t nodata;   /* AWS NODATA: no traffic in the interval */
	uint64_t skipdata; /* AWS SKIPDATA: records lost by the service */
	uint64_t bad;      /* malformed, skipped */
};

struct al_flowreader;

/* A bad record: where and why.  Called once per bad record. */
typedef void (*al_flow_bad_fn)(unsigned long line, const char *why, void *arg);

struct al_flowreader_opts {
	enum al_flow_format format; /* AL_FLOW_AUTO: from the first line */
	const char *fields;         /* AWS: the field order ("version account-id ..."); NULL: header or v2 */
	bool follow;                /* at the end, wait for more (a growing plain file) */
	al_flow_bad_fn bad;         /* may be NULL */
	void *bad_arg;
};

/* Opens path ("-": standard input), plain or gzip.  Errors name the path.
 * The reader and each record point to path (its file): it must outlive
 * them all. */
int al_flowreader_open(const char *path, const struct al_flowreader_opts *opts,
		       struct al_flowreader **out, struct al_err *err);
/* The next flow: 1 with *out filled, 0 at the end, -EIO (err) when the file
 * cannot be read.  NODATA/SKIPDATA and bad records are counted, not returned. */
int al_flowreader_next(struct al_flowreader *r, struct al_flowrec *out, struct al_err *err);
/* The format in use (known after the first record). */
enum al_flow_format al_flowreader_format(const struct al_flowreader *r);
const struct al_flowstats *al_flowreader_stats(const struct al_flowreader *r);
void al_flowreader_close(struct al_flowreader *r);

#endif
