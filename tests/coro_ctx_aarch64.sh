#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the aarch64 context switch (switch.S, ctx.c) passes the same
# test as x86-64 (tests/coro_ctx.c), cross-compiled and run under qemu-user.
set -u
cd "$(dirname "$0")/.."
[ "$(uname -m)" = aarch64 ] && { echo "skip: native aarch64: tests/coro_ctx covers it"; exit 77; }
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "skip: no aarch64 cross compiler (apt-get install gcc-aarch64-linux-gnu)"; exit 77; }
command -v qemu-aarch64 >/dev/null || { echo "skip: no qemu-aarch64 (apt-get install qemu-user)"; exit 77; }
out=${OUT:-build}/cross-aarch64
mkdir -p "$out"
aarch64-linux-gnu-gcc -static -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuserspace \
	tests/coro_ctx.c userspace/coro/ctx.c userspace/coro/switch.S -lm -o "$out/coro_ctx" ||
	{ echo "FAIL: cross build"; exit 1; }
timeout 60 qemu-aarch64 "$out/coro_ctx"
