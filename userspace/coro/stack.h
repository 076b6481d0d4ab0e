/* SPDX-License-Identifier: MIT */
/* Internal to the runtime (coro.c): the coroutine stack pool. */
#ifndef COROLAB_CORO_STACK_H
#define COROLAB_CORO_STACK_H

#include <stddef.h>
#include <stdint.h>

struct stack_slot {
	char *lo;			/* lowest usable byte (just above the guard page) */
	char *hi;			/* one past the highest byte: the initial stack top */
	struct stack_slot *next_free;	/* free-list link while in the pool */
	unsigned valgrind_id;		/* VALGRIND_STACK_REGISTER id, 0 if none */
};

struct stack_chunk {
	char *base;			/* mmap'd region: nslots x (guard + stack) */
	size_t len;
	unsigned nslots;
	struct stack_slot *slots;	/* metadata, kept off the stacks themselves */
	struct stack_chunk *next;
};

struct stack_pool {
	size_t stack_size;		/* usable bytes per stack, page multiple */
	size_t page;
	struct stack_chunk *chunks;	/* every chunk ever mapped (never unmapped early) */
	struct stack_slot *free;	/* LIFO: a recently used stack is still warm */
	uint64_t nslots;		/* slots carved so far */
	uint64_t bytes_mapped;
	int guard_madvise;		/* -1 unknown, 1 MADV_GUARD_INSTALL works, 0 mprotect */
	int guard_batch;		/* -1 unknown, 1 process_madvise batches work, 0 not */
};

int stack_pool__init(struct stack_pool *p, size_t stack_size, int force_mprotect);
int stack_pool__get(struct stack_pool *p, struct stack_slot **out);
void stack_pool__put(struct stack_pool *p, struct stack_slot *s);
uint64_t stack_pool__resident(const struct stack_pool *p);	/* bytes, via mincore */
/* Which slot's guard page holds addr (for the overflow report), or NULL. */
const struct stack_slot *stack_pool__guard_hit(const struct stack_pool *p, const void *addr);
void stack_pool__destroy(struct stack_pool *p);

#endif
