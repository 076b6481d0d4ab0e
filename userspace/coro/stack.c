// SPDX-License-Identifier: MIT
/*
 * Coroutine stacks: carved from large MAP_NORESERVE regions, each preceded by
 * a guard page, recycled through a LIFO free list.
 *
 * Why not one mmap per stack: every mprotect'd guard page splits a mapping,
 * so one mapping + one guard per coroutine costs two VMAs and
 * vm.max_map_count (65530) stops us near 32k coroutines.  Linux 6.13 added
 * MADV_GUARD_INSTALL, which installs guard pages as page-table markers
 * without splitting the VMA: a region of N stacks stays one mapping.  We try
 * it on the first chunk and fall back to mprotect(PROT_NONE) when the kernel
 * says EINVAL (older kernels), accepting the VMA limit there.  At that limit
 * mprotect fails with ENOMEM; a chunk that cannot be carved whole is retried
 * at half the size, down to one slot, so the pool fills up to the limit
 * instead of stopping a whole 8192-slot chunk short of it.  The price is
 * paid at the limit only: a refused spawn costs up to 14 tries (~16k
 * mprotect calls, each try undone with one munmap), a few milliseconds.
 *
 * One madvise per guard page was most of a coroutine's creation cost
 * (106k calls for 100k coroutines; 770 ns each here), so a chunk's guards
 * go in batches of up to IOV_MAX ranges through process_madvise() on our
 * own pidfd (any advice is allowed on the caller's own mm since Linux 6.13;
 * 480 ns a guard).  Where it is refused, one madvise per guard as before.
 *
 * Chunks grow geometrically (64, 128, ... 8192 slots) so small programs map
 * little and large ones make few mmap calls.  Stacks are never unmapped
 * before stack_pool__destroy: a pool sized for a peak stays that size, and
 * pages a coroutine touched stay resident when its stack is reused.
 */
#include "coro/stack.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND 1
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define CHUNK_MIN_SLOTS 64u
#define CHUNK_MAX_SLOTS 8192u

int stack_pool__init(struct stack_pool *p, size_t stack_size, int force_mprotect)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		return -EINVAL;
	*p = (struct stack_pool){ .page = (size_t)page, .guard_madvise = force_mprotect ? 0 : -1,
				  .guard_batch = -1 };
	p->stack_size = (stack_size + p->page - 1) / p->page * p->page;
	if (p->stack_size < 2 * p->page)
		p->stack_size = 2 * p->page;
	return 0;
}

static int install_guard(struct stack_pool *p, char *addr)
{
	if (p->guard_madvise != 0) {
		if (madvise(addr, p->page, MADV_GUARD_INSTALL) == 0) {
			p->guard_madvise = 1;
			return 0;
		}
		if (p->guard_madvise == 1 || errno != EINVAL)
			return -errno;
		p->guard_madvise = 0;	/* kernel without guard regions */
	}
	return mprotect(addr, p->page, PROT_NONE) ? -errno : 0;
}

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif
#define GUARD_BATCH (IOV_MAX < 1024 ? IOV_MAX : 1024)

/* MADV_GUARD_INSTALL on the guard pages of slots [0, nslots) of a chunk
 * whose slots are slot_len apart, GUARD_BATCH at a time, with one
 * process_madvise() each.  The iovecs are on the heap: this runs inside
 * coro__spawn, often on a coroutine's own (small) stack.  Returns how many
 * guards went in (a prefix); the caller installs the rest one by one (which
 * also learns whether the kernel has guard regions at all, when this could
 * not tell). */
static unsigned install_guards_batched(struct stack_pool *p, char *base, size_t slot_len,
				       unsigned nslots)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
	unsigned done = 0, cap = nslots < GUARD_BATCH ? nslots : GUARD_BATCH;
	struct iovec *v;
	int pidfd;

	if (p->guard_batch == 0 || p->guard_madvise == 0 || nslots < 2)
		return 0;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0) {
		p->guard_batch = 0;
		free(v);
		return 0;
	}
	while (done < nslots) {
		unsigned n = nslots - done < cap ? nslots - done : cap;
		long r;

		for (unsigned k = 0; k < n; k++) {
			v[k].iov_base = base + (size_t)(done + k) * slot_len;
			v[k].iov_len = p->page;
		}
		r = syscall(SYS_process_madvise, pidfd, v, (size_t)n, MADV_GUARD_INSTALL, 0u);
		if (r < 0) {
			/* EINVAL/EPERM: a kernel that restricts the advice
			 * process_madvise takes; ENOMEM: left to the one-by-one
			 * path, which reports it. */
			if (errno == EINVAL || errno == EPERM || errno == ENOSYS)
				p->guard_batch = 0;
			break;
		}
		p->guard_batch = p->guard_madvise = 1;
		if ((size_t)r != (size_t)n * p->page) {
			done += (unsigned)((size_t)r / p->page);	/* whole ranges only */
			break;
		}
		done += n;
	}
	close(pidfd);
	free(v);
	return done;
#else
	(void)p, (void)base, (void)slot_len, (void)nslots;
	return 0;
#endif
}

static int pool_grow(struct stack_pool *p, unsigned nslots)
{
	size_t slot_len = p->page + p->stack_size;
	struct stack_chunk *c;
	unsigned done;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->slots = calloc(nslots, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	c->len = slot_len * nslots;
	c->base = mmap(NULL, c->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->base == MAP_FAILED) {
		err = -errno;
		free(c->slots);
		free(c);
		return err;
	}
	c->nslots = nslots;
	/* Every guard first: a chunk that fails half way (ENOMEM at
	 * vm.max_map_count) must leave nothing on the free list. */
	done = install_guards_batched(p, c->base, slot_len, nslots);
	for (unsigned i = nslots; i-- > done;) {
		err = install_guard(p, c->base + (size_t)i * slot_len);
		if (err) {
			munmap(c->base, c->len);
			free(c->slots);
			free(c);
			return err;
		}
	}
	/* Push in reverse so the lowest slot is handed out first. */
	for (unsigned i = nslots; i-- > 0;) {
		struct stack_slot *s = &c->slots[i];
		char *guard = c->base + (size_t)i * slot_len;

		s->lo = guard + p->page;
		s->hi = s->lo + p->stack_size;
#ifdef HAVE_VALGRIND
		s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
#endif
		s->next_free = p->free;
		p->free = s;
	}
	c->next = p->chunks;
	p->chunks = c;
	p->nslots += nslots;
	p->bytes_mapped += c->len;
	return 0;
}

int stack_pool__get(struct stack_pool *p, struct stack_slot **out)
{
	int err;

	if (!p->free) {
		unsigned n = p->nslots < CHUNK_MIN_SLOTS ? CHUNK_MIN_SLOTS :
			     p->nslots > CHUNK_MAX_SLOTS ? CHUNK_MAX_SLOTS : (unsigned)p->nslots;

		/* ENOMEM: out of mappings (vm.max_map_count) or memory; a
		 * smaller chunk may still fit. */
		while ((err = pool_grow(p, n)) == -ENOMEM && n > 1)
			n /= 2;
		if (err)
			return err;
	}
	*out = p->free;
	p->free = p->free->next_free;
	(*out)->next_free = NULL;
	return 0;
}

void stack_pool__put(struct stack_pool *p, struct stack_slot *s)
{
	s->next_free = p->free;
	p->free = s;
}

uint64_t stack_pool__resident(const struct stack_pool *p)
{
	uint64_t pages = 0;

	for (const struct stack_chunk *c = p->chunks; c; c = c->next) {
		size_t n = c->len / p->page;
		unsigned char *vec = malloc(n);

		if (!vec)
			return 0;
		if (mincore(c->base, c->len, vec) == 0)
			for (size_t i = 0; i < n; i++)
				pages += vec[i] & 1;
		free(vec);
	}
	return pages * p->page;
}

const struct stack_slot *stack_pool__guard_hit(const struct stack_pool *p, const void *addr)
{
	const char *a = addr;
	size_t slot_len = p->page + p->stack_size;

	for (const struct stack_chunk *c = p->chunks; c; c = c->next) {
		size_t off;

		if (a < c->base || a >= c->base + c->len)
			continue;
		off = (size_t)(a - c->base);
		if (off % slot_len < p->page)
			return &c->slots[off / slot_len];
		return NULL;
	}
	return NULL;
}

void stack_pool__destroy(struct stack_pool *p)
{
	struct stack_chunk *c = p->chunks, *next;

	for (; c; c = next) {
		next = c->next;
#ifdef HAVE_VALGRIND
		for (unsigned i = 0; i < c->nslots; i++)
			if (c->slots[i].valgrind_id)
				VALGRIND_STACK_DEREGISTER(c->slots[i].valgrind_id);
#endif
		munmap(c->base, c->len);
		free(c->slots);
		free(c);
	}
	p->chunks = NULL;
	p->free = NULL;
}
