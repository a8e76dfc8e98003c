// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The link boundary of lib/meson.build: this program is built with every
 * object of libqnet-core (link_whole) and nothing of libqnet-nat, so a core
 * file that calls into the NAT library fails the build right here, with the
 * symbol's name, instead of dragging NAT code into the programs that link
 * the core alone (qemu-ifup, qemu-ifdown, qemu-bridge-helper). Having
 * linked is the test.
 */
#include "../tap.h"

int main(void)
{
	ok(1, "every object of libqnet-core links without libqnet-nat");
	return tap_done();
}
