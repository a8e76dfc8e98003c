/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsmasq's lease file, for `qnet status`: one lease per line,
 * "EXPIRY MAC IP HOSTNAME CLIENT-ID" ("*" for no hostname). The file is
 * written by a daemon that talks to guests, so every field is checked.
 */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct qnet_lease {
	int64_t expiry;       /* seconds since the epoch, 0: infinite */
	uint8_t mac[6];
	struct in_addr ip;
	char hostname[64];    /* "" if none; printable ASCII only */
};

/* Load the leases of NETWORK (QNET_STATEDIR/NAME.leases); absent is none. */
int qnet_leases_load(const char *network, struct qnet_lease **ret, size_t *n);
