#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages qnet needs. Usage: tools/deps.sh build|test|demo
# Only runs apt-get for packages that are missing, so a second run is instant.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev
	libnl-3-dev libinih-dev libcap-ng-dev libnftables-dev libsystemd-dev)
run_pkgs=(iproute2 nftables libnftables1 dnsmasq-base util-linux libcap2-bin procps jq kmod)
guest_pkgs=(qemu-system-x86 ipxe-qemu linux-image-amd64 busybox-static cpio xz-utils zstd)
test_pkgs=(clang libclang-rt-14-dev clang-tools-14 cppcheck iptables bridge-utils
	scdoc debhelper dpkg-dev fakeroot lintian rpm file psmisc strace man-db git socat
	isc-dhcp-client iperf3 docker.io iputils-arping iputils-ping radvd python3-scapy firewalld dbus-daemon
	qemu-system-common systemd systemd-container netavark)

case "${1:-test}" in
build) want=("${build_pkgs[@]}") ;;
demo) want=("${build_pkgs[@]}" "${run_pkgs[@]}" "${guest_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${run_pkgs[@]}" "${guest_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "deps.sh: unknown mode '$1' (build, test or demo)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# docker.io's and firewalld's postinsts start their services (invoke-rc.d
# where systemd is not PID 1, as in CI's containers): a dockerd on the
# host would set its FORWARD policy to DROP, a firewalld reject what its
# zones do not allow. The tests run their own dockerd and
# firewalld in namespaces (tests/integration/docker-dockerd.sh,
# firewalld.sh), so for this install
# policy-rc.d denies every start, unless the machine already has one.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tools/deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
for i in 1 2 3; do apt-get update -q && break; sleep $((i * 5)); done
apt-get install -y -q --no-install-recommends "${missing[@]}"
