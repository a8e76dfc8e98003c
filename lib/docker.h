/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAT networks beside other firewalls: the forward-hook chains of other
 * tables that drop by policy (Docker's FORWARD above all), and the room a
 * network makes for its bridge in Docker's DOCKER-USER chain (see
 * docker.c). qemu-ifup-nat, qnet gc and qnet doctor ask the same
 * questions here and say the same line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A chain on the forward hook, not ours, whose policy is drop. */
struct qnet_docker_block {
	char family[8];          /* ip, ip6, inet, bridge; "" for legacy iptables */
	char table[64], chain[64];
	bool docker;             /* ip or ip6 filter FORWARD, beside that family's
				  * DOCKER-USER: qnet can make room there */
};

#define QNET_DOCKER_BLOCKS_MAX 8
struct qnet_docker_scan {
	struct qnet_docker_block block[QNET_DOCKER_BLOCKS_MAX];
	size_t n_blocks;         /* more than MAX are not listed */
	bool user_chain[2];      /* DOCKER-USER in ip filter [0], in ip6 filter [1] */
};

/* What drops forwarded packets: nftables' chains (one netlink dump, no
 * libnftables) and legacy iptables' FORWARD policy. -errno if nftables
 * cannot be asked. */
int qnet_docker_scan(struct qnet_docker_scan *ret);

/* Make room for NETWORK's BRIDGE in DOCKER-USER of each family in which
 * SCAN found Docker's drop: our rules there, exactly once each, the
 * missing ones added, any other of ours deleted. Returns how many rules
 * it added, or -errno with the cause in WHY. */
int qnet_docker_allow(const struct qnet_docker_scan *scan, const char *network, const char *bridge,
		      char *why, size_t why_size);
/* How many of NETWORK's rules for BRIDGE are missing from DOCKER-USER of
 * each family in which SCAN found Docker's drop (0: none), or -errno. */
int qnet_docker_missing(const struct qnet_docker_scan *scan, const char *network, const char *bridge);
/* Delete every rule of NETWORK from DOCKER-USER, by handle, and nothing
 * else; none there (or no DOCKER-USER) is success. */
int qnet_docker_remove(const char *network);

/* What B does to the traffic of BRIDGE, into FINDING, and the exact
 * command that fixes it, into FIX. DOCKER_NO: qnet.conf has
 * [firewall] docker = no (so even Docker's drop is the admin's). */
void qnet_docker_describe(const struct qnet_docker_block *b, const char *bridge, bool docker_no,
			  char *finding, size_t finding_size, char *fix, size_t fix_size);
