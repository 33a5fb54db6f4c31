/* `airlock flows [FILE...|-]`: cloud flow logs against the names airlock
 * resolved.  Each flow's destination is looked up in the answers of the
 * query log (loaded in time windows as the flows move on, into an
 * answerindex), judged by the flow monitor, and every finding is printed
 * and written to the log's incidents table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "airlock/answerindex.h"
#include "airlock/config.h"
#include "airlock/flowlog.h"
#include "airlock/flowmon.h"
#include "airlock/logread.h"
#include "airlock/logwrite.h"
#include "airlock/rules.h"
#include "cli.h"

#define LOAD_AHEAD_US (3600LL * 1000000) /* answers read ahead of the flows */
#define BAD_SHOWN 20                     /* bad records printed; the rest counted */
#define READ_AHEAD 8                     /* flows read ahead of the one judged */

static const char *const kinds[] = { "data_zone_egress", "large_transfer", "unapproved_endpoint",
				     "no_dns_answer", "dns_bypass", "policy_violation",
				     "rejected_probe" };
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

struct flows {
	const char *config, *db, *format, *fields;
	bool follow, json, write;
	struct al_flowmon_opts o;
	struct al_config *cfg;
	struct al_logread *lr;
	struct al_logread_scan *scan; /* the log's answers, read a window at a time */
	sqlite3 *wdb;
	sqlite3_stmt *ins;
	struct al_answerindex *ai;
	int64_t held_from, loaded_until; /* the answers given in between are in the index */
	uint64_t rereads;     /* of the log, for flows out of time order */
	char zone_text[64];   /* the last zone name looked up, and its index */
	int zone;
	bool zone_known;
	const char *file;     /* the one being read */
	unsigned long bad_shown;
	uint64_t found[NKINDS], flows_in[NKINDS];
	enum al_severity sev[NKINDS];
	uint64_t written;
	bool write_failed;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock flows -c CONFIG [--db LOG] [--format auto|aws|azure|gcp] [--fields \"...\"]\n"
		    "                     [--follow] [--grace 20m] [--large-bytes N] [--json] [--no-write] [FILE...|-]\n"
		    "Cloud flow logs (AWS VPC, Azure NSG/VNet, GCP; gzip or plain) correlated with the\n"
		    "names airlock answered (the query log of -c's log.path, or --db).  Findings are\n"
		    "printed and written to the log's incidents table (not with --no-write).\n"
		    "Exit 0 no findings, 1 findings, 2 bad input or an unreadable file.\n");
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("flows", usage, 2, what, arg);
}

/* "90s", "20m", "2h", up to a week: the answer's grace after its TTL. */
static bool grace(const char *s, int64_t *out)
{
	return al_logtime_duration(s, out) == 0 && *out <= 7 * 86400 * 1000000LL;
}

/* The index of a zone by name; the log names the same few zones over and
 * over, so the last one is remembered. */
static int zone_index(struct flows *fl, const char *name)
{
	size_t len;

	if (fl->zone_known && !strcmp(name, fl->zone_text))
		return fl->zone;
	fl->zone = al_rules_zone_find(fl->cfg->zones, fl->cfg->nzones, name);
	len = strlen(name);
	fl->zone_known = len < sizeof(fl->zone_text);
	if (fl->zone_known)
		memcpy(fl->zone_text, name, len + 1);
	return fl->zone;
}

/* An answer from the log, staged: the index fetches the memory it will
 * touch while the next rows are read. */
static int load_one(const struct al_logaddr *a, void *arg)
{
	struct flows *fl = arg;
	struct al_ip ip, client;

	if (al_ip_parse(a->data, &ip) < 0 || al_ip_parse(a->client, &client) < 0)
		return 0;
	return al_answerindex_stage(fl->ai, &ip, &client, zone_index(fl, a->zone), a->qname, a->ts_us,
				    a->ttl < 0 ? 0 : (uint32_t)a->ttl, a->query_id);
}

/* Forgets the answers held and where the scan was: the next flow opens
 * the scan at its own start, as the first flow did. */
static void drop_answers(struct flows *fl)
{
	al_logread_scan_close(fl->scan);
	fl->scan = NULL;
	al_answerindex_expire(fl->ai, INT64_MAX);
	fl->loaded_until = INT64_MIN;
}

/* A flow that starts before the answers the index still holds could
 * explain it (files given out of time order, or two interfaces' files of
 * the same hours one after the other): the log is read again from its
 * start. */
static void reread(struct flows *fl, const struct al_flowrec *r, int64_t from_us)
{
	char t[AL_LOGTIME_LEN], f[AL_LOGTIME_LEN];

	if (fl->rereads++ < BAD_SHOWN)
		fprintf(stderr, "airlock flows: %s:%lu: a flow at %s, older than the flows before it: the query log's"
			" answers are read again from %s\n", r->file, r->line, al_logtime_format(r->start_us, 0, t, sizeof(t)),
			al_logtime_format(from_us, 0, f, sizeof(f)));
	drop_answers(fl);
}

/* Makes sure the answers that can explain flow r are in the index, and
 * drops those too old to explain anything still to come.  Flows may come
 * up to the window out of time order without the log being read again. */
static int answers_for(struct flows *fl, const struct al_flowrec *r, struct al_err *err)
{
	int64_t back = (int64_t)fl->cfg->max_ttl * 1000000 + fl->o.grace_us;
	int64_t from_us = r->start_us - back - fl->o.window_us, end_us = r->end_us;
	int64_t logged_us; /* every query asked before this is in the log already */
	int rc;

	if (fl->scan && from_us + fl->o.window_us < fl->held_from)
		reread(fl, r, from_us);
	else if (fl->scan && from_us > fl->loaded_until)
		drop_answers(fl); /* a gap in time (files of days apart, one flow far behind): nothing held
				   * or still unread before from_us explains a flow to come, so none is read */
	if (end_us < fl->loaded_until)
		return 0;
	if (!fl->scan) {
		if ((rc = al_logread_scan_open(fl->lr, from_us, &fl->scan, err)) < 0)
			return rc;
		fl->held_from = from_us;
	}
	/* A query is written at most AL_LOGREAD_LATE_US after it was asked,
	 * so none asked before now or the newest row, less that, is still to
	 * come: the scan covered up to there when it reached the end of the
	 * log, and later flows scan again for what airlockd writes meanwhile. */
	logged_us = al_logtime_now();
	rc = al_logread_scan(fl->scan, end_us + LOAD_AHEAD_US, load_one, fl, err);
	if (al_answerindex_flush(fl->ai) < 0 && rc >= 0)
		rc = -ENOMEM;
	if (rc < 0)
		return rc == -ENOMEM ? (al_err_set(err, "out of memory"), rc) : rc;
	if (al_answerindex_newest(fl->ai) > logged_us)
		logged_us = al_answerindex_newest(fl->ai);
	logged_us -= AL_LOGREAD_LATE_US;
	fl->loaded_until = logged_us < end_us + LOAD_AHEAD_US ? logged_us : end_us + LOAD_AHEAD_US;
	if (from_us > fl->held_from) {
		al_answerindex_expire(fl->ai, from_us);
		fl->held_from = from_us;
	}
	return 0;
}

static size_t kind_index(const char *kind)
{
	size_t i;

	for (i = 0; i < NKINDS && strcmp(kinds[i], kind); i++)
		;
	return i;
}

static cJSON *detail(const struct flows *fl, const struct al_flow_finding *f)
{
	const struct al_flowrec *r = &f->flow;
	cJSON *d = cJSON_CreateObject(), *flow = cJSON_CreateObject();
	char a[AL_ADDRSTRLEN], t[AL_LOGTIME_LEN];

	cJSON_AddStringToObject(flow, "src", al_ip_format(&r->src, a, sizeof(a)));
	cJSON_AddStringToObject(flow, "dst", al_ip_format(&r->dst, a, sizeof(a)));
	cJSON_AddNumberToObject(flow, "sport", r->sport);
	cJSON_AddNumberToObject(flow, "dport", r->dport);
	cJSON_AddNumberToObject(flow, "proto", r->proto);
	cJSON_AddNumberToObject(flow, "bytes", (double)r->bytes);
	cJSON_AddNumberToObject(flow, "packets", (double)r->packets);
	cJSON_AddStringToObject(flow, "start", al_logtime_format(r->start_us, 0, t, sizeof(t)));
	cJSON_AddStringToObject(flow, "end", al_logtime_format(r->end_us, 0, t, sizeof(t)));
	cJSON_AddStringToObject(flow, "action", r->action == AL_FLOW_ACCEPT ? "ACCEPT" :
						r->action == AL_FLOW_REJECT ? "REJECT" : "-");
	if (r->iface[0])
		cJSON_AddStringToObject(flow, "interface", r->iface);
	cJSON_AddStringToObject(flow, "file", r->file);
	cJSON_AddNumberToObject(flow, "line", (double)r->line);
	cJSON_AddItemToObject(d, "flow", flow);
	cJSON_AddStringToObject(d, "src_zone", al_rules_zone_name(fl->cfg->zones, fl->cfg->nzones, f->src_zone));
	cJSON_AddStringToObject(d, "dst_zone", al_rules_zone_name(fl->cfg->zones, fl->cfg->nzones, f->dst_zone));
	if (f->name) {
		cJSON_AddStringToObject(d, "name", f->name);
		cJSON_AddStringToObject(d, "answered_at", al_logtime_format(f->answered_us, 3, t, sizeof(t)));
		cJSON_AddStringToObject(d, "answered_to", f->by_zone ? "zone" : "client");
	}
	if (f->rule[0])
		cJSON_AddStringToObject(d, "rule", f->rule);
	cJSON_AddNumberToObject(d, "count", (double)f->count);
	cJSON_AddNumberToObject(d, "bytes_total", (double)f->bytes);
	cJSON_AddStringToObject(d, "last", al_logtime_format(f->last_us, 0, t, sizeof(t)));
	return d;
}

static int write_incident(struct flows *fl, const struct al_flow_finding *f, const char *text)
{
	char client[AL_ADDRSTRLEN];
	int rc;

	if (fl->write_failed)
		return -EIO;
	sqlite3_bind_int64(fl->ins, 1, f->flow.start_us);
	sqlite3_bind_text(fl->ins, 2, al_severity_name(f->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(fl->ins, 3, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(fl->ins, 4, f->src_zone >= 0 ? al_rules_zone_name(fl->cfg->zones, fl->cfg->nzones, f->src_zone) : "",
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(fl->ins, 5, al_ip_format(&f->flow.src, client, sizeof(client)), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(fl->ins, 6, f->name ? f->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(fl->ins, 7, text, -1, SQLITE_STATIC);
	if (f->query_id)
		sqlite3_bind_int64(fl->ins, 8, f->query_id);
	else
		sqlite3_bind_null(fl->ins, 8);
	rc = sqlite3_step(fl->ins);
	sqlite3_reset(fl->ins);
	if (rc != SQLITE_DONE) {
		/* The run writes nothing more: the incidents written before stay. */
		fprintf(stderr, "airlock flows: cannot write an incident: %s\n", sqlite3_errmsg(fl->wdb));
		fl->write_failed = true;
		return -EIO;
	}
	fl->written++;
	return 0;
}

static int on_finding(const struct al_flow_finding *f, void *arg)
{
	struct flows *fl = arg;
	size_t k = kind_index(f->kind);
	cJSON *d = detail(fl, f);
	char *text = d && fl->write ? cJSON_PrintUnformatted(d) : NULL; /* the incident's detail */
	char a[AL_ADDRSTRLEN], b[AL_ADDRSTRLEN];
	int rc = 0;

	if (!d || (fl->write && !text)) {
		cJSON_Delete(d);
		return -ENOMEM;
	}
	if (k < NKINDS) {
		fl->found[k]++;
		fl->flows_in[k] += f->count;
		fl->sev[k] = f->severity;
	}
	if (fl->json) {
		cJSON *o = cJSON_CreateObject();
		char *line;
		cJSON_AddStringToObject(o, "kind", f->kind);
		cJSON_AddStringToObject(o, "severity", al_severity_name(f->severity));
		cJSON_AddItemReferenceToObject(o, "detail", d);
		if ((line = cJSON_PrintUnformatted(o)) != NULL)
			printf("%s\n", line);
		cJSON_free(line);
		cJSON_Delete(o);
	} else {
		printf("%-8s %-19s %s -> %s:%u%s%s%s%s (%llu flow%s)\n", al_severity_name(f->severity), f->kind,
		       al_ip_format(&f->flow.src, a, sizeof(a)), al_ip_format(&f->flow.dst, b, sizeof(b)),
		       f->flow.dport, f->name ? " " : "", f->name ? f->name : " (no name)",
		       f->rule[0] ? " rule " : "", f->rule, (unsigned long long)f->count, f->count == 1 ? "" : "s");
	}
	if (fl->write)
		rc = write_incident(fl, f, text);
	cJSON_free(text);
	cJSON_Delete(d);
	return rc;
}

static void on_bad(unsigned long line, const char *why, void *arg)
{
	struct flows *fl = arg;

	if (fl->bad_shown++ < BAD_SHOWN)
		fprintf(stderr, "airlock flows: %s:%lu: %s (skipped)\n", fl->file, line, why);
}

/* Flows are read READ_AHEAD ahead of the one judged, so that the index
 * fetches the memory of their destinations meanwhile (not with --follow:
 * each flow is judged as soon as it is read). */
static int read_file(struct flows *fl, struct al_flowmon *m, const char *path, enum al_flow_format fmt)
{
	struct al_flowreader_opts o = { fmt, fl->fields, fl->follow, on_bad, fl };
	const struct al_flowstats *st;
	struct al_flowreader *r;
	struct al_flowrec ring[READ_AHEAD];
	struct al_err err, read_err;
	size_t head = 0, n = 0, ahead = fl->follow ? 1 : READ_AHEAD;
	int rc = 0, read_rc = 1;

	fl->file = strcmp(path, "-") ? path : "(stdin)";
	fl->bad_shown = 0;
	if (al_flowreader_open(path, &o, &r, &err) < 0) {
		fprintf(stderr, "airlock flows: %s\n", err.msg);
		return -EIO;
	}
	err.msg[0] = read_err.msg[0] = '\0';
	for (;;) {
		const struct al_flowrec *rec;

		while (read_rc == 1 && n < ahead) {
			struct al_flowrec *next = &ring[(head + n) % READ_AHEAD];
			if ((read_rc = al_flowreader_next(r, next, &read_err)) == 1) {
				al_answerindex_prefetch(fl->ai, &next->dst);
				if (n >= READ_AHEAD / 2)
					al_answerindex_prefetch_answers(fl->ai,
									&ring[(head + n - READ_AHEAD / 2) % READ_AHEAD].dst);
				n++;
			}
		}
		if (!n)
			break;
		rec = &ring[head];
		head = (head + 1) % READ_AHEAD;
		n--;
		if ((rc = answers_for(fl, rec, &err)) < 0 ||
		    (rc = al_flowmon_add(m, rec, on_finding, fl)) < 0)
			break;
	}
	if (rc >= 0 && read_rc < 0) { /* the flows before a read error are judged first */
		rc = read_rc;
		err = read_err;
	}
	if (rc < 0 && err.msg[0])
		fprintf(stderr, "airlock flows: %s\n", err.msg);
	st = al_flowreader_stats(r);
	fprintf(stderr, "airlock flows: %s (%s): %llu lines, %llu flows, %llu NODATA, %llu SKIPDATA, %llu bad\n",
		fl->file, al_flow_format_name(al_flowreader_format(r)), (unsigned long long)st->lines,
		(unsigned long long)st->records, (unsigned long long)st->nodata, (unsigned long long)st->skipdata,
		(unsigned long long)st->bad);
	al_flowreader_close(r);
	return rc < 0 ? rc : 0;
}

static int open_logs(struct flows *fl)
{
	struct al_err err;
	char *path;
	int rc;

	if ((rc = cli_log_path("flows", fl->db, fl->db ? NULL : fl->config, &path)) != 0)
		return rc;
	rc = al_logread_open(path, &fl->lr, &err);
	if (rc == 0 && fl->write && al_logwrite_open(path, CLI_LOG_BUSY_MS, &fl->wdb, &err) == 0 &&
	    sqlite3_prepare_v2(fl->wdb, "INSERT INTO incidents (ts_us, severity, kind, zone, client, name, detail,"
			       " query_id) VALUES (?,?,?,?,?,?,?,?)", -1, &fl->ins, NULL) != SQLITE_OK) {
		al_err_set(&err, "%s: %s", path, sqlite3_errmsg(fl->wdb));
		rc = -EIO;
	} else if (rc == 0 && fl->write && !fl->wdb) {
		rc = -EIO;
	}
	if (rc < 0)
		fprintf(stderr, "airlock flows: %s\n", err.msg);
	free(path);
	return rc < 0 ? 2 : 0;
}

static int parse(int argc, char **argv, struct flows *fl, int *first_file)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = !strcmp(a, "-c") ? &fl->config : !strcmp(a, "--db") ? &fl->db :
				   !strcmp(a, "--format") ? &fl->format : !strcmp(a, "--fields") ? &fl->fields : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (dst) {
			if (i + 1 >= argc)
				return usage_error("a value is needed after", a);
			*dst = argv[++i];
		} else if (!strcmp(a, "--grace") || !strcmp(a, "--large-bytes")) {
			char *end;
			if (i + 1 >= argc)
				return usage_error("a value is needed after", a);
			if (a[2] == 'g' && !grace(argv[++i], &fl->o.grace_us))
				return usage_error("--grace expects a duration up to a week such as 20m, 90s or 1h, not", argv[i]);
			if (a[2] == 'l' && ((fl->o.large_bytes = strtoull(argv[++i], &end, 10)) == 0 || *end))
				return usage_error("--large-bytes expects a positive number of bytes, not", argv[i]);
		} else if (!strcmp(a, "--follow")) {
			fl->follow = true;
		} else if (!strcmp(a, "--json")) {
			fl->json = true;
		} else if (!strcmp(a, "--no-write")) {
			fl->write = false;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option", a);
		} else {
			break;
		}
	}
	*first_file = i;
	if (!fl->config)
		return usage_error("which config? give -c CONFIG (zones, rules, catalog, log.path)", NULL);
	return -1;
}

static void summary(const struct flows *fl)
{
	size_t k;

	fprintf(stderr, "%-20s %-9s %9s %9s\n", "kind", "severity", "findings", "flows");
	for (k = 0; k < NKINDS; k++)
		if (fl->found[k])
			fprintf(stderr, "%-20s %-9s %9llu %9llu\n", kinds[k], al_severity_name(fl->sev[k]),
				(unsigned long long)fl->found[k], (unsigned long long)fl->flows_in[k]);
}

int cli_flows(int argc, char **argv)
{
	struct flows fl;
	struct al_flowmon *m = NULL;
	enum al_flow_format fmt = AL_FLOW_AUTO;
	struct al_err err;
	uint64_t total = 0;
	int first = 0, rc, status = 0, i;
	size_t k;

	memset(&fl, 0, sizeof(fl));
	fl.write = true;
	al_flowmon_defaults(&fl.o);
	if ((rc = parse(argc, argv, &fl, &first)) >= 0)
		return rc;
	if (fl.format && al_flow_format_parse(fl.format, &fmt) < 0)
		return usage_error("--format expects auto, aws, azure or gcp, not", fl.format);
	if ((rc = al_config_load(fl.config, &fl.cfg, &err)) < 0) {
		fprintf(stderr, "airlock flows: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 2;
	}
	if ((status = open_logs(&fl)) == 0 &&
	    (al_answerindex_new(&fl.ai) < 0 || al_flowmon_new(fl.cfg, &fl.o, fl.ai, &m) < 0)) {
		fprintf(stderr, "airlock flows: out of memory\n");
		status = 2;
	}
	for (i = first; status == 0 && i <= argc; i++) {
		if (i == argc && first < argc)
			break;
		if (read_file(&fl, m, i < argc ? argv[i] : "-", fmt) < 0)
			status = 2;
	}
	/* After an error the findings of the flows read are still written. */
	if (m && al_flowmon_flush(m, on_finding, &fl) < 0)
		status = 2;
	for (k = 0; k < NKINDS; k++)
		total += fl.found[k];
	if (status == 0)
		summary(&fl);
	if (fl.rereads)
		fprintf(stderr, "airlock flows: flows out of time order: the query log's answers read again %llu time%s"
			" (sorting the flows by time avoids it)\n", (unsigned long long)fl.rereads, fl.rereads == 1 ? "" : "s");
	if (fl.wdb)
		fprintf(stderr, "airlock flows: %llu incidents written\n", (unsigned long long)fl.written);
	al_flowmon_free(m);
	al_answerindex_free(fl.ai);
	sqlite3_finalize(fl.ins);
	sqlite3_close(fl.wdb);
	al_logread_scan_close(fl.scan);
	if (fl.lr)
		al_logread_close(fl.lr);
	al_config_unref(fl.cfg);
	return status ? status : total ? 1 : 0;
}
