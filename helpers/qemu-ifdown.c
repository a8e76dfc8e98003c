// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-ifdown: QEMU's script=/downscript= for a bridge (see docs/design.md,
 * *What each program does*). */
#include "script.h"

int main(int argc, char **argv)
{
	return script_ifdown(argc, argv);
}
