/* A worker without sockets of its own, for the fuzz harnesses of the
 * query and reply paths.  rig.c stands in for src/listener.c at link time
 * (as Unbound's testbound replaces its event layer): al_worker_new hands
 * it the worker's loop and query callback, so a test calls the real
 * pipeline (parse, zone, policy, guard, local data, cache, forwarder,
 * answer check, reply) on a packet and catches what would be sent.  The
 * forwarder is the real one: it talks to a UDP socket on 127.0.0.1 that
 * the test reads and answers (rig_upstream_*). */
#ifndef AIRLOCK_FUZZ_RIG_H
#define AIRLOCK_FUZZ_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/config.h"
#include "airlock/msg.h"

/* The rig's config: zones (by client address, see rig_peer), upstream the
 * rig's socket, min_ttl RIG_MIN_TTL, max_ttl RIG_MAX_TTL, max_negative_ttl
 * RIG_MAX_NEG_TTL, EDNS buffer RIG_EDNS. */
#define RIG_MIN_TTL 5
#define RIG_MAX_TTL 3600
#define RIG_MAX_NEG_TTL 900
#define RIG_EDNS 1232

enum rig_zone {
	RIG_APPLICATION, /* 127.0.1.9: ai deny, rebinding protection */
	RIG_INFERENCE,   /* 127.0.2.9: ai private (protected names checked) */
	RIG_DATA,        /* 127.0.3.9: internal names only, nxdomain */
	RIG_MANAGEMENT,  /* 127.0.4.9: plain */
	RIG_SANDBOX,     /* 127.0.5.9: no names */
	RIG_GUARDED,     /* 127.0.6.9: tunnel block, new domains block */
	RIG_NOZONE,      /* 192.0.2.9: in no zone, refused */
	RIG_V6,          /* ::1: management */
	RIG_NPEERS
};

/* Parses the config once, binds the upstream socket. */
struct al_config *rig_config(void);

/* A fresh worker (empty cache, guard and first sightings), so each input
 * runs alone. */
void rig_start(void);
void rig_stop(void);

/* What the client got. */
struct rig_reply {
	int replies, releases;   /* al_client_reply / al_client_release calls */
	size_t len;
	uint8_t msg[AL_MAX_MSG];
};

/* Runs the pipeline on pkt from a client in zone z over UDP or TCP; the
 * client's reply goes to out (reset first).  Upstream questions stay
 * pending: see rig_upstream_*. */
void rig_query(enum rig_zone z, bool tcp, const uint8_t *pkt, size_t len,
	       struct rig_reply *out);
/* Runs the loop once (blocking until something happens when wait). */
void rig_run(bool wait);

/* The next question the forwarder sent upstream (len bytes into buf),
 * 0 if none is waiting. */
size_t rig_upstream_read(uint8_t *buf, size_t cap);
/* Sends msg to the forwarder as the upstream's reply to it. */
void rig_upstream_send(const uint8_t *msg, size_t len);

#endif

/* Checks what a client got for pkt (fails the run if not): exactly one
 * reply or release; no reply to what is not a query; otherwise a DNS
 * message that walks cleanly to its last byte, QR set, the query's ID,
 * opcode and question (when one parsed), an OPT when the query had
 * EDNS, within the client's size limit (512 bytes, its EDNS size capped
 * by RIG_EDNS, 65535 over TCP), TC only over UDP; a client in no zone
 * gets no more bytes than it sent. */
void rig_check_reply(enum rig_zone z, bool tcp, const uint8_t *pkt, size_t len,
		     const struct rig_reply *r);
