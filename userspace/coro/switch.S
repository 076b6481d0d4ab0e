/* SPDX-License-Identifier: MIT */
/*
 * coro_switch(void **save_sp, void *load_sp): the whole user-level context
 * switch.  Saves only what the ABI says a callee must preserve — the
 * callee-saved general registers, the stack pointer and the floating-point
 * control state (MXCSR and the x87 control word on x86-64; FPCR on aarch64)
 * — on the current stack, stores the stack pointer in *save_sp, loads
 * load_sp and pops the same frame from there.  Caller-saved registers are
 * already dead at a call, which is why this is a few dozen instructions
 * while swapcontext() also saves the signal mask with a system call.
 *
 * A new coroutine's stack is prepared by ctx_init() (coro.c) so that the
 * first switch to it "returns" into coro_trampoline with the entry function
 * and its argument in callee-saved registers.
 */
#if defined(__x86_64__)
	.text
	.globl	coro_switch
	.type	coro_switch, @function
	.p2align 4
coro_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	ldmxcsr (%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	coro_switch, .-coro_switch

/* First instructions of every coroutine: r13 = entry, r12 = its argument.
 * The stack is 16-byte aligned here, as a call site requires. */
	.globl	coro_trampoline
	.type	coro_trampoline, @function
	.p2align 4
coro_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2			/* the entry never returns */
	.cfi_endproc
	.size	coro_trampoline, .-coro_trampoline

#elif defined(__aarch64__)
	.text
	.globl	coro_switch
	.type	coro_switch, %function
	.p2align 4
coro_switch:
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	add	sp, sp, #176
	ret
	.size	coro_switch, .-coro_switch

/* x19 = entry, x20 = its argument (see ctx_init). */
	.globl	coro_trampoline
	.type	coro_trampoline, %function
	.p2align 4
coro_trampoline:
	mov	x0, x20
	blr	x19
	brk	#0
	.size	coro_trampoline, .-coro_trampoline
#else
#error "coro_switch: only x86-64 and aarch64 are implemented"
#endif

	.section .note.GNU-stack,"",%progbits
