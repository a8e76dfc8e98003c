/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Numbers, rates and yes/no values, from configuration files, sysfs, /proc and
 * pid files: the whole string is the value or it is refused (-EINVAL),
 * never a prefix of it. Pure functions: tests/fuzz/fuzz-values.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* yes, true, on, 1 or no, false, off, 0, in any case. */
int qnet_parse_bool(const char *s, bool *ret);
/* A decimal number, the whole string, no sign or blanks, at most MAX. */
int qnet_parse_uint(const char *s, unsigned long max, unsigned long *ret);
/*
 * A rate as tc(8) writes one, in bytes per second into *RET: a whole
 * decimal number and a unit, in any case, SI (k = 1000): bit kbit mbit
 * gbit tbit (bits per second), bps kbps mbps gbps tbps (bytes per
 * second); no unit is bits per second. Bits are rounded down to bytes, as
 * tc does. -EINVAL for no number, an unknown unit, less than 8 bit/s (no
 * whole byte) and more than fits in 64 bits.
 */
int qnet_parse_rate(const char *s, uint64_t *ret);
