// SPDX-License-Identifier: GPL-2.0-or-later
/* The status JSON writer: valid JSON for any bytes, stable layout. */
#include <errno.h>
#include <stdlib.h>

#include "json-private.h"
#include "macro.h"
#include "../tap.h"

/* S through the escaper, as a string (caller frees). */
static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	qnet_json_write_string(f, s);
	fclose(f);
	return buf;
}

static void escapes(const char *in, const char *want, const char *what)
{
	_cleanup_free_ char *got = escaped(in);

	is_str(got, want, "%s", what);
}

static void test_escaping(void)
{
	escapes("br0", "\"br0\"", "plain ASCII is unchanged");
	escapes("", "\"\"", "the empty string");
	escapes("a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash are escaped");
	escapes("a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"", "the short control escapes");
	escapes("\x01\x1f", "\"\\u0001\\u001f\"", "other control characters as \\u00XX");
	escapes("\x7f", "\"\\u007f\"", "DEL is escaped so a terminal does not act on it");
	escapes("/", "\"/\"", "slash needs no escape");
	escapes("caf\xc3\xa9", "\"caf\xc3\xa9\"", "well-formed 2-byte UTF-8 passes through");
	escapes("\xe2\x82\xac", "\"\xe2\x82\xac\"", "well-formed 3-byte UTF-8 passes through");
	escapes("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "well-formed 4-byte UTF-8 passes through");
	escapes("a\xffz", "\"a\\ufffdz\"", "a byte that never starts UTF-8 becomes U+FFFD");
	escapes("\xc3", "\"\\ufffd\"", "a truncated sequence at the end becomes U+FFFD");
	escapes("\xc3(", "\"\\ufffd(\"", "a lead byte without continuation keeps the next byte");
	escapes("\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong encodings are rejected");
	escapes("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "UTF-16 surrogates are rejected");
	escapes("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "code points above U+10FFFF are rejected");
	escapes("\x80", "\"\\ufffd\"", "a lone continuation byte becomes U+FFFD");
}

static void test_document(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct qnet_json j;

	qnet_json_init(&j, f);
	qnet_json_object_begin(&j);
	qnet_json_key(&j, "version");
	qnet_json_int(&j, 1);
	qnet_json_key(&j, "empty");
	qnet_json_array_begin(&j);
	qnet_json_array_end(&j);
	qnet_json_key(&j, "list");
	qnet_json_array_begin(&j);
	qnet_json_bool(&j, true);
	qnet_json_null(&j);
	qnet_json_string(&j, NULL);
	qnet_json_int(&j, -5);
	qnet_json_object_begin(&j);
	qnet_json_key(&j, "k\"");
	qnet_json_string(&j, "v");
	qnet_json_object_end(&j);
	qnet_json_array_end(&j);
	qnet_json_object_end(&j);
	is_int(qnet_json_finish(&j), 0, "a balanced document finishes cleanly");
	fclose(f);
	is_str(buf,
	       "{\n"
	       "  \"version\": 1,\n"
	       "  \"empty\": [],\n"
	       "  \"list\": [\n"
	       "    true,\n"
	       "    null,\n"
	       "    null,\n"
	       "    -5,\n"
	       "    {\n"
	       "      \"k\\\"\": \"v\"\n"
	       "    }\n"
	       "  ]\n"
	       "}\n", "layout: two-space indent, keys in order, NULL string is null");
	free(buf);
}

static void test_misuse(void)
{
	FILE *f = fopen("/dev/null", "we");
	struct qnet_json j;

	qnet_json_init(&j, f);
	qnet_json_object_begin(&j);
	qnet_json_key(&j, "dangling");
	is_int(qnet_json_finish(&j), -EINVAL, "an unbalanced document is reported");

	qnet_json_init(&j, f);
	qnet_json_array_end(&j);
	is_int(qnet_json_finish(&j), -EINVAL, "closing more than was opened is reported");

	qnet_json_init(&j, f);
	for (int i = 0; i < QNET_JSON_MAX_DEPTH + 2; i++)
		qnet_json_array_begin(&j);
	is_int(qnet_json_finish(&j), -EINVAL, "nesting deeper than the limit is reported, not overflowed");
	fclose(f);
}

int main(void)
{
	test_escaping();
	test_document();
	test_misuse();
	return tap_done();
}
