/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A TAP as a bridge port. Attach copies the bridge's MTU, sets the master,
 * sets the port's properties while it is down and only then brings it up;
 * if anything fails, what was changed is put back, so a TAP is never left
 * half-attached.
 */
#pragma once

#include <stdbool.h>
#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "link.h"
#include "netlink.h"
#include "portfilter.h"

/* What a port gets before it carries a frame. All zero: a plain port. */
struct qnet_port_props {
	bool isolated;                  /* IFLA_BRPORT_ISOLATED */
	bool filter;                    /* anti-spoofing (portfilter.h) */
	struct qnet_portfilter_props f; /* its configured MAC, if any */
	uint64_t rate_in;               /* bytes/s toward the guest, 0: unlimited */
	uint64_t rate_out;              /* bytes/s from the guest, 0: unlimited */
	/* host = entries: the addresses their MACs may use on a filtered
	 * port's bridge, allowed before the port comes up (a plain bridge's;
	 * a NAT network allows its own when it comes up). */
	const struct qnet_host *hosts;
	size_t n_hosts;
};

/* The properties qnet.conf gives a port (qnet_config_port_props()). */
void qnet_port_props_from_config(const struct qnet_config_props *c, struct qnet_port_props *ret);

/*
 * Every function here returns 0 or -errno and on failure writes a cause to
 * WHY that names the object at fault, for a message "PROGRAM: TAP: WHY"
 * (e.g. "bridge br0 does not exist").
 */

/* The bridge NAME into B. BY_ALTNAME: NAME may be an alternative name (a
 * name a user typed); B->name is then the bridge's own name, the one every
 * decision and message must use. Without it NAME must be the bridge's own
 * name (a name qnet owns). */
int qnet_port_find_bridge(struct qnet_nl *nl, const char *name, bool by_altname, struct qnet_link *b,
			  char *why, size_t why_size);

/*
 * Attach TAP to BRIDGE (as found above: the TAP joins BRIDGE->ifindex, the
 * bridge that was judged, whatever its name is by now) with PROPS (NULL:
 * none), every one of them set while the port is still down: a port
 * carries no frame before all its properties are in place, and if one
 * cannot be set the port is not brought up. Attaching a TAP already on
 * BRIDGE is success (and sets PROPS anew).
 */
int qnet_port_attach(struct qnet_nl *nl, const char *tap, const struct qnet_link *bridge,
		     const struct qnet_port_props *props, char *why, size_t why_size);

/*
 * A new TAP on BRIDGE, set up as QEMU's bridge helper sets it up: a kernel-
 * chosen name (tapN, written to TAP), IFF_TAP|IFF_NO_PI (+IFF_VNET_HDR when
 * asked and supported), first MAC byte 0xFE, owned by OWNER (so that, made
 * persistent by the fd's holder, it is no one else's to open), then
 * attached as above.
 * Returns the TAP's fd; the TAP lives exactly as long as that fd, so on any
 * failure closing it leaves nothing behind.
 */
int qnet_port_new_tap(struct qnet_nl *nl, const struct qnet_link *bridge, bool vnet_hdr,
		      const struct qnet_port_props *props, uid_t owner, char tap[IFNAMSIZ], char *why,
		      size_t why_size);

/* Detach TAP from its bridge (if any) and bring it down. -ENODEV if TAP does
 * not exist. *was_master (may be NULL) gets the old master's ifindex or 0.
 * A filtered port's rules are the caller's to remove (qnet_portfilter_detach):
 * only the caller knows from its configuration whether there are any, and
 * asking nf_tables when there are none would make the kernel load it. */
int qnet_port_detach(struct qnet_nl *nl, const char *tap, int *was_master);
