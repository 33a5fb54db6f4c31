/* `airlock ctl`: one command to the running airlockd over its control
 * socket (control.h), the answer printed as aligned key/value lines or as
 * the daemon's JSON.  Exit 0 done, 1 the daemon said it failed, 2 bad
 * usage or no answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "airlock/config.h"
#include "airlock/control.h"
#include "cli.h"

#ifndef AL_CONTROL_SOCKET
#define AL_CONTROL_SOCKET "/run/airlock/control.sock"
#endif
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define ANSWER_MAX (1u << 20)
#define TIMEOUT_S 30 /* above the daemon's own waits (flush-log: 5 s) */

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock ctl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARG]\n"
		    "Asks the running airlockd over its control socket.  Commands:\n"
		    "  status             version, pid, uptime, config, zones, sockets, query log\n"
		    "  stats              every counter, summed over the threads, and the query log's\n"
		    "  reload             what SIGHUP does: reload the config (the error when it fails)\n"
		    "  flush-cache [NAME] empty the cache, or drop NAME and every name below it\n"
		    "  flush-log          commit the query log's queued rows now\n"
		    "The socket: -s SOCKET, else the control.path of -c CONFIG, else\n"
		    "  %s\n"
		    "Output: aligned key/value lines, or the daemon's JSON with --json.\n"
		    "Exit 0 done, 1 the daemon said it failed, 2 bad usage or no answer from\n"
		    "the socket.\n", AL_CONTROL_SOCKET);
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("ctl", usage, EXIT_USAGE, what, arg);
}

struct args {
	const char *socket, *config, *cmd, *arg;
	bool json;
};

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct args *a)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(s, "--json")) {
			a->json = true;
		} else if (!strcmp(s, "-s") || !strcmp(s, "--socket") || !strcmp(s, "-c") ||
			   !strcmp(s, "--config")) {
			if (i + 1 == argc)
				return usage_error("missing value after", s);
			if (s[1] == 's' || s[2] == 's')
				a->socket = argv[++i];
			else
				a->config = argv[++i];
		} else if (s[0] == '-' && s[1]) {
			return usage_error("unknown option", s);
		} else if (!a->cmd) {
			a->cmd = s;
		} else if (!a->arg) {
			a->arg = s;
		} else {
			return usage_error("too many arguments at", s);
		}
	}
	if (a->socket && a->config)
		return usage_error("give -s SOCKET or -c CONFIG, not both", NULL);
	if (!a->cmd)
		return usage_error("missing COMMAND (status, stats, reload, flush-cache, flush-log)", NULL);
	if (strpbrk(a->cmd, "\r\n") || (a->arg && strpbrk(a->arg, "\r\n")))
		return usage_error("a line break in the command", NULL);
	return -1;
}

/* The socket's path: -s, the config's control.path, or the default;
 * *owned is what to free.  Returns -1 to go on, else the exit code. */
static int socket_path(const struct args *a, const char **path, char **owned)
{
	struct al_config *cfg;
	struct al_err err;
	int rc;

	*owned = NULL;
	*path = a->socket ? a->socket : AL_CONTROL_SOCKET;
	if (!a->config)
		return -1;
	if ((rc = al_config_load(a->config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock ctl: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return EXIT_USAGE;
	}
	if (!cfg->control_path) {
		fprintf(stderr, "airlock ctl: %s has no control socket: add \"control\": {\"path\": \"/run/airlock/control.sock\"} or give -s SOCKET\n",
			a->config);
		al_config_unref(cfg);
		return EXIT_USAGE;
	}
	*owned = strdup(cfg->control_path);
	al_config_unref(cfg);
	if (!*owned) {
		fprintf(stderr, "airlock ctl: out of memory\n");
		return EXIT_USAGE;
	}
	*path = *owned;
	return -1;
}

/* Sends line and reads the answer into *out (malloc'd, NUL-terminated).
 * Returns 0, or -1 with the reason printed. */
static int ask(const char *path, const char *line, char **out)
{
	struct timeval tv = { TIMEOUT_S, 0 };
	struct sockaddr_un sa;
	size_t len = 0, sent = 0, n = strlen(line);
	char *buf;
	ssize_t k;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "airlock ctl: %s: the path is too long for a Unix socket (at most %zu bytes)\n",
			path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "airlock ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "airlock ctl: cannot connect to %s: %s (is airlockd running, with control.path set to it?)\n",
			path, strerror(errno));
		close(fd);
		return -1;
	}
	while (sent < n) {
		if ((k = send(fd, line + sent, n - sent, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "airlock ctl: %s: cannot send the command: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		sent += (size_t)k;
	}
	if (!(buf = malloc(ANSWER_MAX + 1))) {
		fprintf(stderr, "airlock ctl: out of memory\n");
		close(fd);
		return -1;
	}
	while (len < ANSWER_MAX && (k = recv(fd, buf + len, ANSWER_MAX - len, 0)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == ECONNRESET && len > 0)
			break; /* the daemon answered before reading all we sent */
		if (k < 0) {
			fprintf(stderr, "airlock ctl: %s: %s\n", path,
				errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within 30 s" : strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)k;
	}
	close(fd);
	buf[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "airlock ctl: %s: the daemon closed the connection without an answer\n", path);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* ----- the answer as key/value lines ----- */

struct kv {
	char **keys, **values;
	size_t n, cap;
};

/* A copy of s with control characters as '?'. */
static char *printable(const char *s)
{
	char *c = strdup(s), *p;

	for (p = c; p && *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return c;
}

static int kv_add(struct kv *kv, const char *key, const char *value)
{
	if (kv->n == kv->cap) {
		size_t cap = kv->cap ? 2 * kv->cap : 32;
		char **k = realloc(kv->keys, cap * sizeof(*k)), **v;

		if (!k)
			return -ENOMEM;
		kv->keys = k;
		if (!(v = realloc(kv->values, cap * sizeof(*v))))
			return -ENOMEM;
		kv->values = v;
		kv->cap = cap;
	}
	kv->keys[kv->n] = printable(key);
	kv->values[kv->n] = printable(value);
	if (!kv->keys[kv->n] || !kv->values[kv->n]) {
		free(kv->keys[kv->n]);
		free(kv->values[kv->n]);
		return -ENOMEM;
	}
	kv->n++;
	return 0;
}

/* A scalar as shown: numbers without a fraction as integers, booleans as
 * yes/no, null as "-". */
static void scalar(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
		snprintf(buf, len, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%g", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
}

/* Objects flatten into "outer.inner" keys; lists of scalars are joined
 * with ", ". */
static int flatten(struct kv *kv, const cJSON *obj, const char *prefix)
{
	const cJSON *it, *e;
	char key[256], value[4096], one[1024];
	size_t used;
	int rc;

	cJSON_ArrayForEach(it, obj) {
		if (!prefix[0] && !strcmp(it->string, "ok"))
			continue;
		snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", it->string);
		if (cJSON_IsObject(it)) {
			if ((rc = flatten(kv, it, key)) < 0)
				return rc;
			continue;
		}
		if (cJSON_IsArray(it)) {
			value[0] = '\0';
			used = 0;
			cJSON_ArrayForEach(e, it) {
				scalar(e, one, sizeof(one));
				used += (size_t)snprintf(value + used, used < sizeof(value) ? sizeof(value) - used : 0,
							 "%s%s", used ? ", " : "", one);
				if (used >= sizeof(value))
					break;
			}
			if (!value[0])
				snprintf(value, sizeof(value), "-");
		} else {
			scalar(it, value, sizeof(value));
		}
		if ((rc = kv_add(kv, key, value)) < 0)
			return rc;
	}
	return 0;
}

static int print_lines(const cJSON *answer)
{
	struct kv kv = { NULL, NULL, 0, 0 };
	size_t i, w = 0;
	int rc = flatten(&kv, answer, "");

	for (i = 0; i < kv.n; i++)
		if (strlen(kv.keys[i]) > w)
			w = strlen(kv.keys[i]);
	for (i = 0; rc == 0 && i < kv.n; i++)
		printf("%-*s  %s\n", (int)w, kv.keys[i], kv.values[i]);
	if (rc == 0 && kv.n == 0)
		printf("ok\n");
	for (i = 0; i < kv.n; i++) {
		free(kv.keys[i]);
		free(kv.values[i]);
	}
	free(kv.keys);
	free(kv.values);
	if (rc < 0)
		fprintf(stderr, "airlock ctl: out of memory\n");
	return rc;
}

int cli_ctl(int argc, char **argv)
{
	struct args a;
	const char *path;
	char *owned, *text = NULL, line[AL_CONTROL_MAX_REQUEST + 1];
	const cJSON *ok, *error;
	cJSON *answer;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(argc, argv, &a)) >= 0)
		return rc;
	if ((size_t)snprintf(line, sizeof(line), "%s%s%s\n", a.cmd, a.arg ? " " : "", a.arg ? a.arg : "") >=
	    AL_CONTROL_MAX_REQUEST)
		return usage_error("the command is too long", NULL);
	if ((rc = socket_path(&a, &path, &owned)) >= 0)
		return rc;
	rc = ask(path, line, &text);
	if (rc < 0) {
		free(owned);
		return EXIT_USAGE;
	}
	answer = cJSON_Parse(text);
	if (!cJSON_IsObject(answer) || !cJSON_IsBool(ok = cJSON_GetObjectItemCaseSensitive(answer, "ok"))) {
		fprintf(stderr, "airlock ctl: %s: the answer is not a control answer: %.200s\n", path, text);
		cJSON_Delete(answer);
		free(text);
		free(owned);
		return EXIT_USAGE;
	}
	rc = cJSON_IsTrue(ok) ? 0 : EXIT_FAILED;
	if (a.json) {
		fputs(text, stdout);
		if (text[strlen(text) - 1] != '\n')
			putchar('\n');
	} else if (cJSON_IsTrue(ok)) {
		if (print_lines(answer) < 0)
			rc = EXIT_FAILED;
	} else {
		error = cJSON_GetObjectItemCaseSensitive(answer, "error");
		fprintf(stderr, "airlock ctl: %s: %s\n", a.cmd,
			cJSON_IsString(error) ? error->valuestring : "failed (no reason given)");
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = EXIT_FAILED;
	cJSON_Delete(answer);
	free(text);
	free(owned);
	return rc;
}
