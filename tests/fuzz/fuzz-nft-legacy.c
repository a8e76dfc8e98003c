// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reader of legacy iptables' FORWARD policy (lib/nft.c) over the
 * filter table as the kernel hands it out. The input is FORWARD's
 * underflow offset (4 bytes, host order) followed by the table's entries;
 * the seeds are tables taken from a kernel (ACCEPT, DROP, and DROP with a
 * DOCKER-USER chain). Besides no crash and no read outside the entries,
 * the answer is one of the three the caller knows.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t underflow;
	int r;

	if (size < sizeof(underflow))
		return 0;
	memcpy(&underflow, data, sizeof(underflow));
	/* libFuzzer hands over exactly SIZE bytes: ASan sees any read past them. */
	r = qnet_nft_legacy_policy_drops(data + sizeof(underflow), size - sizeof(underflow), underflow);
	if (r != 0 && r != 1 && r != -EBADMSG)
		abort();
	return 0;
}
