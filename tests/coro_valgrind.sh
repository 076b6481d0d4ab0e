#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the coroutine runtime is clean under valgrind memcheck: its
# stacks are registered (VALGRIND_STACK_REGISTER), so switching stacks gives
# no false "invalid write" reports, and nothing leaks.
set -u
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
case "${OUT:-build}" in *san-*) echo "skip: sanitizer build (valgrind and ASan do not mix)"; exit 77 ;; esac
# Any OUT name: look at the binary itself.
grep -qa __asan_init "${OUT:-build}/tests/coro_basic" 2>/dev/null &&
	{ echo "skip: sanitizer build (valgrind and ASan do not mix)"; exit 77; }
for t in coro_basic coro_io; do
	bin=${OUT:-build}/tests/$t
	[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
	valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
		"$bin" || { echo "FAIL: valgrind reported errors in $t"; exit 1; }
done
echo ok
