/* How a subcommand reports a usage error: one line naming the command, what
 * is wrong and the argument, then its usage. */
#include <stdio.h>

#include "cli.h"

int cli_usage_error(const char *cmd, void (*usage)(FILE *fp), int status, const char *what, const char *arg)
{
	fprintf(stderr, "airlock %s: %s%s%s%s\n", cmd, what, arg ? " \"" : "", arg ? arg : "", arg ? "\"" : "");
	usage(stderr);
	return status;
}
