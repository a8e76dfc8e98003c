# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh's report: the results (one object per section and candidate,
# from bench-spawn) and each target (issue 9's, and the dual-stack cold
# bring-up's, issue 14's filter costs) as met or not. Ratios use medians of
# one interleaved run. Throughput rows (iperf3, not bench-spawn) carry each
# round's goodput in bits/s, sorted; their median is added here.
def m($s; $n; $f): (map(select(.section == $s and .name == $n)) | first | .[$f]) // null;
def ratio($a; $b): if ($a == null or $b == null or $b == 0) then null else $a / $b end;
def target($name; $value; $op; $limit):
  {name: $name, value: $value, op: $op, limit: $limit,
   met: (if $value == null then false elif $op == "<=" then $value <= $limit else $value >= $limit end)};
# What filtering adds to SECTION's median FIELD, in ms.
def added($s; $f): ((m($s; "filtered"; $f) // 0) - (m($s; "unfiltered"; $f) // 0)) / 1000;
def median: if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
map(if .section == "throughput" then . + {bps_median: (.bps | median)} else . end)
| . as $r
| ($r | map(.section) | map(select(startswith("scale-"))) | unique
   | sort_by(ltrimstr("scale-") | tonumber)) as $scales
| {
  machine: $machine,
  quick: $quick,
  results: $r,
  targets: [
    target("helper wall: ours / QEMU's"; ratio(m("helper"; "ours"; "wall_median_us"); m("helper"; "qemu"; "wall_median_us")); "<="; 1.0),
    target("helper CPU: ours / QEMU's"; ratio(m("helper"; "ours"; "cpu_median_us"); m("helper"; "qemu"; "cpu_median_us")); "<="; 1.0),
    target("helper peak RSS: ours / QEMU's"; ratio(m("helper"; "ours"; "maxrss_kb"); m("helper"; "qemu"; "maxrss_kb")); "<="; 1.0),
    target("helper wall: ours / kernel floor"; ratio(m("helper"; "ours"; "wall_median_us"); m("helper"; "floor"; "wall_median_us")); "<="; 1.2),
    target("qemu-ifup: Debian's / ours"; ratio(m("ifup"; "debian"; "wall_median_us"); m("ifup"; "ours"; "wall_median_us")); ">="; 3),
    target("qemu-ifup: ours / spawn floor"; ratio(m("ifup"; "ours"; "wall_median_us"); m("ifup"; "floor"; "wall_median_us")); "<="; 1.3),
    target("qemu-ifup beyond the spawn floor: Debian's / ours";
      ratio(m("ifup"; "debian"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us");
            m("ifup"; "ours"; "wall_median_us") - m("ifup"; "floor"; "wall_median_us")); ">="; 20),
    target("attach with \($scales[-1] | ltrimstr("scale-")) : \($scales[0] | ltrimstr("scale-")) other links";
      ratio(m($scales[-1]; "ours"; "wall_median_us"); m($scales[0]; "ours"; "wall_median_us")); "<="; 1.2),
    target("NAT warm attach / plain qemu-ifup"; ratio(m("nat-warm"; "warm"; "wall_median_us"); m("nat-warm"; "ifup"; "wall_median_us")); "<="; 1.5),
    target("NAT cold bring-up: dual-stack / IPv4-only"; ratio(m("nat-cold"; "cold"; "wall_median_us"); m("nat-cold"; "cold-ipv4"; "wall_median_us")); "<="; 1.3),
    target("NAT warm attach: filtered / unfiltered"; ratio(m("filter-nat"; "filtered"; "wall_median_us"); m("filter-nat"; "unfiltered"; "wall_median_us")); "<="; 1.3),
    target("qemu-ifup attach: filtered / unfiltered"; ratio(m("filter-ifup"; "filtered"; "wall_median_us"); m("filter-ifup"; "unfiltered"; "wall_median_us")); "<="; 1.3),
    target("NAT throughput: filtered / unfiltered"; ratio(m("throughput"; "filtered"; "bps_median"); m("throughput"; "unfiltered"; "bps_median")); ">="; 0.9)
  ],
  info: {
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
    scale_beyond_floor_ratio: ratio(m($scales[-1]; "ours"; "wall_median_us") - m($scales[-1]; "floor"; "wall_median_us");
                                    m($scales[0]; "ours"; "wall_median_us") - m($scales[0]; "floor"; "wall_median_us"))
  }
}
