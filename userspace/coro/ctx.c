// SPDX-License-Identifier: MIT
/* The initial frame of a new coroutine stack; must match switch.S. */
#include "coro/ctx.h"

#include <stdint.h>
#include <string.h>

void coro_trampoline(void);

/* The first coro_switch to a new stack pops zeroed callee-saved registers,
 * the caller's FP control state, and "returns" into coro_trampoline, which
 * calls entry(arg) with the stack 16-byte aligned as at any call. */
void *ctx_init(char *top, void (*entry)(void *), void *arg)
{
	uintptr_t t = (uintptr_t)top & ~(uintptr_t)15;
#if defined(__x86_64__)
	uint64_t *sp = (uint64_t *)t;
	uint32_t mxcsr;
	uint16_t fpucw;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	*--sp = (uint64_t)(uintptr_t)coro_trampoline;	/* ret */
	*--sp = 0;					/* rbp */
	*--sp = 0;					/* rbx */
	*--sp = (uint64_t)(uintptr_t)arg;		/* r12 */
	*--sp = (uint64_t)(uintptr_t)entry;		/* r13 */
	*--sp = 0;					/* r14 */
	*--sp = 0;					/* r15 */
	*--sp = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
	return sp;
#elif defined(__aarch64__)
	uint64_t *sp = (uint64_t *)(t - 176);
	uint64_t fpcr;

	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	memset(sp, 0, 176);
	sp[0] = (uint64_t)(uintptr_t)entry;		/* x19 */
	sp[1] = (uint64_t)(uintptr_t)arg;		/* x20 */
	sp[11] = (uint64_t)(uintptr_t)coro_trampoline;	/* x30 */
	sp[20] = fpcr;
	return sp;
#else
#error "ctx_init: only x86-64 and aarch64 are implemented"
#endif
}
