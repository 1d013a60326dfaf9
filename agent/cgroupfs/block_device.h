/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of block devices, for labels that want "/dev/sda" rather than the
 * "8:0" of io.stat (cAdvisor's `device` label). */
#ifndef CGSCOPE_BLOCK_DEVICE_H
#define CGSCOPE_BLOCK_DEVICE_H

#include <stddef.h>
#include <stdint.h>

/* The DEVNAME= line of a sysfs uevent file ("DEVNAME=nvme0n1"), as
 * "/dev/nvme0n1" in ret[size]. -ENOENT if there is no such line,
 * -ENAMETOOLONG if it does not fit. */
int parse_uevent_devname(const char *buf, size_t len, char *ret, size_t size);

/* The /dev name of device major:minor, from /sys/dev/block/MAJ:MIN/uevent
 * (world-readable, so this works after the privilege drop). -ENOENT when the
 * device is gone or has no name. */
int block_device_name(uint32_t major, uint32_t minor, char *ret, size_t size);

#endif
