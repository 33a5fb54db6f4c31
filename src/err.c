/* Error text for struct al_err. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "airlock/err.h"

int al_err_set(struct al_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}
