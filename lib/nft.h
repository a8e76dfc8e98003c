/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's packet filter as qnet talks to it: nft scripts run through
 * libnftables (see nft.c for why it is loaded late).
 */
#pragma once

#include <stdbool.h>

/* Run an nft command script (output as JSON if asked); the one place
 * libnftables' failures become -errno, -ELIBACC if it cannot be loaded.
 * The error text, if any, goes to *err, the output to *out (free them;
 * either may be NULL). */
int qnet_nft_run(const char *script, bool json, char **err, char **out);
