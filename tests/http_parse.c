// SPDX-License-Identifier: MIT
/* Description: the pure HTTP request parser: complete, partial, pipelined,
 * malformed and oversized heads, keep-alive rules, Content-Length checks. */
#include <errno.h>
#include <string.h>

#include "http/http_parse.h"
#include "test.h"

static int parse(const char *s, struct http_req *r)
{
	return http_parse_request(s, strlen(s), 8192, r);
}

int main(void)
{
	struct http_req r;
	char big[10240];
	int n;

	n = parse("GET /delay/1.5?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	T_ASSERT(n == 40, "complete head length %d", n);
	T_ASSERT(r.path_len == 10 && !memcmp(r.path, "/delay/1.5", 10), "path");
	T_ASSERT(r.query_len == 3 && !memcmp(r.query, "a=1", 3), "query");
	T_ASSERT(r.keep_alive && r.minor == 1 && r.nhdrs == 1, "keep-alive default for 1.1");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\n", &r) == 0, "partial head needs more");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /get HTTP/1.1\r\n", &r) == 27, "pipelined: first only");
	T_ASSERT(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0 && !r.keep_alive, "1.0 closes by default");
	T_ASSERT(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0 && r.keep_alive, "1.0 keep-alive");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) > 0 && !r.keep_alive, "close");
	T_ASSERT(parse("GET / HTTP/1.1\nHost: x\n\n", &r) > 0, "bare LF accepted");
	T_ASSERT(parse("GET http://h/get HTTP/1.1\r\nHost: h\r\n\r\n", &r) > 0 && r.path_len == 4, "absolute-form");
	T_ASSERT(parse("garbage\r\n\r\n", &r) == -EBADMSG, "garbage");
	T_ASSERT(parse("GET / HTTP/2.0\r\n\r\n", &r) == -EBADMSG, "version");
	T_ASSERT(parse("GET / HTTP/1.1\r\n\r\n", &r) == -EBADMSG, "1.1 without Host");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", &r) == -EBADMSG, "blank before colon");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", &r) == -EBADMSG, "obs-fold");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r) == -EBADMSG,
		 "conflicting Content-Length");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", &r) == -EBADMSG, "negative CL");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", &r) > 0 && r.content_length == 5, "CL");
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: x\r\nX: a\001b\r\n\r\n", &r) == -EBADMSG, "control char in value");
	T_ASSERT(parse("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", &r) == -EBADMSG, "control char in target");
	/* 10 KiB of header: 431 territory, complete or not. */
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + strlen(big), 'a', 10000);
	T_ASSERT(http_parse_request(big, strlen(big), 8192, &r) == -EMSGSIZE, "oversized, incomplete");
	strcat(big, "\r\n\r\n");
	T_ASSERT(http_parse_request(big, strlen(big), 8192, &r) == -EMSGSIZE, "oversized, complete");
	/* Too many headers. */
	{
		char many[4096] = "GET / HTTP/1.1\r\nHost: x\r\n";
		for (int i = 0; i < 70; i++)
			strcat(many, "A: b\r\n");
		strcat(many, "\r\n");
		T_ASSERT(parse(many, &r) == -EMSGSIZE, "too many headers");
	}
	/* Every prefix of a valid request is "need more", never an error. */
	{
		const char *ok = "GET /get?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
		for (size_t k = 0; k < strlen(ok); k++)
			T_ASSERT(http_parse_request(ok, k, 8192, &r) == 0, "prefix %zu", k);
	}
	T_ASSERT(!strcmp(http_reason(431), "Request Header Fields Too Large"), "reason");
	return 0;
}
