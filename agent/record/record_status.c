// SPDX-License-Identifier: GPL-2.0-only
#include "record/record_status.h"

const char *const record_error_names[REC_ERR_NR] = {
	[REC_ERR_NO_SPACE] = "no_space",
	[REC_ERR_IO] = "io",
	[REC_ERR_EVENTS_LOST] = "events_lost",
	[REC_ERR_TORN] = "torn",
};
