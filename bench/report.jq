# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh's report: the results (one object per section and candidate,
# from bench-spawn) and each target (issue 9's, and the dual-stack cold
# bring-up's, issue 14's filter costs, issue 18's scale and peer) as met or
# not. Ratios use medians of one interleaved run. Throughput rows (iperf3,
# not bench-spawn) carry each round's goodput in bits/s, sorted; their
# median is added here. $params has the sizes run.sh measured.
#
# A target whose both sides are short programs started as QEMU starts
# them depends on what a process start costs on this machine: a slow
# spawn floor makes every such ratio look better. Those targets carry
# "beyond": the work past their section's floor candidate (median minus
# the floor's, in ms) for both sides, that ratio, the measured side over
# the floor, and its work beyond the floor as a share of the reference's
# (Debian's /etc/qemu-ifup, for the bridge helper QEMU's helper).
def m($s; $n; $f): (map(select(.section == $s and .name == $n)) | first | .[$f]) // null;
def ratio($a; $b): if ($a == null or $b == null or $b == 0) then null else $a / $b end;
def target($name; $value; $op; $limit):
  {name: $name, value: $value, op: $op, limit: $limit,
   met: (if $value == null then false elif $op == "<=" then $value <= $limit else $value >= $limit end)};
# What filtering adds to SECTION's median FIELD, in ms.
def added($s; $f): ((m($s; "filtered"; $f) // 0) - (m($s; "unfiltered"; $f) // 0)) / 1000;
def ms($s; $n): (m($s; $n; "wall_median_us") // null) | if . == null then null else . / 1000 end;
def less($a; $b): if ($a == null or $b == null) then null else $a - $b end;
# beyond(SECTION; NAME; FLOOR; BASE-SECTION; BASE-NAME; BASE-FLOOR; REF-MS):
# NAME's work beyond FLOOR against BASE-NAME's beyond BASE-FLOOR (null
# BASE-NAME: the floor is what NAME is compared with).
def beyond($s; $n; $f; $bs; $bn; $bf; $ref):
  less(ms($s; $n); ms($s; $f)) as $x
  | (if $bn == null then null else less(ms($bs; $bn); ms($bs; $bf)) end) as $y
  | {floor_ms: ms($s; $f), ms: $x, base_ms: $y, ratio: ratio($x; $y), over_floor: ratio(ms($s; $n); ms($s; $f)),
     of_reference: ratio($x; $ref)};
def median: if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
map(if .section == "throughput" or .section == "overlay" then . + {bps_median: (.bps | median)} else . end)
| . as $r
| less(ms("ifup"; "debian"); ms("ifup"; "floor")) as $debian
| less(ms("helper"; "qemu"); ms("helper"; "floor")) as $qemu
| ($r | map(.section) | map(select(startswith("scale-"))) | unique
   | sort_by(ltrimstr("scale-") | tonumber)) as $scales
| {
  machine: $machine,
  quick: $quick,
  results: $r,
  targets: [
    target("helper wall: ours / QEMU's"; ratio(m("helper"; "ours"; "wall_median_us"); m("helper"; "qemu"; "wall_median_us")); "<="; 1.0)
      + {beyond: beyond("helper"; "ours"; "floor"; "helper"; "qemu"; "floor"; $qemu)},
    target("helper CPU: ours / QEMU's"; ratio(m("helper"; "ours"; "cpu_median_us"); m("helper"; "qemu"; "cpu_median_us")); "<="; 1.0),
    target("helper peak RSS: ours / QEMU's"; ratio(m("helper"; "ours"; "maxrss_kb"); m("helper"; "qemu"; "maxrss_kb")); "<="; 1.0),
    target("helper wall: ours / kernel floor"; ratio(m("helper"; "ours"; "wall_median_us"); m("helper"; "floor"; "wall_median_us")); "<="; 1.2)
      + {beyond: beyond("helper"; "ours"; "floor"; "helper"; null; null; $qemu)},
    target("qemu-ifup: Debian's / ours"; ratio(m("ifup"; "debian"; "wall_median_us"); m("ifup"; "ours"; "wall_median_us")); ">="; 3)
      + {beyond: beyond("ifup"; "ours"; "floor"; "ifup"; "debian"; "floor"; $debian)},
    target("qemu-ifup: ours / spawn floor"; ratio(m("ifup"; "ours"; "wall_median_us"); m("ifup"; "floor"; "wall_median_us")); "<="; 1.3)
      + {beyond: beyond("ifup"; "ours"; "floor"; "ifup"; null; null; $debian)},
    target("qemu-ifup beyond the spawn floor: Debian's / ours";
      ratio(m("ifup"; "debian"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us");
            m("ifup"; "ours"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")); ">="; 20),
    target("attach with \($scales[-1] | ltrimstr("scale-")) : \($scales[0] | ltrimstr("scale-")) other links";
      ratio(m($scales[-1]; "ours"; "wall_median_us"); m($scales[0]; "ours"; "wall_median_us")); "<="; 1.2)
      + {beyond: beyond($scales[-1]; "ours"; "floor"; $scales[0]; "ours"; "floor"; $debian)},
    target("attach with \($params.routes) : 0 routes in the main table";
      ratio(m("routes"; "ours-routes"; "wall_median_us"); m("routes"; "ours-none"; "wall_median_us")); "<="; 1.2)
      + {beyond: beyond("routes"; "ours-routes"; "floor-routes"; "routes"; "ours-none"; "floor-none"; $debian)},
    target("NAT warm attach with \($params.nets) : 1 networks up";
      ratio(m("nets"; "warm-many"; "wall_median_us"); m("nets"; "warm-one"; "wall_median_us")); "<="; 1.2)
      + {beyond: beyond("nets"; "warm-many"; "floor-many"; "nets"; "warm-one"; "floor-one"; $debian)},
    target("NAT cold bring-up with \($params.forwards) : 1 forwards";
      ratio(m("forwards"; "many"; "wall_median_us"); m("forwards"; "one"; "wall_median_us")); "<="; 1.5),
    target("\($params.crowd) guests at once: attaches failed"; (m("crowd"; "concurrent"; "failed") // null); "<="; 0),
    target("\($params.crowd) guests at once / one after another, wall";
      ratio(m("crowd"; "concurrent"; "wall_median_us"); m("crowd"; "sequential"; "wall_median_us")); "<="; 1.0),
    target("NAT bring-up, \($params.forwards) forwards: qnet / netavark, wall";
      ratio(m("peer-n"; "qnet"; "wall_median_us"); m("peer-n"; "netavark"; "wall_median_us")); "<="; 0.5),
    target("NAT warm attach / plain qemu-ifup"; ratio(m("nat-warm"; "warm"; "wall_median_us"); m("nat-warm"; "ifup"; "wall_median_us")); "<="; 1.5)
      + {beyond: beyond("nat-warm"; "warm"; "floor"; "nat-warm"; "ifup"; "floor"; $debian)},
    target("NAT cold bring-up: dual-stack / IPv4-only"; ratio(m("nat-cold"; "cold"; "wall_median_us"); m("nat-cold"; "cold-ipv4"; "wall_median_us")); "<="; 1.3),
    target("NAT warm attach: filtered / unfiltered"; ratio(m("filter-nat"; "filtered"; "wall_median_us"); m("filter-nat"; "unfiltered"; "wall_median_us")); "<="; 1.3)
      + {beyond: beyond("filter-nat"; "filtered"; "floor"; "filter-nat"; "unfiltered"; "floor"; $debian)},
    target("qemu-ifup attach: filtered / unfiltered"; ratio(m("filter-ifup"; "filtered"; "wall_median_us"); m("filter-ifup"; "unfiltered"; "wall_median_us")); "<="; 1.3)
      + {beyond: beyond("filter-ifup"; "filtered"; "floor"; "filter-ifup"; "unfiltered"; "floor"; $debian)},
    target("NAT throughput: filtered / unfiltered"; ratio(m("throughput"; "filtered"; "bps_median"); m("throughput"; "unfiltered"; "bps_median")); ">="; 0.9)
  ],
  params: $params,
  info: {
    peer: ([$r[] | select(.section == "peer-1" or .section == "peer-n")
            | {key: "\(.section)/\(.name)", value: {wall_ms: (.wall_median_us / 1000), cpu_ms: (.cpu_median_us / 1000), maxrss_kb: .maxrss_kb}}]
           | from_entries),
    spawn_floor_ms: ms("ifup"; "floor"),
    debian_beyond_floor_ms: $debian,
    ifup_ms_beyond_floor: {
      start: ((m("ifup"; "start"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")) / 1000),
      ours: ((m("ifup"; "ours"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")) / 1000),
      debian: ((m("ifup"; "debian"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")) / 1000),
      tutorial: ((m("ifup"; "tutorial"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")) / 1000)
    },
    nat_cold_ms: ((m("nat-cold"; "cold"; "wall_median_us") // 0) / 1000),
    nat_cold_ipv4_ms: ((m("nat-cold"; "cold-ipv4"; "wall_median_us") // 0) / 1000),
    nat_cold_over_ifup: ratio(m("nat-cold"; "cold"; "wall_median_us"); m("nat-cold"; "ifup"; "wall_median_us")),
    nat_warm_ms: ((m("nat-warm"; "warm"; "wall_median_us") // 0) / 1000),
    filter_ms_added: {
      nat: {wall: added("filter-nat"; "wall_median_us"), cpu: added("filter-nat"; "cpu_median_us")},
      ifup: {wall: added("filter-ifup"; "wall_median_us"), cpu: added("filter-ifup"; "cpu_median_us")}
    },
    throughput_gbit: {
      filtered: ((m("throughput"; "filtered"; "bps_median") // 0) / 1e9),
      unfiltered: ((m("throughput"; "unfiltered"; "bps_median") // 0) / 1e9)
    },
    overlay_gbit: {
      one_host: ((m("overlay"; "one-host"; "bps_median") // 0) / 1e9),
      two_hosts: ((m("overlay"; "two-hosts"; "bps_median") // 0) / 1e9)
    },
    overlay_two_hosts_over_one: ratio(m("overlay"; "two-hosts"; "bps_median"); m("overlay"; "one-host"; "bps_median")),
    scale_beyond_floor_ratio: ratio(m($scales[-1]; "ours"; "wall_median_us") - m($scales[-1]; "floor"; "wall_median_us");
                                    m($scales[0]; "ours"; "wall_median_us") - m($scales[0]; "floor"; "wall_median_us"))
  }
}
