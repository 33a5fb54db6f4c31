/* The daemon's main thread: starts the workers, turns signals into a
 * graceful stop (SIGTERM, SIGINT), a config reload (SIGHUP) and a counters
 * line in the log (SIGUSR1). */
#ifndef AIRLOCK_DAEMON_H
#define AIRLOCK_DAEMON_H

#include "airlock/config.h"

struct al_privdrop;

/* Runs until stopped; takes the caller's reference on cfg.  drop (NULL:
 * keep the current user) is applied once the ports are bound, before any
 * thread starts or any file is written.  Returns the process exit status. */
int al_daemon_run(struct al_config *cfg, const struct al_privdrop *drop);

#endif
