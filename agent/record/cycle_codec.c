// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macros.h"
#include "record/bytes.h"
#include "record/cycle_codec.h"
#include "record/idmap.h"

#define CODEC_VERSION 1

/* Payload flags. */
#define PF_KEY     1u
#define PF_LIST    2u		/* the list of cgroups follows */
#define PF_STATICS 4u		/* the static part follows */

/* Static part: tagged fields, unknown tags skipped. */
enum { ST_VERSION = 1, ST_ROOT, ST_COMPAT, ST_HOSTNAME, ST_KERNEL, ST_INTERVAL, ST_DEVNAMES };

/* Bounds a damaged payload cannot make a reader go past. */
#define SCHEMA_MAX 1024		/* names in each part of a schema */
#define CGROUPS_MAX (16u << 20)
#define IO_PER_CGROUP_MAX 4096u
#define IO_MAX (16u << 20)
#define DEVS_MAX 65536u
#define IO_FIELDS 8		/* major, minor, rbytes, wbytes, rios, wios, dbytes, dios */

/* --- the columns of this cgscope ------------------------------------------ */

struct col_def {
	char name[48];
	uint32_t off;		/* in struct cgroup_sample */
	uint8_t size;		/* 1, 4 or 8 bytes */
};

enum {
	G_CYCLE, G_TAKEN_MS, G_TAKEN_MONO, G_READ_MONO, G_FILTERED, G_OVER_LIMIT,
	G_REC_ON, G_REC_BYTES, G_REC_FRAMES, G_REC_OLDEST, G_NAMES_ON, G_REC_ERR,
	G_ID_ERR = G_REC_ERR + REC_ERR_NR,
	G_NR = G_ID_ERR + IDERR_NR
};

#define LOCAL_COLS_MAX 192
static struct col_def local_cols[LOCAL_COLS_MAX];
static size_t local_ncol;
static int local_col_present = -1, local_col_iocount = -1;
static char glob_names[G_NR][48];
static pthread_once_t local_once = PTHREAD_ONCE_INIT;

/* The local columns as runs for gathering a sample into a row: a run of
 * 8-byte fields side by side in the sample is one memcpy. */
struct col_run {
	uint16_t col, count;
	uint32_t off;
	uint8_t size;
};
static struct col_run local_runs[LOCAL_COLS_MAX];
static size_t local_nruns;

#define SV(field) (offsetof(struct cgroup_sample, v) + offsetof(struct cgroup_values, field))
#define SE(field) (offsetof(struct cgroup_sample, ev) + offsetof(struct cgroup_event_counts, field))
#define SN(part, field) (offsetof(struct cgroup_sample, part) + \
			 offsetof(struct cgscope_net_figures, field))

static void col(size_t off, size_t size, const char *fmt, const char *a, const char *b)
{
	struct col_def *c = &local_cols[local_ncol++];

	snprintf(c->name, sizeof(c->name), fmt, a, b);
	c->off = (uint32_t)off;
	c->size = (uint8_t)size;
}

static void keyed_cols(size_t off, const char *file, const char *const *keys, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		col(off + k * sizeof(uint64_t), sizeof(uint64_t), "%s:%s", file, keys[k]);
}

static void build_local(void)
{
	static const char *const psi_parts[] = {
		"some.avg10", "some.avg60", "some.avg300", "some.total",
		"full.avg10", "full.avg60", "full.avg300", "full.total",
	};
	char hist[16];

	local_col_present = (int)local_ncol;
	col(SV(present), 4, "%s%s", "present", "");
	keyed_cols(SV(events), "cgroup.events", cgroup_events_keys, CGEV_NR);
	keyed_cols(SV(stat), "cgroup.stat", cgroup_stat_keys, CGSTAT_NR);
	col(SV(freeze), 8, "%s%s", "cgroup.freeze", "");
	keyed_cols(SV(cpu), "cpu.stat", cpu_stat_keys, CPU_NR);
	col(SV(cpu_quota), 8, "%s%s", "cpu.max:quota", "");
	col(SV(cpu_period), 8, "%s%s", "cpu.max:period", "");
	col(SV(cpu_weight), 8, "%s%s", "cpu.weight", "");
	col(SV(mem_current), 8, "%s%s", "memory.current", "");
	col(SV(mem_peak), 8, "%s%s", "memory.peak", "");
	col(SV(mem_max), 8, "%s%s", "memory.max", "");
	col(SV(mem_high), 8, "%s%s", "memory.high", "");
	col(SV(mem_low), 8, "%s%s", "memory.low", "");
	col(SV(mem_min), 8, "%s%s", "memory.min", "");
	keyed_cols(SV(mem_events), "memory.events", memory_events_keys, MEMEV_NR);
	keyed_cols(SV(mem_events_local), "memory.events.local", memory_events_keys, MEMEV_NR);
	col(SV(swap_current), 8, "%s%s", "memory.swap.current", "");
	col(SV(swap_max), 8, "%s%s", "memory.swap.max", "");
	keyed_cols(SV(swap_events), "memory.swap.events", swap_events_keys, SWAPEV_NR);
	col(SV(pids_current), 8, "%s%s", "pids.current", "");
	col(SV(pids_max), 8, "%s%s", "pids.max", "");
	col(SV(pids_peak), 8, "%s%s", "pids.peak", "");
	keyed_cols(SV(pids_events), "pids.events", pids_events_keys, PIDSEV_NR);
	for (int r = 0; r < PSI_NR; r++) {
		size_t base = SV(psi) + (size_t)r * sizeof(struct psi);
		const char *res = psi_resource_names[r];

		col(base + offsetof(struct psi, has_some), 1, "%s.pressure:%s", res, "has_some");
		col(base + offsetof(struct psi, has_full), 1, "%s.pressure:%s", res, "has_full");
		for (int kind = 0; kind < 2; kind++) {
			size_t l = base + (kind ? offsetof(struct psi, full) : offsetof(struct psi, some));

			col(l + offsetof(struct psi_line, avg10), 4, "%s.pressure:%s", res, psi_parts[kind * 4]);
			col(l + offsetof(struct psi_line, avg60), 4, "%s.pressure:%s", res, psi_parts[kind * 4 + 1]);
			col(l + offsetof(struct psi_line, avg300), 4, "%s.pressure:%s", res, psi_parts[kind * 4 + 2]);
			col(l + offsetof(struct psi_line, total_usec), 8, "%s.pressure:%s", res, psi_parts[kind * 4 + 3]);
		}
	}
	local_col_iocount = (int)local_ncol;
	col(SV(io_count), 4, "%s%s", "io.stat:devices", "");
	col(SE(migrations_in), 8, "%s%s", "events:migrations_in", "");
	col(SE(migrations_out), 8, "%s%s", "events:migrations_out", "");
	col(SE(oom_kills), 8, "%s%s", "events:oom_kills", "");
	col(SE(throttles), 8, "%s%s", "events:throttles", "");
	for (int b = 0; b <= THROTTLE_HIST_BUCKETS; b++) {
		snprintf(hist, sizeof(hist), "%d", b);
		col(SE(throttle_hist) + (size_t)b * 8, 8, "events:throttle_hist:%s%s", hist, "");
	}
	col(SE(throttled_ns_sum), 8, "%s%s", "events:throttled_ns_sum", "");
	/* Network (issue 20): the subtree's figures and the cgroup's own. */
	col(offsetof(struct cgroup_sample, has_net), 1, "%s%s", "net:has", "");
	for (int own = 0; own < 2; own++) {
		const char *part = own ? "net_own:" : "net:";

#define NET_COL(field) col(own ? SN(net_own, field) : SN(net, field), 8, "%s%s", part, #field)
		NET_COL(rx_bytes);
		NET_COL(rx_packets);
		NET_COL(tx_bytes);
		NET_COL(tx_packets);
		NET_COL(tcp_retransmits);
#undef NET_COL
	}

	static const char *const g[G_REC_ERR] = {
		"cycle", "taken_ms", "taken_mono_ns", "read_mono_ns", "filtered", "over_limit",
		"record.on", "record.bytes", "record.frames", "record.oldest_ms", "names.on",
	};
	for (int i = 0; i < G_REC_ERR; i++)
		snprintf(glob_names[i], sizeof(glob_names[i]), "%s", g[i]);
	for (int e = 0; e < REC_ERR_NR; e++)
		snprintf(glob_names[G_REC_ERR + e], sizeof(glob_names[0]), "record.errors:%s",
			 record_error_names[e]);
	for (int e = 0; e < IDERR_NR; e++)
		snprintf(glob_names[G_ID_ERR + e], sizeof(glob_names[0]), "identity.errors:%s",
			 identity_error_reasons[e]);
	for (size_t c = 0; c < local_ncol; c++) {
		struct col_run *r = local_nruns ? &local_runs[local_nruns - 1] : NULL;

		if (r && r->size == 8 && local_cols[c].size == 8 &&
		    local_cols[c].off == r->off + 8u * r->count) {
			r->count++;
			continue;
		}
		local_runs[local_nruns++] = (struct col_run){ .col = (uint16_t)c, .count = 1,
							      .off = local_cols[c].off,
							      .size = local_cols[c].size };
	}
}

static uint64_t get_field(const struct cgroup_sample *c, const struct col_def *d)
{
	const char *p = (const char *)c + d->off;

	switch (d->size) {
	case 1:
		return *(const uint8_t *)p;
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;

		memcpy(&v, p, 8);
		return v;
	}
	}
}

static void set_field(struct cgroup_sample *c, const struct col_def *d, uint64_t v)
{
	char *p = (char *)c + d->off;

	switch (d->size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 4: {
		uint32_t x = (uint32_t)v;

		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
	}
}

/* --- state ---------------------------------------------------------------- */

struct cycle_data {
	size_t n, cap;
	uint64_t *id, *parent;
	uint32_t *depth, *path_off, *path_len;
	/* Who runs in it (collect/container_names.h): its CN_NR names, each
	 * after a NUL but the first, in strings; length 0 for none. */
	uint32_t *nm_off, *nm_len;
	char *strings;
	size_t slen, scap;
	uint64_t *vals;			/* a row of ncol values per cgroup */
	size_t vcap;			/* values vals has room for */
	uint64_t *ms;			/* memory.stat rows, nmsk each */
	size_t nms, mscap;
	uint32_t *ms_row;		/* [i]: its row, or UINT32_MAX */
	uint64_t *io;			/* io.stat entries, IO_FIELDS values each */
	size_t nio, iocap;
	uint32_t *io_first;		/* [i] */
	uint64_t *glob;
	size_t globcap;
	uint8_t *blob[2];		/* collector_stats, events_status */
	size_t blob_len[2], blob_cap[2];
	uint8_t *statics;
	size_t statics_len, statics_cap;
};

struct cycle_state {
	bool valid;
	uint64_t seq;
	/* The recording's schema, each name mapped to this cgscope's. */
	size_t nfiles, ncol, nmsk, nglob;
	int16_t *file_map, *col_map, *msk_map, *glob_map;
	int rec_ms_bit;			/* memory.stat's bit in the recorded present */
	int rec_col_present, rec_col_iocount;
	struct cycle_data d[2];
	int cur;			/* d[cur]: the last cycle */
	struct idmap map;
	uint32_t *pidx;			/* each cgroup's index in the cycle before */
	uint32_t *prow;			/* each memory.stat row's row before */
	uint32_t *pio;			/* each io.stat entry's entry before */
	size_t pidx_cap, prow_cap, pio_cap;
	uint64_t *delta;
	size_t delta_cap;
	/* The encoder keeps no copy of the cycle before: it holds a reference
	 * to that cycle's snapshot, immutable once made (collect/snapshot.h),
	 * and reads the values there; of its own it keeps only what the page
	 * showed besides the snapshot (the global values, the static part).
	 * The copy it kept before, of this cycle and the one before in the
	 * recording's columns, was 32 MB at 10,000 full-controller cgroups:
	 * more than the rest of the agent (issue 22). */
	struct snapshot *enc_prev;
	uint64_t enc_glob[G_NR];
	struct strbuf enc_statics[2];	/* [enc_cur]: the cycle before's */
	int enc_cur;
	/* Each row of a matrix being encoded and its row before (NULL: none). */
	const void **rows_cur, **rows_prev;
	size_t rows_cap;
	uint64_t *ids;			/* the ids of enc_prev, for idmap_build */
	size_t ids_cap;
};

static void data_free(struct cycle_data *d)
{
	free(d->id);
	free(d->parent);
	free(d->depth);
	free(d->path_off);
	free(d->path_len);
	free(d->nm_off);
	free(d->nm_len);
	free(d->strings);
	free(d->vals);
	free(d->ms);
	free(d->ms_row);
	free(d->io);
	free(d->io_first);
	free(d->glob);
	free(d->blob[0]);
	free(d->blob[1]);
	free(d->statics);
	memset(d, 0, sizeof(*d));
}

/* *p grown to hold n items of size sz (*cap counts items). */
static int grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp;
	size_t c = *cap ? *cap : 16;
	void *q;

	if (n <= *cap && *p)
		return 0;
	while (c < n) {
		if (c > SIZE_MAX / 2 / sz)
			return -ENOMEM;
		c *= 2;
	}
	q = realloc(*p, c * sz);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int resize(void *pp, size_t n, size_t sz)
{
	void **p = pp;
	void *q = realloc(*p, (n ? n : 1) * sz);

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

/* Room for n cgroups of ncol columns. */
static int data_reserve(struct cycle_data *d, size_t n, size_t ncol)
{
	if (n > d->cap || !d->id) {
		size_t cap = d->cap ? d->cap : 16;

		while (cap < n)
			cap *= 2;
		if (resize(&d->id, cap, sizeof(*d->id)) || resize(&d->parent, cap, sizeof(*d->parent)) ||
		    resize(&d->depth, cap, sizeof(*d->depth)) ||
		    resize(&d->path_off, cap, sizeof(*d->path_off)) ||
		    resize(&d->path_len, cap, sizeof(*d->path_len)) ||
		    resize(&d->nm_off, cap, sizeof(*d->nm_off)) ||
		    resize(&d->nm_len, cap, sizeof(*d->nm_len)) ||
		    resize(&d->ms_row, cap, sizeof(*d->ms_row)) ||
		    resize(&d->io_first, cap, sizeof(*d->io_first)))
			return -ENOMEM;
		d->cap = cap;
	}
	if (n * ncol > d->vcap || !d->vals) {
		size_t want = d->cap * (ncol ? ncol : 1);

		if (resize(&d->vals, want, sizeof(*d->vals)))
			return -ENOMEM;
		d->vcap = want;
	}
	return 0;
}

int cycle_state_new(struct cycle_state **ret)
{
	struct cycle_state *st;

	pthread_once(&local_once, build_local);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->rec_ms_bit = st->rec_col_present = st->rec_col_iocount = -1;
	*ret = st;
	return 0;
}

static void schema_free(struct cycle_state *st)
{
	free(st->file_map);
	free(st->col_map);
	free(st->msk_map);
	free(st->glob_map);
	st->file_map = st->col_map = st->msk_map = st->glob_map = NULL;
	st->nfiles = st->ncol = st->nmsk = st->nglob = 0;
	st->rec_ms_bit = st->rec_col_present = st->rec_col_iocount = -1;
}

void cycle_state_free(struct cycle_state *st)
{
	if (!st)
		return;
	schema_free(st);
	data_free(&st->d[0]);
	data_free(&st->d[1]);
	idmap_free(&st->map);
	free(st->pidx);
	free(st->prow);
	free(st->pio);
	free(st->delta);
	snapshot_unref(st->enc_prev);
	sb_free(&st->enc_statics[0]);
	sb_free(&st->enc_statics[1]);
	free(st->rows_cur);
	free(st->rows_prev);
	free(st->ids);
	free(st);
}

void cycle_state_reset(struct cycle_state *st)
{
	st->valid = false;
	/* Nothing refers to it any more: let it go now. */
	snapshot_unref(st->enc_prev);
	st->enc_prev = NULL;
}

bool cycle_state_valid(const struct cycle_state *st)
{
	return st->valid;
}

uint64_t cycle_state_seq(const struct cycle_state *st)
{
	return st->seq;
}

size_t cycle_state_cgroups(const struct cycle_state *st)
{
	if (!st->valid)
		return 0;
	return st->enc_prev ? st->enc_prev->n : st->d[st->cur].n;
}

void cycle_meta_free(struct cycle_meta *m)
{
	free(m->devs);
	m->devs = NULL;
	m->ndev = 0;
}

static int16_t *identity_map(size_t n)
{
	int16_t *m = malloc((n ? n : 1) * sizeof(*m));

	for (size_t i = 0; m && i < n; i++)
		m[i] = (int16_t)i;
	return m;
}

/* The recorded schema is this cgscope's own: what an encoder writes. */
static int schema_local(struct cycle_state *st)
{
	if (st->ncol == local_ncol && st->col_map && st->nglob == G_NR && st->nmsk == MEMSTAT_NR &&
	    st->nfiles == F_NR)
		return 0;
	schema_free(st);
	st->nfiles = F_NR;
	st->ncol = local_ncol;
	st->nmsk = MEMSTAT_NR;
	st->nglob = G_NR;
	st->file_map = identity_map(F_NR);
	st->col_map = identity_map(local_ncol);
	st->msk_map = identity_map(MEMSTAT_NR);
	st->glob_map = identity_map(G_NR);
	if (!st->file_map || !st->col_map || !st->msk_map || !st->glob_map) {
		schema_free(st);
		return -ENOMEM;
	}
	st->rec_ms_bit = F_MEMORY_STAT;
	st->rec_col_present = local_col_present;
	st->rec_col_iocount = local_col_iocount;
	return 0;
}

static void write_schema(struct strbuf *raw)
{
	sb_varint(raw, F_NR);
	for (int f = 0; f < F_NR; f++)
		sb_str(raw, cg_files[f].name);
	sb_varint(raw, local_ncol);
	for (size_t c = 0; c < local_ncol; c++)
		sb_str(raw, local_cols[c].name);
	sb_varint(raw, MEMSTAT_NR);
	for (int k = 0; k < MEMSTAT_NR; k++)
		sb_str(raw, memory_stat_keys[k]);
	sb_varint(raw, G_NR);
	for (int g = 0; g < G_NR; g++)
		sb_str(raw, glob_names[g]);
}

/* n names from r, each mapped to its index among local[0..nlocal) (by
 * name(i)), -1 for those this cgscope does not have. */
static int read_names(struct rbuf *r, size_t *ret_n, int16_t **ret_map, size_t nlocal,
		      const char *(*name)(size_t i))
{
	uint64_t n = rb_varint(r);
	int16_t *m;

	if (r->bad || n > SCHEMA_MAX || n > rb_left(r))
		return -EBADMSG;
	m = malloc((n ? n : 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *s = rb_bytes(r, &len);

		m[i] = -1;
		for (size_t j = 0; s && j < nlocal; j++) {
			const char *ln = name(j);

			if (strlen(ln) == len && !memcmp(ln, s, len)) {
				m[i] = (int16_t)j;
				break;
			}
		}
	}
	if (r->bad) {
		free(m);
		return -EBADMSG;
	}
	*ret_n = (size_t)n;
	*ret_map = m;
	return 0;
}

static const char *file_name(size_t i) { return cg_files[i].name; }
static const char *col_name(size_t i) { return local_cols[i].name; }
static const char *msk_name(size_t i) { return memory_stat_keys[i]; }
static const char *glob_name(size_t i) { return glob_names[i]; }

static int read_schema(struct cycle_state *st, struct rbuf *r)
{
	int e;

	schema_free(st);
	if ((e = read_names(r, &st->nfiles, &st->file_map, F_NR, file_name)) < 0 ||
	    (e = read_names(r, &st->ncol, &st->col_map, local_ncol, col_name)) < 0 ||
	    (e = read_names(r, &st->nmsk, &st->msk_map, MEMSTAT_NR, msk_name)) < 0 ||
	    (e = read_names(r, &st->nglob, &st->glob_map, G_NR, glob_name)) < 0) {
		schema_free(st);
		return e;
	}
	if (st->nfiles > 32) {		/* present is 32 bits */
		schema_free(st);
		return -EBADMSG;
	}
	for (size_t f = 0; f < st->nfiles; f++)
		if (st->file_map[f] == F_MEMORY_STAT)
			st->rec_ms_bit = (int)f;
	for (size_t c = 0; c < st->ncol; c++) {
		if (st->col_map[c] == local_col_present)
			st->rec_col_present = (int)c;
		if (st->col_map[c] == local_col_iocount)
			st->rec_col_iocount = (int)c;
	}
	return 0;
}

/* --- what both sides use ---------------------------------------------------- */

static void tlv_str(struct strbuf *sb, unsigned tag, const char *s)
{
	sb_varint(sb, tag);
	sb_str(sb, s);
}

static void tlv_u64(struct strbuf *sb, unsigned tag, uint64_t v)
{
	uint8_t b[10];

	sb_varint(sb, tag);
	sb_bytes(sb, b, put_varint(b, v));
}

static void io_entry(struct io_dev_stat *e, const uint64_t *row)
{
	*e = (struct io_dev_stat){
		.major = (uint32_t)row[0], .minor = (uint32_t)row[1], .rbytes = row[2],
		.wbytes = row[3], .rios = row[4], .wios = row[5], .dbytes = row[6], .dios = row[7],
	};
}

static int reserve_work(struct cycle_state *st, size_t n, size_t nms, size_t ndelta)
{
	if (grow(&st->pidx, &st->pidx_cap, n + 1, sizeof(*st->pidx)) < 0 ||
	    grow(&st->prow, &st->prow_cap, nms + 1, sizeof(*st->prow)) < 0 ||
	    grow(&st->delta, &st->delta_cap, ndelta + 1, sizeof(*st->delta)) < 0)
		return -ENOMEM;
	return 0;
}

/* Reads what put_matrix wrote. The matrix of n rows of w into *cur (room for *cur_cap values) from the
 * one before (*prev, *prev_cap), each row's from row base[i] of it. When
 * each row is where it was, the two trade places and the differences are
 * added in place: the values before are not read again (a copy of a
 * megabyte or two a cycle, that a reader of every cycle paid). */
static int get_matrix(struct rbuf *r, uint64_t **cur_p, size_t *cur_cap, uint64_t **prev_p,
		      size_t *prev_cap, const uint32_t *base, size_t n, size_t w)
{
	size_t bm_len = (w + 7) / 8;
	const uint8_t *bm = rb_take(r, bm_len);
	bool same = true;
	uint64_t *cur = *cur_p;
	const uint64_t *prev = *prev_p;

	if (!bm)
		return -EBADMSG;
	for (size_t i = 0; same && i < n; i++)
		same = base[i] == i;
	if (same && *prev_cap >= n * w && *prev_p) {
		uint64_t *t = *cur_p;
		size_t c = *cur_cap;

		*cur_p = *prev_p;
		*cur_cap = *prev_cap;
		*prev_p = t;
		*prev_cap = c;
		cur = *cur_p;
	} else if (same) {
		if (n && w)
			memcpy(cur, prev, n * w * sizeof(*cur));
	} else {
		for (size_t i = 0; i < n; i++) {
			if (base[i] == UINT32_MAX)
				memset(cur + i * w, 0, w * sizeof(*cur));
			else
				memcpy(cur + i * w, prev + (size_t)base[i] * w, w * sizeof(*cur));
		}
	}
	for (size_t c = 0; c < w; c++) {
		uint64_t k;

		if (!(bm[c / 8] >> (c % 8) & 1))
			continue;
		k = rb_varint(r);
		if (k) {
			/* Sparse: k (gap, difference) pairs, two bytes or more each. */
			size_t i = 0;

			if (k > n || k > rb_left(r) / 2)
				return -EBADMSG;
			for (uint64_t j = 0; j < k; j++) {
				uint64_t gap = rb_varint(r);

				if (gap > n - i || (j && !gap) || (i + gap) >= n)
					return -EBADMSG;
				i += (size_t)gap;
				cur[i * w + c] += unzigzag(rb_varint(r));
			}
		} else {
			/* Dense: n varints of a byte or more. */
			if (n > rb_left(r))
				return -EBADMSG;
			for (size_t i = 0; i < n; i++)
				cur[i * w + c] += unzigzag(rb_varint(r));
		}
		if (r->bad)
			return -EBADMSG;
	}
	return 0;
}

/* A value of the row of cgroup i. */
static inline uint64_t val(const struct cycle_data *d, size_t ncol, size_t i, int c)
{
	return c < 0 ? 0 : d->vals[i * ncol + (size_t)c];
}

/* Each io.stat entry's entry in the cycle before: the same cgroup's entry
 * at the same place, when it had one. */
static int match_io(struct cycle_state *st, const struct cycle_data *cur,
		    const struct cycle_data *prev)
{
	size_t j = 0;

	if (grow(&st->pio, &st->pio_cap, cur->nio + 1, sizeof(*st->pio)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < cur->n; i++) {
		uint64_t cnt = val(cur, st->ncol, i, st->rec_col_iocount);
		uint32_t pi = st->pidx[i];
		/* Counted by where the next one's begin: a decoder has given the
		 * values before to this cycle's (get_matrix). */
		uint64_t pcnt = pi == UINT32_MAX ? 0 :
				(pi + 1 < prev->n ? prev->io_first[pi + 1] : prev->nio) - prev->io_first[pi];

		for (uint64_t d = 0; d < cnt; d++, j++)
			st->pio[j] = d < pcnt ? prev->io_first[pi] + (uint32_t)d : UINT32_MAX;
	}
	return 0;
}

/* Each memory.stat row's row in the cycle before (by its cgroup). */
static void match_rows(struct cycle_state *st, const struct cycle_data *cur, const struct cycle_data *prev)
{
	for (size_t i = 0; i < cur->n; i++) {
		uint32_t r = cur->ms_row[i], pi = st->pidx[i];

		if (r != UINT32_MAX)
			st->prow[r] = pi == UINT32_MAX ? UINT32_MAX : prev->ms_row[pi];
	}
}

/* --- encoding ---------------------------------------------------------------- */

/* The static part of s and m into sb (emptied first). 0 or -ENOMEM. */
static int make_statics(struct strbuf *sb, const struct snapshot *s, const struct cycle_meta *m)
{
	struct strbuf devs = { 0 };

	sb->len = 0;
	tlv_str(sb, ST_VERSION, m->version);
	tlv_str(sb, ST_ROOT, s->root ? s->root : "");
	tlv_u64(sb, ST_COMPAT, m->compat);
	tlv_str(sb, ST_HOSTNAME, m->hostname);
	tlv_str(sb, ST_KERNEL, m->kernel);
	tlv_u64(sb, ST_INTERVAL, m->interval_ms);
	if (m->ndev) {
		sb_varint(&devs, m->ndev);
		for (size_t i = 0; i < m->ndev; i++) {
			sb_varint(&devs, m->devs[i].major);
			sb_varint(&devs, m->devs[i].minor);
			sb_str(&devs, m->devs[i].name);
		}
		sb_varint(sb, ST_DEVNAMES);
		sb_bytes(sb, devs.buf, devs.len);
	}
	if (sb_error(&devs) < 0) {
		sb_free(&devs);
		return -ENOMEM;
	}
	sb_free(&devs);
	return sb_error(sb) < 0 ? -ENOMEM : 0;
}

static void io_row(uint64_t *row, const struct io_dev_stat *e)
{
	row[0] = e->major;
	row[1] = e->minor;
	row[2] = e->rbytes;
	row[3] = e->wbytes;
	row[4] = e->rios;
	row[5] = e->wios;
	row[6] = e->dbytes;
	row[7] = e->dios;
}

/* The global values of the cycle of s and m. */
static void glob_values(const struct snapshot *s, const struct cycle_meta *m, uint64_t *g)
{
	g[G_CYCLE] = s->cycle;
	g[G_TAKEN_MS] = (uint64_t)s->taken_ms;
	g[G_TAKEN_MONO] = s->taken_mono_ns;
	g[G_READ_MONO] = s->read_mono_ns;
	g[G_FILTERED] = m->filtered;
	g[G_OVER_LIMIT] = m->over_limit;
	g[G_REC_ON] = m->rec.on;
	g[G_REC_BYTES] = m->rec.bytes;
	g[G_REC_FRAMES] = m->rec.frames;
	g[G_REC_OLDEST] = (uint64_t)m->rec.oldest_ms;
	g[G_NAMES_ON] = s->names != NULL;
	for (int e = 0; e < REC_ERR_NR; e++)
		g[G_REC_ERR + e] = m->rec.errors[e];
	for (int e = 0; e < IDERR_NR; e++)
		g[G_ID_ERR + e] = s->identity_errors[e];
}

/* A row of a matrix, read where the snapshot keeps it: whole (gather), and
 * one value (get). */
typedef void row_gather_fn(const void *row, uint64_t *out);
typedef uint64_t row_get_fn(const void *row, size_t c);

static void sample_gather(const void *row, uint64_t *out)
{
	for (size_t k = 0; k < local_nruns; k++) {
		const struct col_run *r = &local_runs[k];

		if (r->size == 8)
			memcpy(out + r->col, (const char *)row + r->off, r->count * 8u);
		else
			out[r->col] = get_field(row, &local_cols[r->col]);
	}
}

static uint64_t sample_get(const void *row, size_t c)
{
	return get_field(row, &local_cols[c]);
}

static void ms_gather(const void *row, uint64_t *out)
{
	memcpy(out, row, MEMSTAT_NR * sizeof(uint64_t));
}

static uint64_t ms_get(const void *row, size_t c)
{
	return ((const uint64_t *)row)[c];
}

static void io_gather(const void *row, uint64_t *out)
{
	io_row(out, row);
}

static uint64_t io_get(const void *row, size_t c)
{
	uint64_t v[IO_FIELDS];

	io_row(v, row);
	return v[c];
}

static int reserve_rows(struct cycle_state *st, size_t n)
{
	size_t cap = st->rows_cap;

	if (grow(&st->rows_cur, &cap, n + 1, sizeof(*st->rows_cur)) < 0)
		return -ENOMEM;
	if (cap != st->rows_cap && resize(&st->rows_prev, cap, sizeof(*st->rows_prev)) < 0)
		return -ENOMEM;
	st->rows_cap = cap;
	return 0;
}

/* The rows st->rows_cur[0..n) of w values each against st->rows_prev (NULL:
 * a row of zeros): a bitmap of the columns with any difference, then those
 * columns' differences, column after column. Which columns differ is found
 * first, in one pass along the rows: most do not, and those cost no more. */
static int put_matrix(struct strbuf *raw, struct cycle_state *st, size_t n, size_t w,
		      row_gather_fn *gather, row_get_fn *get)
{
	const void *const *cur = st->rows_cur, *const *prev = st->rows_prev;
	size_t bm_len = (w + 7) / 8;
	uint64_t *any, *a, *b;

	if (grow(&st->delta, &st->delta_cap, 3 * w + 1, sizeof(*st->delta)) < 0 ||
	    sb_reserve(raw, bm_len) < 0)
		return -ENOMEM;
	any = st->delta;
	a = any + w;
	b = a + w;
	memset(any, 0, w * sizeof(*any));
	for (size_t i = 0; i < n; i++) {
		gather(cur[i], a);
		if (!prev[i]) {
			for (size_t c = 0; c < w; c++)
				any[c] |= a[c];
		} else {
			gather(prev[i], b);
			for (size_t c = 0; c < w; c++)
				any[c] |= a[c] ^ b[c];
		}
	}
	for (size_t j = 0; j < bm_len; j++) {
		uint8_t byte = 0;

		for (size_t c = j * 8; c < w && c < j * 8 + 8; c++)
			byte |= (uint8_t)((any[c] != 0) << (c % 8));
		raw->buf[raw->len++] = (char)byte;
	}
	raw->buf[raw->len] = '\0';
	for (size_t c = 0; c < w; c++) {
		size_t k = 0, last = 0;
		bool dense;

		if (!any[c])
			continue;
		for (size_t i = 0; i < n; i++)
			k += get(cur[i], c) != (prev[i] ? get(prev[i], c) : 0);
		/* Few changes (a tenth of the cgroups busy): each as the gap
		 * since the one before and its difference, 0 first to say so;
		 * else every difference in a row. */
		dense = k * 2 >= n;
		sb_varint(raw, dense ? 0 : k);
		for (size_t i = 0; i < n; i++) {
			uint64_t d = get(cur[i], c) - (prev[i] ? get(prev[i], c) : 0);

			if (dense) {
				sb_varint(raw, zigzag(d));
			} else if (d) {
				sb_varint(raw, i - last);
				sb_varint(raw, zigzag(d));
				last = i;
			}
		}
	}
	return sb_error(raw);
}

/* Whether cgroup i of a and cgroup j of b are the same, as the list of a
 * frame says it: id, parent, depth, path, and names (none and all empty
 * are the same: neither is written). */
static bool same_identity(const struct snapshot *a, size_t i, const struct snapshot *b, size_t j)
{
	const struct cgroup_sample *x = &a->cgroups[i], *y = &b->cgroups[j];

	if (x->id != y->id || x->parent_id != y->parent_id || x->depth != y->depth ||
	    strcmp(sample_path(a, x), sample_path(b, y)))
		return false;
	for (int f = 0; f < CN_NR; f++)
		if (strcmp(sample_name(a, i, (enum cgroup_name)f), sample_name(b, j, (enum cgroup_name)f)))
			return false;
	return true;
}

/* The names of cgroup i of s as a frame's list has them: each after a NUL
 * but the first, nothing at all when it has none. */
static void put_names(struct strbuf *raw, const struct snapshot *s, size_t i)
{
	size_t len = 0;
	bool any = false;

	for (int f = 0; s->names && f < CN_NR; f++) {
		size_t nl = strlen(sample_name(s, i, (enum cgroup_name)f));

		len += nl + (f ? 1 : 0);
		any |= nl > 0;
	}
	if (!any) {
		sb_varint(raw, 0);
		return;
	}
	sb_varint(raw, len);
	for (int f = 0; f < CN_NR; f++) {
		if (f)
			sb_putc(raw, '\0');
		sb_puts(raw, sample_name(s, i, (enum cgroup_name)f));
	}
}

/* st->pidx for s against prev (NULL: a keyframe), by id; the list is
 * unchanged when every cgroup is where it was, with the same identity. */
static int match_cgroups(struct cycle_state *st, const struct snapshot *s,
			 const struct snapshot *prev, bool *ret_same)
{
	bool same = prev && s->n == prev->n;

	if (reserve_work(st, s->n, 0, 0) < 0)
		return -ENOMEM;
	if (!prev) {
		for (size_t i = 0; i < s->n; i++)
			st->pidx[i] = UINT32_MAX;
		*ret_same = false;
		return 0;
	}
	for (size_t i = 0; same && i < s->n; i++)
		same = same_identity(s, i, prev, i);
	if (same) {
		for (size_t i = 0; i < s->n; i++)
			st->pidx[i] = (uint32_t)i;
	} else {
		if (grow(&st->ids, &st->ids_cap, prev->n + 1, sizeof(*st->ids)) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < prev->n; i++)
			st->ids[i] = prev->cgroups[i].id;
		if (idmap_build(&st->map, st->ids, prev->n) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < s->n; i++)
			st->pidx[i] = idmap_find(&st->map, s->cgroups[i].id);
	}
	*ret_same = same;
	return 0;
}

/* The cgroup before of cgroup i of s, or NULL. */
static inline const struct cgroup_sample *before(const struct cycle_state *st,
						 const struct snapshot *prev, size_t i)
{
	return st->pidx[i] == UINT32_MAX ? NULL : &prev->cgroups[st->pidx[i]];
}

/* The three matrices of s against prev: values, memory.stat rows, io.stat
 * entries, each row against the same cgroup's before. */
static int put_values(struct strbuf *raw, struct cycle_state *st, const struct snapshot *s,
		      const struct snapshot *prev)
{
	size_t nms = 0, nio = 0;
	int r;

	if (reserve_rows(st, s->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		st->rows_cur[i] = &s->cgroups[i];
		st->rows_prev[i] = before(st, prev, i);
	}
	if ((r = put_matrix(raw, st, s->n, local_ncol, sample_gather, sample_get)) < 0)
		return r;
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i], *p = before(st, prev, i);

		if (!cg_has(&c->v, F_MEMORY_STAT))
			continue;
		st->rows_cur[nms] = s->mem_stat.rows[c->v.mem_stat_row];
		st->rows_prev[nms++] = p && cg_has(&p->v, F_MEMORY_STAT) ?
				       prev->mem_stat.rows[p->v.mem_stat_row] : NULL;
	}
	if ((r = put_matrix(raw, st, nms, MEMSTAT_NR, ms_gather, ms_get)) < 0)
		return r;
	for (size_t i = 0; i < s->n; i++)
		nio += s->cgroups[i].v.io_count;
	if (reserve_rows(st, nio) < 0)
		return -ENOMEM;
	nio = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i], *p = before(st, prev, i);

		for (uint32_t e = 0; e < c->v.io_count; e++, nio++) {
			st->rows_cur[nio] = &s->io.items[c->v.io_first + e];
			st->rows_prev[nio] = p && e < p->v.io_count ?
					     &prev->io.items[p->v.io_first + e] : NULL;
		}
	}
	return put_matrix(raw, st, nio, IO_FIELDS, io_gather, io_get);
}

int cycle_encode(struct cycle_state *st, const struct snapshot *s, const struct cycle_meta *m,
		 bool key, uint64_t seq, struct strbuf *raw, bool *ret_key)
{
	const struct snapshot *prev;
	struct strbuf *cst, *pst;
	uint64_t g[G_NR];
	unsigned flags = 0;
	bool same;
	int r;

	pthread_once(&local_once, build_local);
	if (!st->valid || !st->enc_prev || st->ncol != local_ncol || !st->col_map)
		key = true;
	st->valid = false;	/* until this cycle is whole */
	prev = key ? NULL : st->enc_prev;
	cst = &st->enc_statics[!st->enc_cur];
	pst = &st->enc_statics[st->enc_cur];
	if (schema_local(st) < 0 || make_statics(cst, s, m) < 0)
		return -ENOMEM;
	glob_values(s, m, g);
	if ((r = match_cgroups(st, s, prev, &same)) < 0)
		return r;

	raw->len = 0;
	if (key)
		flags |= PF_KEY | PF_LIST | PF_STATICS;
	if (!same)
		flags |= PF_LIST;
	if (key || cst->len != pst->len || memcmp(cst->buf, pst->buf, cst->len))
		flags |= PF_STATICS;
	sb_putc(raw, CODEC_VERSION);
	sb_varint(raw, flags);
	if (key)
		write_schema(raw);
	if (flags & PF_STATICS)
		sb_bytes(raw, cst->buf, cst->len);
	for (size_t k = 0; k < G_NR; k++)
		sb_varint(raw, zigzag(g[k] - (key ? 0 : st->enc_glob[k])));
	for (int b = 0; b < 2; b++) {
		const uint8_t *cb = b ? (const uint8_t *)&s->events : (const uint8_t *)&s->stats;
		const uint8_t *pb = !prev ? NULL :
				    b ? (const uint8_t *)&prev->events : (const uint8_t *)&prev->stats;
		size_t len = b ? sizeof(s->events) : sizeof(s->stats);

		sb_varint(raw, len);
		if (sb_reserve(raw, len) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < len; i++)
			raw->buf[raw->len++] = (char)(cb[i] ^ (pb ? pb[i] : 0));
		raw->buf[raw->len] = '\0';
	}
	if (flags & PF_LIST) {
		uint64_t last = 0;

		sb_varint(raw, s->n);
		for (size_t i = 0; i < s->n; i++) {
			const struct cgroup_sample *c = &s->cgroups[i];
			uint32_t pi = st->pidx[i];
			bool known = pi != UINT32_MAX && same_identity(s, i, prev, pi);

			sb_varint(raw, zigzag(c->id - last));
			last = c->id;
			sb_putc(raw, known ? 0 : 1);
			if (!known) {
				sb_varint(raw, c->parent_id);
				sb_varint(raw, c->depth);
				sb_str(raw, sample_path(s, c));
				put_names(raw, s, i);
			}
		}
	}
	if ((r = put_values(raw, st, s, prev)) < 0)
		return r;
	if (sb_error(raw) < 0)
		return -ENOMEM;
	memcpy(st->enc_glob, g, sizeof(g));
	st->enc_cur = !st->enc_cur;
	/* s is the cycle before from now on; a snapshot is immutable once
	 * made, and only its counter of references changes. */
	snapshot_unref(st->enc_prev);
	st->enc_prev = snapshot_ref((struct snapshot *)s);
	st->valid = true;
	st->seq = seq;
	*ret_key = key;
	return 0;
}


/* --- decoding ---------------------------------------------------------------- */

static int read_statics(struct cycle_data *d, const uint8_t *p, size_t len)
{
	if (grow(&d->statics, &d->statics_cap, len ? len : 1, 1) < 0)
		return -ENOMEM;
	if (len)
		memcpy(d->statics, p, len);
	d->statics_len = len;
	return 0;
}

int cycle_decode(struct cycle_state *st, const uint8_t *raw, size_t len, bool key, uint64_t seq)
{
	struct cycle_data *prev = &st->d[st->cur], *cur = &st->d[!st->cur];
	struct rbuf r = rbuf_of(raw, len);
	unsigned flags;
	uint64_t n;
	int e = -EBADMSG;

	pthread_once(&local_once, build_local);
	if (!key && (!st->valid || seq != st->seq + 1))
		return -ESTALE;
	st->valid = false;
	if (rb_u8(&r) != CODEC_VERSION)
		return -EBADMSG;
	flags = (unsigned)rb_varint(&r);
	if (r.bad || !(flags & PF_KEY) != !key ||
	    (key && (flags & (PF_LIST | PF_STATICS)) != (PF_LIST | PF_STATICS)))
		return -EBADMSG;
	if (key && (e = read_schema(st, &r)) < 0)
		return e;
	if (flags & PF_STATICS) {
		size_t sl;
		const uint8_t *sp = rb_bytes(&r, &sl);

		if (!sp || read_statics(cur, sp, sl) < 0)
			return sp ? -ENOMEM : -EBADMSG;
	} else if (read_statics(cur, prev->statics, prev->statics_len) < 0) {
		return -ENOMEM;
	}
	if (grow(&cur->glob, &cur->globcap, st->nglob + 1, sizeof(*cur->glob)) < 0)
		return -ENOMEM;
	for (size_t k = 0; k < st->nglob; k++)
		cur->glob[k] = (key ? 0 : prev->glob[k]) + unzigzag(rb_varint(&r));
	for (int b = 0; b < 2; b++) {
		size_t bl = (size_t)rb_varint(&r);
		const uint8_t *bp = bl <= rb_left(&r) ? rb_take(&r, bl) : NULL;
		bool x = !key && prev->blob_len[b] == bl;

		if (!bp)
			return -EBADMSG;
		if (grow(&cur->blob[b], &cur->blob_cap[b], bl ? bl : 1, 1) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < bl; i++)
			cur->blob[b][i] = bp[i] ^ (x ? prev->blob[b][i] : 0);
		cur->blob_len[b] = bl;
	}
	if (r.bad)
		return -EBADMSG;

	/* The cgroups. */
	n = (flags & PF_LIST) ? rb_varint(&r) : prev->n;
	/* A listed cgroup takes two bytes or more. */
	if (r.bad || n > CGROUPS_MAX || ((flags & PF_LIST) && n > rb_left(&r) / 2))
		return -EBADMSG;
	if (data_reserve(cur, (size_t)n, st->ncol) < 0 || reserve_work(st, (size_t)n, 0, 0) < 0)
		return -ENOMEM;
	cur->n = (size_t)n;
	cur->slen = 0;
	if (!(flags & PF_LIST)) {
		if (grow(&cur->strings, &cur->scap, prev->slen + 1, 1) < 0)
			return -ENOMEM;
		memcpy(cur->id, prev->id, n * sizeof(*cur->id));
		memcpy(cur->parent, prev->parent, n * sizeof(*cur->parent));
		memcpy(cur->depth, prev->depth, n * sizeof(*cur->depth));
		memcpy(cur->path_off, prev->path_off, n * sizeof(*cur->path_off));
		memcpy(cur->path_len, prev->path_len, n * sizeof(*cur->path_len));
		memcpy(cur->nm_off, prev->nm_off, n * sizeof(*cur->nm_off));
		memcpy(cur->nm_len, prev->nm_len, n * sizeof(*cur->nm_len));
		if (prev->slen)
			memcpy(cur->strings, prev->strings, prev->slen);
		cur->slen = prev->slen;
		for (size_t i = 0; i < n; i++)
			st->pidx[i] = (uint32_t)i;
	} else {
		uint64_t last = 0;

		if (!key && idmap_build(&st->map, prev->id, prev->n) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			uint32_t pi;
			const uint8_t *path, *names;
			size_t plen, nlen;
			int known;

			cur->id[i] = last + unzigzag(rb_varint(&r));
			last = cur->id[i];
			known = rb_u8(&r);
			pi = key ? UINT32_MAX : idmap_find(&st->map, cur->id[i]);
			st->pidx[i] = pi;
			if (r.bad || known > 1 || (known == 0 && pi == UINT32_MAX))
				return -EBADMSG;
			if (known == 0) {
				cur->parent[i] = prev->parent[pi];
				cur->depth[i] = prev->depth[pi];
				path = (const uint8_t *)prev->strings + prev->path_off[pi];
				plen = prev->path_len[pi];
				names = (const uint8_t *)prev->strings + prev->nm_off[pi];
				nlen = prev->nm_len[pi];
			} else {
				cur->parent[i] = rb_varint(&r);
				cur->depth[i] = (uint32_t)rb_varint(&r);
				path = rb_bytes(&r, &plen);
				names = rb_bytes(&r, &nlen);
				if (!path || !names)
					return -EBADMSG;
			}
			if (plen + nlen > UINT32_MAX - cur->slen ||
			    grow(&cur->strings, &cur->scap, cur->slen + plen + nlen + 1, 1) < 0)
				return -ENOMEM;
			cur->path_off[i] = (uint32_t)cur->slen;
			cur->path_len[i] = (uint32_t)plen;
			memcpy(cur->strings + cur->slen, path, plen);
			cur->slen += plen;
			cur->nm_off[i] = (uint32_t)cur->slen;
			cur->nm_len[i] = (uint32_t)nlen;
			if (nlen)
				memcpy(cur->strings + cur->slen, names, nlen);
			cur->slen += nlen;
		}
	}

	/* The values. */
	if ((e = get_matrix(&r, &cur->vals, &cur->vcap, &prev->vals, &prev->vcap, st->pidx, cur->n,
			    st->ncol)) < 0)
		return e;
	cur->nms = 0;
	for (size_t i = 0; i < cur->n; i++) {
		uint64_t present = val(cur, st->ncol, i, st->rec_col_present);

		cur->ms_row[i] = UINT32_MAX;
		if (st->rec_ms_bit >= 0 && (present >> st->rec_ms_bit & 1))
			cur->ms_row[i] = (uint32_t)cur->nms++;
	}
	if (grow(&cur->ms, &cur->mscap, (cur->nms + 1) * (st->nmsk ? st->nmsk : 1), sizeof(*cur->ms)) < 0 ||
	    reserve_work(st, cur->n, cur->nms, 0) < 0)
		return -ENOMEM;
	match_rows(st, cur, prev);
	if ((e = get_matrix(&r, &cur->ms, &cur->mscap, &prev->ms, &prev->mscap, st->prow, cur->nms,
			    st->nmsk)) < 0)
		return e;
	cur->nio = 0;
	for (size_t i = 0; i < cur->n; i++) {
		uint64_t cnt = val(cur, st->ncol, i, st->rec_col_iocount);

		if (cnt > IO_PER_CGROUP_MAX || cur->nio + cnt > IO_MAX)
			return -EBADMSG;
		cur->io_first[i] = (uint32_t)cur->nio;
		cur->nio += (size_t)cnt;
	}
	if (grow(&cur->io, &cur->iocap, (cur->nio + 1) * IO_FIELDS, sizeof(*cur->io)) < 0 ||
	    match_io(st, cur, prev) < 0)
		return -ENOMEM;
	if ((e = get_matrix(&r, &cur->io, &cur->iocap, &prev->io, &prev->iocap, st->pio, cur->nio,
			    IO_FIELDS)) < 0)
		return e;
	if (r.bad || r.p != r.end)
		return -EBADMSG;
	st->cur = !st->cur;
	st->valid = true;
	st->seq = seq;
	return 0;
}

/* --- the snapshot of a state ------------------------------------------------ */

static void parse_statics(const uint8_t *p, size_t len, struct cycle_meta *m, char **root)
{
	struct rbuf r = rbuf_of(p, len);

	while (rb_left(&r)) {
		uint64_t tag = rb_varint(&r);
		size_t vl;
		const uint8_t *v = rb_bytes(&r, &vl);
		struct rbuf vr = rbuf_of(v, vl);

		if (!v)
			break;
		switch (tag) {
		case ST_VERSION:
			snprintf(m->version, sizeof(m->version), "%.*s", (int)vl, (const char *)v);
			break;
		case ST_ROOT:
			/* Not strndup: the bytes are not NUL-terminated. */
			free(*root);
			*root = malloc(vl + 1);
			if (*root) {
				memcpy(*root, v, vl);
				(*root)[vl] = '\0';
			}
			break;
		case ST_COMPAT:
			m->compat = (uint8_t)rb_varint(&vr);
			break;
		case ST_HOSTNAME:
			snprintf(m->hostname, sizeof(m->hostname), "%.*s", (int)vl, (const char *)v);
			break;
		case ST_KERNEL:
			snprintf(m->kernel, sizeof(m->kernel), "%.*s", (int)vl, (const char *)v);
			break;
		case ST_INTERVAL:
			m->interval_ms = rb_varint(&vr);
			break;
		case ST_DEVNAMES: {
			uint64_t nd = rb_varint(&vr);

			if (vr.bad || nd > DEVS_MAX || nd > rb_left(&vr))
				break;
			free(m->devs);
			m->devs = calloc(nd ? nd : 1, sizeof(*m->devs));
			m->ndev = 0;
			for (size_t i = 0; m->devs && i < nd && !vr.bad; i++) {
				struct cycle_devname *dn = &m->devs[m->ndev];

				dn->major = (uint32_t)rb_varint(&vr);
				dn->minor = (uint32_t)rb_varint(&vr);
				rb_str(&vr, dn->name, sizeof(dn->name));
				if (!vr.bad)
					m->ndev++;
			}
			break;
		}
		default:
			break;	/* a newer cgscope's: skipped */
		}
	}
}

/* s's names, as container_names_attach gives them: offsets into one string
 * table, "" at 0. */
static int snapshot_names(struct snapshot *s, const struct cycle_data *d)
{
	size_t len = 1;

	for (size_t i = 0; i < d->n; i++)
		len += d->nm_len[i] + 1;
	s->names = calloc(d->n ? d->n : 1, sizeof(*s->names));
	s->names_strings = malloc(len);
	if (!s->names || !s->names_strings)
		return -ENOMEM;
	s->names_strings[0] = '\0';
	len = 1;
	for (size_t i = 0; i < d->n; i++) {
		const char *p = d->strings + d->nm_off[i], *end = p + d->nm_len[i];

		for (int f = 0; f < CN_NR && p < end; f++) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			size_t nl = z ? (size_t)(z - p) : (size_t)(end - p);

			if (nl) {
				s->names[i][f] = (uint32_t)len;
				memcpy(s->names_strings + len, p, nl);
				len += nl;
				s->names_strings[len++] = '\0';
			}
			p += nl + 1;
		}
	}
	return 0;
}

static uint64_t glob_of(const struct cycle_state *st, const struct cycle_data *d, int local)
{
	for (size_t k = 0; k < st->nglob; k++)
		if (st->glob_map[k] == local)
			return d->glob[k];
	return 0;
}

int cycle_state_snapshot(const struct cycle_state *st, struct snapshot **ret,
			 struct cycle_meta *ret_meta, bool *ret_layout_differs)
{
	const struct cycle_data *d = &st->d[st->cur];
	struct cycle_meta m = { 0 };
	struct snapshot *s;
	size_t slen = 0;
	bool differs = false, native;
	int r;

	if (!st->valid)
		return -ENODATA;
	/* Every name in the order this cgscope has them: values map one to one. */
	native = st->ncol == local_ncol && st->nfiles == F_NR && st->nmsk == MEMSTAT_NR;
	for (size_t k = 0; native && k < st->ncol; k++)
		native = st->col_map[k] == (int16_t)k;
	for (size_t f = 0; native && f < st->nfiles; f++)
		native = st->file_map[f] == (int16_t)f;
	for (size_t k = 0; native && k < st->nmsk; k++)
		native = st->msk_map[k] == (int16_t)k;
	s = snapshot_new();
	if (!s)
		return -ENOMEM;
	s->n = d->n;
	s->cgroups = calloc(d->n ? d->n : 1, sizeof(*s->cgroups));
	s->strings = malloc(d->slen + d->n + 1);
	s->io.items = malloc((d->nio ? d->nio : 1) * sizeof(*s->io.items));
	if (!s->cgroups || !s->strings || !s->io.items)
		goto nomem;
	s->io.len = s->io.cap = (uint32_t)d->nio;
	for (size_t j = 0; j < d->nio; j++)
		io_entry(&s->io.items[j], d->io + j * IO_FIELDS);
	for (size_t i = 0; i < d->n; i++) {
		struct cgroup_sample *c = &s->cgroups[i];
		uint32_t present = 0;

		c->id = d->id[i];
		c->parent_id = d->parent[i];
		c->depth = d->depth[i];
		c->path_off = (uint32_t)slen;
		memcpy(s->strings + slen, d->strings + d->path_off[i], d->path_len[i]);
		slen += d->path_len[i];
		s->strings[slen++] = '\0';
		if (native) {
			/* Recorded by this cgscope: the row back by runs. */
			const uint64_t *row = d->vals + i * st->ncol;

			for (size_t k = 0; k < local_nruns; k++) {
				const struct col_run *r = &local_runs[k];

				if (r->size == 8)
					memcpy((char *)c + r->off, row + r->col, r->count * 8u);
				else
					set_field(c, &local_cols[r->col], row[r->col]);
			}
			present = c->v.present;
		} else {
			for (size_t k = 0; k < st->ncol; k++) {
				int lc = st->col_map[k];
				uint64_t v = d->vals[i * st->ncol + k];

				if (lc < 0)
					continue;
				if (lc == local_col_present) {
					for (size_t b = 0; b < st->nfiles; b++)
						if ((v >> b & 1) && st->file_map[b] >= 0)
							present |= 1u << st->file_map[b];
					continue;
				}
				set_field(c, &local_cols[lc], v);
			}
		}
		c->v.present = present;
		/* io.stat: its entries, as the counts said. */
		c->v.io_first = d->io_first[i];
		if (st->rec_col_iocount < 0)
			c->v.io_count = 0;
		if (d->ms_row[i] != UINT32_MAX && cg_has(&c->v, F_MEMORY_STAT)) {
			uint32_t row;
			const uint64_t *src = d->ms + (size_t)d->ms_row[i] * st->nmsk;

			if (stat_rows_add(&s->mem_stat, &row) < 0)
				goto nomem;
			if (native) {
				memcpy(s->mem_stat.rows[row], src, MEMSTAT_NR * sizeof(uint64_t));
			} else {
				for (int k = 0; k < MEMSTAT_NR; k++)
					s->mem_stat.rows[row][k] = CG_UNSET;
				for (size_t k = 0; k < st->nmsk; k++)
					if (st->msk_map[k] >= 0)
						s->mem_stat.rows[row][st->msk_map[k]] = src[k];
			}
			c->v.mem_stat_row = row;
		} else {
			c->v.present &= ~(1u << F_MEMORY_STAT);
		}
	}
	s->strings_len = slen;
	if (glob_of(st, d, G_NAMES_ON) && (r = snapshot_names(s, d)) < 0)
		goto nomem;
	for (int e = 0; e < IDERR_NR; e++)
		s->identity_errors[e] = glob_of(st, d, G_ID_ERR + e);
	s->cycle = glob_of(st, d, G_CYCLE);
	s->taken_ms = (int64_t)glob_of(st, d, G_TAKEN_MS);
	s->taken_mono_ns = glob_of(st, d, G_TAKEN_MONO);
	s->read_mono_ns = glob_of(st, d, G_READ_MONO);
	m.filtered = glob_of(st, d, G_FILTERED);
	m.over_limit = glob_of(st, d, G_OVER_LIMIT);
	m.rec.on = glob_of(st, d, G_REC_ON) != 0;
	m.rec.bytes = glob_of(st, d, G_REC_BYTES);
	m.rec.frames = glob_of(st, d, G_REC_FRAMES);
	m.rec.oldest_ms = (int64_t)glob_of(st, d, G_REC_OLDEST);
	for (int e = 0; e < REC_ERR_NR; e++)
		m.rec.errors[e] = glob_of(st, d, G_REC_ERR + e);
	if (d->blob_len[0] == sizeof(s->stats))
		memcpy(&s->stats, d->blob[0], sizeof(s->stats));
	else
		differs = true;
	if (d->blob_len[1] == sizeof(s->events)) {
		memcpy(&s->events, d->blob[1], sizeof(s->events));
		/* Strings from a file end where their arrays do. */
		s->events.bpf_error[sizeof(s->events.bpf_error) - 1] = '\0';
		if (s->events.nhooks > EVENTS_MAX_HOOKS)
			s->events.nhooks = EVENTS_MAX_HOOKS;
		if (s->events.nprogs > EVENTS_MAX_PROGS)
			s->events.nprogs = EVENTS_MAX_PROGS;
		for (unsigned h = 0; h < EVENTS_MAX_HOOKS; h++) {
			s->events.hooks[h].feature[sizeof(s->events.hooks[h].feature) - 1] = '\0';
			s->events.hooks[h].hook[sizeof(s->events.hooks[h].hook) - 1] = '\0';
		}
		for (unsigned p = 0; p < EVENTS_MAX_PROGS; p++)
			s->events.progs[p].name[sizeof(s->events.progs[p].name) - 1] = '\0';
	} else {
		differs = true;
	}
	parse_statics(d->statics, d->statics_len, &m, &s->root);
	if (!s->root)
		s->root = strdup("");
	if (!s->root)
		goto nomem;
	/* Counts and indexes from a file are checked before a renderer
	 * follows them. */
	for (size_t i = 0; i < d->n; i++) {
		struct cgroup_values *v = &s->cgroups[i].v;

		if ((uint64_t)v->io_first + v->io_count > d->nio)
			v->io_first = v->io_count = 0;
	}
	*ret = s;
	*ret_meta = m;
	if (ret_layout_differs)
		*ret_layout_differs = differs;
	return 0;
nomem:
	cycle_meta_free(&m);
	snapshot_unref(s);
	return -ENOMEM;
}
