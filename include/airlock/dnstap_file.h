/* dnstap to a file that is never truncated.  fstrm's own file writer
 * truncates its file at every open, and it opens again after a write
 * error (a full disk): what was written before would be lost.  This one
 * creates a new file at each open instead (O_EXCL: it never writes into
 * a file it did not create).  What is already at the path is moved out
 * of the way first: a regular file of more than 64 bytes (it may hold
 * data frames) or a symbolic link is renamed to PATH.YYYYMMDDTHHMMSSZ
 * (with .1, .2, ... when that name is taken; never over an existing
 * name), a smaller regular file (nothing worth keeping: at most a START
 * frame) is unlinked, and a directory or device is an error.  So every
 * file is one whole Frame Streams stream that dnstap readers read, and
 * nothing written is lost.  A file cut short by a write error lacks the
 * closing STOP frame: readers still get every frame in it. */
#ifndef AIRLOCK_DNSTAP_FILE_H
#define AIRLOCK_DNSTAP_FILE_H

struct fstrm_writer;
struct fstrm_writer_options;

/* The writer for path (copied), with wopt's content type.  It opens the
 * file when fstrm opens the writer (in its I/O thread).  NULL when out of
 * memory. */
struct fstrm_writer *al_dnstap_file_writer(const char *path, const struct fstrm_writer_options *wopt);

#endif
