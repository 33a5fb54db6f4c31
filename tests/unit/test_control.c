/* The control socket's pure parts: command lines parsed (and refused with
 * the message the client sees), the status and stats answers built, and
 * the config's "control" section. */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "airlock/config.h"
#include "airlock/control.h"

#define BASE "\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 5300}, {\"address\": \"::1\", \"port\": 53}]," \
	     "\"upstreams\": [{\"address\": \"127.0.0.1\", \"port\": 5301}]," \
	     "\"zones\": [{\"name\": \"app\", \"cidrs\": [\"10.0.1.0/24\"]}, {\"name\": \"data\", \"cidrs\": [\"10.0.3.0/24\"]}]"

static int parse(const char *line, struct al_control_cmd *cmd, struct al_err *err)
{
	return al_control_parse(line, strlen(line), cmd, err);
}

static void test_control_parses_each_command(void **state)
{
	static const struct {
		const char *line;
		enum al_control_op op;
	} cases[] = {
		{ "status", AL_CTL_STATUS },
		{ "stats", AL_CTL_STATS },
		{ "  reload \r", AL_CTL_RELOAD },
		{ "flush-cache", AL_CTL_FLUSH_CACHE },
		{ "flush-log\r", AL_CTL_FLUSH_LOG },
	};
	struct al_control_cmd cmd;
	struct al_err err;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &cmd, &err), 0);
		assert_int_equal(cmd.op, cases[i].op);
		assert_int_equal(cmd.name_len, 0);
	}
}

static void test_control_flush_cache_takes_a_name_in_wire_form(void **state)
{
	struct al_control_cmd cmd;
	struct al_err err;
	(void)state;

	assert_int_equal(parse("flush-cache Example.COM.", &cmd, &err), 0);
	assert_int_equal(cmd.op, AL_CTL_FLUSH_CACHE);
	assert_int_equal(cmd.name_len, 13);
	assert_memory_equal(cmd.name, "\007example\003com\000", 13);
	assert_int_equal(parse("flush-cache\tb.example", &cmd, &err), 0);
	assert_int_equal(cmd.name_len, 11);
	assert_memory_equal(cmd.name, "\001b\007example\000", 11);
}

static void test_control_rejects_unknown_command_naming_the_known(void **state)
{
	struct al_control_cmd cmd;
	struct al_err err;
	(void)state;

	assert_int_equal(parse("restart now", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown command \"restart\"; expected status|stats|reload|flush-cache|flush-log");
	assert_int_equal(parse("STATUS", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown command \"STATUS\"; expected status|stats|reload|flush-cache|flush-log");
	assert_int_equal(parse(" \r", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "empty command; expected status|stats|reload|flush-cache|flush-log");
}

static void test_control_rejects_bad_arguments(void **state)
{
	struct al_control_cmd cmd;
	struct al_err err;
	(void)state;

	assert_int_equal(parse("stats all", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "stats takes no argument (saw \"all\")");
	assert_int_equal(parse("flush-cache a.example b.example", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "flush-cache: too many arguments (expected at most one name)");
	assert_int_equal(parse("flush-cache a..example", &cmd, &err), -EINVAL);
	assert_string_equal(err.msg, "flush-cache: \"a..example\" is not a domain name (expected e.g. example.com)");
	assert_int_equal(al_control_parse("status\0x", 8, &cmd, &err), -EINVAL);
}

static void test_control_error_json_is_ok_false_with_the_message(void **state)
{
	cJSON *o = al_control_error_json("bad \"thing\"");
	char *text;
	(void)state;

	assert_non_null(o);
	text = cJSON_PrintUnformatted(o);
	assert_string_equal(text, "{\"ok\":false,\"error\":\"bad \\\"thing\\\"\"}");
	cJSON_free(text);
	cJSON_Delete(o);
}

static void test_control_stats_json_has_every_counter_and_the_log(void **state)
{
	struct al_stats s;
	struct al_qlog_stats q;
	cJSON *o, *l;
	int n = 0;
	(void)state;

	memset(&s, 0, sizeof(s));
	s.queries = 42;
	s.cache_hits = 7;
	s.send_errors = 1;
	o = al_control_stats_json(&s, NULL);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
	assert_int_equal(cJSON_GetObjectItem(o, "queries")->valuedouble, 42);
	assert_int_equal(cJSON_GetObjectItem(o, "cache_hits")->valuedouble, 7);
	assert_int_equal(cJSON_GetObjectItem(o, "send_errors")->valuedouble, 1);
	assert_int_equal(cJSON_GetObjectItem(o, "servfail")->valuedouble, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "query_log")));
	/* ok, every counter, query_log */
#define COUNT(name, help) n++;
	AL_STATS_FIELDS(COUNT)
#undef COUNT
	assert_int_equal(cJSON_GetArraySize(o), n + 2);
	cJSON_Delete(o);

	memset(&q, 0, sizeof(q));
	q.written = 1000;
	q.dropped = 3;
	q.gap_rows = 1;
	q.write_errors = 2;
	q.queued = 5;
	o = al_control_stats_json(&s, &q);
	l = cJSON_GetObjectItem(o, "query_log");
	assert_true(cJSON_IsObject(l));
	assert_int_equal(cJSON_GetObjectItem(l, "written")->valuedouble, 1000);
	assert_int_equal(cJSON_GetObjectItem(l, "dropped")->valuedouble, 3);
	assert_int_equal(cJSON_GetObjectItem(l, "gap_rows")->valuedouble, 1);
	assert_int_equal(cJSON_GetObjectItem(l, "write_errors")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(l, "queued")->valuedouble, 5);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(l, "failing")));
	cJSON_Delete(o);
}

static void test_control_status_json_describes_the_daemon(void **state)
{
	struct al_control_facts f;
	struct al_config *cfg;
	struct al_err err;
	char *text;
	cJSON *o;
	(void)state;

	assert_int_equal(al_config_parse("{" BASE "}", "/etc/airlock/a.json", &cfg, &err), 0);
	memset(&f, 0, sizeof(f));
	f.version = "9.9.9";
	f.pid = 4242;
	f.uptime_s = 61;
	f.threads = 2;
	f.listen = cfg->listen;
	f.nlisten = cfg->nlisten;
	f.log_path = "/var/lib/airlock/log.db";
	f.log_writing = true;
	f.ready = true;
	o = al_control_status_json(cfg, &f);
	text = cJSON_PrintUnformatted(o);
	assert_string_equal(text,
			    "{\"ok\":true,\"version\":\"9.9.9\",\"pid\":4242,\"uptime_s\":61,"
			    "\"config\":\"/etc/airlock/a.json\",\"zones\":2,\"zone_names\":[\"app\",\"data\"],"
			    "\"threads\":2,\"listen\":[\"127.0.0.1:5300\",\"[::1]:53\"],"
			    "\"upstreams\":[\"127.0.0.1:5301\"],\"log_path\":\"/var/lib/airlock/log.db\","
			    "\"log_writing\":true,\"ready\":true}");
	cJSON_free(text);
	cJSON_Delete(o);
	f.log_path = NULL;
	f.log_writing = false;
	o = al_control_status_json(cfg, &f);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "log_path")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "log_writing")));
	cJSON_Delete(o);
	al_config_unref(cfg);
}

static void test_config_control_section(void **state)
{
	struct al_config *cfg;
	struct al_err err;
	struct group *g = getgrgid(getgid());
	char text[1024];
	(void)state;

	assert_int_equal(al_config_parse("{" BASE "}", "/etc/airlock/a.json", &cfg, &err), 0);
	assert_null(cfg->control_path);
	al_config_unref(cfg);
	/* Relative to the config's directory; mode 0660 unless given. */
	assert_int_equal(al_config_parse("{" BASE ", \"control\": {\"path\": \"run/c.sock\"}}",
					 "/etc/airlock/a.json", &cfg, &err), 0);
	assert_string_equal(cfg->control_path, "/etc/airlock/run/c.sock");
	assert_int_equal(cfg->control_mode, 0660);
	assert_null(cfg->control_group);
	al_config_unref(cfg);
	assert_non_null(g);
	snprintf(text, sizeof(text), "{" BASE ", \"control\": {\"path\": \"/run/a.sock\", \"mode\": \"600\", \"group\": \"%s\"}}",
		 g->gr_name);
	assert_int_equal(al_config_parse(text, "a.json", &cfg, &err), 0);
	assert_int_equal(cfg->control_mode, 0600);
	assert_string_equal(cfg->control_group, g->gr_name);
	assert_int_equal(cfg->control_gid, getgid());
	al_config_unref(cfg);
}

static void test_config_control_rejects_bad_values(void **state)
{
	static const struct {
		const char *section, *msg;
	} cases[] = {
		{ "{\"mode\": \"0660\"}", "a.json: control.path: missing (expected the socket's file name, e.g. \"/run/airlock/control.sock\")" },
		{ "{\"path\": \"/run/a.sock\", \"mode\": \"0860\"}",
		  "a.json: control.mode: \"0860\" is not a permission mode (expected an octal string such as \"0660\" or \"0600\")" },
		{ "{\"path\": \"/run/a.sock\", \"mode\": 660}",
		  "a.json: control.mode: 660 is not a permission mode (expected an octal string such as \"0660\" or \"0600\")" },
		{ "{\"path\": \"/run/a.sock\", \"mode\": \"01777\"}",
		  "a.json: control.mode: \"01777\" is not a permission mode (expected an octal string such as \"0660\" or \"0600\")" },
		{ "{\"path\": \"/run/a.sock\", \"group\": \"no-such-group-airlock\"}",
		  "a.json: control.group: no group \"no-such-group-airlock\" on this host (expected an existing group, e.g. \"airlock\": create it or name another)" },
		{ "{\"path\": \"/run/a.sock\", \"owner\": \"x\"}", NULL },
		{ "{\"path\": \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"}",
		  "a.json: control.path: \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\" is 120 bytes long (expected at most 107: the limit of a unix socket path; use a shorter one)" },
	};
	struct al_config *cfg;
	struct al_err err;
	char text[1024];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{" BASE ", \"control\": %s}", cases[i].section);
		assert_int_equal(al_config_parse(text, "a.json", &cfg, &err), -EINVAL);
		if (cases[i].msg)
			assert_string_equal(err.msg, cases[i].msg);
		else
			assert_non_null(strstr(err.msg, "control"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_parses_each_command),
		cmocka_unit_test(test_control_flush_cache_takes_a_name_in_wire_form),
		cmocka_unit_test(test_control_rejects_unknown_command_naming_the_known),
		cmocka_unit_test(test_control_rejects_bad_arguments),
		cmocka_unit_test(test_control_error_json_is_ok_false_with_the_message),
		cmocka_unit_test(test_control_stats_json_has_every_counter_and_the_log),
		cmocka_unit_test(test_control_status_json_describes_the_daemon),
		cmocka_unit_test(test_config_control_section),
		cmocka_unit_test(test_config_control_rejects_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
