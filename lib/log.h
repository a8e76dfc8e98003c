/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages: one line on stderr, "PROGRAM: message". Audit lines go to syslog
 * (authpriv) as well, so a privileged decision leaves a trail. The one file
 * of lib/ that prints: everything else returns -errno with a reason, and
 * the program says it with these.
 *
 * The verbs every program says, qnet_error(), qnet_warn(), qnet_audit(),
 * and qnet_because(), which library code says, carry no "log_" in their
 * names (as ell's l_error() and l_warn() do not): in lib/,
 * qnet_log_because() would read as if the library printed, which it never
 * does. Everything else here is qnet_log_*.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The size of every buffer a reason is written into: the WHY of a library
 * function (qnet_because), an ACL decision's reason, the first error of a
 * file. A reason may name a file, so it has room for a path of PATH_MAX
 * bytes and the sentence around it.
 */
#define QNET_REASON_MAX (PATH_MAX + 192)

void qnet_log_init(const char *argv0);
const char *qnet_log_program(void);

/* An error line. Returns EXIT_FAILURE, so that a program's
 * "return qnet_error(...);" says it and exits with it. */
int qnet_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void qnet_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* authpriv syslog line, also echoed to stderr when it denies. */
void qnet_audit(bool denied, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A finding in a file, the one way it is written everywhere (a program's
 * diagnostic, qnet check's report, a bridge helper denial): "FILE:LINE: "
 * and then FMT's message into BUF, or "FILE: " and the message when LINE is
 * 0 (a finding about the whole file). Returns 0, or -ENOBUFS when it had
 * to be cut to fit (BUF still holds a terminated line).
 */
int qnet_log_format_location(char *buf, size_t size, const char *file, unsigned line,
			     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * A qnet_diag_fn (lib/config.h) for programs: a configuration finding on
 * stderr as one line, "PROGRAM: FILE:LINE: MESSAGE", "warning: " before
 * MESSAGE if it is not an error. USERDATA is not used.
 */
void qnet_log_diag(void *userdata, const char *file, unsigned line, bool is_error, const char *msg);

/* A notice callback (qnet_nat_set_notice, lib/nat.h) for programs: what
 * the library changed on the host, on stderr as one warning line,
 * "PROGRAM: warning: LINE". USERDATA is not used. */
void qnet_log_notice(const char *line, void *userdata);

/* Write a cause into WHY, for the caller that knows the object to print
 * "PROGRAM: OBJECT: WHY", and return R (a -errno). */
int qnet_because(char *why, size_t why_size, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
