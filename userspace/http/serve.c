// SPDX-License-Identifier: MIT
/*
 * corolab serve: an httpbin-compatible delay server on the coroutine runtime.
 *
 * One coroutine per connection; recv and send are io_uring operations, and
 * the listener's readiness is an io_uring poll (accept_next says why accept
 * itself is a plain non-blocking accept4).  The hot path allocates nothing:
 * the receive buffer, the response buffer and the body buffer live on the
 * connection's coroutine stack, pipelined responses are batched into one
 * send, and the Date header is formatted once per second.  /delay sleeps
 * with coro__sleep_ns (the runtime's timer heap: no kernel timer per
 * request).
 *
 * Idle and slow clients: instead of a linked kernel timeout on every recv
 * (one kernel timer per connection, which does not scale — see DESIGN.md),
 * a sweeper coroutine scans the connection list every idle/4 and cancels the
 * await of connections that have been idle, or have been sending one request
 * head, for longer than the idle timeout.  The scan is O(connections) per
 * tick; at 10,000 connections and a 30 s timeout that is ~1,300 visits/s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "coro/coro.h"
#include "http/http.h"
#include "http/http_parse.h"
#include "util/util.h"

#define MAX_HEAD 8192			/* larger request heads get 431 */
#define IN_CAP (MAX_HEAD + 1024)	/* room for a pipelined tail */
#define BODY_CAP 16384			/* JSON bodies (/get, /delay) */
#define OUT_CAP (BODY_CAP + 8192)	/* batched responses */
#define RESP_HEAD_MAX 512		/* status line + our headers */
#define MAX_BODY_DISCARD (1u << 20)	/* request bodies we read and drop */
#define CONN_STACK (128u << 10)		/* buffers above + frames */
#define ACCEPT_BATCH 64			/* accepts in a row before the new connections run */
#define DEFAULT_IDLE_NS (30ull * 1000000000ull)
#define SERVE_WANT_CONNS 10000		/* what the server is built to hold: said when the limit is lower */

struct server;

struct conn {
	struct conn *prev, *next;	/* server's connection list (sweeper, shutdown) */
	struct server *s;
	struct coro *co;		/* the connection's coroutine */
	int fd;
	bool busy;			/* sleeping in /delay: not idle */
	bool timed_out;			/* the sweeper cancelled it */
	uint64_t last_ns;		/* last completed recv/send */
	uint64_t head_start_ns;		/* first byte of an incomplete request; 0: none */
	char origin[INET6_ADDRSTRLEN];
};

struct server {
	struct coro_loop *loop;
	int lfd, sigfd, exitfd;
	struct conn *conns;
	long nconns, max_conns;
	uint64_t idle_ns;
	bool stopping;
	struct coro *acceptor;
	struct coro *sweeper;
	struct coro *exit_watch;	/* --exit-with */
	struct serve_stats st;
};

/* ---- small bounded writer ------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	bool over;	/* something did not fit; len stays consistent */
};

static void b_put(struct buf *b, const char *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void b_str(struct buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void b_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = true;
	else
		b->len += (size_t)n;
}

/* Decimal digits without printf: every response's status and length go
 * through here (vfprintf was ~4% of the server's CPU against wrk). */
static void b_uint(struct buf *b, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	b_put(b, d + i, sizeof(d) - i);
}

/* A JSON string; bytes >= 0x80 and controls as \u00XX (the input is not
 * necessarily UTF-8, and the output must stay valid JSON). */
static void b_json(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	b_put(b, "\"", 1);
	for (size_t i = 0; i < n && !b->over; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			b_put(b, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			b_put(b, e, 6);
		} else {
			b_put(b, (const char *)&c, 1);
		}
	}
	b_put(b, "\"", 1);
}

/* ---- Date header, once per second ---------------------------------------- */

static char date_line[64];	/* "Date: ...\r\n"; one thread serves, so no lock */
static time_t date_sec = -1;

static const char *date_header(void)
{
	time_t now = time(NULL);	/* vDSO: no system call */

	if (now != date_sec) {
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(date_line, sizeof(date_line), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		date_sec = now;
	}
	return date_line;
}

/* ---- responses -------------------------------------------------------------- */

static char bytes_body[SERVE_BYTES_CAP];	/* /bytes/N serves a prefix of this */

static void resp_head(struct buf *o, int status, const char *ctype, size_t clen, bool keep)
{
	b_str(o, "HTTP/1.1 ");
	b_uint(o, (unsigned)status);
	b_put(o, " ", 1);
	b_str(o, http_reason(status));
	b_put(o, "\r\n", 2);
	b_str(o, date_header());
	b_str(o, "Server: corolab\r\n");
	if (ctype) {
		b_str(o, "Content-Type: ");
		b_str(o, ctype);
		b_put(o, "\r\n", 2);
	}
	if (status != 204 && status != 304 && status >= 200) {
		b_str(o, "Content-Length: ");
		b_uint(o, clen);
		b_put(o, "\r\n", 2);
	}
	b_str(o, keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

static void resp_simple(struct buf *o, int status, const char *body, bool keep, bool head_only)
{
	size_t n = body ? strlen(body) : 0;

	resp_head(o, status, n ? "text/plain" : NULL, n, keep);
	if (!head_only && n)
		b_put(o, body, n);
}

/* httpbin's args: the query as an object of strings (no percent-decoding,
 * a repeated key appears twice rather than as a list). */
static void json_args(struct buf *b, const struct http_req *r)
{
	size_t i = 0;
	bool first = true;

	b_str(b, "{");
	while (r->query && i < r->query_len) {
		size_t s = i, eq = (size_t)-1;

		while (i < r->query_len && r->query[i] != '&') {
			if (r->query[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		if (i > s) {
			size_t klen = eq == (size_t)-1 ? i - s : eq - s;
			const char *v = eq == (size_t)-1 ? "" : r->query + eq + 1;
			size_t vlen = eq == (size_t)-1 ? 0 : i - eq - 1;

			b_str(b, first ? "\n    " : ",\n    ");
			b_json(b, r->query + s, klen);
			b_str(b, ": ");
			b_json(b, v, vlen);
			first = false;
		}
		i++;
	}
	b_str(b, first ? "}" : "\n  }");
}

/* A hop-by-hop header (RFC 9110 7.6.1): it concerns this connection only,
 * and httpbin.org never shows one (its proxies drop them).  Leaving them
 * out also keeps a body the same whether the client asked to close
 * ("Connection: close", as the http workload's one-shot transfers do) or
 * not, so the workload's byte counts compare across modes. */
static bool hop_by_hop(const char *name, size_t len)
{
	static const char *const names[] = { "connection", "keep-alive", "proxy-connection",
					     "te", "trailer", "transfer-encoding", "upgrade" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
			return true;
	return false;
}

static void json_headers(struct buf *b, const struct http_req *r)
{
	unsigned shown = 0;

	b_str(b, "{");
	for (unsigned i = 0; i < r->nhdrs; i++) {
		if (hop_by_hop(r->hdrs[i].name, r->hdrs[i].name_len))
			continue;
		b_str(b, shown++ ? ",\n    " : "\n    ");
		b_json(b, r->hdrs[i].name, r->hdrs[i].name_len);
		b_str(b, ": ");
		b_json(b, r->hdrs[i].value, r->hdrs[i].value_len);
	}
	b_str(b, shown ? "\n  }" : "}");
}

/* The body of /get and /delay/N, shaped like httpbin's. */
static void json_echo(struct buf *b, const struct http_req *r, const struct conn *c,
		      bool with_headers, double delay)
{
	b_str(b, "{\n  \"args\": ");
	json_args(b, r);
	if (delay >= 0)
		b_str(b, ",\n  \"data\": \"\",\n  \"files\": {},\n  \"form\": {}");
	b_str(b, ",\n  \"headers\": ");
	if (with_headers)
		json_headers(b, r);
	else
		b_str(b, "{\"_truncated\": \"too large to echo\"}");
	b_str(b, ",\n  \"origin\": ");
	b_json(b, c->origin, strlen(c->origin));
	b_str(b, ",\n  \"url\": \"http://");
	{
		/* Reuse b_json's escaping without its quotes. */
		size_t mark = b->len;

		b_json(b, r->host ? r->host : "localhost", r->host ? r->host_len : 9);
		if (!b->over) {
			memmove(b->p + mark, b->p + mark + 1, b->len - mark - 2);
			b->len -= 2;
		}
		mark = b->len;
		b_json(b, r->path, r->query ? r->path_len + 1 + r->query_len : r->path_len);
		if (!b->over) {
			memmove(b->p + mark, b->p + mark + 1, b->len - mark - 2);
			b->len -= 2;
		}
	}
	b_str(b, "\"");
	if (delay >= 0)
		b_fmt(b, ",\n  \"delay\": %g", delay);
	b_str(b, "\n}\n");
}

/* ---- connection I/O ------------------------------------------------------- */

/* Responses go out with one plain non-blocking send() first: a small
 * response always fits the socket buffer, and doing it inline saves the
 * SQE -> CQE -> resume round trip through the loop (~10% of requests/s
 * against wrk).  Only what does not fit waits on io_uring. */
static int send_all(struct conn *c, const char *p, size_t n)
{
	ssize_t k = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	if (k > 0) {
		p += k;
		n -= (size_t)k;
		c->last_ns = coro__now_ns();
	}
	while (n) {
		ssize_t k = coro__send(c->fd, p, n, 0, 0);

		if (k <= 0)
			return k < 0 ? (int)k : -EPIPE;
		p += k;
		n -= (size_t)k;
		c->last_ns = coro__now_ns();
	}
	return 0;
}

static int flush_out(struct conn *c, struct buf *o)
{
	int err = o->len ? send_all(c, o->p, o->len) : 0;

	o->len = 0;
	o->over = false;
	return err;
}

/* Path component after prefix, e.g. "/delay/" -> "1.5". */
static bool path_arg(const struct http_req *r, const char *prefix, char *out, size_t cap)
{
	size_t pl = strlen(prefix);

	if (r->path_len <= pl || r->path_len - pl >= cap || memcmp(r->path, prefix, pl))
		return false;
	memcpy(out, r->path + pl, r->path_len - pl);
	out[r->path_len - pl] = 0;
	return !memchr(out, '/', r->path_len - pl);
}

static bool path_is(const struct http_req *r, const char *p)
{
	return r->path_len == strlen(p) && !memcmp(r->path, p, r->path_len);
}

/* Abort the connection with a TCP RST after a partial response: the test
 * endpoint for "server resets mid-response". */
static void reset_conn(struct conn *c)
{
	static const char partial[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial";
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)send_all(c, partial, sizeof(partial) - 1);
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

enum { KEEP = 0, CLOSE = 1, RESET = 2 };

/* Handle one parsed request: append its response to o (flushing first when
 * it has to wait or send a large body).  Returns KEEP, CLOSE, RESET or
 * -errno (connection failed or was cancelled). */
static int handle(struct conn *c, const struct http_req *r, struct buf *o)
{
	struct server *s = c->s;
	bool keep = r->keep_alive && !s->stopping;
	bool head_only = r->method_len == 4 && !memcmp(r->method, "HEAD", 4);
	char arg[32], body_mem[BODY_CAP];
	struct buf body = { .p = body_mem, .cap = sizeof(body_mem) };
	int status = 200;
	double delay = -1;

	s->st.requests++;
	if (!head_only && !(r->method_len == 3 && !memcmp(r->method, "GET", 3))) {
		resp_simple(o, 405, "method not allowed: this server answers GET and HEAD\n", keep, head_only);
		return keep ? KEEP : CLOSE;
	}
	if (path_is(r, "/")) {
		resp_simple(o, 200, "corolab serve: httpbin-compatible delay server\n", keep, head_only);
		return keep ? KEEP : CLOSE;
	}
	if (path_is(r, "/reset")) {
		int err = flush_out(c, o);
		if (err)
			return err;
		reset_conn(c);
		return RESET;
	}
	if (path_arg(r, "/status/", arg, sizeof(arg))) {
		long code;
		if (parse_long(arg, 200, 599, &code)) {
			resp_simple(o, 400, "bad status code: use /status/200..599\n", keep, head_only);
		} else {
			resp_head(o, (int)code, NULL, 0, keep);
		}
		return keep ? KEEP : CLOSE;
	}
	if (path_arg(r, "/bytes/", arg, sizeof(arg))) {
		long n;
		int err;

		if (parse_long(arg, 0, LONG_MAX, &n)) {
			resp_simple(o, 400, "bad byte count\n", keep, head_only);
			return keep ? KEEP : CLOSE;
		}
		if (n > SERVE_BYTES_CAP)
			n = SERVE_BYTES_CAP;
		resp_head(o, 200, "application/octet-stream", (size_t)n, keep);
		if ((err = flush_out(c, o)))
			return err;
		if (!head_only && (err = send_all(c, bytes_body, (size_t)n)))
			return err;
		return keep ? KEEP : CLOSE;
	}
	if (path_arg(r, "/delay/", arg, sizeof(arg))) {
		int err;

		if (parse_double(arg, 0, 1e9, &delay) || !isfinite(delay)) {
			resp_simple(o, 400, "bad delay: use /delay/SECONDS (fractions allowed)\n", keep, head_only);
			return keep ? KEEP : CLOSE;
		}
		if (delay > SERVE_DELAY_CAP_S)
			delay = SERVE_DELAY_CAP_S;
		/* Earlier pipelined responses should not wait for our delay. */
		if ((err = flush_out(c, o)))
			return err;
		c->busy = true;
		err = coro__sleep_ns((uint64_t)(delay * 1e9));
		c->busy = false;
		c->last_ns = coro__now_ns();
		if (err)
			return err;
	} else if (!path_is(r, "/get")) {
		resp_simple(o, 404, "not found: try /delay/N, /get, /status/CODE, /bytes/N\n", keep, head_only);
		return keep ? KEEP : CLOSE;
	}
	json_echo(&body, r, c, true, delay);
	if (body.over) {	/* headers too large to echo: say so instead */
		body.len = 0;
		body.over = false;
		json_echo(&body, r, c, false, delay);
	}
	if (body.over) {	/* the URI alone is: never a cut-off JSON body */
		resp_simple(o, 414, "URI too long to echo as JSON\n", keep, head_only);
		return keep ? KEEP : CLOSE;
	}
	resp_head(o, status, "application/json", body.len, keep);
	if (!head_only)
		b_put(o, body.p, body.len);
	return keep ? KEEP : CLOSE;
}

/* A bad request: answer status, then close. */
static void bad_request(struct conn *c, struct buf *o, int status, const char *msg)
{
	c->s->st.bad_requests++;
	resp_simple(o, status, msg, false, false);
	(void)flush_out(c, o);
}

static void conn_unlink(struct server *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
}

static int conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *s = c->s;
	char in[IN_CAP], out_mem[OUT_CAP];
	struct buf o = { .p = out_mem, .cap = sizeof(out_mem) };
	size_t have = 0;
	uint64_t discard = 0;	/* request body bytes still to drop */
	int state = KEEP;

	c->last_ns = coro__now_ns();
	while (state == KEEP) {
		ssize_t n;

		/* Serve every complete request in the buffer (pipelining). */
		while (state == KEEP) {
			struct http_req r;
			int h;

			if (discard) {
				size_t k = have < discard ? have : (size_t)discard;

				memmove(in, in + k, have - k);
				have -= k;
				discard -= k;
				if (discard)
					break;
			}
			if (!have) {
				c->head_start_ns = 0;
				break;
			}
			h = http_parse_request(in, have, MAX_HEAD, &r);
			if (h == 0) {
				if (!c->head_start_ns)
					c->head_start_ns = coro__now_ns();
				break;
			}
			if (h < 0) {
				bad_request(c, &o, h == -EMSGSIZE ? 431 : 400,
					    h == -EMSGSIZE ? "request header fields too large\n" : "malformed request\n");
				state = CLOSE;
				break;
			}
			c->head_start_ns = 0;
			if (r.chunked) {
				bad_request(c, &o, 501, "chunked request bodies are not supported\n");
				state = CLOSE;
				break;
			}
			if (r.content_length > MAX_BODY_DISCARD) {
				bad_request(c, &o, 413, "request body too large\n");
				state = CLOSE;
				break;
			}
			/* Make room for the largest response before handling. */
			if (o.cap - o.len < BODY_CAP + RESP_HEAD_MAX && flush_out(c, &o)) {
				state = CLOSE;
				break;
			}
			state = handle(c, &r, &o);
			if (state < 0)
				break;
			memmove(in, in + h, have - (size_t)h);
			have -= (size_t)h;
			discard = r.content_length;
		}
		if (state < 0 || state == RESET)
			break;
		if (flush_out(c, &o) || state != KEEP)
			break;
		n = coro__recv(c->fd, in + have, sizeof(in) - have, 0, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
		c->last_ns = coro__now_ns();
	}
	if (c->timed_out)
		s->st.timeouts++;
	conn_unlink(s, c);
	close(c->fd);
	free(c);
	return 0;
}

/* conn_main needs its own coroutine handle for the sweeper and shutdown;
 * spawned detached, it takes it from coro__self() on its first run. */
static int conn_entry(void *arg)
{
	struct conn *c = arg;

	c->co = coro__self();
	if (c->s->stopping) {
		conn_unlink(c->s, c);
		close(c->fd);
		free(c);
		return 0;
	}
	return conn_main(c);
}

/* ---- accept, sweep, signals ------------------------------------------------ */

/* The next connection: -errno, -ECANCELED once cancelled.
 *
 * Why not io_uring's accept: it waits on the listener with an exclusive
 * poll, and the kernel never defers the wake-up of an exclusive poll (no
 * lazy wake, REQ_F_POLL_NO_LAZY), so every connection that finds the server
 * asleep wakes it at once, batching window or not: on loopback the
 * connecting client's CPU sends that IPI inside connect() (sock_def_readable
 * under tcp_child_process; ~5,000 function-call IPIs per 10,000 connects
 * here).  A plain poll is woken lazily, so the loop's batching window
 * (coro_loop_opts.batch_wait_us) holds, and accept4 on the non-blocking
 * listener then drains whatever is queued (notes/http.md, session 13). */
static int accept_next(struct server *s, struct sockaddr_storage *sa, socklen_t *slen)
{
	for (;;) {
		int fd = accept4(s->lfd, (struct sockaddr *)sa, slen, SOCK_CLOEXEC);
		int r;

		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = coro__poll(s->lfd, POLLIN, 0);
		if (r < 0)
			return r;
	}
}

static bool accept_transient(int err)
{
	switch (err) {
	case ECONNABORTED: case EINTR: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
	case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
		return true;
	default:
		return false;
	}
}

static int acceptor_main(void *arg)
{
	struct server *s = arg;
	unsigned n = 0;

	while (!s->stopping) {
		struct sockaddr_storage sa;
		socklen_t slen = sizeof(sa);
		struct conn *c;
		int fd, one = 1;

		/* In a burst, let the connections accepted so far run now and
		 * then (a yield with nobody else ready returns at once). */
		if (++n % ACCEPT_BATCH == 0)
			coro__yield();
		fd = accept_next(s, &sa, &slen);
		if (fd == -ECANCELED || s->stopping) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (fd < 0) {
			/* A connection that failed while queued: on to the next
			 * (accept(2) lists the network errors to treat so).
			 * Out of descriptors or memory, or anything else: back
			 * off rather than spin; the sweeper will free some. */
			if (!accept_transient(-fd))
				coro__sleep_ns(10000000);
			continue;
		}
		s->st.accepted++;
		if (s->nconns >= s->max_conns || !(c = calloc(1, sizeof(*c)))) {
			s->st.rejected++;
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->s = s;
		c->fd = fd;
		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, c->origin, sizeof(c->origin));
		else if (sa.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, c->origin, sizeof(c->origin));
		/* Detached: conn_entry learns its own handle (coro__self). */
		if (coro__spawn(s->loop, conn_entry, c, "conn", NULL)) {
			s->st.rejected++;
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		if (++s->nconns > (long)s->st.peak_conns)
			s->st.peak_conns = (uint64_t)s->nconns;
	}
	return 0;
}

static int sweeper_main(void *arg)
{
	struct server *s = arg;
	uint64_t tick = s->idle_ns / 4;

	if (tick < 10000000)
		tick = 10000000;
	while (!s->stopping && !coro__sleep_ns(tick)) {
		uint64_t now = coro__now_ns();

		/* O(connections) per tick, see the top of the file. */
		for (struct conn *c = s->conns; c; c = c->next) {
			if (c->busy || !c->co || c->timed_out)
				continue;
			if (now - c->last_ns > s->idle_ns ||
			    (c->head_start_ns && now - c->head_start_ns > s->idle_ns)) {
				c->timed_out = true;
				coro__cancel(c->co);
			}
		}
	}
	return 0;
}

static int signal_main(void *arg)
{
	struct server *s = arg;
	struct signalfd_siginfo si;
	ssize_t n = coro__read(s->sigfd, &si, sizeof(si), 0);

	(void)n;	/* a signal or a failed read: stop either way */
	s->stopping = true;
	if (s->acceptor)
		coro__cancel(s->acceptor);
	if (s->sweeper)
		coro__cancel(s->sweeper);
	if (s->exit_watch)
		coro__cancel(s->exit_watch);
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->co)
			coro__cancel(c->co);
	/* Joining frees them (they are joinable only to be cancellable). */
	if (s->acceptor)
		coro__join(s->acceptor, NULL);
	if (s->sweeper)
		coro__join(s->sweeper, NULL);
	if (s->exit_watch)
		coro__join(s->exit_watch, NULL);
	return 0;
}

/* --exit-with: the watched process's pidfd turns readable when it exits;
 * stop as SIGTERM would.  A lab script killed with SIGKILL (which no trap
 * sees) then leaves no server behind. */
static int exit_with_main(void *arg)
{
	struct server *s = arg;
	int r = coro__poll(s->exitfd, POLLIN, 0);

	/* -ECANCELED: stopping already.  Any other error cannot come from a
	 * pidfd's poll; the server then runs on as without --exit-with. */
	if (r <= 0 || s->stopping)
		return r;
	kill(getpid(), SIGTERM);	/* blocked: signal_main reads it */
	return 0;
}

long serve_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

static int listen_on(const char *bind_addr, int port, int *out_port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1, err;

	if (inet_pton(AF_INET, bind_addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, bind_addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	} else {
		return -EINVAL;
	}
	/* Non-blocking: acceptor_main drains the queue with accept4. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 65535) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	*out_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						   : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

int server__run(const struct serve_opts *o, serve_listen_fn on_listen, void *arg,
		struct serve_stats *st)
{
	struct coro_loop_opts lo = { .stack_size = CONN_STACK };
	struct server s = { .lfd = -1, .sigfd = -1, .exitfd = -1 };
	sigset_t set, old;
	int port = 0, err;

	s.max_conns = o->max_conns > 0 ? o->max_conns : LONG_MAX;
	s.idle_ns = o->idle_ns ? o->idle_ns : DEFAULT_IDLE_NS;
	for (size_t i = 0; i < sizeof(bytes_body); i++)
		bytes_body[i] = (char)((i * 2654435761u) >> 13);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &old))
		return -errno;
	s.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s.sigfd < 0) {
		err = -errno;
		goto out;
	}
	if (o->exit_with > 0) {
		s.exitfd = proc_pidfd_open(o->exit_with);
		if (s.exitfd < 0) {
			err = s.exitfd;
			goto out;
		}
	}
	err = listen_on(o->bind ? o->bind : "127.0.0.1", o->port, &port);
	if (err < 0)
		goto out;
	s.lfd = err;
	/* Batched wake-ups: while the server sleeps, a burst of connections or
	 * requests wakes it once per batch (or per window), not once each; the
	 * kernel then sends no wake-up IPI per event, a cost the client's CPU
	 * pays on loopback (notes/http.md).  An event waits at most the window. */
	lo.batch_wait_us = o->batch_wait_us < 0 ? 0 :
			   o->batch_wait_us ? (unsigned)o->batch_wait_us : SERVE_BATCH_WAIT_US;
	err = loop__new(&s.loop, &lo);
	if (err)
		goto out;
	err = coro__spawn(s.loop, acceptor_main, &s, "accept", &s.acceptor);
	if (!err)
		err = coro__spawn(s.loop, sweeper_main, &s, "sweep", &s.sweeper);
	if (!err)
		err = coro__spawn(s.loop, signal_main, &s, "signal", NULL);
	if (!err && s.exitfd >= 0)
		err = coro__spawn(s.loop, exit_with_main, &s, "exit-with", &s.exit_watch);
	if (err)
		goto out;
	if (on_listen)
		on_listen(arg, o->bind ? o->bind : "127.0.0.1", port);
	err = loop__run(s.loop);
out:
	if (st) {
		*st = s.st;
		st->batch_wait_us = s.loop ? loop__batch_wait_us(s.loop) : 0;
	}
	if (s.loop)
		loop__free(s.loop);
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.exitfd >= 0)
		close(s.exitfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* ---- corolab serve --------------------------------------------------------- */

static void print_listening(void *arg, const char *addr, int port)
{
	(void)arg;
	if (strchr(addr, ':'))
		printf("listening on [%s]:%d\n", addr, port);
	else
		printf("listening on %s:%d\n", addr, port);
	fflush(stdout);
}

static void serve_usage(FILE *f)
{
	fprintf(f,
		"USAGE: corolab serve [--bind ADDR] [--port N] [--max-conns N] [--idle-timeout S]\n"
		"                     [--batch-wait US] [--exit-with PID] [-v]\n"
		"\n"
		"An httpbin-compatible delay server on corolab's coroutine runtime (io_uring).\n"
		"Prints 'listening on ADDR:PORT' on stdout once ready; SIGINT/SIGTERM stop it.\n"
		"\n"
		"ENDPOINTS: GET /delay/N (N seconds, fractions allowed, at most 10), /get,\n"
		"  /status/CODE, /bytes/N (at most 102400), / (small text); HEAD works too.\n"
		"  /reset sends part of a response, then a TCP RST (for fault tests).\n"
		"\n"
		"OPTIONS:\n"
		"  --bind ADDR         IPv4/IPv6 literal to listen on (default 127.0.0.1)\n"
		"  --port N            TCP port; 0 picks a free one (default 8080)\n"
		"  --max-conns N       close connections beyond N at once (default: RLIMIT_NOFILE - 64)\n"
		"  --idle-timeout S    close idle or slow clients after S seconds (default 30)\n"
		"  --batch-wait US     while asleep, wake once per 32 events or US microseconds\n"
		"                      (io_uring min-wait, Linux 6.12+; default 50, 0 = every event)\n"
		"  --exit-with PID     stop when process PID exits, however it ends (a script\n"
		"                      passes its own $$, so even kill -9 leaves no server)\n"
		"  -v                  connection statistics on stderr at exit\n"
		"\n"
		"EXAMPLES:\n"
		"  corolab serve --port 0\n"
		"  curl http://127.0.0.1:8080/delay/1.5\n"
		"  wrk -t1 -c100 -d5s http://127.0.0.1:8080/\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "batch-wait", required_argument, NULL, 'w' },
		{ "exit-with", required_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct serve_opts o = { .bind = "127.0.0.1", .port = 8080, .max_conns = 0 };
	struct serve_stats st;
	int opt, err, verbose = 0;
	long v, nofile;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "b:p:m:i:w:x:vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'b': {
			struct in6_addr a;
			if (inet_pton(AF_INET, optarg, &a) != 1 && inet_pton(AF_INET6, optarg, &a) != 1) {
				fprintf(stderr, "corolab serve: --bind wants an IPv4 or IPv6 address, not '%s'\n", optarg);
				return 2;
			}
			o.bind = optarg;
			break;
		}
		case 'p':
			if (parse_long(optarg, 0, 65535, &v)) {
				fprintf(stderr, "corolab serve: --port wants 0..65535, not '%s'\n", optarg);
				return 2;
			}
			o.port = (int)v;
			break;
		case 'm':
			if (parse_long(optarg, 1, 10000000, &o.max_conns)) {
				fprintf(stderr, "corolab serve: --max-conns wants a positive count, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_duration_ns(optarg, &o.idle_ns) || !o.idle_ns) {
				fprintf(stderr, "corolab serve: --idle-timeout wants seconds > 0 (e.g. 30, 0.5), not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (parse_long(optarg, 0, 1000000, &v)) {
				fprintf(stderr, "corolab serve: --batch-wait wants microseconds 0..1000000, not '%s'\n", optarg);
				return 2;
			}
			o.batch_wait_us = v ? v : -1;
			break;
		case 'x':
			if (parse_long(optarg, 1, INT_MAX, &v)) {
				fprintf(stderr, "corolab serve: --exit-with wants a process id, not '%s'\n", optarg);
				return 2;
			}
			o.exit_with = (pid_t)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			serve_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "corolab serve: unexpected argument '%s'\n", argv[optind]);
		serve_usage(stderr);
		return 2;
	}
	nofile = serve_raise_nofile();
	if (nofile < 0)
		fprintf(stderr, "corolab serve: cannot read RLIMIT_NOFILE: %s\n", strerror((int)-nofile));
	else if (!o.max_conns) {
		o.max_conns = nofile > 128 ? nofile - 64 : 64;	/* what the descriptors allow */
		if (nofile < SERVE_WANT_CONNS + 64)
			fprintf(stderr, "corolab serve: RLIMIT_NOFILE is %ld (hard limit): fewer than %ld "
				"concurrent connections, not %d; raise it with 'ulimit -Hn' as root\n",
				nofile, nofile, SERVE_WANT_CONNS);
	} else if (nofile < o.max_conns + 64)
		fprintf(stderr, "corolab serve: RLIMIT_NOFILE is %ld (hard limit), below --max-conns %ld: "
			"at most ~%ld connections; raise it with 'ulimit -Hn' as root\n",
			nofile, o.max_conns, nofile - 64);
	err = server__run(&o, print_listening, NULL, &st);
	if (err) {
		if (err == -ESRCH)
			fprintf(stderr, "corolab serve: --exit-with %d: no such process (already gone?)\n",
				(int)o.exit_with);
		else if (err == -EADDRINUSE)
			fprintf(stderr, "corolab serve: %s:%d is in use: pick another --port (0 = any)\n", o.bind, o.port);
		else
			fprintf(stderr, "corolab serve: %s\n", strerror(-err));
		return 1;
	}
	if (verbose) {
		fprintf(stderr, "corolab serve: %llu connections (%llu rejected, peak %llu), %llu requests, "
			"%llu bad, %llu timed out\n",
			(unsigned long long)st.accepted, (unsigned long long)st.rejected,
			(unsigned long long)st.peak_conns, (unsigned long long)st.requests,
			(unsigned long long)st.bad_requests, (unsigned long long)st.timeouts);
		if (st.batch_wait_us)
			fprintf(stderr, "corolab serve: wake-ups batched (io_uring min-wait %u us)\n",
				st.batch_wait_us);
		else
			fprintf(stderr, "corolab serve: wake-ups not batched (%s)\n", o.batch_wait_us < 0 ?
				"--batch-wait 0" : "the kernel lacks io_uring min-wait, Linux 6.12+");
	}
	return 0;
}
