// SPDX-License-Identifier: MIT
/* Description: corolab serve over raw sockets: garbage -> 400 and close,
 * a 10 KiB header -> 431, a slowloris client is timed out, pipelined
 * requests all answered, 1,000 concurrent keep-alive connections, the
 * server keeps serving others throughout and exits 0 on SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

static int port;

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	T_ASSERT(fd >= 0, "socket: %s", strerror(errno));
	T_ASSERT(!connect(fd, (struct sockaddr *)&sa, sizeof(sa)), "connect: %s", strerror(errno));
	return fd;
}

/* Read until the peer closes or `want` occurrences of "HTTP/1.1 " arrived;
 * returns bytes read; *closed says whether EOF was seen. */
static size_t slurp(int fd, char *buf, size_t cap, int want, int timeout_ms, int *closed)
{
	size_t n = 0;

	*closed = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int seen = 0;
		ssize_t k;

		buf[n] = 0;
		for (char *s = buf; (s = strstr(s, "HTTP/1.1 ")); s++)
			seen++;
		if (want && seen >= want)
			return n;
		if (poll(&p, 1, timeout_ms) <= 0)
			return n;
		k = read(fd, buf + n, cap - 1 - n);
		if (k <= 0) {
			*closed = 1;
			return n;
		}
		n += (size_t)k;
	}
}

static void check_alive(void)
{
	char buf[4096];
	int fd = dial(), closed;

	T_ASSERT(write(fd, "GET /get HTTP/1.1\r\nHost: t\r\n\r\n", 30) == 30, "write");
	slurp(fd, buf, sizeof(buf), 1, 2000, &closed);
	T_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12), "server still serving: got '%.40s'", buf);
	close(fd);
}

int main(void)
{
	struct serve_opts o = { .idle_ns = 300000000ull };	/* 0.3 s idle timeout */
	struct server_child sc;
	static char buf[1 << 20];
	int fd, closed, err;
	size_t n;

	err = server_child__start(&sc, &o);
	T_ASSERT(!err, "start server: %s", strerror(-err));
	port = sc.port;
	check_alive();

	/* Garbage: 400 and close. */
	fd = dial();
	T_ASSERT(write(fd, "garbage\r\n\r\n", 11) == 11, "write");
	n = slurp(fd, buf, sizeof(buf), 0, 2000, &closed);
	T_ASSERT(n && !strncmp(buf, "HTTP/1.1 400", 12) && closed, "garbage: '%.40s' closed=%d", buf, closed);
	close(fd);

	/* Binary junk with NULs. */
	fd = dial();
	{
		char junk[512];
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (char)(i * 37);
		junk[100] = '\n';
		T_ASSERT(write(fd, junk, sizeof(junk)) == sizeof(junk), "write");
	}
	slurp(fd, buf, sizeof(buf), 0, 2000, &closed);
	T_ASSERT(closed, "binary junk closes");
	close(fd);

	/* 10 KiB header: 431 and close. */
	fd = dial();
	{
		char big[10300];
		int k = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
		memset(big + k, 'a', 10240);
		memcpy(big + k + 10240, "\r\n\r\n", 4);
		T_ASSERT(write(fd, big, (size_t)k + 10244) > 0, "write");
	}
	slurp(fd, buf, sizeof(buf), 0, 2000, &closed);
	T_ASSERT(!strncmp(buf, "HTTP/1.1 431", 12) && closed, "big header: '%.40s'", buf);
	close(fd);

	/* Pipelining: three requests in one write, three answers in order. */
	fd = dial();
	{
		const char *p = "GET /status/201 HTTP/1.1\r\nHost: t\r\n\r\n"
				"GET /delay/0.05 HTTP/1.1\r\nHost: t\r\n\r\n"
				"GET /status/418 HTTP/1.1\r\nHost: t\r\n\r\n";
		T_ASSERT(write(fd, p, strlen(p)) == (ssize_t)strlen(p), "write");
	}
	slurp(fd, buf, sizeof(buf), 3, 3000, &closed);
	{
		char *a = strstr(buf, "HTTP/1.1 201"), *b = strstr(buf, "HTTP/1.1 200"), *c = strstr(buf, "HTTP/1.1 418");
		T_ASSERT(a && b && c && a < b && b < c, "pipelined answers in order: %.200s", buf);
	}
	close(fd);

	/* Slowloris: a head trickling in is cut off after the idle timeout,
	 * even though bytes keep arriving. */
	fd = dial();
	{
		const char *p = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		int cut = 0;

		for (size_t i = 0; i < strlen(p) && !cut; i++) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			if (write(fd, p + i, 1) != 1 || (poll(&pf, 1, 50) == 1 && read(fd, buf, 16) <= 0))
				cut = 1;
		}
		T_ASSERT(cut, "slowloris was not cut off");
	}
	close(fd);
	/* An idle connection is closed too. */
	fd = dial();
	slurp(fd, buf, sizeof(buf), 0, 2000, &closed);
	T_ASSERT(closed, "idle connection closed");
	close(fd);
	check_alive();

	/* 1,000 concurrent keep-alive connections, each asks twice. */
	{
		enum { N = 1000 };
		static int fds[N];
		struct rlimit rl;

		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < N + 100)
			T_SKIP("RLIMIT_NOFILE hard limit %lu < %d", (unsigned long)rl.rlim_cur, N + 100);
		for (int round = 0; round < 2; round++) {
			for (int i = 0; i < N; i++) {
				if (!round)
					fds[i] = dial();
				T_ASSERT(write(fds[i], "GET /delay/0.1 HTTP/1.1\r\nHost: t\r\n\r\n", 36) == 36, "write %d", i);
			}
			for (int i = 0; i < N; i++) {
				n = slurp(fds[i], buf, 8192, 1, 5000, &closed);
				T_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12), "conn %d round %d: '%.40s'", i, round, buf);
				/* Drain the body so the next round starts clean. */
				{
					char *cl = strstr(buf, "Content-Length: "), *body = strstr(buf, "\r\n\r\n");
					size_t want = cl && body ? (size_t)(body + 4 - buf) + (size_t)atol(cl + 16) : n;
					while (n < want) {
						ssize_t k = read(fds[i], buf + n, 8192 - n);
						T_ASSERT(k > 0, "body %d", i);
						n += (size_t)k;
					}
				}
			}
		}
		for (int i = 0; i < N; i++)
			close(fds[i]);
	}
	check_alive();
	T_ASSERT(server_child__stop(&sc) == 0, "server exits 0 on SIGTERM");
	return 0;
}
