#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qnet check: every problem of qnet.conf and bridge.conf (includes too) with
# file:line; `check --user U --bridge B` gives the bridge helper's decision,
# proved by running the helper on the same files for the whole ACL corpus
# and for qnet.conf grants as an unprivileged user; usage errors exit 2.
. "$(dirname "$0")/../lib.sh"
t_netns "$@"
. "$(dirname "$0")/bridge-helper-lib.sh"

Q=$QNET_BUILD/helpers/qnet
CORPUS=$QNET_SRC/tests/acl-corpus
for tool in jq setcap; do
	command -v $tool >/dev/null || t_skip_all "$tool missing"
done
[ -x "$SETPRIV" ] || t_skip_all "setpriv missing"
# /etc/qemu of this namespace: the helper copies with file capabilities
# read only there (secure_getenv), and check reads the same files.
bh_etc_qemu || t_skip_all "cannot make a private /etc/qemu"
bh_copies || t_skip_all "cannot install setcap copies in $T_TMP"
E=$BH_ETC
O=$T_TMP/out
cd "$T_TMP" || exit 1
put() { printf '%b' "$2" >"$E/$1"; chown 0:0 "$E/$1"; chmod 644 "$E/$1"; }

# ---- usage ----
"$Q" --help >"$O" 2>"$O.err"
t_eq "qnet --help: exit 0, usage on stdout" "0 0" "$? $(wc -c <"$O.err")"
for cmd in check doctor status up down gc watch; do
	"$Q" "$cmd" --help >"$O" 2>&1
	t_eq "qnet $cmd --help: exit 0" 0 $?
	t_match "qnet $cmd --help: shows its usage" "^usage: qnet $cmd" "$(cat "$O")"
done
usage_exit() { local d=$1; shift; "$Q" "$@" >"$O" 2>"$O.err"; t_eq "$d: exit 2" 2 $?
	t_match "$d: usage on stderr" 'usage: qnet' "$(cat "$O.err")"; t_eq "$d: nothing on stdout" "" "$(cat "$O")"; }
usage_exit "no command" 
usage_exit "unknown command" frobnicate
usage_exit "unknown global option" --frob
usage_exit "check: unknown long option" check --frob
usage_exit "check: unknown short option" check -z
usage_exit "check: --user without argument" check --user
usage_exit "check: --user without --bridge" check --user root
usage_exit "check: an operand" check extra
usage_exit "doctor: unknown option" doctor --fix
usage_exit "status: unknown option" status --yaml
usage_exit "up: no network" up
usage_exit "up: two networks" up a b
usage_exit "down: unknown option" down --now default
usage_exit "gc: an operand" gc now
usage_exit "watch: an operand" watch now

# ---- diagnostics with file:line ----
put qnet.conf '[script]\nbridge = br0\n\n[network lab]\nsubnet = 10.1.0.0/33\nbogus = 1\n\n[bridge br0]\nisolated = maybe\n'
put bridge.conf 'allow br0\nalow br1\ninclude /etc/qemu/inc.conf\n'
put inc.conf '# included\ndeny\n'
"$Q" check >"$O" 2>"$O.err"
t_eq "bad files: exit 1" 1 $?
out=$(cat "$O")
t_match "qnet.conf: bad subnet at its line" "^/etc/qemu/qnet.conf:5: error: subnet" "$out"
t_match "qnet.conf: unknown key at its line" "^/etc/qemu/qnet.conf:6: error: unknown key 'bogus'" "$out"
t_match "qnet.conf: bad boolean at its line" "^/etc/qemu/qnet.conf:9: error: isolated" "$out"
t_match "bridge.conf: unknown command at its line" "^/etc/qemu/bridge.conf:2: error: .*alow" "$out"
t_match "an error inside an include names the included file and line" "^/etc/qemu/inc.conf:2: error: " "$out"
t_match "summary counts the errors" "[1-9][0-9]* errors" "$out"

put qnet.conf '[network lab]\nsubnet = 192.168.122.0/24\n'
put bridge.conf 'allow br0\n'
rm -f "$E/inc.conf"
"$Q" check >"$O" 2>&1
t_eq "warnings only: exit 0" 0 $?
t_match "libvirt's subnet is a warning at the network's line" \
	"^/etc/qemu/qnet.conf:1: warning: .*libvirt's default network 192.168.122.0/24" "$(cat "$O")"

# A deny-users/deny-groups name that resolves to nobody denies nobody: a
# warning at its line. Names that exist and decimal ids are fine.
put qnet.conf '[bridge br0]\nallow-groups = audio\ndeny-users = nobody no-such-user-qnet 4242\ndeny-groups = daemon,no-such-group-qnet 4243\ndeny-users = nobdy\nfilter = yes\n'
t_check "no-such-user-qnet and no-such-group-qnet really do not exist (getent)" \
	bash -c '! getent passwd no-such-user-qnet nobdy && ! getent group no-such-group-qnet'
"$Q" check >"$O" 2>&1
t_eq "unresolvable deny names: warnings only, exit 0" 0 $?
out=$(cat "$O")
t_match "deny-users name that is no user: a warning at its line" \
	"^/etc/qemu/qnet.conf:3: warning: \[bridge br0\]: deny-users no-such-user-qnet: no such user: this entry denies nobody$" "$out"
t_match "deny-groups name that is no group: a warning at its line" \
	"^/etc/qemu/qnet.conf:4: warning: \[bridge br0\]: deny-groups no-such-group-qnet: no such group" "$out"
t_match "a second deny-users line: its own line" \
	"^/etc/qemu/qnet.conf:5: warning: \[bridge br0\]: deny-users nobdy: no such user" "$out"
t_eq "existing names and decimal ids are not reported (nobody, daemon, 4242, 4243, audio)" "" \
	"$(grep -E 'deny-(users|groups) (nobody|daemon|4242|4243)|audio' "$O")"
t_match "... and the summary counts three warnings" "0 errors, 3 warnings$" "$out"

# ---- guests of helper users that can impersonate each other (issue 14) ----
# A bridge the helper opens to users while its ports are unfiltered: one
# warning at the line that opens it, naming the bridge (and its network),
# saying what a guest can do and what fixes it. The exit status is unchanged.
UNFILTERED="the bridge helper lets users attach guests without filtering, so its guests can impersonate each other; set filter = yes$"
check_warns() { # DESCRIPTION QNET.CONF BRIDGE.CONF EXPECTED-LINE-OR-EMPTY
	put qnet.conf "$2"; put bridge.conf "$3"
	"$Q" check >"$O" 2>&1
	t_eq "$1: exit 0" 0 $?
	if [ -n "$4" ]; then
		t_match "$1: warned" "$4" "$(cat "$O")"
		t_eq "$1: once" 1 "$(grep -c 'impersonate' "$O")"
	else
		t_eq "$1: no warning" "" "$(grep 'impersonate' "$O")"
	fi
}
check_warns "a plain bridge's grant allows users, filter unset" '[bridge br5]\nallow-users = nobody\n' '' \
	"^/etc/qemu/qnet.conf:1: warning: bridge br5: $UNFILTERED"
check_warns "the same grant with filter = yes" '[bridge br5]\nallow-users = nobody\nfilter = yes\n' '' ''
check_warns "a grant with filter-users only: still unfiltered for the others" \
	'[bridge br5]\nallow-groups = daemon\nfilter-users = nobody\n' '' "^/etc/qemu/qnet.conf:1: warning: bridge br5: "
check_warns "a grant that allows no one (deny-users only)" '[bridge br5]\ndeny-users = nobody\n' '' ''
check_warns "a grant whose bridge bridge.conf denies to all" '[bridge br5]\nallow-users = nobody\n' 'deny all\n' ''
check_warns "a network with filter = no, its bridge granted to a group" \
	'[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\n\n[bridge qnet-lab]\nallow-groups = daemon\n' '' \
	"^/etc/qemu/qnet.conf:5: warning: bridge qnet-lab \(network lab\): $UNFILTERED"
check_warns "a network with filter = no whose bridge's grant says filter = yes" \
	'[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\n\n[bridge qnet-lab]\nallow-groups = daemon\nfilter = yes\n' '' ''
check_warns "a network filtered by default, its bridge granted" \
	'[network lab]\nsubnet = 10.1.0.0/24\n\n[bridge qnet-lab]\nallow-groups = daemon\n' '' ''
check_warns "a network with filter = no that bridge.conf's allow all opens, no grant" \
	'[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\n' 'allow all\n' \
	"^/etc/qemu/qnet.conf:1: warning: bridge qnet-lab \(network lab\): $UNFILTERED"
check_warns "the default network with filter = no that bridge.conf allows by name" \
	'# the default network\n[network default]\nfilter = no\n' 'allow qnetbr0\n' \
	"^/etc/qemu/qnet.conf:2: warning: bridge qnetbr0 \(network default\): $UNFILTERED"
check_warns "a network with filter = no nobody is allowed onto" '[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\n' \
	'allow br0\n' ''
check_warns "a network with filter = no, and a grant that allows no one" \
	'[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\n[bridge qnet-lab]\nisolated = yes\n' '' ''
put qnet.conf '[network lab]\nsubnet = 10.1.0.0/24\nfilter = no\nrate = 1000\n[bridge qnet-lab]\nallow-users = nobody\nrate-in = 1 gbit\n[port tap0]\nmac = 52:54:00:00:00:01\n'
"$Q" check >"$O" 2>&1
t_eq "a rate with a blank: an error, exit 1" 1 $?
t_match "... at its line" "^/etc/qemu/qnet.conf:7: error: rate-in: '1 gbit' is not a rate" "$(cat "$O")"
t_eq "a file with errors is not judged further (no filtering warning)" "" "$(grep 'impersonate' "$O")"
put bridge.conf 'allow br0\n'
put qnet.conf '[network lab]\nsubnet = 192.168.122.0/24\n'

chmod 666 "$E/bridge.conf"
"$Q" check >"$O" 2>&1
t_eq "world-writable bridge.conf: exit 1" 1 $?
t_match "world-writable bridge.conf: said so" "^/etc/qemu/bridge.conf: error: is writable by group or others" "$(cat "$O")"
chmod 644 "$E/bridge.conf"
rm -f "$E/bridge.conf"
"$Q" check >"$O" 2>&1
t_match "absent bridge.conf is a warning" "^/etc/qemu/bridge.conf: warning: absent" "$(cat "$O")"

# ---- check --user/--bridge agrees with the helper on the corpus ----
read -r -a bridges < <(sed -n 's/^bridges //p' "$CORPUS/expected")
for b in "${bridges[@]}"; do bh_bridge "$b"; done
for f in "$CORPUS"/inc-*.conf; do
	sed "s|@DIR@|/etc/qemu|g" "$f" >"$E/$(basename "$f")"
done
rm -f "$E/qnet.conf"
# A or D from the helper itself; E for anything that is not an ACL verdict.
helper_says() {
	bh_run "$O" "$@"
	case "$(bh_get "$O" status)/$(bh_get "$O" received)" in
	0/1) echo A ;;
	1/0) if grep -q 'denied' "$O.err"; then echo D; else echo E; fi ;;
	*) echo E ;;
	esac
}
check_says() { if "$Q" check "$@" >"$O.check" 2>&1; then echo A; else echo D; fi; }
cases=0 disagree=0 wrong=0
while read -r name _ ours_want _; do
	case "$name" in ''|'#'*|bridges) continue ;; esac
	sed "s|@DIR@|/etc/qemu|g" "$CORPUS/$name.conf" >"$E/bridge.conf"
	helper= check=
	for b in "${bridges[@]}"; do
		helper+=$(helper_says "$BH" --br="$b" --fd=@FD@)
		check+=$(check_says --user root --bridge "$b")
	done
	cases=$((cases + 1))
	if [ "$helper" != "$check" ]; then
		disagree=$((disagree + 1)); t_diag "$name: helper $helper, check $check"
	fi
	[ "$check" != "$ours_want" ] && { wrong=$((wrong + 1)); t_diag "$name: check $check, table $ours_want"; }
done <"$CORPUS/expected"
t_check "the corpus was read ($cases cases)" [ "$cases" -ge 40 ]
t_eq "check --user root agrees with the helper on every corpus case and bridge" 0 "$disagree"
t_eq "check --user root gives the corpus table's decisions" 0 "$wrong"

put bridge.conf '# comment\nallow br0\ndeny br1\n'
check_says --user root --bridge br0 >/dev/null
t_match "allowed: the deciding rule with file:line" \
	"user root, bridge br0: allowed by /etc/qemu/bridge.conf:2 \(allow br0\)$" "$(cat "$O.check")"
check_says --user root --bridge br1 >/dev/null
t_match "denied: the deciding rule with file:line" \
	"user root, bridge br1: denied by /etc/qemu/bridge.conf:3 \(deny br1\)$" "$(cat "$O.check")"

# An alternative name is judged as the helper judges it: both names.
ip link property add dev br0 altname lan0
put bridge.conf 'allow all\ndeny br0\n'
check_says --user root --bridge lan0 >/dev/null
t_match "check --bridge ALTNAME names the bridge and decides as the helper" \
	"user root, bridge lan0 \(an alternative name of br0\): denied: lan0 is an alternative name of bridge br0, and the rules judge them differently: denied by /etc/qemu/bridge.conf:2 \(deny br0\)$" \
	"$(cat "$O.check")"
t_eq "check --bridge ALTNAME agrees with the helper" "$(helper_says "$BH" --br=lan0 --fd=@FD@)" \
	"$(check_says --user root --bridge lan0)"
ip link property del dev br0 altname lan0

# ---- qnet.conf grants and file permissions, as an unprivileged user ----
as_user() { echo "$SETPRIV" --reuid="$1" --regid="$2" --init-groups --; }
daemon_gid=$(id -g daemon)
put bridge.conf 'allow br0\n'
put qnet.conf '[bridge br1]\nallow-groups = daemon\n\n[bridge br0]\ndeny-users = nobody\n'
for u in daemon:1:$daemon_gid nobody:$NOBODY:$(id -g nobody); do
	IFS=: read -r name uid gid <<<"$u"
	for b in br0 br1 virbr0; do
		t_eq "$name on $b: check agrees with the cap_net_admin helper run as $name" \
			"$(helper_says $(as_user "$uid" "$gid") "$BH_BIN/helper-cap" --br="$b" --fd=@FD@)" \
			"$(check_says --user "$name" --bridge "$b")"
	done
done
check_says --user daemon --bridge br1 >/dev/null
t_match "a grant decides with qnet.conf's file:line" \
	"allowed by /etc/qemu/qnet.conf:1 \(allow-groups daemon\)" "$(cat "$O.check")"
check_says --user nobody --bridge br0 >/dev/null
t_match "a deny grant wins over bridge.conf's allow" \
	"denied by /etc/qemu/qnet.conf:4 \(deny-users nobody\)" "$(cat "$O.check")"
check_says --user "$NOBODY" --bridge br0 >/dev/null
t_match "a numeric uid is looked up" "user $NOBODY, bridge br0: denied by /etc/qemu/qnet.conf:4" "$(cat "$O.check")"

# root can read a 0600 bridge.conf, daemon cannot: check reads it as the user.
chmod 600 "$E/bridge.conf"
t_eq "root-only bridge.conf: the helper denies daemon" D \
	"$(helper_says $(as_user 1 "$daemon_gid") "$BH_BIN/helper-cap" --br=br1 --fd=@FD@)"
t_eq "root-only bridge.conf: check denies daemon too (reads it with daemon's ids)" D \
	"$(check_says --user daemon --bridge br1)"
t_match "... and says why" "denied: /etc/qemu/bridge.conf: Permission denied" "$(cat "$O.check")"
chmod 644 "$E/bridge.conf"

install -m 0755 "$Q" "$BH_BIN/qnet"
"$SETPRIV" --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$BH_BIN/qnet" check --user root --bridge br0 >"$O" 2>&1
t_match "not root, asking about another user: says the files were not read with that user's ids" \
	"user root, bridge br0: .*files read with qnet's ids, not the user's" "$(cat "$O")"

"$Q" check --user no-such-user-qnet --bridge br0 >"$O" 2>"$O.err"
t_eq "unknown user: exit 1" 1 $?
t_match "unknown user: said so" "no such user" "$(cat "$O.err")"
t_done
