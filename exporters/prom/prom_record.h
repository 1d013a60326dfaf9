/* SPDX-License-Identifier: GPL-2.0-only */
/* The flight recorder's own families: cgscope_record_bytes,
 * cgscope_record_frames_total, cgscope_record_oldest_timestamp_seconds and
 * cgscope_record_errors_total{reason}. */
#ifndef CGSCOPE_PROM_RECORD_H
#define CGSCOPE_PROM_RECORD_H

#include "lib/strbuf.h"
#include "record/record_status.h"

/* Appends them when st->on (a store is open); nothing otherwise. */
void prom_render_record(const struct record_status *st, struct strbuf *out);

#endif
