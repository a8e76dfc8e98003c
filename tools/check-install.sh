#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves the install path, as a distribution user meets it:
#   1. the .debs build (tools/build-deb.sh) and lintian finds nothing;
#   2. `dpkg -i` installs qnet on this machine (CI machines are throwaway),
#      with the bridge helper given cap_net_admin+ep (or setuid root), and
#      its units pass systemd-analyze verify;
#   3. the INSTALLED programs work: /usr/sbin/qnet doctor, and, in a private
#      network and mount namespace, /usr/libexec/qnet/qemu-ifup and
#      qemu-ifdown on a real TAP and bridge, and the installed helper run by
#      an unprivileged user (nobody), asserted through `ip -j`;
#      qnet-qemu-defaults refuses bad input, diverts Debian's three files,
#      makes QEMU's defaults qnet's (a real QEMU as nobody and as root), and
#      puts them back byte for byte on remove and on purge; qnet.service
#      starts, reloads and stops under systemd as PID 1 of a container;
#   4. `meson dist` makes a tarball that configures and builds on its own,
#      and the RPM spec makes a source package from that tarball;
#   5. the packages are purged again if this script installed them.
# Output is TAP; exit status 1 if anything failed. Needs root (dpkg, netns).
# QNET_CHECK_INSTALL_KEEP=1 keeps qnet installed afterwards;
# QNET_CHECK_INSTALL_REINSTALL=0 skips reinstalling qemu-system-common
# (it downloads the .deb) under the diversions.
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=/usr/libexec/qnet/qemu-bridge-helper
IFUP=/usr/libexec/qnet/qemu-ifup
IFDOWN=/usr/libexec/qnet/qemu-ifdown
QNET=/usr/sbin/qnet

# watchdog SECONDS PID: signal PID after SECONDS unless the watchdog is
# killed first (its sleep goes with it). Prints the watchdog's pid.
watchdog() {
	(trap 'kill $s 2>/dev/null; exit 0' TERM; sleep "$1" & s=$!; wait $s; kill -9 "$2") >/dev/null 2>&1 &
	echo $!
}

# ---- part 3b: runs re-executed inside a private network + mount namespace ----
# Prints "PASS desc" / "FAIL desc" / "# diag" lines; the outer part numbers them.
# $3 is the helper's install mode: "cap" runs everything, "setuid" only the
# helper's own tests (after postinst's fallback was forced).
if [ "${1:-}" = --in-netns ]; then
	work=$2 mode=$3
	pass() { echo "PASS $*"; }
	fail() { echo "FAIL $*"; }
	check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
	eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; echo "# expected: $2"; echo "# actual:   $3"; fi; }
	field() { ip -j link show dev "$1" 2>/dev/null | jq -r ".[0].$2 // empty"; }
	is_up() { ip -j link show dev "$1" | jq -e '.[0].flags | index("UP") != null' >/dev/null; }

	ip link set lo up
	ip link add br0 type bridge && ip link set br0 mtu 1400 up
	ip link add br1 type bridge && ip link set br1 up
	ip tuntap add dev tap0 mode tap

	if [ "$mode" = cap ]; then
	# What QEMU does: execv the script with the TAP's name, a bare environment.
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$IFUP" tap0 br0 >"$work/ifup.out" 2>&1
	eq "installed qemu-ifup tap0 br0 exits 0" 0 "$?"
	eq "kernel: tap0's master is br0 (ip -j)" br0 "$(field tap0 master)"
	eq "kernel: tap0 has br0's MTU 1400" 1400 "$(field tap0 mtu)"
	check "kernel: tap0 is up" is_up tap0
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$IFDOWN" tap0 >"$work/ifdown.out" 2>&1
	eq "installed qemu-ifdown tap0 exits 0" 0 "$?"
	eq "kernel: tap0 has no master after qemu-ifdown" "" "$(field tap0 master)"

	# One command line per bridge: the installed program read through a link.
	ln -s "$IFUP" "$work/qemu-ifup@br1"
	env -i PATH=/usr/bin:/bin "$work/qemu-ifup@br1" tap0 >"$work/ifup1.out" 2>&1
	eq "installed qemu-ifup as qemu-ifup@br1 exits 0" 0 "$?"
	eq "kernel: tap0's master is br1" br1 "$(field tap0 master)"
	fi
	ip link del tap0

	# The helper as a user runs it: nobody, through the file capability or
	# setuid bit postinst gave the installed file. /etc/qemu is a private
	# bind mount (tests/integration/bridge-helper-lib.sh), the audit log a
	# private /dev/log.
	export QNET_SRC=$src QNET_BUILD=$work/tools T_TMP=$work/ns QNET_IN_TEST_NETNS=1
	mkdir -p "$T_TMP" && chmod 755 "$T_TMP"
	. "$src/tests/lib.sh"
	. "$src/tests/integration/bridge-helper-lib.sh"
	HC=$work/tools/helper-client SINK=$work/tools/syslog-sink
	trap 't_cleanup' EXIT
	if ! bh_etc_qemu || ! bh_syslog; then
		fail "private /etc/qemu and /dev/log for the helper test"
		exit 0
	fi
	printf 'allow br0\n' >"$BH_ETC/bridge.conf"
	chown 0:0 "$BH_ETC/bridge.conf" && chmod 644 "$BH_ETC/bridge.conf"
	O=$T_TMP/hc
	cd "$T_TMP" || exit 1

	# qnet-qemu-defaults: QEMU command lines that name no script and no
	# helper. A real QEMU (no machine: it opens its netdevs and idles), so
	# the defaults are QEMU's own, compiled in: /usr/lib/qemu/qemu-bridge-helper
	# and /etc/qemu-ifup, /etc/qemu-ifdown.
	if [ "$mode" = defaults ]; then
		qemu_start() { # LOG NETDEV [WRAPPER...]
			local log=$1 netdev=$2; shift 2
			"$@" qemu-system-x86_64 -machine none -display none -nodefaults -netdev "$netdev" \
				</dev/null >"$log" 2>&1 &
			QEMU_PID=$!
			t_on_exit "kill $QEMU_PID"
		}
		qemu_stop() { # QEMU_STATUS: its exit status (0: QEMU exits normally on SIGTERM)
			local dog
			kill "$QEMU_PID" 2>/dev/null
			dog=$(watchdog 10 "$QEMU_PID")
			wait "$QEMU_PID"
			QEMU_STATUS=$?
			kill "$dog" 2>/dev/null
		}
		tap_master() { ip -j link show type tun 2>/dev/null | jq -r '.[0] | select(.master) | "\(.ifname) \(.master)"'; }
		has_tap_port() { [ -n "$(tap_master)" ]; }
		# The default route's bridge: what Debian's /etc/qemu-ifup picks, and
		# qnet's qemu-ifup with no bridge given.
		ip link add brdef type bridge && ip link set brdef mtu 1400 up &&
			ip addr add 192.0.2.1/24 dev brdef && ip route add default dev brdef ||
			fail "a bridge brdef carrying the default route"

		# nobody, -netdev bridge without helper=: QEMU runs its default helper,
		# now the link to qnet's, which has the file capability.
		qemu_start "$T_TMP/qemu-nobody.log" bridge,id=n0,br=br0 \
			"$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups --
		if t_wait 20 has_tap_port; then pass "QEMU of nobody, -netdev bridge,br=br0 and no helper=: a TAP on a bridge"; else
			fail "QEMU of nobody, -netdev bridge,br=br0 and no helper=: a TAP on a bridge"; sed 's/^/# /' "$T_TMP/qemu-nobody.log"
		fi
		read -r tap master <<<"$(tap_master)"
		eq "kernel: the TAP of nobody's QEMU is a port of br0" br0 "$master"
		check "qnet's helper logged the allow (not QEMU's helper, which logs nothing)" \
			bh_audit_line "uid=$NOBODY user=nobody bridge=br0 tap=$tap allowed by /etc/qemu/bridge.conf:1 (allow br0)"
		qemu_stop
		eq "QEMU of nobody exits with status 0 on SIGTERM" 0 "$QEMU_STATUS"
		t_wait 10 bash -c '! ip -j link show type tun | jq -e ".[0]" >/dev/null'

		# root, bare -netdev tap: QEMU runs /etc/qemu-ifup TAP and, at its
		# exit, /etc/qemu-ifdown TAP.
		qemu_start "$T_TMP/qemu-root.log" tap,id=n0
		if t_wait 20 has_tap_port; then pass "QEMU as root, bare -netdev tap,id=n0: /etc/qemu-ifup attached its TAP"; else
			fail "QEMU as root, bare -netdev tap,id=n0: /etc/qemu-ifup attached its TAP"; sed 's/^/# /' "$T_TMP/qemu-root.log"
		fi
		read -r tap master <<<"$(tap_master)"
		eq "kernel: the TAP's master is brdef, the default route's bridge" brdef "$master"
		eq "kernel: the TAP has brdef's MTU, set by qnet's qemu-ifup" "$(ip -j link show dev brdef | jq -r '.[0].mtu')" \
			"$(ip -j link show dev "$tap" 2>/dev/null | jq -r '.[0].mtu')"
		qemu_stop
		eq "QEMU as root exits with status 0 on SIGTERM" 0 "$QEMU_STATUS"
		check "... and /etc/qemu-ifup and /etc/qemu-ifdown did not fail (QEMU's log)" \
			bash -c "! grep -q 'script' '$T_TMP/qemu-root.log'"
		grep -v 'has no peer\|terminating on signal' "$T_TMP/qemu-root.log" "$T_TMP/qemu-nobody.log" | sed 's/^/# /'
		exit 0
	fi
	bh_run "$O" --hold --then /bin/sh -c 'ip -j link show dev "$TAP" >"$0"' "$T_TMP/link.json" -- \
		"$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$HELPER" --use-vnet --br=br0 --fd=@FD@
	eq "$mode: installed helper run by nobody: exit 0, a TAP received" "0 1" "$(bh_get "$O" status) $(bh_get "$O" is_tap)"
	[ "$(bh_get "$O" status)" = 0 ] || sed 's/^/# /' "$O.err"
	eq "$mode: kernel: the helper's TAP is on br0 with br0's MTU, up" "br0 1400 true" \
		"$(jq -r '.[0] | "\(.master) \(.mtu) \(.flags | index("UP") != null)"' "$T_TMP/link.json" 2>/dev/null)"
	eq "$mode: the running installed helper holds CAP_NET_ADMIN only" 0000000000001000 "$(bh_get "$O" proc.CapEff)"
	tap=$(bh_get "$O" tap)
	check "$mode: the installed helper's allow is in the authpriv log" \
		bh_audit_line "uid=$NOBODY user=nobody bridge=br0 tap=$tap allowed by /etc/qemu/bridge.conf:1 (allow br0)"
	bh_run "$O" "$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$HELPER" --br=br1 --fd=@FD@
	eq "$mode: installed helper denies nobody on br1 (no rule): exit 1" 1 "$(bh_get "$O" status)"
	eq "$mode: no TAP is left behind" "" "$(ip -j link show type tun | jq -r '.[].ifname')"

	# What qemu-bridge-helper(8) promises a new user: a guest of nobody's,
	# started with -netdev bridge,helper=<the installed helper>, gets a DHCP
	# lease on the bridge and pings its gateway (tests/e2e/guest.sh).
	[ "$mode" = cap ] && [ "${QNET_CHECK_INSTALL_VM:-1}" = 1 ] || exit 0
	. "$src/tests/e2e/guest.sh"
	t_on_exit guest_cleanup
	if ! guest_build "$T_TMP" >"$work/guest-build.log" 2>&1; then
		fail "guest kernel and initramfs for the VM test"; sed 's/^/# /' "$work/guest-build.log"; exit 0
	fi
	check "bridge brvm with a dnsmasq on it" guest_lan brvm "$T_TMP/leases"
	printf 'allow brvm\n' >"$BH_ETC/bridge.conf"
	CON=$T_TMP/console
	: >"$CON" && chown $NOBODY "$CON"
	GUEST_WRAP=("$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups --)
	guest_start "$CON" "bridge,id=n0,br=brvm,helper=$HELPER" "qnet_hold=$GUEST_LAN_HOLD"
	if guest_wait_marker "$CON" LEASE 150; then pass "VM of nobody through the installed helper got a DHCP lease"; else
		fail "VM of nobody through the installed helper got a DHCP lease"
		tr -d '\r' <"$CON" | tail -n 20 | sed 's/^/# /'; sed 's/^/# /' "$CON.qemu"
	fi
	guest_wait_marker "$CON" HOLD 60
	check "the VM pinged its gateway through the installed helper's TAP" guest_has_marker "$CON" PING-OK
	guest_release "$GUEST_LAN_HOLD" brvm
	guest_wait_marker "$CON" DONE 60
	guest_wait
	eq "QEMU, run by nobody, exited with status 0" 0 "$?"
	exit 0
fi

# ---- part 3d: qnet.service under a real systemd, re-executed in a private
# mount namespace ----
# The container is systemd-nspawn's, booting the host's own system read-only
# under an overlay whose upper layer is a tmpfs: it runs the INSTALLED units
# and programs, and writes nothing to the host (/run is a tmpfs here too,
# for nspawn's own files). --private-network gives it a network namespace of
# its own. Prints PASS/FAIL lines as --in-netns does; every wait is bounded.
if [ "${1:-}" = --in-systemd ]; then
	work=$2
	pass() { echo "PASS $*"; }
	fail() { echo "FAIL $*"; }
	eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; echo "# expected: $2"; echo "# actual:   $3"; fi; }
	mount -t tmpfs qnet-run /run && mkdir -p "$work/ct" && mount -t tmpfs qnet-ct "$work/ct" &&
		mkdir "$work/ct/up" "$work/ct/work" "$work/ct/root" &&
		mount -t overlay qnet-root -o "lowerdir=/,upperdir=$work/ct/up,workdir=$work/ct/work" "$work/ct/root" ||
		{ fail "an overlay of / for the container"; exit 0; }
	root=$work/ct/root
	# A persistent network, and the container's qnet.conf only.
	mkdir -p "$root/etc/qemu"
	printf '[network lab]\nbridge = qnetlab\nsubnet = 10.0.77.0/24\nautostart = yes\n' >"$root/etc/qemu/qnet.conf"
	# Boot to basic.target only: nothing of the host's starts but systemd's
	# own early units, and the test starts ours.
	systemd-nspawn --quiet --register=no --keep-unit --link-journal=no --private-network \
		--directory="$root" --boot -- systemd.unit=basic.target >"$work/nspawn.log" 2>&1 &
	nspawn=$!
	dog=$(watchdog 300 "$nspawn")
	# The container's PID 1: nspawn's child that runs systemd in a PID
	# namespace of its own (nspawn forks helpers that exit first).
	find_leader() {
		local c
		for c in $(pgrep -P "$nspawn"); do
			[ "$(readlink "/proc/$c/ns/pid" 2>/dev/null)" != "$(readlink /proc/self/ns/pid)" ] &&
				[ "$(basename "$(readlink "/proc/$c/exe" 2>/dev/null)")" = systemd ] && { echo "$c"; return 0; }
		done
		return 1
	}
	ct() { timeout 60 nsenter -t "$leader" -a -- "$@"; }
	# Its manager answers once early boot made /run/systemd/private.
	state=
	for _ in $(seq 1 60); do
		if leader=$(find_leader); then
			state=$(ct systemctl is-system-running --wait 2>&1)
			case $state in running | degraded | stopping | maintenance) break ;; esac
		fi
		kill -0 "$nspawn" 2>/dev/null || break
		sleep 0.5
	done
	if [ "$state" = running ] || [ "$state" = degraded ]; then pass "systemd booted as PID 1 of a container ($state)"; else
		fail "systemd booted as PID 1 of a container ($state)"; tail -n 20 "$work/nspawn.log" | sed 's/^/# /'
		kill "$nspawn" "$dog"; wait; exit 0
	fi
	eq "... and it is systemd, PID 1 there" systemd "$(ct cat /proc/1/comm)"
	eq "qnet.service is enabled, as the package left it" enabled "$(ct systemctl is-enabled qnet.service)"
	dnsmasq_pid() { ct cat /run/qnet/lab.dnsmasq.pid 2>/dev/null; }
	net_up() { # "BRIDGE ADDRESS TABLE DNSMASQ-RUNS"
		echo "$(ct ip -j addr show dev qnetlab 2>/dev/null | jq -r '.[0] | "\(.ifname) \(.addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)")"' 2>/dev/null)" \
			"$(ct nft list table inet qnet-lab >/dev/null 2>&1 && echo table)" \
			"$(p=$(dnsmasq_pid) && [ -n "$p" ] && ct test -d "/proc/$p" && echo dnsmasq)"
	}
	journal() { ct journalctl -u qnet.service --no-pager -q -n 20; }

	ct systemctl start qnet.service
	eq "systemctl start qnet.service exits 0" 0 "$?"
	eq "... systemctl is-active: active" active "$(ct systemctl is-active qnet.service)"
	eq "kernel: network lab is up (bridge, address, nft table, dnsmasq)" "qnetlab 10.0.77.1/24 table dnsmasq" "$(net_up)"
	[ "$(ct systemctl is-active qnet.service)" = active ] || journal | sed 's/^/# /'
	pid=$(dnsmasq_pid)

	printf 'forward = tcp 2222 10.0.77.10:22\n' >>"$root/etc/qemu/qnet.conf"
	ct systemctl reload qnet.service
	eq "systemctl reload qnet (a forward added) exits 0" 0 "$?"
	eq "... still active" active "$(ct systemctl is-active qnet.service)"
	table=$(ct nft list table inet qnet-lab 2>&1)
	eq "kernel: the forward is in the network's map" yes "$(grep -qF 'tcp . 2222 : 10.0.77.10 . 22' <<<"$table" && echo yes)"
	grep -qF 'tcp . 2222 : 10.0.77.10 . 22' <<<"$table" || { echo "$table"; journal; } | sed 's/^/# /'
	eq "... and the reload kept the network's dnsmasq" "$pid" "$(dnsmasq_pid)"

	ct systemctl stop qnet.service
	eq "systemctl stop qnet.service exits 0" 0 "$?"
	eq "... systemctl is-active: inactive" inactive "$(ct systemctl is-active qnet.service)"
	eq "kernel: network lab is gone (no bridge, table, dnsmasq)" "  " "$(net_up)"

	# A guest on it when the unit stops: the network stays, dnsmasq too
	# (KillMode=process), and goes with its last port.
	ct systemctl start qnet.service
	ct ip link add qnetg0 type veth peer name qnetg1 && ct ip link set qnetg0 master qnetlab up
	ct systemctl stop qnet.service
	eq "with a port attached, systemctl stop: inactive" inactive "$(ct systemctl is-active qnet.service)"
	eq "... and network lab stays up for its guest, dnsmasq alive" "qnetlab 10.0.77.1/24 table dnsmasq" "$(net_up)"
	ct ip link del qnetg0
	ct /usr/sbin/qnet gc >/dev/null
	eq "... and qnet gc removes it once the port is gone" "  " "$(net_up)"

	ct systemctl start qnet-watch.service
	eq "systemctl start qnet-watch.service: active" active "$(ct systemctl is-active qnet-watch.service)"
	ct systemctl stop qnet-watch.service

	ct systemctl poweroff >/dev/null 2>&1
	for _ in $(seq 1 300); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
	kill "$nspawn" 2>/dev/null
	wait "$nspawn"
	eq "the container powered off within 30 s" 0 "$?"
	kill "$dog" 2>/dev/null
	exit 0
fi

# ---- the outer part ----
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
diag() { sed 's/^/# /'; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; printf 'expected: %s\nactual:   %s\n' "$2" "$3" | diag; fi; }
finish() { echo "1..$N"; [ "$FAILED" -eq 0 ]; exit $?; }
quiet() { "$@" >/dev/null 2>&1; }
# Files not committed yet cannot be in a tarball made from HEAD: that is
# a TODO locally, never under CI, where the tree is a clean checkout.
check_committed() {
	local d=$1 f=$2; shift 2
	if "$@"; then ok "$d"
	elif ! git -C "$src" ls-files --error-unmatch "$f" >/dev/null 2>&1; then
		N=$((N + 1)); echo "not ok $N - $d # TODO $f is not committed yet"
	else not_ok "$d"; fi
}
safe_program() { [ -x "$1" ] && [ "$(stat -c %u "$1")" = 0 ] && [ $((0$(stat -c %a "$1") & 022)) = 0 ]; }
man_found() { man -w "$1" "$2" >/dev/null 2>&1; }
man_quiet() { [ -z "$(MANWIDTH=80 man --warnings -l "$(man -w "$1" "$2")" 2>&1 >/dev/null)" ]; }

if [ "$(id -u)" != 0 ]; then
	if [ "${CI:-}" = true ]; then echo "1..1"; echo "not ok 1 - skipped under CI: needs root"; exit 1; fi
	echo "1..0 # SKIP needs root (dpkg -i, network namespaces)"
	exit 77
fi
for tool in dpkg-buildpackage lintian jq setcap getcap setpriv unshare rpmspec rpmbuild meson ninja cc git \
	systemd-analyze systemd-nspawn nsenter qemu-system-x86_64 apt-get; do
	command -v "$tool" >/dev/null || { not_ok "$tool is installed (tools/deps.sh test)"; finish; }
done

work=$(mktemp -d /tmp/qnet-check-install.XXXXXX)
chmod 755 "$work"
installed_by_us=0
aside=
cleanup() {
	# A file of qemu-system-common's that a bad-input case moved aside.
	[ -z "$aside" ] || mv -fT "$work/aside" "$aside"
	if [ "$installed_by_us" = 1 ] && [ "${QNET_CHECK_INSTALL_KEEP:-}" != 1 ]; then
		dpkg --purge qnet-qemu-defaults qnet >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# A CI checkout is often owned by another uid than root, which git refuses
# ("dubious ownership") unless the global config trusts it; use our own.
printf '[safe]\n\tdirectory = %s\n' "$src" >"$work/gitconfig"
export GIT_CONFIG_GLOBAL=$work/gitconfig

version=$(cd "$src" && meson introspect --projectinfo meson.build 2>/dev/null | jq -r .version)
eq "debian/changelog's version is meson's ($version)" "$version" \
	"$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)"
eq "the RPM spec's version is meson's" "$version" \
	"$(rpmspec -q --srpm --qf '%{VERSION}' "$src/packaging/rpm/qnet.spec" 2>/dev/null)"

# ---- 1. build ----
"$src/tools/build-deb.sh" "$work/deb" >"$work/debs" 2>"$work/build-deb.log"
deb=$(tail -n 1 "$work/debs")
defaults_deb=$(grep '/qnet-qemu-defaults_[^/]*\.deb$' "$work/debs")
if [ -f "$deb" ] && [ -f "$defaults_deb" ]; then
	ok "tools/build-deb.sh builds $(basename "$deb") and $(basename "$defaults_deb")"
else
	not_ok "tools/build-deb.sh builds the .debs of qnet and qnet-qemu-defaults"; tail -n 40 "$work/build-deb.log" | diag; finish
fi
lintian --allow-root --fail-on error,warning --info "$deb" "$defaults_deb" >"$work/lintian.out" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "lintian: no errors or warnings in either package"; else
	not_ok "lintian: no errors or warnings in either package"; grep -v '^N:' "$work/lintian.out" | diag
fi

# ---- 2. install ----
if dpkg-query -W -f='${Status}' qnet 2>/dev/null | grep -q 'install ok installed'; then
	echo "# qnet was installed before this run: it is upgraded in place and kept afterwards"
else
	installed_by_us=1
fi
if dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then ok "dpkg -i installs the package"; else
	not_ok "dpkg -i installs the package"; diag <"$work/dpkg.log"; finish
fi
for p in $(dpkg-deb -c "$deb" | awk '$6 ~ /^\.\/usr\/(libexec\/qnet|sbin)\/./ { print substr($6, 2) }'); do
	check "installed program $p is a root-owned executable, not writable by others" safe_program "$p"
done
for p in "$IFUP" "$IFDOWN" "$HELPER" "$QNET"; do
	check "the package installs $p" test -x "$p"
done
caps=$(getcap "$HELPER" 2>/dev/null)
if [[ $caps == *cap_net_admin=ep* ]]; then
	ok "postinst gave the helper cap_net_admin+ep (getcap: ${caps##* })"
	eq "... and it is not setuid" 755 "$(stat -c %a "$HELPER")"
elif [ -u "$HELPER" ]; then
	ok "postinst made the helper setuid root (no file capabilities here)"
else
	not_ok "postinst gave the helper cap_net_admin+ep or the setuid bit"; ls -l "$HELPER" | diag
fi
for page in qnet.8 qnet.conf.5 qemu-ifup.8 qemu-ifdown.8 qemu-ifup-nat.8 qemu-ifdown-nat.8 qemu-bridge-helper.8 qnet-dhcp-event.8; do
	check "man page $page is installed" man_found "${page##*.}" "${page%.*}"
done
for page in 8:qnet 5:qnet.conf 8:qemu-ifup 8:qemu-ifup-nat 8:qemu-bridge-helper; do
	check "man page ${page#*:}(${page%%:*}) renders without groff warnings" man_quiet "${page%%:*}" "${page#*:}"
done
check "the examples are installed, /etc/qemu is not written" \
	test -f /usr/share/doc/qnet/examples/qnet.conf -a -f /usr/share/doc/qnet/examples/bridge.conf
check "no file of the package lives in /etc" bash -c '! dpkg -L qnet | grep -q "^/etc/"'
if command -v systemd-tmpfiles >/dev/null; then
	check "postinst created /run/qnet through tmpfiles.d" test -d /run/qnet
else
	check "the tmpfiles.d entry for /run/qnet is installed" grep -q '^d /run/qnet ' /usr/lib/tmpfiles.d/qnet.conf
fi
# The units as installed, so systemd-analyze verify also finds the
# programs they run (a unit in a build directory names an sbindir that
# does not exist yet).
unit=$(dpkg -L qnet | grep '/systemd/system/qnet-watch\.service$')
check "qnet-watch.service is installed" test -n "$unit" -a -f "$unit"
check "... and runs the installed qnet watch" grep -qx "ExecStart=$QNET watch" "$unit"
check "... and systemd-analyze verify accepts it" systemd-analyze verify "$unit"
unit=$(dpkg -L qnet | grep '/systemd/system/qnet\.service$')
check "qnet.service is installed" test -n "$unit" -a -f "$unit"
eq "... runs qnet up, down --autostart and reload, a oneshot that remains" \
	"Type=oneshot RemainAfterExit=yes ExecStart=$QNET up --autostart ExecStop=$QNET down --autostart ExecReload=$QNET reload KillMode=process" \
	"$(grep -E '^(Type|RemainAfterExit|Exec[A-Za-z]+|KillMode)=' "$unit" | tr '\n' ' ' | sed 's/ $//')"
check "... and systemd-analyze verify accepts it" systemd-analyze verify "$unit"
for u in qnet.service qnet-watch.service; do
	check "the package enabled $u (multi-user.target wants it)" test -L "/etc/systemd/system/multi-user.target.wants/$u"
done
# dh_installsystemd --no-stop-on-upgrade: prerm stops qnet.service only
# on remove, postinst only starts it (a no-op when it is active).
no_restart_on_upgrade() {
	local info=/var/lib/dpkg/info/qnet
	[ "$(grep -B1 "stop 'qnet.service'" $info.prerm | head -n 1 | grep -c '"$1" = remove')" = 1 ] &&
		[ "$(grep -c "'qnet.service'" $info.prerm)" = 1 ] &&
		! grep -q "qnet.service" $info.preinst 2>/dev/null &&
		grep -q "deb-systemd-invoke start 'qnet.service'" $info.postinst &&
		! grep -q "restart.*'qnet.service'" $info.postinst
}
check "an upgrade neither stops nor restarts qnet.service (its networks stay up)" no_restart_on_upgrade

# ---- 3. the installed programs ----
eq "installed qnet --version" "qnet $version" "$("$QNET" --version 2>&1)"
"$QNET" doctor >"$work/doctor.out" 2>&1
rc=$?
check "installed qnet doctor runs to its summary (exit $rc)" \
	grep -Eq '^[0-9]+ ok, [0-9]+ warnings, [0-9]+ failures$' "$work/doctor.out"
check "qnet doctor's exit status is 0 or 1 (findings), not a usage error or crash" test $rc -le 1
check "qnet doctor finds the installed helper in order" grep -q "^ok    helper: $HELPER " "$work/doctor.out"
grep -v '^ok ' "$work/doctor.out" | diag

# The shipped examples must stay valid as the keys evolve: as shipped, and
# with every commented-out setting switched on.
ex=/usr/share/doc/qnet/examples
QNET_CONFDIR=$ex "$QNET" check >"$work/check.out" 2>&1
eq "installed qnet check accepts the installed examples" 0 "$?"
mkdir -p "$work/conf"
cp "$ex/bridge.conf" "$work/conf/"
sed 's/^;//' "$ex/qnet.conf" >"$work/conf/qnet.conf"
chmod 644 "$work/conf/"*
QNET_CONFDIR=$work/conf "$QNET" check >"$work/check-all.out" 2>&1
rc=$?
eq "... and the example qnet.conf with every setting uncommented" 0 "$rc"
[ $rc = 0 ] || diag <"$work/check-all.out"

# The netns part needs helper-client and syslog-sink: the test harness's own.
mkdir -p "$work/tools"
for t in helper-client syslog-sink; do
	cc -std=gnu11 -O1 -o "$work/tools/$t" "$src/tests/integration/$t.c" 2>>"$work/cc.log" ||
		{ not_ok "build tests/integration/$t.c"; diag <"$work/cc.log"; }
done
# NAME UNSHARE-ARGS... -- SCRIPT-ARGS...: a re-executed part above, its
# PASS/FAIL lines numbered here.
in_ns() {
	local name=$1 args=(); shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
	unshare "${args[@]}" -- bash "${BASH_SOURCE[0]}" "$@" >"$work/$name.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "${line#PASS }" ;;
		"FAIL "*) not_ok "${line#FAIL }" ;;
		*) printf '%s\n' "$line" | diag ;;
		esac
	done <"$work/$name.out"
	grep -q '^PASS ' "$work/$name.out" || not_ok "$name: the tests in a private namespace ran"
}
in_netns() { in_ns "netns-$1" --net --mount --propagation private -- --in-netns "$work" "$1"; }
in_netns cap

# postinst's fallback, as on a file system without extended attributes:
# setcap fails, so the helper becomes setuid root, and it must work so.
postinst=/var/lib/dpkg/info/qnet.postinst
mkdir -p "$work/nosetcap"
printf '#!/bin/sh\necho "setcap: Operation not supported" >&2\nexit 1\n' >"$work/nosetcap/setcap"
chmod 755 "$work/nosetcap/setcap"
setcap -r "$HELPER"
PATH=$work/nosetcap:$PATH sh "$postinst" configure >"$work/postinst.log" 2>&1
eq "postinst without working setcap: exit 0" 0 "$?"
eq "... the helper is setuid root, mode 4755, no file capability" "4755 0 " \
	"$(stat -c '%a %u' "$HELPER") $(getcap "$HELPER")"
check "... and postinst said why" grep -q 'making it setuid root' "$work/postinst.log"
check "qnet doctor accepts the setuid helper" \
	bash -c "'$QNET' doctor | grep -q '^ok    helper: $HELPER is setuid root'"
in_netns setuid
sh "$postinst" configure >"$work/postinst.log" 2>&1
eq "postinst again with setcap: cap_net_admin+ep back, setuid bit gone" "755 cap_net_admin=ep" \
	"$(stat -c %a "$HELPER") $(getcap "$HELPER" | awk '{ print $2 }')"

# ---- 3c. qnet-qemu-defaults: qnet as what QEMU runs by default ----
# Debian's three files are diverted to FILE.distrib and links to qnet's
# programs take their place; removing and purging put them back as they
# were. Bad input first: a file that is missing, foreign, diverted by
# another package or in the way of the diversion is refused in one line,
# and nothing is left diverted.
DEFAULTS="/etc/qemu-ifup /etc/qemu-ifdown /usr/lib/qemu/qemu-bridge-helper"
defaults_sums() { for f in $DEFAULTS; do printf '%s %s %s\n' "$f" "$(stat -c '%a %U:%G' "$f" 2>&1)" "$(sha256sum <"$f" 2>&1)"; done; }
our_diversions() { dpkg-divert --list | grep -c ' by qnet-qemu-defaults$'; }
defaults_installed() { dpkg-query -W -f='${Status}' qnet-qemu-defaults 2>/dev/null | grep -q 'install ok installed'; }
owners_are_debian() {
	local f
	for f in $DEFAULTS; do [ "$(dpkg-query -S "$f" 2>&1)" = "qemu-system-common: $f" ] || return 1; done
}
# refused CASE FILE CAUSE: dpkg -i fails, with exactly our one line, and
# leaves no diversion, no package and every file as it was.
refused() {
	local line
	dpkg -i "$defaults_deb" >"$work/refused.log" 2>&1
	eq "$1: dpkg -i qnet-qemu-defaults fails" 1 "$?"
	line=$(grep '^qnet-qemu-defaults: ' "$work/refused.log")
	eq "... preinst says so in one line naming the package, the file and the cause" \
		"qnet-qemu-defaults: $2: $3" "$line"
	[ "$line" = "qnet-qemu-defaults: $2: $3" ] || diag <"$work/refused.log"
	eq "... no diversion of ours is left" 0 "$(our_diversions)"
	check "... the package is not installed" bash -c '! dpkg-query -W -f="\${Status}" qnet-qemu-defaults 2>/dev/null | grep -q "ok installed"'
}
if ! dpkg-query -W -f='${Status}' qemu-system-common 2>/dev/null | grep -q 'install ok installed'; then
	not_ok "qemu-system-common is installed (tools/deps.sh test), for qnet-qemu-defaults"
elif defaults_installed || [ "$(our_diversions)" != 0 ]; then
	not_ok "qnet-qemu-defaults was not installed before this run (its tests remove it)"
else
	check "qemu-system-common owns the three files qnet-qemu-defaults diverts" owners_are_debian
	defaults_sums >"$work/debian.sums"
	diag <"$work/debian.sums"
	cp -a /etc/qemu-ifdown "$work/qemu-ifdown.debian"

	aside=/etc/qemu-ifdown
	mv -T /etc/qemu-ifdown "$work/aside"
	refused "/etc/qemu-ifdown missing" /etc/qemu-ifdown "missing (qemu-system-common installed it; it is not there)"
	printf '#!/bin/sh\n# not the file Debian ships\nexit 0\n' >/etc/qemu-ifdown
	chmod 755 /etc/qemu-ifdown
	refused "/etc/qemu-ifdown not Debian's" /etc/qemu-ifdown \
		"not the file qemu-system-common installed (its md5sum is not dpkg's; a changed conffile is yours to restore or keep)"
	ln -sfT /usr/libexec/qnet/qemu-ifdown /etc/qemu-ifdown
	refused "/etc/qemu-ifdown a symbolic link" /etc/qemu-ifdown "is a symbolic link, not qemu-system-common's file"
	mv -fT "$work/aside" /etc/qemu-ifdown
	aside=
	dpkg-divert --package qnet-check-install --no-rename --divert /etc/qemu-ifdown.other --add /etc/qemu-ifdown >/dev/null
	refused "/etc/qemu-ifdown diverted by another package" /etc/qemu-ifdown "already diverted by qnet-check-install"
	dpkg-divert --package qnet-check-install --no-rename --remove /etc/qemu-ifdown >/dev/null
	: >/usr/lib/qemu/qemu-bridge-helper.distrib
	refused "/usr/lib/qemu/qemu-bridge-helper.distrib exists" /usr/lib/qemu/qemu-bridge-helper \
		"/usr/lib/qemu/qemu-bridge-helper.distrib exists already (the diversion would overwrite it)"
	rm -f /usr/lib/qemu/qemu-bridge-helper.distrib
	defaults_sums >"$work/after-refused.sums"
	check "after the refusals Debian's files are as they were (mode, owner, sha256)" \
		cmp -s "$work/debian.sums" "$work/after-refused.sums"

	# An undo half-way: the third dpkg-divert fails, the two made are undone.
	dpkg-deb -e "$defaults_deb" "$work/defaults-ctl"
	mkdir -p "$work/divfail"
	printf '#!/bin/sh\ncase "$*" in *--add*/usr/lib/qemu/*) echo "dpkg-divert: error: injected" >&2; exit 2 ;; esac\nexec /usr/bin/dpkg-divert "$@"\n' \
		>"$work/divfail/dpkg-divert"
	chmod 755 "$work/divfail/dpkg-divert"
	PATH=$work/divfail:$PATH sh "$work/defaults-ctl/preinst" install >"$work/divfail.log" 2>&1
	eq "preinst whose third dpkg-divert fails: exit 1" 1 "$?"
	eq "... one line says so" \
		"qnet-qemu-defaults: /usr/lib/qemu/qemu-bridge-helper: dpkg-divert --add failed; no diversion was left in place" \
		"$(grep '^qnet-qemu-defaults: ' "$work/divfail.log")"
	eq "... the two diversions it made are undone" 0 "$(our_diversions)"
	defaults_sums >"$work/after-divfail.sums"
	check "... and Debian's files are back as they were" cmp -s "$work/debian.sums" "$work/after-divfail.sums"

	if dpkg -i "$defaults_deb" >"$work/defaults.log" 2>&1; then ok "dpkg -i installs qnet-qemu-defaults"; else
		not_ok "dpkg -i installs qnet-qemu-defaults"; diag <"$work/defaults.log"
	fi
	for f in $DEFAULTS; do
		eq "$f is diverted by qnet-qemu-defaults" qnet-qemu-defaults "$(dpkg-divert --listpackage "$f")"
		eq "... to $f.distrib, Debian's file unchanged" "$(grep "^$f " "$work/debian.sums" | cut -d' ' -f2-)" \
			"$(f=$f.distrib; printf '%s %s\n' "$(stat -c '%a %U:%G' "$f" 2>&1)" "$(sha256sum <"$f" 2>&1)")"
	done
	eq "/etc/qemu-ifup is a link to qnet's qemu-ifup" "$IFUP" "$(readlink -f /etc/qemu-ifup)"
	eq "/etc/qemu-ifdown is a link to qnet's qemu-ifdown" "$IFDOWN" "$(readlink -f /etc/qemu-ifdown)"
	eq "/usr/lib/qemu/qemu-bridge-helper is a link to qnet's helper" "$HELPER" "$(readlink -f /usr/lib/qemu/qemu-bridge-helper)"
	eq "... which keeps its file capability" cap_net_admin=ep "$(getcap "$HELPER" | awk '{ print $2 }')"
	in_netns defaults

	# qemu-system-common reinstalled while diverted: dpkg writes its files,
	# the two conffiles included, to FILE.distrib and leaves our links.
	if [ "${QNET_CHECK_INSTALL_REINSTALL:-1}" = 1 ]; then
		if (cd "$work" && apt-get download -q "qemu-system-common=$(dpkg-query -W -f='${Version}' qemu-system-common)") \
			>"$work/download.log" 2>&1; then
			dpkg -i "$work"/qemu-system-common_*.deb </dev/null >"$work/reinstall.log" 2>&1
			eq "qemu-system-common reinstalled under the diversions: dpkg -i exits 0" 0 "$?"
			check "... it asked nothing about its conffiles" bash -c "! grep -qi 'conffile\|configuration file' '$work/reinstall.log'"
			eq "... our links are still in place" "$IFUP $IFDOWN $HELPER" \
				"$(readlink -f /etc/qemu-ifup) $(readlink -f /etc/qemu-ifdown) $(readlink -f /usr/lib/qemu/qemu-bridge-helper)"
			check "... no .dpkg-new, .dpkg-old or .dpkg-dist is left" \
				bash -c '! ls /etc/qemu-if* /usr/lib/qemu/qemu-bridge-helper* | grep -q "\.dpkg-"'
			diag <"$work/reinstall.log"
		else
			not_ok "apt-get download qemu-system-common, to reinstall it under the diversions"; diag <"$work/download.log"
		fi
	fi

	dpkg -r qnet-qemu-defaults >"$work/defaults-remove.log" 2>&1
	eq "dpkg -r qnet-qemu-defaults exits 0" 0 "$?"
	for step in remove purge; do
		[ $step = purge ] && { dpkg --purge qnet-qemu-defaults >"$work/defaults-purge.log" 2>&1
			eq "dpkg --purge qnet-qemu-defaults exits 0" 0 "$?"; }
		check "after $step: dpkg -S names only qemu-system-common for each of the three" owners_are_debian
		eq "after $step: no diversion of ours is left" 0 "$(our_diversions)"
		defaults_sums >"$work/after-$step.sums"
		check "after $step: Debian's files are back, mode, owner and sha256 as recorded" \
			cmp -s "$work/debian.sums" "$work/after-$step.sums"
		check "after $step: no .distrib is left" bash -c '! ls /etc/qemu-if*.distrib /usr/lib/qemu/*.distrib 2>/dev/null | grep -q .'
	done
fi

# ---- 3d. qnet.service under a real systemd ----
# The units start, reload and stop the installed programs in a container
# whose PID 1 is systemd (part 3d above); systemd-analyze verify alone
# does not run a unit.
in_ns systemd --mount --propagation private -- --in-systemd "$work"

# ---- 4. meson dist, and the tarball on its own ----
if [ -d "$src/.git" ] && git -C "$src" rev-parse -q --verify HEAD >/dev/null; then
	dirty=$(git -C "$src" status --porcelain --untracked-files=no | wc -l)
	[ "$dirty" -gt 0 ] && echo "# $dirty tracked files have uncommitted changes: the tarball is HEAD's"
	if meson setup "$work/dist-build" "$src" -De2e=false >"$work/dist.log" 2>&1 &&
		meson dist -C "$work/dist-build" --no-tests --allow-dirty --formats xztar >>"$work/dist.log" 2>&1; then
		ok "meson dist makes a tarball"
	else
		not_ok "meson dist makes a tarball"; tail -n 20 "$work/dist.log" | diag
	fi
	tarball=$work/dist-build/meson-dist/qnet-$version.tar.xz
	if [ -f "$tarball" ]; then
		mkdir -p "$work/tar" && tar -xf "$tarball" -C "$work/tar"
		t=$work/tar/qnet-$version
		for f in LICENSE docs/qnet.8.scd packaging/debian/control packaging/rpm/qnet.spec; do
			check_committed "the tarball has $f" "$f" test -f "$t/$f"
		done
		if meson setup "$work/tar-build" "$t" -Dwerror=true -De2e=false >"$work/tar.log" 2>&1 &&
			ninja -C "$work/tar-build" -j"${QNET_CHECK_JOBS:-1}" >>"$work/tar.log" 2>&1; then
			ok "the tarball configures and builds with -Werror"
			DESTDIR=$work/tar-root meson install -C "$work/tar-build" --no-rebuild >>"$work/tar.log" 2>&1
			check "the tarball's build installs qemu-ifup" test -x "$work/tar-root/usr/local/libexec/qnet/qemu-ifup"
			check_committed "the tarball's build installs the man pages" docs/qnet.8.scd \
				test -f "$work/tar-root/usr/local/share/man/man8/qemu-bridge-helper.8"
		else
			not_ok "the tarball configures and builds with -Werror"; tail -n 20 "$work/tar.log" | diag
		fi
		mkdir -p "$work/rpm/SOURCES"
		cp "$tarball" "$work/rpm/SOURCES/"
		check "rpmspec -P parses packaging/rpm/qnet.spec" quiet rpmspec -P "$src/packaging/rpm/qnet.spec"
		if rpmbuild -bs --define "_topdir $work/rpm" "$src/packaging/rpm/qnet.spec" >"$work/rpm.log" 2>&1; then
			ok "rpmbuild -bs makes a source RPM from the dist tarball"
		else
			not_ok "rpmbuild -bs makes a source RPM from the dist tarball"; diag <"$work/rpm.log"
		fi
	fi
else
	not_ok "meson dist needs a git repository with a commit at $src"
fi

# ---- 5. purge ----
if [ "$installed_by_us" = 1 ] && [ "${QNET_CHECK_INSTALL_KEEP:-}" != 1 ]; then
	dpkg --purge qnet >"$work/purge.log" 2>&1
	check "dpkg --purge removes the package" bash -c '! dpkg-query -W -f="\${Status}" qnet 2>/dev/null | grep -q installed'
	check "... and its programs" test ! -e "$HELPER" -a ! -e "$QNET"
	installed_by_us=0
fi
finish
