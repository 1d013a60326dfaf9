// SPDX-License-Identifier: GPL-2.0-only
/* The migration generator of make bench: forks one child that sleeps, then
 * moves it between two cgroups N times, alternately, by writing its pid to
 * each cgroup's held cgroup.procs descriptor. Each write is one real
 * migration (the child is never written into the cgroup it is in), so N
 * writes make N cgroup_attach_task events: N/2 (rounded up) into A, the rest
 * into B. The first write moves the child from this process's cgroup into A.
 *
 *   migrate CG_A CG_B N [RATE]
 *
 * RATE: migrations per second, 0 or absent = as fast as the machine goes.
 * Paced, each migration waits for its due time (t0 + i / RATE): no bursts,
 * so a small ring buffer sees the rate, not the pacing's granularity; late,
 * it goes on at once until it has caught up.
 *
 * Prints one JSON object: migrations done, wall seconds, rate, and the CPU
 * time of this process (the kernel's migration work, BPF programs on the
 * attach tracepoint included, is charged to the writer). Exits non-zero when
 * a write fails. The child is killed and reaped before the exit; it also
 * dies with this process (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int open_procs(const char *cg)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "migrate: %s: %s\n", path, strerror(errno));
	return fd;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	char pidbuf[32];
	int fds[2], len, status, rc = 0;
	unsigned long long n, i = 0;
	double rate = 0, t0, t1, slept = 0;
	struct rusage ru0, ru1;
	pid_t parent = getpid(), child;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: migrate CG_A CG_B N [RATE]\n");
		return 2;
	}
	n = strtoull(argv[3], NULL, 10);
	if (argc == 5)
		rate = strtod(argv[4], NULL);
	fds[0] = open_procs(argv[1]);
	fds[1] = open_procs(argv[2]);
	if (fds[0] < 0 || fds[1] < 0)
		return 1;
	/* Sleeps of a few microseconds, not the default 50 us of slack. */
	prctl(PR_SET_TIMERSLACK, 1UL);

	child = fork();
	if (child < 0) {
		perror("migrate: fork");
		return 1;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			pause();
	}
	len = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)child);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (rate > 0) {
			double due = t0 + (double)i / rate;
			double t = now_s();

			if (due > t) {
				sleep_until(due);
				slept += now_s() - t;
			}
		}
		if (write(fds[i & 1], pidbuf, len) != len) {
			fprintf(stderr, "migrate: write %d into %s: %s\n", (int)child,
				argv[1 + (i & 1)], strerror(errno));
			rc = 1;
			break;
		}
	}
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru1);

	kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	printf("{\"migrations\": %llu, \"seconds\": %.6f, \"rate\": %.1f, \"target_rate\": %.1f,"
	       " \"user_s\": %.6f, \"sys_s\": %.6f, \"slept_s\": %.6f, \"child\": %d}\n",
	       i, t1 - t0, t1 > t0 ? (double)i / (t1 - t0) : 0.0, rate,
	       tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime), tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime),
	       slept, (int)child);
	return rc;
}
