/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small streaming JSON writer for `qnet status --json`. Output is always
 * valid JSON, whatever the strings hold: lease host names come from guests
 * and interface names may hold any byte but '/', ':' and blanks, so control
 * characters are escaped and bytes that are not well-formed UTF-8 become
 * U+FFFD. Pretty-printed with two spaces, keys in the order written, so the
 * output is stable for a given state.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define QNET_JSON_MAX_DEPTH 32

struct qnet_json {
	FILE *f;
	unsigned depth;
	bool after_key;                          /* a value completes "key": */
	bool has_items[QNET_JSON_MAX_DEPTH + 1]; /* a comma is due at this depth */
	bool misuse;                             /* nesting too deep or unbalanced */
};

void qnet_json_init(struct qnet_json *j, FILE *f);
void qnet_json_object_begin(struct qnet_json *j);
void qnet_json_object_end(struct qnet_json *j);
void qnet_json_array_begin(struct qnet_json *j);
void qnet_json_array_end(struct qnet_json *j);
/* Inside an object: the key of the next value. */
void qnet_json_key(struct qnet_json *j, const char *key);
void qnet_json_string(struct qnet_json *j, const char *s); /* NULL writes null */
void qnet_json_null(struct qnet_json *j);
/* A key and its value in one call, for the common case. */
void qnet_json_member_string(struct qnet_json *j, const char *key, const char *s);
void qnet_json_member_int(struct qnet_json *j, const char *key, int64_t v);
void qnet_json_member_bool(struct qnet_json *j, const char *key, bool v);
/* V when PRESENT, else null. */
void qnet_json_member_int_or_null(struct qnet_json *j, const char *key, bool present, int64_t v);
/* Ends the document (newline). 0, -EINVAL if it was not balanced, -EIO on a write error. */
int qnet_json_finish(struct qnet_json *j);
