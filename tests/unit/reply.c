/* ldns-built replies and queries for the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "reply.h"

static size_t to_wire(ldns_pkt *pkt, uint8_t *out, size_t cap)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	assert_true(len <= cap);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(pkt);
	return len;
}

static ldns_pkt *start(uint16_t id, const char *qname, uint16_t qtype)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rdf *owner = ldns_dname_new_frm_str(qname);
	ldns_rr *q = ldns_rr_new();

	assert_non_null(pkt);
	assert_non_null(owner);
	ldns_rr_set_owner(q, owner);
	ldns_rr_set_type(q, (ldns_rr_type)qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_rd(pkt, true);
	return pkt;
}

size_t test_reply(uint8_t *out, size_t cap, uint16_t id, const char *qname,
		  uint16_t qtype, int rcode, int edns, const char *const *rrs)
{
	ldns_pkt *pkt = start(id, qname, qtype);

	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	for (; rrs && *rrs; rrs++) {
		ldns_rr *rr = NULL;
		ldns_pkt_section sec = strncmp(*rrs, "AN ", 3) == 0 ? LDNS_SECTION_ANSWER
				       : strncmp(*rrs, "NS ", 3) == 0 ? LDNS_SECTION_AUTHORITY
								      : LDNS_SECTION_ADDITIONAL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, *rrs + 3, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, sec, rr);
	}
	if (edns)
		ldns_pkt_set_edns_udp_size(pkt, 1232);
	return to_wire(pkt, out, cap);
}

size_t test_query(uint8_t *out, size_t cap, uint16_t id, const char *qname,
		  uint16_t qtype, int edns, int do_bit)
{
	ldns_pkt *pkt = start(id, qname, qtype);

	if (edns) {
		ldns_pkt_set_edns_udp_size(pkt, (uint16_t)edns);
		ldns_pkt_set_edns_do(pkt, do_bit != 0);
	}
	return to_wire(pkt, out, cap);
}

size_t test_name(uint8_t *out, size_t cap, const char *text)
{
	ldns_rdf *name = ldns_dname_new_frm_str(text);
	size_t len;

	assert_non_null(name);
	len = ldns_rdf_size(name);
	assert_true(len <= cap);
	memcpy(out, ldns_rdf_data(name), len);
	ldns_rdf_deep_free(name);
	return len;
}
