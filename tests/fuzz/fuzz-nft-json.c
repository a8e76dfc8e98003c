// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reader of `nft -j list ruleset` (lib/nft.c), which `qnet doctor`
 * runs as root over whatever rules anyone with CAP_NET_ADMIN wrote. The
 * input is the JSON text, without a NUL at its end. Besides no crash and
 * no read outside it, what doctor relies on must hold: every object's text
 * lies within the input and every member is a NUL-terminated string.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const char *start, *end;
	unsigned objects;
};

#define TERMINATED(field) (strnlen(o->field, sizeof(o->field)) < sizeof(o->field))

static int visit(const struct qnet_nft_object *o, void *userdata)
{
	struct input *in = userdata;

	if (o->start < in->start || o->start > o->end || o->end > in->end)
		abort();
	if (!TERMINATED(kind) || !TERMINATED(family) || !TERMINATED(table) || !TERMINATED(name) ||
	    !TERMINATED(chain) || !TERMINATED(hook) || !TERMINATED(policy) || !TERMINATED(comment))
		abort();
	(void)qnet_nft_object_mentions(o, o->name);
	(void)qnet_nft_object_mentions(o, "");
	/* A callback's non-zero return ends the walk with that value. */
	return ++in->objects == 1000 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer hands over exactly SIZE bytes: ASan sees any read past them. */
	const char *json = (const char *)data;
	struct input in = { json, json + size, 0 };
	int r = qnet_nft_json_foreach(json, size, visit, &in);

	if (r != 0 && r != -EBADMSG && r != 7)
		abort();
	if (r == 7 && in.objects != 1000)
		abort();
	return 0;
}
