/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include <net/if.h>
#include <stdbool.h>

/*
 * Create a TAP (IFF_TAP|IFF_NO_PI, plus IFF_VNET_HDR when VNET_HDR and the
 * kernel supports it). NAME may be a pattern such as "tap%d"; the kernel's
 * name is written back. OWNER, unless (uid_t)-1, becomes the TAP's owner
 * (TUNSETOWNER). Returns the fd (O_CLOEXEC) or -errno.
 */
int qnet_tap_open(char name[IFNAMSIZ], bool vnet_hdr, uid_t owner);

/* What /dev/net/tun is and offers, as `qnet doctor` reports it. */
struct qnet_tap_probe {
	bool registered;   /* on -ENOENT: the tun driver is there all the same (/proc/misc) */
	unsigned mode;     /* the device's permission bits */
	bool vnet_hdr;     /* the driver offers IFF_VNET_HDR */
	bool multi_queue;  /* ... and IFF_MULTI_QUEUE */
};
/*
 * Open /dev/net/tun, as qnet_tap_open() does, and look at it: 0 with RET
 * filled; the -errno of open(); -ENOTTY if it is not the tun character
 * device (10:200).
 */
int qnet_tap_probe(struct qnet_tap_probe *ret);
