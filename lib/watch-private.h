/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/watch.c's judgement of netlink events, for tests/unit/test-watch.c
 * and tests/fuzz/fuzz-watch.c: BUF is what one recv() returned. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* nf_tables events: 1 if a commit of a process other than SELF ended (its
 * NEWGEN) that touched what we watch, else 0. *IN_COMMIT carries a commit
 * whose messages span several reads. */
int qnet_watch_judge_nft(const void *buf, size_t len, pid_t self, bool *in_commit);
/* rtnetlink link events: 1 if a bridge was deleted or taken down. */
int qnet_watch_judge_link(const void *buf, size_t len);
