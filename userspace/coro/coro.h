/* SPDX-License-Identifier: MIT */
/*
 * coro: stackful coroutines on one OS thread, driven by io_uring.
 *
 * A loop owns an io_uring, a stack pool, a timer heap and a run queue.  Every
 * coroutine of a loop runs on the loop's OS thread; a coroutine runs until it
 * awaits something (sleep, I/O, join, park) or yields.  Waiting coroutines
 * cost no OS thread and no kernel timer: sleeps live in a user-space heap and
 * the loop asks the kernel for at most one timeout per wait (the earliest).
 *
 * Every call returns 0 / a count on success and -errno on failure; nothing
 * prints.  Await functions must be called from a coroutine (-EPERM otherwise).
 * A timeout_ns of 0 means "no timeout"; an expired timeout gives -ETIMEDOUT,
 * and coro__cancel() makes the target's pending await return -ECANCELED.
 */
#ifndef COROLAB_CORO_H
#define COROLAB_CORO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct coro_loop;
struct coro;

typedef int (*coro_fn)(void *arg);

struct coro_loop_opts {
	size_t stack_size;	/* usable bytes per coroutine stack; 0 = 64 KiB */
	unsigned ring_entries;	/* io_uring SQ size; 0 = 4096 */
	unsigned max_coros;	/* refuse spawns beyond this many live; 0 = no limit */
	int guard_mprotect;	/* 1: guard pages by mprotect even where the kernel
				 * has MADV_GUARD_INSTALL (tests, comparisons) */
	/* Batched wake-ups (io_uring min-wait, Linux 6.12+; ignored where the
	 * kernel lacks it): a blocking wait returns once batch_nr completions
	 * are ready, or batch_wait_us after it began if at least one is.
	 * Completions arriving inside that window wake nobody (no IPI to an
	 * idle CPU) and wait at most batch_wait_us; after it, the next one
	 * wakes the loop at once.  Waits shorter than the window (a timer due
	 * sooner) are not batched.  Not batched either: operations the kernel
	 * waits for with an exclusive poll, coro__accept among them — their
	 * completions always wake the loop (no lazy wake for exclusive polls;
	 * corolab serve polls the listener and calls accept4 for that
	 * reason).  0: off. */
	unsigned batch_wait_us;
	unsigned batch_nr;	/* 0: 32 */
};

struct coro_stats {
	uint64_t switches;	/* user-level context switches (each swap counts once) */
	uint64_t spawned;	/* coroutines created over the loop's life */
	uint64_t live;		/* coroutines not finished yet */
	uint64_t peak_live;	/* highest value of live */
	uint64_t stacks_mapped;	/* stacks carved from mappings (pool size) */
	uint64_t stack_bytes_mapped;	/* virtual bytes reserved for stacks */
	uint64_t stack_bytes_touched;	/* resident stack bytes (mincore), see loop__stats */
	uint64_t io_submitted;	/* SQEs handed to the kernel */
	uint64_t io_completed;	/* CQEs reaped */
	uint64_t kernel_waits;	/* io_uring waits that blocked in the kernel */
	int guard_madvise;	/* 1: guard pages via MADV_GUARD_INSTALL, 0: mprotect */
};

/* Loop lifetime.  One loop per OS thread; loop__run returns when no coroutine
 * is left (0) or on a fatal ring error (-errno). */
int loop__new(struct coro_loop **loop, const struct coro_loop_opts *opts);
int loop__run(struct coro_loop *loop);
void loop__free(struct coro_loop *loop);
/* stats: touched bytes are measured with mincore() over the pool, O(pool). */
void loop__stats(struct coro_loop *loop, struct coro_stats *st);
struct coro_loop *loop__current(void);	/* the loop running on this thread, or NULL */
/* The batching window in effect (coro_loop_opts.batch_wait_us), 0 when off
 * or when the kernel lacks min-wait. */
unsigned loop__batch_wait_us(const struct coro_loop *loop);
/* io_uring_params.features bit for min-wait (Linux 6.12), newer than
 * liburing 2.3's headers. */
#define CORO_FEAT_MIN_TIMEOUT (1U << 15)

/* Spawn: out == NULL makes the coroutine detached (freed when it returns);
 * otherwise it must be joined exactly once.  Callable inside or outside the
 * loop (before loop__run).  name (may be NULL) is copied; it shows up in the
 * stack-overflow report. */
int coro__spawn(struct coro_loop *loop, coro_fn fn, void *arg, const char *name,
		struct coro **out);
int coro__join(struct coro *c, int *retval);	/* await c; frees it */
struct coro *coro__self(void);			/* NULL outside a coroutine */
uint64_t coro__id(const struct coro *c);
const char *coro__name(const struct coro *c);
int coro__cancel(struct coro *c);	/* wake c's current await with -ECANCELED */
/* Wake c's current await with -ECANCELED only if c is blocked in one now
 * (0); when c is running or already woken, nothing happens (-EAGAIN) and
 * no later await of c is affected, unlike coro__cancel.  For "something
 * changed, look again" nudges to a coroutine that may not be waiting. */
int coro__interrupt(struct coro *c);

/* Run fn(arg) on the loop's own stack (the thread's) and return its result:
 * two stack switches, so that deep library code (libcurl's call chains) does
 * not fault in pages of every coroutine stack it runs from.  fn must not
 * await (awaits inside it fail with -EPERM); coro__self() inside it is the
 * caller.  Outside a coroutine it just calls fn. */
int coro__call(int (*fn)(void *), void *arg);

int coro__yield(void);
int coro__sleep_ns(uint64_t ns);
/* park/unpark: the primitive events and channels are built from.  park waits
 * until another coroutine (or loop code) calls unpark with a result. */
int coro__park(uint64_t timeout_ns);
int coro__unpark(struct coro *c, int result);

/* I/O through io_uring; same return conventions as the syscalls, -errno on
 * error.  poll returns the revents mask. */
int coro__poll(int fd, unsigned events, uint64_t timeout_ns);
ssize_t coro__read(int fd, void *buf, size_t len, uint64_t timeout_ns);
ssize_t coro__write(int fd, const void *buf, size_t len, uint64_t timeout_ns);
ssize_t coro__recv(int fd, void *buf, size_t len, int flags, uint64_t timeout_ns);
ssize_t coro__send(int fd, const void *buf, size_t len, int flags, uint64_t timeout_ns);
int coro__connect(int fd, const struct sockaddr *sa, socklen_t len, uint64_t timeout_ns);
int coro__accept(int fd, struct sockaddr *sa, socklen_t *len, int flags, uint64_t timeout_ns);

/* Wait group, for gather-style waits: add before spawning, done when a task
 * finishes, wait until the count is zero.  Not shared across loops. */
struct coro_wg {
	long count;		/* outstanding tasks */
	struct coro *waiter;	/* the (single) coroutine in wg__wait */
};
void wg__add(struct coro_wg *wg, long n);
void wg__done(struct coro_wg *wg);
int wg__wait(struct coro_wg *wg);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC). */
uint64_t coro__now_ns(void);

#endif
