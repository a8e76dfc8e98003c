// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-dnsmasq-stub: a dnsmasq that starts at once and serves nothing, so
 * that bench/run.sh can show what a NAT bring-up costs qnet itself without
 * dnsmasq's own start-up (netavark, its peer there, runs no DHCP server).
 * run.sh copies it to a file named dnsmasq (qnet trusts a pid only if its
 * process is called that) and points QNET_DNSMASQ at it.
 *
 * It does what qnet waits for from the real one: the first process exits
 * once the daemon has written --pid-file=, and the daemon lives until
 * SIGTERM (qnet_dnsmasq_stop()). Every other option is ignored.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	int ready[2];
	char byte;
	pid_t pid;

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--pid-file=", 11) == 0)
			pidfile = argv[i] + 11;
	if (!pidfile || pipe(ready) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		FILE *f;

		close(ready[0]);
		setsid();
		f = fopen(pidfile, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
			_exit(1);
		/* Ready: as dnsmasq's daemon is once it has its pid file. */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	return read(ready[0], &byte, 1) == 1 ? 0 : 1;
}
