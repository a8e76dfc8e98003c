/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/leases.c's parser, exported for the unit test and the fuzz harness
 * only (tests/unit/test-leases.c, tests/fuzz/fuzz-leases.c); programs load
 * a network's leases with qnet_leases_load() (leases.h).
 */
#pragma once

#include "leases.h"

/* Parse BUF; malformed lines are skipped. *ret is malloc'd (free it). */
int qnet_leases_parse(const char *buf, size_t len, struct qnet_lease **ret, size_t *n);
