# SPDX-License-Identifier: GPL-2.0-or-later
# Throwaway QEMU guests for the e2e tests and tools/demo.sh. Source it (bash):
#   . "$QNET_SRC/tests/e2e/guest.sh"
#
#   guest_build [DIR]                   kernel + busybox initramfs (cached under
#                                       $QNET_BUILD/e2e-cache); sets GUEST_KERNEL,
#                                       GUEST_INITRD (copied into DIR, default
#                                       $T_TMP, so a non-root QEMU can read them)
#   guest_start LOG NETDEV [APPEND]     boot in the background; serial console to
#                                       LOG, QEMU's own output to LOG.qemu; sets
#                                       GUEST_PID (timeout's) and GUEST_CMD.
#                                       NETDEV is what follows -netdev (id=n0
#                                       is added when it has no id=). Call it
#                                       again (another LOG, GUEST_MAC) for a
#                                       second guest: keep each GUEST_PID
#   guest_wait [PID]                    wait for QEMU (default $GUEST_PID);
#                                       returns its exit status
#   guest_boot LOG NETDEV [APPEND]      guest_start + guest_wait
#   guest_wait_marker LOG MARKER SECS [PID]
#                                       wait until a console line starts with
#                                       QNET-MARKER (fails early if QEMU, PID
#                                       or $GUEST_PID, is gone)
#   guest_has_marker LOG MARKER         is there such a line now
#   guest_marker LOG MARKER             print the rest of the first such line
#   guest_lan BR LEASEFILE              bridge BR with $GUEST_LAN_GW/24 and a
#                                       dnsmasq serving DHCP on it (only)
#   guest_release IP DEV                add IP/32 to DEV: a guest booted with
#                                       qnet_hold=IP (e.g. $GUEST_LAN_HOLD) then
#                                       powers off
#   guest_outside                       a second namespace reached through veth
#                                       qout0 with an HTTP server on IPv4 and
#                                       IPv6 (for NAT tests); with
#                                       GUEST_OUTSIDE_RA=1 the host learns its
#                                       IPv6 default route from a router
#                                       advertisement there
#   guest_cleanup                       stop everything started here
#   guest_eui64 MAC                     the interface identifier SLAAC makes
#                                       of MAC (5054:00ff:fe12:3456)
#   guest_ip6_full ADDR                 ADDR with all eight groups, four
#                                       digits each (to compare spellings)
#
# The guest (tests/e2e/guest-init) loads virtio_net, runs udhcpc, pings the
# router and prints QNET-BOOT, QNET-LEASE <ip/len> router=... (and mtu=,
# option 26 if the server sent one: udhcpc asks for it and applies it),
# QNET-MTU <eth0's MTU after DHCP>, QNET-PING-OK or QNET-PING-FAIL,
# QNET-DONE, then powers off. APPEND takes guest_run CMD
# (run a command, e.g. wget through NAT), qnet_ping=IP, qnet_hold=IP and
# qnet_ipv6=SECONDS (wait for a SLAAC address: QNET-ADDR6 <ip/len> router=...).
# Settings: GUEST_MAC, GUEST_TIMEOUT (seconds for the whole QEMU run),
# GUEST_WRAP (array: command prefix for QEMU, e.g. setpriv to run unprivileged),
# GUEST_QEMU, GUEST_KVER.
#
# A NAT test, for example (the server sees the masqueraded address):
#   guest_outside
#   guest_start "$CON" "tap,ifname=qtap0,script=$B/qemu-ifup-nat,downscript=$B/qemu-ifdown-nat" \
#       "$(guest_run "wget -q -O - http://$GUEST_OUTSIDE_ADDR/cgi-bin/whoami")"
#   guest_wait_marker "$CON" DONE 150
#   [ "$(guest_marker "$CON" HTTP-FROM)" = "$GUEST_OUTSIDE_HOST" ]

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${GUEST_QEMU:=qemu-system-x86_64}"
: "${GUEST_MAC:=52:54:00:12:34:56}"
: "${GUEST_TIMEOUT:=120}"
: "${GUEST_LAN_GW:=10.0.2.1}"
: "${GUEST_LAN_HOLD:=${GUEST_LAN_GW%.*}.254}"
: "${GUEST_OUTSIDE_HOST:=198.51.100.1}"
: "${GUEST_OUTSIDE_ADDR:=198.51.100.2}"
# IPv6 of the outside link: the documentation prefix (RFC 3849), inside the
# test's namespaces only
: "${GUEST_OUTSIDE_HOST6:=2001:db8:51::1}"
: "${GUEST_OUTSIDE_ADDR6:=2001:db8:51::2}"
[ -n "${GUEST_WRAP+x}" ] || GUEST_WRAP=()
GUEST_PID=
GUEST_PIDS=()
GUEST_DNSMASQ_PID=
GUEST_OUTSIDE_PID=
GUEST_HTTPD_PID=
GUEST_RA_PID=

guest_die() { echo "guest.sh: $*" >&2; return 1; }

# The newest kernel in /boot whose modules are installed (Debian's
# linux-image-amd64 may leave an old vmlinuz whose modules are gone).
guest_kernel_version() {
	local k v best=
	if [ -n "${GUEST_KVER:-}" ]; then echo "$GUEST_KVER"; return 0; fi
	for k in /boot/vmlinuz-*; do
		[ -r "$k" ] || continue
		v=${k#/boot/vmlinuz-}
		[ -f "/lib/modules/$v/modules.dep" ] && best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || { guest_die "no /boot/vmlinuz-* with /lib/modules (install linux-image-amd64)"; return 1; }
	echo "$best"
}

# Module paths (relative to /lib/modules/KVER) in load order: each target's
# dependencies from modules.dep (listed last-loaded first), then the target.
guest_module_paths() {
	local kver=$1 t line dep seen=" " out=()
	local dir=/lib/modules/$kver
	for t in virtio_pci virtio_net; do
		line=$(grep -E "(^|/)$t\.ko(\.xz|\.zst|\.gz)?:" "$dir/modules.dep") ||
			{ guest_die "$t not in $dir/modules.dep"; return 1; }
		local deps i
		read -ra deps <<<"${line#*:}"
		for ((i = ${#deps[@]} - 1; i >= -1; i--)); do
			if [ "$i" -ge 0 ]; then dep=${deps[$i]}; else dep=${line%%:*}; fi
			case $seen in *" $dep "*) continue ;; esac
			seen+="$dep "
			out+=("$dep")
		done
	done
	printf '%s\n' "${out[@]}"
}

guest_unpack_module() { # SRC DEST
	case $1 in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

guest_build() {
	local dest=${1:-${T_TMP:-}} kver busybox cache key m mods
	kver=$(guest_kernel_version) || return 1
	busybox=$(command -v busybox) || { guest_die "busybox missing (install busybox-static)"; return 1; }
	# the initramfs has no libc: a dynamic busybox (package busybox) cannot run
	! ldd "$busybox" >/dev/null 2>&1 || { guest_die "$busybox is not static (install busybox-static)"; return 1; }
	mods=$(guest_module_paths "$kver") || return 1
	cache=${QNET_BUILD:?QNET_BUILD not set}/e2e-cache
	mkdir -p "$cache" || return 1
	key=$({
		cat "${BASH_SOURCE[0]}" "$GUEST_DIR/guest-init" "$GUEST_DIR/guest-udhcpc"
		stat -L -c '%n %s %Y' "/boot/vmlinuz-$kver" "$busybox"
		for m in $mods; do stat -L -c '%n %s %Y' "/lib/modules/$kver/$m"; done
	} | sha256sum | cut -c1-16)
	# One builder at a time; a finished build is renamed into place, so a
	# reader never sees half an initramfs.
	(
		flock -w 120 9 || { guest_die "timed out waiting for $cache/.lock"; exit 1; }
		[ -f "$cache/$key/initrd.img" ] && exit 0
		set -e
		tmp=$(mktemp -d "$cache/.build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		root=$tmp/root
		mkdir -p "$root"/{bin,dev,etc,lib/modules,proc,sys,tmp}
		cp "$busybox" "$root/bin/busybox"
		ln -s busybox "$root/bin/sh"
		install -m 755 "$GUEST_DIR/guest-init" "$root/init"
		install -m 755 "$GUEST_DIR/guest-udhcpc" "$root/etc/udhcpc.script"
		: >"$root/etc/modules"
		for m in $mods; do
			name=$(basename "$m"); name=${name%%.ko*}
			guest_unpack_module "/lib/modules/$kver/$m" "$root/lib/modules/$name.ko"
			echo "$name" >>"$root/etc/modules"
		done
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$tmp/initrd.img"
		cp "/boot/vmlinuz-$kver" "$tmp/vmlinuz"
		rm -rf "$root"
		chmod 755 "$tmp"
		chmod 644 "$tmp/initrd.img" "$tmp/vmlinuz"
		rm -rf "${cache:?}/$key"
		mv "$tmp" "$cache/$key"
		trap - EXIT
		# drop builds of older inputs
		find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '.build.*' -exec rm -rf {} +
	) 9>"$cache/.lock" || { guest_die "building the guest initramfs failed"; return 1; }
	GUEST_KERNEL=$cache/$key/vmlinuz
	GUEST_INITRD=$cache/$key/initrd.img
	if [ -n "$dest" ]; then
		install -m 644 "$GUEST_KERNEL" "$dest/vmlinuz" &&
			install -m 644 "$GUEST_INITRD" "$dest/initrd.img" || return 1
		GUEST_KERNEL=$dest/vmlinuz
		GUEST_INITRD=$dest/initrd.img
	fi
}

# guest_run CMD: kernel command line words that make the guest run CMD.
guest_run() { printf 'qnet_run=%s' "$(printf '%s' "$1" | base64 -w0)"; }

guest_start() { # LOG NETDEV [APPEND]
	local log=$1 netdev=$2 append=${3:-} id=n0
	[ -n "${GUEST_KERNEL:-}" ] || guest_build "${T_TMP:-}" || return 1
	case ,$netdev, in
	*,id=*) id=,$netdev; id=${id#*,id=}; id=${id%%,*} ;;
	*) netdev+=",id=$id" ;;
	esac
	# -nodefaults: no VGA, no default NIC, no monitor; only what is listed.
	GUEST_CMD=("$GUEST_QEMU" -accel tcg -m 256 -smp 1 -nodefaults -display none -no-reboot
		-serial "file:$log" -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD"
		-append "console=ttyS0 panic=-1 quiet${append:+ $append}"
		-netdev "$netdev" -device "virtio-net-pci,netdev=$id,mac=$GUEST_MAC")
	: >"$log"
	timeout -k 5 "$GUEST_TIMEOUT" ${GUEST_WRAP[@]+"${GUEST_WRAP[@]}"} "${GUEST_CMD[@]}" \
		</dev/null >"$log.qemu" 2>&1 &
	GUEST_PID=$!
	GUEST_PIDS+=("$GUEST_PID")
}

guest_wait() { # [PID]
	local rc pid=${1:-$GUEST_PID}
	[ -n "$pid" ] || return 0
	# (the braces keep bash's "Killed" job notice out of the test's stderr)
	{ wait "$pid"; } 2>/dev/null; rc=$?
	[ "$pid" != "$GUEST_PID" ] || GUEST_PID=
	# reaped: its number may be another process's now, never to be killed
	local p left=()
	for p in ${GUEST_PIDS[@]+"${GUEST_PIDS[@]}"}; do [ "$p" = "$pid" ] || left+=("$p"); done
	GUEST_PIDS=(${left[@]+"${left[@]}"})
	return "$rc"
}

guest_boot() { guest_start "$@" && guest_wait; }

guest_has_marker() { tr -d '\r' <"$1" | grep -q "^QNET-$2\( \|$\)"; }

guest_marker() { # LOG MARKER: the rest of the first QNET-MARKER line
	tr -d '\r' <"$1" | sed -n "s/^QNET-$2\( \|$\)//p" | head -n1
}

guest_wait_marker() { # LOG MARKER SECONDS [PID]
	local deadline=$((SECONDS + $3)) pid=${4:-$GUEST_PID}
	until guest_has_marker "$1" "$2"; do
		if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
		# QEMU gone: one last look (it may have written the line and exited)
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			guest_has_marker "$1" "$2"; return
		fi
		sleep 0.1
	done
}

guest_lan() { # BR LEASEFILE
	local br=$1 leases=$2 net=${GUEST_LAN_GW%.*}
	ip link add "$br" type bridge forward_delay 0 || return 1
	ip addr add "$GUEST_LAN_GW/24" dev "$br" || return 1
	ip link set "$br" up || return 1
	# --bind-interfaces with --interface: DHCP on BR only (never the
	# host's other links); port=0: no DNS; runs as root for the lease file.
	/usr/sbin/dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --user=root \
		--interface="$br" --bind-interfaces --except-interface=lo --port=0 \
		--dhcp-range="$net.10,$net.100,255.255.255.0,1h" --dhcp-leasefile="$leases" \
		--dhcp-authoritative --log-dhcp --log-facility=- \
		>"$leases.log" 2>&1 &
	GUEST_DNSMASQ_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'DHCP, IP range' "$leases.log" 2>/dev/null && return 0
		kill -0 "$GUEST_DNSMASQ_PID" 2>/dev/null || break
		sleep 0.05
	done
	guest_die "dnsmasq did not start: $(cat "$leases.log")"
}

guest_release() { ip addr add "$1/32" dev "$2"; }

# A namespace "outside" the test's own, as the internet is to a NAT network:
# veth qout0 ($GUEST_OUTSIDE_HOST/24 and $GUEST_OUTSIDE_HOST6/64, here) <->
# qout1 ($GUEST_OUTSIDE_ADDR/24 and $GUEST_OUTSIDE_ADDR6/64, there), default
# routes here through it when there are none, and busybox httpd there on
# port 80 of both families: /cgi-bin/whoami answers "QNET-HTTP-FROM <client
# address>" (bare, without httpd's [] or ::ffff:), so a test sees whether
# the guest's traffic was masqueraded. GUEST_OUTSIDE_NS is the nsenter
# prefix to run more commands there.
guest_outside() { # [WEBROOT]
	local root=${1:-${T_TMP:?}/outside-www} self i
	mkdir -p "$root/cgi-bin" || return 1
	printf 'QNET-HTTP-OK\n' >"$root/index.html"
	# httpd on [::] reports IPv6 clients as [2001:db8::1] and IPv4 ones as
	# [::ffff:198.51.100.1]
	cat >"$root/cgi-bin/whoami" <<-'EOF'
	#!/bin/sh
	from=$(printf '%s' "$REMOTE_ADDR" | sed 's/^\[//; s/\]$//; s/^::ffff://')
	printf 'Content-Type: text/plain\r\n\r\nQNET-HTTP-FROM %s\n' "$from"
	EOF
	chmod 755 "$root/cgi-bin/whoami"
	unshare --net -- sleep 3600 &
	GUEST_OUTSIDE_PID=$!
	self=$(readlink /proc/self/ns/net)
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$GUEST_OUTSIDE_PID/ns/net" 2>/dev/null)" != "$self" ] && break
		sleep 0.02
	done
	GUEST_OUTSIDE_NS=(nsenter "--net=/proc/$GUEST_OUTSIDE_PID/ns/net" --)
	# nodad: the addresses are usable at once, not after a second of DAD
	if ! { ip link add qout0 type veth peer name qout1 &&
		ip link set qout1 netns "$GUEST_OUTSIDE_PID" &&
		# with an RA: the default route from it, but no SLAAC address
		# beside $GUEST_OUTSIDE_HOST6 (masquerade would pick either)
		{ [ "${GUEST_OUTSIDE_RA:-0}" != 1 ] || sysctl -qw net.ipv6.conf.qout0.autoconf=0; } &&
		ip addr add "$GUEST_OUTSIDE_HOST/24" dev qout0 &&
		ip addr add "$GUEST_OUTSIDE_HOST6/64" dev qout0 nodad &&
		ip link set qout0 up &&
		"${GUEST_OUTSIDE_NS[@]}" ip link set lo up &&
		"${GUEST_OUTSIDE_NS[@]}" ip addr add "$GUEST_OUTSIDE_ADDR/24" dev qout1 &&
		"${GUEST_OUTSIDE_NS[@]}" ip addr add "$GUEST_OUTSIDE_ADDR6/64" dev qout1 nodad &&
		"${GUEST_OUTSIDE_NS[@]}" ip link set qout1 up; }; then
		guest_die "outside namespace setup failed"; return 1
	fi
	if [ -z "$(ip -4 route show default)" ]; then
		ip route add default via "$GUEST_OUTSIDE_ADDR" dev qout0 || return 1
	fi
	if [ "${GUEST_OUTSIDE_RA:-0}" = 1 ]; then
		# A host whose uplink takes its IPv6 default route from the
		# router's advertisements (accept_ra=1, forwarding off): the
		# outside is that router, dnsmasq advertising its /64 there.
		"${GUEST_OUTSIDE_NS[@]}" /usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground \
			--pid-file= --user=root --port=0 --interface=qout1 --bind-interfaces \
			--enable-ra --dhcp-range=::,constructor:qout1,ra-only,64 \
			>"${T_TMP:?}/outside-ra.log" 2>&1 &
		GUEST_RA_PID=$!
		for ((i = 0; i < 300; i++)); do
			[ -n "$(ip -6 route show default dev qout0 proto ra)" ] && break
			kill -0 "$GUEST_RA_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$(ip -6 route show default dev qout0 proto ra)" ] ||
			{ guest_die "no IPv6 default route from the outside's RA: $(cat "$T_TMP/outside-ra.log")"; return 1; }
	elif [ -z "$(ip -6 route show default)" ]; then
		ip -6 route add default via "$GUEST_OUTSIDE_ADDR6" dev qout0 || return 1
	fi
	"${GUEST_OUTSIDE_NS[@]}" busybox httpd -f -p '[::]:80' -h "$root" &
	GUEST_HTTPD_PID=$!
	for ((i = 0; i < 100; i++)); do
		"${GUEST_OUTSIDE_NS[@]}" ss -Htln 2>/dev/null | grep -Eq ' (\*|\[::\]):80 ' && return 0
		sleep 0.05
	done
	guest_die "httpd in the outside namespace did not start"
}

# RFC 4291 2.5.1: the MAC with the universal/local bit flipped, ff:fe inside.
guest_eui64() {
	local m
	IFS=: read -ra m <<<"$1"
	printf '%02x%s:%sff:fe%s:%s%s\n' $((0x${m[0]} ^ 2)) "${m[1]}" "${m[2]}" "${m[3]}" "${m[4]}" "${m[5]}"
}

guest_ip6_full() {
	local a=${1%%/*} head tail i n out=''
	local -a h=() t=()
	case $a in
	*::*) head=${a%%::*} tail=${a#*::} ;;
	*) head=$a tail='' ;;
	esac
	[ -n "$head" ] && IFS=: read -ra h <<<"$head"
	[ -n "$tail" ] && IFS=: read -ra t <<<"$tail"
	n=$((8 - ${#h[@]} - ${#t[@]}))
	for i in ${h[@]+"${h[@]}"}; do out+=$(printf '%04x:' "0x$i"); done
	for ((i = 0; i < n; i++)); do out+='0000:'; done
	for i in ${t[@]+"${t[@]}"}; do out+=$(printf '%04x:' "0x$i"); done
	echo "${out%:}"
}

# Stops what this file started, by pid. QEMU gets SIGTERM first: it then
# exits normally and runs its downscript.
guest_cleanup() {
	local p i
	for p in ${GUEST_PIDS[@]+"${GUEST_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null || continue
		for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	GUEST_PID='' GUEST_PIDS=()
	for p in "$GUEST_HTTPD_PID" "$GUEST_RA_PID" "$GUEST_OUTSIDE_PID" "$GUEST_DNSMASQ_PID"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	GUEST_HTTPD_PID='' GUEST_RA_PID='' GUEST_OUTSIDE_PID='' GUEST_DNSMASQ_PID=
	return 0
}
