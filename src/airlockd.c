/* airlockd: arguments, config, then the daemon loop. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "airlock/config.h"
#include "airlock/daemon.h"
#include "airlock/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: airlockd [-c FILE] [-t] [-v] [-q]\n"
		"  -c FILE  config file (JSON); without it the built-in default serves:\n"
		"           127.0.0.1 and ::1 port %d, loopback clients, upstreams from\n"
		"           /etc/resolv.conf\n"
		"  -t       check the config and exit: 0 good, 1 bad\n"
		"  -v       verbose (debug) logging   -q  errors only\n"
		"  -V       print the version\n", AL_DEFAULT_PORT);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct al_config *cfg;
	struct al_err err;
	int opt, check = 0, rc;

	while ((opt = getopt(argc, argv, "c:tvqVh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
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
	if (check) {
		printf("%s: ok\n", path ? path : "(built-in default)");
		al_config_unref(cfg);
		return 0;
	}
	return al_daemon_run(cfg);
}
