/* `airlock leak-test`: the checks an operator runs from each zone to prove
 * the isolation holds, against the resolvers in use and the config's
 * catalog and views:
 *   resolver           the resolvers in use are airlock's (a systemd-resolved
 *                      stub in resolv.conf is a warning: it hides the upstream)
 *   positive           AI names this zone may use resolve, only privately
 *   negative           AI names and internet names it may not use are refused
 *   public-resolver    public resolvers do not answer on UDP 53, TCP 53, TCP 853
 *   provider-resolver  the provider's resolver is not reachable directly (warning)
 *   failover           (--failover) protected names fail closed, never public
 *   exfiltration       a tunnel burst and a never-seen domain are blocked, and
 *                      (with the query log) their incidents are on record
 * Each check is one result; nothing is printed here. */
#ifndef AIRLOCK_LEAKTEST_H
#define AIRLOCK_LEAKTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "airlock/config.h"

enum al_check_status { AL_CHECK_PASS, AL_CHECK_WARN, AL_CHECK_FAIL, AL_CHECK_SKIP };
/* "pass", "warn", "fail", "skip". */
const char *al_check_status_name(enum al_check_status s);

struct al_check {
	const char *kind;      /* "resolver", "positive", ... */
	char name[200];        /* what was checked, in a sentence */
	enum al_check_status status;
	char answers[600];     /* what was seen: "A 10.0.2.10", "REFUSED", "no reply", ... */
	char expected[300];
	char reason[300];      /* why it failed, warned or was skipped; "" on a pass */
	int64_t ms;            /* how long it took */
};

#define AL_LEAKTEST_MAX_SERVERS 8
#define AL_LEAKTEST_MAX_PUBLIC 16
#define AL_LEAKTEST_MAX_NAMES 16

struct al_leaktest_opts {
	const struct al_config *cfg;
	struct sockaddr_storage servers[AL_LEAKTEST_MAX_SERVERS]; /* none: from resolv_conf */
	size_t nservers;
	const char *resolv_conf;    /* "/etc/resolv.conf" */
	bool has_source;            /* speak as this address (bound) */
	struct al_ip source;
	const char *names[AL_LEAKTEST_MAX_NAMES]; /* AI names to probe */
	size_t nnames;
	const char *internet_name;  /* a public name, for the negative check */
	struct sockaddr_storage publics[AL_LEAKTEST_MAX_PUBLIC];
	bool public_port[AL_LEAKTEST_MAX_PUBLIC]; /* a port was given: that port only */
	size_t npublics;
	bool has_provider;
	struct sockaddr_storage provider;
	bool failover;
	const char *log_db;         /* the query log, for the exfiltration check */
	unsigned timeout_ms;
	uint64_t seed;              /* for the test domains' names */
};

struct al_leaktest;

/* Runs every check.  Returns 0 with the results (al_leaktest_checks), or a
 * negative errno when it could not test at all (err says why: no resolver,
 * a source in no zone, an unreadable resolv.conf). */
int al_leaktest_run(const struct al_leaktest_opts *o, struct al_leaktest **out, struct al_err *err);
const struct al_check *al_leaktest_checks(const struct al_leaktest *t, size_t *n);
/* The zone tested. */
const char *al_leaktest_zone(const struct al_leaktest *t);
void al_leaktest_free(struct al_leaktest *t);

#endif
