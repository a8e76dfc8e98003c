# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Hosts of an overlay network as namespaces, for tests/integration/vxlan.sh,
# tests/e2e/vxlan-guests.sh and bench/overlay.sh. Source it after
# tests/lib.sh and t_netns: this namespace is the underlay switch.
#   vx_probe              the kernel makes VXLAN devices (or fails)
#   vx_hosts N            bridge ul here; hosts 1..N, each a namespace (its
#                         pid in H<K>) whose eth0 ${VX_UL[K-1]}/24 is a port
#                         of ul, with qnet directories $T_TMP/h<K>/{etc,run,state}
#   on K CMD...           CMD as host K runs it (its namespace, its QNET_*)
#   vx_wrap K VAR         sets the array VAR to what "on K" puts before CMD
#                         (nsenter and env: both exec, so a pid is CMD's)
#   vx_of K               host K's VXLAN device, empty if none
VX_UL=(192.168.50.1 192.168.50.2 192.168.50.3 192.168.50.4)

vx_probe() {
	modprobe vxlan 2>/dev/null
	ip link add qvxprobe type vxlan id 1 dstport 4789 2>/dev/null || return 1
	ip link del qvxprobe
}

vx_hosts() { # N
	local k pid
	ip link add ul type bridge && ip link set ul up || return 1
	for ((k = 1; k <= $1; k++)); do
		t_new_ns pid
		t_on_exit "t_reap_ns $pid"
		printf -v "H$k" %s "$pid"
		ip link add "ul$k" type veth peer name eth0 netns "$pid" &&
			ip link set "ul$k" master ul up &&
			t_in_ns "$pid" ip addr add "${VX_UL[k - 1]}/24" dev eth0 &&
			t_in_ns "$pid" ip link set eth0 up &&
			mkdir -p "$T_TMP/h$k/etc" "$T_TMP/h$k/run" "$T_TMP/h$k/state" || return 1
	done
}

vx_wrap() { # K VAR: sets the array VAR to the command prefix of host K
	local -n _vw=$2
	local _vp=H$1
	_vw=(nsenter "--net=/proc/${!_vp}/ns/net" -- env QNET_CONFDIR="$T_TMP/h$1/etc"
		QNET_RUNDIR="$T_TMP/h$1/run" QNET_STATEDIR="$T_TMP/h$1/state")
}

on() { # K CMD...
	local _on
	vx_wrap "$1" _on
	shift
	"${_on[@]}" "$@"
}

vx_of() { on "$1" ip -j -d link show type vxlan 2>/dev/null | jq -r '.[0].ifname // empty'; }
