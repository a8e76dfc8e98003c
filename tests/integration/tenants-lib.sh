# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the tenant tests (tenants.sh, tenants-bridge.sh); source after
# tests/lib.sh and t_netns. Three kinds of helpers:
#   - what the kernel has of qnet's port filters (table bridge qnet, named
#     as lib/portfilter.h says), read with nft -j, never through qnet;
#   - counters: a netdev ingress table on an interface of a namespace,
#     one counter per match, so a test asserts on frames seen, not on
#     anybody's return code;
#   - frames: crafted frames (frames.py, scapy) sent from a namespace.

FRAMES=$QNET_SRC/tests/integration/frames.py
PY=/usr/bin/python3 # Debian's, with python3-scapy; not a pyenv python3 on PATH

ifindex() { link_field "$1" ifindex; }
mac_of() { # PID IF: the MAC of IF in namespace PID
	t_in_ns "$1" ip -j link show dev "$2" | jq -r '.[0].address'
}

# --- table bridge qnet ------------------------------------------------------
# pf_chain PORT: the name of PORT's chain (port-B-P, ifindexes), empty if
# PORT has no bridge.
pf_chain() {
	local br
	br=$(link_master "$1")
	[ -n "$br" ] || return 0
	echo "port-$(ifindex "$br")-$(ifindex "$1")"
}
# pf_has PORT: the kernel has PORT's chain, and the ports map jumps to it.
# (jq -e succeeds on empty input: the JSON is read first.)
pf_has() {
	local c j
	c=$(pf_chain "$1")
	[ -n "$c" ] && nft list chain bridge qnet "$c" >/dev/null 2>&1 &&
		j=$(nft -j list map bridge qnet ports 2>/dev/null) && [ -n "$j" ] &&
		jq -e --arg c "$c" '[.. | objects | .jump?.target? // empty] | index($c) != null' <<<"$j" >/dev/null
}
# pf_has_ifindex BRIDX PORTIDX: the same, by ifindex (the port may be gone).
pf_has_ifindex() {
	nft list chain bridge qnet "port-$1-$2" >/dev/null 2>&1
}
# pf_mac PORT: the MAC PORT's filter allows (learned or configured), or empty.
pf_mac() {
	local br
	br=$(link_master "$1")
	[ -n "$br" ] || return 0
	nft -j list set bridge qnet "mac-$(ifindex "$br")-$(ifindex "$1")" 2>/dev/null |
		jq -r '[.nftables[] | .set? // empty | .elem[]? | .. | strings |
			select(test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))] | .[0] // empty'
}
# pf_allowed BRIDGE FAMILY MAC ADDRESS: MAC may use ADDRESS on BRIDGE (set
# ip4-B or ip6-B). ADDRESS as the kernel prints it (ip -j: inet_ntop).
pf_allowed() {
	local j
	j=$(nft -j list set bridge qnet "ip$2-$(ifindex "$1")" 2>/dev/null) && [ -n "$j" ] &&
		jq -e --arg m "${3,,}" --arg a "$4" \
			'[.nftables[] | .set? // empty | .elem[]? | .. | objects | .concat? // empty |
			  select(.[0] == $m and .[1] == $a)] | length > 0' <<<"$j" >/dev/null
}
pf_allowed4() { pf_allowed "$1" 4 "$2" "$3"; }
pf_allowed6() { pf_allowed "$1" 6 "$2" "$3"; }
pf_tables() { nft -j list tables 2>/dev/null | jq -r '.nftables[] | .table? // empty | "\(.family) \(.name)"'; }

# --- counters ---------------------------------------------------------------
# watch PID IF NAME MATCH...: count frames arriving on IF in namespace PID
# that MATCH (nft syntax) as counter NAME. A netdev ingress hook sees each
# frame as the interface received it, before anything else of the stack
# (the bridge, ARP, packet sockets) does; on a bridge port it counts what
# the guest behind it sent, before qnet's filter.
watch() {
	local pid=$1 dev=$2 name=$3 t="watch-$2"; shift 3
	if ! t_in_ns "$pid" nft list chain netdev "$t" in >/dev/null 2>&1; then
		t_in_ns "$pid" nft add table netdev "$t" &&
			t_in_ns "$pid" nft add chain netdev "$t" in "{ type filter hook ingress device \"$dev\" priority -500; }" ||
			return 1
	fi
	t_in_ns "$pid" nft add rule netdev "$t" in "$@" counter comment "\"$name\""
}
# seen PID IF NAME: frames counted so far by the counters named NAME (0 if
# there is none).
seen() {
	t_in_ns "$1" nft -j list chain netdev "watch-$2" in 2>/dev/null |
		jq -r --arg n "$3" '[.nftables[] | .rule? // empty | select(.comment == $n) | .expr[] |
			.counter?.packets // empty] | add // 0'
}
# nd_target ADDRESS: an nft match of an NA's or NS's target address (the
# 16 bytes after type, code, checksum and flags), for watch.
nd_target() {
	echo "@th,64,128 $("$PY" -c 'import ipaddress, sys; print(hex(int(ipaddress.IPv6Address(sys.argv[1]))))' "$1")"
}
# solicited ADDRESS: ADDRESS's solicited-node multicast group and the
# Ethernet group it maps to (where duplicate address detection asks).
solicited() {
	"$PY" -c 'import ipaddress, sys
a = int(ipaddress.IPv6Address(sys.argv[1])) & 0xffffff
print(ipaddress.IPv6Address(0xff020000000000000000000000000000 | 0x1ff000000 | a),
      "33:33:ff:%02x:%02x:%02x" % (a >> 16, (a >> 8) & 0xff, a & 0xff))' "$1"
}
# pf_owner6 BRIDGE ADDRESS: the MAC owner6-B says owns link-local ADDRESS,
# from its pairs (address . MAC); one with a timeout is listed as
# {"elem": {"val": {"concat": ...}, "timeout": ...}}.
pf_owner6() {
	nft -j list set bridge qnet "owner6-$(ifindex "$1")" 2>/dev/null |
		jq -r --arg a "$2" '[.nftables[] | .set? // empty | .elem[]? |
			(if .elem? then .elem.val else . end) | .concat? // empty | select(.[0] == $a) | .[1]] |
			join(" ")'
}
# seen_at_least PID IF NAME N
seen_at_least() { [ "$(seen "$1" "$2" "$3")" -ge "$4" ]; }
# unwatch PID IF: the counters of IF go (a port about to be deleted).
unwatch() { t_in_ns "$1" nft delete table netdev "watch-$2" 2>/dev/null; true; }

# --- frames -----------------------------------------------------------------
# frames PID FRAMES-ARGS...: frames.py in namespace PID.
frames() { local pid=$1; shift; t_in_ns "$pid" "$PY" "$FRAMES" "$@"; }

# neigh PID IF ADDRESS: the MAC namespace PID's neighbour table has for
# ADDRESS on IF, empty if none (or it is not resolved).
neigh() {
	t_in_ns "$1" ip -j neigh show "$3" dev "$2" 2>/dev/null | jq -r '.[0].lladdr // empty'
}
# fdb_port BRIDGE MAC: the port the bridge forwards MAC to (learned).
fdb_port() {
	bridge -j fdb show br "$1" 2>/dev/null |
		jq -r --arg m "${2,,}" '[.[] | select(.mac == $m and (.flags // [] | index("self") | not)) | .ifname] | .[0] // empty'
}
