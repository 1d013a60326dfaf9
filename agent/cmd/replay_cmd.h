/* SPDX-License-Identifier: GPL-2.0-only */
/* What the commands that read a recording share (dump, events, export and
 * top with --replay): the time flags, opening the store with a message a
 * person can act on, and the page of a recorded cycle. */
#ifndef CGSCOPE_REPLAY_CMD_H
#define CGSCOPE_REPLAY_CMD_H

#include <stdint.h>

#include "cmd/flags.h"
#include "lib/strbuf.h"
#include "lib/timearg.h"
#include "record/replay.h"

/* A time flag (lib/timearg.h) into an int64_t of milliseconds at f->off. */
int flag_time(const struct flag *f, const char *value, void *cfg);

/* Opens the store in dir, logging why not (cmd is the command's name). */
int replay_cmd_open(const char *cmd, const char *dir, struct replay **ret);

/* Says which times the store holds, for a message: "2026-12-02 03:00:01 to
 * 2026-12-02 04:10:00" (local time), or "nothing". */
void replay_cmd_span(struct replay *rp, char *buf, size_t size);

/* The page of a recorded cycle, as the agent served it. 0 or -ENOMEM. */
int replay_cmd_render(const struct replay_cycle *c, struct strbuf *sb);

/* Logs, once, that a cycle was recorded by another cgscope (its counters'
 * layout or its version differ): its page may differ from what was served. */
void replay_cmd_note_version(const struct replay_cycle *c);

#endif
