/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A network that spans hosts: its bridge's VXLAN port, the kernel's own
 * VXLAN device, with static flooding to the other hosts (head-end
 * replication: one all-zeros FDB entry per peer, which the kernel copies
 * every broadcast, unknown unicast and multicast frame to) and learning
 * on, so unicast goes to the one host a MAC was last seen behind. That
 * is what Proxmox's VXLAN zone and a switch's static VTEP flood list do;
 * an EVPN control plane can take over the FDB later. No tunnel of ours.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netlink.h"

/* Bytes of encapsulation: outer Ethernet is not counted by an MTU, so
 * outer IPv4 (20) or IPv6 (40) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
#define QNET_VXLAN_OVERHEAD4 50u
#define QNET_VXLAN_OVERHEAD6 70u

/* The VXLAN device of NETWORK: "qvx" and 8 hex digits of a hash of the
 * name, so it is found again from the name alone, even with its bridge
 * gone. */
void qnet_vxlan_ifname(const char *network, char name[IFNAMSIZ]);

struct qnet_vxlan {
	const char *name;
	const char *network; /* whose it is: its alias says so (qnet_vxlan_ours()) */
	uint32_t vni;
	uint16_t port;
	int family;        /* of the peers: the device's socket */
	int underlay;      /* ifindex, 0 none */
	unsigned mtu;
	int master;        /* the bridge */
};

/* Create V's device, down, a port of its master, learning on; *IFINDEX. */
int qnet_vxlan_create(struct qnet_nl *nl, const struct qnet_vxlan *v, int *ifindex);

/* Add or remove the flood entry of PEER on device IFINDEX (idempotent). */
int qnet_vxlan_flood_add(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peer);
int qnet_vxlan_flood_del(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peer);

/* The flood entries of device IFINDEX, *RET malloc'd (free it). */
int qnet_vxlan_flood_list(struct qnet_nl *nl, int ifindex, struct qnet_peer **ret, size_t *n);

/* Make device IFINDEX flood to exactly PEERS: the new ones added first,
 * then the others removed, so no moment floods to fewer than both lists
 * share. */
int qnet_vxlan_flood_set(struct qnet_nl *nl, int ifindex, const struct qnet_peer *peers, size_t n);

/* What device IFINDEX is: its VNI and port (0 if it is no VXLAN device),
 * and whether its alias says it is network NETWORK's (made by
 * qnet_vxlan_create() for it): a device of our name that is not is never
 * ours to change or delete. */
int qnet_vxlan_get(struct qnet_nl *nl, int ifindex, const char *network, uint32_t *vni, uint16_t *port,
		   bool *ours);
