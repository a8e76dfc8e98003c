/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One rtnetlink socket (libnl-3) and the one place where libnl's -NLE_*
 * codes become -errno. The kernel's own errno of the last failed request is
 * kept, because libnl folds many of them into one code. The module's
 * prefix is qnet_nl_, after struct qnet_nl, which every call takes.
 */
#pragma once

#include <stddef.h>

struct nl_sock;

struct qnet_nl {
	struct nl_sock *sk;
	int kernel_errno; /* positive errno of the last NLMSG_ERROR, 0 if none */
};

int qnet_nl_open(struct qnet_nl *nl);
/* The same for another netlink family (NETLINK_NETFILTER for nf_tables). */
int qnet_nl_open_protocol(struct qnet_nl *nl, int protocol);
void qnet_nl_close(struct qnet_nl *nl);
#define _cleanup_nl_ __attribute__((cleanup(qnet_nl_close)))

/* Send MSG (a GET, or a dump) and hand each reply message to FN until the
 * answer is complete; 0 or -errno. */
struct nl_msg;
int qnet_nl_query(struct qnet_nl *nl, struct nl_msg *msg, int (*fn)(struct nl_msg *, void *), void *arg);

/* Send MSG (a change, with NLM_F_ACK) and wait for the kernel's
 * acknowledgement; 0 or -errno. */
int qnet_nl_request(struct qnet_nl *nl, struct nl_msg *msg);

/*
 * A request of TYPE with FLAGS and room for SIZE bytes after its header,
 * NULL when out of memory. nlmsg_alloc_simple() takes a page, zeroed, for
 * every message: four of them were a twentieth of qemu-ifup's
 * instructions, for GETs and link changes of well under 256 bytes.
 * Appending more than SIZE fails (-NLE_NOMEM), never truncates.
 */
struct nl_msg *qnet_nl_msg_new(int type, int flags, size_t size);

/* A message freed on every path out of its scope. */
void qnet_nl_msg_freep(struct nl_msg **msg);
#define _cleanup_nlmsg_ __attribute__((cleanup(qnet_nl_msg_freep)))

/* Result of a libnl call as 0 or -errno (the kernel's errno when known). */
int qnet_nl_result(struct qnet_nl *nl, int nlerr);
