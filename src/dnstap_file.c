/* dnstap to a file, never truncated: see dnstap_file.h.  The methods run
 * in fstrm's I/O thread. */
#include <errno.h>
#include <fcntl.h>
#include <fstrm.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "airlock/dnstap_file.h"
#include "airlock/log.h"

#define MAX_SUFFIX 1000 /* PATH.STAMP.1 .. .999 before giving up on a name */
/* A file this small holds at most the START frame (42 bytes for dnstap's
 * content type), no data: nothing to keep.  So on a full disk, where a
 * new file gets at most its START frame, the retries (every second) do
 * not leave a file each behind. */
#define NOTHING_TO_KEEP 64

struct dfile {
	char *path;
	int fd;
	int last_errno; /* of the last failure, logged once until it changes or writing works */
};

/* An open or a write that failed: fstrm drops frames and opens a new file
 * a second later, over and over while the disk is full, so the error is
 * logged once, not every second. */
static void failed(struct dfile *f, const char *what, int e)
{
	if (e != f->last_errno)
		al_err("dnstap file %s: cannot %s (%s): frames are dropped until it works, tried every second",
		       f->path, what, strerror(e));
	f->last_errno = e;
}

/* Renames what is at f->path to PATH.STAMP (or PATH.STAMP.N), never over
 * a name that exists, even one created meanwhile.  0, or an errno. */
static int keep_earlier(struct dfile *f)
{
	char stamp[32], kept[PATH_MAX];
	struct tm tm;
	time_t now = time(NULL);
	int i, n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < MAX_SUFFIX; i++) {
		n = i ? snprintf(kept, sizeof(kept), "%s.%s.%d", f->path, stamp, i)
		      : snprintf(kept, sizeof(kept), "%s.%s", f->path, stamp);
		if (n < 0 || (size_t)n >= sizeof(kept))
			return ENAMETOOLONG;
		if (renameat2(AT_FDCWD, f->path, AT_FDCWD, kept, RENAME_NOREPLACE) == 0) {
			al_info("dnstap file %s: the earlier one is kept as %s", f->path, kept);
			return 0;
		}
		if (errno != EEXIST)
			return errno;
	}
	return EEXIST;
}

/* Makes way for a new file at f->path: a regular file too small to hold
 * a data frame is removed (the name only: whoever still has it open
 * keeps what it wrote), a bigger one or a symbolic link is kept under
 * another name, anything else is left alone.  0, or an errno. */
static int make_way(struct dfile *f)
{
	struct stat sb;

	if (lstat(f->path, &sb) < 0)
		return errno == ENOENT ? 0 : errno;
	if (S_ISREG(sb.st_mode) && sb.st_size <= NOTHING_TO_KEEP)
		return unlink(f->path) < 0 && errno != ENOENT ? errno : 0;
	if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode))
		return keep_earlier(f);
	return S_ISDIR(sb.st_mode) ? EISDIR : EEXIST;
}

/* Creates a new file, never opening one that is there: were it another
 * writer's, or not dnstap at all, truncating it would destroy it. */
static fstrm_res on_open(void *obj)
{
	struct dfile *f = obj;
	int e, again = 0;

	while ((f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
		e = errno;
		if (e != EEXIST || again++) {
			failed(f, "create it", e);
			return fstrm_res_failure;
		}
		if ((e = make_way(f)) != 0) {
			failed(f, "move the earlier file aside", e);
			return fstrm_res_failure;
		}
	}
	return fstrm_res_success;
}

static fstrm_res on_close(void *obj)
{
	struct dfile *f = obj;
	int rc = 0;

	if (f->fd >= 0)
		rc = close(f->fd);
	f->fd = -1;
	return rc == 0 ? fstrm_res_success : fstrm_res_failure;
}

/* Writes all of p, n bytes.  0, or an errno. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static fstrm_res on_write(void *obj, const struct iovec *iov, int iovcnt)
{
	struct dfile *f = obj;
	int i = 0, e = 0;

	while (i < iovcnt && !e) {
		ssize_t w = writev(f->fd, iov + i, iovcnt - i > IOV_MAX ? IOV_MAX : iovcnt - i);
		size_t done;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		done = (size_t)w;
		while (i < iovcnt && done >= iov[i].iov_len)
			done -= iov[i++].iov_len;
		if (done) { /* a short write ended inside iov[i] */
			e = write_all(f->fd, (const char *)iov[i].iov_base + done, iov[i].iov_len - done);
			i++;
		}
	}
	if (e) { /* the next open keeps what this file holds: see make_way */
		failed(f, "write", e);
		return fstrm_res_failure;
	}
	if (f->last_errno)
		al_info("dnstap file %s: writing again", f->path);
	f->last_errno = 0;
	return fstrm_res_success;
}

static fstrm_res on_destroy(void *obj)
{
	struct dfile *f = obj;

	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
	return fstrm_res_success;
}

struct fstrm_writer *al_dnstap_file_writer(const char *path, const struct fstrm_writer_options *wopt)
{
	struct dfile *f = calloc(1, sizeof(*f));
	struct fstrm_rdwr *rdwr;
	struct fstrm_writer *w;

	if (!f || !(f->path = strdup(path))) {
		free(f);
		return NULL;
	}
	f->fd = -1;
	if (!(rdwr = fstrm_rdwr_init(f))) {
		on_destroy(f);
		return NULL;
	}
	fstrm_rdwr_set_destroy(rdwr, on_destroy);
	fstrm_rdwr_set_open(rdwr, on_open);
	fstrm_rdwr_set_close(rdwr, on_close);
	fstrm_rdwr_set_write(rdwr, on_write);
	w = fstrm_writer_init(wopt, &rdwr);
	if (!w && rdwr)
		fstrm_rdwr_destroy(&rdwr);
	return w;
}
