/* stderr logging with a level threshold set once at start-up. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "airlock/log.h"

static enum al_log_level threshold = AL_LOG_INFO;

void al_log_set_level(enum al_log_level level)
{
	threshold = level;
}

void al_log(enum al_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ airlockd[%s]: %s\n", stamp, ts.tv_nsec / 1000000,
		names[level], line);
}
