// SPDX-License-Identifier: MIT
/* Description: a coroutine that overflows its stack hits the guard page and
 * the runtime names it on stderr before the process dies (run in a child),
 * with guard pages from MADV_GUARD_INSTALL and from the mprotect fallback. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "coro/coro.h"
#include "test.h"

static int depth(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	return n ? depth(n - 1) + pad[0] : 0;
}

static int deep(void *arg)
{
	(void)arg;
	return depth(1 << 20);
}

static void overflow_in_child(int guard_mprotect)
{
	int p[2], status;
	char out[512] = { 0 };
	ssize_t n = 0, r;
	pid_t pid;

	T_ASSERT(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		struct coro_loop *l;
		struct coro_loop_opts o = { .stack_size = 32 << 10, .guard_mprotect = guard_mprotect };

		dup2(p[1], 2);
		if (loop__new(&l, &o))
			_exit(77);
		coro__spawn(l, deep, NULL, "deep-recursion", NULL);
		loop__run(l);
		_exit(0);
	}
	close(p[1]);
	while ((r = read(p[0], out + n, sizeof(out) - 1 - (size_t)n)) > 0)
		n += r;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		T_SKIP("io_uring unavailable");
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "child status %#x", status);
	T_ASSERT(strstr(out, "coroutine 1 (deep-recursion) overflowed its 32768-byte stack"),
		 "report (guard by %s): '%s'", guard_mprotect ? "mprotect" : "madvise", out);
}

int main(void)
{
#ifdef COROLAB_SANITIZE
	T_SKIP("sanitizer build: ASan owns SIGSEGV and reports the overflow itself");
#endif
	overflow_in_child(0);
	overflow_in_child(1);
	return T_EXIT_PASS;
}
