/* See schema_v1.h. */
#include "schema_v1.h"

const char test_schema_v1[] =
	"CREATE TABLE queries (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, client TEXT NOT NULL, client_port INTEGER NOT NULL, zone TEXT NOT NULL, transport TEXT NOT NULL, qname TEXT NOT NULL, qtype INTEGER NOT NULL, rcode INTEGER NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL, upstream TEXT NOT NULL, latency_us INTEGER NOT NULL);"
	"CREATE INDEX queries_ts ON queries(ts_us);"
	"CREATE INDEX queries_client_ts ON queries(client, ts_us);"
	"CREATE INDEX queries_qname ON queries(qname);"
	"CREATE TABLE answers (query_id INTEGER NOT NULL REFERENCES queries(id) ON DELETE CASCADE, name TEXT NOT NULL, type INTEGER NOT NULL, data TEXT NOT NULL, ttl INTEGER NOT NULL);"
	"CREATE INDEX answers_data ON answers(data);"
	"CREATE INDEX answers_query ON answers(query_id);"
	"CREATE TABLE incidents (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL, zone TEXT NOT NULL, client TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL, query_id INTEGER REFERENCES queries(id) ON DELETE SET NULL);"
	"CREATE INDEX incidents_ts ON incidents(ts_us);"
	"CREATE INDEX incidents_kind_ts ON incidents(kind, ts_us);"
	"CREATE TABLE log_gaps (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, first_lost_us INTEGER NOT NULL, last_lost_us INTEGER NOT NULL, rows_lost INTEGER NOT NULL, cause TEXT NOT NULL);"
	"PRAGMA user_version = 1;";
