/* Test helper: builds DNS replies with ldns, an implementation independent
 * of ours, so the wire code is checked against someone else's encoder. */
#ifndef TEST_REPLY_H
#define TEST_REPLY_H

#include <stddef.h>
#include <stdint.h>

/* rrs: NULL-terminated, each "AN|NS|AR <zone-file RR>", e.g.
 * "AN www.example. 300 IN A 192.0.2.1".  edns: add an OPT RR.
 * Returns the wire length (fails the test on error). */
size_t test_reply(uint8_t *out, size_t cap, uint16_t id, const char *qname,
		  uint16_t qtype, int rcode, int edns, const char *const *rrs);
/* A name ("www.example.") in wire form; returns its length. */
size_t test_name(uint8_t *out, size_t cap, const char *text);
/* A query for qname/qtype with optional EDNS (size, DO). */
size_t test_query(uint8_t *out, size_t cap, uint16_t id, const char *qname,
		  uint16_t qtype, int edns, int do_bit);

#endif
