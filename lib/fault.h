/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault injection for tests: QNET_TEST_KILL_AT=STEP makes the program kill
 * itself with SIGKILL when it reaches qnet_fault_point(STEP), as if QEMU or
 * the OOM killer had struck there; QNET_TEST_KILL_AT=list prints each step
 * name to stderr as it is passed, so a test can enumerate them. The
 * variable is read with secure_getenv(): a setuid or file-capability
 * process never sees it.
 */
#pragma once

void qnet_fault_point(const char *step);
