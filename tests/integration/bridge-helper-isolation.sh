#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An isolated port is isolated from its first frame. The caller of the
# bridge helper owns the process and can freeze it between any two netlink
# requests; here the helper freezes itself at each step of the attach
# (QNET_TEST_STOP_AT), another tenant floods broadcast frames into the
# bridge while it is frozen, and the frames the TAP queued are counted once
# its fd arrives, as its holder would read them. A control run without
# isolation shows the same flood does reach a TAP, so a 0 means something.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

O=$T_TMP/out
bh_bridge br0
# Tenant A: an isolated port of br0 whose peer va-p sends the flood.
ip link add va type veth peer name va-p
ip link set va master br0
bridge link set dev va isolated on
ip link set va up
ip link set va-p up
printf 'allow br0\n' >"$QNET_CONFDIR/bridge.conf"

# frozen_run STEP: the helper stopped at STEP, flooded, continued.
frozen_run() {
	bh_run "$O" --flood=va-p --then /bin/sh -c 'bridge -j -d link show dev "$TAP" >"$0"' "$O.port" -- \
		/usr/bin/env QNET_TEST_STOP_AT="$1" "$BH" --br=br0 --fd=@FD@
}
port_isolated() { jq -r '.[0].isolated' "$O.port" 2>/dev/null; }

# Control: a port that is not isolated receives the flood at the same point.
rm -f "$QNET_CONFDIR/qnet.conf"
frozen_run port-up
t_eq "control: the helper froze at port-up" 1 "$(bh_get "$O" stopped)"
t_eq "control: all frames were sent" 30 "$(bh_get "$O" flooded)"
t_eq "control: a port without isolation receives the other tenant's flood" 30 "$(bh_get "$O" frames)"

printf '[bridge br0]\nisolated = yes\n' >"$QNET_CONFDIR/qnet.conf"
for step in port-attached-down port-isolated port-up; do
	frozen_run "$step"
	t_eq "isolated: the helper froze at $step" 1 "$(bh_get "$O" stopped)"
	t_eq "isolated: the helper succeeded after $step" 0 "$(bh_get "$O" status)"
	t_eq "isolated: frozen at $step, no frame of the other tenant reached the TAP" \
		"30 0" "$(bh_get "$O" flooded) $(bh_get "$O" frames)"
	t_eq "isolated: the port is isolated once attached ($step)" true "$(port_isolated)"
done

bh_run "$O" --then /bin/sh -c 'bridge -j -d link show dev "$TAP" >"$0"' "$O.port" -- "$BH" --br=br0 --fd=@FD@
t_eq "a run that is not frozen attaches an isolated port" true "$(port_isolated)"
t_done
