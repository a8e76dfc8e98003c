/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-port rate limits with the kernel's traffic control, written as
 * rtnetlink messages with libnl-3's core (no tc binary, no libnl-route,
 * which lib/link.h says why we avoid).
 *
 * Theory of operation. A port is a TAP on a bridge; what the port
 * transmits goes to the guest, what it receives comes from the guest.
 *
 *   toward the guest (IN)    root tbf on the port, handle 716e:
 *   from the guest (OUT)     ingress qdisc (ffff:) on the port
 *                              u32 filter, prio 29038 (0x716e), protocol
 *                              all, match-all, action mirred egress
 *                              redirect to qnetifbN (the kernel picks
 *                              its handle: 800::800 if it is the port's
 *                              only u32 filter)
 *                            ifb device qnetifbN (N = the port's ifindex),
 *                              up, root tbf, handle 716e:
 *
 * An ifb hands what it was given back to the port's receive path once its
 * own qdisc lets it go, so the bridge sees the guest's frames at the
 * shaped rate. tbf, not a policer: this kernel has no tc police (and no
 * cls_matchall, hence u32), and nftables' limit overshoots by a fifth.
 *
 * Our objects are told from anyone else's by their handles and priority:
 * a root qdisc or an ingress filter someone else put on the port is left
 * alone. Ports are keyed by ifindex, which the kernel does not reuse, so
 * the ifb of a port that is gone never shapes another; the port's own
 * qdiscs and filters go with it, and qnet_rate_sweep() (qnet gc) deletes
 * the ifb it leaves.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define QNET_RATE_IFB_PREFIX "qnetifb"

/*
 * Shape PORT (ifindex): IN bytes/s toward the guest, OUT bytes/s from it;
 * 0 leaves a direction unshaped (and removes what shaped it before). What
 * PORT had is replaced in place, so a port that is up stays shaped
 * throughout. PORT may be down: the qdiscs and filter stay when it comes
 * up. Either all that was asked is in place or none of it is (PORT's
 * shaping is put back as it was, or removed if that fails too). 0, or
 * -errno with WHY (a QNET_REASON_MAX buffer) naming the object.
 */
int qnet_rate_apply(struct qnet_nl *nl, int port, uint64_t in, uint64_t out, char *why, size_t why_size);
/* Remove both directions' shaping of PORT and its ifb; 0 also if there was
 * nothing, or PORT is gone (its ifb is deleted all the same). */
int qnet_rate_remove(struct qnet_nl *nl, int port);
/* PORT's limits as the kernel has them, bytes/s (0: that direction is not
 * shaped by us). -ENODEV if there is no PORT. */
int qnet_rate_get(struct qnet_nl *nl, int port, uint64_t *in, uint64_t *out);
/* Delete every qnetifbN whose port N no longer exists, calling REPORT (if
 * not NULL) with each one's name; the number deleted, or -errno. */
int qnet_rate_sweep(struct qnet_nl *nl, void (*report)(const char *ifb, void *userdata), void *userdata);
