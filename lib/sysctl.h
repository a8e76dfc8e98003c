/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Read/write a /proc/sys file of this network namespace; value without "\n". */
int qnet_sysctl_read(const char *path, char *buf, size_t size);
int qnet_sysctl_write(const char *path, const char *value);
/* /proc/sys/net/ipv6/conf/IFNAME/KEY into BUF; -ENAMETOOLONG if it does not fit. */
int qnet_sysctl_ipv6_conf_path(char *buf, size_t size, const char *ifname, const char *key);
/* What sysctl(8) calls it, for a message: net.ipv6.conf.IFNAME.KEY, with a
 * '.' in IFNAME written '/' (eth0.100 is net.ipv6.conf.eth0/100.KEY). */
int qnet_sysctl_ipv6_conf_name(char *buf, size_t size, const char *ifname, const char *key);
