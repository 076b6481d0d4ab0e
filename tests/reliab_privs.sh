#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: privileges.  `trace --user NAME|UID` runs the command with that
# user's uid/gid/groups and no capabilities; without --user the command has
# exactly the caller's credentials and capabilities and no inherited BPF fds;
# unprivileged (setpriv to nobody) `trace` and `doctor` say what is needed,
# `run` works.
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-$PWD/${OUT:-build}/corolab}
[ -x "$COROLAB" ] || { echo "skip: $COROLAB not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: not root (needs to trace and to switch users)"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: needs setpriv (util-linux)"; exit 77; }
work=$(mktemp -d /tmp/reliab-priv.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 1777 "$work"	# nobody writes its run JSON here
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# The trace summary goes to stdout: probes write to a file instead.
probe='{ grep -E "^(Uid|Gid|Groups|CapEff|CapPrm|CapAmb):" /proc/self/status; ls -l /proc/self/fd/ | grep -c "anon_inode:bpf" || true; } >"$0"'
traced() { rm -f "$work/p"; "$COROLAB" trace "$@" >/dev/null 2>&1; cat "$work/p" 2>/dev/null; }

# 1. --user by name: uid/gid/groups of nobody, no capabilities.
out=$(traced --user nobody -- sh -c "$probe" "$work/p")
echo "$out" | grep -q "^Uid:[[:space:]]*65534[[:space:]]65534[[:space:]]65534[[:space:]]65534" || bad "--user nobody: uid: $out"
echo "$out" | grep -q "^Gid:[[:space:]]*65534[[:space:]]" || bad "--user nobody: gid"
echo "$out" | grep -q "^CapEff:[[:space:]]*0000000000000000" || bad "--user nobody keeps capabilities"
echo "$out" | grep -q "^CapPrm:[[:space:]]*0000000000000000" || bad "--user nobody keeps permitted capabilities"
echo "$out" | grep -q "^Groups:.*\b0\b" && bad "--user nobody keeps root's group"
# 2. --user by bare uid without a passwd entry: gid = uid, no groups.
out=$(traced --user 4242 -- sh -c 'id >"$0"' "$work/p")
[ "$out" = "uid=4242 gid=4242 groups=4242" ] || bad "--user 4242: '$out'"
# 3. bad --user / -p with --user: usage errors.
"$COROLAB" trace --user no-such-user-xyz -- true >/dev/null 2>"$work/e"; rc=$?
[ $rc -eq 2 ] && grep -q "no such user" "$work/e" || bad "--user unknown: exit $rc, $(cat "$work/e")"
"$COROLAB" trace --user nobody -p 1 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "--user with -p: exit $rc"
# 4. Without --user: the caller's credentials, no more capabilities than it
# has, none of the tracer's BPF descriptors.
mine=$(grep -E "^(Uid|Gid|CapEff|CapPrm|CapAmb):" /proc/self/status)
out=$(traced -- sh -c "$probe" "$work/p")
[ "$(echo "$out" | grep -E "^(Uid|Gid|CapEff|CapPrm|CapAmb):")" = "$mine" ] || bad "traced command credentials differ from the caller's: $out"
[ "$(echo "$out" | tail -n1)" = 0 ] || bad "traced command inherited BPF descriptors"
# A caller with fewer capabilities (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN kept,
# the rest dropped): the command gets no more than that.
rm -f "$work/p"
setpriv --inh-caps=-all --bounding-set=-all,+bpf,+perfmon,+sys_admin,+sys_resource,+dac_override \
	"$COROLAB" trace -- sh -c 'grep -E "^CapBnd:" /proc/self/status >"$0"' "$work/p" >/dev/null 2>&1
lim=$(cat "$work/p" 2>/dev/null)
if [ -n "$lim" ]; then
	[ "$lim" = "$(setpriv --bounding-set=-all,+bpf,+perfmon,+sys_admin,+sys_resource,+dac_override grep -E '^CapBnd:' /proc/self/status)" ] ||
		bad "traced command widened the bounding set: $lim"
fi
# 5. Unprivileged: clear messages, run works.
cp "$COROLAB" "$work/corolab"; chmod 755 "$work/corolab"
asnobody() { (cd "$work" && setpriv --reuid 65534 --regid 65534 --clear-groups "$@"); }
asnobody ./corolab trace -- true >/dev/null 2>"$work/e"; rc=$?
{ [ $rc -ne 0 ] && grep -q "needs root or CAP_BPF+CAP_PERFMON" "$work/e"; } || bad "unprivileged trace: exit $rc, '$(cat "$work/e")'"
asnobody ./corolab trace --user root -- id >/dev/null 2>"$work/e"; rc=$?
[ $rc -ne 0 ] || bad "unprivileged trace --user root succeeded"
asnobody ./corolab doctor >"$work/d" 2>&1; rc=$?
grep -q "unprivileged.*sudo" "$work/d" || bad "unprivileged doctor does not say so (exit $rc): $(head -3 "$work/d")"
grep -qiE "segmentation|sanitizer|abort" "$work/d" && bad "unprivileged doctor crashed"
asnobody ./corolab run sleep --mode threads --tasks 2 --duration 0.01 -q --json "$work/r.json" 2>"$work/e"; rc=$?
[ $rc -eq 0 ] || bad "unprivileged run: exit $rc: $(cat "$work/e")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] == 2' "$work/r.json" 2>/dev/null || bad "unprivileged run JSON"
[ $fail -eq 0 ] && echo "privileges ok"
exit $fail
