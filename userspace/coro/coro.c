// SPDX-License-Identifier: MIT
/*
 * The coroutine loop: run queue, timer heap, io_uring and context switches.
 *
 * Scheduling.  A coroutine runs until it awaits.  When it does, it switches
 * *directly* to the next ready coroutine (one swap, not two through a
 * scheduler context), up to SWITCH_BUDGET times in a row; then, or when
 * nothing is ready, it switches to the loop context, which submits queued
 * SQEs, reaps completions and fires expired timers.  The budget bounds how
 * long I/O completions can wait behind coroutines that keep yielding.
 *
 * Timers.  Sleeps and await timeouts of park() live in a binary min-heap in
 * user space (O(log n) insert/remove).  The kernel sees at most one timeout
 * per blocking wait — the earliest deadline, passed to io_uring_enter via
 * EXT_ARG — never one IORING_OP_TIMEOUT per sleeper (the kernel keeps those
 * in a sorted list: 100k one-second timeouts took 7-9 s here).  I/O timeouts
 * are linked timeouts (IORING_OP_LINK_TIMEOUT) because they must cancel the
 * kernel-side operation.
 *
 * I/O.  An await prepares an SQE whose user_data points at a struct io_op on
 * the coroutine's own stack, then suspends; the completion stores the result
 * there and makes the coroutine ready.  The stack outlives the operation
 * because a coroutine never resumes before its operation's CQE arrives, even
 * when cancelled (cancellation only hurries that CQE).
 *
 * Limits: one loop per OS thread, no work stealing; a coroutine that blocks
 * in a plain system call blocks the whole loop.
 */
#include "coro/coro.h"
#include "coro/ctx.h"
#include "coro/stack.h"

#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(COROLAB_SANITIZE) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#if !defined(CORO_ASAN) && defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
/* The kernel fills io_uring read buffers behind valgrind's back: tell it. */
#define MARK_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define MARK_DEFINED(p, n) ((void)0)
#endif
#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#define DEFAULT_STACK_SIZE (64u << 10)
#define DEFAULT_RING_ENTRIES 4096u
#define SWITCH_BUDGET 128	/* direct switches before the loop polls for I/O */
#define ALTSTACK_SIZE (64u << 10)

/* user_data of SQEs whose completions nobody waits for (linked timeouts,
 * cancel requests); real operations point at their struct io_op. */
#define UD_IGNORE 0ull


enum coro_state { CORO_READY, CORO_RUNNING, CORO_WAITING, CORO_DONE };
enum wait_kind { WAIT_NONE, WAIT_SLEEP, WAIT_PARK, WAIT_IO, WAIT_JOIN, WAIT_WG, WAIT_YIELD };

struct io_op {
	struct coro *c;			/* who waits for this completion */
	int res;			/* cqe->res */
	bool cancelled;			/* coro__cancel asked for it */
	bool has_timeout;		/* a linked timeout rides on it */
	struct __kernel_timespec ts;	/* the linked timeout's duration */
};

struct coro {
	void *sp;			/* saved stack pointer while not running */
	struct coro_loop *loop;
	coro_fn fn;
	void *arg;
	int retval;			/* fn's return value, for join */
	enum coro_state state;
	enum wait_kind wait;		/* what a WAITING coroutine waits for */
	int wake_result;		/* what the await returns when it resumes */
	struct stack_slot *stack;	/* NULL once finished (stack back in the pool) */
	struct coro *next;		/* run queue / zombie list link */
	struct coro *joiner;		/* coroutine waiting in coro__join */
	struct coro *live_prev, *live_next;	/* the loop's list of unfinished coroutines */
	bool detached;			/* free on exit instead of waiting for a join */
	bool cancel_pending;		/* cancel arrived while not in an await */
	struct io_op *op;		/* pending I/O operation, if wait == WAIT_IO */
	size_t heap_idx;		/* position in the timer heap, or NOT_IN_HEAP */
	uint64_t deadline;		/* CLOCK_MONOTONIC ns, while in the heap */
	uint64_t id;
	char name[24];
#ifdef CORO_ASAN
	void *asan_fake_stack;
#endif
};

#define NOT_IN_HEAP ((size_t)-1)

struct coro_loop {
	struct io_uring ring;
	struct stack_pool pool;
	void *main_sp;			/* the loop context (the thread's own stack) */
	struct coro *current;		/* running coroutine, NULL in the loop context */
	struct coro *runq_head, *runq_tail;	/* FIFO of ready coroutines */
	struct coro *zombies;		/* finished, stack not yet returned to the pool */
	struct coro *live_list;		/* unfinished coroutines, freed by loop__free */
	struct coro **heap;		/* timer min-heap on deadline */
	size_t heap_len, heap_cap;
	int budget;			/* direct switches left before polling */
	uint64_t inflight;		/* operations whose CQE has not arrived */
	uint64_t next_id;
	unsigned max_coros;
	unsigned batch_wait_us, batch_nr;	/* coro_loop_opts; 0: not batching */
	struct coro_stats st;
	int (*call_fn)(void *);		/* coro__call: what to run on this stack, */
	void *call_arg;			/* its argument, */
	struct coro *call_from;		/* for whom, */
	int call_ret;			/* and its result */
	bool in_call;			/* running a coro__call: no awaits */
	stack_t old_altstack;		/* restored when loop__run returns */
	void *altstack;
#ifdef CORO_ASAN
	const void *main_stack_bottom;	/* learned at the first switch */
	size_t main_stack_size;
	void *main_fake_stack;
	bool from_main;			/* the last switch left the loop context */
#endif
};

static __thread struct coro_loop *tls_loop;

static struct __kernel_timespec ns_to_ts(uint64_t ns)
{
	return (struct __kernel_timespec){ .tv_sec = (long long)(ns / 1000000000ull),
					   .tv_nsec = (long long)(ns % 1000000000ull) };
}

uint64_t coro__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- context switching ------------------------------------------------ */

/* Switch from the running context (a coroutine, or the loop when from is
 * NULL) to `to` (a coroutine, or the loop when NULL).  The sanitizer hooks
 * tell ASan which stack is live so its fake stacks and reports stay right. */
static void ctx_swap_counted(struct coro_loop *l, struct coro *from, struct coro *to, bool count)
{
	void **save = from ? &from->sp : &l->main_sp;
	void *load = to ? to->sp : l->main_sp;

	l->current = to;
	l->st.switches += count;
#ifdef CORO_ASAN
	l->from_main = from == NULL;
#endif
#ifdef CORO_ASAN
	{
		void **fake = from ? &from->asan_fake_stack : &l->main_fake_stack;
		const void *bottom = to ? to->stack->lo : l->main_stack_bottom;
		size_t size = to ? (size_t)(to->stack->hi - to->stack->lo) : l->main_stack_size;

		/* A finished coroutine never comes back: NULL frees its fake stack. */
		__sanitizer_start_switch_fiber(from && from->state == CORO_DONE ? NULL : fake,
					       bottom, size);
		coro_switch(save, load);
		__sanitizer_finish_switch_fiber(from ? from->asan_fake_stack : l->main_fake_stack,
						NULL, NULL);
	}
#else
	coro_switch(save, load);
#endif
}

static void ctx_swap(struct coro_loop *l, struct coro *from, struct coro *to)
{
	ctx_swap_counted(l, from, to, true);
}

/* ---- run queue ---------------------------------------------------------- */

static void runq_push(struct coro_loop *l, struct coro *c)
{
	c->state = CORO_READY;
	c->next = NULL;
	if (l->runq_tail)
		l->runq_tail->next = c;
	else
		l->runq_head = c;
	l->runq_tail = c;
}

static struct coro *runq_pop(struct coro_loop *l)
{
	struct coro *c = l->runq_head;

	if (c) {
		l->runq_head = c->next;
		if (!l->runq_head)
			l->runq_tail = NULL;
		c->next = NULL;
	}
	return c;
}

/* ---- timer heap ----------------------------------------------------------- */

static void heap_set(struct coro_loop *l, size_t i, struct coro *c)
{
	l->heap[i] = c;
	c->heap_idx = i;
}

static void heap_up(struct coro_loop *l, size_t i)
{
	struct coro *c = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (l->heap[parent]->deadline <= c->deadline)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, c);
}

static void heap_down(struct coro_loop *l, size_t i)
{
	struct coro *c = l->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= l->heap_len)
			break;
		if (child + 1 < l->heap_len &&
		    l->heap[child + 1]->deadline < l->heap[child]->deadline)
			child++;
		if (c->deadline <= l->heap[child]->deadline)
			break;
		heap_set(l, i, l->heap[child]);
		i = child;
	}
	heap_set(l, i, c);
}

static int heap_insert(struct coro_loop *l, struct coro *c)
{
	if (l->heap_len == l->heap_cap) {
		size_t cap = l->heap_cap ? 2 * l->heap_cap : 256;
		struct coro **h = realloc(l->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->heap_cap = cap;
	}
	heap_set(l, l->heap_len++, c);
	heap_up(l, c->heap_idx);
	return 0;
}

static void heap_remove(struct coro_loop *l, struct coro *c)
{
	size_t i = c->heap_idx;
	struct coro *last;

	if (i == NOT_IN_HEAP)
		return;
	c->heap_idx = NOT_IN_HEAP;
	last = l->heap[--l->heap_len];
	if (last == c)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->heap_idx);
}

/* ---- suspending and waking ---------------------------------------------- */

static void wake(struct coro_loop *l, struct coro *c, int result)
{
	if (c->state != CORO_WAITING)
		return;	/* already woken (e.g. cancelled, then its target finished) */
	heap_remove(l, c);
	c->wake_result = result;
	c->wait = WAIT_NONE;
	runq_push(l, c);
}

/* Give up the CPU: to the next ready coroutine while the budget lasts,
 * otherwise to the loop.  Returns when someone made us ready again. */
static void suspend(struct coro_loop *l)
{
	struct coro *self = l->current;
	struct coro *next = NULL;

	if (l->budget > 0 && l->runq_head) {
		l->budget--;
		next = runq_pop(l);
		if (next == self) {	/* a lone yielder: nothing else to run */
			self->state = CORO_RUNNING;
			return;
		}
		next->state = CORO_RUNNING;
	}
	ctx_swap(l, self, next);
	/* Resumed. */
}

static struct coro *await_begin(enum wait_kind w, int *err)
{
	struct coro_loop *l = tls_loop;
	struct coro *c = l ? l->current : NULL;

	if (!c || l->in_call) {
		*err = -EPERM;
		return NULL;
	}
	if (c->cancel_pending) {
		c->cancel_pending = false;
		*err = -ECANCELED;
		return NULL;
	}
	c->state = CORO_WAITING;
	c->wait = w;
	c->wake_result = 0;
	return c;
}

int coro__yield(void)
{
	int err;
	struct coro *c = await_begin(WAIT_YIELD, &err);

	if (!c)
		return err;
	runq_push(c->loop, c);
	suspend(c->loop);
	return 0;
}

static int timed_wait(enum wait_kind w, uint64_t ns)
{
	int err;
	struct coro *c = await_begin(w, &err);

	if (!c)
		return err;
	if (ns || w == WAIT_SLEEP) {
		c->deadline = coro__now_ns() + ns;
		if ((err = heap_insert(c->loop, c))) {
			c->state = CORO_RUNNING;
			c->wait = WAIT_NONE;
			return err;
		}
	}
	suspend(c->loop);
	return c->wake_result;
}

int coro__sleep_ns(uint64_t ns)
{
	return timed_wait(WAIT_SLEEP, ns);
}

int coro__park(uint64_t timeout_ns)
{
	return timed_wait(WAIT_PARK, timeout_ns);
}

int coro__unpark(struct coro *c, int result)
{
	if (!c || c->state != CORO_WAITING || c->wait != WAIT_PARK)
		return -EINVAL;
	wake(c->loop, c, result);
	return 0;
}

static void fire_timers(struct coro_loop *l)
{
	uint64_t now = coro__now_ns();

	while (l->heap_len && l->heap[0]->deadline <= now) {
		struct coro *c = l->heap[0];
		/* A park that times out failed; a sleep that ends succeeded. */
		wake(l, c, c->wait == WAIT_PARK ? -ETIMEDOUT : 0);
	}
}

int coro__cancel(struct coro *c)
{
	struct coro_loop *l;

	if (!c)
		return -EINVAL;
	l = c->loop;
	if (c->state == CORO_DONE)
		return -ESRCH;
	if (c->state != CORO_WAITING || c->wait == WAIT_YIELD) {
		c->cancel_pending = true;	/* its next await fails at once */
		return 0;
	}
	if (c->wait == WAIT_IO) {
		struct io_uring_sqe *sqe;

		if (c->op->cancelled)
			return 0;
		c->op->cancelled = true;
		/* The operation's own CQE (with -ECANCELED, or its result if it
		 * won the race) is what resumes the coroutine. */
		while (!(sqe = io_uring_get_sqe(&l->ring)))
			io_uring_submit(&l->ring);
		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c->op, 0);
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
		return 0;
	}
	wake(l, c, -ECANCELED);
	return 0;
}

int coro__interrupt(struct coro *c)
{
	if (!c)
		return -EINVAL;
	if (c->state != CORO_WAITING || c->wait == WAIT_YIELD)
		return -EAGAIN;
	return coro__cancel(c);
}

/* ---- I/O -------------------------------------------------------------- */

static struct io_uring_sqe *get_sqe(struct coro_loop *l)
{
	struct io_uring_sqe *sqe;

	/* SQ full: hand what is queued to the kernel and retry. */
	while (!(sqe = io_uring_get_sqe(&l->ring))) {
		int n = io_uring_submit(&l->ring);
		if (n < 0 && n != -EAGAIN && n != -EBUSY && n != -EINTR)
			return NULL;
		if (n > 0)
			l->st.io_submitted += (unsigned)n;
	}
	return sqe;
}

/* Finish an await on an SQE the caller prepared in *sqe.  Adds the linked
 * timeout when asked and suspends until the operation's CQE arrives. */
static int io_await(struct coro *c, struct io_op *op, struct io_uring_sqe *sqe, uint64_t timeout_ns)
{
	struct coro_loop *l = c->loop;

	op->c = c;
	op->res = 0;
	op->cancelled = false;
	op->has_timeout = timeout_ns != 0;
	io_uring_sqe_set_data(sqe, op);
	if (op->has_timeout) {
		struct io_uring_sqe *t;

		sqe->flags |= IOSQE_IO_LINK;
		op->ts = ns_to_ts(timeout_ns);
		t = get_sqe(l);
		if (!t) {
			/* Cannot happen with a live ring; the op is already
			 * queued, so wait for it without the timeout. */
			sqe->flags &= (__u8)~IOSQE_IO_LINK;
			op->has_timeout = false;
		} else {
			io_uring_prep_link_timeout(t, &op->ts, 0);
			io_uring_sqe_set_data64(t, UD_IGNORE);
		}
	}
	c->op = op;
	l->inflight++;
	suspend(l);
	c->op = NULL;
	if (op->res == -ECANCELED && !op->cancelled && op->has_timeout)
		return -ETIMEDOUT;
	return op->res;
}

#define IO_PROLOGUE(op, sqe)						\
	int err_;							\
	struct io_op op;						\
	struct coro *c_ = await_begin(WAIT_IO, &err_);			\
	struct io_uring_sqe *sqe;					\
	if (!c_)							\
		return err_;						\
	sqe = get_sqe(c_->loop);					\
	if (!sqe) {							\
		c_->state = CORO_RUNNING;				\
		c_->wait = WAIT_NONE;					\
		return -EBUSY;						\
	}

int coro__poll(int fd, unsigned events, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_poll_add(sqe, fd, events);
	return io_await(c_, &op, sqe, timeout_ns);
}

ssize_t coro__read(int fd, void *buf, size_t len, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_read(sqe, fd, buf, (unsigned)(len > 0x7ffff000 ? 0x7ffff000 : len), (__u64)-1);
	err_ = io_await(c_, &op, sqe, timeout_ns);
	if (err_ > 0)
		MARK_DEFINED(buf, (size_t)err_);
	return err_;
}

ssize_t coro__write(int fd, const void *buf, size_t len, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_write(sqe, fd, buf, (unsigned)(len > 0x7ffff000 ? 0x7ffff000 : len), (__u64)-1);
	return io_await(c_, &op, sqe, timeout_ns);
}

ssize_t coro__recv(int fd, void *buf, size_t len, int flags, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_recv(sqe, fd, buf, len, flags);
	err_ = io_await(c_, &op, sqe, timeout_ns);
	if (err_ > 0)
		MARK_DEFINED(buf, (size_t)err_);
	return err_;
}

ssize_t coro__send(int fd, const void *buf, size_t len, int flags, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_send(sqe, fd, buf, len, flags | MSG_NOSIGNAL);
	return io_await(c_, &op, sqe, timeout_ns);
}

int coro__connect(int fd, const struct sockaddr *sa, socklen_t len, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_connect(sqe, fd, sa, len);
	return io_await(c_, &op, sqe, timeout_ns);
}

int coro__accept(int fd, struct sockaddr *sa, socklen_t *len, int flags, uint64_t timeout_ns)
{
	IO_PROLOGUE(op, sqe);
	io_uring_prep_accept(sqe, fd, sa, len, flags);
	err_ = io_await(c_, &op, sqe, timeout_ns);
	if (err_ >= 0 && sa && len) {
		MARK_DEFINED(len, sizeof(*len));
		MARK_DEFINED(sa, *len);
	}
	return err_;
}

static void reap(struct coro_loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&l->ring, head, cqe) {
		struct io_op *op = io_uring_cqe_get_data(cqe);

		n++;
		if (!op)
			continue;
		op->res = cqe->res;
		l->inflight--;
		wake(l, op->c, 0);
	}
	io_uring_cq_advance(&l->ring, n);
	l->st.io_completed += n;
}

/* ---- coroutine lifetime -------------------------------------------------- */

static void release_zombies(struct coro_loop *l)
{
	struct coro *z = l->zombies, *next;

	l->zombies = NULL;
	for (; z; z = next) {
		next = z->next;
		stack_pool__put(&l->pool, z->stack);
		z->stack = NULL;
		if (z->detached)
			free(z);
	}
}

static void live_unlink(struct coro_loop *l, struct coro *c)
{
	if (c->live_prev)
		c->live_prev->live_next = c->live_next;
	else
		l->live_list = c->live_next;
	if (c->live_next)
		c->live_next->live_prev = c->live_prev;
	c->live_prev = c->live_next = NULL;
}

static void coro_start(void *arg)
{
	struct coro *c = arg;
	struct coro_loop *l = c->loop;

#ifdef CORO_ASAN
	{
		const void *bottom;
		size_t size;

		__sanitizer_finish_switch_fiber(NULL, &bottom, &size);
		if (l->from_main) {	/* learn the thread stack's bounds */
			l->main_stack_bottom = bottom;
			l->main_stack_size = size;
		}
	}
#endif
	c->retval = c->fn(c->arg);
	c->state = CORO_DONE;
	l->st.live--;
	live_unlink(l, c);
	if (c->joiner)
		wake(l, c->joiner, 0);
	/* Our stack is still in use until we are off it: the loop, or the next
	 * spawn, returns it to the pool. */
	c->next = l->zombies;
	l->zombies = c;
	suspend(l);
	abort();	/* a finished coroutine is never resumed */
}

int coro__spawn(struct coro_loop *l, coro_fn fn, void *arg, const char *name, struct coro **out)
{
	struct coro *c;
	int err;

	if (!l || !fn)
		return -EINVAL;
	if (l->max_coros && l->st.live >= l->max_coros)
		return -EAGAIN;
	/* Safe here: zombies are never the running coroutine. */
	release_zombies(l);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = stack_pool__get(&l->pool, &c->stack);
	if (err) {
		free(c);
		return err;
	}
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	c->detached = out == NULL;
	c->heap_idx = NOT_IN_HEAP;
	c->id = ++l->next_id;
	if (name)
		snprintf(c->name, sizeof(c->name), "%s", name);
#ifdef CORO_ASAN
	/* A reused stack still carries the poisoned redzones of the frames of
	 * its previous owner. */
	__asan_unpoison_memory_region(c->stack->lo, (size_t)(c->stack->hi - c->stack->lo));
#endif
	c->sp = ctx_init(c->stack->hi, coro_start, c);
	c->live_next = l->live_list;
	if (l->live_list)
		l->live_list->live_prev = c;
	l->live_list = c;
	l->st.spawned++;
	if (++l->st.live > l->st.peak_live)
		l->st.peak_live = l->st.live;
	runq_push(l, c);
	if (out)
		*out = c;
	return 0;
}

int coro__join(struct coro *c, int *retval)
{
	struct coro_loop *l = tls_loop;
	struct coro *self = l ? l->current : NULL;

	if (!c || c->detached || c->joiner || c == self)
		return -EINVAL;
	if (c->state != CORO_DONE) {
		int err;

		if (!self)
			return -EPERM;
		if (!await_begin(WAIT_JOIN, &err))
			return err;
		c->joiner = self;
		suspend(l);
		if (self->wake_result) {	/* cancelled: c stays joinable */
			c->joiner = NULL;
			return self->wake_result;
		}
	}
	if (retval)
		*retval = c->retval;
	if (c->stack)	/* finished but not released yet */
		c->detached = true;	/* release_zombies frees it */
	else
		free(c);
	return 0;
}

struct coro *coro__self(void)
{
	return tls_loop ? tls_loop->current : NULL;
}

uint64_t coro__id(const struct coro *c)
{
	return c ? c->id : 0;
}

const char *coro__name(const struct coro *c)
{
	return c ? c->name : "";
}

int coro__call(int (*fn)(void *), void *arg)
{
	struct coro_loop *l = tls_loop;
	struct coro *self = l ? l->current : NULL;

	if (!self || l->in_call)
		return fn(arg);	/* already on the thread's stack */
	l->call_fn = fn;
	l->call_arg = arg;
	l->call_from = self;
	/* Not a task switch: the stats count those only. */
	ctx_swap_counted(l, self, NULL, false);	/* run_calls runs it and comes back */
	return l->call_ret;
}

/* In the loop context, after a coroutine switched to it: run its
 * coro__call request, if any, and switch straight back to it (which may
 * come back with another). */
static void run_calls(struct coro_loop *l)
{
	while (l->call_fn) {
		struct coro *from = l->call_from;
		int (*fn)(void *) = l->call_fn;

		l->call_fn = NULL;
		l->current = from;	/* coro__self() is the caller */
		l->in_call = true;
		l->call_ret = fn(l->call_arg);
		l->in_call = false;
		ctx_swap_counted(l, NULL, from, false);
	}
}

/* ---- wait group ----------------------------------------------------------- */

void wg__add(struct coro_wg *wg, long n)
{
	wg->count += n;
}

void wg__done(struct coro_wg *wg)
{
	if (--wg->count == 0 && wg->waiter) {
		struct coro *w = wg->waiter;

		wg->waiter = NULL;
		wake(w->loop, w, 0);
	}
}

int wg__wait(struct coro_wg *wg)
{
	int err;
	struct coro *c;

	if (wg->count <= 0)
		return 0;
	if (wg->waiter)
		return -EBUSY;
	c = await_begin(WAIT_WG, &err);
	if (!c)
		return err;
	wg->waiter = c;
	suspend(c->loop);
	if (c->wake_result)
		wg->waiter = NULL;
	return c->wake_result;
}

/* ---- stack overflow report ------------------------------------------------ */

#ifndef CORO_ASAN	/* ASan installs its own SEGV handler and reports overflows */
static struct sigaction old_segv;
static int segv_installed;

static void put_str(char *buf, size_t *n, size_t cap, const char *s)
{
	while (*s && *n + 1 < cap)
		buf[(*n)++] = *s++;
}

static void put_u64(char *buf, size_t *n, size_t cap, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i > 0 && *n + 1 < cap)
		buf[(*n)++] = tmp[--i];
}

/* Runs on the alternate signal stack (the faulting stack is exhausted).
 * Only async-signal-safe calls.  The one place the runtime prints: a crash
 * report, written just before the process dies anyway. */
static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	struct coro_loop *l = tls_loop;
	struct coro *c = l ? l->current : NULL;

	if (c && c->stack && stack_pool__guard_hit(&l->pool, si->si_addr) &&
	    (char *)si->si_addr < c->stack->lo) {
		char msg[160];
		size_t n = 0;

		put_str(msg, &n, sizeof(msg), "corolab: coroutine ");
		put_u64(msg, &n, sizeof(msg), c->id);
		if (c->name[0]) {
			put_str(msg, &n, sizeof(msg), " (");
			put_str(msg, &n, sizeof(msg), c->name);
			put_str(msg, &n, sizeof(msg), ")");
		}
		put_str(msg, &n, sizeof(msg), " overflowed its ");
		put_u64(msg, &n, sizeof(msg), (uint64_t)(c->stack->hi - c->stack->lo));
		put_str(msg, &n, sizeof(msg), "-byte stack (raise it with --stack-size)\n");
		if (write(STDERR_FILENO, msg, n) < 0) {
			/* nothing left to do */
		}
	}
	/* Re-deliver with the previous disposition (default: core dump). */
	sigaction(SIGSEGV, &old_segv, NULL);
	(void)sig;
	(void)uctx;
}

static int overflow_guard_install(struct coro_loop *l)
{
	stack_t ss;

	l->altstack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->altstack == MAP_FAILED) {
		l->altstack = NULL;
		return -errno;
	}
	ss = (stack_t){ .ss_sp = l->altstack, .ss_size = ALTSTACK_SIZE };
	if (sigaltstack(&ss, &l->old_altstack) < 0)
		return -errno;
	if (!__atomic_exchange_n(&segv_installed, 1, __ATOMIC_SEQ_CST)) {
		struct sigaction sa = { .sa_sigaction = segv_handler,
					.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, &old_segv);
	}
	return 0;
}

static void overflow_guard_remove(struct coro_loop *l)
{
	if (!l->altstack)
		return;
	sigaltstack(&l->old_altstack, NULL);
	munmap(l->altstack, ALTSTACK_SIZE);
	l->altstack = NULL;
}
#endif

/* ---- the loop ------------------------------------------------------------- */

int loop__new(struct coro_loop **out, const struct coro_loop_opts *opts)
{
	struct coro_loop_opts o = opts ? *opts : (struct coro_loop_opts){ 0 };
	struct io_uring_params p;
	struct coro_loop *l;
	int err;

	if (!o.stack_size)
		o.stack_size = DEFAULT_STACK_SIZE;
	if (!o.ring_entries)
		o.ring_entries = DEFAULT_RING_ENTRIES;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = stack_pool__init(&l->pool, o.stack_size, o.guard_mprotect);
	if (err)
		goto err_free;
	/* DEFER_TASKRUN: completions run when we wait, on our thread, not via
	 * interrupts of whatever the thread is doing (6.1+).  Fall back to fewer
	 * flags on older kernels. */
	{
		static const unsigned flagsets[] = {
			IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
			IORING_SETUP_COOP_TASKRUN,
			0,
		};
		for (size_t i = 0; i < sizeof(flagsets) / sizeof(flagsets[0]); i++) {
			memset(&p, 0, sizeof(p));
			p.flags = flagsets[i] | IORING_SETUP_CQSIZE;
			p.cq_entries = o.ring_entries * 4;
			err = io_uring_queue_init_params(o.ring_entries, &l->ring, &p);
			if (err != -EINVAL)
				break;
		}
	}
	if (err)
		goto err_free;
	l->max_coros = o.max_coros;
	/* Batching needs the kernel's min-wait and DEFER_TASKRUN (without it
	 * a completion wakes the waiter whatever the count). */
	if (o.batch_wait_us && (p.features & CORO_FEAT_MIN_TIMEOUT) &&
	    (p.flags & IORING_SETUP_DEFER_TASKRUN)) {
		l->batch_wait_us = o.batch_wait_us;
		l->batch_nr = o.batch_nr ? o.batch_nr : 32;
	}
	*out = l;
	return 0;
err_free:
	free(l);
	return err;
}

unsigned loop__batch_wait_us(const struct coro_loop *l)
{
	return l->batch_wait_us;
}

/* A batched wait (see coro_loop_opts.batch_wait_us): submit, then wait for
 * batch_nr completions, or for the window with at least one, or until
 * wait_ns.  Always with a deadline: with none the kernel ends every wait
 * when the window closes, events or not (an idle loop would spin). */
static int ring_wait_batched(struct coro_loop *l, unsigned queued, uint64_t wait_ns)
{
	struct __kernel_timespec ts = ns_to_ts(wait_ns == UINT64_MAX ? 1000000000ull : wait_ns);
	/* liburing 2.3 names the min-wait field `pad` (min_wait_usec since) */
	struct io_uring_getevents_arg arg = { .pad = l->batch_wait_us,
					      .ts = (uint64_t)(uintptr_t)&ts };
	int n = queued ? io_uring_submit(&l->ring) : 0;

	if (n < 0)
		return n;
	return io_uring_enter2(l->ring.ring_fd, 0, l->batch_nr,
			       IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
			       (sigset_t *)&arg, sizeof(arg));	/* -errno */
}

/* Enter the kernel once: submit what is queued and wait for at least one
 * completion, at most until `wait_ns` (0: do not wait; UINT64_MAX: no
 * limit).  With DEFER_TASKRUN completions are only posted when we enter with
 * GETEVENTS, so even the non-blocking poll is a (cheap) syscall. */
static int ring_enter(struct coro_loop *l, uint64_t wait_ns)
{
	struct __kernel_timespec ts = ns_to_ts(wait_ns);
	struct io_uring_cqe *cqe;
	unsigned queued = io_uring_sq_ready(&l->ring);
	int n;

	if (wait_ns == 0) {
		/* Only a poll.  Nothing queued and nothing in flight: no syscall
		 * at all (a coroutine ping-pong must not pay for one).  Otherwise
		 * submit and run deferred completions without arming a timer: a
		 * zero EXT_ARG timeout costs tens of microseconds here. */
		if (!queued && !l->inflight)
			return 0;
		n = queued ? io_uring_submit(&l->ring) : 0;
		if (n >= 0 && l->inflight)
			n = io_uring_enter(l->ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL);
	} else if (l->batch_wait_us && wait_ns > (uint64_t)l->batch_wait_us * 1000) {
		n = ring_wait_batched(l, queued, wait_ns);
	} else if (wait_ns == UINT64_MAX) {
		n = io_uring_submit_and_wait(&l->ring, 1);
	} else {
		n = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
	}
	if (wait_ns)
		l->st.kernel_waits++;
	if (n >= 0 || n == -ETIME || n == -EINTR) {
		l->st.io_submitted += queued;
		return 0;
	}
	return n == -EAGAIN || n == -EBUSY ? 0 : n;
}

int loop__run(struct coro_loop *l)
{
	int err = 0;

	if (tls_loop)
		return -EBUSY;	/* nested loops on one thread */
	tls_loop = l;
#ifndef CORO_ASAN
	overflow_guard_install(l);	/* best effort: a failure only loses the report */
#endif
	while (l->st.live > 0) {
		struct coro *c;
		uint64_t wait_ns;

		fire_timers(l);
		/* One round: resume the first ready coroutine; it hands the CPU
		 * along the run queue until the budget or the queue runs out. */
		if ((c = runq_pop(l))) {
			l->budget = SWITCH_BUDGET;
			c->state = CORO_RUNNING;
			ctx_swap(l, NULL, c);
			run_calls(l);
			release_zombies(l);
		}
		if (!l->st.live)
			break;
		if (l->runq_head) {
			wait_ns = 0;	/* still work to do: only poll */
		} else if (l->heap_len) {
			uint64_t now = coro__now_ns(), dl = l->heap[0]->deadline;
			wait_ns = dl > now ? dl - now : 0;
		} else if (l->inflight || io_uring_sq_ready(&l->ring)) {
			wait_ns = UINT64_MAX;
		} else {
			err = -EDEADLK;	/* everyone waits for someone else */
			break;
		}
		err = ring_enter(l, wait_ns);
		if (err)
			break;
		reap(l);
	}
#ifndef CORO_ASAN
	overflow_guard_remove(l);
#endif
	tls_loop = NULL;
	return err;
}

void loop__stats(struct coro_loop *l, struct coro_stats *st)
{
	*st = l->st;
	st->stacks_mapped = l->pool.nslots;
	st->stack_bytes_mapped = l->pool.bytes_mapped;
	st->stack_bytes_touched = stack_pool__resident(&l->pool);
	st->guard_madvise = l->pool.guard_madvise == 1;
}

struct coro_loop *loop__current(void)
{
	return tls_loop;
}

void loop__free(struct coro_loop *l)
{
	if (!l)
		return;
	release_zombies(l);
	/* Coroutines still alive (loop__run failed or was never called): their
	 * stacks go away with the pool; handles the caller holds become invalid. */
	while (l->live_list) {
		struct coro *c = l->live_list;

		live_unlink(l, c);
		free(c);
	}
	io_uring_queue_exit(&l->ring);
	stack_pool__destroy(&l->pool);
	free(l->heap);
	free(l);
}
