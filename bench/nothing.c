// SPDX-License-Identifier: GPL-2.0-or-later
/* The spawn floor: what starting any script costs QEMU (fork, exec, dynamic
 * loader, libc start-up, exit), built with the same flags as our programs. */
int main(void)
{
	return 0;
}
