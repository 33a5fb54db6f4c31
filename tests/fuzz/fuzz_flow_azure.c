/* The Azure NSG and VNet flow log parser (src/flow_azure.c): see flow.c for what
 * is fed and asserted. */
#include "flow.h"
#include "fuzz.h"

FUZZ_TARGET(fuzz_flow_azure)
{
	return fuzz_flow_run(&al_flow_azure_ops, data, size);
}
