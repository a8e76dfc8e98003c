#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian packages (qnet, qnet-qemu-defaults) from a copy of the
# working tree, so that the package build never writes into the tree (no
# debian/ dir, no build dir).
# Usage: tools/build-deb.sh [OUTDIR]   (default: ./build-deb)
# Prints the path of each .deb, one a line, qnet's last. Set DEB_BUILD_OPTIONS to
# change parallelism or to skip the unit tests (nocheck).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$src/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dh meson scdoc; do
	command -v "$tool" >/dev/null || {
		echo "build-deb.sh: $tool missing (tools/deps.sh test installs it)" >&2
		exit 1
	}
done

version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
work=$(mktemp -d /tmp/qnet-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree=$work/qnet-$version
mkdir "$tree"

# Everything but build directories, VCS data and earlier package output.
find "$src" -mindepth 1 -maxdepth 1 \
	! -name '.git' ! -name 'build' ! -name 'build-*' ! -name 'debian' \
	-exec cp -a -t "$tree" {} +
cp -a "$src/packaging/debian" "$tree/debian"

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=1}
(cd "$tree" && dpkg-buildpackage -us -uc -b) >&2

debs=("$work"/qnet-qemu-defaults_"$version"_*.deb "$work"/qnet_"$version"_*.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || { echo "build-deb.sh: dpkg-buildpackage made no $(basename "$d")" >&2; exit 1; }
done
cp -f "${debs[@]}" "$out/"
for d in "${debs[@]}"; do echo "$out/$(basename "$d")"; done
