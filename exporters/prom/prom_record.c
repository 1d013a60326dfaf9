// SPDX-License-Identifier: GPL-2.0-only
#include "prom/prom_record.h"

void prom_render_record(const struct record_status *st, struct strbuf *out)
{
	if (!st || !st->on)
		return;
	sb_puts(out, "# HELP cgscope_record_bytes Bytes the flight recorder's store takes on disk "
		"(--record.dir: segments and their indexes).\n"
		"# TYPE cgscope_record_bytes gauge\ncgscope_record_bytes ");
	sb_u64(out, st->bytes);
	sb_puts(out, "\n# HELP cgscope_record_frames_total Frames the flight recorder wrote since the "
		"agent started: one per cycle, and one per cycle with kernel events.\n"
		"# TYPE cgscope_record_frames_total counter\ncgscope_record_frames_total ");
	sb_u64(out, st->frames);
	sb_puts(out, "\n# HELP cgscope_record_oldest_timestamp_seconds Time of the oldest frame the "
		"store holds, as Unix seconds; 0 while it is empty.\n"
		"# TYPE cgscope_record_oldest_timestamp_seconds gauge\n"
		"cgscope_record_oldest_timestamp_seconds ");
	sb_fixed(out, st->oldest_ms > 0 ? (uint64_t)st->oldest_ms : 0, 3);
	sb_puts(out, "\n# HELP cgscope_record_errors_total What the flight recorder could not do: "
		"no_space (the file system is full: recording pauses until there is room), io "
		"(another write error), events_lost (events the ring replaced before they were "
		"recorded), torn (bytes cut at start: a frame torn by a crash).\n"
		"# TYPE cgscope_record_errors_total counter\n");
	for (int e = 0; e < REC_ERR_NR; e++) {
		sb_puts(out, "cgscope_record_errors_total{reason=\"");
		sb_puts(out, record_error_names[e]);
		sb_puts(out, "\"} ");
		sb_u64(out, st->errors[e]);
		sb_putc(out, '\n');
	}
}
