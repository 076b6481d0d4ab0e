/* SPDX-License-Identifier: MIT */
/* The `corolab` subcommands: each lives in the module it drives and is called
 * by main.c with argv[0] = the subcommand's name.  Each returns the process
 * exit status: 0 ok, 1 failure, 2 usage error (130 after SIGINT for trace). */
#ifndef COROLAB_COMMANDS_H
#define COROLAB_COMMANDS_H

int cmd_run(int argc, char **argv);	/* userspace/workloads/run.c */
int cmd_trace(int argc, char **argv);	/* userspace/trace/cmd_trace.c */
int cmd_serve(int argc, char **argv);	/* userspace/http/serve.c */
int cmd_compare(int argc, char **argv);	/* userspace/report/compare.c */
int cmd_report(int argc, char **argv);	/* userspace/report/report.c */
int cmd_doctor(int argc, char **argv);	/* userspace/trace/doctor.c */

#endif
