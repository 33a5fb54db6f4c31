/* Operational messages to stderr (journald adds its own timestamps; we add
 * ours for plain terminals).  Thread-safe: one fprintf per line. */
#ifndef AIRLOCK_LOG_H
#define AIRLOCK_LOG_H

enum al_log_level { AL_LOG_ERR, AL_LOG_WARN, AL_LOG_INFO, AL_LOG_DEBUG };

void al_log_set_level(enum al_log_level level);
void al_log(enum al_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define al_err(...) al_log(AL_LOG_ERR, __VA_ARGS__)
#define al_warn(...) al_log(AL_LOG_WARN, __VA_ARGS__)
#define al_info(...) al_log(AL_LOG_INFO, __VA_ARGS__)
#define al_debug(...) al_log(AL_LOG_DEBUG, __VA_ARGS__)

#endif
