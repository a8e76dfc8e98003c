// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-ifdown-nat: QEMU's script=/downscript= for a qnet NAT network
 * (see docs/design.md, *What each program does*). */
#include "script.h"

int main(int argc, char **argv)
{
	return script_ifdown_nat(argc, argv);
}
