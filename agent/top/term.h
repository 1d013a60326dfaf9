/* SPDX-License-Identifier: GPL-2.0-only */
/* The terminal of an interactive `cgscope top`: keys without Enter or echo,
 * the alternate screen, and a terminal given back as it was found on every
 * way out: a normal exit, Ctrl-C, SIGTERM, SIGHUP, and a crash (SIGSEGV,
 * SIGABRT, SIGBUS, SIGFPE, SIGILL), which then still ends the process with
 * its signal. Plain termios and ANSI sequences, as systemd-cgtop does. */
#ifndef CGSCOPE_TERM_H
#define CGSCOPE_TERM_H

#include <stdbool.h>
#include <stddef.h>

/* Takes over the terminal on fds 0 and 1. -ENOTTY if either is not one. */
int term_open(void);
/* Gives it back; safe to call twice, and from atexit. */
void term_close(void);

/* Rows and columns; 24x80 if the terminal does not say. */
void term_size(unsigned *ret_rows, unsigned *ret_cols);

/* Draws a frame from the top left corner. 0 or -errno. */
int term_draw(const char *buf, size_t len);

enum {
	TERM_KEY = 1,			/* a key is in *ret_key */
	TERM_RESIZE = 2,		/* the window changed size: redraw */
	TERM_QUIT = 4,			/* SIGINT, SIGTERM or SIGHUP */
};

/* Keys that come as escape sequences: the arrows and Page Up, Page Down. */
enum {
	TERM_KEY_UP = 0x101, TERM_KEY_DOWN, TERM_KEY_RIGHT, TERM_KEY_LEFT,
	TERM_KEY_PGUP, TERM_KEY_PGDN,
};

/* Waits up to timeout_ms (-1: forever) for a key or a signal; returns a
 * mask of TERM_* (0 on timeout) or -errno. Keys are bytes, or TERM_KEY_*;
 * other escape sequences (function keys) come as TERM_KEY with key 0. */
int term_wait(int timeout_ms, int *ret_key);

#endif
