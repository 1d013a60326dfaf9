// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/net_tree.h"
#include "lib/macros.h"

static void add(struct cgscope_net_figures *to, const struct cgscope_net_figures *x)
{
	to->rx_bytes += x->rx_bytes;
	to->rx_packets += x->rx_packets;
	to->tx_bytes += x->tx_bytes;
	to->tx_packets += x->tx_packets;
	to->tcp_retransmits += x->tcp_retransmits;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct net_tree_entry *x = a, *y = b;

	return CMP(x->id, y->id);
}

static size_t find_index(const struct net_tree *nt, uint64_t id)
{
	size_t lo = 0, hi = nt->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nt->e[mid].id == id)
			return mid;
		if (nt->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

const struct net_tree_entry *net_tree_find(const struct net_tree *nt, uint64_t id)
{
	size_t i = find_index(nt, id);

	return i == SIZE_MAX ? NULL : &nt->e[i];
}

/* Deepest first: a cgroup's subtree figure is whole before it is added to
 * its parent's. */
static int deeper_first(const void *a, const void *b, void *arg)
{
	const uint32_t *level = arg;
	uint32_t x = level[*(const size_t *)a], y = level[*(const size_t *)b];

	return CMP(y, x);
}

static int grow(struct net_tree *nt, size_t n)
{
	struct net_tree_entry *e;
	size_t *order, *parent;
	uint32_t *level;

	if (n <= nt->cap)
		return 0;
	if (!(e = realloc(nt->e, n * sizeof(*e))))
		return -ENOMEM;
	nt->e = e;
	if (!(order = realloc(nt->order, n * sizeof(*order))))
		return -ENOMEM;
	nt->order = order;
	if (!(parent = realloc(nt->parent, n * sizeof(*parent))))
		return -ENOMEM;
	nt->parent = parent;
	if (!(level = realloc(nt->level, n * sizeof(*level))))
		return -ENOMEM;
	nt->level = level;
	nt->cap = n;
	return 0;
}

int net_tree_build(const struct cgc_tree *t, struct net_tree *nt)
{
	/* An entry with its parent's id and its level, while they are
	 * sorted by id. */
	struct pending {
		struct net_tree_entry e;
		uint64_t parent;
		uint32_t level;
	} *p;
	int r;

	nt->n = 0;
	if (t->n && t->n_u64 * sizeof(uint64_t) != sizeof(struct cgscope_net_counts))
		return -EINVAL;
	if (!t->n)
		return 0;
	r = grow(nt, t->n);
	if (r < 0)
		return r;
	p = malloc(t->n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		struct cgscope_net_counts c;

		memcpy(&c, t->values + i * t->n_u64, sizeof(c));
		p[i].e.id = t->slots[i].id;
		p[i].e.own = c.own;
		p[i].e.total = c.own;
		add(&p[i].e.total, &c.gone);
		p[i].parent = t->slots[i].parent;
		p[i].level = t->slots[i].level;
	}
	/* id first in both: sorted by id as entries */
	qsort(p, t->n, sizeof(*p), entry_cmp);
	for (size_t i = 0; i < t->n; i++)
		nt->e[i] = p[i].e;
	nt->n = t->n;
	for (size_t i = 0; i < t->n; i++) {
		nt->parent[i] = p[i].parent ? find_index(nt, p[i].parent) : SIZE_MAX;
		nt->level[i] = p[i].level;
		nt->order[i] = i;
	}
	free(p);
	qsort_r(nt->order, nt->n, sizeof(*nt->order), deeper_first, nt->level);
	for (size_t k = 0; k < nt->n; k++) {
		size_t i = nt->order[k], up = nt->parent[i];

		if (up != SIZE_MAX && up != i)
			add(&nt->e[up].total, &nt->e[i].total);
	}
	return 0;
}

void net_tree_free(struct net_tree *nt)
{
	free(nt->e);
	free(nt->order);
	free(nt->parent);
	free(nt->level);
	*nt = (struct net_tree){0};
}
