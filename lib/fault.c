// SPDX-License-Identifier: GPL-2.0-or-later
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

void qnet_fault_point(const char *step)
{
	const char *at = secure_getenv("QNET_TEST_KILL_AT");
	const char *stop = secure_getenv("QNET_TEST_STOP_AT");

	if (stop && strcmp(stop, step) == 0)
		raise(SIGSTOP);
	if (!at)
		return;
	if (strcmp(at, "list") == 0) {
		fprintf(stderr, "qnet-fault-point: %s\n", step);
		return;
	}
	if (strcmp(at, step) == 0)
		raise(SIGKILL);
}
