/* SPDX-License-Identifier: GPL-2.0-only */
/* One immutable picture of every cgroup, made once per collection cycle.
 * Readers (scrapes, the JSON API) take a reference to the current one and
 * never touch cgroupfs; the collector publishes the next one atomically. */
#ifndef CGSCOPE_SNAPSHOT_H
#define CGSCOPE_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroupfs/cgroup_values.h"
#include "bpf/events.h"
#include "lib/strbuf.h"

/* Throttled durations of one cgroup, from BPF unthrottle records. */
#define THROTTLE_HIST_BUCKETS 10
extern const double throttle_hist_bounds[THROTTLE_HIST_BUCKETS];

struct cgroup_event_counts {
	uint64_t migrations_in, migrations_out, oom_kills, throttles;
	uint64_t throttle_hist[THROTTLE_HIST_BUCKETS + 1];	/* last: +Inf */
	uint64_t throttled_ns_sum;
};

/* Where each event feature comes from, and what came, at snapshot time. */
#define EVENTS_MAX_HOOKS 10
#define EVENTS_MAX_PROGS 24

struct events_status {
	uint8_t bpf;			/* BPF programs loaded, and no feature failed */
	char bpf_error[96];		/* why not, when not */
	struct {
		char feature[16], hook[16];
		/* failed: a hook the kernel offers was refused (event_source.h) */
		uint8_t failed;
		char error[16];		/* errno name: "EPERM" */
		char stage[8];		/* "open", "load", "attach" */
		char error_hook[16];	/* the hook refused first; "none" at "open" */
	} hooks[EVENTS_MAX_HOOKS];
	unsigned nhooks;
	struct {
		char name[64];
		uint64_t run_time_ns, run_cnt;
	} progs[EVENTS_MAX_PROGS];
	unsigned nprogs;
	uint8_t prog_stats;		/* the kernel keeps the programs' statistics */
	uint64_t by_type[CGSCOPE_EV_TYPES];	/* events received, BPF and poll */
	uint64_t lost;			/* dropped: the BPF ring buffer was full */
	/* The kernel's per-cgroup counters (events/cgroup_counters.h): slots
	 * in all and held, counts not made for want of a slot. */
	uint64_t counter_slots, counter_slots_used, counter_unslotted;
	uint64_t ring_capacity, ring_last_seq;
	/* Which features are live: their per-cgroup families are served. */
	uint8_t migrations, oom, throttle_durations, throttle_events;
	/* Network (the cgroup_skb counters, issue 20): live, and the kernel's
	 * network table (slots in all and held, counts not made for want of
	 * a slot). */
	uint8_t network, tcp_retransmits;
	uint64_t net_slots, net_slots_used, net_unslotted;
};

struct cgroup_sample {
	uint64_t id;			/* inode of the cgroup's directory */
	uint64_t parent_id;		/* 0 for the root */
	uint32_t depth;			/* 0 for the root */
	uint32_t path_off;		/* in snapshot.strings: "/" or "/a/b" */
	struct cgroup_values v;
	/* Rates from the previous cycle's sample of the same cgroup; valid
	 * when has_rates (not on a cgroup's first cycle). */
	uint8_t has_rates;
	double cpu_cores;		/* usage_usec per second / 1e6 */
	double io_read_bps, io_write_bps;
	/* Growth since the previous cycle, for events derived by polling. */
	uint64_t throttled_delta, throttled_usec_delta, oom_kill_delta;
	/* Kernel events counted for this cgroup (event_stats.h). */
	struct cgroup_event_counts ev;
	/* Network traffic (issue 20), when has_net: the cgroup's subtree
	 * (net: its sockets' and its descendants', live or gone, as
	 * memory.current is) and its own sockets' alone (net_own, for
	 * cAdvisor's per-container families). */
	uint8_t has_net;
	struct cgscope_net_figures net, net_own;
};

/* Counters of the collector itself, carried in each snapshot. */
#define COLLECT_HIST_BUCKETS 12
extern const double collect_hist_bounds[COLLECT_HIST_BUCKETS];

struct collector_stats {
	uint64_t cycles;
	uint64_t read_errors[F_NR];	/* malformed or unreadable files */
	uint64_t created, removed;	/* cgroups seen appearing/vanishing */
	uint64_t walk_errors;		/* directories that could not be listed */
	uint64_t dirs_listed;		/* directories listed (all, without inotify) */
	bool watching;			/* inotify keeps the tree current */
	uint64_t files_held;		/* on a held descriptor, read with pread */
	uint64_t files_reopened;	/* past every table's budget: opened per read */
	uint32_t fd_tables;		/* descriptor tables holding them */
	int fd_table_error;		/* why no further table could start */
	uint32_t files;			/* the files read: bits (1 << enum cg_file) */
	/* The cgroup iterator (collect/cgroup_iter.h), when there is one. */
	bool iter_ran;			/* its walk gave this cycle's records */
	bool iter_gave_up;		/* it failed too often: files for good */
	uint32_t iter_files;		/* the files it served: bits (1 << enum cg_file) */
	uint32_t iter_missing;		/* cgroups of the cycle with no record: files */
	uint64_t iter_dropped;		/* cgroups past its maps' size, last walk */
	uint64_t iter_visited;		/* cgroups of its last walk */
	uint32_t iter_capacity;		/* of those, read in place at most */
	uint64_t iter_errors;		/* walks or reads that failed */
	int iter_last_error;
	/* From the loop that schedules cycles (collect/schedule.h), 0 without
	 * one: cycles that ran past the next tick, as of the cycle before this
	 * one, and how many of those in a row. */
	uint64_t overruns;
	uint32_t overrun_streak;
	uint64_t hist_counts[COLLECT_HIST_BUCKETS + 1];	/* last: +Inf */
	double hist_sum;
	double last_duration;
};

/* The Prometheus page, kept compressed only: at 10,000 cgroups with every
 * controller it is 78 MB of text and 4.1 MB of gzip. It is rendered through
 * a buffer of PAGE_CHUNK bytes that is compressed each time it fills
 * (struct page_writer), so that the text never exists whole; gzip clients
 * (Prometheus always is one) are sent the bytes as kept, the others get
 * them inflated as they are sent (struct page_reader).
 *
 * A part is a tail of the page served on its own: the cAdvisor families
 * (/metrics/cadvisor). Its deflate data starts at a full flush, so that it
 * decodes on its own from there; with a gzip header and a trailer of its own
 * it is a gzip stream of the part alone, with no second compression. */
enum page_part { PAGE_ALL, PAGE_CADVISOR, PAGE_PARTS };

/* The forms of a snapshot that readers make when they first ask. */
enum snapshot_cache { CACHE_JSON, SNAPSHOT_CACHE_NR };

#define PAGE_CHUNK (64 * 1024)
#define GZIP_HEADER_LEN 10
#define GZIP_TRAILER_LEN 8

struct zpage {
	char *gz;			/* the whole page: gzip header, deflate, trailer */
	size_t gz_len;
	struct {
		bool on;		/* PAGE_ALL always, once rendered */
		size_t off, len;	/* where the part is in the text */
		size_t zoff;		/* its deflate data: gz + zoff to the trailer */
		unsigned char trailer[GZIP_TRAILER_LEN];	/* CRC-32 and size of the part */
	} part[PAGE_PARTS];
};

/* Writing a page: renderers append to sb (lib/strbuf.h); whenever it holds
 * a chunk it goes to the compressor (ISA-L's igzip, level 1: at 10,000
 * full-controller cgroups 55 ms for the 78 MB page, where zlib's level 1
 * took 280 ms, for 7% more bytes). */
struct isal_zstream;
struct inflate_state;

struct page_writer {
	struct strbuf sb;
	struct isal_zstream *zs;
	unsigned char *level_buf;	/* the compressor's tables */
	struct strbuf out;		/* the gzip so far */
	size_t in_len;			/* text compressed so far */
	int err;			/* the first error, sticky */
	size_t mark_off[PAGE_PARTS], mark_zoff[PAGE_PARTS];
	uint32_t part_crc[PAGE_PARTS];	/* CRC-32 of each part so far */
};

/* Text goes to the compressor chunk bytes at a time (0: PAGE_CHUNK; tests
 * try others, down to 256). 0 or -ENOMEM. */
int page_writer_start(struct page_writer *w, size_t chunk);
/* The text written from now on is part p (a tail of the page): 0 or the
 * writer's error. */
int page_writer_mark(struct page_writer *w, enum page_part p);
/* The page written, into ret; the writer is done with either way. 0, the
 * writer's error, or sb's (-ENOMEM). */
int page_writer_finish(struct page_writer *w, struct zpage *ret);
/* Gives up: frees what the writer holds. */
void page_writer_abort(struct page_writer *w);

/* The text of a part, inflated as it is read. */
struct page_reader {
	struct inflate_state *st;
	size_t left;			/* bytes of text still to come */
};

/* 0, -ENOENT for a part the page does not have, -ENOMEM. p must outlive r. */
int page_reader_open(struct page_reader *r, const struct zpage *p, enum page_part part);
/* Up to size bytes of the text into buf: how many (0 at the end), or
 * -EBADMSG (damaged data, which a page we made never is). */
ssize_t page_reader_read(struct page_reader *r, char *buf, size_t size);
void page_reader_close(struct page_reader *r);
/* The whole text of a part, NUL-terminated, malloc'd (cgscope dump, tests). */
int zpage_text(const struct zpage *p, enum page_part part, char **ret, size_t *ret_len);
void zpage_free(struct zpage *p);

/* Who runs in a cgroup, by name, from the container runtime's state on disk
 * (collect/container_names.h), with the kubelet's cAdvisor conventions. */
enum cgroup_name {
	CN_NAMESPACE, CN_POD, CN_CONTAINER, CN_IMAGE,
	CN_NAME,			/* cAdvisor's `name`: the runtime's name, else the id */
	CN_NR
};

/* Why a container's names could not be read: the reason label of
 * cgscope_identity_errors_total. */
enum identity_error {
	IDERR_MISSING,			/* no state file where its runtime keeps it */
	IDERR_UNREADABLE,		/* there, but open or read failed */
	IDERR_MALFORMED,		/* not the runtime's format */
	IDERR_TOO_LARGE,		/* larger than RUNTIME_STATE_MAX_BYTES */
	IDERR_NR
};
extern const char *const identity_error_reasons[IDERR_NR];

struct snapshot {
	atomic_int refs;
	uint64_t cycle;
	int64_t taken_ms;		/* wall clock, ms since the epoch */
	uint64_t taken_mono_ns;
	uint64_t read_mono_ns;		/* when the reading of the files began */
	char *root;			/* the cgroup2 directory read */
	struct cgroup_sample *cgroups;	/* tree order: parents before children */
	size_t n;
	char *strings;
	size_t strings_len;
	struct io_array io;
	struct stat_rows mem_stat;
	struct collector_stats stats;
	struct events_status events;
	/* The Prometheus page, rendered once when the snapshot is made; with
	 * --compat=cadvisor its cAdvisor families are PAGE_CADVISOR. */
	struct zpage page;
	/* names[i]: offsets into names_strings of cgroup i's names ("" at 0);
	 * NULL when no names were looked up (sample_name gives ""). */
	uint32_t (*names)[CN_NR];
	char *names_strings;
	uint64_t identity_errors[IDERR_NR];	/* since the agent started */
	/* Other forms, each made at most once, by the first reader that asks,
	 * and kept compressed like the page (the JSON list is 25 MB at
	 * 10,000 full-controller cgroups, 0.7 MB as gzip). */
	pthread_mutex_t cache_lock;
	struct zpage cache[SNAPSHOT_CACHE_NR];
};

static inline const char *sample_path(const struct snapshot *s,
				      const struct cgroup_sample *c)
{
	return s->strings + c->path_off;
}

/* The memory.stat values of a cgroup of s, NULL when it has none. */
static inline const uint64_t *sample_mem_stat(const struct snapshot *s,
					      const struct cgroup_values *v)
{
	return cg_has(v, F_MEMORY_STAT) ? s->mem_stat.rows[v->mem_stat_row] : NULL;
}

/* The values of keyed file f of a cgroup of s: the array at off in its
 * values, or its memory.stat row. */
static inline const uint64_t *sample_keyed(const struct snapshot *s,
					   const struct cgroup_values *v, enum cg_file f,
					   size_t off)
{
	if (f == F_MEMORY_STAT)
		return sample_mem_stat(s, v);
	return (const uint64_t *)((const char *)v + off);
}

/* Names of cgroup i of s: "" when unknown. */
static inline const char *sample_name(const struct snapshot *s, size_t i, enum cgroup_name f)
{
	return s->names ? s->names_strings + s->names[i][f] : "";
}

struct snapshot *snapshot_new(void);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);

/* Where the current snapshot is published. */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *cur;
};

void snapshot_slot_init(struct snapshot_slot *slot);
/* Takes over the caller's reference. */
void snapshot_publish(struct snapshot_slot *slot, struct snapshot *s);
/* A new reference to the current snapshot, or NULL before the first. */
struct snapshot *snapshot_get(struct snapshot_slot *slot);
void snapshot_slot_destroy(struct snapshot_slot *slot);

/* The cached form `which` of s, written by make() into a page writer on
 * first use (page_writer_start before, page_writer_finish after); it lives
 * as long as s. 0 or an error of make() or of the writer. */
int snapshot_cached(struct snapshot *s, enum snapshot_cache which,
		    int (*make)(struct snapshot *s, struct page_writer *w),
		    const struct zpage **ret);

/* gzip of buf, with the gzip header HTTP's Content-Encoding wants, made as
 * a page is. */
int gzip_buf(const char *buf, size_t len, char **ret, size_t *ret_len);

#endif
