// SPDX-License-Identifier: MIT
/* Description: the bare context switch (switch.S + ctx.c, no io_uring):
 * ping-pong between two stacks keeps callee-saved values and doubles live
 * across switches, gives each context its own FP control state (rounding
 * mode), and starts coroutines on a 16-byte aligned stack.  Self-contained
 * so tests/coro_ctx_aarch64.sh can cross-build it and run it under qemu. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro/ctx.h"

static void *main_sp, *a_sp, *b_sp;
static int failures;

#define CHECK(c, ...) do { if (!(c)) { failures++; fprintf(stderr, "coro_ctx: " __VA_ARGS__); \
		fprintf(stderr, "\n"); } } while (0)

static volatile double sink;

static void coro_a(void *arg)
{
	long n = (long)arg;
	double acc = 0.5;
	char buf[64];

	/* An aligned stack: SSE/NEON spills and printf of doubles work. */
	CHECK(((uintptr_t)__builtin_frame_address(0) & 15) == 0 ||
	      ((uintptr_t)__builtin_frame_address(0) & 15) == 0, "frame misaligned");
	snprintf(buf, sizeof(buf), "%.3f", acc * 3.0);
	CHECK(!strcmp(buf, "1.500"), "printf of a double gave %s", buf);
	fesetround(FE_UPWARD);	/* this context's own rounding mode */
	for (long i = 0; i < n; i++) {
		acc += 1.0;
		coro_switch(&a_sp, b_sp);
		CHECK(fegetround() == FE_UPWARD, "a lost its rounding mode");
	}
	CHECK(acc == 0.5 + (double)n, "a: acc %f", acc);
	/* 1/3 rounded up differs from 1/3 rounded to nearest. */
	sink = 1.0;
	CHECK(sink / 3.0 > 0.3333333333333333, "rounding mode not applied");
	coro_switch(&a_sp, main_sp);
	abort();
}

static void coro_b(void *arg)
{
	long n = (long)arg;
	volatile long counter = 0;
	double acc = 2.0;

	for (;;) {
		CHECK(fegetround() == FE_TONEAREST, "b sees a's rounding mode");
		/* fegetround may read only one of x87 CW / MXCSR: check the SSE
		 * (or NEON) unit's rounding directly too. */
		CHECK(sink / 3.0 == 0.3333333333333333, "b's division rounded up");
		acc *= 1.0;
		counter++;
		coro_switch(&b_sp, a_sp);
		if (counter == n)
			break;
	}
	CHECK(acc == 2.0, "b: acc %f", acc);
	coro_switch(&b_sp, main_sp);
	abort();
}

int main(void)
{
	static char stack_a[64 << 10] __attribute__((aligned(16)));
	static char stack_b[64 << 10] __attribute__((aligned(16)));
	const long n = 100000;
	/* Values the compiler keeps in callee-saved registers across the switch. */
	volatile long keep = 0x1234;
	long r1 = keep * 3, r2 = keep * 5, r3 = keep * 7;

	fesetround(FE_TONEAREST);
	sink = 1.0;
	a_sp = ctx_init(stack_a + sizeof(stack_a) - 8, coro_a, (void *)n);	/* misaligned top */
	b_sp = ctx_init(stack_b + sizeof(stack_b), coro_b, (void *)n);
	coro_switch(&main_sp, a_sp);
	CHECK(r1 == keep * 3 && r2 == keep * 5 && r3 == keep * 7, "callee-saved values lost");
	CHECK(fegetround() == FE_TONEAREST, "main sees a's rounding mode");
	CHECK(sink / 3.0 == 0.3333333333333333, "main's division rounded up");
	if (failures) {
		fprintf(stderr, "coro_ctx: %d failures\n", failures);
		return 1;
	}
	printf("coro_ctx: %ld round trips ok\n", n);
	return 0;
}
