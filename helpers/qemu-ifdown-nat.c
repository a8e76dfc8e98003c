// SPDX-License-Identifier: GPL-2.0-or-later
/* qemu-ifdown-nat: QEMU's script=/downscript= for a qnet NAT network (DESIGN §3). */
#include "script.h"

int main(int argc, char **argv)
{
	return script_ifdown_nat(argc, argv);
}
