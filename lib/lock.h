/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One lock per NAT network: an flock on RUNDIR/NAME.lock. Whoever tears
 * the network down unlinks the file while holding the lock; a waiter that
 * then gets the lock on the unlinked file notices and takes a fresh one,
 * so no lock file outlives its network and no two holders ever coexist.
 */
#pragma once

/* Returns the locked fd, or -errno (-ETIMEDOUT after 60 s of waiting). */
int qnet_lock_network(const char *network);
/* The lock for what all networks share (ip_forward): an flock on RUNDIR
 * itself, so it leaves no file behind. Take it after a network's lock,
 * never before. Returns the locked fd or -errno. */
int qnet_lock_rundir(void);
/* Unlink the lock file (we are tearing the network down), then unlock. */
void qnet_lock_release_unlink(int fd, const char *network);
void qnet_lock_release(int fd);
