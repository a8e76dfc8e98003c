/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/json.c's single values and its escaping, exported for the unit test
 * only (tests/unit/test-json.c); programs write members (json.h), which
 * are made of these.
 */
#pragma once

#include "json.h"

void qnet_json_int(struct qnet_json *j, int64_t v);
void qnet_json_bool(struct qnet_json *j, bool v);

/* Just the escaping: S as a JSON string literal, quotes included. */
void qnet_json_write_string(FILE *f, const char *s);
