// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "collect/fd_table.h"
#include "lib/privileges.h"

struct fd_table {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int keep_fd;
	int init_err;		/* 1 until the thread has set up its table */
	bool quit;
	void (*fn)(void *arg);	/* posted work; NULL when done */
	void *arg;
};

/* Closes every inherited descriptor but 0-2 and keep: a copy of an accepted
 * connection left here would keep it open after the server closed it. */
static int close_inherited(int keep)
{
	if (keep > 3 && close_range(3, (unsigned)keep - 1, 0) < 0)
		return -errno;
	if (close_range(keep < 3 ? 3 : (unsigned)keep + 1, ~0u, 0) < 0)
		return -errno;
	return 0;
}

static void *table_main(void *arg)
{
	struct fd_table *t = arg;
	sigset_t all;
	int r = 0;

	/* Signals belong to the collection loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_NAME, "cgscope-fds", 0, 0, 0);
	/* It reads world-readable cgroup files: none of the capabilities the
	 * thread that started it may have kept (lib/privileges.h). */
	if (unshare(CLONE_FILES) < 0)
		r = -errno;
	else if ((r = close_inherited(t->keep_fd)) == 0)
		r = privileges_drop_thread();

	pthread_mutex_lock(&t->lock);
	t->init_err = r;
	pthread_cond_broadcast(&t->cond);
	while (r == 0 && !t->quit) {
		if (t->fn) {
			pthread_mutex_unlock(&t->lock);
			t->fn(t->arg);
			pthread_mutex_lock(&t->lock);
			t->fn = NULL;
			pthread_cond_broadcast(&t->cond);
			continue;
		}
		pthread_cond_wait(&t->cond, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int fd_table_new(int keep_fd, struct fd_table **ret)
{
	struct fd_table *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->keep_fd = keep_fd;
	t->init_err = 1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	r = pthread_create(&t->thread, NULL, table_main, t);
	if (r) {
		free(t);
		return -r;
	}
	pthread_mutex_lock(&t->lock);
	while (t->init_err == 1)
		pthread_cond_wait(&t->cond, &t->lock);
	r = t->init_err;
	pthread_mutex_unlock(&t->lock);
	if (r < 0) {
		pthread_join(t->thread, NULL);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void fd_table_run(struct fd_table *t, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&t->lock);
	t->fn = fn;
	t->arg = arg;
	pthread_cond_broadcast(&t->cond);
	while (t->fn)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void fd_table_free(struct fd_table *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->quit = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
