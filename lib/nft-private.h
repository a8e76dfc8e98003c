/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/nft.c's reader of legacy iptables' entries, exported for its fuzz
 * harness only (tests/fuzz/fuzz-nft-legacy.c); programs ask
 * qnet_nft_legacy_forward_drops() (nft.h).
 */
#pragma once

#include "nft.h"

/* qnet_nft_legacy_forward_drops() from the table's entries as
 * IPT_SO_GET_ENTRIES hands them out (SIZE bytes at ENTRIES, aligned or
 * not) and FORWARD's underflow offset: 1 DROP, 0 another verdict,
 * -EBADMSG if the entry is not within them. */
int qnet_nft_legacy_policy_drops(const void *entries, size_t size, size_t underflow);
