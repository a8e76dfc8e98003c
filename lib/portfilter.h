/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-port anti-spoofing in nftables' bridge family: the table
 * "bridge qnet", written with nf_tables netlink directly (lib/nfnl.c), so
 * that qemu-bridge-helper, which never loads libnftables, installs the
 * same rules as everyone else, and an attach costs one batch.
 *
 * Theory of operation (docs/design.md, "Tenants", says it in prose):
 *
 *   chain pre  (prerouting, priority -400)   iif vmap @ports
 *   map ports  { port ifindex : jump port-B-P }
 *   chain port-B-P   one per filtered port P of bridge B:
 *       add @mac-B-P { ether saddr }           learn: the set has size 1, so
 *                                               only the first MAC ever fits
 *       ether saddr != @mac-B-P drop
 *       add @owner-B { ether saddr : P }        first port to use a MAC owns it
 *       ether saddr map @owner-B != P drop      no other port may use it
 *       arp saddr ether != @mac-B-P drop
 *       ether type ip6 goto p6-B-P
 *       goto guard-B
 *   chain p6-B-P     one per port: a later fragment goes to v6-B; ND in
 *       fragments, or IPv6 without 8 bytes of upper-layer header, is
 *       dropped; the rest goes to c6-B-P.
 *   chain c6-B-P     a link-local source, or the target of duplicate
 *       address detection, is claimed for the frame's MAC (update
 *       @ll-B-P, size 4; @claimed6-B; @owner6-B { address . MAC }, an
 *       hour's timeout) and must be that MAC's; ND's link-layer option
 *       is @mac-B-P; an NA for a claimed address is accepted; then v6-B.
 *   chain guard-B    one per bridge: ethertypes, ARP/IPv4/IPv6 sources
 *       against @ip4-B / @ip6-B { ether_addr . address }, ND targets, no
 *       RA, no DHCP/DHCPv6 server.
 *   set claimed6-B, owner6-B   which link-local addresses are claimed,
 *       and by which MAC (address . MAC): the first to speak for one, or
 *       for good the bridge's MAC, a configured MAC and a leased one for
 *       their EUI-64 addresses.
 *   set ip4-B, ip6-B   what each MAC may use: leases (qnet-dhcp-event,
 *       from dnsmasq) and host = entries; for IPv6 also the MAC's EUI-64
 *       link-local and global addresses.
 *
 * Everything a port gets is one netlink batch: the kernel applies all of
 * it or none of it. Ports are keyed by ifindex, which the kernel does not
 * reuse, so what a dead port left can never apply to a new one; it is
 * removed by the next attach on the same bridge, by detach, and by
 * qnet_portfilter_sweep() (qnet gc).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define QNET_PORTFILTER_TABLE "qnet" /* table bridge qnet */

/* What a filtered port gets (lib/port.h has the rest of a port's properties). */
struct qnet_portfilter_props {
	bool mac_set;        /* MAC is the guest's (configuration); else learned */
	uint8_t mac[6];
};

/*
 * Install port PORT's filter on bridge BRIDGE (ifindexes), in one batch,
 * creating the table and the bridge's sets and guard chain when missing.
 * Whatever an earlier port of the same ifindex or a port of BRIDGE that no
 * longer exists left is removed in the same batch. NL is an rtnetlink
 * socket (to tell which ports exist). 0 or -errno, with WHY.
 */
int qnet_portfilter_attach(struct qnet_nl *nl, int bridge, int port, const struct qnet_portfilter_props *p,
			   char *why, size_t why_size);

/* Remove port PORT's chains, sets, map element and claims (MACs and
 * link-local addresses). 0 if there were none. */
int qnet_portfilter_detach(int bridge, int port);

/* Whether PORT has a filter: 1, 0, or -errno. */
int qnet_portfilter_present(int port);

/* The ports of BRIDGE that have no filter (after nft flush ruleset, all
 * of them), as a malloc()ed array of *N ifindexes in *RET. */
int qnet_portfilter_unfiltered(struct qnet_nl *nl, int bridge, int **ret, size_t *n);

/*
 * What MAC may use on BRIDGE: ADD or delete one address (FAMILY AF_INET
 * or AF_INET6). Creates the table and the bridge's sets when missing, so
 * leases recorded before the first port are kept. Adding what is there
 * and deleting what is not are success.
 */
int qnet_portfilter_allow(int bridge, const uint8_t mac[6], int family, const void *addr, bool add,
			  char *why, size_t why_size);

/* The EUI-64 interface identifier of MAC on top of PREFIX (a /64). */
void qnet_portfilter_eui64(const uint8_t mac[6], const struct in6_addr *prefix, struct in6_addr *ret);

/* Remove everything of BRIDGE (its ports' chains, sets, guard chain). */
int qnet_portfilter_remove_bridge(int bridge);

/*
 * Remove what belongs to ports or bridges that no longer exist (qnet gc).
 * REPORT (may be NULL) is called once per port or bridge removed.
 * Returns the number removed or -errno.
 */
int qnet_portfilter_sweep(struct qnet_nl *nl, void (*report)(int bridge, int port, void *userdata),
			  void *userdata);

/*
 * Put back the rules of chains of ours that have none (nft flush table
 * bridge qnet, nft flush chain): their sets, with the MACs, claims and
 * addresses they hold, were kept, so only the rules come back, in one
 * batch. REPORT (may be NULL) hears each bridge (PORT 0) and port put
 * back. Returns how many, or -errno.
 */
int qnet_portfilter_refill(struct qnet_nl *nl, void (*report)(int bridge, int port, void *userdata),
			   void *userdata);

/* One filtered port, as the kernel has it now. */
struct qnet_portfilter_port {
	int bridge, port;
	bool mac_known;      /* learned or configured */
	uint8_t mac[6];
};

/* Each filtered port: FN's non-zero return stops and is returned. */
int qnet_portfilter_foreach_port(int (*fn)(const struct qnet_portfilter_port *p, void *userdata),
				 void *userdata);

/* Each address allowed on BRIDGE. */
int qnet_portfilter_foreach_allowed(int bridge,
				    int (*fn)(const uint8_t mac[6], int family, const void *addr, void *userdata),
				    void *userdata);
