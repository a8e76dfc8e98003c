// SPDX-License-Identifier: GPL-2.0-or-later
#include "ifname.h"
#include "paths.h"
#include "../tap.h"

int main(void)
{
	char buf[QNET_IFNAME_PRINTABLE_SIZE];

	ok(qnet_ifname_invalid("tap0") == NULL, "tap0 is valid");
	ok(qnet_ifname_invalid("abcdefghijklmno") == NULL, "15 bytes is valid");
	ok(qnet_ifname_invalid("abcdefghijklmnop") != NULL, "16 bytes is refused, not truncated");
	ok(qnet_ifname_invalid("") != NULL, "empty name is refused");
	ok(qnet_ifname_invalid(NULL) != NULL, "NULL is refused");
	ok(qnet_ifname_invalid("a/b") != NULL, "'/' is refused");
	ok(qnet_ifname_invalid("../x") != NULL, "../x is refused");
	ok(qnet_ifname_invalid("br0 ") != NULL, "trailing space is refused");
	ok(qnet_ifname_invalid("br\t0") != NULL, "tab is refused");
	ok(qnet_ifname_invalid("br\n0") != NULL, "newline is refused");
	ok(qnet_ifname_invalid("br\x7f") != NULL, "DEL is refused");
	ok(qnet_ifname_invalid("a:b") != NULL, "':' (alias syntax) is refused");
	ok(qnet_ifname_invalid(".") != NULL && qnet_ifname_invalid("..") != NULL, ". and .. are refused");
	ok(qnet_ifname_invalid("tap-1_x.y") == NULL, "- _ . are allowed");

	is_str(qnet_ifname_printable("a\nb", buf), "a?b", "control bytes print as ?");
	is_str(qnet_ifname_printable("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", buf),
	       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...", "long input is cut with ...");

	is_str(qnet_paths_program_instance("/usr/libexec/qnet/qemu-ifup@br1"), "br1", "instance from program name");
	ok(qnet_paths_program_instance("qemu-ifup") == NULL, "no instance without @");
	ok(qnet_paths_program_instance("qemu-ifup@") == NULL, "empty instance is none");
	ok(qnet_paths_program_instance("/a@b/qemu-ifup") == NULL, "@ in a directory does not count");
	return tap_done();
}
