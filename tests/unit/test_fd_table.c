// SPDX-License-Identifier: GPL-2.0-only
/* Descriptor tables of their own: a table's descriptors do not count against
 * the caller's RLIMIT_NOFILE, and a table keeps no copy of the caller's. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/fd_table.h"

struct opener {
	int fds[100];
	int n;
	int keep_flags;		/* fcntl(F_GETFD) of the kept descriptor there */
	int probe_flags;	/* and of a descriptor the caller opened after */
	int probe_fd;
	int keep_fd;
};

static int open_until_full(int *fds, int max)
{
	int n = 0;

	while (n < max && (fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		n++;
	return n;
}

static void fill(void *arg)
{
	struct opener *o = arg;

	o->keep_flags = fcntl(o->keep_fd, F_GETFD);
	o->probe_flags = fcntl(o->probe_fd, F_GETFD);
	o->n = open_until_full(o->fds, 100);
}

static void close_all(void *arg)
{
	struct opener *o = arg;

	for (int i = 0; i < o->n; i++)
		close(o->fds[i]);
}

static void test_own_table(void **state)
{
	struct rlimit old, low = { 64, 0 };
	struct fd_table *t;
	struct opener in_table = { .n = 0 }, here = { .n = 0 };
	int keep, pipefd[2];
	char c;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(fd_table_new(keep, &t), 0);

	/* The caller closes the pipe's write end: with no copy left in the
	 * table, the read end sees end of file rather than EAGAIN. */
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 0);
	close(pipefd[0]);

	in_table.keep_fd = keep;
	in_table.probe_fd = here.probe_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(in_table.probe_fd > keep);
	fd_table_run(t, fill, &in_table);
	/* The table kept the one descriptor asked for, and nothing opened since. */
	assert_true(in_table.keep_flags >= 0);
	assert_int_equal(in_table.probe_flags, -1);
	/* Each table fills up to the limit on its own: 64 each, over 64 in all. */
	assert_true(in_table.n > 55);
	here.n = open_until_full(here.fds, 100);
	assert_true(here.n > 50);
	assert_true(in_table.n + here.n > 64);

	fd_table_run(t, close_all, &in_table);
	close_all(&here);
	close(here.probe_fd);
	close(keep);
	fd_table_free(t);
	setrlimit(RLIMIT_NOFILE, &old);
}

static void count(void *arg)
{
	(*(int *)arg)++;
}

static void test_runs_in_order(void **state)
{
	struct fd_table *t;
	int n = 0;

	(void)state;
	assert_int_equal(fd_table_new(-1, &t), 0);
	for (int i = 0; i < 1000; i++)
		fd_table_run(t, count, &n);
	assert_int_equal(n, 1000);
	fd_table_free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_table),
		cmocka_unit_test(test_runs_in_order),
	};
	return UNIT_RUN("fd_table", tests, argc, argv);
}
