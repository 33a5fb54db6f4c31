/* Rows on stdout for people (an aligned table) and for programs (JSON
 * lines, CSV).  Table cells are shown with control characters as '?', so a
 * logged name or detail cannot move the cursor or break the alignment. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_out {
	enum cli_format fmt;
	const struct cli_col *cols;
	size_t ncols;
	FILE *fp;
	char **cells; /* table: nrows * ncols, owned */
	size_t nrows, cap;
};

static void csv_field(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void csv_row(struct cli_out *o, const char *const *cells)
{
	size_t i;

	for (i = 0; i < o->ncols; i++) {
		if (i)
			fputc(',', o->fp);
		csv_field(o->fp, cells[i]);
	}
	fputs("\r\n", o->fp);
}

struct cli_out *cli_out_new(enum cli_format fmt, const struct cli_col *cols, size_t ncols,
			    FILE *fp)
{
	struct cli_out *o = calloc(1, sizeof(*o));
	const char *names[32];
	size_t i;

	if (!o || ncols > sizeof(names) / sizeof(names[0])) {
		free(o);
		return NULL;
	}
	o->fmt = fmt;
	o->cols = cols;
	o->ncols = ncols;
	o->fp = fp;
	if (fmt == CLI_CSV) {
		for (i = 0; i < ncols; i++)
			names[i] = cols[i].name;
		csv_row(o, names);
	}
	return o;
}

/* A copy of s with control characters (and DEL) as '?'. */
static char *printable(const char *s)
{
	char *c = strdup(s), *p;

	for (p = c; p && *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return c;
}

int cli_out_row(struct cli_out *o, const char *const *cells)
{
	size_t i;

	if (o->fmt == CLI_CSV) {
		csv_row(o, cells);
		return 0;
	}
	if (o->nrows == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		char **v = realloc(o->cells, cap * o->ncols * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->cells = v;
		o->cap = cap;
	}
	for (i = 0; i < o->ncols; i++) {
		char *c = printable(cells[i]);

		if (!c) {
			while (i--)
				free(o->cells[o->nrows * o->ncols + i]);
			return -ENOMEM;
		}
		o->cells[o->nrows * o->ncols + i] = c;
	}
	o->nrows++;
	return 0;
}

int cli_out_json(struct cli_out *o, const cJSON *obj)
{
	char *line = cJSON_PrintUnformatted(obj);

	if (!line)
		return -ENOMEM;
	fprintf(o->fp, "%s\n", line);
	cJSON_free(line);
	return 0;
}

/* Characters on screen: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void table_row(struct cli_out *o, const char *const *cells, const size_t *widths)
{
	size_t i, pad, last = 0;

	/* Nothing after the last non-empty cell: no trailing blanks. */
	for (i = 0; i < o->ncols; i++)
		if (cells[i][0])
			last = i;
	for (i = 0; i <= last; i++) {
		pad = widths[i] - width(cells[i]);
		if (i)
			fputs("  ", o->fp);
		if (o->cols[i].right)
			fprintf(o->fp, "%*s", (int)pad, "");
		fputs(cells[i], o->fp);
		if (!o->cols[i].right && i < last)
			fprintf(o->fp, "%*s", (int)pad, "");
	}
	fputc('\n', o->fp);
}

static void print_table(struct cli_out *o)
{
	size_t widths[32], r, i;
	const char *names[32];

	for (i = 0; i < o->ncols; i++) {
		names[i] = o->cols[i].name;
		widths[i] = width(names[i]);
	}
	for (r = 0; r < o->nrows; r++)
		for (i = 0; i < o->ncols; i++) {
			size_t w = width(o->cells[r * o->ncols + i]);

			if (w > widths[i])
				widths[i] = w;
		}
	table_row(o, names, widths);
	for (r = 0; r < o->nrows; r++)
		table_row(o, (const char *const *)&o->cells[r * o->ncols], widths);
}

int cli_out_end(struct cli_out *o)
{
	if (o->fmt == CLI_TABLE)
		print_table(o);
	if (fflush(o->fp) != 0 || ferror(o->fp))
		return -EIO;
	return 0;
}

void cli_out_free(struct cli_out *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nrows * o->ncols; i++)
		free(o->cells[i]);
	free(o->cells);
	free(o);
}
