// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-ifdown: QEMU's script=/downscript= for a bridge (DESIGN §3). */
#include "script.h"

int main(int argc, char **argv)
{
	return script_ifdown(argc, argv);
}
