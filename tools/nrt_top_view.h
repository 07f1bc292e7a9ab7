/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top's screen, drawn into a character grid that knows nothing of the
 * terminal: nrt-top.c copies it to ncurses (or prints it in batch mode),
 * the unit tests read it back as text. Everything is clipped to the grid,
 * whatever its size (0x0 included). Keys are handled here too, as pure
 * changes of the view's state.
 */
#ifndef NRT_TOP_VIEW_H
#define NRT_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nrt_top_snap.h"

/* What a cell looks like; nrt-top.c maps these to curses attributes. */
enum nrt_top_attr {
	NRT_TOP_A_NORMAL,
	NRT_TOP_A_BOLD,
	NRT_TOP_A_TITLE,         /* the title and key bars */
	NRT_TOP_A_HEADER,        /* table headers */
	NRT_TOP_A_SELECTED,      /* the picked device, the sort column */
	NRT_TOP_A_LOW,           /* bar fill below 50 % */
	NRT_TOP_A_MID,           /* bar fill from 50 % */
	NRT_TOP_A_HIGH,          /* bar fill from 90 % */
	NRT_TOP_A_ALERT,         /* errors, temperatures at their limit */
	NRT_TOP_A_DIM,           /* unknown values, hints */
	NRT_TOP_NATTRS
};

struct nrt_top_grid {
	int w, h;
	char *ch;                /* h rows of w characters */
	unsigned char *attr;     /* an enum nrt_top_attr per character */
};

/* Columns of the process table, in the order of sorting with 's'. */
enum nrt_top_col {
	NRT_TOP_COL_PID,
	NRT_TOP_COL_USER,
	NRT_TOP_COL_DEV,
	NRT_TOP_COL_HBM,
	NRT_TOP_COL_HOST,
	NRT_TOP_COL_CORE,
	NRT_TOP_COL_DMA,
	NRT_TOP_COL_COMMAND,
	NRT_TOP_NCOLS
};

struct nrt_top_view {
	unsigned int dev;        /* the picked device */
	enum nrt_top_col sort;
	bool reverse;            /* sort the other way than the column's default */
	bool links;              /* show the NeuronLink ports */
	bool procs;              /* show the process table */
	bool all_procs;          /* processes of every device, not the picked one */
	bool help;               /* the help screen instead of the data */
	bool batch;              /* every device, no key bar: nrt-top -b */
	double interval_s;
	const char *version;     /* shown in the title */
};

/* Keys that are not characters (nrt-top.c translates curses' KEY_*). */
enum {
	NRT_TOP_KEY_LEFT = 0x1000,
	NRT_TOP_KEY_RIGHT,
	NRT_TOP_KEY_UP,
	NRT_TOP_KEY_DOWN,
	NRT_TOP_KEY_BTAB,
	NRT_TOP_KEY_F1,
	NRT_TOP_KEY_F6,
	NRT_TOP_KEY_F10,
};

/* What a key asks of the main loop. */
enum nrt_top_action {
	NRT_TOP_REDRAW,          /* the view changed: draw again */
	NRT_TOP_IGNORED,         /* not a key of nrt-top */
	NRT_TOP_QUIT,
};

/*
 * nrt_top_grid_resize() - make @g @w columns by @h rows, blank
 * @g: grid (zeroed, or from an earlier call)
 * @w: columns; negative counts as 0
 * @h: rows; negative counts as 0
 *
 * Return: 0, or -1 if out of memory (@g is then 0x0).
 */
int nrt_top_grid_resize(struct nrt_top_grid *g, int w, int h);

/* nrt_top_grid_free() - free @g's cells; it is 0x0 afterwards */
void nrt_top_grid_free(struct nrt_top_grid *g);

/*
 * nrt_top_grid_line() - row @y as text, without trailing blanks
 * @buf: receives the text; cut to fit @size
 *
 * Return: @buf ("" for a row outside the grid).
 */
char *nrt_top_grid_line(const struct nrt_top_grid *g, int y, char *buf,
			size_t size);

/*
 * nrt_top_grid_print() - print the first @rows rows of @g as text lines
 *
 * Return: 0, or -1 if writing failed.
 */
int nrt_top_grid_print(const struct nrt_top_grid *g, int rows, FILE *out);

/*
 * nrt_top_render() - draw a snapshot
 * @g: the grid, drawn over completely
 * @s: the snapshot
 * @v: the view; @v->dev beyond the devices counts as the last one
 *
 * Return: the number of rows used (at most @g->h).
 */
int nrt_top_render(struct nrt_top_grid *g, const struct nrt_top_snap *s,
		   const struct nrt_top_view *v);

/*
 * nrt_top_render_rows() - rows a batch rendering of @s needs at most
 */
int nrt_top_render_rows(const struct nrt_top_snap *s, const struct nrt_top_view *v);

/*
 * nrt_top_view_key() - apply a key to the view
 * @v: the view
 * @key: a character, or an NRT_TOP_KEY_* value
 * @num_devs: devices in the current snapshot
 *
 * Return: what the main loop should do.
 */
enum nrt_top_action nrt_top_view_key(struct nrt_top_view *v, int key,
				     size_t num_devs);

/* nrt_top_view_init() - the view nrt-top starts with */
void nrt_top_view_init(struct nrt_top_view *v, double interval_s,
		       const char *version);

#endif /* NRT_TOP_VIEW_H */
