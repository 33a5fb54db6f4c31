/* Multi-row INSERTs for the query log's writer: see rowbuf.h. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/rowbuf.h"

struct cell {
	int64_t i;
	uint16_t off, len; /* text: its bytes in the row's text */
	uint8_t text;      /* 1: text, else the integer i */
};

struct al_rowbuf {
	sqlite3_stmt *many; /* AL_ROWBUF_ROWS rows */
	sqlite3_stmt *one;
	int ncols;
	int nrows; /* complete rows held */
	int col;   /* values of the row being added */
	size_t used; /* text bytes of the row being added */
	struct cell cells[AL_ROWBUF_ROWS][AL_ROWBUF_COLS];
	char text[AL_ROWBUF_ROWS][AL_ROWBUF_TEXT];
};

/* "INSERT INTO table (cols) VALUES (?,...),(?,...)" with rows groups. */
static char *insert_sql(const char *table, const char *cols, int ncols, int rows)
{
	size_t len = strlen(table) + strlen(cols) + 32 + (size_t)rows * ((size_t)ncols * 2 + 3);
	char *sql = malloc(len), *p;
	int r, c;

	if (!sql)
		return NULL;
	p = sql + snprintf(sql, len, "INSERT INTO %s (%s) VALUES ", table, cols);
	for (r = 0; r < rows; r++) {
		*p++ = r ? ',' : ' ';
		*p++ = '(';
		for (c = 0; c < ncols; c++) {
			if (c)
				*p++ = ',';
			*p++ = '?';
		}
		*p++ = ')';
	}
	*p = '\0';
	return sql;
}

static int prepare(sqlite3 *db, const char *table, const char *cols, int ncols, int rows,
		   sqlite3_stmt **st)
{
	char *sql = insert_sql(table, cols, ncols, rows);
	int rc;

	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -EIO;
	free(sql);
	return rc;
}

struct al_rowbuf *al_rowbuf_new(sqlite3 *db, const char *table, const char *cols, int ncols,
				struct al_err *err)
{
	struct al_rowbuf *rb;
	int rc;

	assert(ncols > 0 && ncols <= AL_ROWBUF_COLS);
	if (!(rb = calloc(1, sizeof(*rb)))) {
		al_err_set(err, "out of memory");
		return NULL;
	}
	rb->ncols = ncols;
	if ((rc = prepare(db, table, cols, ncols, AL_ROWBUF_ROWS, &rb->many)) == 0)
		rc = prepare(db, table, cols, ncols, 1, &rb->one);
	if (rc < 0) {
		al_err_set(err, "%s", rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
		al_rowbuf_free(rb);
		return NULL;
	}
	return rb;
}

void al_rowbuf_free(struct al_rowbuf *rb)
{
	if (!rb)
		return;
	sqlite3_finalize(rb->many);
	sqlite3_finalize(rb->one);
	free(rb);
}

static struct cell *next_cell(struct al_rowbuf *rb)
{
	assert(rb->nrows < AL_ROWBUF_ROWS && rb->col < rb->ncols);
	return &rb->cells[rb->nrows][rb->col++];
}

void al_rowbuf_int(struct al_rowbuf *rb, int64_t v)
{
	struct cell *c = next_cell(rb);

	c->text = 0;
	c->i = v;
}

void al_rowbuf_text(struct al_rowbuf *rb, const char *s)
{
	struct cell *c = next_cell(rb);
	size_t room = AL_ROWBUF_TEXT - rb->used - 1; /* the row's last NUL is spare */
	size_t len = strnlen(s, room);

	c->text = 1;
	c->off = (uint16_t)rb->used;
	c->len = (uint16_t)len;
	memcpy(rb->text[rb->nrows] + rb->used, s, len);
	rb->used += len;
}

/* Binds row r to st's parameters from the first one; steps it when it
 * is the statement's last row.  Returns 0 or -EIO. */
static int bind_row(struct al_rowbuf *rb, sqlite3_stmt *st, int r, int first, int last)
{
	const struct cell *c = rb->cells[r];
	int k, rc = SQLITE_OK;

	for (k = 0; k < rb->ncols && rc == SQLITE_OK; k++)
		rc = c[k].text ? sqlite3_bind_text(st, first + k, rb->text[r] + c[k].off, c[k].len, SQLITE_STATIC)
			       : sqlite3_bind_int64(st, first + k, c[k].i);
	if (rc != SQLITE_OK)
		return -EIO;
	if (!last)
		return 0;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int al_rowbuf_end(struct al_rowbuf *rb)
{
	int r, rc = 0;

	assert(rb->col == rb->ncols);
	rb->col = 0;
	rb->used = 0;
	if (++rb->nrows < AL_ROWBUF_ROWS)
		return 0;
	for (r = 0; r < AL_ROWBUF_ROWS && rc == 0; r++)
		rc = bind_row(rb, rb->many, r, 1 + r * rb->ncols, r + 1 == AL_ROWBUF_ROWS);
	al_rowbuf_clear(rb);
	return rc;
}

int al_rowbuf_flush(struct al_rowbuf *rb)
{
	int r, rc = 0;

	for (r = 0; r < rb->nrows && rc == 0; r++)
		rc = bind_row(rb, rb->one, r, 1, 1);
	al_rowbuf_clear(rb);
	return rc;
}

void al_rowbuf_clear(struct al_rowbuf *rb)
{
	rb->nrows = 0;
	rb->col = 0;
	rb->used = 0;
}
