/* dnstap: a frame decodes (with the generated schema) to exactly the
 * fields given and nothing else; a file holds the frames sent, under the
 * dnstap content type; the config section's defaults and errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fstrm.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dnstap.pb-c.h"
#include "airlock/config.h"
#include "airlock/dnstap.h"
#include "airlock/dnstap_file.h"
#include "tmpdir.h"

static const uint8_t query[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
static const uint8_t reply[] = { 0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0,
				 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &sa.sin6_addr);
	return sa;
}

static void assert_bytes(ProtobufCBinaryData b, const void *want, size_t len)
{
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, want, len);
}

static void test_dnstap_encodes_a_client_response(void **state)
{
	struct sockaddr_in client = v4("127.0.2.1", 40000), server = v4("127.0.0.53", 53);
	struct al_dnstap_msg m = {
		.type = AL_DNSTAP_CLIENT_RESPONSE,
		.query_addr = (struct sockaddr *)&client,
		.response_addr = (struct sockaddr *)&server,
		.query_time = { 1700000000, 123456789 },
		.response_time = { 1700000001, 5 },
		.query = query, .query_len = sizeof(query),
		.response = reply, .response_len = sizeof(reply),
	};
	Dnstap__Dnstap *d;
	Dnstap__Message *msg;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(al_dnstap_encode("resolver-1", "airlock 9.9", &m, &buf, &len), 0);
	d = dnstap__dnstap__unpack(NULL, len, buf);
	assert_non_null(d);
	assert_int_equal(d->type, DNSTAP__DNSTAP__TYPE__MESSAGE);
	assert_true(d->has_identity);
	assert_bytes(d->identity, "resolver-1", 10);
	assert_true(d->has_version);
	assert_bytes(d->version, "airlock 9.9", 11);
	assert_false(d->has_extra);
	msg = d->message;
	assert_non_null(msg);
	assert_int_equal(msg->type, DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE);
	assert_true(msg->has_socket_family);
	assert_int_equal(msg->socket_family, DNSTAP__SOCKET_FAMILY__INET);
	assert_true(msg->has_socket_protocol);
	assert_int_equal(msg->socket_protocol, DNSTAP__SOCKET_PROTOCOL__UDP);
	assert_bytes(msg->query_address, "\x7f\x00\x02\x01", 4);
	assert_bytes(msg->response_address, "\x7f\x00\x00\x35", 4);
	assert_true(msg->has_query_port);
	assert_int_equal(msg->query_port, 40000);
	assert_true(msg->has_response_port);
	assert_int_equal(msg->response_port, 53);
	assert_true(msg->has_query_time_sec && msg->has_query_time_nsec);
	assert_int_equal(msg->query_time_sec, 1700000000);
	assert_int_equal(msg->query_time_nsec, 123456789);
	assert_true(msg->has_response_time_sec && msg->has_response_time_nsec);
	assert_int_equal(msg->response_time_sec, 1700000001);
	assert_int_equal(msg->response_time_nsec, 5);
	assert_true(msg->has_query_message);
	assert_bytes(msg->query_message, query, sizeof(query));
	assert_true(msg->has_response_message);
	assert_bytes(msg->response_message, reply, sizeof(reply));
	assert_false(msg->has_query_zone);
	dnstap__dnstap__free_unpacked(d, NULL);
	free(buf);
}

/* Parts not given are not sent: no response, no identity, no version. */
static void test_dnstap_leaves_out_what_is_absent(void **state)
{
	struct sockaddr_in6 self = v6("::1", 41000), up = v6("2001:db8::53", 53);
	struct al_dnstap_msg m = {
		.type = AL_DNSTAP_FORWARDER_QUERY,
		.tcp = true,
		.query_addr = (struct sockaddr *)&self,
		.response_addr = (struct sockaddr *)&up,
		.query_time = { 1700000002, 0 },
		.query = query, .query_len = sizeof(query),
	};
	uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	Dnstap__Dnstap *d;
	Dnstap__Message *msg;
	uint8_t *buf;
	size_t len;

	(void)state;
	want[15] = 0x53;
	assert_int_equal(al_dnstap_encode(NULL, NULL, &m, &buf, &len), 0);
	d = dnstap__dnstap__unpack(NULL, len, buf);
	assert_non_null(d);
	assert_false(d->has_identity);
	assert_false(d->has_version);
	msg = d->message;
	assert_int_equal(msg->type, DNSTAP__MESSAGE__TYPE__FORWARDER_QUERY);
	assert_int_equal(msg->socket_family, DNSTAP__SOCKET_FAMILY__INET6);
	assert_int_equal(msg->socket_protocol, DNSTAP__SOCKET_PROTOCOL__TCP);
	assert_int_equal(msg->query_address.len, 16);
	assert_int_equal(msg->query_address.data[15], 1);
	assert_bytes(msg->response_address, want, 16);
	assert_int_equal(msg->query_port, 41000);
	assert_int_equal(msg->response_port, 53);
	assert_int_equal(msg->query_time_sec, 1700000002);
	assert_true(msg->has_query_time_nsec);
	assert_int_equal(msg->query_time_nsec, 0);
	assert_false(msg->has_response_time_sec);
	assert_false(msg->has_response_time_nsec);
	assert_false(msg->has_response_message);
	assert_bytes(msg->query_message, query, sizeof(query));
	dnstap__dnstap__free_unpacked(d, NULL);
	free(buf);
}

/* The schema's numbers on the wire: readers decode by number, not name. */
static void test_dnstap_uses_the_published_field_numbers(void **state)
{
	struct al_dnstap_msg m = { .type = AL_DNSTAP_CLIENT_QUERY };
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(al_dnstap_encode("a", NULL, &m, &buf, &len), 0);
	/* identity (1, bytes) "a"; message (14, embedded): type (1) = 5,
	 * socket_protocol (3) = UDP (1); type (15, varint) = MESSAGE (1). */
	assert_int_equal(len, 11);
	assert_memory_equal(buf, "\x0a\x01" "a" "\x72\x04\x08\x05\x18\x01" "\x78\x01", 11);
	free(buf);
}

static void conf_for_file(struct al_dnstap_conf *c, char *file)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->identity = "unit";
	c->client_query = c->client_response = c->forwarder_query = c->forwarder_response = true;
}

/* What dnstap-ldns reads: a Frame Streams file of type
 * protobuf:dnstap.Dnstap with the frames in the order sent per queue. */
static void test_dnstap_file_holds_the_frames_sent(void **state)
{
	static const char ctype[] = "protobuf:dnstap.Dnstap";
	struct sockaddr_in client = v4("127.0.2.7", 1234);
	struct al_dnstap_msg m = {
		.type = AL_DNSTAP_CLIENT_QUERY,
		.query_addr = (struct sockaddr *)&client,
		.query = query, .query_len = sizeof(query),
	};
	struct al_dnstap_stats st;
	struct al_dnstap_conf conf;
	struct al_dnstap *dt;
	struct al_err err;
	struct fstrm_file_options *fopt;
	struct fstrm_reader_options *ropt;
	struct fstrm_reader *r;
	const uint8_t *data;
	size_t len;
	char dir[128], path[256];
	int i, n = 0;

	(void)state;
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "dnstap"), 0);
	snprintf(path, sizeof(path), "%s/out.fstrm", dir);
	conf_for_file(&conf, path);
	assert_int_equal(al_dnstap_open(&conf, 2, &dt, &err), 0);
	for (i = 0; i < 3; i++) {
		client.sin_port = htons((uint16_t)(1000 + i));
		assert_int_equal(al_dnstap_send(dt, 1, &m), 0);
	}
	al_dnstap_get_stats(dt, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.dropped, 0);
	al_dnstap_close(dt);

	fopt = fstrm_file_options_init();
	fstrm_file_options_set_file_path(fopt, path);
	ropt = fstrm_reader_options_init();
	assert_int_equal(fstrm_reader_options_add_content_type(ropt, ctype, strlen(ctype)), fstrm_res_success);
	r = fstrm_file_reader_init(fopt, ropt);
	assert_non_null(r);
	assert_int_equal(fstrm_reader_open(r), fstrm_res_success); /* the content type matched */
	while (fstrm_reader_read(r, &data, &len) == fstrm_res_success) {
		Dnstap__Dnstap *d = dnstap__dnstap__unpack(NULL, len, data);
		assert_non_null(d);
		assert_bytes(d->identity, "unit", 4);
		assert_int_equal(d->message->type, DNSTAP__MESSAGE__TYPE__CLIENT_QUERY);
		assert_int_equal(d->message->query_port, 1000 + n);
		dnstap__dnstap__free_unpacked(d, NULL);
		n++;
	}
	assert_int_equal(n, 3);
	fstrm_reader_destroy(&r);
	fstrm_reader_options_destroy(&ropt);
	fstrm_file_options_destroy(&fopt);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_dnstap_open_names_a_file_it_cannot_write(void **state)
{
	struct al_dnstap_conf conf;
	struct al_dnstap *dt = NULL;
	struct al_err err;

	(void)state;
	conf_for_file(&conf, "/nonexistent-airlock-dir/out.fstrm");
	assert_int_equal(al_dnstap_open(&conf, 1, &dt, &err), -ENOENT);
	assert_null(dt);
	assert_non_null(strstr(err.msg, "dnstap.file: cannot write /nonexistent-airlock-dir/out.fstrm"));
}

/* Opens a file writer for path; the fstrm status of the open. */
static fstrm_res open_file_writer(const char *path)
{
	static const char ctype[] = "protobuf:dnstap.Dnstap";
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	struct fstrm_writer *w;
	fstrm_res rc;

	assert_int_equal(fstrm_writer_options_add_content_type(wopt, ctype, strlen(ctype)), fstrm_res_success);
	w = al_dnstap_file_writer(path, wopt);
	assert_non_null(w);
	rc = fstrm_writer_open(w);
	fstrm_writer_destroy(&w);
	fstrm_writer_options_destroy(&wopt);
	return rc;
}

/* The names in dir that start with prefix and end with suffix, of the
 * given kind (S_IFREG, S_IFLNK), counted. */
static int count_named(const char *dir, const char *prefix, const char *suffix, mode_t kind)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat sb;
	char p[512];
	size_t ls = strlen(suffix), le;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		le = strlen(e->d_name);
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && le >= ls &&
		    strcmp(e->d_name + le - ls, suffix) == 0 && lstat(p, &sb) == 0 && (sb.st_mode & S_IFMT) == kind)
			n++;
	}
	closedir(d);
	return n;
}

/* What is at the path before a new file: a symbolic link is kept under a
 * stamped name, a taken stamp gets ".1", a directory is an error and is
 * left alone (dnstap_file.h). */
static void test_dnstap_file_moves_what_is_there_aside(void **state)
{
	char dir[128], path[256], taken[300], stamp[32];
	struct stat sb;
	struct tm tm;
	time_t now;
	int fd, i;

	(void)state;
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "dnstapfile"), 0);
	snprintf(path, sizeof(path), "%s/out.fstrm", dir);

	assert_int_equal(symlink("elsewhere.fstrm", path), 0);
	assert_int_equal(open_file_writer(path), fstrm_res_success);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(count_named(dir, "out.fstrm.2", "Z", S_IFLNK), 1);

	/* A file with data where both this second's and the next second's
	 * stamped names are taken. */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	now = time(NULL);
	for (i = 0; i < 2; i++) {
		time_t t = now + i;
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(taken, sizeof(taken), "%s.%s", path, stamp);
		if (lstat(taken, &sb) == 0)
			continue; /* the symlink kept above */
		fd = open(taken, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(open_file_writer(path), fstrm_res_success);
	assert_int_equal(count_named(dir, "out.fstrm.2", "Z.1", S_IFREG), 1);

	/* A directory: no file, and it stays. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(open_file_writer(path), fstrm_res_success);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_dnstap_wants_only_the_types_turned_on(void **state)
{
	struct al_dnstap_conf conf;
	struct al_dnstap *dt;
	struct al_err err;
	char dir[128], path[256];

	(void)state;
	assert_false(al_dnstap_wants(NULL, AL_DNSTAP_CLIENT_QUERY));
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "dnstap"), 0);
	snprintf(path, sizeof(path), "%s/out.fstrm", dir);
	conf_for_file(&conf, path);
	conf.client_query = false;
	conf.forwarder_response = false;
	assert_int_equal(al_dnstap_open(&conf, 1, &dt, &err), 0);
	assert_false(al_dnstap_wants(dt, AL_DNSTAP_CLIENT_QUERY));
	assert_true(al_dnstap_wants(dt, AL_DNSTAP_CLIENT_RESPONSE));
	assert_true(al_dnstap_wants(dt, AL_DNSTAP_FORWARDER_QUERY));
	assert_false(al_dnstap_wants(dt, AL_DNSTAP_FORWARDER_RESPONSE));
	al_dnstap_close(dt);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

#define BASE "\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5300}], " \
	     "\"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 5301}], " \
	     "\"zones\": [{\"name\": \"z\", \"cidrs\": [\"127.0.2.0/24\"]}]"

static void test_dnstap_config_defaults(void **state)
{
	struct al_config *cfg;
	struct al_err err;

	(void)state;
	assert_int_equal(al_config_parse("{" BASE ", \"dnstap\": {\"file\": \"tap.fstrm\"}}",
					 "/etc/airlock/airlock.json", &cfg, &err), 0);
	assert_string_equal(cfg->dnstap.file, "/etc/airlock/tap.fstrm"); /* beside the config */
	assert_null(cfg->dnstap.socket);
	assert_null(cfg->dnstap.identity);
	assert_null(cfg->dnstap.version);
	assert_true(cfg->dnstap.client_query && cfg->dnstap.client_response &&
		    cfg->dnstap.forwarder_query && cfg->dnstap.forwarder_response);
	al_config_unref(cfg);
	assert_int_equal(al_config_parse("{" BASE ", \"dnstap\": {\"socket\": \"/run/v.sock\", "
					 "\"identity\": \"r1\", \"version\": \"v\", \"forwarder_query\": false}}",
					 "a.json", &cfg, &err), 0);
	assert_string_equal(cfg->dnstap.socket, "/run/v.sock");
	assert_string_equal(cfg->dnstap.identity, "r1");
	assert_string_equal(cfg->dnstap.version, "v");
	assert_false(cfg->dnstap.forwarder_query);
	assert_true(cfg->dnstap.forwarder_response);
	al_config_unref(cfg);
	assert_int_equal(al_config_parse("{" BASE "}", "a.json", &cfg, &err), 0);
	assert_null(cfg->dnstap.socket);
	assert_null(cfg->dnstap.file);
	al_config_unref(cfg);
}

static void expect_error(const char *json, const char *msg)
{
	struct al_config *cfg = NULL;
	struct al_err err;

	assert_int_equal(al_config_parse(json, "a.json", &cfg, &err), -EINVAL);
	assert_null(cfg);
	if (!strstr(err.msg, msg))
		fail_msg("expected \"%s\" in \"%s\"", msg, err.msg);
}

static void test_dnstap_config_rejects_bad_sections(void **state)
{
	(void)state;
	expect_error("{" BASE ", \"dnstap\": {\"socket\": \"/a\", \"file\": \"/b\"}}",
		     "a.json: dnstap: has both socket and file (expected one of them");
	expect_error("{" BASE ", \"dnstap\": {\"identity\": \"x\"}}",
		     "a.json: dnstap: has neither socket nor file");
	expect_error("{" BASE ", \"dnstap\": {\"socket\": 5}}",
		     "a.json: dnstap.socket: 5 is not a file name (expected e.g. \"/run/vector/dnstap.sock\")");
	expect_error("{" BASE ", \"dnstap\": {\"socket\": \"/run/"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"}}",
		     "(expected at most 107: the limit of a unix socket path");
	expect_error("{" BASE ", \"dnstap\": {\"file\": \"/a\", \"client_query\": \"yes\"}}",
		     "a.json: dnstap.client_query:");
	expect_error("{" BASE ", \"dnstap\": {\"file\": \"/a\", \"level\": 1}}",
		     "a.json: dnstap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnstap_encodes_a_client_response),
		cmocka_unit_test(test_dnstap_leaves_out_what_is_absent),
		cmocka_unit_test(test_dnstap_uses_the_published_field_numbers),
		cmocka_unit_test(test_dnstap_file_holds_the_frames_sent),
		cmocka_unit_test(test_dnstap_open_names_a_file_it_cannot_write),
		cmocka_unit_test(test_dnstap_file_moves_what_is_there_aside),
		cmocka_unit_test(test_dnstap_wants_only_the_types_turned_on),
		cmocka_unit_test(test_dnstap_config_defaults),
		cmocka_unit_test(test_dnstap_config_rejects_bad_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
