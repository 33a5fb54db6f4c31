/* The AWS VPC flow log parser (src/flow_aws.c): see flow.c for what
 * is fed and asserted. */
#include "flow.h"
#include "fuzz.h"

FUZZ_TARGET(fuzz_flow_aws)
{
	return fuzz_flow_run(&al_flow_aws_ops, data, size);
}
