/* SPDX-License-Identifier: GPL-2.0-only */
/* Where `cgscope top` gets its snapshots and events: the local cgroupfs
 * (a collector of its own, as the agent has) or a running agent's JSON API.
 * Both give a struct snapshot, so that the rest of top has one path. */
#ifndef CGSCOPE_TOP_SOURCE_H
#define CGSCOPE_TOP_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/snapshot.h"
#include "top/top_events.h"

struct top_source;

int top_source_open_local(const char *root, struct top_source **ret);
/* A recording (an agent's --record.dir): the first fetch gives the cycle
 * at or before at_ms, the next ones what top_source_replay_move asked for.
 * -ENOENT when dir holds none. */
int top_source_open_replay(const char *dir, int64_t at_ms, struct top_source **ret);

/* What an agent behind basic auth or TLS needs, besides its URL. */
struct top_url_opts {
	const char *auth;		/* "user:password" if the URL has none; NULL */
	const char *ca_file;		/* https: the CA to trust; NULL: the system's */
	const char *cert_file, *key_file;	/* https: a client certificate; NULL */
};

/* -EINVAL if url is not an http:// or https:// URL; -ENOKEY with the
 * reason in err when the CA or client certificate cannot be used. Nothing
 * is fetched yet. Errors of fetches: -EACCES for a 401 without a user and
 * password, -EPERM for one with them, -EPROTONOSUPPORT for plain HTTP to
 * an agent that serves TLS, and http_get's. */
int top_source_open_url(const char *url, const struct top_url_opts *o,
			struct top_source **ret, char *err, size_t errsize);
void top_source_free(struct top_source *s);

/* A new snapshot. *ret_tasks gets s->n process counts of each cgroup and
 * its descendants from cgroup.procs (local mode; NULL from an agent, which
 * has pids.current only), to be freed by the caller. An agent that has not
 * made a new cycle since the last call gives -EAGAIN. */
int top_source_fetch(struct top_source *s, struct snapshot **ret, uint64_t **ret_tasks);

/* What went wrong reading files in the last fetch (they show as '-'), or
 * NULL. */
const char *top_source_warning(const struct top_source *s);

/* Adds the events since the last call: from the agent's /api/v1/events, or
 * derived from prev and cur (prev may be NULL: none then). A negative errno
 * if the agent has no events endpoint or it failed; the pane then says so. */
int top_source_events(struct top_source *s, const struct snapshot *prev,
		      const struct snapshot *cur, struct top_events *ev);

/* Replay: where the next fetch goes. Cycles: that many recorded cycles on
 * (or back, when negative); BY_MS: that long on or back from the cycle
 * shown; TO_MS: the cycle at or before that time. A fetch with no move
 * asked for gives -EAGAIN. */
enum top_replay_move { TOP_REPLAY_CYCLES, TOP_REPLAY_BY_MS, TOP_REPLAY_TO_MS };
void top_source_replay_move(struct top_source *s, enum top_replay_move how, int64_t amount);
bool top_source_is_replay(const struct top_source *s);
/* The recorded cycle before the one fetched last (NULL: none, or not a
 * replay): what its growth columns compare with, instead of the frame
 * shown before, which a jump makes far away. */
const struct snapshot *top_source_prev(const struct top_source *s);
/* For the header: the time of the cycle shown ("" when live). */
const char *top_source_when(const struct top_source *s);

/* For the header: the root or the URL, and where events come from. */
const char *top_source_name(const struct top_source *s);
const char *top_source_events_desc(const struct top_source *s);
/* The observed machine's host name and kernel release; "?" if unknown. */
const char *top_source_host(const struct top_source *s);
const char *top_source_kernel(const struct top_source *s);

#endif
