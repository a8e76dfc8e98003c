// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation: see nfnl.h. Messages are written into one growing
 * buffer, NFNL_MSG_BATCH_BEGIN first and NFNL_MSG_BATCH_END last, every
 * message but those two with NLM_F_ACK, so the kernel answers each one
 * (an error or an ack) and we know when it is done. The answers are read
 * with a receive timeout: a kernel that never answers cannot hang a
 * program QEMU waits for. Everything read from the kernel is bounds-checked
 * before use (tests/fuzz/fuzz-nfnl.c feeds qnet_nfnl_parse() garbage).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "nfnl.h"

#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)
#define RECV_SIZE 65536

int qnet_nfnl_open(struct qnet_nfnl *n, int family)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	_cleanup_close_ int fd = -1;

	*n = (struct qnet_nfnl){ .fd = -1, .family = family };
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return qnet_negerrno();
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return qnet_negerrno();
	n->fd = TAKE_FD(fd);
	n->seq = (uint32_t)time(NULL);
	return 0;
}

void qnet_nfnl_close(struct qnet_nfnl *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	free(n->buf);
	n->buf = NULL;
	n->len = n->cap = 0;
}

static void *grow(struct qnet_nfnl *n, size_t add)
{
	size_t need = n->len + ALIGN4(add);
	void *p;

	if (n->err)
		return NULL;
	if (need > n->cap) {
		size_t cap = n->cap ? n->cap : 4096;
		char *b;

		while (cap < need)
			cap *= 2;
		b = realloc(n->buf, cap);
		if (!b) {
			n->err = -ENOMEM;
			return NULL;
		}
		n->buf = b;
		n->cap = cap;
	}
	p = n->buf + n->len;
	memset(p, 0, ALIGN4(add));
	n->len = need;
	return p;
}

static struct nlmsghdr *current(struct qnet_nfnl *n)
{
	return n->err ? NULL : (struct nlmsghdr *)(n->buf + n->msg);
}

/* Close the message being built: its length is what was added since. */
static void finish(struct qnet_nfnl *n)
{
	struct nlmsghdr *h = current(n);

	if (h && n->n_msgs)
		h->nlmsg_len = (uint32_t)(n->len - n->msg);
}

static void start(struct qnet_nfnl *n, uint16_t type, uint16_t flags, int family, uint16_t res_id)
{
	struct nlmsghdr *h;
	struct nfgenmsg *g;

	finish(n);
	n->msg = n->len;
	h = grow(n, NLMSG_HDRLEN + sizeof(*g));
	if (!h)
		return;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++n->seq;
	g = (struct nfgenmsg *)((char *)h + NLMSG_HDRLEN);
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	n->n_msgs++;
}

void qnet_nfnl_begin(struct qnet_nfnl *n)
{
	n->len = n->msg = 0;
	n->n_msgs = 0;
	n->err = 0;
	start(n, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
}

void qnet_nfnl_msg(struct qnet_nfnl *n, int type, uint16_t flags)
{
	start(n, (NFNL_SUBSYS_NFTABLES << 8) | type, flags | NLM_F_ACK, n->family, 0);
}

void qnet_nfnl_put(struct qnet_nfnl *n, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;

	if (len > UINT16_MAX - NLA_HDRLEN) {
		n->err = n->err ?: -EMSGSIZE;
		return;
	}
	a = grow(n, NLA_HDRLEN + len);
	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
}

void qnet_nfnl_put_str(struct qnet_nfnl *n, uint16_t type, const char *s)
{
	qnet_nfnl_put(n, type, s, strlen(s) + 1);
}

void qnet_nfnl_put_be32(struct qnet_nfnl *n, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	qnet_nfnl_put(n, type, &be, sizeof(be));
}

size_t qnet_nfnl_nest(struct qnet_nfnl *n, uint16_t type)
{
	size_t at = n->len;
	struct nlattr *a = grow(n, NLA_HDRLEN);

	if (a)
		a->nla_type = NLA_F_NESTED | type;
	return at;
}

void qnet_nfnl_nest_end(struct qnet_nfnl *n, size_t start_at)
{
	struct nlattr *a;

	if (n->err)
		return;
	a = (struct nlattr *)(n->buf + start_at);
	if (n->len - start_at > UINT16_MAX) {
		n->err = -EMSGSIZE;
		return;
	}
	a->nla_len = (uint16_t)(n->len - start_at);
}

const struct nlmsghdr *qnet_nfnl_next_msg(const void *buf, size_t len, size_t *off)
{
	const struct nlmsghdr *h;
	size_t left;

	if (*off >= len || len - *off < sizeof(*h))
		return NULL;
	left = len - *off;
	h = (const struct nlmsghdr *)((const char *)buf + *off);
	if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
		return NULL;
	/* The last message may lack its padding: the walk ends after it. */
	*off += NLMSG_ALIGN(h->nlmsg_len) < left ? NLMSG_ALIGN(h->nlmsg_len) : left;
	return h;
}

/* Read answers until every message with NLM_F_ACK has one (or until a
 * dump is done); hand dump messages to FN until it returns non-zero. The
 * first error, or FN's first non-zero return, is the result. */
static int receive(struct qnet_nfnl *n, uint32_t first_seq, uint32_t last_seq, unsigned *failed,
		   int (*fn)(const struct nlmsghdr *h, void *userdata), void *userdata)
{
	_cleanup_free_ char *buf = malloc(RECV_SIZE);
	unsigned expected = last_seq - first_seq + 1, answered = 0;
	int first_error = 0;

	if (!buf)
		return -ENOMEM;
	while (answered < expected) {
		/* MSG_TRUNC: netlink says how long the datagram was, so one
		 * too long for BUF is an error, not half a dump. */
		ssize_t got = recv(n->fd, buf, RECV_SIZE, MSG_TRUNC);
		const struct nlmsghdr *h;
		size_t off = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : qnet_negerrno();
		if (got > RECV_SIZE)
			return -EMSGSIZE;
		while ((h = qnet_nfnl_next_msg(buf, (size_t)got, &off))) {
			if (h->nlmsg_seq < first_seq || h->nlmsg_seq > last_seq)
				continue; /* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				answered++;
				if (e->error < 0 && !first_error) {
					first_error = e->error;
					if (failed)
						*failed = h->nlmsg_seq - first_seq;
				}
			} else if (h->nlmsg_type == NLMSG_DONE) {
				answered++;
			} else if (fn && !first_error) {
				/* Non-zero stops the walk, and is what we return;
				 * the rest of the dump is still read, and dropped. */
				first_error = fn(h, userdata);
			}
		}
	}
	return first_error;
}

static int send_all(struct qnet_nfnl *n)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t w;

	do
		w = sendto(n->fd, n->buf, n->len, 0, (struct sockaddr *)&to, sizeof(to));
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return qnet_negerrno();
	return (size_t)w == n->len ? 0 : -EIO;
}

int qnet_nfnl_commit(struct qnet_nfnl *n, unsigned *failed)
{
	uint32_t first;
	int r;

	start(n, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	finish(n);
	if (n->err)
		return n->err;
	if (n->n_msgs <= 2)
		return 0;
	/* BEGIN's sequence number + 1 is the first message; END's - 1 the last. */
	first = ((struct nlmsghdr *)n->buf)->nlmsg_seq + 1;
	r = send_all(n);
	if (r < 0)
		return r;
	return receive(n, first, n->seq - 1, failed, NULL, NULL);
}

/* ---- expressions ---- */

static size_t expr_start(struct qnet_nfnl *n, const char *name, size_t *data)
{
	size_t e = qnet_nfnl_nest(n, NFTA_LIST_ELEM);

	qnet_nfnl_put_str(n, NFTA_EXPR_NAME, name);
	*data = qnet_nfnl_nest(n, NFTA_EXPR_DATA);
	return e;
}

static void expr_end(struct qnet_nfnl *n, size_t e, size_t data)
{
	qnet_nfnl_nest_end(n, data);
	qnet_nfnl_nest_end(n, e);
}

void qnet_nfnl_expr_meta(struct qnet_nfnl *n, uint32_t key, uint32_t dreg)
{
	size_t d, e = expr_start(n, "meta", &d);

	qnet_nfnl_put_be32(n, NFTA_META_KEY, key);
	qnet_nfnl_put_be32(n, NFTA_META_DREG, dreg);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_payload(struct qnet_nfnl *n, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg)
{
	size_t d, e = expr_start(n, "payload", &d);

	qnet_nfnl_put_be32(n, NFTA_PAYLOAD_DREG, dreg);
	qnet_nfnl_put_be32(n, NFTA_PAYLOAD_BASE, base);
	qnet_nfnl_put_be32(n, NFTA_PAYLOAD_OFFSET, offset);
	qnet_nfnl_put_be32(n, NFTA_PAYLOAD_LEN, len);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_exthdr(struct qnet_nfnl *n, uint8_t type, uint32_t offset, uint32_t len, uint32_t dreg)
{
	size_t d, e = expr_start(n, "exthdr", &d);

	qnet_nfnl_put_be32(n, NFTA_EXTHDR_DREG, dreg);
	qnet_nfnl_put(n, NFTA_EXTHDR_TYPE, &type, sizeof(type));
	qnet_nfnl_put_be32(n, NFTA_EXTHDR_OFFSET, offset);
	/* As nft writes "exthdr frag exists": one byte, flag PRESENT. */
	qnet_nfnl_put_be32(n, NFTA_EXTHDR_LEN, len ? len : 1);
	if (!len)
		qnet_nfnl_put_be32(n, NFTA_EXTHDR_FLAGS, NFT_EXTHDR_F_PRESENT);
	expr_end(n, e, d);
}

static void put_value(struct qnet_nfnl *n, uint16_t type, const void *data, size_t len)
{
	size_t v = qnet_nfnl_nest(n, type);

	qnet_nfnl_put(n, NFTA_DATA_VALUE, data, len);
	qnet_nfnl_nest_end(n, v);
}

void qnet_nfnl_expr_bitwise(struct qnet_nfnl *n, uint32_t sreg, uint32_t dreg, const void *mask, const void *xor,
			    size_t len)
{
	size_t d, e = expr_start(n, "bitwise", &d);

	qnet_nfnl_put_be32(n, NFTA_BITWISE_SREG, sreg);
	qnet_nfnl_put_be32(n, NFTA_BITWISE_DREG, dreg);
	qnet_nfnl_put_be32(n, NFTA_BITWISE_LEN, (uint32_t)len);
	put_value(n, NFTA_BITWISE_MASK, mask, len);
	put_value(n, NFTA_BITWISE_XOR, xor, len);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_cmp(struct qnet_nfnl *n, uint32_t sreg, uint32_t op, const void *data, size_t len)
{
	size_t d, e = expr_start(n, "cmp", &d);

	qnet_nfnl_put_be32(n, NFTA_CMP_SREG, sreg);
	qnet_nfnl_put_be32(n, NFTA_CMP_OP, op);
	put_value(n, NFTA_CMP_DATA, data, len);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_lookup(struct qnet_nfnl *n, const char *set, uint32_t sreg, uint32_t dreg, bool invert)
{
	size_t d, e = expr_start(n, "lookup", &d);

	qnet_nfnl_put_str(n, NFTA_LOOKUP_SET, set);
	qnet_nfnl_put_be32(n, NFTA_LOOKUP_SREG, sreg);
	if (dreg != ~0u)
		qnet_nfnl_put_be32(n, NFTA_LOOKUP_DREG, dreg);
	if (invert)
		qnet_nfnl_put_be32(n, NFTA_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_dynset(struct qnet_nfnl *n, const char *set, uint32_t op, uint32_t sreg_key, uint32_t sreg_data,
			   uint64_t timeout_ms)
{
	size_t d, e = expr_start(n, "dynset", &d);

	qnet_nfnl_put_str(n, NFTA_DYNSET_SET_NAME, set);
	qnet_nfnl_put_be32(n, NFTA_DYNSET_OP, op);
	qnet_nfnl_put_be32(n, NFTA_DYNSET_SREG_KEY, sreg_key);
	if (sreg_data != ~0u)
		qnet_nfnl_put_be32(n, NFTA_DYNSET_SREG_DATA, sreg_data);
	if (timeout_ms) {
		uint64_t be = htobe64(timeout_ms);

		qnet_nfnl_put(n, NFTA_DYNSET_TIMEOUT, &be, sizeof(be));
	}
	expr_end(n, e, d);
}

void qnet_nfnl_expr_dynset_add(struct qnet_nfnl *n, const char *set, uint32_t sreg_key, uint32_t sreg_data)
{
	qnet_nfnl_expr_dynset(n, set, NFT_DYNSET_OP_ADD, sreg_key, sreg_data, 0);
}

void qnet_nfnl_expr_immediate(struct qnet_nfnl *n, uint32_t dreg, const void *data, size_t len)
{
	size_t d, e = expr_start(n, "immediate", &d);

	qnet_nfnl_put_be32(n, NFTA_IMMEDIATE_DREG, dreg);
	put_value(n, NFTA_IMMEDIATE_DATA, data, len);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_verdict(struct qnet_nfnl *n, int code, const char *chain)
{
	size_t d, e = expr_start(n, "immediate", &d), data, v;

	qnet_nfnl_put_be32(n, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	data = qnet_nfnl_nest(n, NFTA_IMMEDIATE_DATA);
	v = qnet_nfnl_nest(n, NFTA_DATA_VERDICT);
	qnet_nfnl_put_be32(n, NFTA_VERDICT_CODE, (uint32_t)code);
	if (chain)
		qnet_nfnl_put_str(n, NFTA_VERDICT_CHAIN, chain);
	qnet_nfnl_nest_end(n, v);
	qnet_nfnl_nest_end(n, data);
	expr_end(n, e, d);
}

void qnet_nfnl_expr_counter(struct qnet_nfnl *n)
{
	size_t d, e = expr_start(n, "counter", &d);

	expr_end(n, e, d);
}

void qnet_nfnl_expr_xt_match(struct qnet_nfnl *n, const char *name, uint32_t rev, const void *info, size_t len)
{
	size_t d, e = expr_start(n, "match", &d);

	qnet_nfnl_put_str(n, NFTA_MATCH_NAME, name);
	qnet_nfnl_put_be32(n, NFTA_MATCH_REV, rev);
	qnet_nfnl_put(n, NFTA_MATCH_INFO, info, len);
	expr_end(n, e, d);
}

/* ---- parsing ---- */

/* The next attribute of [*P, *P + *LEN), stepping past it: 1, 0 at the
 * end, -EBADMSG if it overruns. */
static int next_attr(const char **p, size_t *len, const struct nlattr **ret)
{
	const struct nlattr *at = (const void *)*p;
	size_t step;

	if (*len < NLA_HDRLEN)
		return 0;
	if (at->nla_len < NLA_HDRLEN || at->nla_len > *len)
		return -EBADMSG;
	step = ALIGN4(at->nla_len);
	*len = step >= *len ? 0 : *len - step;
	*p += step;
	*ret = at;
	return 1;
}

int qnet_nfnl_parse(const void *data, size_t len, struct qnet_nfnl_attrs *a)
{
	const char *p = data;
	const struct nlattr *at;
	int r;

	memset(a, 0, sizeof(*a));
	while ((r = next_attr(&p, &len, &at)) > 0) {
		uint16_t type = at->nla_type & NLA_TYPE_MASK;

		if (type < QNET_NFNL_ATTR_MAX) {
			a->data[type] = (const char *)at + NLA_HDRLEN;
			a->len[type] = (uint16_t)(at->nla_len - NLA_HDRLEN);
		}
	}
	return r;
}

int qnet_nfnl_parse_nested(const struct qnet_nfnl_attrs *a, uint16_t type, struct qnet_nfnl_attrs *ret)
{
	if (type >= QNET_NFNL_ATTR_MAX || !a->data[type])
		return -ENOENT;
	return qnet_nfnl_parse(a->data[type], a->len[type], ret);
}

bool qnet_nfnl_attr_str(const struct qnet_nfnl_attrs *a, uint16_t type, char *buf, size_t size)
{
	size_t len;

	if (type >= QNET_NFNL_ATTR_MAX || !a->data[type])
		return false;
	len = strnlen(a->data[type], a->len[type]);
	if (len >= size)
		return false;
	memcpy(buf, a->data[type], len);
	buf[len] = '\0';
	return true;
}

struct dump {
	int (*fn)(const struct qnet_nfnl_attrs *a, void *userdata);
	void *userdata;
};

static int dump_one(const struct nlmsghdr *h, void *userdata)
{
	struct dump *d = userdata;
	struct qnet_nfnl_attrs a;
	size_t hdr = NLMSG_LENGTH(sizeof(struct nfgenmsg));

	if (h->nlmsg_len < hdr)
		return -EBADMSG;
	if (qnet_nfnl_parse((const char *)h + NLMSG_ALIGN(hdr), h->nlmsg_len - NLMSG_ALIGN(hdr), &a) < 0)
		return -EBADMSG;
	a.family = ((const struct nfgenmsg *)NLMSG_DATA(h))->nfgen_family;
	return d->fn(&a, d->userdata);
}

_Static_assert((int)NFTA_RULE_CHAIN == (int)NFTA_SET_ELEM_LIST_SET, "a rule dump's chain goes where a set's name does");

int qnet_nfnl_dump(struct qnet_nfnl *n, int type, uint16_t table_attr, const char *table, const char *set,
		   int (*fn)(const struct qnet_nfnl_attrs *a, void *userdata), void *userdata)
{
	struct dump d = { fn, userdata };
	uint32_t seq;
	int r;

	n->len = n->msg = 0;
	n->n_msgs = 0;
	n->err = 0;
	start(n, (NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_DUMP, n->family, 0);
	if (table)
		qnet_nfnl_put_str(n, table_attr, table);
	if (set)
		qnet_nfnl_put_str(n, NFTA_SET_ELEM_LIST_SET, set);
	finish(n);
	if (n->err)
		return n->err;
	seq = n->seq;
	r = send_all(n);
	if (r < 0)
		return r;
	r = receive(n, seq, seq, NULL, dump_one, &d);
	return r == -ENOENT ? 0 : r;
}

int qnet_nfnl_foreach_elem(const struct qnet_nfnl_attrs *msg,
			   int (*fn)(const void *key, size_t key_len, const void *data, size_t data_len,
				     void *userdata),
			   void *userdata)
{
	const struct nlattr *at;
	const char *p;
	size_t len;
	int r;

	if (!msg->data[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	p = msg->data[NFTA_SET_ELEM_LIST_ELEMENTS];
	len = msg->len[NFTA_SET_ELEM_LIST_ELEMENTS];
	while ((r = next_attr(&p, &len, &at)) > 0) {
		struct qnet_nfnl_attrs e, key, data;

		if (qnet_nfnl_parse((const char *)at + NLA_HDRLEN, at->nla_len - NLA_HDRLEN, &e) < 0 ||
		    qnet_nfnl_parse_nested(&e, NFTA_SET_ELEM_KEY, &key) < 0 || !key.data[NFTA_DATA_VALUE])
			return -EBADMSG;
		if (qnet_nfnl_parse_nested(&e, NFTA_SET_ELEM_DATA, &data) < 0)
			memset(&data, 0, sizeof(data));
		r = fn(key.data[NFTA_DATA_VALUE], key.len[NFTA_DATA_VALUE], data.data[NFTA_DATA_VALUE],
		       data.data[NFTA_DATA_VALUE] ? data.len[NFTA_DATA_VALUE] : 0, userdata);
		if (r)
			return r;
	}
	return r;
}
