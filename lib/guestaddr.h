/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The addresses a guest's MAC may use on a bridge, as anti-spoofing's
 * allow-lists (lib/portfilter.h) hold them: the address of a lease or of
 * a host = entry and, for a guest that has IPv4 that way, the addresses
 * it makes itself from its MAC: the EUI-64 link-local (fe80::/64) and the
 * EUI-64 address in each global /64 the bridge has (SLAAC from our
 * router advertisements). One module for both callers, qnet-dhcp-event
 * (dnsmasq's lease events) and lib/nat.c (host = entries, the lease file
 * after a repair), so that both allow exactly the same.
 *
 * Every function returns 0 or -errno and writes into WHY the address
 * that could not be changed and why, for "PROGRAM: OBJECT: WHY".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netlink.h"

/*
 * ADD (or remove) MAC's EUI-64 link-local address and its EUI-64 address
 * in each global /64 of BRIDGE (an ifindex; NL reads its addresses).
 * Removing also removes the EUI-64 addresses of MAC on BRIDGE that a /64
 * the bridge no longer has left behind. Adding what is there and removing
 * what is not are success.
 */
int qnet_guestaddr_eui64(struct qnet_nl *nl, int bridge, const uint8_t mac[6], bool add, char *why, size_t why_size);

/*
 * ADD (or remove) a lease: MAC may use ADDR (FAMILY AF_INET or AF_INET6)
 * on BRIDGE; an IPv4 lease brings MAC's EUI-64 addresses with it (above).
 * Removing goes on past a failure, so that as much as possible is gone,
 * and reports the first.
 */
int qnet_guestaddr_lease(struct qnet_nl *nl, int bridge, const uint8_t mac[6], int family, const void *addr,
			 bool add, char *why, size_t why_size);

/* Allow host = entry H on BRIDGE: its IPv4 and IPv6 addresses (where set;
 * IPV6: the network has IPv6) and its MAC's EUI-64 addresses. */
int qnet_guestaddr_allow_host(struct qnet_nl *nl, int bridge, const struct qnet_host *h, bool ipv6,
			      char *why, size_t why_size);
