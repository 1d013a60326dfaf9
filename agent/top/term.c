// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "top/term.h"
#include "lib/macros.h"
#include "lib/fileio.h"

/* The alternate screen keeps the user's scrollback as it was; the cursor is
 * hidden while frames are drawn. */
static const char enter_seq[] = "\033[?1049h\033[?25l\033[H\033[2J";
static const char leave_seq[] = "\033[m\033[?25h\033[?1049l";

static struct termios saved, raw;
static volatile sig_atomic_t active;
/* Signal handlers only write a byte here: the main loop polls it beside
 * stdin, so that no signal is lost between a check and a wait. */
static int sig_pipe[2] = { -1, -1 };
static unsigned char keys[64];
static size_t keys_pos, keys_len;

/* Async-signal-safe: write() and tcsetattr() only. */
static void leave(void)
{
	if (!active)
		return;
	active = 0;
	write_all(STDOUT_FILENO, leave_seq, sizeof(leave_seq) - 1);
	tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
}

static void enter(void)
{
	tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	write_all(STDOUT_FILENO, enter_seq, sizeof(enter_seq) - 1);
	active = 1;
}

static void notify(char what)
{
	int saved_errno = errno;

	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], &what, 1);
	errno = saved_errno;
}

/* SA_RESETHAND | SA_NODEFER: the signal raised again finds the default
 * action and ends the process as it would have, core dump included. */
static void on_crash(int sig)
{
	leave();
	raise(sig);
}

static void on_quit(int sig)
{
	(void)sig;
	notify('q');
}

static void on_winch(int sig)
{
	(void)sig;
	notify('w');
}

/* Ctrl-Z: give the shell a sane terminal while stopped, take it back on
 * SIGCONT (execution resumes here) and redraw. */
static void on_tstp(int sig)
{
	int saved_errno = errno;
	bool was = active;

	(void)sig;
	leave();
	kill(getpid(), SIGSTOP);
	if (was)
		enter();
	errno = saved_errno;
	notify('w');
}

static int handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

int term_open(void)
{
	static const int crash[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT };
	static const int quit[] = { SIGINT, SIGTERM, SIGHUP };

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return -errno;
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	raw = saved;
	/* Keys as they are typed, not echoed; ISIG stays, so Ctrl-C is a
	 * signal like anywhere else, and OPOST, so "\n" still returns. */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(crash); i++)
		handle(crash[i], on_crash, SA_RESETHAND | SA_NODEFER);
	for (size_t i = 0; i < ARRAY_SIZE(quit); i++)
		handle(quit[i], on_quit, SA_RESTART);
	handle(SIGWINCH, on_winch, SA_RESTART);
	handle(SIGTSTP, on_tstp, SA_RESTART);
	atexit(term_close);
	enter();
	return 0;
}

void term_close(void)
{
	leave();
}

void term_size(unsigned *ret_rows, unsigned *ret_cols)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*ret_rows = ws.ws_row;
		*ret_cols = ws.ws_col;
	} else {
		*ret_rows = 24;
		*ret_cols = 80;
	}
}

int term_draw(const char *buf, size_t len)
{
	static const char home[] = "\033[H";
	struct iovec iov[2] = {
		{ (void *)home, sizeof(home) - 1 }, { (void *)buf, len },
	};
	int n = 2;
	struct iovec *v = iov;

	while (n) {
		ssize_t w = writev(STDOUT_FILENO, v, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* The next key from the buffer: a byte, a TERM_KEY_* for the arrows and
 * Page Up/Down (ESC [ A, ESC O A, ESC [ 5 ~ ...), or 0 for another whole
 * escape sequence. A lone ESC is 27. */
static int next_key(void)
{
	unsigned char c = keys[keys_pos++], params[8], f = 0;
	size_t np = 0;

	if (c != 27 || keys_pos >= keys_len || (keys[keys_pos] != '[' && keys[keys_pos] != 'O'))
		return c;
	keys_pos++;
	while (keys_pos < keys_len) {
		f = keys[keys_pos++];
		if (f >= 0x40 && f <= 0x7e)
			break;
		if (np < sizeof(params))
			params[np++] = f;
		f = 0;
	}
	/* Arrows with a modifier ("1;2") are arrows still. */
	if (f >= 'A' && f <= 'D' && (np == 0 || (np >= 2 && params[0] == '1' && params[1] == ';')))
		return TERM_KEY_UP + (f - 'A');
	if (f == '~' && np == 1 && (params[0] == '5' || params[0] == '6'))
		return params[0] == '5' ? TERM_KEY_PGUP : TERM_KEY_PGDN;
	return 0;
}

int term_wait(int timeout_ms, int *ret_key)
{
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sig_pipe[0], .events = POLLIN },
	};
	int mask = 0, r;

	if (keys_pos < keys_len) {
		*ret_key = next_key();
		return TERM_KEY;
	}
	r = poll(p, 2, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[1].revents & POLLIN) {
		char b[16];
		ssize_t n;

		while ((n = read(sig_pipe[0], b, sizeof(b))) > 0)
			for (ssize_t i = 0; i < n; i++)
				mask |= b[i] == 'q' ? TERM_QUIT : TERM_RESIZE;
	}
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = read(STDIN_FILENO, keys, sizeof(keys));

		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return mask | TERM_QUIT;	/* the terminal went away */
		if (n > 0) {
			keys_pos = 0;
			keys_len = (size_t)n;
			*ret_key = next_key();
			mask |= TERM_KEY;
		}
	}
	return mask;
}
