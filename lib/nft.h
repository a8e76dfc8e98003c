/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's packet filter as qnet talks to it: nft scripts run through
 * libnftables (see nft.c for why it is loaded late), and a reader of the
 * JSON it lists rulesets in; and the FORWARD policy of legacy iptables.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Run an nft command script (output as JSON if asked); the one place
 * libnftables' failures become -errno, -ELIBACC if it cannot be loaded.
 * The error text, if any, goes to *err, the output to *out (free them;
 * either may be NULL). */
int qnet_nft_run(const char *script, bool json, char **err, char **out);

/* One object of `nft -j list ruleset`, {"KIND": {...}}: the string members
 * qnet looks at, cut to size ("" where absent or not a string). */
struct qnet_nft_object {
	char kind[16];                       /* "chain", "rule", ... */
	char family[16], table[64], name[64], chain[64], hook[16], policy[16];
	char comment[64];                    /* a rule's */
	unsigned long long handle;           /* 0 where absent or not a number */
	const char *start, *end;             /* the inner object's text, in the input
					      * (empty if the value is not an object) */
};

/* Call FN for each object of the JSON text JSON (LEN bytes, no NUL needed),
 * in order, until FN returns non-zero, which is returned. 0 at the end;
 * -EBADMSG where the text stops making sense (FN saw what came before). */
int qnet_nft_json_foreach(const char *json, size_t len,
			  int (*fn)(const struct qnet_nft_object *o, void *userdata), void *userdata);
/* Does O's text hold the JSON string "NAME"? */
bool qnet_nft_object_mentions(const struct qnet_nft_object *o, const char *name);

/* Legacy iptables, whose tables libnftables does not list. Is its filter
 * table loaded? */
bool qnet_nft_legacy_filter_loaded(void);
/* 1 if its FORWARD policy is DROP, 0 if not, -errno if it cannot be read. */
int qnet_nft_legacy_forward_drops(void);
