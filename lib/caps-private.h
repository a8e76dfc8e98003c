/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/caps.c's decoder of security.capability, exported for its fuzz
 * harness only (tests/fuzz/fuzz-caps.c); programs read a file's
 * capabilities with qnet_caps_file_read() (caps.h).
 */
#pragma once

#include "caps.h"

/* Decode the attribute's N bytes at RAW (as the file system stores them:
 * little endian, any alignment); -EINVAL if it is not a capability set. */
int qnet_caps_file_decode(const void *raw, size_t n, struct qnet_caps_file *ret);
