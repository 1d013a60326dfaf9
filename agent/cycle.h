/* SPDX-License-Identifier: GPL-2.0-only */
/* One collection cycle: read the tree, then render the pages every reader
 * will be served, so that no reader ever renders or reads cgroupfs. */
#ifndef CGSCOPE_CYCLE_H
#define CGSCOPE_CYCLE_H

#include "collector.h"
#include "snapshot.h"

int cycle_run(struct collector *c, struct snapshot **ret);

#endif
