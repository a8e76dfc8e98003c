/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nf_tables over netlink, without libnftables or libnftnl: a batch builder
 * for the few objects and expressions lib/portfilter.c writes, and dumps of
 * chains and set elements. It exists because qemu-bridge-helper, a program
 * any local user starts with CAP_NET_ADMIN, must install per-port rules,
 * and libnftables (a parser, include files, libxtables reading the
 * environment) has no place in it; it also makes an attach one sendmsg().
 *
 * A batch is all or nothing: the kernel commits every message in it or
 * none. Builders never fail: the first allocation failure is remembered
 * and reported by qnet_nfnl_commit().
 */
#pragma once

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qnet_nfnl {
	int fd;
	uint32_t seq;
	char *buf;
	size_t len, cap;
	size_t msg;          /* where the message being built starts */
	unsigned n_msgs;     /* messages in the batch, BEGIN and END included */
	int err;             /* first builder failure (-ENOMEM), 0 if none */
	int family;          /* NFPROTO_* of every message */
};

int qnet_nfnl_open(struct qnet_nfnl *n, int family);
void qnet_nfnl_close(struct qnet_nfnl *n);
#define _cleanup_nfnl_ __attribute__((cleanup(qnet_nfnl_close)))

/* Start a batch (dropping any unsent one). */
void qnet_nfnl_begin(struct qnet_nfnl *n);
/* One message of the batch: NFT_MSG_* TYPE with NLM_F_* FLAGS (NLM_F_ACK is added). */
void qnet_nfnl_msg(struct qnet_nfnl *n, int type, uint16_t flags);
void qnet_nfnl_put(struct qnet_nfnl *n, uint16_t type, const void *data, size_t len);
void qnet_nfnl_put_str(struct qnet_nfnl *n, uint16_t type, const char *s);
void qnet_nfnl_put_be32(struct qnet_nfnl *n, uint16_t type, uint32_t v);
size_t qnet_nfnl_nest(struct qnet_nfnl *n, uint16_t type);
void qnet_nfnl_nest_end(struct qnet_nfnl *n, size_t start);
/* Send the batch and wait for every answer: 0, or the first message's
 * -errno with *FAILED (may be NULL) its index among the messages added. */
int qnet_nfnl_commit(struct qnet_nfnl *n, unsigned *failed);

/* ---- the pieces of a rule (inside NFTA_RULE_EXPRESSIONS) ---- */
void qnet_nfnl_expr_meta(struct qnet_nfnl *n, uint32_t key, uint32_t dreg);
void qnet_nfnl_expr_payload(struct qnet_nfnl *n, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg);
/* LEN bytes at OFFSET of IPv6 extension header TYPE; the rule ends where
 * the packet has none. LEN 0: whether it has one, as one byte (1 or 0). */
void qnet_nfnl_expr_exthdr(struct qnet_nfnl *n, uint8_t type, uint32_t offset, uint32_t len, uint32_t dreg);
/* DREG = (SREG & MASK) ^ XOR, LEN bytes. */
void qnet_nfnl_expr_bitwise(struct qnet_nfnl *n, uint32_t sreg, uint32_t dreg, const void *mask, const void *xor,
			    size_t len);
void qnet_nfnl_expr_cmp(struct qnet_nfnl *n, uint32_t sreg, uint32_t op, const void *data, size_t len);
/* DREG 0 (NFT_REG_VERDICT) for a verdict map, ~0u for a plain set. */
void qnet_nfnl_expr_lookup(struct qnet_nfnl *n, const char *set, uint32_t sreg, uint32_t dreg, bool invert);
/* SREG_DATA ~0u for a plain set. */
void qnet_nfnl_expr_dynset_add(struct qnet_nfnl *n, const char *set, uint32_t sreg_key, uint32_t sreg_data);
/* The same with NFT_DYNSET_OP_* OP and, if not 0, a timeout: UPDATE adds
 * what is missing and restarts an element's timeout, never its value. */
void qnet_nfnl_expr_dynset(struct qnet_nfnl *n, const char *set, uint32_t op, uint32_t sreg_key, uint32_t sreg_data,
			   uint64_t timeout_ms);
void qnet_nfnl_expr_immediate(struct qnet_nfnl *n, uint32_t dreg, const void *data, size_t len);
/* A verdict: NF_DROP, NF_ACCEPT, or NFT_JUMP/NFT_GOTO to CHAIN. */
void qnet_nfnl_expr_verdict(struct qnet_nfnl *n, int code, const char *chain);
void qnet_nfnl_expr_counter(struct qnet_nfnl *n);
/* An x_tables match (nft_compat), as iptables-nft writes one: NAME at
 * revision REV with its xt info blob (LEN: XT_ALIGN()ed, as the kernel
 * checks). For rules in tables iptables-nft manages, which it can only
 * read back where a match is written its way. */
void qnet_nfnl_expr_xt_match(struct qnet_nfnl *n, const char *name, uint32_t rev, const void *info, size_t len);

/* The netlink messages in [BUF, BUF + LEN) (4-byte aligned, as recv()
 * fills it), one per call from offset *OFF: NULL at the end, or at the
 * first header that is short or claims more than is left. NLMSG_NEXT()
 * does not stop there: an unpadded last message makes its length wrap. */
const struct nlmsghdr *qnet_nfnl_next_msg(const void *buf, size_t len, size_t *off);

/* ---- dumps: a message's attributes, parsed one level ---- */
#define QNET_NFNL_ATTR_MAX 32
struct qnet_nfnl_attrs {
	const void *data[QNET_NFNL_ATTR_MAX];
	uint16_t len[QNET_NFNL_ATTR_MAX];
	int family;          /* NFPROTO_* of a dump's message (a dump of every
			      * family answers for each), 0 from qnet_nfnl_parse */
};
/* Parse the attributes in [DATA, DATA + LEN) into A (unknown types are
 * skipped); -EBADMSG if one overruns. */
int qnet_nfnl_parse(const void *data, size_t len, struct qnet_nfnl_attrs *a);
/* The nested attribute TYPE of A, parsed; -ENOENT if absent. */
int qnet_nfnl_parse_nested(const struct qnet_nfnl_attrs *a, uint16_t type, struct qnet_nfnl_attrs *ret);
/* A's attribute TYPE as a NUL-terminated string in BUF; false if absent or too long. */
bool qnet_nfnl_attr_str(const struct qnet_nfnl_attrs *a, uint16_t type, char *buf, size_t size);

/* Dump NFT_MSG_GET* TYPE, the request carrying NFTA_*_TABLE TABLE_ATTR =
 * TABLE (NULL: every table) and, when SET, NFTA_SET_ELEM_LIST_SET SET (or,
 * for NFT_MSG_GETRULE, the chain: NFTA_RULE_CHAIN is the same number);
 * N's family NFPROTO_UNSPEC dumps every family. FN gets each message's
 * attributes, and its first non-zero return ends the walk and is
 * returned. A missing table or set is an empty dump. */
int qnet_nfnl_dump(struct qnet_nfnl *n, int type, uint16_t table_attr, const char *table, const char *set,
		   int (*fn)(const struct qnet_nfnl_attrs *a, void *userdata), void *userdata);

/* Each element of a set-element dump message: KEY and DATA (DATA's value,
 * or NULL with DATA_LEN 0 for a plain set). */
int qnet_nfnl_foreach_elem(const struct qnet_nfnl_attrs *msg,
			   int (*fn)(const void *key, size_t key_len, const void *data, size_t data_len,
				     void *userdata),
			   void *userdata);
