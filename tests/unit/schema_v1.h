/* Test fixture: the query log's schema version 1 as airlock wrote it,
 * frozen here (not taken from the migrations) so that upgrade and
 * read-old-file tests start from what old files really hold. */
#ifndef TEST_SCHEMA_V1_H
#define TEST_SCHEMA_V1_H

extern const char test_schema_v1[];

#endif
