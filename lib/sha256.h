/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104), for deriving values
 * from a secret without revealing it: a network's ULA prefix comes from
 * the machine-id (systemd asks that the id itself never be shown), and a
 * prefix every guest and every packet carries must not let anyone work
 * it back. Pure functions: the HMAC keeps its last key's padded states, a
 * cache of what it would compute again. Nothing of it is cryptographic policy.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define QNET_SHA256_SIZE 32

void qnet_sha256(const void *data, size_t len, uint8_t out[QNET_SHA256_SIZE]);
void qnet_sha256_hmac(const void *key, size_t key_len, const void *data, size_t len,
		      uint8_t out[QNET_SHA256_SIZE]);
