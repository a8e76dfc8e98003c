/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A NAT network's firewall: one nftables table of its own for both IPv4
 * and IPv6, `inet qnet-NAME`, replaced in one atomic transaction
 * (libnftables) and deleted whole. We
 * never add a rule to, or read a verdict from, anybody else's table (the
 * one exception, Docker's DOCKER-USER, is docker.h's).
 */
#pragma once

#include <stddef.h>

#include "config.h"

/* Install or replace the table of network N, whose bridge is N->bridge.
 * On failure WHY gets nft's own reason, if it gave one (else ""). */
int qnet_firewall_apply(const struct qnet_network *n, char *why, size_t why_size);
/* Delete it; a table that is not there is success. */
int qnet_firewall_remove(const char *network);
/* Is the table there, with its rules (not emptied by nft flush table)?
 * 1 yes, 0 no, -errno if nftables cannot be asked. */
int qnet_firewall_present(const char *network);
/* The same for any table: FAMILY (NFPROTO_*) TABLE. One netlink round
 * trip, no libnftables. */
int qnet_firewall_table_exists(int family, const char *table);
