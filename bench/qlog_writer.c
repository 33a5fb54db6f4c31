/* Query-log writer microbenchmark: how many rows per second the SQLite
 * writer sustains, what a row costs on disk, and what the gap mechanism
 * records when the submitter outruns it.  No DNS traffic: records are made
 * here, as the event loop would make them, and go through al_qlog_submit. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/config.h"
#include "airlock/err.h"
#include "airlock/msg.h"
#include "airlock/querylog.h"

#define DEFAULT_ROWS 1000000UL
#define HOSTS 1000    /* host-0 .. host-999 */
#define SERVICES 20   /* svc-0 .. svc-19: 20 000 distinct names */
#define UPSTREAM_EVERY 5 /* one query in 5 goes upstream, the rest hit the cache */

static const char *const zone_names[] = { "application", "inference", "data", "management" };

struct opts {
	unsigned long rows;
	struct al_qlog_opts q;
	unsigned slice_rows; /* 0: the log's own */
	const char *dir;
	const char *mode; /* throttled, overload, both */
	int keep;
};

struct result {
	unsigned long rows, answer_rows, gap_rows, rows_lost, dropped, slices, slices_read_back,
		slice_step_max_us;
	double elapsed_s, submit_s, cpu_s;
	long long db_bytes, wal_bytes;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qlog_writer [-n ROWS] [-q QUEUE] [-b BATCH_ROWS] [-m BATCH_MS] [-r DAYS]\n"
		"                   [-s SLICE_ROWS] [-d DIR] [-k] [-t throttled|overload|both]\n"
		"\n"
		"  -n ROWS        records submitted per run (default %lu)\n"
		"  -q QUEUE       log.queue (default: airlockd's)\n"
		"  -b BATCH_ROWS  log.batch_rows (default: airlockd's)\n"
		"  -m BATCH_MS    log.batch_ms (default: airlockd's)\n"
		"  -r DAYS        log.retention_days (default: airlockd's)\n"
		"  -s SLICE_ROWS  queries ids per index slice (default: the log's, %u)\n"
		"  -d DIR         where the temp dir for the databases is made (default $TMPDIR or /tmp)\n"
		"  -k             keep the temp dir and its databases\n"
		"  -t MODE        throttled: the submitter backs off while the queue is nearly full, so\n"
		"                 nothing is dropped and the rate is the writer's; overload: no back-off,\n"
		"                 records are dropped and recorded as gaps; both (default): one of each\n"
		"\n"
		"Prints one line of key=value pairs per run on stdout: rows and answer_rows in the\n"
		"database, elapsed_s from the first submit until al_qlog_close returned (submit_s:\n"
		"until the last submit), rows_per_s = rows / elapsed_s, dropped (submit refused),\n"
		"gap_rows and rows_lost (log_gaps), db_bytes (file + -wal after close; wal_bytes\n"
		"alone), bytes_per_million = db_bytes per million rows, cpu_s (both threads),\n"
		"slices (index slices in the database), slices_read_back (how often the writer read\n"
		"a slice's rows back instead of using the lists it collected as it wrote them) and\n"
		"slice_step_max_ms (the longest step of indexing one, until the queue was empty: one\n"
		"index table, in its own transaction, during which the writer takes no records).\n",
		DEFAULT_ROWS, AL_QLOG_SLICE_ROWS);
}

/* airlockd's own defaults for the log options, from the config parser, so
 * this benchmark follows them when they change. */
static int default_opts(struct al_qlog_opts *q)
{
	static const char text[] =
		"{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 53}],"
		" \"upstreams\": [{\"address\": \"192.0.2.53\", \"port\": 53}],"
		" \"zones\": [{\"name\": \"bench\", \"cidrs\": [\"10.0.0.0/16\"]}],"
		" \"log\": {\"path\": \"/nonexistent/log.db\"}}";
	struct al_config *cfg;
	struct al_err err;

	if (al_config_parse(text, "built-in", &cfg, &err) < 0) {
		fprintf(stderr, "qlog_writer: cannot read airlockd's log defaults: %s\n", err.msg);
		return -1;
	}
	q->queue_len = cfg->log_queue;
	q->batch_rows = cfg->log_batch_rows;
	q->batch_ms = cfg->log_batch_ms;
	q->retention_days = cfg->log_retention_days;
	al_config_unref(cfg);
	return 0;
}

static int parse_ulong(const char *what, const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "qlog_writer: %s \"%s\": expected a whole number %lu..%lu\n",
			what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64: reproducible variety without libc's shared state. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Dotted text -> uncompressed wire name at p; returns its length. */
static size_t put_name(uint8_t *p, const char *text)
{
	size_t n = 0;

	while (*text) {
		size_t len = strcspn(text, ".");
		p[n++] = (uint8_t)len;
		memcpy(p + n, text, len);
		n += len;
		text += len;
		if (*text == '.')
			text++;
	}
	p[n++] = 0;
	return n;
}

static size_t put_rr_head(uint8_t *p, uint16_t owner_off, uint16_t type, uint32_t ttl,
			  uint16_t rdlen)
{
	al_put16(p, (uint16_t)(0xc000 | owner_off));
	al_put16(p + 2, type);
	al_put16(p + 4, 1); /* IN */
	al_put32(p + 6, ttl);
	al_put16(p + 10, rdlen);
	return 12;
}

/* One record as the event loop makes it for a reply sent: client 10.0.Z.H
 * in zone Z, host-H.svc-S.example.com A or AAAA, answered from the cache
 * or by an upstream with a CNAME to edge-S.cdn.example.net and its
 * address.  The reply is allocated, as airlockd copies what it sends. */
static int make_record(struct al_logrec *r, uint64_t *rng)
{
	uint64_t x = next_rand(rng);
	unsigned zone = (unsigned)(x % 4), client = (unsigned)(x >> 8) % 254 + 1;
	unsigned host = (unsigned)(x >> 16) % HOSTS, svc = (unsigned)(x >> 32) % SERVICES;
	int aaaa = (x >> 40) % 4 == 0, upstream = (x >> 44) % UPSTREAM_EVERY == 0;
	uint32_t ttl = upstream ? 300 : 1 + (unsigned)(x >> 48) % 300;
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->client;
	uint8_t msg[512];
	char text[AL_MAX_NAME];
	size_t n, target_off;

	memset(r, 0, sizeof(*r));
	r->time_us = wall_us();
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x0a000000u | (zone + 1) << 8 | client);
	sin->sin_port = htons((uint16_t)(1024 + (x >> 24) % 64000));
	r->upstream.ss_family = AF_UNSPEC;
	if (upstream) {
		struct sockaddr_in *up = (struct sockaddr_in *)&r->upstream;
		up->sin_family = AF_INET;
		up->sin_addr.s_addr = htonl(0xa9fea9fdu); /* 169.254.169.253, the VPC resolver */
		up->sin_port = htons(53);
	}
	snprintf(r->zone, sizeof(r->zone), "%s", zone_names[zone]);
	snprintf(text, sizeof(text), "host-%u.svc-%u.example.com", host, svc);
	r->qname_len = (uint16_t)put_name(r->qname, text);
	r->qtype = aaaa ? AL_TYPE_AAAA : AL_TYPE_A;
	r->rcode = AL_RCODE_NOERROR;
	r->action = upstream ? AL_ACT_UPSTREAM : AL_ACT_CACHE;
	r->reason[0] = '\0';
	r->latency_us = upstream ? 2000 + (uint32_t)(x >> 50) % 20000 : 20 + (uint32_t)(x >> 50) % 60;

	/* Header, question, CNAME, then the target's A or AAAA. */
	memset(msg, 0, AL_HDR);
	al_put16(msg, (uint16_t)x);
	al_put16(msg + 2, AL_FLAG_QR | AL_FLAG_RD | AL_FLAG_RA);
	al_put16(msg + 4, 1);
	al_put16(msg + 6, 2);
	n = AL_HDR;
	memcpy(msg + n, r->qname, r->qname_len);
	n += r->qname_len;
	al_put16(msg + n, r->qtype);
	al_put16(msg + n + 2, 1);
	n += 4;
	snprintf(text, sizeof(text), "edge-%u.cdn.example.net", svc);
	n += put_rr_head(msg + n, AL_HDR, AL_TYPE_CNAME, ttl, 0);
	target_off = n;
	al_put16(msg + n - 2, (uint16_t)put_name(msg + n, text));
	n += al_get16(msg + n - 2);
	if (aaaa) {
		static const uint8_t prefix[14] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		n += put_rr_head(msg + n, (uint16_t)target_off, AL_TYPE_AAAA, ttl, 16);
		memcpy(msg + n, prefix, sizeof(prefix));
		msg[n + 14] = (uint8_t)svc;
		msg[n + 15] = (uint8_t)(host % 8 + 1);
		n += 16;
	} else {
		n += put_rr_head(msg + n, (uint16_t)target_off, AL_TYPE_A, ttl, 4);
		msg[n] = 10;
		msg[n + 1] = 20;
		msg[n + 2] = (uint8_t)svc;
		msg[n + 3] = (uint8_t)(host % 8 + 1);
		n += 4;
	}
	if (!(r->reply = malloc(n)))
		return -ENOMEM;
	memcpy(r->reply, msg, n);
	r->reply_len = (uint16_t)n;
	return 0;
}

/* With one submitter, at most `every` records go in between two looks at
 * the queue, so waiting until that many slots are free means none drop. */
static void wait_for_room(struct al_qlog *log, size_t queue_len, size_t every)
{
	static const struct timespec pause = { 0, 100000 }; /* 100 us */
	struct al_qlog_stats st;

	for (;;) {
		al_qlog_get_stats(log, &st);
		if (st.queued + every <= queue_len)
			return;
		nanosleep(&pause, NULL);
	}
}

static long long file_bytes(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static int count(sqlite3 *db, const char *sql, unsigned long *out)
{
	sqlite3_stmt *st;
	int ok;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*out = (unsigned long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int read_back(const char *path, struct result *res)
{
	sqlite3 *db;
	int rc = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "qlog_writer: %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	if (count(db, "SELECT COUNT(*) FROM queries", &res->rows) < 0 ||
	    count(db, "SELECT COUNT(*) FROM answers", &res->answer_rows) < 0 ||
	    count(db, "SELECT COUNT(*) FROM log_gaps", &res->gap_rows) < 0 ||
	    count(db, "SELECT COALESCE(SUM(rows_lost), 0) FROM log_gaps", &res->rows_lost) < 0 ||
	    count(db, "SELECT COUNT(*) FROM log_slices", &res->slices) < 0) {
		fprintf(stderr, "qlog_writer: %s: %s\n", path, sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_close(db);
	return rc;
}

static int run(const struct opts *o, const char *dir, int throttle, struct result *res)
{
	char path[PATH_MAX + 32], wal[PATH_MAX + 40];
	size_t every = o->q.queue_len >= 1024 ? 256 : (o->q.queue_len + 3) / 4;
	struct al_qlog *log;
	struct al_qlog_stats st;
	struct al_logrec rec;
	struct al_err err;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned long i;
	double t0, c0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.db", dir, throttle ? "throttled" : "overload");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	memset(res, 0, sizeof(*res));
	if ((rc = al_qlog_open(path, &o->q, &log, &err)) < 0) {
		fprintf(stderr, "qlog_writer: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return -1;
	}
	if (o->slice_rows)
		al_qlog_set_slice_rows(log, o->slice_rows);
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < o->rows; i++) {
		if (throttle && i % every == 0)
			wait_for_room(log, o->q.queue_len, every);
		if (make_record(&rec, &rng) < 0) {
			fprintf(stderr, "qlog_writer: out of memory\n");
			al_qlog_close(log);
			return -1;
		}
		if (al_qlog_submit(log, &rec) == -ENOSPC)
			res->dropped++;
	}
	res->submit_s = now_s() - t0;
	wait_for_room(log, o->q.queue_len, o->q.queue_len); /* the writer took everything */
	al_qlog_get_stats(log, &st);
	al_qlog_close(log);
	res->slice_step_max_us = st.slice_step_max_us;
	res->slices_read_back = st.slices_read_back;
	res->elapsed_s = now_s() - t0;
	res->cpu_s = cpu_s() - c0;
	res->db_bytes = file_bytes(path);
	res->wal_bytes = file_bytes(wal);
	if (read_back(path, res) < 0)
		return -1;
	if (res->rows + res->rows_lost != o->rows || res->rows_lost != res->dropped) {
		fprintf(stderr, "qlog_writer: %s: %lu rows + %lu lost in log_gaps != %lu submitted"
			" (%lu dropped by submit)\n", path, res->rows, res->rows_lost, o->rows, res->dropped);
		return -1;
	}
	return 0;
}

static void print(const char *mode, const struct result *r)
{
	long long bytes = r->db_bytes + r->wal_bytes;

	printf("run=%s rows=%lu answer_rows=%lu elapsed_s=%.3f submit_s=%.3f rows_per_s=%.0f"
	       " dropped=%lu gap_rows=%lu rows_lost=%lu db_bytes=%lld wal_bytes=%lld"
	       " bytes_per_million=%.0f cpu_s=%.3f slices=%lu slices_read_back=%lu slice_step_max_ms=%.1f\n",
	       mode, r->rows, r->answer_rows, r->elapsed_s, r->submit_s,
	       r->elapsed_s > 0 ? r->rows / r->elapsed_s : 0.0, r->dropped, r->gap_rows,
	       r->rows_lost, bytes, r->wal_bytes,
	       r->rows ? (double)bytes * 1e6 / (double)r->rows : 0.0, r->cpu_s, r->slices,
	       r->slices_read_back, r->slice_step_max_us / 1000.0);
	fflush(stdout);
}

static void remove_dir(const char *dir)
{
	static const char *const files[] = { "throttled.db", "throttled.db-wal", "throttled.db-shm",
					     "overload.db", "overload.db-wal", "overload.db-shm" };
	char path[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct opts o = { DEFAULT_ROWS, { 0, 0, 0, 0 }, 0, NULL, "both", 0 };
	char dir[PATH_MAX];
	struct result res;
	unsigned long v;
	int c, rc = 0;

	if (default_opts(&o.q) < 0)
		return 1;
	o.dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	while ((c = getopt_long(argc, argv, "n:q:b:m:r:s:d:kt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ulong("-n", optarg, 1, ULONG_MAX / 2, &o.rows) < 0)
				return 2;
			break;
		case 'q': /* the ranges airlockd's config accepts */
			if (parse_ulong("-q", optarg, 16, 4194304, &v) < 0)
				return 2;
			o.q.queue_len = v;
			break;
		case 'b':
			if (parse_ulong("-b", optarg, 1, 100000, &v) < 0)
				return 2;
			o.q.batch_rows = (unsigned)v;
			break;
		case 'm':
			if (parse_ulong("-m", optarg, 1, 10000, &v) < 0)
				return 2;
			o.q.batch_ms = (unsigned)v;
			break;
		case 'r':
			if (parse_ulong("-r", optarg, 0, 36500, &v) < 0)
				return 2;
			o.q.retention_days = (unsigned)v;
			break;
		case 's':
			if (parse_ulong("-s", optarg, 1, 1UL << 30, &v) < 0)
				return 2;
			o.slice_rows = (unsigned)v;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'k':
			o.keep = 1;
			break;
		case 't':
			o.mode = optarg;
			if (strcmp(o.mode, "throttled") && strcmp(o.mode, "overload") && strcmp(o.mode, "both")) {
				fprintf(stderr, "qlog_writer: -t \"%s\": expected throttled, overload or both\n", o.mode);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/qlog-writer.XXXXXX", o.dir) >= sizeof(dir)) {
		fprintf(stderr, "qlog_writer: -d \"%s\": too long\n", o.dir);
		return 2;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "qlog_writer: cannot make a temp dir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	printf("# %lu records per run; queue %zu, batch_rows %u, batch_ms %u, retention_days %u,"
	       " slice_rows %u; sqlite %s; dir %s\n",
	       o.rows, o.q.queue_len, o.q.batch_rows, o.q.batch_ms, o.q.retention_days,
	       o.slice_rows ? o.slice_rows : AL_QLOG_SLICE_ROWS, sqlite3_libversion(), dir);
	if (strcmp(o.mode, "overload")) {
		if (run(&o, dir, 1, &res) < 0)
			rc = 1;
		else
			print("throttled", &res);
	}
	if (rc == 0 && strcmp(o.mode, "throttled")) {
		if (run(&o, dir, 0, &res) < 0)
			rc = 1;
		else
			print("overload", &res);
	}
	if (o.keep)
		fprintf(stderr, "qlog_writer: kept %s\n", dir);
	else
		remove_dir(dir);
	return rc;
}
