/* airlockd: arguments, config, then the daemon loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "airlock/config.h"
#include "airlock/daemon.h"
#include "airlock/log.h"
#include "airlock/privdrop.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: airlockd [-c FILE] [-u USER[:GROUP]] [-t] [-v] [-q]\n"
		"  -c FILE  config file (JSON); without it the built-in default serves:\n"
		"           127.0.0.1 and ::1 port %d, loopback clients, upstreams from\n"
		"           /etc/resolv.conf\n"
		"  -u USER[:GROUP]  started as root, run as USER once the ports are\n"
		"           bound (overrides the config's \"user\"); -u root stays root\n"
		"  -t       check the config and exit: 0 good, 1 bad\n"
		"  -v       verbose (debug) logging   -q  errors only\n"
		"  -V       print the version\n", AL_DEFAULT_PORT);
}

/* Who to run as.  Started as root, airlockd must be told: by -u or the
 * config's "user" ("root" to stay root).  Otherwise *use is 0: the
 * current user stays. */
static int choose_user(const struct al_config *cfg, const char *opt_user, int *use,
		       struct al_privdrop *drop, struct al_err *err)
{
	const char *user = opt_user ? opt_user : cfg->user;

	*use = 0;
	if (!user && cfg->group)
		return al_err_set(err, "%s: group: \"%s\" is set without \"user\" (expected both, or neither)",
				  cfg->path, cfg->group);
	if (user && al_privdrop_lookup(user, opt_user ? NULL : cfg->group, drop, err) < 0)
		return -1;
	if (geteuid() != 0)
		return 0;
	if (!user)
		return al_err_set(err, "started as root with no user to run as: set \"user\" in %s "
				  "(e.g. \"airlock\") or give -u USER; -u root keeps root",
				  cfg->path ? cfg->path : "a config file (-c)");
	*use = 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *user = NULL;
	struct al_privdrop drop;
	struct al_config *cfg;
	struct al_err err;
	int opt, check = 0, rc, use_drop;

	while ((opt = getopt(argc, argv, "c:u:tvqVh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'u': user = optarg; break;
		case 't': check = 1; break;
		case 'v': al_log_set_level(AL_LOG_DEBUG); break;
		case 'q': al_log_set_level(AL_LOG_ERR); break;
		case 'V': printf("airlockd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	rc = path ? al_config_load(path, &cfg, &err)
		  : al_config_default("/etc/resolv.conf", &cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "airlockd: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 1;
	}
	if (choose_user(cfg, user, &use_drop, &drop, &err) < 0 && (!check || cfg->user || cfg->group || user)) {
		fprintf(stderr, "airlockd: %s\n", err.msg);
		al_config_unref(cfg);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", path ? path : "(built-in default)");
		al_config_unref(cfg);
		return 0;
	}
	/* A client (DNS over TCP, airlock ctl, a scrape) gone before its
	 * answer: the write fails with EPIPE rather than killing the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (use_drop && drop.stay_root)
		al_warn("running as root (user \"%s\"): every thread keeps full privileges", drop.user);
	return al_daemon_run(cfg, use_drop ? &drop : NULL);
}
