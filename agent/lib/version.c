// SPDX-License-Identifier: GPL-2.0-only
#include "lib/version.h"

const char cgscope_version[] = CGSCOPE_VERSION;
