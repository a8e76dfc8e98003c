// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

/* What one message on stderr may hold; longer ones are cut. */
#define MESSAGE_MAX 1024

static const char *program = "qnet";

void qnet_log_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	program = slash ? slash + 1 : argv0;
}

const char *qnet_log_program(void)
{
	return program;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	/* One fprintf of a preformatted line keeps concurrent writers from interleaving. */
	char line[MESSAGE_MAX];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", program, prefix, line);
}

int qnet_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

void qnet_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void qnet_log_notice(const char *line, void *userdata)
{
	qnet_warn("%s", line);
}

int qnet_log_format_location(char *buf, size_t size, const char *file, unsigned line,
			     const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = line ? snprintf(buf, size, "%s:%u: ", file, line) : snprintf(buf, size, "%s: ", file);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= size - (size_t)n ? -ENOBUFS : 0;
}

void qnet_log_diag(void *userdata, const char *file, unsigned line, bool is_error, const char *msg)
{
	char text[MESSAGE_MAX];

	(void)userdata;
	qnet_log_format_location(text, sizeof(text), file, line, "%s%s", is_error ? "" : "warning: ", msg);
	qnet_error("%s", text);
}

/*
 * An audit record is read by people and parsers long after the fact, and
 * its fields carry bytes the caller chose (a bridge name may hold any byte
 * but '/', ':', NUL and blanks). Every byte that is not printable ASCII
 * becomes \xNN, and '\' itself \\, so a record can neither fake a second
 * line (NEL, CR), reorder what a terminal shows (bidi overrides) nor be
 * told apart from the bytes that made it.
 */
static void audit_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < size; p++) {
		if (*p >= ' ' && *p < 0x7f && *p != '\\') {
			out[o++] = (char)*p;
		} else if (*p == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		}
	}
	out[o] = '\0';
}

void qnet_audit(bool denied, const char *fmt, ...)
{
	char raw[1024], line[4 * sizeof(raw) + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	audit_escape(raw, line, sizeof(line));

	openlog(program, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | (denied ? LOG_WARNING : LOG_INFO), "%s", line);
	closelog();
	if (denied)
		fprintf(stderr, "%s: %s\n", program, line);
}

int qnet_because(char *why, size_t why_size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return r;
}
