/* SPDX-License-Identifier: GPL-2.0-only */
/* Cgroup id -> index, for matching a cycle's cgroups with the cycle before
 * (open addressing, linear probing; built when the list of cgroups changed). */
#ifndef CGSCOPE_RECORD_IDMAP_H
#define CGSCOPE_RECORD_IDMAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct idmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;		/* capacity - 1; capacity a power of two */
};

static inline size_t idmap_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id;
}

/* ids[0..n): the map of each to its index (the first, if repeated). */
static inline int idmap_build(struct idmap *m, const uint64_t *ids, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap <<= 1;
	if (m->mask + 1 < cap || !m->keys) {
		free(m->keys);
		free(m->vals);
		m->keys = malloc(cap * sizeof(*m->keys));
		m->vals = malloc(cap * sizeof(*m->vals));
		if (!m->keys || !m->vals) {
			free(m->keys);
			free(m->vals);
			m->keys = NULL;
			m->vals = NULL;
			m->mask = 0;
			return -ENOMEM;
		}
		m->mask = cap - 1;
	}
	for (size_t i = 0; i <= m->mask; i++)
		m->vals[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t h = idmap_hash(ids[i]) & m->mask;

		while (m->vals[h] != UINT32_MAX && m->keys[h] != ids[i])
			h = (h + 1) & m->mask;
		if (m->vals[h] == UINT32_MAX) {
			m->keys[h] = ids[i];
			m->vals[h] = (uint32_t)i;
		}
	}
	return 0;
}

/* The index of id, or UINT32_MAX. */
static inline uint32_t idmap_find(const struct idmap *m, uint64_t id)
{
	size_t h = idmap_hash(id) & m->mask;

	if (!m->keys)
		return UINT32_MAX;
	while (m->vals[h] != UINT32_MAX) {
		if (m->keys[h] == id)
			return m->vals[h];
		h = (h + 1) & m->mask;
	}
	return UINT32_MAX;
}

static inline void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct idmap){ 0 };
}

#endif
