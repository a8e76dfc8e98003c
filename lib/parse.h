/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Numbers and yes/no values, from configuration files, sysfs, /proc and
 * pid files: the whole string is the value or it is refused (-EINVAL),
 * never a prefix of it. Pure functions: tests/fuzz/fuzz-values.c.
 */
#pragma once

#include <stdbool.h>

/* yes, true, on, 1 or no, false, off, 0, in any case. */
int qnet_parse_bool(const char *s, bool *ret);
/* A decimal number, the whole string, no sign or blanks, at most MAX. */
int qnet_parse_uint(const char *s, unsigned long max, unsigned long *ret);
