/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <net/if.h>

/*
 * NULL if NAME is a usable interface name, else why not. We refuse rather
 * than truncate: truncation is how CVE-2019-13164 bypassed QEMU's ACL.
 */
const char *qnet_ifname_invalid(const char *name);

/*
 * A name from outside made safe to print: bytes outside printable ASCII
 * as '?', and anything longer than QNET_IFNAME_PRINTABLE_SIZE - 4 (60)
 * bytes cut there and ended with "...". Not cut at IFNAMSIZ: it prints
 * what the caller gave, and a name too long for an interface is what a
 * message must show.
 */
#define QNET_IFNAME_PRINTABLE_SIZE 64
const char *qnet_ifname_printable(const char *in, char out[QNET_IFNAME_PRINTABLE_SIZE]);
