/* SPDX-License-Identifier: MIT */
/* Small helpers every module uses: argument parsing, /proc readings, atomic
 * JSON output.  All return 0 / -errno and never print. */
#ifndef COROLAB_UTIL_H
#define COROLAB_UTIL_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

/* Parse a whole string (no trailing junk); -EINVAL or -ERANGE otherwise. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);
/* "1.5" seconds (fractions allowed; optional suffix s, ms, us, ns) -> ns. */
int parse_duration_ns(const char *s, uint64_t *out_ns);
/* "64k", "8M", "4096" -> bytes. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* /proc/self/status fields, in kB / count; -errno if unreadable. */
int proc_status_field(const char *field, long *out);	/* "VmRSS", "VmHWM", "Threads" */
int proc_fd_count(void);	/* open descriptors of this process */
int proc_pidfd_open(pid_t pid);	/* a pidfd (readable once pid exits), or -errno */
long proc_map_count(void);	/* mappings of this process (/proc/self/maps lines) */

/* Write JSON to path atomically (path.tmp.PID + fsync + rename), or to
 * stdout when path is "-".  Never leaves a truncated file at path. */
int json_write_file(json_t *root, const char *path);
/* A JSON string of the first n bytes of s (stopping at a NUL) that is always
 * valid UTF-8: a byte that does not start a well-formed sequence, or a
 * control character, becomes '?'.  jansson's json_string() returns NULL on
 * invalid UTF-8, and a NULL appended or packed is silently lost: use this for
 * anything from outside (argv, /proc, comm).  NULL only on ENOMEM. */
json_t *json_text(const char *s, size_t n);
/* Write bytes to path atomically, the same way. */
int write_file_atomic(const char *path, const void *data, size_t len);

/* The first line of FILE in this process's cgroup of CONTROLLER ("pids",
 * "memory"; cgroup v1 /sys/fs/cgroup/CONTROLLER/PATH/FILE, else the v2
 * unified PATH/FILE) into out, newline stripped: e.g. ("pids", "pids.max")
 * -> "40" or "max".  -errno when there is no such file. */
int cgroup_read(const char *controller, const char *file, char *out, size_t len);

/* The first line of a file, newline stripped; "" and -errno when it cannot
 * be read (-EIO when it is empty). */
int read_first_line(const char *path, char *out, size_t len);

/* How this machine's idle CPUs wait, in one line for people: the cpuidle
 * driver and haltpoll's polling (a CPU that halts at once needs an IPI to
 * wake, in a VM an exit).  Shared by doctor and the report's Environment. */
void cpu_idle_describe(char *out, size_t len);

/* Is stderr a terminal (progress output goes there only then). */
int stderr_is_tty(void);

double ns_to_s(uint64_t ns);

/* qsort comparator: doubles in ascending order. */
int cmp_double(const void *a, const void *b);

#endif
