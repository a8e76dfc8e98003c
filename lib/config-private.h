/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qnet_config_parse_buffer() with load flags, for the tests and the fuzz
 * harness that hold QNET_CONFIG_PORTS_ONLY to its promise (the same errors
 * and ports as a full parse); programs load a file (config.h).
 */
#pragma once

#include "config.h"

int qnet_config_parse_buffer_flags(const char *name, const char *buf, size_t len, unsigned flags,
				   struct qnet_config **ret, qnet_diag_fn diag, void *userdata);
