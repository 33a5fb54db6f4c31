/* The GCP VPC flow log parser (src/flow_gcp.c): see flow.c for what
 * is fed and asserted. */
#include "flow.h"
#include "fuzz.h"

FUZZ_TARGET(fuzz_flow_gcp)
{
	return fuzz_flow_run(&al_flow_gcp_ops, data, size);
}
