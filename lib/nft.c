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
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "nft.h"

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
