/* SPDX-License-Identifier: MIT */
/* The `corolab` subcommands: each lives in the module it drives and is called
 * by main.c with argv[0] = the subcommand's name.  Each returns the process
 * exit status: 0 ok, 1 failure, 2 usage error (130 after SIGINT for trace). */
#ifndef COROLAB_COMMANDS_H
#define COROLAB_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

int cmd_run(int argc, char **argv);	/* userspace/workloads/run.c */
int cmd_trace(int argc, char **argv);	/* userspace/trace/cmd_trace.c */
int cmd_serve(int argc, char **argv);	/* userspace/http/serve.c */
int cmd_compare(int argc, char **argv);	/* userspace/report/compare.c */
int cmd_report(int argc, char **argv);	/* userspace/report/report.c */
int cmd_doctor(int argc, char **argv);	/* userspace/trace/doctor.c */

/* The perf-stat-like summary of a `corolab trace` JSON document (each BPF
 * figure beside the kernel's, the run-queue histogram, and with per_thread
 * the per-thread table): `corolab trace` and `corolab run --trace` print it
 * (userspace/trace/cmd_trace.c). */
void trace_print_summary(FILE *f, json_t *tr, bool per_thread);

#endif
