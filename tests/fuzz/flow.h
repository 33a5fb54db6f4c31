/* The flow log harnesses' common part: see flow.c. */
#ifndef AIRLOCK_FUZZ_FLOW_H
#define AIRLOCK_FUZZ_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/flowparse.h"

int fuzz_flow_run(const struct al_flowparser_ops *ops, const uint8_t *data, size_t size);

#endif
