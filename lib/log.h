/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages: one line on stderr, "PROGRAM: message". Audit lines go to syslog
 * (authpriv) as well, so a privileged decision leaves a trail.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void qnet_log_init(const char *argv0);
const char *qnet_log_program(void);

void qnet_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void qnet_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* authpriv syslog line, also echoed to stderr when it denies. */
void qnet_audit(bool denied, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write a cause into WHY, for the caller that knows the object to print
 * "PROGRAM: OBJECT: WHY", and return R (a -errno). */
int qnet_because(char *why, size_t why_size, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
