/* The control socket: `airlock ctl` asks the running airlockd for its
 * status and counters, a reload, an empty cache or a committed query log.
 * A Unix stream socket on the daemon's main loop; the client writes one
 * command line ("status\n", "flush-cache example.com\n"), the daemon
 * answers one JSON object ({"ok": true, ...} or {"ok": false, "error":
 * "..."}) and closes. */
#ifndef AIRLOCK_CONTROL_H
#define AIRLOCK_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <uv.h>

#include "airlock/config.h"
#include "airlock/err.h"
#include "airlock/msg.h"
#include "airlock/querylog.h"
#include "airlock/stats.h"

#define AL_CONTROL_MAX_REQUEST 1024 /* bytes of a command line, newline included */
#define AL_CONTROL_COMMANDS "status|stats|reload|flush-cache|flush-log"

enum al_control_op {
	AL_CTL_STATUS,
	AL_CTL_STATS,
	AL_CTL_RELOAD,
	AL_CTL_FLUSH_CACHE,
	AL_CTL_FLUSH_LOG,
};

struct al_control_cmd {
	enum al_control_op op;
	uint8_t name[AL_MAX_NAME]; /* flush-cache NAME, lower-case wire form */
	size_t name_len;           /* 0: no name (the whole cache) */
};

/* One command line (up to and without its "\n"; a "\r" before it and
 * blanks around words are ignored).  Returns 0, or -EINVAL with the
 * client's error in err: an unknown command names the known ones. */
int al_control_parse(const char *line, size_t len, struct al_control_cmd *out,
		     struct al_err *err);

/* What status reports besides the running config. */
struct al_control_facts {
	const char *version;
	long pid;
	uint64_t uptime_s;
	unsigned threads;
	const struct al_endpoint *listen; /* the sockets bound at start */
	size_t nlisten;
	const char *log_path; /* the query log opened at start; NULL: none */
	bool log_writing;     /* the writer's last write succeeded */
	bool ready;
};

/* The answers, built from plain data (the caller cJSON_Deletes them). */
cJSON *al_control_status_json(const struct al_config *cfg, const struct al_control_facts *f);
/* Every counter of s, and the query log's under "query_log" (null when
 * q is NULL: no query log). */
cJSON *al_control_stats_json(const struct al_stats *s, const struct al_qlog_stats *q);
/* {"ok": false, "error": msg} */
cJSON *al_control_error_json(const char *msg);

struct al_control;
struct al_worker;

/* What the daemon lends the control socket; everything outlives it. */
struct al_control_daemon {
	void *arg;
	/* The running config, borrowed until the next reload. */
	struct al_config *(*config)(void *arg);
	/* What SIGHUP does: 0, or -errno with the reason in err. */
	int (*reload)(void *arg, struct al_err *err);
	struct al_worker *const *workers;
	unsigned nworkers;
	struct al_qlog *qlog; /* NULL: no query log */
};

/* Creates cfg->control_path on loop (before privileges are dropped, so
 * the group can be set): a socket file left by a dead process is
 * replaced, a live one is an error.  The mode and group are set before
 * it accepts anything.  Connections wait until al_control_serve.
 * Errors name the path and say what to do. */
int al_control_open(uv_loop_t *loop, const struct al_config *cfg,
		    struct al_control **out, struct al_err *err);
/* Starts answering commands about d (copied). */
void al_control_serve(struct al_control *c, const struct al_control_daemon *d);
/* Stops listening, closes every connection (a command in progress is
 * not answered) and removes the socket file; the handles are closed on
 * the loop's next turn, so uv_run can return.  Idempotent. */
void al_control_close(struct al_control *c);
/* After al_control_close, once the loop has run out and the workers are
 * joined (a cache flush in progress may still report to it). */
void al_control_free(struct al_control *c);

#endif
