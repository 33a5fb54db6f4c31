/* The config's service sections: how airlockd runs (cache, timeouts,
 * limits, EDNS, threads, the query log, metrics, dnstap, the control
 * socket) rather than what it answers; src/config.c parses the rest. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/config.h"
#include "airlock/jsonread.h"
#include "config_int.h"

static int get_tunables(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const cache_keys[] = { "size_mib", "min_ttl", "max_ttl", "max_negative_ttl", NULL };
	static const char *const timeout_keys[] = { "upstream_ms", "query_ms", "tcp_idle_ms",
						    "upstream_holddown_ms", NULL };
	static const char *const limit_keys[] = { "tcp_clients", "inflight", NULL };
	static const char *const edns_keys[] = { "buffer_size", NULL };
	const cJSON *s;
	uint32_t mib = (uint32_t)(cfg->cache_bytes >> 20), edns = cfg->edns_size, threads = cfg->threads;
	int rc;

	if ((rc = al_json_section(c, root, "cache", cache_keys, &s)) < 0 ||
	    (s && ((rc = al_json_uint(c, s, "size_mib", "cache", 1, 65536, &mib)) < 0 ||
		   (rc = al_json_uint(c, s, "min_ttl", "cache", 0, 86400, &cfg->min_ttl)) < 0 ||
		   (rc = al_json_uint(c, s, "max_ttl", "cache", 1, 604800, &cfg->max_ttl)) < 0 ||
		   (rc = al_json_uint(c, s, "max_negative_ttl", "cache", 0, 86400, &cfg->max_negative_ttl)) < 0)))
		return rc;
	if (cfg->min_ttl > cfg->max_ttl)
		return al_json_fail(c, "cache.min_ttl", "%u is above cache.max_ttl %u (expected min_ttl <= max_ttl)",
			    cfg->min_ttl, cfg->max_ttl);
	if ((rc = al_json_section(c, root, "timeouts", timeout_keys, &s)) < 0 ||
	    (s && ((rc = al_json_uint(c, s, "upstream_ms", "timeouts", 50, 60000, &cfg->upstream_timeout_ms)) < 0 ||
		   (rc = al_json_uint(c, s, "query_ms", "timeouts", 100, 120000, &cfg->query_timeout_ms)) < 0 ||
		   (rc = al_json_uint(c, s, "tcp_idle_ms", "timeouts", 100, 600000, &cfg->tcp_idle_ms)) < 0 ||
		   (rc = al_json_uint(c, s, "upstream_holddown_ms", "timeouts", 0, 3600000, &cfg->upstream_holddown_ms)) < 0)))
		return rc;
	if (cfg->query_timeout_ms < cfg->upstream_timeout_ms)
		return al_json_fail(c, "timeouts.query_ms", "%u is below timeouts.upstream_ms %u (expected query_ms >= upstream_ms)",
			    cfg->query_timeout_ms, cfg->upstream_timeout_ms);
	if ((rc = al_json_section(c, root, "limits", limit_keys, &s)) < 0 ||
	    (s && ((rc = al_json_uint(c, s, "tcp_clients", "limits", 1, 100000, &cfg->tcp_clients)) < 0 ||
		   (rc = al_json_uint(c, s, "inflight", "limits", 16, 1000000, &cfg->inflight)) < 0)))
		return rc;
	if ((rc = al_json_section(c, root, "edns", edns_keys, &s)) < 0 ||
	    (s && (rc = al_json_uint(c, s, "buffer_size", "edns", 512, 4096, &edns)) < 0))
		return rc;
	if ((rc = al_json_uint(c, root, "threads", "", 1, 64, &threads)) < 0)
		return rc;
	cfg->cache_bytes = (size_t)mib << 20;
	cfg->edns_size = (uint16_t)edns;
	cfg->threads = threads;
	return 0;
}

static int get_log(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "path", "queue", "batch_rows", "batch_ms",
					    "retention_days", "required", NULL };
	const cJSON *s, *path;
	char shown[80];
	int rc;

	if ((rc = al_json_section(c, root, "log", keys, &s)) < 0 || !s)
		return rc;
	path = cJSON_GetObjectItemCaseSensitive(s, "path");
	if (!path)
		return al_json_fail(c, "log.path", "missing (expected the query log file, e.g. \"/var/lib/airlock/log.db\")");
	if (!cJSON_IsString(path) || !path->valuestring[0])
		return al_json_fail(c, "log.path", "%s is not a file name (expected e.g. \"/var/lib/airlock/log.db\")",
			    al_json_show(path, shown, sizeof(shown)));
	if (!(cfg->log_path = strdup(path->valuestring)))
		return -ENOMEM;
	if ((rc = al_json_uint(c, s, "queue", "log", 16, 4194304, &cfg->log_queue)) < 0 ||
	    (rc = al_json_uint(c, s, "batch_rows", "log", 1, 100000, &cfg->log_batch_rows)) < 0 ||
	    (rc = al_json_uint(c, s, "batch_ms", "log", 1, 10000, &cfg->log_batch_ms)) < 0 ||
	    (rc = al_json_uint(c, s, "retention_days", "log", 0, 36500, &cfg->log_retention_days)) < 0 ||
	    (rc = al_json_bool(c, s, "required", "log", &cfg->log_required)) < 0)
		return rc;
	return 0;
}

static bool is_loopback(const struct al_ip *ip)
{
	static const uint8_t v6[16] = { [15] = 1 };

	return ip->family == AF_INET ? ip->bytes[0] == 127 : memcmp(ip->bytes, v6, 16) == 0;
}

/* "metrics": Prometheus /metrics over HTTP.  Counters tell what clients
 * ask and what the guard catches, so they stay on this host unless
 * allow_remote says otherwise. */
static int get_metrics(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "address", "port", "allow_remote", NULL };
	const cJSON *s, *a;
	char shown[80];
	uint32_t port = 9153;
	bool remote = false;
	size_t i;
	int rc;

	if ((rc = al_json_section(c, root, "metrics", keys, &s)) < 0 || !s)
		return rc;
	al_ip_parse("127.0.0.1", &cfg->metrics_ip);
	a = cJSON_GetObjectItemCaseSensitive(s, "address");
	if (a && (!cJSON_IsString(a) || al_ip_parse(a->valuestring, &cfg->metrics_ip) < 0))
		return al_json_fail(c, "metrics.address", "%s is not an IP address (expected e.g. \"127.0.0.1\" or \"::1\")",
				    al_json_show(a, shown, sizeof(shown)));
	if ((rc = al_json_uint(c, s, "port", "metrics", 1, 65535, &port)) < 0 ||
	    (rc = al_json_bool(c, s, "allow_remote", "metrics", &remote)) < 0)
		return rc;
	if (!remote && !is_loopback(&cfg->metrics_ip))
		return al_json_fail(c, "metrics.address", "%s is not a loopback address (expected e.g. \"127.0.0.1\" or \"::1\"; to serve /metrics to other hosts, set \"allow_remote\": true and firewall the port)",
				    al_json_show(a, shown, sizeof(shown)));
	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].port == port && al_ip_equal(&cfg->listen[i].ip, &cfg->metrics_ip))
			return al_json_fail(c, "metrics.port", "%u is also the port of listen[%zu] at that address (expected another port: DNS over TCP is served there)",
					    port, i);
	cfg->metrics_port = (uint16_t)port;
	return 0;
}

/* "control": the daemon's control socket (`airlock ctl`).  A relative
 * path is relative to the config file's directory; the group must exist
 * now, so a typo fails the check rather than the start. */
static int get_control(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "path", "mode", "group", NULL };
	const cJSON *s, *v;
	struct group gr, *found = NULL;
	char shown[80], buf[4096];
	unsigned long mode;
	int rc;

	if ((rc = al_json_section(c, root, "control", keys, &s)) < 0 || !s)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(s, "path");
	if (!v)
		return al_json_fail(c, "control.path", "missing (expected the socket's file name, e.g. \"/run/airlock/control.sock\")");
	if ((rc = config_file(c, v, "control.path", "/run/airlock/control.sock", true, &cfg->control_path)) < 0)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(s, "mode");
	if (v) {
		mode = cJSON_IsString(v) && strlen(v->valuestring) - 1 < 4 &&
		       strspn(v->valuestring, "01234567") == strlen(v->valuestring)
		       ? strtoul(v->valuestring, NULL, 8) : 01000;
		if (mode > 0777)
			return al_json_fail(c, "control.mode", "%s is not a permission mode (expected an octal string such as \"0660\" or \"0600\")",
					    al_json_show(v, shown, sizeof(shown)));
		cfg->control_mode = (uint32_t)mode;
	}
	if ((rc = al_json_string(c, s, "group", "control", "a group name, e.g. \"airlock\"", &cfg->control_group)) < 0)
		return rc;
	if (cfg->control_group) {
		rc = getgrnam_r(cfg->control_group, &gr, buf, sizeof(buf), &found);
		if (!found)
			return al_json_fail(c, "control.group", "no group \"%s\" on this host%s%s (expected an existing group, e.g. \"airlock\": create it or name another)",
					    cfg->control_group, rc ? ": " : "", rc ? strerror(rc) : "");
		cfg->control_gid = (uint32_t)gr.gr_gid;
	}
	return 0;
}

/* dnstap: every query and reply to a collector's socket or to a file. */
static int get_dnstap(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	static const char *const keys[] = { "socket", "file", "identity", "version", "client_query",
					    "client_response", "forwarder_query", "forwarder_response", NULL };
	struct al_dnstap_conf *d = &cfg->dnstap;
	const cJSON *s, *sock, *file;
	int rc;

	if ((rc = al_json_section(c, root, "dnstap", keys, &s)) < 0 || !s)
		return rc;
	sock = cJSON_GetObjectItemCaseSensitive(s, "socket");
	file = cJSON_GetObjectItemCaseSensitive(s, "file");
	if (sock && file)
		return al_json_fail(c, "dnstap", "has both socket and file (expected one of them: \"socket\" for a collector such as Vector, \"file\" for a Frame Streams file)");
	if (!sock && !file)
		return al_json_fail(c, "dnstap", "has neither socket nor file (expected e.g. \"socket\": \"/run/vector/dnstap.sock\" or \"file\": \"/var/lib/airlock/dnstap.fstrm\")");
	if ((sock && (rc = config_file(c, sock, "dnstap.socket", "/run/vector/dnstap.sock", true, &d->socket)) < 0) ||
	    (file && (rc = config_file(c, file, "dnstap.file", "/var/lib/airlock/dnstap.fstrm", false, &d->file)) < 0))
		return rc;
	if ((rc = al_json_string(c, s, "identity", "dnstap", "a server name, e.g. \"resolver-1\"", &d->identity)) < 0 ||
	    (rc = al_json_string(c, s, "version", "dnstap", "a version string, e.g. \"airlock\"", &d->version)) < 0 ||
	    (rc = al_json_bool(c, s, "client_query", "dnstap", &d->client_query)) < 0 ||
	    (rc = al_json_bool(c, s, "client_response", "dnstap", &d->client_response)) < 0 ||
	    (rc = al_json_bool(c, s, "forwarder_query", "dnstap", &d->forwarder_query)) < 0 ||
	    (rc = al_json_bool(c, s, "forwarder_response", "dnstap", &d->forwarder_response)) < 0)
		return rc;
	return 0;
}

/* In the order config_from_json has always parsed them, so a config with
 * several errors still reports the same one first. */
int config_get_service(struct al_jctx *c, const cJSON *root, struct al_config *cfg)
{
	int rc;

	if ((rc = get_tunables(c, root, cfg)) < 0 ||
	    (rc = get_log(c, root, cfg)) < 0 ||
	    (rc = get_metrics(c, root, cfg)) < 0 ||
	    (rc = get_dnstap(c, root, cfg)) < 0 ||
	    (rc = get_control(c, root, cfg)) < 0)
		return rc;
	return 0;
}
