/* SPDX-License-Identifier: MIT */
/*
 * A pure HTTP/1.x request-head parser: no allocation, no I/O, no globals, so
 * it can be fuzzed on its own (http_parse.c + this header).  The parsed
 * request points into the caller's buffer.
 */
#ifndef COROLAB_HTTP_PARSE_H
#define COROLAB_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64

struct http_hdr {
	const char *name, *value;	/* not NUL-terminated */
	uint16_t name_len, value_len;	/* value without surrounding blanks */
};

struct http_req {
	const char *method, *path, *query;	/* query: after '?', may be NULL */
	size_t method_len, path_len, query_len;
	int minor;			/* HTTP/1.<minor>: 0 or 1 */
	bool keep_alive;		/* after Connection: and the version default */
	bool chunked;			/* Transfer-Encoding: chunked (we refuse bodies of that kind) */
	uint64_t content_length;	/* 0 when absent */
	const char *host;		/* Host header value or NULL */
	size_t host_len;
	struct http_hdr hdrs[HTTP_MAX_HEADERS];
	unsigned nhdrs;
};

/* Parse the request head at buf[0..len).  Returns the head length (bytes up
 * to and including the blank line) when complete, 0 when more bytes are
 * needed, -EBADMSG when malformed, -EMSGSIZE when the head is (or would be)
 * longer than max_head bytes or has more than HTTP_MAX_HEADERS headers.
 * O(len) per call; callers re-parse from the start when more bytes arrive,
 * which is O(n^2) only for heads trickling in byte by byte (bounded by
 * max_head). */
int http_parse_request(const char *buf, size_t len, size_t max_head, struct http_req *r);

/* Case-insensitive header name compare. */
bool http_hdr_is(const struct http_hdr *h, const char *name);

const char *http_reason(int status);

#endif
