# SPDX-License-Identifier: GPL-2.0-or-later
# bench/run.sh's report: the results (one object per section and candidate,
# from bench-spawn) and each target (issue 9's, and the dual-stack cold
# bring-up's) as met or not. Ratios use
# medians of one interleaved run.
def m($s; $n; $f): (map(select(.section == $s and .name == $n)) | first | .[$f]) // null;
def ratio($a; $b): if ($a == null or $b == null or $b == 0) then null else $a / $b end;
def target($name; $value; $op; $limit):
  {name: $name, value: $value, op: $op, limit: $limit,
   met: (if $value == null then false elif $op == "<=" then $value <= $limit else $value >= $limit end)};
. as $r
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
    target("NAT cold bring-up: dual-stack / IPv4-only"; ratio(m("nat-cold"; "cold"; "wall_median_us"); m("nat-cold"; "cold-ipv4"; "wall_median_us")); "<="; 1.3)
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
    scale_beyond_floor_ratio: ratio(m($scales[-1]; "ours"; "wall_median_us") - m($scales[-1]; "floor"; "wall_median_us");
                                    m($scales[0]; "ours"; "wall_median_us") - m($scales[0]; "floor"; "wall_median_us"))
  }
}
