/* SPDX-License-Identifier: MIT */
/* Internal to the runtime: the machine-dependent part of a context switch
 * (switch.S + ctx.c).  Kept apart so tests can drive it alone, natively and
 * cross-compiled for aarch64 under qemu. */
#ifndef COROLAB_CORO_CTX_H
#define COROLAB_CORO_CTX_H

/* Save the running context's callee-saved state on its stack, store its
 * stack pointer in *save_sp, and resume the context whose stack pointer is
 * load_sp. */
void coro_switch(void **save_sp, void *load_sp);

/* Prepare a fresh stack (top = one past its highest byte) so that the first
 * coro_switch to the returned stack pointer calls entry(arg) on it, with the
 * caller's floating-point control state.  entry must never return. */
void *ctx_init(char *top, void (*entry)(void *), void *arg);

#endif
