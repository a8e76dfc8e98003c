/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Read/write a /proc/sys file of this network namespace; value without "\n". */
int qnet_sysctl_read(const char *path, char *buf, size_t size);
int qnet_sysctl_write(const char *path, const char *value);
