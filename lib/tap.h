/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>

/*
 * Create a TAP (IFF_TAP|IFF_NO_PI, plus IFF_VNET_HDR when VNET_HDR and the
 * kernel supports it). NAME may be a pattern such as "tap%d"; the kernel's
 * name is written back. Returns the fd (O_CLOEXEC) or -errno.
 */
int qnet_tap_open(char name[IFNAMSIZ], bool vnet_hdr);
/* Does this kernel's tun driver offer IFF_VNET_HDR? */
bool qnet_tap_has_vnet_hdr(int fd);
