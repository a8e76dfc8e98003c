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
/* Does this kernel's tun driver offer IFF_VNET_HDR? */
bool qnet_tap_has_vnet_hdr(int fd);
