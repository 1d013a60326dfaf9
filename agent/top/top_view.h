/* SPDX-License-Identifier: GPL-2.0-only */
/* What `cgscope top` draws: which rows, in what order (a sorted tree or a
 * sorted flat list, depth and path filters), and one frame of text made
 * from them. Pure functions over rows: no terminal, no clock, so that unit
 * tests call exactly what the terminal and batch modes call. */
#ifndef CGSCOPE_TOP_VIEW_H
#define CGSCOPE_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "top/top_events.h"
#include "top/top_rows.h"

enum top_sort {
	TOP_SORT_PATH, TOP_SORT_TASKS, TOP_SORT_CPU, TOP_SORT_MEMORY, TOP_SORT_IO,
	TOP_SORT_THROTTLE, TOP_SORT_PRESSURE, TOP_SORT_OOM, TOP_SORT_NETWORK, TOP_SORT_NR
};

/* The --sort names: path, tasks, cpu, memory, io, throttle, pressure, oom,
 * network. */
extern const char *const top_sort_names[TOP_SORT_NR];
int top_sort_parse(const char *name, enum top_sort *ret);

struct top_view {
	enum top_sort sort;
	bool reverse;			/* against the key's own order */
	bool flat;			/* full paths in one list; else a tree */
	int max_depth;			/* -1: any */
	const char *filter;		/* a substring of the path; NULL or "": none */
	/* Pods and containers by name instead of their cgroup's path, where
	 * the name is known: a pod's cgroup as "NAMESPACE/POD", a container's
	 * as its name in a tree ("NAMESPACE/POD/NAME" in a flat list), a
	 * sandbox's as "(sandbox)". The filter then matches names too. */
	bool names;
};

/* The indexes of the rows to show, in display order, into ret (room for n);
 * returns how many. Unknown values sort last whatever the direction; ties
 * go by path. In a tree, siblings are sorted and a row that matches the
 * filter brings its ancestors along, so that it keeps its place. */
int top_view_order(const struct top_view *v, const struct top_row *rows, size_t n,
		   size_t *ret);

/* Everything a frame shows besides the rows' order. */
struct top_frame {
	const char *host, *kernel;
	const char *source;		/* the cgroup root, or the agent's URL */
	const char *when;		/* a replay: the time of the cycle shown; NULL live */
	const struct top_row *rows;
	size_t n;
	uint64_t interval_ms;
	const struct top_events *events;
	const char *events_source;	/* "derived from snapshots", "agent", ... */
	bool events_live;		/* BPF events from an agent */
	const char *status;		/* a line for errors or the filter prompt; NULL */
};

struct top_render_opts {
	unsigned width, height;		/* 0: no limit (batch): nothing is cut */
	bool ansi;			/* colours and clear-to-end-of-line for a terminal */
	bool raw;			/* bytes and rates as plain integers */
	/* Events shown: the newest, at most events_max, of those added after
	 * events_after (struct top_events.added at the previous frame). */
	size_t events_max;
	uint64_t events_after;
};

/* Appends one frame: two header lines, a status line, the column titles,
 * the rows, and the events pane. 0 or -ENOMEM. */
int top_render(const struct top_frame *f, const struct top_view *v,
	       const struct top_render_opts *o, struct strbuf *sb);

#endif
