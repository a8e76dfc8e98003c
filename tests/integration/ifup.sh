#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-ifup / qemu-ifdown against real TAPs and bridges in a private netns;
# every assertion reads the kernel's state back through `ip -j`.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"

IFUP=$QNET_BUILD/helpers/qemu-ifup
IFDOWN=$QNET_BUILD/helpers/qemu-ifdown

ip link add br0 type bridge
ip link set br0 mtu 1400 up
ip link add br1 type bridge
ip tuntap add dev tap0 mode tap
ip tuntap add dev tap1 mode tap
ip link add veth0 type veth peer name veth1

# state of a link, for "nothing changed" assertions
snap() { ip -j -d link show dev "$1" | jq -c '.[0] | {master, mtu, flags, operstate}'; }

out=$("$IFUP" tap0 br0 2>&1); rc=$?
t_eq "ifup with bridge argument succeeds" 0 "$rc"
t_eq "tap0 master is br0" br0 "$(link_master tap0)"
t_eq "tap0 MTU copied from br0" 1400 "$(link_mtu tap0)"
t_check "tap0 is up" link_is_up tap0
t_eq "ifup prints nothing on success" "" "$out"

t_check "second ifup on the same bridge succeeds (idempotent)" "$IFUP" tap0 br0
t_eq "still one port on br0" tap0 "$(bridge_ports br0)"

before=$(snap tap0)
out=$("$IFUP" tap0 br1 2>&1); rc=$?
t_eq "ifup to another bridge while attached fails" 1 "$rc"
t_match "error names program, interface and cause" '^qemu-ifup: tap0: already attached' "$out"
t_eq "tap0 untouched after refusal" "$before" "$(snap tap0)"

"$IFDOWN" tap0; rc=$?
t_eq "ifdown succeeds" 0 "$rc"
t_eq "tap0 has no master after ifdown" "" "$(link_master tap0)"
t_check_fail "tap0 is down after ifdown" link_is_up tap0
t_check "ifdown twice succeeds" "$IFDOWN" tap0
out=$("$IFDOWN" nosuchtap 2>&1); rc=$?
t_eq "ifdown of a missing interface is success" "0:" "$rc:$out"

# bridge choice order
QNET_BRIDGE=br1 "$IFUP" tap1 br0
t_eq "second argument beats QNET_BRIDGE" br0 "$(link_master tap1)"
"$IFDOWN" tap1
QNET_BRIDGE=br1 "$IFUP" tap1
t_eq "QNET_BRIDGE picks the bridge" br1 "$(link_master tap1)"
"$IFDOWN" tap1
ln -s "$IFUP" "$T_TMP/qemu-ifup@br0"
QNET_BRIDGE=br1 "$T_TMP/qemu-ifup@br0" tap1
t_eq "program instance qemu-ifup@br0 beats QNET_BRIDGE" br0 "$(link_master tap1)"
"$IFDOWN" tap1
# inih is loaded only when there is a qnet.conf to parse (lib/ini-parse.h).
# The whole output first: grep -q would stop reading at its match, and the
# program, still writing, would die of SIGPIPE before it attached.
loads_inih() {
	LD_DEBUG=files "$@" >"$T_TMP/ld-debug" 2>&1
	if grep -q 'file=libinih' "$T_TMP/ld-debug"; then echo yes; else echo no; fi
}
t_eq "without a qnet.conf, qemu-ifup and qemu-ifdown never load libinih" "no no" \
	"$(loads_inih "$IFUP" tap1) $(loads_inih "$IFDOWN" tap1)"
printf '[script]\nbridge = br1\n' > "$QNET_CONFDIR/qnet.conf"
t_eq "with one, qemu-ifup loads it" yes "$(loads_inih "$IFUP" tap1)"
t_eq "[script] bridge= in qnet.conf" br1 "$(link_master tap1)"
"$IFDOWN" tap1
QNET_BRIDGE=br0 "$IFUP" tap1
t_eq "QNET_BRIDGE beats qnet.conf" br0 "$(link_master tap1)"
"$IFDOWN" tap1
rm "$QNET_CONFDIR/qnet.conf"

ip addr add 192.0.2.1/24 dev br1
ip link set br1 up
ip route add default via 192.0.2.254 dev br1
"$IFUP" tap1
t_eq "bridge of the default route when nothing is configured" br1 "$(link_master tap1)"
"$IFDOWN" tap1
ip route del default
ip addr add 198.51.100.1/24 dev veth0
ip link set veth0 up
ip route add default via 198.51.100.254 dev veth0
out=$("$IFUP" tap1 2>&1); rc=$?
t_eq "default route on a non-bridge fails" 1 "$rc"
t_match "and says so" '^qemu-ifup: tap1: no bridge given and the default route.s device veth0 is not a bridge' "$out"
ip route del default
out=$("$IFUP" tap1 2>&1); rc=$?
t_match "no default route: clear error" '^1:qemu-ifup: tap1: no bridge given and there is no default route' "$rc:$out"
t_eq "tap1 untouched" "" "$(link_master tap1)"

# The default route is the main table's, as `ip route ls | awk '/^default /'`
# in Debian's script: one FIB lookup finds it, and whatever that lookup
# cannot vouch for is settled by reading the table.
# ifup_default DESC EXPECTED-MASTER: attach tap1 by default route, detach.
ifup_default() {
	"$IFUP" tap1
	t_eq "$1" "$2" "$(link_master tap1)"
	"$IFDOWN" tap1
}
ip route add default via 192.0.2.254 dev br1 metric 10
ip route add 0.0.0.0/1 via 198.51.100.254 dev veth0
ip route add 128.0.0.0/1 via 198.51.100.254 dev veth0
ip route add 240.0.0.0/4 via 198.51.100.254 dev veth0
ifup_default "routes more specific than the default (0/1, 128/1, 240/4) do not hide it" br1
ip route del 0.0.0.0/1; ip route del 128.0.0.0/1; ip route del 240.0.0.0/4
ip route add default via 198.51.100.254 dev veth0 metric 20
ifup_default "of two default routes, the lower metric's bridge" br1
ip route del default via 198.51.100.254 dev veth0 metric 20
ip route add default via 198.51.100.254 dev veth0 metric 5
out=$("$IFUP" tap1 2>&1); rc=$?
t_match "the lower metric's device is not a bridge: the existing error" \
	'^1:qemu-ifup: tap1: no bridge given and the default route.s device veth0 is not a bridge' "$rc:$out"
t_eq "and tap1 is untouched" "" "$(link_master tap1)"
ip route del default via 198.51.100.254 dev veth0 metric 5
ip route add unreachable default metric 1
ifup_default "an unreachable default route in front is not a bridge's" br1
ip route del unreachable default metric 1
ip route add default via 198.51.100.254 dev veth0 table 100
ip rule add pref 100 lookup 100
ifup_default "a default route in a table policy routing prefers is not the main table's" br1
ip route del default via 192.0.2.254 dev br1 metric 10
out=$("$IFUP" tap1 2>&1); rc=$?
t_match "a default route only in another table: no default route" \
	'^1:qemu-ifup: tap1: no bridge given and there is no default route' "$rc:$out"
ip rule del pref 100
ip route flush table 100
ip route add default via 192.0.2.254 dev br1
if command -v strace >/dev/null; then
	out=$(strace -f -e trace=sendmsg "$IFUP" tap1 2>&1 >/dev/null)
	t_eq "the default route by one lookup, no dump of the routes" "1:0" \
		"$(grep -c RTM_GETROUTE <<<"$out"):$(grep RTM_GETROUTE <<<"$out" | grep -c NLM_F_DUMP)"
	t_eq "and its bridge looked up once" 1 "$(grep -c RTM_GETLINK.*br1 <<<"$out")"
	t_eq "which is br1" br1 "$(link_master tap1)"
	"$IFDOWN" tap1
fi
ip route del default

# bad input: one line, exit 1, nothing half-done
before0=$(snap tap0) before_veth1=$(snap veth1) before_br0=$(snap br0)
t_expect_error "no arguments" '^qemu-ifup: usage' "$IFUP"
t_expect_error "too many arguments" '^qemu-ifup: usage' "$IFUP" tap0 br0 extra
t_expect_error "empty name" "^qemu-ifup: interface '': empty" "$IFUP" "" br0
t_expect_error "16-byte name" "^qemu-ifup: interface 'abcdefghijklmnop': .*15 bytes" "$IFUP" abcdefghijklmnop br0
t_expect_error "name with /" "^qemu-ifup: interface 'a/b': .*'/'" "$IFUP" a/b br0
t_expect_error "name with space" "^qemu-ifup: interface 'tap0 ': .*whitespace" "$IFUP" "tap0 " br0
t_expect_error "name with newline" "^qemu-ifup: interface 'tap0\?x': .*control" "$IFUP" $'tap0\nx' br0
t_expect_error "bridge name invalid" "^qemu-ifup: bridge 'br 0': " "$IFUP" tap0 "br 0"
t_expect_error "interface missing" '^qemu-ifup: nosuch: interface does not exist' "$IFUP" nosuch br0
t_expect_error "bridge missing" '^qemu-ifup: tap0: bridge nobr does not exist' "$IFUP" tap0 nobr
t_expect_error "not a bridge" '^qemu-ifup: tap0: veth1 is not a bridge \(it is a veth link\)' "$IFUP" tap0 veth1
t_expect_error "empty BRIDGE argument" "^qemu-ifup: bridge '': empty" "$IFUP" tap0 ""
t_expect_error "an option QEMU never passes" "^qemu-ifup: unknown option '--frob'" "$IFUP" --frob
t_expect_error "an option before the name" "^qemu-ifup: unknown option '-v'" "$IFUP" -v tap0 br0
t_expect_error "ifdown: unknown option" "^qemu-ifdown: unknown option '--frob'" "$IFDOWN" --frob
t_eq "tap0 untouched after failures" "$before0" "$(snap tap0)"
t_eq "veth1 untouched after failures" "$before_veth1" "$(snap veth1)"
t_eq "br0 has no port after failures" "" "$(bridge_ports br0)"
t_eq "br0 untouched after failures" "$before_br0" "$(snap br0)"
out=$("$IFUP" --help 2>/dev/null); rc=$?
t_eq "--help prints the usage on stdout, exit 0" "0:usage: qemu-ifup IFNAME [BRIDGE]" "$rc:$out"
out=$("$IFDOWN" --version 2>/dev/null); rc=$?
t_match "ifdown --version, exit 0" '^0:qemu-ifdown \(qnet\) ' "$rc:$out"
t_expect_error "ifdown: no arguments" '^qemu-ifdown: usage' "$IFDOWN"
t_expect_error "ifdown: bad name" "^qemu-ifdown: interface 'a/b'" "$IFDOWN" a/b

printf '[script]\nbridge = br0\nbogus = 1\n' > "$QNET_CONFDIR/qnet.conf"
t_expect_error "malformed qnet.conf names file:line" "^qemu-ifup: $QNET_CONFDIR/qnet.conf:3: unknown key 'bogus'" "$IFUP" tap0
printf '[script]\nbridge = br0\n' > "$QNET_CONFDIR/qnet.conf"
chmod 666 "$QNET_CONFDIR/qnet.conf"
t_expect_error "world-writable qnet.conf refused" "^qemu-ifup: $QNET_CONFDIR/qnet.conf: is writable by group or others" "$IFUP" tap0
rm -f "$QNET_CONFDIR/qnet.conf"
mkdir "$QNET_CONFDIR/qnet.conf"
t_expect_error "qnet.conf that is a directory" "^qemu-ifup: $QNET_CONFDIR/qnet.conf: is not a regular file" "$IFUP" tap0
rmdir "$QNET_CONFDIR/qnet.conf"
t_eq "tap0 still untouched" "$before0" "$(snap tap0)"

# unprivileged ifdown (QEMU after -runas): a warning, success, nothing changed
"$IFUP" tap0 br0
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$IFDOWN" tap0 2>&1); rc=$?
t_eq "unprivileged ifdown exits 0" 0 "$rc"
t_match "and explains why that is harmless" '^qemu-ifdown: warning: tap0: not detached \(no CAP_NET_ADMIN\); harmless' "$out"
t_eq "tap0 still on br0" br0 "$(link_master tap0)"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$IFUP" tap1 br0 2>&1); rc=$?
t_match "unprivileged ifup fails naming CAP_NET_ADMIN" '^1:qemu-ifup: tap1: cannot attach to bridge br0: Operation not permitted \(needs CAP_NET_ADMIN\)' "$rc:$out"
t_eq "tap1 not attached" "" "$(link_master tap1)"
t_check_fail "tap1 not up" link_is_up tap1
# Alternative names: a bridge named by one attaches to the bridge itself and
# every message uses the bridge's own name; the TAP must be named as QEMU
# named it, never by another link's alternative name.
"$IFDOWN" tap0
ip link property add dev br1 altname lanalt
ip link property add dev veth0 altname vethalt
ip link property add dev tap0 altname guestalt
t_check "ifup to a bridge's alternative name succeeds" "$IFUP" tap1 lanalt
t_eq "the TAP is on the bridge the alternative name belongs to" br1 "$(link_master tap1)"
"$IFDOWN" tap1
t_expect_error "an alternative name of a non-bridge is named by its own name" \
	'^qemu-ifup: tap1: veth0 is not a bridge \(it is a veth link\)$' "$IFUP" tap1 vethalt
before0=$(snap tap0)
t_expect_error "a TAP's alternative name is not the TAP QEMU made" \
	'^qemu-ifup: guestalt: interface does not exist$' "$IFUP" guestalt br0
t_eq "tap0 untouched by a run that named it by an alternative name" "$before0" "$(snap tap0)"
ip link property del dev br1 altname lanalt
ip link property del dev veth0 altname vethalt
ip link property del dev tap0 altname guestalt
t_done
