#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet status --json: parsed with jq and compared with what the kernel
# reports through ip -j (bridges, their ports, MTU, state), in this test's
# own network namespace; hostile interface names still give valid JSON.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

Q=$QNET_BUILD/helpers/qnet
command -v jq >/dev/null || t_skip_all "jq missing"
E=$QNET_CONFDIR
O=$T_TMP/out
put() { printf '%b' "$2" >"$E/$1"; chown 0:0 "$E/$1"; chmod 644 "$E/$1"; }
status_json() { "$Q" status --json >"$O" 2>"$O.err"; }
# jq over the last status; -e so a missing path fails the assertion
q() { jq -r "$@" "$O"; }
ports_json() { q --arg b "$1" '[.bridges[] | select(.name == $b) | .ports[].name] | sort | join(" ")'; }

put qnet.conf '[script]\nbridge = br0\n\n[bridge br1]\nallow-users = root\n\n[bridge br0]\nallow-users = root\n\n[network lab]\nsubnet = 10.9.0.0/24\nbridge = labbr\nhost = 52:54:00:00:00:0a 10.9.0.10 web1\nforward = tcp 8080 10.9.0.10:80\nforward = udp 5353 10.9.0.10:53\n'

ip link add br0 type bridge && ip link set br0 mtu 1400 up
for t in tap0 tap1; do
	ip tuntap add "$t" mode tap && ip link set "$t" master br0 && ip link set "$t" up
done
ip link add veth0 type veth peer name veth1 && ip link set veth0 master br0

status_json
t_eq "status --json: exit 0, nothing on stderr" "0 " "$? $(cat "$O.err")"
t_check "the output is valid JSON (jq)" jq -e . "$O"
t_eq "schema version 1" 1 "$(q .version)"
t_eq "bridges listed once each, in order: script, grants, networks" "br0 br1 labbr qnetbr0" \
	"$(q '[.bridges[].name] | join(" ")')"
t_eq "br0's roles" "script grant" "$(q '.bridges[] | select(.name == "br0") | .roles | join(" ")')"
t_eq "br0's ports are the kernel's (ip -j link show master br0)" \
	"$(ip -j link show master br0 | jq -r '[.[].ifname] | sort | join(" ")')" "$(ports_json br0)"
t_eq "... three of them" 3 \
	"$(q '.bridges[] | select(.name == "br0") | .ports | length')"
t_eq "br0's MTU is the kernel's" "$(link_mtu br0)" "$(q '.bridges[] | select(.name == "br0") | .mtu')"
t_eq "port MACs and ifindexes are the kernel's" \
	"$(ip -j link show master br0 | jq -c '[.[] | {name: .ifname, ifindex, mac: .address}] | sort_by(.name)')" \
	"$(q -c '[.bridges[] | select(.name == "br0") | .ports[] | {name, ifindex, mac}] | sort_by(.name)')"
t_eq "port kinds (tun, veth)" "tun tun veth" \
	"$(q '[.bridges[] | select(.name == "br0") | .ports[].kind] | sort | join(" ")')"
t_eq "up flags are the kernel's (tap0 up, veth0 down)" "true false" \
	"$(q '[.bridges[].ports[] | select(.name == "tap0" or .name == "veth0") | .up] | join(" ")')"
t_eq "br1 does not exist: exists false, no ports, mtu null" "false 0 null" \
	"$(q '.bridges[] | select(.name == "br1") | "\(.exists) \(.ports | length) \(.mtu)"')"
t_eq "network lab: subnet, gateway, DHCP range" "10.9.0.0/24 10.9.0.1 10.9.0.2-10.9.0.254" \
	"$(q '.networks[] | select(.name == "lab") | "\(.subnet) \(.gateway) \(.dhcp_range.start)-\(.dhcp_range.end)"')"
t_eq "network lab: static host" "52:54:00:00:00:0a 10.9.0.10 web1" \
	"$(q '.networks[] | select(.name == "lab") | .hosts[0] | "\(.mac) \(.ip) \(.hostname)"')"
t_eq "network lab: forwards" "tcp:8080->10.9.0.10:80 udp:5353->10.9.0.10:53" \
	"$(q '[.networks[] | select(.name == "lab") | .forwards[] | "\(.proto):\(.host_port)->\(.guest):\(.guest_port)"] | join(" ")')"
t_eq "network lab is down (no labbr)" false "$(q '.networks[] | select(.name == "lab") | .up')"
t_eq "the default network exists unconfigured" "default qnetbr0 10.0.76.0/24" \
	"$(q '.networks[] | select(.name == "default") | "\(.name) \(.bridge) \(.subnet)"')"

# A port leaves, a bridge appears: status follows the kernel, not a record.
ip link set tap1 nomaster
ip link add labbr type bridge && ip link set labbr up
ip tuntap add tap9 mode tap && ip link set tap9 master labbr
status_json
t_eq "after tap1 left br0: ports still the kernel's" \
	"$(ip -j link show master br0 | jq -r '[.[].ifname] | sort | join(" ")')" "$(ports_json br0)"
t_check "... and tap1 is not among them" test -z "$(q '.bridges[].ports[] | select(.name == "tap1") | .name')"
t_eq "labbr now exists with tap9; network lab is up" "true tap9 true" \
	"$(q '"\(.bridges[] | select(.name == "labbr") | .exists) \(.bridges[] | select(.name == "labbr") | .ports[0].name) \(.networks[] | select(.name == "lab") | .up)"')"

# The kernel allows quotes, backslashes, control and non-UTF-8 bytes in
# names (ip -j then prints invalid JSON); ours stays valid.
weird=$(printf 't"\\\xff\x01')
ip tuntap add "$weird" mode tap && ip link set "$weird" master br0
status_json
t_check "a hostile port name: still valid JSON (jq)" jq -e . "$O"
t_eq "a name with a quote, a backslash and a control byte comes back" \
	"$(printf 't"\\\xef\xbf\xbd\x01' | od -An -c | tr -s ' ')" \
	"$(q '.bridges[].ports[] | select(.name | startswith("t\"")) | .name' | tr -d '\n' | od -An -c | tr -s ' ')"

# Text output and a broken qnet.conf.
"$Q" status >"$O" 2>"$O.err"
t_eq "text status: exit 0" 0 $?
t_match "text status: br0 with its ports" '^bridge br0 \(script, grant\): up, mtu 1400, ports: .*tap0' "$(cat "$O")"
put qnet.conf '[network\n'
status_json
t_eq "broken qnet.conf: still exit 0 with valid JSON of the defaults" "0 default" "$? $(q '.networks[0].name')"
t_match "... and a warning that says so" 'see qnet check' "$(cat "$O.err")"
t_done
