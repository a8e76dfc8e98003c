// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>

#include "json-private.h"

void qnet_json_init(struct qnet_json *j, FILE *f)
{
	*j = (struct qnet_json){ .f = f };
}

static void newline_indent(struct qnet_json *j)
{
	fputc('\n', j->f);
	for (unsigned i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Comma and indentation before a value or key; none after "key": */
static void before_item(struct qnet_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->has_items[j->depth])
		fputc(',', j->f);
	if (j->depth > 0)
		newline_indent(j);
	j->has_items[j->depth] = true;
}

static void begin(struct qnet_json *j, char c)
{
	before_item(j);
	fputc(c, j->f);
	if (j->depth >= QNET_JSON_MAX_DEPTH) {
		j->misuse = true;
		return;
	}
	j->has_items[++j->depth] = false;
}

static void end(struct qnet_json *j, char c)
{
	bool had_items;

	if (j->depth == 0 || j->after_key) {
		j->misuse = true;
		return;
	}
	had_items = j->has_items[j->depth];
	j->depth--;
	if (had_items)
		newline_indent(j);
	fputc(c, j->f);
}

void qnet_json_object_begin(struct qnet_json *j) { begin(j, '{'); }
void qnet_json_object_end(struct qnet_json *j) { end(j, '}'); }
void qnet_json_array_begin(struct qnet_json *j) { begin(j, '['); }
void qnet_json_array_end(struct qnet_json *j) { end(j, ']'); }

void qnet_json_key(struct qnet_json *j, const char *key)
{
	if (j->after_key)
		j->misuse = true;
	before_item(j);
	qnet_json_write_string(j->f, key);
	fputs(": ", j->f);
	j->after_key = true;
}

/* Length of the well-formed UTF-8 sequence at S (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if it is not one. */
static unsigned utf8_len(const unsigned char *s)
{
	unsigned n;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, cp = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, cp = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

void qnet_json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		unsigned n = utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			/* DEL is valid JSON, but a terminal would act on it. */
			if (*s < 0x20 || *s == 0x7F)
				fprintf(f, "\\u%04x", *s);
			else
				fputc(*s, f);
		}
		s++;
	}
	fputc('"', f);
}

void qnet_json_string(struct qnet_json *j, const char *s)
{
	if (!s) {
		qnet_json_null(j);
		return;
	}
	before_item(j);
	qnet_json_write_string(j->f, s);
}

void qnet_json_int(struct qnet_json *j, int64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRId64, v);
}

void qnet_json_bool(struct qnet_json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->f);
}

void qnet_json_null(struct qnet_json *j)
{
	before_item(j);
	fputs("null", j->f);
}

void qnet_json_member_string(struct qnet_json *j, const char *key, const char *s)
{
	qnet_json_key(j, key);
	qnet_json_string(j, s);
}

void qnet_json_member_int(struct qnet_json *j, const char *key, int64_t v)
{
	qnet_json_key(j, key);
	qnet_json_int(j, v);
}

void qnet_json_member_bool(struct qnet_json *j, const char *key, bool v)
{
	qnet_json_key(j, key);
	qnet_json_bool(j, v);
}

void qnet_json_member_int_or_null(struct qnet_json *j, const char *key, bool present, int64_t v)
{
	qnet_json_key(j, key);
	if (present)
		qnet_json_int(j, v);
	else
		qnet_json_null(j);
}

int qnet_json_finish(struct qnet_json *j)
{
	fputc('\n', j->f);
	if (j->misuse || j->depth != 0 || j->after_key)
		return -EINVAL;
	if (fflush(j->f) != 0 || ferror(j->f))
		return -EIO;
	return 0;
}
