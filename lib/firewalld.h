/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * firewalld, over D-Bus: the zone of a NAT network's bridge.
 *
 * firewalld's nftables table rejects what its zones do not allow, in its
 * own input and forward chains: beside it a NAT guest gets no DHCP lease
 * and reaches nothing, whatever qnet's table accepts (a reject in one
 * table is final). As libvirt does with its zone "libvirt", qnet ships a
 * zone of its own, QNET_FIREWALLD_ZONE (target ACCEPT: qnet's table
 * decides), and puts each NAT bridge in it while firewalld runs. The
 * binding is runtime state, which a reload of firewalld forgets: the same
 * repair path that puts our table back puts it back (qnet watch hears the
 * reload on D-Bus and in nf_tables).
 *
 * libsystemd's sd-bus is loaded with dlopen() when firewalld is asked,
 * not at start-up, as libnftables is (lib/nft.c): a warm qemu-ifup-nat
 * never asks. No system bus, no firewalld on it: nothing to do, 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define QNET_FIREWALLD_ZONE "qnet"
/* Its nftables backend's table, inet firewalld: there while it runs. */
#define QNET_FIREWALLD_TABLE "firewalld"

/* Whether firewalld's nftables table is there, as it is while firewalld
 * runs: 1, 0 or -errno. One netlink round trip, no D-Bus: what asks on
 * every warm attach asks this first. */
int qnet_firewalld_table(void);

/* Whether firewalld is on the system bus: 1, 0, or -errno (no libsystemd). */
int qnet_firewalld_running(char *why, size_t why_size);

/*
 * Put interface IFNAME in zone QNET_FIREWALLD_ZONE if firewalld runs and
 * it is not there. 1 if it was put there, 0 if nothing was to be done,
 * -errno with WHY (-ENOENT: firewalld has no such zone).
 */
int qnet_firewalld_zone_ensure(const char *ifname, char *why, size_t why_size);

/* Take IFNAME out of our zone, if firewalld runs and it is in it. 1 if it
 * was taken out, 0 if it was not there, -errno with WHY. */
int qnet_firewalld_zone_release(const char *ifname, char *why, size_t why_size);

/* The zone firewalld has IFNAME in ("" for none) into ZONE: 0, -ENOTCONN
 * if firewalld does not run, -errno with WHY. */
int qnet_firewalld_zone_of(const char *ifname, char *zone, size_t zone_size, char *why, size_t why_size);

/*
 * For qnet watch: a connection to the system bus that hears firewalld's
 * Reloaded signal and firewalld coming up (its name getting an owner).
 * qnet_firewalld_watch_open() returns 0 with *FD to poll, or -errno (no
 * bus: nothing to hear). qnet_firewalld_watch_read() handles what is
 * waiting: 1 if firewalld reloaded or started, 0 if not, -errno if the
 * connection is gone.
 */
struct qnet_firewalld_watch;
int qnet_firewalld_watch_open(struct qnet_firewalld_watch **ret, int *fd);
int qnet_firewalld_watch_read(struct qnet_firewalld_watch *w);
void qnet_firewalld_watch_close(struct qnet_firewalld_watch *w);
