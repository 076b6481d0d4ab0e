// SPDX-License-Identifier: MIT
/* Description: coroutine I/O through io_uring: pipe read/write, poll, TCP
 * accept/connect/send/recv on 127.0.0.1, linked timeouts (-ETIMEDOUT),
 * cancelling a pending read (-ECANCELED), batched wake-ups (io_uring
 * min-wait: I/O still completes, an idle wait does not spin), and no leaked
 * descriptors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro/coro.h"
#include "test.h"
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif
#include "util/util.h"

static int pfd[2];

static int reader(void *arg)
{
	char buf[16] = { 0 };
	ssize_t n;

	(void)arg;
	T_ASSERT(coro__poll(pfd[0], POLLIN, 0) & POLLIN, "poll");
	n = coro__read(pfd[0], buf, sizeof(buf), 0);
	T_ASSERT(n == 5 && !memcmp(buf, "hello", 5), "read %zd", n);
	/* Nothing more comes: the timeout fires. */
	n = coro__read(pfd[0], buf, sizeof(buf), 20000000);
	T_ASSERT(n == -ETIMEDOUT, "read with timeout gave %zd", n);
	return 0;
}

static int writer(void *arg)
{
	(void)arg;
	coro__sleep_ns(5000000);
	T_ASSERT(coro__write(pfd[1], "hello", 5, 0) == 5, "write");
	return 0;
}

static int blocked_reader(void *arg)
{
	char buf[4];

	(void)arg;
	return (int)coro__read(pfd[0], buf, sizeof(buf), 0);
}

static int cancel_it(void *arg)
{
	coro__sleep_ns(2000000);
	T_ASSERT(coro__cancel(arg) == 0, "cancel");
	return 0;
}

static struct sockaddr_in addr;
static int lfd;

static int server(void *arg)
{
	char buf[64];
	int fd;
	ssize_t n;

	(void)arg;
	fd = coro__accept(lfd, NULL, NULL, SOCK_CLOEXEC, 0);
	T_ASSERT(fd >= 0, "accept %d", fd);
	n = coro__recv(fd, buf, sizeof(buf), 0, 0);
	T_ASSERT(n == 4 && !memcmp(buf, "ping", 4), "recv %zd", n);
	T_ASSERT(coro__send(fd, "pong", 4, 0, 0) == 4, "send");
	close(fd);
	return 0;
}

static int client(void *arg)
{
	char buf[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	(void)arg;
	T_ASSERT(fd >= 0, "socket");
	T_ASSERT(coro__connect(fd, (struct sockaddr *)&addr, sizeof(addr), 1000000000) == 0, "connect");
	T_ASSERT(coro__send(fd, "ping", 4, 0, 0) == 4, "send");
	n = coro__recv(fd, buf, sizeof(buf), 0, 1000000000);
	T_ASSERT(n == 4 && !memcmp(buf, "pong", 4), "recv %zd", n);
	n = coro__recv(fd, buf, sizeof(buf), 0, 1000000000);
	T_ASSERT(n == 0, "eof %zd", n);
	close(fd);
	return 0;
}

/* Batched loop: a read with no timeout and no timer anywhere, satisfied by
 * a plain thread 200 ms later.  The loop then waits with no deadline of its
 * own; the kernel would end such a min-wait every window (a spin of ~4000
 * waits in 200 ms) if the loop did not pass one. */
static void *late_writer(void *arg)
{
	(void)arg;
	usleep(200000);
	if (write(pfd[1], "late", 4) != 4)
		abort();
	return NULL;
}

static int idle_reader(void *arg)
{
	char buf[8];
	ssize_t n = coro__read(pfd[0], buf, sizeof(buf), 0);

	(void)arg;
	T_ASSERT(n == 4 && !memcmp(buf, "late", 4), "batched read %zd", n);
	return 0;
}

static void batched(void)
{
	struct coro_loop_opts o = { .batch_wait_us = 50 };
	struct coro_stats st;
	struct coro_loop *l;
	uint64_t t0, ms;
	pthread_t t;

	T_ASSERT(loop__new(&l, &o) == 0, "batched loop__new");
	if (!loop__batch_wait_us(l)) {
		printf("note: this kernel has no io_uring min-wait (Linux 6.12+): batched waits not tested\n");
		loop__free(l);
		return;
	}
	T_ASSERT(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
	coro__spawn(l, reader, NULL, "reader", NULL);	/* timers and I/O, batched */
	coro__spawn(l, writer, NULL, "writer", NULL);
	T_ASSERT(loop__run(l) == 0, "run batched pipes");

	/* valgrind runs one thread at a time and does not let go while the
	 * loop blocks in io_uring_enter: the writer thread would never run
	 * (batched or not). */
	if (RUNNING_ON_VALGRIND) {
		printf("note: under valgrind: the idle batched wait (a second thread) not tested\n");
		close(pfd[0]);
		close(pfd[1]);
		loop__free(l);
		return;
	}
	coro__spawn(l, idle_reader, NULL, "idle", NULL);
	loop__stats(l, &st);
	t0 = coro__now_ns();
	T_ASSERT(pthread_create(&t, NULL, late_writer, NULL) == 0, "thread");
	T_ASSERT(loop__run(l) == 0, "run batched idle");
	pthread_join(t, NULL);
	ms = (coro__now_ns() - t0) / 1000000;
	{
		uint64_t waits = st.kernel_waits;

		loop__stats(l, &st);
		waits = st.kernel_waits - waits;
		T_ASSERT(waits <= 5, "an idle batched wait spun: %llu kernel waits in %llu ms",
			 (unsigned long long)waits, (unsigned long long)ms);
		T_ASSERT(ms >= 190 && ms < 1000, "late write seen after %llu ms", (unsigned long long)ms);
	}
	close(pfd[0]);
	close(pfd[1]);
	loop__free(l);
}

int main(void)
{
	struct coro_loop *l;
	struct coro *c;
	socklen_t alen = sizeof(addr);
	int fds_before = proc_fd_count(), rc, err;

	err = loop__new(&l, NULL);
	if (err == -ENOSYS || err == -EPERM)
		T_SKIP("io_uring unavailable (%s)", strerror(-err));
	T_ASSERT(err == 0, "loop__new %d", err);

	T_ASSERT(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
	coro__spawn(l, reader, NULL, "reader", NULL);
	coro__spawn(l, writer, NULL, "writer", NULL);
	T_ASSERT(loop__run(l) == 0, "run pipes");

	coro__spawn(l, blocked_reader, NULL, "blocked", &c);
	coro__spawn(l, cancel_it, c, "canceller", NULL);
	T_ASSERT(loop__run(l) == 0, "run cancel");
	T_ASSERT(coro__join(c, &rc) == 0 && rc == -ECANCELED, "cancelled read gave %d", rc);
	close(pfd[0]);
	close(pfd[1]);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind");
	T_ASSERT(listen(lfd, 16) == 0, "listen");
	T_ASSERT(getsockname(lfd, (struct sockaddr *)&addr, &alen) == 0, "getsockname");
	coro__spawn(l, server, NULL, "server", NULL);
	coro__spawn(l, client, NULL, "client", NULL);
	T_ASSERT(loop__run(l) == 0, "run tcp");
	close(lfd);

	loop__free(l);
	batched();
	T_ASSERT(proc_fd_count() == fds_before, "fd leak: %d before, %d after", fds_before,
		 proc_fd_count());
	return T_EXIT_PASS;
}
