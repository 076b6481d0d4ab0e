#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: corolab doctor prints one ok/warn/missing line per feature,
# exits 0 on this machine (BTF and tp_btf are here), and works unprivileged.
set -u
[ -x "${COROLAB:-}" ] || { echo "skip: COROLAB not set to a built corolab binary"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
out=$("$COROLAB" doctor) || fail "doctor exit $?: $out"
echo "$out"
bad=$(echo "$out" | grep -vcE '^(ok|warn|missing) ')
[ "$bad" -eq 0 ] || fail "$bad lines not ok/warn/missing"
for f in "kernel BTF" io_uring MADV_GUARD_INSTALL tracefs pid_max vm.max_map_count RLIMIT_NOFILE; do
	echo "$out" | grep -q " $f " || fail "no '$f' line"
done
if [ "$(id -u)" -eq 0 ]; then
	echo "$out" | grep -qE '^ok +tp_btf' || fail "tp_btf should be ok here (DESIGN.md)"
	if command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$COROLAB" doctor >/dev/null ||
			fail "unprivileged doctor should still exit 0"
	fi
fi
"$COROLAB" doctor --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad argument should exit 2"
exit 0
