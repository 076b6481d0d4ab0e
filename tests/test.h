/* SPDX-License-Identifier: MIT */
/* Helpers shared by the C tests (tests/NAME.c).  A test exits 0 pass, 1 fail,
 * 77 skip; a skip prints its reason as the last line of its output. */
#ifndef COROLAB_TEST_H
#define COROLAB_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

#define T_SKIP(...) do { printf("skip: " __VA_ARGS__); printf("\n"); exit(T_EXIT_SKIP); } while (0)
#define T_FAIL(...) do { fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); exit(T_EXIT_FAIL); } while (0)
#define T_ASSERT(cond, ...) do { if (!(cond)) { fprintf(stderr, "%s:%d: assertion '%s' failed: ", \
		__FILE__, __LINE__, #cond); fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); \
		exit(T_EXIT_FAIL); } } while (0)
#define T_REQUIRE_ROOT() do { if (geteuid() != 0) T_SKIP("not root"); } while (0)

#endif
