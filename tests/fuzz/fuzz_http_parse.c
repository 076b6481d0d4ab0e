// SPDX-License-Identifier: MIT
/*
 * Description: libFuzzer harness for the server's request-head parser
 * (userspace/http/http_parse.c).  The input is copied into a buffer of
 * exactly its size so ASan catches any read past the end; the first byte
 * picks max_head.  Beyond "no crash", it checks the parser's contract: a
 * complete head lies inside the buffer and within max_head, every pointer
 * it returns points into the head, and a strict prefix of a complete head
 * never parses as complete.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

#define WITHIN(p, n, base, len) \
	((p) >= (base) && (size_t)((p) - (base)) + (n) <= (size_t)(len))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	size_t max_head, len;
	char *buf;
	int n;

	if (size < 1)
		return 0;
	/* 0 .. 16 KiB in 64-byte steps: the server uses 8 KiB. */
	max_head = (size_t)data[0] * 64 + 1;
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	n = http_parse_request(buf, len, max_head, &r);
	if (n > 0) {
		size_t head = (size_t)n;

		if (head > len || head > max_head)
			abort();
		if (!WITHIN(r.method, r.method_len, buf, head) ||
		    !WITHIN(r.path, r.path_len, buf, head) ||
		    (r.query && !WITHIN(r.query, r.query_len, buf, head)) ||
		    (r.host && !WITHIN(r.host, r.host_len, buf, head)) ||
		    r.nhdrs > HTTP_MAX_HEADERS || (r.minor != 0 && r.minor != 1) ||
		    (r.chunked && r.content_length))
			abort();
		for (unsigned i = 0; i < r.nhdrs; i++) {
			const struct http_hdr *h = &r.hdrs[i];

			if (!WITHIN(h->name, h->name_len, buf, head) ||
			    !WITHIN(h->value, h->value_len, buf, head))
				abort();
			(void)http_hdr_is(h, "content-length");
		}
		/* Incremental parsing: the same bytes minus the last one are
		 * "need more" or an error, never a complete head. */
		if (http_parse_request(buf, head - 1, max_head, &r) > 0)
			abort();
	} else if (n != 0 && n != -EBADMSG && n != -EMSGSIZE) {
		abort();
	}
	(void)http_reason(len ? (int)buf[0] * 7 : 0);
	free(buf);
	return 0;
}
