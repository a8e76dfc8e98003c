/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/link.c's reader of RTM_NEWLINK messages, exported for its fuzz
 * harness only (tests/fuzz/fuzz-netlink.c); programs look links up with
 * link.h.
 */
#pragma once

#include "link.h"

struct nl_msg;

/* Interpret an RTM_NEWLINK message: 1 and RET filled, 0 if it is not a
 * link, -errno if it is malformed. */
int qnet_link_from_msg(struct nl_msg *msg, struct qnet_link *ret);
