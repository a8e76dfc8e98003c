// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The decoder of a file's security.capability attribute (lib/caps.c),
 * which `qnet doctor` reads from the installed bridge helper. The input is
 * the attribute's bytes; the seeds are what setcap(8) writes (revision 2)
 * and hand-made revisions 1 and 3. Besides no crash and no read outside
 * the input, a decoded set implies a known revision and enough bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "caps-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnet_caps_file caps;
	/* libFuzzer hands over exactly SIZE bytes: ASan sees any read past them. */
	int r = qnet_caps_file_decode(data, size, &caps);

	if (r != 0 && r != -EINVAL)
		abort();
	/* The revision is the top byte of the first little-endian word. */
	if (r == 0 && !((data[3] == 1 && size >= 12) || ((data[3] == 2 || data[3] == 3) && size >= 20)))
		abort();
	return 0;
}
