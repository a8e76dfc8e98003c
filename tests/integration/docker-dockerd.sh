#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A NAT network beside a real dockerd (Debian's docker.io), run in this
# test's network and mount namespaces with a data-root, exec-root, pid
# file and socket of its own under the test's directory, iptables on, no
# container: what it writes at start-up is what every Docker host has.
# Then the checks of docker-lib.sh, as docker-replay.sh runs them against
# Docker 20.10's rules typed by hand, a restart of dockerd under a running
# network, and iptables -F DOCKER-USER repaired by qnet watch with nobody
# typing a command. dockerd never runs on the host:
# tools/deps.sh keeps the package from starting docker.service.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
command -v dockerd >/dev/null || t_skip_all "dockerd missing (tools/deps.sh test installs docker.io)"
. "$(dirname "$0")/docker-lib.sh"

echo 0 >/proc/sys/net/ipv4/ip_forward # a host whose ip_forward Docker turns on
D=$T_TMP/docker
mkdir -p "$D"
start_dockerd() {
	dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" -H "unix://$D/docker.sock" \
		--iptables=true </dev/null >>"$D/dockerd.log" 2>&1 &
	DOCKERD=$!
	# Killed at exit (t_cleanup also ends whatever it started in this namespace).
	t_on_exit "kill $DOCKERD; t_wait 20 t_pid_dead $DOCKERD"
}
start_dockerd

# Up when its API answers (docker.io's own client, whatever else is on
# PATH) and its FORWARD rules are in place.
dockerd_ready() {
	kill -0 "$DOCKERD" 2>/dev/null || return 2
	/usr/bin/docker -H "unix://$D/docker.sock" version >/dev/null 2>&1 &&
		iptables -S DOCKER-USER 2>/dev/null | grep -qx -- '-A DOCKER-USER -j RETURN' &&
		iptables -S FORWARD | grep -qx -- '-P FORWARD DROP'
}
if ! t_wait 60 dockerd_ready; then
	t_fail "dockerd started and wrote its rules within 60 s"
	t_diag "$(tail -n 20 "$D/dockerd.log")"
	t_done
fi
t_ok "dockerd started and wrote its rules (FORWARD DROP, DOCKER-USER)"
t_match "its FORWARD jumps to DOCKER-USER first" '^-A FORWARD -j DOCKER-USER$' \
	"$(iptables -S FORWARD | sed -n 2p)"
t_check "it made its bridge docker0" link_exists docker0

docker_coexist_checks "dockerd $(dockerd --version | sed 's/^Docker version \([^,+]*\).*/\1/')"

t_check "dockerd is still running after all that" kill -0 "$DOCKERD"

# --- dockerd restarted under a running network: the guest keeps its way out ---
"$UP" vg1 >/dev/null 2>&1
t_eq "up again: two rules of ours" 2 "$(ours)"
kill "$DOCKERD"
t_check "dockerd stops on SIGTERM" t_wait 20 t_pid_dead "$DOCKERD"
start_dockerd
t_check "dockerd started again" t_wait 60 dockerd_ready
"$UP" vg1 >/dev/null 2>&1
t_eq "after dockerd's restart and the next qemu-ifup-nat: still exactly two rules of ours, at the top" "$OURS_AT_TOP" "$(docker_user)"
t_eq "the guest still reaches outside" "$HOST" "$(guest_out)"
t_eq "the port forward still reaches the guest" "vm1 $OUT" "$(forward_in)"

# --- under qnet watch, iptables -F DOCKER-USER is repaired with nobody typing ---
"$Q" watch >"$T_TMP/watch.log" 2>&1 &
WATCH=$!
t_on_exit "kill $WATCH"
t_check "qnet watch starts" t_wait 10 grep -q '^watching' "$T_TMP/watch.log"
iptables -F DOCKER-USER
iptables -A DOCKER-USER -j RETURN
t_check "under qnet watch, our rules are back in DOCKER-USER within 2 s of iptables -F" \
	t_wait 2 eval '[ "$(docker_user)" = "$OURS_AT_TOP" ]'
t_match "the watch said what it put back" "network default: Docker's DOCKER-USER: 2 rules for bridge qnetbr0 put back" \
	"$(cat "$T_TMP/watch.log")"
t_eq "the guest reaches outside with nobody typing a command" "$HOST" "$(guest_out)"
kill "$WATCH"
t_check "qnet watch stops" t_wait 10 t_pid_dead "$WATCH"
t_eq "no rule twice after the watch's rounds" "$OURS_AT_TOP" "$(docker_user)"
t_check "qemu-ifdown-nat vg1" "$DOWN" vg1
t_eq "DOCKER-USER is Docker's own again" "$DOCKERS_ONLY" "$(docker_user)"
kill "$DOCKERD"
t_check "dockerd stops on SIGTERM" t_wait 20 t_pid_dead "$DOCKERD"
t_eq "nothing left in the run directory" "" "$(ls -A "$QNET_RUNDIR")"
t_done
