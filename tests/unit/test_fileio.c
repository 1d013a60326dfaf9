// SPDX-License-Identifier: GPL-2.0-only
/* lib/fileio.h: the one read-a-whole-file (web config, TLS files, container
 * runtime state), the one write loop (top's terminal, export) and the
 * recorder's reads and writes at an offset (pread_all, pwrite_all). The limit
 * is exact: web_config's own copy let files of up to 8 MiB through while
 * saying 4 MiB. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/fileio.h"

struct dir {
	char path[64];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/cgscope-fileio-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void dir_remove(struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

/* A file of n bytes 'a'..'z' over and over. */
static void make_file(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *buf = malloc(n ? n : 1);

	assert_true(fd >= 0);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(write_all(fd, buf, n), 0);
	free(buf);
	close(fd);
}

static int read_path(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), r;

	if (fd < 0)
		return -errno;
	r = read_file_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

static void test_whole_file_nul_terminated(void **state)
{
	struct dir d;
	char path[128], *buf = NULL;
	size_t len = 0;

	(void)state;
	dir_make(&d);
	snprintf(path, sizeof(path), "%s/f", d.path);
	/* Sizes around the buffer's doublings and the limit itself. */
	for (size_t n = 0; n <= 70000; n = n ? n * 2 + 1 : 1) {
		make_file(path, n);
		assert_int_equal(read_path(path, 70000, &buf, &len), 0);
		assert_int_equal(len, n);
		assert_int_equal(buf[len], '\0');
		for (size_t i = 0; i < n; i++)
			if (buf[i] != (char)('a' + i % 26))
				fail_msg("byte %zu of %zu", i, n);
		free(buf);
	}
	dir_remove(&d);
}

static void test_limit_exact(void **state)
{
	struct dir d;
	char path[128], *buf = NULL;
	size_t len = 0;

	(void)state;
	dir_make(&d);
	snprintf(path, sizeof(path), "%s/f", d.path);
	make_file(path, 4u << 20);
	assert_int_equal(read_path(path, 4u << 20, &buf, &len), 0);
	assert_int_equal(len, 4u << 20);
	free(buf);
	make_file(path, (4u << 20) + 1);
	buf = NULL;
	assert_int_equal(read_path(path, 4u << 20, &buf, &len), -EFBIG);
	assert_null(buf);
	/* Between 4 and 8 MiB: what web_config's own loop let through. */
	make_file(path, 6u << 20);
	assert_int_equal(read_path(path, 4u << 20, &buf, &len), -EFBIG);
	dir_remove(&d);
}

/* A file that reads past its fstat size (procfs says 0) still stops at
 * the limit. */
static void test_limit_past_stat_size(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(read_path("/proc/self/status", 1u << 20, &buf, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
	buf = NULL;
	assert_int_equal(read_path("/proc/self/status", 10, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void test_not_files(void **state)
{
	struct dir d;
	char path[128], *buf = NULL;
	size_t len = 0;

	(void)state;
	dir_make(&d);
	assert_int_equal(read_path(d.path, 1024, &buf, &len), -EISDIR);
	snprintf(path, sizeof(path), "%s/fifo", d.path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_path(path, 1024, &buf, &len), -EINVAL);
	assert_int_equal(read_path("/dev/null", 1024, &buf, &len), -EINVAL);
	snprintf(path, sizeof(path), "%s/none", d.path);
	assert_int_equal(read_path(path, 1024, &buf, &len), -ENOENT);
	assert_null(buf);
	dir_remove(&d);
}

static void test_write_all_errors(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(write_all(-1, "x", 1), -EBADF);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(write_all(-1, "", 0), 0);	/* nothing to write */
}

/* The recorder's reads and writes at an offset (record/store.c): all of it
 * or an error, the file's own offset left where it was, and a file that
 * ends early an error of its own, never a short buffer taken for whole. */
static void test_pread_pwrite_all(void **state)
{
	char path[96], buf[32];
	struct dir d;
	int fd, p[2];

	(void)state;
	dir_make(&d);
	snprintf(path, sizeof(path), "%s/f", d.path);
	make_file(path, 26);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	assert_int_equal(pwrite_all(fd, "XYZ", 3, 24), 0);	/* past the end: grows */
	assert_int_equal(pread_all(fd, buf, 5, 22), 0);
	assert_memory_equal(buf, "wxXYZ", 5);
	assert_int_equal(pread_all(fd, buf, 27, 0), 0);
	assert_memory_equal(buf, "abcdefghijklmnopqrstuvwxXYZ", 27);
	assert_int_equal(pread_all(fd, buf, 2, 26), -ENODATA);	/* one byte, then the end */
	assert_int_equal(pread_all(fd, buf, 1, 27), -ENODATA);
	assert_int_equal(pread_all(fd, buf, 0, 1000), 0);	/* nothing to read */
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 3);
	close(fd);
	assert_int_equal(pread_all(-1, buf, 1, 0), -EBADF);
	assert_int_equal(pwrite_all(-1, "x", 1, 0), -EBADF);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pwrite_all(p[1], "x", 1, 0), -ESPIPE);
	assert_int_equal(pread_all(p[0], buf, 1, 0), -ESPIPE);
	close(p[0]);
	close(p[1]);
	dir_remove(&d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_file_nul_terminated),
		cmocka_unit_test(test_limit_exact),
		cmocka_unit_test(test_limit_past_stat_size),
		cmocka_unit_test(test_not_files),
		cmocka_unit_test(test_write_all_errors),
		cmocka_unit_test(test_pread_pwrite_all),
	};

	return UNIT_RUN("fileio", tests, argc, argv);
}
