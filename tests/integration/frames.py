#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crafted Ethernet frames for the tenant tests, built with scapy.

Usage: frames.py (--iface IF | --fd N) [--count N] [--interval S]
                 [--duration S] EXPR...

Each EXPR is a scapy expression (Ether(src=...)/ARP(...)), built once.
The frames are sent in the order given, COUNT times over (default 1),
INTERVAL seconds apart (default 0.05); --duration stops earlier once that
many seconds have passed. --iface sends them out of IF with a packet
socket (what a guest's kernel puts on its wire); --fd writes them to an
open TAP file descriptor (what QEMU does with a guest's frames).

A failed send (the link is down, or gone and not yet back) is counted,
not fatal: a flood keeps going while a port is being attached. Prints
"sent=N errors=M" at the end. This must run under Debian's
/usr/bin/python3 (python3-scapy), not whatever python3 is first on PATH.
"""
import argparse
import os
import socket
import sys
import time

from scapy.all import (ARP, Dot1Q, Ether, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS,  # noqa: F401
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptUnknown, IP,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, UDP, BOOTP, DHCP, Raw, raw)


def main():
    ap = argparse.ArgumentParser()
    dest = ap.add_mutually_exclusive_group(required=True)
    dest.add_argument("--iface")
    dest.add_argument("--fd", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("exprs", nargs="+")
    a = ap.parse_args()

    frames = [raw(eval(e)) for e in a.exprs]  # the test's own expressions
    sock = None
    sent = errors = 0
    start = time.monotonic()
    for _ in range(a.count):
        for f in frames:
            try:
                if a.fd is not None:
                    os.write(a.fd, f)
                else:
                    if sock is None:
                        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                        sock.bind((a.iface, 0))
                    sock.send(f)
                sent += 1
            except OSError:
                errors += 1
                if sock is not None:
                    sock.close()
                    sock = None
        if a.duration and time.monotonic() - start >= a.duration:
            break
        time.sleep(a.interval)
    print(f"sent={sent} errors={errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
