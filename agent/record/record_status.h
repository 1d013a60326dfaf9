/* SPDX-License-Identifier: GPL-2.0-only */
/* What the recorder says of itself on the page (cgscope_record_*): taken
 * before each cycle is rendered, and recorded with that cycle, so that a
 * replayed page shows what the served one showed. */
#ifndef CGSCOPE_RECORD_STATUS_H
#define CGSCOPE_RECORD_STATUS_H

#include <stdbool.h>
#include <stdint.h>

enum record_error {
	REC_ERR_NO_SPACE,	/* the file system is full (ENOSPC, EDQUOT): paused */
	REC_ERR_IO,		/* any other failed write */
	REC_ERR_EVENTS_LOST,	/* events the ring replaced before they were recorded */
	REC_ERR_TORN,		/* bytes cut at start: a frame torn by a crash, or damage */
	REC_ERR_NR
};

/* "no_space", "io", "events_lost", "torn": the reason label. */
extern const char *const record_error_names[REC_ERR_NR];

struct record_status {
	bool on;		/* a store is open: the families are served */
	uint64_t bytes;		/* the store's files */
	uint64_t frames;	/* written since the agent started */
	int64_t oldest_ms;	/* the oldest frame kept; 0 when empty */
	uint64_t errors[REC_ERR_NR];
};

#endif
