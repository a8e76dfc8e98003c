// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Theory of operation. libnftables is loaded with dlopen() when a ruleset
 * is to be written or listed, not at start-up: it and what it pulls in
 * (libnftnl, libmnl, libxtables, libjansson, libgmp) cost about 1.6 ms on
 * every process start (bench/), which each warm qemu-ifup-nat and
 * qemu-ifdown-nat would pay for nothing. Only this file loads it, and
 * nothing in qemu-bridge-helper calls here: the helper never dlopen()s
 * (tests/unit/forbidden-calls.sh).
 */
/* glibc's netinet/in.h before linux/netfilter_ipv4, or linux/in.h redefines it. */
#include <netinet/in.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "nft-private.h"

/* The soname Debian's libnftables1 and Fedora's nftables ship. */
#define LIBNFTABLES "libnftables.so.1"

static struct {
	void *dl;
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_output_set_flags) *output_set_flags;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_buffer_output) *buffer_output;
	typeof(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
	typeof(nft_ctx_get_error_buffer) *get_error_buffer;
	typeof(nft_ctx_get_output_buffer) *get_output_buffer;
} nft;

static int nft_load(char **err)
{
	void *dl;

	if (nft.dl)
		return 0;
	dl = dlopen(LIBNFTABLES, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		goto fail;
#define SYM(field, name) if (!(nft.field = (typeof(nft.field))dlsym(dl, #name))) goto fail
	SYM(ctx_new, nft_ctx_new);
	SYM(ctx_free, nft_ctx_free);
	SYM(output_set_flags, nft_ctx_output_set_flags);
	SYM(buffer_error, nft_ctx_buffer_error);
	SYM(buffer_output, nft_ctx_buffer_output);
	SYM(run_cmd_from_buffer, nft_run_cmd_from_buffer);
	SYM(get_error_buffer, nft_ctx_get_error_buffer);
	SYM(get_output_buffer, nft_ctx_get_output_buffer);
#undef SYM
	nft.dl = dl;
	return 0;
fail:
	if (err)
		*err = strdup(dlerror() ?: "cannot load " LIBNFTABLES);
	if (dl)
		dlclose(dl);
	return -ELIBACC;
}

static void ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft.ctx_free(*c);
}

int qnet_nft_run(const char *script, bool json, char **err, char **out)
{
	__attribute__((cleanup(ctx_freep))) struct nft_ctx *ctx = NULL;
	const char *e, *o;
	int r;

	if (err)
		*err = NULL;
	if (out)
		*out = NULL;
	r = nft_load(err);
	if (r < 0)
		return r;
	ctx = nft.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (json)
		nft.output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft.buffer_error(ctx) < 0 || nft.buffer_output(ctx) < 0)
		return -ENOMEM;
	r = nft.run_cmd_from_buffer(ctx, script);
	e = nft.get_error_buffer(ctx);
	o = nft.get_output_buffer(ctx);
	if (err && e && *e)
		*err = strdup(e);
	if (out && o)
		*out = strdup(o);
	if (r == 0)
		return 0;
	/* libnftables reports failure as -1 plus text; the kernel's reasons that
	 * matter to callers are recognisable in it. */
	if (e && (strstr(e, "Operation not permitted") || strstr(e, "Permission denied")))
		return -EPERM;
	if (e && strstr(e, "No such file or directory"))
		return -ENOENT;
	if (e && strstr(e, "Protocol not supported"))
		return -EPROTONOSUPPORT;
	return -EINVAL;
}

/* ---- the JSON of `nft -j list ruleset` ----
 *
 * libnftables' JSON is an array of one-key objects ({"chain": {...}},
 * {"rule": {...}}); chains are flat, so a small scanner is enough: no JSON
 * library for one check. It never reads outside [json, json + len): the
 * text need not end in a NUL. */

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static bool eat(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A string into OUT (truncated, escapes other than \" and \\ kept raw). */
static bool scan_string(struct scan *s, char *out, size_t size)
{
	size_t n = 0;

	if (!eat(s, '"'))
		return false;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
		if (n + 1 < size)
			out[n++] = *s->p;
		s->p++;
	}
	if (size)
		out[n] = '\0';
	return eat(s, '"');
}

static bool skip_value(struct scan *s, unsigned depth)
{
	char tmp[8];

	if (depth > 64)
		return false;
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	if (*s->p == '"')
		return scan_string(s, tmp, sizeof(tmp));
	if (*s->p == '{' || *s->p == '[') {
		char close = *s->p == '{' ? '}' : ']';

		s->p++;
		if (eat(s, close))
			return true;
		do {
			if (close == '}' && (!scan_string(s, tmp, sizeof(tmp)) || !eat(s, ':')))
				return false;
			if (!skip_value(s, depth + 1))
				return false;
		} while (eat(s, ','));
		return eat(s, close);
	}
	while (s->p < s->end && !strchr(",}] \n\t\r", *s->p))
		s->p++;
	return true;
}

/* The inner object of {"KIND": {...}}: its string members we care about. */
static bool scan_object(struct scan *s, struct qnet_nft_object *o)
{
	*o = (struct qnet_nft_object){ .kind = "" };
	if (!eat(s, '{') || !scan_string(s, o->kind, sizeof(o->kind)) || !eat(s, ':'))
		return false;
	skip_ws(s);
	o->start = o->end = s->p;
	if (!eat(s, '{'))
		return skip_value(s, 1) && eat(s, '}');
	if (!eat(s, '}'))
		do {
			char key[16], *dst = NULL;
			size_t size = 0;

			if (!scan_string(s, key, sizeof(key)) || !eat(s, ':'))
				return false;
			skip_ws(s);
			if (streq(key, "family")) dst = o->family, size = sizeof(o->family);
			else if (streq(key, "table")) dst = o->table, size = sizeof(o->table);
			else if (streq(key, "name")) dst = o->name, size = sizeof(o->name);
			else if (streq(key, "chain")) dst = o->chain, size = sizeof(o->chain);
			else if (streq(key, "hook")) dst = o->hook, size = sizeof(o->hook);
			else if (streq(key, "policy")) dst = o->policy, size = sizeof(o->policy);
			else if (streq(key, "comment")) dst = o->comment, size = sizeof(o->comment);
			if (streq(key, "handle") && s->p < s->end && *s->p >= '0' && *s->p <= '9') {
				unsigned digits = 0;

				for (o->handle = 0; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++, digits++)
					o->handle = o->handle * 10 + (unsigned)(*s->p - '0');
				/* Longer than any 64-bit handle: not one nft printed. */
				if (digits > 19)
					o->handle = 0;
			} else if (dst && s->p < s->end && *s->p == '"') {
				if (!scan_string(s, dst, size))
					return false;
			} else if (!skip_value(s, 2)) {
				return false;
			}
		} while (eat(s, ','));
	if (!eat(s, '}'))
		return false;
	o->end = s->p;
	return eat(s, '}');
}

int qnet_nft_json_foreach(const char *json, size_t len,
			  int (*fn)(const struct qnet_nft_object *o, void *userdata), void *userdata)
{
	struct scan s = { json, json + len };
	struct qnet_nft_object o;
	int r;

	/* {"nftables": [ {...}, ... ]} */
	if (!eat(&s, '{'))
		return -EBADMSG;
	while (s.p < s.end && *s.p != '[')
		s.p++;
	if (!eat(&s, '['))
		return -EBADMSG;
	do {
		if (!scan_object(&s, &o))
			return -EBADMSG;
		r = fn(&o, userdata);
		if (r != 0)
			return r;
	} while (eat(&s, ','));
	return 0;
}

bool qnet_nft_object_mentions(const struct qnet_nft_object *o, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = o->start; p + n + 2 <= o->end; p++)
		if (p[0] == '"' && !memcmp(p + 1, name, n) && p[n + 1] == '"')
			return true;
	return false;
}

/* ---- legacy iptables (x_tables without nftables) ----
 *
 * Hosts whose Docker uses iptables-legacy keep its FORWARD policy where
 * libnftables cannot see it; a drop there drops VM traffic all the same.
 * The kernel hands the filter table out through getsockopt; the policy is
 * the standard target of the entry at underflow[NF_INET_FORWARD]. */

bool qnet_nft_legacy_filter_loaded(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/ip_tables_names", "re");
	char name[64];

	while (f && fscanf(f, "%63s", name) == 1)
		if (streq(name, "filter"))
			return true;
	return false;
}

int qnet_nft_legacy_policy_drops(const void *entries, size_t size, size_t underflow)
{
	const char *table = entries;
	struct xt_standard_target target;
	struct ipt_entry policy;

	if (underflow + sizeof(policy) > size)
		return -EBADMSG;
	/* Copied out, not cast: an offset from outside need not be aligned. */
	memcpy(&policy, table + underflow, sizeof(policy));
	if (policy.target_offset + sizeof(target) > policy.next_offset ||
	    underflow + policy.next_offset > size)
		return -EBADMSG;
	memcpy(&target, table + underflow + policy.target_offset, sizeof(target));
	/* A standard target's verdict is -NF_<VERDICT> - 1. */
	return target.verdict == -NF_DROP - 1;
}

int qnet_nft_legacy_forward_drops(void)
{
	_cleanup_free_ struct ipt_get_entries *entries = NULL;
	_cleanup_close_ int fd = -1;
	struct ipt_getinfo info = { .name = "filter" };
	socklen_t len = sizeof(info);

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return qnet_negerrno();
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
		return qnet_negerrno();
	if (!(info.valid_hooks & (1u << NF_INET_FORWARD)))
		return 0;
	entries = calloc(1, sizeof(*entries) + info.size);
	if (!entries)
		return -ENOMEM;
	memcpy(entries->name, info.name, sizeof(entries->name));
	entries->size = info.size;
	len = (socklen_t)(sizeof(*entries) + info.size);
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, entries, &len) < 0)
		return qnet_negerrno();
	return qnet_nft_legacy_policy_drops(entries->entrytable, entries->size, info.underflow[NF_INET_FORWARD]);
}
