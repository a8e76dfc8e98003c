// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `qnet doctor`: the host's checks are lib/doctor.c's (qnet_doctor_run),
 * one line each on stdout; this is the subcommand around them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "log.h"
#include "qnet.h"

int cmd_doctor(int argc, char **argv)
{
	struct qnet_doctor_counts counts;
	int r = cli_parse_plain("doctor", argc, argv, 0, NULL, NULL);

	if (r < 0)
		return CLI_PARSED_EXIT(r);
	r = qnet_doctor_run(stdout, &counts);
	if (r < 0)
		return qnet_error("doctor: %s", strerror(-r));
	printf("%u ok, %u warnings, %u failures\n", counts.ok, counts.warn, counts.fail);
	return counts.fail ? EXIT_FAILURE : EXIT_SUCCESS;
}
