/* dnstap output: see dnstap.h.  Frames are encoded on the worker's thread
 * into a buffer that fstrm owns from then on (freed by its I/O thread once
 * written or discarded); the worker never waits for the I/O thread. */
#include <errno.h>
#include <fcntl.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dnstap.pb-c.h"
#include "airlock/dnstap.h"
#include "airlock/dnstap_file.h"
#include "airlock/log.h"

#define CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define QUEUE_SIZE 8192   /* frames waiting per worker thread (a power of two) */
#define REOPEN_S 1        /* a collector that is down is tried again this often */
#define CLOSE_WAIT_S 3    /* at stop, how long queued frames may take to go out */

/* One worker's input queue and its counters, which only that worker
 * writes; padded so two workers' counters never share a cache line. */
struct queue {
	struct fstrm_iothr_queue *q;
	uint64_t sent, dropped;
	char pad[40];
};

struct al_dnstap {
	struct fstrm_iothr *iothr;
	char *identity, *version;
	char *where; /* the destination, as opened: a reload does not move it */
	bool wants[AL_DNSTAP_FORWARDER_RESPONSE + 1];
	unsigned nqueues;
	struct queue *queues;
};

/* The address and port of sa into the message, when its family is the
 * message's (the first address given decides the family). */
static void put_addr(Dnstap__Message *msg, const struct sockaddr *sa, ProtobufCBinaryData *addr,
		     protobuf_c_boolean *has_addr, uint32_t *port, protobuf_c_boolean *has_port)
{
	Dnstap__SocketFamily family;

	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		family = DNSTAP__SOCKET_FAMILY__INET;
	else if (sa->sa_family == AF_INET6)
		family = DNSTAP__SOCKET_FAMILY__INET6;
	else
		return;
	if (!msg->has_socket_family) {
		msg->socket_family = family;
		msg->has_socket_family = 1;
	} else if (msg->socket_family != family) {
		return;
	}
	if (family == DNSTAP__SOCKET_FAMILY__INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		addr->data = (uint8_t *)&in->sin_addr;
		addr->len = sizeof(in->sin_addr);
		*port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		addr->data = (uint8_t *)&in6->sin6_addr;
		addr->len = sizeof(in6->sin6_addr);
		*port = ntohs(in6->sin6_port);
	}
	*has_addr = 1;
	*has_port = 1;
}

static void put_time(const struct timespec *ts, uint64_t *sec, protobuf_c_boolean *has_sec,
		     uint32_t *nsec, protobuf_c_boolean *has_nsec)
{
	if (ts->tv_sec == 0 && ts->tv_nsec == 0)
		return;
	*sec = (uint64_t)ts->tv_sec;
	*nsec = (uint32_t)ts->tv_nsec;
	*has_sec = *has_nsec = 1;
}

static void put_bytes(const uint8_t *p, size_t len, ProtobufCBinaryData *out,
		      protobuf_c_boolean *has)
{
	if (!p || !len)
		return;
	out->data = (uint8_t *)p; /* only read by the packer */
	out->len = len;
	*has = 1;
}

int al_dnstap_encode(const char *identity, const char *version,
		     const struct al_dnstap_msg *m, uint8_t **out, size_t *len)
{
	Dnstap__Dnstap frame = DNSTAP__DNSTAP__INIT;
	Dnstap__Message msg = DNSTAP__MESSAGE__INIT;
	size_t n;
	uint8_t *buf;

	msg.type = (Dnstap__Message__Type)m->type;
	msg.socket_protocol = m->tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
	msg.has_socket_protocol = 1;
	put_addr(&msg, m->query_addr, &msg.query_address, &msg.has_query_address,
		 &msg.query_port, &msg.has_query_port);
	put_addr(&msg, m->response_addr, &msg.response_address, &msg.has_response_address,
		 &msg.response_port, &msg.has_response_port);
	put_time(&m->query_time, &msg.query_time_sec, &msg.has_query_time_sec,
		 &msg.query_time_nsec, &msg.has_query_time_nsec);
	put_time(&m->response_time, &msg.response_time_sec, &msg.has_response_time_sec,
		 &msg.response_time_nsec, &msg.has_response_time_nsec);
	put_bytes(m->query, m->query_len, &msg.query_message, &msg.has_query_message);
	put_bytes(m->response, m->response_len, &msg.response_message, &msg.has_response_message);

	frame.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	frame.message = &msg;
	if (identity)
		put_bytes((const uint8_t *)identity, strlen(identity), &frame.identity, &frame.has_identity);
	if (version)
		put_bytes((const uint8_t *)version, strlen(version), &frame.version, &frame.has_version);
	n = dnstap__dnstap__get_packed_size(&frame);
	if (!(buf = malloc(n)))
		return -ENOMEM;
	*len = dnstap__dnstap__pack(&frame, buf);
	*out = buf;
	return 0;
}

bool al_dnstap_wants(const struct al_dnstap *dt, enum al_dnstap_type type)
{
	return dt && type >= AL_DNSTAP_CLIENT_QUERY && type <= AL_DNSTAP_FORWARDER_RESPONSE &&
	       dt->wants[type];
}

int al_dnstap_send(struct al_dnstap *dt, unsigned queue, const struct al_dnstap_msg *m)
{
	struct queue *q = &dt->queues[queue];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = al_dnstap_encode(dt->identity, dt->version, m, &buf, &len)) < 0) {
		__atomic_add_fetch(&q->dropped, 1, __ATOMIC_RELAXED);
		return rc;
	}
	if (fstrm_iothr_submit(dt->iothr, q->q, buf, len, fstrm_free_wrapper, NULL) != fstrm_res_success) {
		free(buf);
		__atomic_add_fetch(&q->dropped, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	__atomic_add_fetch(&q->sent, 1, __ATOMIC_RELAXED);
	return 0;
}

void al_dnstap_get_stats(const struct al_dnstap *dt, struct al_dnstap_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < dt->nqueues; i++) {
		out->sent += __atomic_load_n(&dt->queues[i].sent, __ATOMIC_RELAXED);
		out->dropped += __atomic_load_n(&dt->queues[i].dropped, __ATOMIC_RELAXED);
	}
}

/* The writer for the socket or the file, announcing the dnstap content
 * type; NULL when out of memory. */
static struct fstrm_writer *make_writer(const struct al_dnstap_conf *conf)
{
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	struct fstrm_writer *w = NULL;

	if (fstrm_writer_options_add_content_type(wopt, CONTENT_TYPE, strlen(CONTENT_TYPE)) !=
	    fstrm_res_success)
		goto out;
	if (conf->socket) {
		struct fstrm_unix_writer_options *uopt = fstrm_unix_writer_options_init();
		fstrm_unix_writer_options_set_socket_path(uopt, conf->socket);
		w = fstrm_unix_writer_init(uopt, wopt);
		fstrm_unix_writer_options_destroy(&uopt);
	} else {
		w = al_dnstap_file_writer(conf->file, wopt);
	}
out:
	fstrm_writer_options_destroy(&wopt);
	return w;
}

static struct fstrm_iothr *make_iothr(struct fstrm_writer **writer, unsigned nqueues)
{
	struct fstrm_iothr_options *o = fstrm_iothr_options_init();
	struct fstrm_iothr *t = NULL;

	if (fstrm_iothr_options_set_num_input_queues(o, nqueues) == fstrm_res_success &&
	    fstrm_iothr_options_set_input_queue_size(o, QUEUE_SIZE) == fstrm_res_success &&
	    fstrm_iothr_options_set_queue_model(o, FSTRM_IOTHR_QUEUE_MODEL_SPSC) == fstrm_res_success &&
	    fstrm_iothr_options_set_reopen_interval(o, REOPEN_S) == fstrm_res_success)
		t = fstrm_iothr_init(o, writer);
	fstrm_iothr_options_destroy(&o);
	return t;
}

static char *default_identity(void)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		return strdup("airlock");
	host[sizeof(host) - 1] = '\0';
	return strdup(host);
}

int al_dnstap_open(const struct al_dnstap_conf *conf, unsigned nqueues,
		   struct al_dnstap **out, struct al_err *err)
{
	struct al_dnstap *dt;
	struct fstrm_writer *writer = NULL;
	unsigned i;
	int fd, rc = -ENOMEM;

	if (!conf->socket == !conf->file || nqueues == 0)
		return al_err_set(err, "dnstap: expected exactly one of socket and file");
	/* fstrm opens the file on its own thread and says nothing when it
	 * cannot: find out here, where it can be reported. */
	if (conf->file) {
		if ((fd = open(conf->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0640)) < 0) {
			rc = -errno;
			al_err_set(err, "dnstap.file: cannot write %s: %s (expected a file in an existing directory that airlockd's user may write)",
				   conf->file, strerror(errno));
			return rc;
		}
		close(fd);
	}
	if (!(dt = calloc(1, sizeof(*dt))))
		goto fail;
	dt->nqueues = nqueues;
	dt->wants[AL_DNSTAP_CLIENT_QUERY] = conf->client_query;
	dt->wants[AL_DNSTAP_CLIENT_RESPONSE] = conf->client_response;
	dt->wants[AL_DNSTAP_FORWARDER_QUERY] = conf->forwarder_query;
	dt->wants[AL_DNSTAP_FORWARDER_RESPONSE] = conf->forwarder_response;
	if (!(dt->queues = calloc(nqueues, sizeof(*dt->queues))) ||
	    !(dt->identity = conf->identity ? strdup(conf->identity) : default_identity()) ||
	    !(dt->version = strdup(conf->version ? conf->version : "airlock " PACKAGE_VERSION)) ||
	    !(dt->where = strdup(conf->socket ? conf->socket : conf->file)) ||
	    !(writer = make_writer(conf)))
		goto fail;
	if (!(dt->iothr = make_iothr(&writer, nqueues))) {
		rc = -EINVAL;
		al_err_set(err, "dnstap: cannot start the output thread");
		goto fail_quiet;
	}
	for (i = 0; i < nqueues; i++)
		dt->queues[i].q = fstrm_iothr_get_input_queue_idx(dt->iothr, i);
	*out = dt;
	return 0;
fail:
	al_err_set(err, "dnstap: out of memory");
fail_quiet:
	if (writer)
		fstrm_writer_destroy(&writer);
	al_dnstap_close(dt);
	return rc;
}

/* Given up on at stop and still in use by its I/O thread: kept reachable
 * (volatile: the store must not be optimised away) until the process exits. */
static struct al_dnstap *volatile abandoned;

static void *destroy_iothr(void *arg)
{
	struct fstrm_iothr *iothr = arg;

	fstrm_iothr_destroy(&iothr); /* writes what is queued first */
	return NULL;
}

void al_dnstap_close(struct al_dnstap *dt)
{
	struct timespec deadline;
	pthread_t t;

	if (!dt)
		return;
	if (dt->iothr && pthread_create(&t, NULL, destroy_iothr, dt->iothr) != 0) {
		fstrm_iothr_destroy(&dt->iothr);
	} else if (dt->iothr) {
		/* fstrm's socket writer blocks on a collector that accepted
		 * but does not read: the stop does not wait on it for long. */
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += CLOSE_WAIT_S;
		if (pthread_timedjoin_np(t, NULL, &deadline) != 0) {
			al_warn("dnstap %s: the collector has not taken the queued frames in %d s; they are abandoned",
				dt->where, CLOSE_WAIT_S);
			pthread_detach(t);
			abandoned = dt; /* the I/O thread still runs: its state stays until exit */
			return;
		}
	}
	free(dt->queues);
	free(dt->identity);
	free(dt->version);
	free(dt->where);
	free(dt);
}

const char *al_dnstap_where(const struct al_dnstap *dt)
{
	return dt->where;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool al_dnstap_conf_equal(const struct al_dnstap_conf *a, const struct al_dnstap_conf *b)
{
	return same_str(a->socket, b->socket) && same_str(a->file, b->file) &&
	       same_str(a->identity, b->identity) && same_str(a->version, b->version) &&
	       a->client_query == b->client_query && a->client_response == b->client_response &&
	       a->forwarder_query == b->forwarder_query &&
	       a->forwarder_response == b->forwarder_response;
}
