// SPDX-License-Identifier: MIT
/* Description: a coroutine that overflows its stack hits the guard page and
 * the runtime names it on stderr before the process dies (run in a child),
 * with guard pages from MADV_GUARD_INSTALL (batched through process_madvise,
 * and one madvise per stack where a seccomp filter refuses process_madvise as
 * an older kernel would) and from the mprotect fallback. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

enum guard { GUARD_BATCHED, GUARD_MPROTECT, GUARD_ONE_BY_ONE };

/* process_madvise fails with EINVAL, as on a kernel that restricts which
 * advice it takes; every other syscall is allowed. */
static int refuse_process_madvise(void)
{
#ifdef SYS_process_madvise
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_madvise, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -errno : 0;
#else
	return -ENOSYS;
#endif
}

static void overflow_in_child(enum guard how)
{
	int guard_mprotect = how == GUARD_MPROTECT;
	int p[2], status;
	char out[512] = { 0 };
	ssize_t n = 0, r;
	pid_t pid;

	T_ASSERT(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		struct coro_loop *l;
		struct coro_loop_opts o = { .stack_size = 32 << 10, .guard_mprotect = guard_mprotect };

		struct coro_stats st;

		dup2(p[1], 2);
		if (how == GUARD_ONE_BY_ONE && refuse_process_madvise())
			_exit(78);
		if (loop__new(&l, &o))
			_exit(77);
		coro__spawn(l, deep, NULL, "deep-recursion", NULL);
		loop__stats(l, &st);
		fprintf(stderr, "guard:%s\n", st.guard_madvise ? "madvise" : "mprotect");
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
	if (WIFEXITED(status) && WEXITSTATUS(status) == 78) {
		printf("one-by-one guards not checked: no seccomp filter here\n");
		return;
	}
	T_ASSERT(strstr(out, guard_mprotect ? "guard:mprotect" : "guard:madvise"),
		 "guard mechanism (case %d): '%s'", (int)how, out);
	T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "child status %#x", status);
	T_ASSERT(strstr(out, "coroutine 1 (deep-recursion) overflowed its 32768-byte stack"),
		 "report (guard by %s): '%s'", guard_mprotect ? "mprotect" : "madvise", out);
}

int main(void)
{
#ifdef COROLAB_SANITIZE
	T_SKIP("sanitizer build: ASan owns SIGSEGV and reports the overflow itself");
#endif
	overflow_in_child(GUARD_BATCHED);
	overflow_in_child(GUARD_MPROTECT);
	overflow_in_child(GUARD_ONE_BY_ONE);
	return T_EXIT_PASS;
}
