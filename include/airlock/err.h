/* Human-readable error text carried up to where it is printed.  Functions
 * return 0 or a negative errno code; the message explains it. */
#ifndef AIRLOCK_ERR_H
#define AIRLOCK_ERR_H

struct al_err {
	char msg[512];
};

/* Format the message (printf-style); returns -EINVAL so callers can
 * `return al_err_set(err, ...)`.  err may be NULL. */
int al_err_set(struct al_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
