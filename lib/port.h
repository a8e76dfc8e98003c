/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TAP as a bridge port. Attach copies the bridge's MTU, sets the master
 * and brings the link up in one netlink request; if anything fails, what
 * that request changed is put back, so a TAP is never left half-attached.
 */
#pragma once

#include <stdbool.h>
#include <net/if.h>
#include <stddef.h>

#include "netlink.h"

/*
 * On failure returns -errno and writes a cause to WHY that names the object
 * at fault, for a message "PROGRAM: TAP: WHY" (e.g. "bridge br0 does not
 * exist"). Attaching a TAP already on BRIDGE is success.
 */
int qnet_port_attach(struct qnet_nl *nl, const char *tap, const char *bridge, bool isolated,
		     char *why, size_t why_size);

/*
 * A new TAP on BRIDGE, set up as QEMU's bridge helper sets it up: a kernel-
 * chosen name (tapN, written to TAP), IFF_TAP|IFF_NO_PI (+IFF_VNET_HDR when
 * asked and supported), first MAC byte 0xFE, then attached as above.
 * Returns the TAP's fd; the TAP lives exactly as long as that fd, so on any
 * failure closing it leaves nothing behind.
 */
int qnet_port_new_tap(struct qnet_nl *nl, const char *bridge, bool vnet_hdr, bool isolated,
		      char tap[IFNAMSIZ], char *why, size_t why_size);

/* Detach TAP from its bridge (if any) and bring it down. -ENODEV if TAP does
 * not exist. *was_master (may be NULL) gets the old master's ifindex or 0. */
int qnet_port_detach(struct qnet_nl *nl, const char *tap, int *was_master);
