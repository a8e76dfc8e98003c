#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-ifup talks to the kernel about two links only, however many exist:
# the netlink requests it sends (decoded by strace) are the same with 0
# and with 1,000 other links, and none of them dumps every link.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
command -v strace >/dev/null || t_skip_all "strace missing (tools/deps.sh test installs it)"

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown
ip link add br0 type bridge
ip link set br0 up
ip tuntap add dev tap0 mode tap

# The netlink requests of one qemu-ifup call, one line per message type.
requests() {
	# LeakSanitizer cannot run under ptrace; leaks are checked by the other tests.
	ASAN_OPTIONS=detect_leaks=0 strace -qq -f -e trace=sendto,sendmsg -e signal=none -s 256 -o "$T_TMP/strace" "$IFUP" tap0 br0 || return 1
	grep -o 'nlmsg_type=RTM_[A-Z]*, nlmsg_flags=[A-Z_|]*' "$T_TMP/strace" | sed 's/nlmsg_//g'
	"$IFDOWN" tap0
}

few=$(requests)
t_diag "requests with 0 other links:" $few
t_match "ifup sends RTM_GETLINK and RTM_NEWLINK only" '^(type=RTM_(GETLINK|NEWLINK|SETLINK), flags=[A-Z_|]*[[:space:]]*)+$' "$(echo $few)"
t_eq "no request is a dump" "" "$(printf '%s\n' "$few" | grep DUMP)"
n=$(printf '%s\n' "$few" | grep -c RTM_)
t_check "one to three requests ($n)" test "$n" -ge 1 -a "$n" -le 3

for i in $(seq 1 1000); do echo "link add sb$i type bridge"; done > "$T_TMP/batch"
ip -batch "$T_TMP/batch"
t_eq "1,000 other links exist" 1002 "$(ip -o link show | grep -c -E ': (sb[0-9]+|br0|tap0)[:@]')"
many=$(requests)
t_eq "the same requests with 1,000 other links" "$few" "$many"
"$IFUP" tap0 br0
t_eq "tap0 attached with 1,000 other links" br0 "$(link_master tap0)"
t_done
