/* Rows for one SQLite table, inserted AL_ROWBUF_ROWS at a time by one
 * multi-row INSERT: each statement step has a fixed cost (opening the
 * table's cursor, halting, resetting) that one row at a time pays per
 * row.  Values are copied in, so callers format into their own buffers;
 * the rows left over at the end go in one by one.  Not thread-safe: the
 * thread that owns the connection uses it. */
#ifndef AIRLOCK_ROWBUF_H
#define AIRLOCK_ROWBUF_H

#include <stdint.h>

#include <sqlite3.h>

#include "airlock/err.h"

#define AL_ROWBUF_ROWS 16  /* rows per multi-row statement */
#define AL_ROWBUF_COLS 16  /* columns per row at most */
#define AL_ROWBUF_TEXT 2048 /* text bytes per row at most, NULs included */

struct al_rowbuf;

/* A buffer for rows of `table (cols)`, e.g. "answers", "query_id, seq,
 * name"; ncols is how many names cols lists (1-AL_ROWBUF_COLS).  Returns
 * NULL with the reason in err (out of memory, or SQLite's message when
 * the statements cannot be prepared). */
struct al_rowbuf *al_rowbuf_new(sqlite3 *db, const char *table, const char *cols, int ncols,
				struct al_err *err);
void al_rowbuf_free(struct al_rowbuf *rb);

/* The next column's value of the row being added, in cols order.  Text
 * is copied (cut to what is left of the row's AL_ROWBUF_TEXT bytes). */
void al_rowbuf_int(struct al_rowbuf *rb, int64_t v);
void al_rowbuf_text(struct al_rowbuf *rb, const char *s);

/* Ends the row being added: it must have ncols values (assert).  Once
 * AL_ROWBUF_ROWS rows are complete they are inserted.  Returns 0, or
 * -EIO when the insert failed: the rows are discarded then, and the
 * caller rolls its transaction back. */
int al_rowbuf_end(struct al_rowbuf *rb);
/* Inserts the complete rows still held.  Returns 0 or -EIO (they are
 * discarded either way). */
int al_rowbuf_flush(struct al_rowbuf *rb);
/* Discards the rows held, the one being added included. */
void al_rowbuf_clear(struct al_rowbuf *rb);

#endif
