// SPDX-License-Identifier: GPL-2.0-or-later
/* What is shaped and how: lib/rate.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "rate.h"

/* Our tbf's handle, 716e: ("qn"), on the port and on its ifb: a root qdisc
 * of another handle is not ours to read, replace or delete. */
#define TBF_HANDLE TC_H_MAKE(0x716eU << 16, 0U)
#define INGRESS_HANDLE TC_H_MAKE(TC_H_INGRESS, 0U) /* ffff: */
/* The priority of our filter on the port's ingress: filters of other
 * priorities are someone else's. */
#define FILTER_PRIO 0x716eU
#define FILTER_INFO TC_H_MAKE(FILTER_PRIO << 16, htons(ETH_P_ALL))

/*
 * The bucket. tbf never sends a packet bigger than its bucket whole: it
 * splits a GSO packet into segments in software, and drops anything else.
 * A TAP with vnet headers and a veth both hand over 64 KiB GSO packets, so
 * the bucket holds at least two of them; and at high rates it holds 10 ms
 * of the rate, or the rate would depend on how soon after the bucket
 * empties the qdisc's watchdog timer fires. At 100 Mbit/s that is 128 KiB:
 * a guest may send 10 ms at line rate after an idle second, nothing a TCP
 * transfer's average sees.
 */
#define BURST_MIN (2U * 65536U)
#define BURST_PER_SECOND 100U /* 10 ms */
/* The queue behind the bucket holds 50 ms of the rate (tc's "latency
 * 50ms") and a bucketful: TCP backs off well before it fills, and a sender
 * that ignores drops is dropped, not queued for seconds. */
#define QUEUE_PER_SECOND 20U /* 50 ms */

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t tbf_burst(uint64_t rate)
{
	uint64_t b = rate / BURST_PER_SECOND;

	return clamp32(b > BURST_MIN ? b : BURST_MIN);
}

/* qnetifbN for port N; -ERANGE when N's decimal digits do not fit a name. */
static int ifb_name(int port, char name[IFNAMSIZ])
{
	int n = snprintf(name, IFNAMSIZ, QNET_RATE_IFB_PREFIX "%d", port);

	return port > 0 && n > 0 && n < IFNAMSIZ ? 0 : -ERANGE;
}

/* N if NAME is the ifb of port N (exactly as ifb_name() writes it), else 0. */
static int ifb_port(const char *name)
{
	char again[IFNAMSIZ];
	unsigned long n;

	if (strncmp(name, QNET_RATE_IFB_PREFIX, strlen(QNET_RATE_IFB_PREFIX)) != 0 ||
	    qnet_parse_uint(name + strlen(QNET_RATE_IFB_PREFIX), INT32_MAX, &n) < 0 ||
	    ifb_name((int)n, again) < 0 || !streq(again, name))
		return 0;
	return (int)n;
}

/* A traffic control message with its tcmsg, NULL when out of memory. */
static struct nl_msg *tc_msg(int type, int flags, int ifindex, uint32_t parent, uint32_t handle,
			     uint32_t info)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent,
			   .tcm_handle = handle, .tcm_info = info };
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * tbf's parameters, as `tc qdisc add ... tbf rate R burst B latency 50ms`
 * writes them but without a rate table: the kernel computes packet times
 * itself and reads a table only to learn the link layer of a rate that
 * does not say, and ours says "ethernet". The burst is given in bytes
 * (TCA_TBF_BURST) rather than as the bucket's time, and a rate of 4 GB/s
 * or more, which the 32-bit field cannot hold, in TCA_TBF_RATE64.
 */
static int put_tbf(struct nl_msg *msg, uint64_t rate)
{
	uint32_t burst = tbf_burst(rate);
	struct tc_tbf_qopt q = {
		.rate = { .rate = clamp32(rate), .linklayer = TC_LINKLAYER_ETHERNET },
		.limit = clamp32(rate / QUEUE_PER_SECOND + burst),
	};
	struct nlattr *opts;

	if (nla_put_string(msg, TCA_KIND, "tbf") < 0)
		return -ENOMEM;
	opts = nla_nest_start(msg, TCA_OPTIONS);
	if (!opts || nla_put(msg, TCA_TBF_PARMS, sizeof(q), &q) < 0 ||
	    (rate > UINT32_MAX && nla_put_u64(msg, TCA_TBF_RATE64, rate) < 0) ||
	    nla_put_u32(msg, TCA_TBF_BURST, burst) < 0)
		return -ENOMEM;
	nla_nest_end(msg, opts);
	return 0;
}

/* Our tbf as IFINDEX's root qdisc at RATE: created, or changed in place if
 * it is there, so the device is never without it in between; any other
 * root qdisc is replaced. */
static int tbf_set(struct qnet_nl *nl, int ifindex, uint64_t rate)
{
	_cleanup_nlmsg_ struct nl_msg *msg =
		tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, ifindex, TC_H_ROOT, TBF_HANDLE, 0);

	if (!msg || put_tbf(msg, rate) < 0)
		return -ENOMEM;
	return qnet_nl_request(nl, msg);
}

/* Delete the qdisc of HANDLE and KIND at PARENT of IFINDEX, if it is there. */
static int qdisc_delete(struct qnet_nl *nl, int ifindex, uint32_t parent, uint32_t handle, const char *kind)
{
	_cleanup_nlmsg_ struct nl_msg *msg = tc_msg(RTM_DELQDISC, NLM_F_ACK, ifindex, parent, handle, 0);
	int r;

	if (!msg || nla_put_string(msg, TCA_KIND, kind) < 0)
		return -ENOMEM;
	r = qnet_nl_request(nl, msg);
	/* EINVAL: the qdisc there has another handle or kind (the default
	 * one, or someone else's), which is not ours to delete. */
	return r == -EINVAL || r == -ENOENT ? 0 : r;
}

static int tbf_delete(struct qnet_nl *nl, int ifindex)
{
	return qdisc_delete(nl, ifindex, TC_H_ROOT, TBF_HANDLE, "tbf");
}

struct tbf_reply {
	uint64_t rate;
	int result; /* 1 found, -errno if malformed */
};

static int tbf_reply(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[TCA_MAX + 1] = {
		[TCA_KIND] = { .type = NLA_STRING },
		[TCA_OPTIONS] = { .type = NLA_NESTED },
	};
	static struct nla_policy tbf_policy[TCA_TBF_MAX + 1] = {
		[TCA_TBF_PARMS] = { .minlen = sizeof(struct tc_tbf_qopt) },
		[TCA_TBF_RATE64] = { .type = NLA_U64 },
	};
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_TBF_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct tbf_reply *p = arg;
	const struct tc_tbf_qopt *q;
	const struct tcmsg *t;

	if (h->nlmsg_type != RTM_NEWQDISC || p->result)
		return NL_OK;
	if (!nlmsg_valid_hdr(h, sizeof(*t)) || nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, policy) < 0) {
		p->result = -EBADMSG;
		return NL_OK;
	}
	t = nlmsg_data(h);
	if (t->tcm_handle != TBF_HANDLE || !tb[TCA_KIND] || nla_strcmp(tb[TCA_KIND], "tbf") != 0)
		return NL_OK;
	if (!tb[TCA_OPTIONS] || nla_parse_nested(opt, TCA_TBF_MAX, tb[TCA_OPTIONS], tbf_policy) < 0 ||
	    !opt[TCA_TBF_PARMS]) {
		p->result = -EBADMSG;
		return NL_OK;
	}
	q = nla_data(opt[TCA_TBF_PARMS]);
	p->rate = opt[TCA_TBF_RATE64] ? nla_get_u64(opt[TCA_TBF_RATE64]) : q->rate.rate;
	p->result = 1;
	return NL_OK;
}

/*
 * The rate of our tbf at IFINDEX's root, 0 if the root is not ours. One
 * request for the root by our handle, never a dump: the kernel's qdisc
 * dump is every device's. The kernel answers a qdisc GET as a
 * notification, which reaches the asker only with NLM_F_ECHO (and goes to
 * tc monitors too). It answers nothing at all for a built-in or invisible
 * qdisc, which would leave us waiting; those have handle 0 or one of
 * 8000: and up, so the kernel refuses ours (EINVAL) before it gets there.
 */
static int tbf_get(struct qnet_nl *nl, int ifindex, uint64_t *rate)
{
	_cleanup_nlmsg_ struct nl_msg *msg = tc_msg(RTM_GETQDISC, NLM_F_ECHO, ifindex, TC_H_ROOT, TBF_HANDLE, 0);
	struct tbf_reply p = { 0 };
	int r;

	*rate = 0;
	if (!msg)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, tbf_reply, &p);
	if (r == -EINVAL || r == -ENOENT) /* the root has another handle */
		return 0;
	if (r < 0)
		return r;
	if (p.result < 0)
		return p.result;
	*rate = p.rate;
	return 0;
}

static int ingress_add(struct qnet_nl *nl, int port)
{
	_cleanup_nlmsg_ struct nl_msg *msg = tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, port,
						    TC_H_INGRESS, INGRESS_HANDLE, 0);
	int r;

	if (!msg || nla_put_string(msg, TCA_KIND, "ingress") < 0)
		return -ENOMEM;
	r = qnet_nl_request(nl, msg);
	return r == -EEXIST ? 0 : r;
}

static int ingress_delete(struct qnet_nl *nl, int port)
{
	return qdisc_delete(nl, port, TC_H_INGRESS, INGRESS_HANDLE, "ingress");
}

/* What the port's ingress holds, from one dump of its filters. */
struct filters {
	uint32_t handle; /* our u32 node's handle, 0 if there is none */
	int target;      /* ifindex our node redirects to, 0 if none */
	int others;      /* filters at other priorities: someone else's */
	int result;
};

/* The ifindex a u32 filter's first action, a mirred egress redirect,
 * sends to; 0 if its action is something else. */
static int mirred_target(struct nlattr *u32opts)
{
	static struct nla_policy u32_policy[TCA_U32_MAX + 1] = {
		[TCA_U32_ACT] = { .type = NLA_NESTED },
	};
	static struct nla_policy act_policy[TCA_ACT_MAX + 1] = {
		[TCA_ACT_KIND] = { .type = NLA_STRING },
		[TCA_ACT_OPTIONS] = { .type = NLA_NESTED },
	};
	static struct nla_policy mirred_policy[TCA_MIRRED_MAX + 1] = {
		[TCA_MIRRED_PARMS] = { .minlen = sizeof(struct tc_mirred) },
	};
	struct nlattr *u[TCA_U32_MAX + 1], *acts[TCA_ACT_MAX_PRIO + 1], *act[TCA_ACT_MAX + 1],
		*m[TCA_MIRRED_MAX + 1];
	const struct tc_mirred *parms;

	if (nla_parse_nested(u, TCA_U32_MAX, u32opts, u32_policy) < 0 || !u[TCA_U32_ACT] ||
	    nla_parse_nested(acts, TCA_ACT_MAX_PRIO, u[TCA_U32_ACT], NULL) < 0 || !acts[1] ||
	    nla_parse_nested(act, TCA_ACT_MAX, acts[1], act_policy) < 0 || !act[TCA_ACT_KIND] ||
	    nla_strcmp(act[TCA_ACT_KIND], "mirred") != 0 || !act[TCA_ACT_OPTIONS] ||
	    nla_parse_nested(m, TCA_MIRRED_MAX, act[TCA_ACT_OPTIONS], mirred_policy) < 0 || !m[TCA_MIRRED_PARMS])
		return 0;
	parms = nla_data(m[TCA_MIRRED_PARMS]);
	return parms->eaction == TCA_EGRESS_REDIR && parms->ifindex <= INT32_MAX ? (int)parms->ifindex : 0;
}

static int filter_msg(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[TCA_MAX + 1] = {
		[TCA_KIND] = { .type = NLA_STRING },
		[TCA_OPTIONS] = { .type = NLA_NESTED },
	};
	struct nlattr *tb[TCA_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct filters *f = arg;
	const struct tcmsg *t;

	if (h->nlmsg_type != RTM_NEWTFILTER || f->result)
		return NL_OK;
	if (!nlmsg_valid_hdr(h, sizeof(*t)) || nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, policy) < 0) {
		f->result = -EBADMSG;
		return NL_OK;
	}
	t = nlmsg_data(h);
	if (TC_H_MAJ(t->tcm_info) != TC_H_MAJ(FILTER_INFO)) {
		f->others++;
		return NL_OK;
	}
	/* u32 reports its hash table (a handle without a node) before the
	 * nodes in it; ours has one node. */
	if (!TC_U32_KEY(t->tcm_handle) || !tb[TCA_KIND] || nla_strcmp(tb[TCA_KIND], "u32") != 0)
		return NL_OK;
	f->handle = t->tcm_handle;
	f->target = tb[TCA_OPTIONS] ? mirred_target(tb[TCA_OPTIONS]) : 0;
	return NL_OK;
}

/* The filters on PORT's ingress, from a dump of that device's filters
 * only; none if there is no ingress qdisc. */
static int filters_get(struct qnet_nl *nl, int port, struct filters *f)
{
	_cleanup_nlmsg_ struct nl_msg *msg = tc_msg(RTM_GETTFILTER, NLM_F_DUMP, port, INGRESS_HANDLE, 0, 0);
	int r;

	*f = (struct filters){ 0 };
	if (!msg)
		return -ENOMEM;
	r = qnet_nl_query(nl, msg, filter_msg, f);
	if (r == -EINVAL || r == -ENOENT) /* no ingress qdisc */
		return 0;
	return r < 0 ? r : f->result;
}

/*
 * Our filter on PORT's ingress: every frame the guest sends (u32 with one
 * key of mask 0 matches all) goes to IFB's egress and is stolen from the
 * port's receive path, to come back into it from the ifb at the shaped
 * rate. HANDLE is our node's if it is there, and the kernel changes that
 * node's action in place; 0 makes a new one.
 */
static int filter_set(struct qnet_nl *nl, int port, uint32_t handle, int ifb)
{
	struct tc_u32_sel h = { .flags = TC_U32_TERMINAL, .nkeys = 1 };
	uint8_t sel[sizeof(h) + sizeof(struct tc_u32_key)] = { 0 };
	struct tc_mirred m = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = (uint32_t)ifb };
	_cleanup_nlmsg_ struct nl_msg *msg =
		tc_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_ACK, port, INGRESS_HANDLE, handle, FILTER_INFO);
	struct nlattr *opts, *acts, *act, *aopts;

	memcpy(sel, &h, sizeof(h));
	if (!msg || nla_put_string(msg, TCA_KIND, "u32") < 0 || !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put(msg, TCA_U32_SEL, sizeof(sel), sel) < 0 || !(acts = nla_nest_start(msg, TCA_U32_ACT)) ||
	    !(act = nla_nest_start(msg, 1)) || nla_put_string(msg, TCA_ACT_KIND, "mirred") < 0 ||
	    !(aopts = nla_nest_start(msg, TCA_ACT_OPTIONS)) || nla_put(msg, TCA_MIRRED_PARMS, sizeof(m), &m) < 0)
		return -ENOMEM;
	nla_nest_end(msg, aopts);
	nla_nest_end(msg, act);
	nla_nest_end(msg, acts);
	nla_nest_end(msg, opts);
	return qnet_nl_request(nl, msg);
}

static int filter_delete(struct qnet_nl *nl, int port)
{
	/* Handle 0 at our priority: the whole u32 instance there, table and node. */
	_cleanup_nlmsg_ struct nl_msg *msg =
		tc_msg(RTM_DELTFILTER, NLM_F_ACK, port, INGRESS_HANDLE, 0, FILTER_INFO);
	int r;

	if (!msg)
		return -ENOMEM;
	r = qnet_nl_request(nl, msg);
	return r == -EINVAL || r == -ENOENT ? 0 : r;
}

/* The ifb NAME, created if it is not there, up; its ifindex. */
static int ifb_ensure(struct qnet_nl *nl, const char *name, char *why, size_t why_size)
{
	struct qnet_link l;
	int r;

	r = qnet_link_create(nl, name, "ifb", NULL);
	if (r < 0 && r != -EEXIST)
		return qnet_because(why, why_size, r, "cannot create ifb %s: %s", name, strerror(-r));
	r = qnet_link_get(nl, name, &l);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up ifb %s: %s", name, strerror(-r));
	if (!streq(l.kind, "ifb"))
		return qnet_because(why, why_size, -EEXIST, "%s exists and is not an ifb (it is a %s link)", name,
				    l.kind[0] ? l.kind : "plain");
	if (!(l.flags & IFF_UP)) {
		r = qnet_link_set_up(nl, l.ifindex, true);
		if (r < 0)
			return qnet_because(why, why_size, r, "cannot bring up ifb %s: %s", name, strerror(-r));
	}
	return l.ifindex;
}

/* Remove what shapes traffic from the guest on PORT: our filter, the
 * ingress qdisc unless someone else's filters are on it, and the ifb. */
static int out_remove(struct qnet_nl *nl, int port, char *why, size_t why_size)
{
	char name[IFNAMSIZ];
	struct filters f;
	struct qnet_link l;
	int r;

	r = filters_get(nl, port, &f);
	if (r >= 0)
		r = f.others ? filter_delete(nl, port) : ingress_delete(nl, port);
	if (r < 0 && r != -ENODEV) /* a port that is gone took its ingress with it */
		return qnet_because(why, why_size, r, "cannot remove the redirect from ifindex %d's ingress: %s", port,
				    strerror(-r));
	if (ifb_name(port, name) < 0)
		return 0;
	r = qnet_link_get(nl, name, &l);
	if (r == -ENODEV || (r == 0 && !streq(l.kind, "ifb")))
		return 0;
	if (r == 0)
		r = qnet_link_delete(nl, l.ifindex);
	if (r < 0 && r != -ENODEV)
		return qnet_because(why, why_size, r, "cannot delete ifb %s: %s", name, strerror(-r));
	return 0;
}

/* PORT shaped to IN and OUT (0: not shaped), each step replacing what is
 * there in place. The first failure stops and is returned. */
static int shape(struct qnet_nl *nl, const struct qnet_link *port, uint64_t in, uint64_t out, char *why,
		 size_t why_size)
{
	char name[IFNAMSIZ];
	struct filters f;
	int ifb, r;

	r = in ? tbf_set(nl, port->ifindex, in) : tbf_delete(nl, port->ifindex);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot %s the tbf qdisc on %s: %s", in ? "set" : "remove",
				    port->name, strerror(-r));
	qnet_fault_point("rate-in");
	if (!out)
		return out_remove(nl, port->ifindex, why, why_size);
	r = ifb_name(port->ifindex, name);
	if (r < 0)
		return qnet_because(why, why_size, r, "ifindex %d is too large for an ifb name", port->ifindex);
	/* The ifb is shaped before anything is sent to it. */
	ifb = ifb_ensure(nl, name, why, why_size);
	if (ifb < 0)
		return ifb;
	qnet_fault_point("rate-ifb");
	r = tbf_set(nl, ifb, out);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot set the tbf qdisc on %s: %s", name, strerror(-r));
	r = ingress_add(nl, port->ifindex);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot add the ingress qdisc to %s: %s", port->name,
				    strerror(-r));
	r = filters_get(nl, port->ifindex, &f);
	if (r >= 0)
		r = filter_set(nl, port->ifindex, f.handle, ifb);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot redirect %s's ingress to %s: %s", port->name, name,
				    strerror(-r));
	qnet_fault_point("rate-out");
	return 0;
}

int qnet_rate_apply(struct qnet_nl *nl, int port, uint64_t in, uint64_t out, char *why, size_t why_size)
{
	char scratch[QNET_REASON_MAX];
	uint64_t in_before, out_before;
	struct qnet_link l;
	int r;

	if (port <= 0)
		return qnet_because(why, why_size, -EINVAL, "invalid ifindex %d", port);
	r = qnet_link_get_by_index(nl, port, &l);
	if (r == -ENODEV)
		return qnet_because(why, why_size, r, "there is no interface of ifindex %d", port);
	if (r < 0)
		return qnet_because(why, why_size, r, "cannot look up ifindex %d: %s", port, strerror(-r));
	if (qnet_rate_get(nl, port, &in_before, &out_before) < 0)
		in_before = out_before = 0;
	r = shape(nl, &l, in, out, why, why_size);
	if (r < 0 && shape(nl, &l, in_before, out_before, scratch, sizeof(scratch)) < 0)
		(void)qnet_rate_remove(nl, port);
	return r;
}

int qnet_rate_remove(struct qnet_nl *nl, int port)
{
	char scratch[QNET_REASON_MAX];
	int r, r_out;

	r = tbf_delete(nl, port);
	if (r == -ENODEV)
		r = 0;
	/* The ifb goes even when the port's tbf could not. */
	r_out = out_remove(nl, port, scratch, sizeof(scratch));
	return r < 0 ? r : r_out;
}

int qnet_rate_get(struct qnet_nl *nl, int port, uint64_t *in, uint64_t *out)
{
	char name[IFNAMSIZ];
	struct filters f;
	struct qnet_link ifb;
	int r;

	*in = *out = 0;
	r = tbf_get(nl, port, in);
	if (r < 0)
		return r;
	r = filters_get(nl, port, &f);
	if (r < 0)
		return r;
	/* Traffic from the guest is shaped only if our filter sends it to
	 * the port's own ifb. */
	if (!f.target || ifb_name(port, name) < 0)
		return 0;
	r = qnet_link_get(nl, name, &ifb);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if (ifb.ifindex != f.target || !streq(ifb.kind, "ifb"))
		return 0;
	return tbf_get(nl, ifb.ifindex, out);
}

/* The ifbs whose port may be gone: collected during the dump, deleted
 * after it, since the socket serves one request at a time. */
struct orphans {
	int *ifindex;
	char (*name)[IFNAMSIZ];
	size_t n, size;
};

static int collect_ifb(const struct qnet_link *l, void *userdata)
{
	struct orphans *o = userdata;
	void *p;

	if (!ifb_port(l->name))
		return 0;
	if (o->n == o->size) {
		size_t size = o->size ? 2 * o->size : 16;

		p = reallocarray(o->ifindex, size, sizeof(*o->ifindex));
		if (!p)
			return -ENOMEM;
		o->ifindex = p;
		p = reallocarray(o->name, size, sizeof(*o->name));
		if (!p)
			return -ENOMEM;
		o->name = p;
		o->size = size;
	}
	o->ifindex[o->n] = l->ifindex;
	memcpy(o->name[o->n], l->name, IFNAMSIZ);
	o->n++;
	return 0;
}

static void orphans_free(struct orphans *o)
{
	free(o->ifindex);
	free(o->name);
}

int qnet_rate_sweep(struct qnet_nl *nl, void (*report)(const char *ifb, void *userdata), void *userdata)
{
	_cleanup_(orphans_free) struct orphans o = { 0 };
	struct qnet_link port;
	int count = 0, first_error = 0, r;

	r = qnet_link_foreach_kind(nl, "ifb", collect_ifb, &o);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o.n; i++) {
		r = qnet_link_get_by_index(nl, ifb_port(o.name[i]), &port);
		if (r == 0)
			continue;
		if (r == -ENODEV)
			r = qnet_link_delete(nl, o.ifindex[i]);
		if (r == 0) {
			count++;
			if (report)
				report(o.name[i], userdata);
		} else if (r != -ENODEV && !first_error) {
			first_error = r;
		}
	}
	return first_error ? first_error : count;
}
