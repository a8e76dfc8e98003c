// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-crowd: many guests starting at once, against the same one by one.
 *
 *   bench-crowd -j PARALLEL -t SECONDS NAME PROGRAM IFNAME...
 *
 * Runs "PROGRAM IFNAME" for every IFNAME, as QEMU runs a script
 * (fork+execv, stdout to /dev/null), with at most PARALLEL running at once:
 * 1 is one after another, the number of IFNAMEs all at once. The wall time
 * is from the first fork to the last child reaped; CPU time and peak RSS
 * are every child's (wait4's rusage, their own children included). Waiting
 * is bounded: after SECONDS whatever still runs is killed and counted as
 * failed, so a lock that never comes free ends the run instead of hanging.
 * Output: one JSON object, times in microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GUESTS 4096

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static pid_t start(const char *program, const char *ifname)
{
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execl(program, program, ifname, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	static pid_t pids[MAX_GUESTS];
	int parallel = 1, seconds = 60, opt, n, next = 0, running = 0, failed = 0;
	double t0, deadline, cpu = 0;
	long maxrss = 0;
	const char *name, *program;

	while ((opt = getopt(argc, argv, "j:t:")) != -1) {
		switch (opt) {
		case 'j': parallel = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		default: return 2;
		}
	}
	n = argc - optind - 2;
	if (parallel < 1 || seconds < 1 || n < 1 || n > MAX_GUESTS) {
		fprintf(stderr, "usage: bench-crowd -j PARALLEL -t SECONDS NAME PROGRAM IFNAME...\n");
		return 2;
	}
	name = argv[optind];
	program = argv[optind + 1];
	t0 = now_us();
	deadline = t0 + seconds * 1e6;
	while (next < n || running > 0) {
		struct rusage ru;
		int status;
		pid_t pid;

		while (next < n && running < parallel) {
			pids[next] = start(program, argv[optind + 2 + next]);
			if (pids[next] < 0) {
				failed++;
			} else {
				running++;
			}
			next++;
		}
		pid = wait4(-1, &status, WNOHANG, &ru);
		if (pid < 0 && errno != EINTR) {
			perror("bench-crowd: wait4");
			return 1;
		}
		if (pid <= 0) {
			if (now_us() > deadline) {
				for (int i = 0; i < next; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGKILL);
				deadline = now_us() + 5e6; /* reap the killed, failed */
				seconds = 0;
			}
			usleep(200);
			continue;
		}
		for (int i = 0; i < next; i++)
			if (pids[i] == pid)
				pids[i] = 0;
		running--;
		if (seconds == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
		cpu += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	printf("{\"name\":\"%s\",\"guests\":%d,\"parallel\":%d,\"failed\":%d,\"wall_us\":%.1f,\"cpu_us\":%.1f,"
	       "\"maxrss_kb\":%ld}\n",
	       name, n, parallel, failed, now_us() - t0, cpu, maxrss);
	return 0;
}
