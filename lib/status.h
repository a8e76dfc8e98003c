/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `qnet status`: the bridges qnet manages or is configured for, with their
 * ports as the kernel reports them, and the NAT networks. The JSON form is a
 * stable interface, documented in docs/qnet-status-json.md: fields are only
 * ever added, and "version" changes if one changes meaning.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#define QNET_STATUS_JSON_VERSION 1

/* Everything to OUT, as text or JSON. 0 or -errno (netlink, -ENOMEM, -EIO). */
int qnet_status_print(FILE *out, bool json);
