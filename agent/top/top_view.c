// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top/top_view.h"
#include "lib/utf8.h"
#include "lib/macros.h"

const char *const top_sort_names[TOP_SORT_NR] = {
	[TOP_SORT_PATH] = "path", [TOP_SORT_TASKS] = "tasks", [TOP_SORT_CPU] = "cpu",
	[TOP_SORT_MEMORY] = "memory", [TOP_SORT_IO] = "io",
	[TOP_SORT_THROTTLE] = "throttle", [TOP_SORT_PRESSURE] = "pressure",
	[TOP_SORT_OOM] = "oom", [TOP_SORT_NETWORK] = "network",
};

int top_sort_parse(const char *name, enum top_sort *ret)
{
	for (int i = 0; i < TOP_SORT_NR; i++) {
		if (!strcmp(name, top_sort_names[i])) {
			*ret = (enum top_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* --- order ------------------------------------------------------------- */

struct order_ctx {
	const struct top_view *v;
	const struct top_row *rows;
};

static double io_total(const struct top_row *r)
{
	if (isnan(r->io_read))
		return r->io_write;
	return isnan(r->io_write) ? r->io_read : r->io_read + r->io_write;
}

/* Both rates are known, or neither. */
static double net_total(const struct top_row *r)
{
	return r->net_rx + r->net_tx;
}

/* Unknown values go last in either direction, so a reversed sort does not
 * fill the screen with dashes. */
static int cmp_double(double a, double b, bool reverse)
{
	if (isnan(a) || isnan(b))
		return CMP(isnan(a), isnan(b));
	return reverse ? CMP(a, b) : CMP(b, a);
}

static int cmp_u64(uint64_t a, uint64_t b, bool reverse)
{
	if (a == TOP_NA || b == TOP_NA)
		return CMP(a == TOP_NA, b == TOP_NA);
	return reverse ? CMP(a, b) : CMP(b, a);
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct order_ctx *ctx = arg;
	const struct top_row *a = &ctx->rows[*(const size_t *)pa];
	const struct top_row *b = &ctx->rows[*(const size_t *)pb];
	bool rev = ctx->v->reverse;
	int r = 0;

	switch (ctx->v->sort) {
	case TOP_SORT_PATH:
		r = strcmp(a->path, b->path);
		return rev ? -r : r;
	case TOP_SORT_TASKS:
		r = cmp_u64(a->tasks, b->tasks, rev);
		break;
	case TOP_SORT_CPU:
		r = cmp_double(a->cpu_pct, b->cpu_pct, rev);
		break;
	case TOP_SORT_MEMORY:
		r = cmp_u64(a->mem, b->mem, rev);
		break;
	case TOP_SORT_IO:
		r = cmp_double(io_total(a), io_total(b), rev);
		break;
	case TOP_SORT_THROTTLE:
		r = cmp_double(a->throttled_pct, b->throttled_pct, rev);
		break;
	case TOP_SORT_PRESSURE:
		r = cmp_double(a->psi_mem, b->psi_mem, rev);
		break;
	case TOP_SORT_OOM:
		r = cmp_u64(a->oom_kills, b->oom_kills, rev);
		break;
	case TOP_SORT_NETWORK:
		r = cmp_double(net_total(a), net_total(b), rev);
		break;
	case TOP_SORT_NR:
		break;
	}
	return r ? r : strcmp(a->path, b->path);
}

static bool depth_ok(const struct top_view *v, const struct top_row *r)
{
	return v->max_depth < 0 || r->depth <= (uint32_t)v->max_depth;
}

static bool filter_ok(const struct top_view *v, const struct top_row *r)
{
	if (!v->filter || !v->filter[0] || strstr(r->path, v->filter))
		return true;
	return v->names && r->pod && (strstr(r->namespace_, v->filter) ||
				      strstr(r->pod, v->filter) || strstr(r->container, v->filter));
}

/* Pushes the children of p so that the first of them pops first. */
static void push_children(const size_t *first, const size_t *next, size_t p,
			  size_t *stack, size_t *sp)
{
	size_t cnt = 0, c;

	for (c = first[p]; c != SIZE_MAX; c = next[c])
		cnt++;
	c = first[p];
	for (size_t k = 0; k < cnt; k++, c = next[c])
		stack[*sp + cnt - 1 - k] = c;
	*sp += cnt;
}

int top_view_order(const struct top_view *v, const struct top_row *rows, size_t n,
		   size_t *ret)
{
	struct order_ctx ctx = { v, rows };
	size_t *first = NULL, *next = NULL, *stack = NULL, nvis = 0, out = 0, sp = 0;
	bool *keep = calloc(n ? n : 1, sizeof(*keep));
	int r = -ENOMEM;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keep[i] = depth_ok(v, &rows[i]) && filter_ok(v, &rows[i]);
	/* Parents come before children: one backward pass brings every
	 * ancestor of a match along. */
	if (!v->flat)
		for (size_t i = n; i-- > 0;)
			if (keep[i] && rows[i].parent < n)
				keep[rows[i].parent] = true;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			ret[nvis++] = i;
	qsort_r(ret, nvis, sizeof(*ret), cmp_rows, &ctx);
	if (v->flat) {
		free(keep);
		return (int)nvis;
	}

	/* The tree: children lists in sorted order, then a depth-first walk. */
	first = malloc((n + 1) * sizeof(*first));
	next = malloc((n + 1) * sizeof(*next));
	stack = malloc((nvis + 1) * sizeof(*stack));
	if (!first || !next || !stack)
		goto out;
	for (size_t i = 0; i <= n; i++)
		first[i] = next[i] = SIZE_MAX;
	/* Slot n is the parent of the tops (the root, or orphans whose parent
	 * is not shown). Backwards, so that prepending keeps sorted order. */
	for (size_t k = nvis; k-- > 0;) {
		size_t i = ret[k], p = rows[i].parent < n && keep[rows[i].parent] ? rows[i].parent : n;

		next[i] = first[p];
		first[p] = i;
	}
	push_children(first, next, n, stack, &sp);
	while (sp) {
		size_t i = stack[--sp];

		ret[out++] = i;
		push_children(first, next, i, stack, &sp);
	}
	r = (int)out;
out:
	free(first);
	free(next);
	free(stack);
	free(keep);
	return r;
}

/* --- render ------------------------------------------------------------ */

/* One line of the frame: visible characters are counted and cut at limit;
 * escape sequences are added only for a terminal. */
struct line {
	struct strbuf *sb;
	unsigned col, limit;		/* limit 0: none */
	bool ansi;
};

/* Cgroup names are bytes chosen by whoever made the cgroup: bytes that are
 * not UTF-8, and U+FFFD, are written with lib/utf8.h's escape, as the page
 * and the JSON write them; a control character (C0, DEL, C1) is a '?', so
 * that a name cannot send escape sequences to the terminal. A character
 * counts as one column. */
static void put(struct line *l, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		char esc[6];
		size_t len = 1, e = u[i] < 0x80 ? 0 : utf8_escape_at(u + i, n - i, esc, &len);
		bool ctl = u[i] < 0x20 || u[i] == 0x7f || (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0);

		if (l->limit && l->col >= l->limit)
			return;
		if (e) {
			/* Three columns for U+FFFD and its hex digits, two for
			 * a doubled U+FFFD: cut at the limit like the rest. */
			for (size_t k = 0; k < e && (!l->limit || l->col < l->limit);) {
				size_t cl = (unsigned char)esc[k] >= 0x80 ? 3 : 1;

				sb_append(l->sb, esc + k, cl);
				k += cl;
				l->col++;
			}
			i += len;
			continue;
		}
		if (ctl)
			sb_putc(l->sb, '?');
		else
			sb_append(l->sb, s + i, len);
		i += len;
		l->col++;
	}
}

/* The columns put() gives to the character or byte at u: one, or the
 * escape's (U+FFFD and two hex digits: 3; a doubled U+FFFD: 2). *ret_len:
 * the bytes of s it stands for. */
static size_t unit_cols(const unsigned char *u, size_t n, size_t *ret_len)
{
	char esc[6];
	size_t e;

	*ret_len = 1;
	e = u[0] < 0x80 ? 0 : utf8_escape_at(u, n, esc, ret_len);
	return e == 5 ? 3 : e == 6 ? 2 : 1;
}

static size_t cols_of(const char *s, size_t n)
{
	size_t c = 0, len;

	for (size_t i = 0; i < n; i += len)
		c += unit_cols((const unsigned char *)s + i, n - i, &len);
	return c;
}

/* Where s is cut after k columns: the longest start of s that takes at
 * most k (at_least false), or the shortest that takes at least k. */
static const char *cut_cols(const char *s, size_t k, bool at_least)
{
	size_t n = strlen(s), i = 0, c = 0, len;

	while (i < n) {
		size_t uc = unit_cols((const unsigned char *)s + i, n - i, &len);

		if (c >= k || (!at_least && c + uc > k))
			break;
		c += uc;
		i += len;
	}
	return s + i;
}

static void puts_l(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void esc(struct line *l, const char *seq)
{
	if (l->ansi)
		sb_puts(l->sb, seq);
}

static void pad(struct line *l, unsigned n)
{
	while (n--)
		put(l, " ", 1);
}

/* Right-aligned in w columns, or longer if it must. */
static void cell(struct line *l, const char *s, unsigned w)
{
	size_t n = strlen(s);

	put(l, " ", 1);
	if (n < w)
		pad(l, (unsigned)(w - n));
	put(l, s, n);
}

static void end_line(struct line *l)
{
	esc(l, "\033[m\033[K");
	sb_putc(l->sb, '\n');
	l->col = 0;
}

static void fmt_u64(char *buf, size_t size, uint64_t v)
{
	if (v == TOP_NA)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static void fmt_pct(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, v >= 999.95 ? "%.0f" : "%.1f", v);
}

/* 1024-based, as systemd-cgtop prints: 548.0K, 28.6M. */
static void fmt_bytes(char *buf, size_t size, double v, bool raw)
{
	static const char units[] = "BKMGTPE";
	int u = 0;

	if (isnan(v)) {
		snprintf(buf, size, "-");
		return;
	}
	if (raw) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0fB", v);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

static void fmt_interval(char *buf, size_t size, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	else if (ms < 1000)
		snprintf(buf, size, "%" PRIu64 "ms", ms);
	else
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
}

enum col { C_TASKS, C_CPU, C_THR, C_MEM, C_MAXPCT, C_PSI, C_READ, C_WRITE, C_RX, C_TX,
	   C_OOM, C_HIGH, C_MAX, C_NR };

static const struct {
	const char *title;
	unsigned width, raw_width;
	enum top_sort sort;		/* TOP_SORT_NR: not a sort key */
} cols[C_NR] = {
	[C_TASKS] = { "Tasks", 6, 6, TOP_SORT_TASKS },
	[C_CPU] = { "%CPU", 6, 6, TOP_SORT_CPU },
	[C_THR] = { "%Thr", 5, 5, TOP_SORT_THROTTLE },
	[C_MEM] = { "Memory", 8, 12, TOP_SORT_MEMORY },
	[C_MAXPCT] = { "%Max", 5, 5, TOP_SORT_NR },
	[C_PSI] = { "PSI-M", 6, 6, TOP_SORT_PRESSURE },
	[C_READ] = { "Read/s", 8, 11, TOP_SORT_IO },
	[C_WRITE] = { "Write/s", 8, 11, TOP_SORT_IO },
	[C_RX] = { "Rx/s", 8, 11, TOP_SORT_NETWORK },
	[C_TX] = { "Tx/s", 8, 11, TOP_SORT_NETWORK },
	[C_OOM] = { "OOM", 5, 5, TOP_SORT_OOM },
	[C_HIGH] = { "High+", 6, 6, TOP_SORT_NR },
	[C_MAX] = { "Max+", 5, 5, TOP_SORT_NR },
};

static unsigned col_width(enum col c, bool raw)
{
	return raw ? cols[c].raw_width : cols[c].width;
}

/* What the path column shows: the whole path in a flat list, the last
 * component indented by depth in a tree; with names, who runs there. buf
 * holds what is made for the row. */
static const char *display_path(const struct top_view *v, const struct top_row *r,
				char *buf, size_t size, unsigned *ret_indent)
{
	const char *slash;

	*ret_indent = v->flat || r->depth == 0 ? 0 : 2 * r->depth;
	if (v->names && r->pod && r->pod[0]) {
		bool container = r->container[0] || r->image[0];
		const char *what = r->container[0] ? r->container : "(sandbox)";

		if (container && !v->flat)
			snprintf(buf, size, "%s", what);
		else if (container)
			snprintf(buf, size, "%s/%s/%s", r->namespace_, r->pod, what);
		else
			snprintf(buf, size, "%s/%s", r->namespace_, r->pod);
		return buf;
	}
	if (v->flat || r->depth == 0)
		return r->path;
	slash = strrchr(r->path, '/');
	return slash && slash[1] ? slash + 1 : r->path;
}

static void path_cell(struct line *l, const struct top_view *v, const struct top_row *r,
		      unsigned w)
{
	char buf[1024];
	unsigned indent;
	const char *p = display_path(v, r, buf, sizeof(buf), &indent);
	size_t n = cols_of(p, strlen(p));

	if (indent >= w)
		indent = w > 4 ? w - 4 : 0;
	pad(l, indent);
	w -= indent;
	if (n <= w) {
		puts_l(l, p);
		pad(l, (unsigned)(w - n));
	} else if (v->flat) {
		/* The end of a long path tells cgroups apart: cut the front. */
		const char *rest = cut_cols(p, n - (w - 3), true);

		put(l, "...", 3);
		puts_l(l, rest);
		pad(l, (unsigned)(w - 3 - cols_of(rest, strlen(rest))));
	} else {
		const char *cut = cut_cols(p, w - 3, false);

		put(l, p, (size_t)(cut - p));
		put(l, "...", 3);
		pad(l, (unsigned)(w - 3 - cols_of(p, (size_t)(cut - p))));
	}
}

static void row_line(struct line *l, const struct top_view *v, const struct top_row *r,
		     unsigned pathw, bool raw)
{
	char b[C_NR][40];

	fmt_u64(b[C_TASKS], sizeof(b[0]), r->tasks);
	fmt_pct(b[C_CPU], sizeof(b[0]), r->cpu_pct);
	fmt_pct(b[C_THR], sizeof(b[0]), r->throttled_pct);
	fmt_bytes(b[C_MEM], sizeof(b[0]), r->mem == TOP_NA ? NAN : (double)r->mem, raw);
	if (raw && r->mem != TOP_NA)
		fmt_u64(b[C_MEM], sizeof(b[0]), r->mem);	/* exact above 2^53 */
	fmt_pct(b[C_MAXPCT], sizeof(b[0]), r->mem_pct);
	if (isnan(r->psi_mem))
		snprintf(b[C_PSI], sizeof(b[0]), "-");
	else
		snprintf(b[C_PSI], sizeof(b[0]), "%.2f", r->psi_mem);
	fmt_bytes(b[C_READ], sizeof(b[0]), r->io_read, raw);
	fmt_bytes(b[C_WRITE], sizeof(b[0]), r->io_write, raw);
	fmt_bytes(b[C_RX], sizeof(b[0]), r->net_rx, raw);
	fmt_bytes(b[C_TX], sizeof(b[0]), r->net_tx, raw);
	fmt_u64(b[C_OOM], sizeof(b[0]), r->oom_kills);
	fmt_u64(b[C_HIGH], sizeof(b[0]), r->high_new);
	fmt_u64(b[C_MAX], sizeof(b[0]), r->max_new);

	path_cell(l, v, r, pathw);
	for (int c = 0; c < C_NR; c++) {
		bool fresh_oom = c == C_OOM && r->oom_new != TOP_NA && r->oom_new > 0;

		if (fresh_oom) {
			/* An OOM kill since the last refresh: red on a
			 * terminal, a star in plain text. */
			if (l->ansi) {
				esc(l, "\033[1;41;37m");
			} else {
				size_t k = strlen(b[C_OOM]);
				snprintf(b[C_OOM] + k, sizeof(b[0]) - k, "*");
			}
		}
		cell(l, b[c], col_width((enum col)c, raw));
		if (fresh_oom)
			esc(l, "\033[m");
	}
}

static void header_line(struct line *l, const struct top_view *v, unsigned pathw, bool raw)
{
	esc(l, "\033[7m");
	put(l, "Path", 4);
	pad(l, pathw - 4);
	for (int c = 0; c < C_NR; c++) {
		bool sorted = cols[c].sort == v->sort;

		if (sorted)
			esc(l, "\033[1;4m");
		cell(l, cols[c].title, col_width((enum col)c, raw));
		if (sorted)
			esc(l, "\033[22;24m");
	}
	/* The reverse bar runs to the edge of the terminal. */
	if (l->ansi && l->limit > l->col)
		pad(l, l->limit - l->col);
}

static void event_line(struct line *l, const struct top_event *e)
{
	char ts[16] = "--:--:--";
	time_t t = (time_t)(e->ts_ms / 1000);
	struct tm tm;
	char type[40];

	if (e->ts_ms > 0 && localtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	puts_l(l, ts);
	snprintf(type, sizeof(type), "  %-10s", e->type);
	if (!strcmp(e->type, "oom_kill"))
		esc(l, "\033[1;31m");
	puts_l(l, type);
	esc(l, "\033[m");
	put(l, " ", 1);
	puts_l(l, e->path);
	if (e->detail[0]) {
		put(l, "  ", 2);
		puts_l(l, e->detail);
	}
}

/* The two lines that say what is shown, and the status line: errors, the
 * filter, the keys. Batch frames have a status line only when there is
 * something to say. */
static void title_lines(struct line *l, const struct top_frame *f, const struct top_view *v,
			const struct top_render_opts *o)
{
	struct top_totals tot;
	char t[512], cpu[32], mem[32], iv[32];

	top_totals(f->rows, f->n, &tot);
	esc(l, "\033[1m");
	puts_l(l, "cgscope top");
	esc(l, "\033[m");
	snprintf(t, sizeof(t), "  host %s  kernel %s  %s %s", f->host ? f->host : "?",
		 f->kernel ? f->kernel : "?", f->when && f->when[0] ? "recording" : "root",
		 f->source ? f->source : "?");
	puts_l(l, t);
	if (f->when && f->when[0]) {
		esc(l, "\033[1m");
		puts_l(l, "  replay at ");
		puts_l(l, f->when);
		esc(l, "\033[m");
	}
	end_line(l);

	fmt_pct(cpu, sizeof(cpu), tot.cpu_pct);
	fmt_bytes(mem, sizeof(mem), tot.mem == TOP_NA ? NAN : (double)tot.mem, o->raw);
	fmt_interval(iv, sizeof(iv), f->interval_ms);
	snprintf(t, sizeof(t), "%zu cgroup%s  CPU %s%s  memory %s  refresh %s  sort %s%s  %s  depth ",
		 tot.cgroups, tot.cgroups == 1 ? "" : "s", cpu, isnan(tot.cpu_pct) ? "" : "%", mem, iv,
		 top_sort_names[v->sort], v->reverse ? " (reversed)" : "", v->flat ? "flat" : "tree");
	puts_l(l, t);
	if (v->max_depth < 0)
		snprintf(t, sizeof(t), "any");
	else
		snprintf(t, sizeof(t), "%d", v->max_depth);
	puts_l(l, t);
	puts_l(l, "  ");
	puts_l(l, f->events_source ? f->events_source : "events: unavailable");
	end_line(l);

	if (f->status || (v->filter && v->filter[0]) || o->height) {
		if (f->status) {
			puts_l(l, f->status);
		} else if (v->filter && v->filter[0]) {
			puts_l(l, "filter: ");
			puts_l(l, v->filter);
		}
		end_line(l);
	}
}

int top_render(const struct top_frame *f, const struct top_view *v,
	       const struct top_render_opts *o, struct strbuf *sb)
{
	struct line l = { .sb = sb, .limit = o->width, .ansi = o->ansi };
	size_t *order = malloc((f->n ? f->n : 1) * sizeof(*order));
	unsigned numw = 0, pathw = 4, avail = 0, pane = 0;
	size_t nshow, total, new_events = 0, nev = 0;
	int r;

	if (!order)
		return -ENOMEM;
	r = top_view_order(v, f->rows, f->n, order);
	if (r < 0) {
		free(order);
		return r;
	}
	nshow = total = (size_t)r;

	for (int c = 0; c < C_NR; c++)
		numw += 1 + col_width((enum col)c, o->raw);
	for (size_t k = 0; k < nshow; k++) {
		char buf[1024];
		unsigned indent;
		const char *p = display_path(v, &f->rows[order[k]], buf, sizeof(buf), &indent);
		size_t len = cols_of(p, strlen(p)) + indent;

		if (len > pathw)
			pathw = len > 4096 ? 4096 : (unsigned)len;
	}
	if (o->width) {
		unsigned room = o->width > numw + 12 ? o->width - numw : 12;

		if (pathw > room)
			pathw = room;
	}

	if (f->events) {
		const struct top_events *ev = f->events;

		new_events = ev->added > o->events_after ? (size_t)(ev->added - o->events_after) : 0;
		if (new_events > ev->n)
			new_events = ev->n;
		nev = new_events < o->events_max ? new_events : o->events_max;
	}
	if (o->height) {
		/* Four lines of header; the events pane takes a quarter of
		 * the rest (at most 8 lines), the rows what is left. */
		avail = o->height > 4 ? o->height - 4 : 0;
		pane = avail >= 12 ? (avail / 4 < 8 ? avail / 4 : 8) : avail >= 6 ? 2 : 0;
		if (pane && nev > pane - 1)
			nev = pane - 1;
		avail -= pane;
		/* The last line says how many did not fit. */
		if (nshow > avail)
			nshow = avail ? avail - 1 : 0;
	}

	title_lines(&l, f, v, o);
	header_line(&l, v, pathw, o->raw);
	end_line(&l);
	for (size_t k = 0; k < nshow; k++) {
		row_line(&l, v, &f->rows[order[k]], pathw, o->raw);
		end_line(&l);
	}
	if (nshow < total && avail) {
		char t[96];

		snprintf(t, sizeof(t), "... %zu more (/ filters, < shows fewer levels)", total - nshow);
		puts_l(&l, t);
		end_line(&l);
		nshow++;
	}
	/* The events pane stays at the bottom of a terminal. */
	for (size_t k = nshow; o->height && k < avail; k++)
		end_line(&l);

	if (!o->height || pane) {
		if (!o->height)
			end_line(&l);
		esc(&l, "\033[1m");
		if (!f->events) {
			puts_l(&l, "Events: unavailable");
		} else if (!new_events && !o->height) {
			puts_l(&l, "Events: none new");
		} else {
			puts_l(&l, "Events");
		}
		esc(&l, "\033[m");
		end_line(&l);
		/* Oldest first, as a log reads. */
		for (size_t k = nev; k-- > 0;) {
			event_line(&l, top_events_recent(f->events, k));
			end_line(&l);
		}
		for (size_t k = nev + 1; k < pane; k++)
			end_line(&l);
	}
	/* A terminal frame must not end in a newline: it would scroll. */
	if (o->height && sb->len && sb->buf[sb->len - 1] == '\n')
		sb->buf[--sb->len] = '\0';
	if (o->ansi)
		sb_puts(sb, "\033[J");
	free(order);
	return sb_error(sb);
}
