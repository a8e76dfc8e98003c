/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passing a file descriptor over a Unix socket the way QEMU expects from a
 * bridge helper (net/tap.c recv_fd): one SCM_RIGHTS message carrying one
 * fd, with a one-byte payload. (The receiving side is QEMU's; the tests
 * receive with their own code, tests/integration/helper-client.c.)
 */
#pragma once

#include <stdbool.h>

/* Send FD over SOCK. 0 or -errno. */
int qnet_fdpass_send(int sock, int fd);
/* Is FD an open AF_UNIX socket? (the helper's --fd check) */
bool qnet_fdpass_is_unix_socket(int fd);
