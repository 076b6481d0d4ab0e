// SPDX-License-Identifier: MIT
/* Description: corolab trace on children with known behaviour: K nanosleeps,
 * a preempted busy loop, P fresh pages, a forked grandchild, an exit code,
 * a contended run queue; each BPF figure must reconcile with the kernel's.
 * The children are hidden modes of this program (argv[1]). */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "test.h"

#define K_SLEEPS 200
#define P_PAGES 5000

static char self[PATH_MAX];

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void spin_for(double s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < s);
}

static void *spin_thread(void *arg)
{
	spin_for(0.3);
	return arg;
}

static void *tid_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)gettid();
}

static void *nap_thread(void *arg)
{
	struct timespec ts = { 0, 1000000 };

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static void *exec_thread(void *arg)
{
	struct timespec ts = { 0, 20000000 };

	(void)arg;
	nanosleep(&ts, NULL);
	execl("/proc/self/exe", "trace_reconcile", "pages", (char *)NULL);
	_exit(1);
}

static int child_mode(const char *mode)
{
	if (!strcmp(mode, "sleeps")) {
		struct timespec ts = { 0, 1000000 };

		for (int i = 0; i < K_SLEEPS; i++)
			nanosleep(&ts, NULL);
		return 0;
	}
	if (!strcmp(mode, "busy")) {
		/* Two spinners on one CPU: the scheduler must preempt them. */
		pin_cpu0();
		if (fork() == 0) {
			spin_for(0.3);
			_exit(0);
		}
		spin_for(0.3);
		wait(NULL);
		return 0;
	}
	if (!strcmp(mode, "contend")) {
		/* A second thread, a child process and (outside the trace, the
		 * test's own spinner) a stranger, all spinning on CPU 0. */
		pthread_t th;

		pin_cpu0();
		if (pthread_create(&th, NULL, spin_thread, NULL))
			return 1;
		if (fork() == 0) {
			spin_for(0.3);
			_exit(0);
		}
		spin_for(0.3);
		pthread_join(th, NULL);
		wait(NULL);
		return 0;
	}
	if (!strcmp(mode, "pages")) {
		size_t pg = sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, P_PAGES * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return 1;
		for (size_t i = 0; i < P_PAGES; i++)
			m[i * pg] = 1;
		return 0;
	}
	if (!strcmp(mode, "grandchild")) {
		pid_t c = fork();

		if (c == 0) {
			pid_t g = fork();

			if (g == 0) {
				struct timespec ts = { 0, 1000000 };

				for (int i = 0; i < 20; i++)
					nanosleep(&ts, NULL);
				_exit(0);
			}
			waitpid(g, NULL, 0);
			_exit(0);
		}
		waitpid(c, NULL, 0);
		return 0;
	}
	if (!strcmp(mode, "badcomm")) {
		/* A name that is not UTF-8 (any byte but NUL is allowed). */
		struct timespec ts = { 0, 1000000 };

		prctl(PR_SET_NAME, "bad\xff\x01name\xe4\xb8\xad", 0, 0, 0);
		for (int i = 0; i < 5; i++)
			nanosleep(&ts, NULL);
		return 0;
	}
	if (!strcmp(mode, "dethread")) {
		/* A thread that is not the leader execs (the "pages" child):
		 * de_thread() ends the others and gives it the leader's pid in
		 * the middle of its stint on the CPU. */
		pthread_t a, b, c;

		if (pthread_create(&a, NULL, nap_thread, NULL) || pthread_create(&b, NULL, nap_thread, NULL) ||
		    pthread_create(&c, NULL, exec_thread, NULL))
			return 1;
		for (;;)
			pause();
	}
	if (!strcmp(mode, "spawns")) {
		/* posix_spawn (vfork): no copy-on-write faults in the child,
		 * so each exec's argument pages (get_user_pages faults, no
		 * exception) are a large share of a tiny program's faults. */
		extern char **environ;
		char *args[] = { "true", NULL };

		for (int i = 0; i < 200; i++) {
			pid_t p;

			if (posix_spawn(&p, "/bin/true", NULL, NULL, args, environ) || waitpid(p, NULL, 0) != p)
				return 1;
		}
		return 0;
	}
	if (!strcmp(mode, "ignchld")) {
		/* SIGCHLD ignored: the kernel reaps the children itself and
		 * their counts reach nobody's rusage. */
		size_t pg = sysconf(_SC_PAGESIZE);

		signal(SIGCHLD, SIG_IGN);
		for (int i = 0; i < 10; i++) {
			if (fork() == 0) {
				char *m = mmap(NULL, 300 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
					       -1, 0);

				for (size_t k = 0; m != MAP_FAILED && k < 300; k++)
					m[k * pg] = 1;
				_exit(0);
			}
		}
		while (wait(NULL) > 0 || errno == EINTR)
			;	/* blocks until all are gone, then ECHILD */
		return 0;
	}
	if (!strcmp(mode, "exit3"))
		return 3;
	if (!strcmp(mode, "runq")) {
		/* Four processes on CPU 0, each sleeping 200 µs then spinning
		 * 300 µs: thousands of wake-ups that wait behind the others. */
		pin_cpu0();
		for (int p = 0; p < 3; p++)
			if (fork() == 0)
				break;
		for (int i = 0; i < 400; i++) {
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			spin_for(0.0003);
		}
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (!strcmp(mode, "recycle")) {
		/* Threads one after another until their tids come round again
		 * (pid_max wraps): exit 0 once a quarter of pid_max was reused
		 * (enough merged records to move the run-queue sum by more than
		 * the 5% rule), 2 if none was. */
		long pid_max = 0;
		FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
		unsigned char *seen;
		int reused = 0;

		if (!f || fscanf(f, "%ld", &pid_max) != 1 || pid_max <= 0)
			return 1;
		fclose(f);
		seen = calloc((size_t)pid_max + 1, 1);
		if (!seen)
			return 1;
		for (long i = 0; i < 2 * pid_max && reused < pid_max / 4; i++) {
			pthread_t th;
			void *tid;

			if (pthread_create(&th, NULL, tid_thread, NULL) || pthread_join(th, &tid))
				return 1;
			if ((long)(intptr_t)tid <= pid_max && seen[(intptr_t)tid]++)
				reused++;
		}
		free(seen);
		return reused ? 0 : 2;
	}
	return 100;
}

/* Run `corolab trace --json F -- self MODE`; returns its JSON, *rc its status. */
static json_t *trace(const char *corolab, const char *mode, int *rc)
{
	char json[] = "/tmp/corolab-trace-test-XXXXXX";
	int fd = mkstemp(json), status;
	json_error_t jerr;
	json_t *root;
	pid_t pid;

	T_ASSERT(fd >= 0, "mkstemp: %s", strerror(errno));
	close(fd);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);	/* the summary; stderr stays for the log */
		execl(corolab, corolab, "trace", "--json", json, "--", self, mode, (char *)NULL);
		_exit(126);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	root = json_load_file(json, 0, &jerr);
	unlink(json);
	T_ASSERT(root, "%s: trace JSON unreadable (%s), exit %d", mode, jerr.text, *rc);
	return root;
}

static long long jint(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_integer_value(v);
}

static bool ok(json_t *t, const char *fig)
{
	return json_is_true(json_object_get(json_object_get(json_object_get(t, "reconcile"), fig), "ok"));
}

static void show(const char *mode, json_t *t)
{
	char *s = json_dumps(json_object_get(t, "reconcile"), JSON_COMPACT);
	char *by = json_dumps(json_object_get(json_object_get(t, "totals"), "involuntary_by"), JSON_COMPACT);

	printf("%-10s %s\n%-10s involuntary_by %s\n", mode, s, "", by ? by : "?");
	free(s);
	free(by);
}

/* trace() of a child that must exit 0, shown in the log. */
static json_t *trace_ok(const char *corolab, const char *mode)
{
	int rc;
	json_t *t = trace(corolab, mode, &rc);

	show(mode, t);
	T_ASSERT(rc == 0, "%s: exit %d", mode, rc);
	return t;
}

/* totals.involuntary_by.WHO; and the three parts must add up to the
 * involuntary switches (a failed check there reads as -1). */
static long long preempted_by(json_t *t, const char *who)
{
	json_t *by = json_object_get(json_object_get(t, "totals"), "involuntary_by");
	long long sum = 0;

	for (int i = 0; i < 3; i++)
		sum += json_integer_value(json_object_get(by, (const char *[]){ "own_process", "other_traced",
										  "untraced" }[i]));
	if (sum != jint(t, "totals", "ctx_switches", "involuntary"))
		return -1;
	return json_integer_value(json_object_get(by, who));
}

int main(int argc, char **argv)
{
	const char *corolab = getenv("COROLAB");
	json_t *t;
	int rc;

	if (argc > 1)
		return child_mode(argv[1]);
	T_REQUIRE_ROOT();
	if (!corolab || access(corolab, X_OK))
		T_SKIP("COROLAB not set to a built corolab binary");
	T_ASSERT(realpath("/proc/self/exe", self), "realpath: %s", strerror(errno));

	t = trace(corolab, "sleeps", &rc);
	show("sleeps", t);
	T_ASSERT(rc == 0, "exit %d", rc);
	T_ASSERT(jint(t, "totals", "ctx_switches", "voluntary") >= K_SLEEPS, "voluntary %lld < %d",
		 jint(t, "totals", "ctx_switches", "voluntary"), K_SLEEPS);
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "sleeps: switches do not reconcile");
	json_decref(t);

	t = trace(corolab, "busy", &rc);
	show("busy", t);
	T_ASSERT(jint(t, "totals", "ctx_switches", "involuntary") > 0, "no involuntary switches");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "busy: switches do not reconcile");
	T_ASSERT(jint(t, "totals", "processes_created", NULL) >= 1, "fork not followed");
	json_decref(t);

	/* Who ran instead.  Three spinners on one CPU take turns, so each is
	 * switched out for each of the others' turn order: the main thread's
	 * own thread and the traced child both show up. */
	t = trace(corolab, "contend", &rc);
	show("contend", t);
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "contend: switches do not reconcile");
	T_ASSERT(preempted_by(t, "own_process") > 0, "no preemption by the process's own thread");
	T_ASSERT(preempted_by(t, "other_traced") > 0, "no preemption by the traced child");
	json_decref(t);
	/* With an untraced spinner, started here, on the same CPU: it must be
	 * named, by its pid. */
	{
		pid_t stranger = fork();
		json_t *top, *p;
		bool named = false;
		size_t i;

		if (stranger == 0) {
			pin_cpu0();
			spin_for(10);
			_exit(0);
		}
		T_ASSERT(stranger > 0, "fork: %s", strerror(errno));
		t = trace(corolab, "contend", &rc);
		kill(stranger, SIGKILL);
		waitpid(stranger, NULL, 0);
		show("stranger", t);
		T_ASSERT(preempted_by(t, "untraced") > 0, "no preemption by the untraced spinner");
		top = json_object_get(json_object_get(json_object_get(t, "totals"), "involuntary_by"), "untraced_top");
		json_array_foreach(top, i, p)
			if (json_integer_value(json_object_get(p, "pid")) == stranger &&
			    json_integer_value(json_object_get(p, "count")) > 0)
				named = true;
		T_ASSERT(named, "the untraced spinner (pid %d) is not among the preemptors named", (int)stranger);
		json_decref(t);
	}

	t = trace(corolab, "pages", &rc);
	show("pages", t);
	T_ASSERT(jint(t, "totals", "page_faults", "user") + jint(t, "totals", "page_faults", "kernel") >= P_PAGES,
		 "fewer faults than pages touched");
	T_ASSERT(ok(t, "page_faults"), "pages: faults do not reconcile within 2%%");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "pages: switches do not reconcile");
	json_decref(t);

	/* 200 execs of /bin/true by posix_spawn: ~50 faults each, one of them
	 * exec's argument page, which no exception reports (it was a diff of
	 * -201 against a 2% tolerance of ~200).  Counted at exec now. */
	t = trace_ok(corolab, "spawns");
	T_ASSERT(jint(t, "totals", "page_faults", "exec_args") >= 200, "spawns: %lld exec argument pages",
		 jint(t, "totals", "page_faults", "exec_args"));
	T_ASSERT(ok(t, "page_faults"), "spawns: faults do not reconcile within 2%%");
	T_ASSERT(llabs(jint(t, "reconcile", "page_faults", "diff")) < 100, "spawns: fault diff %lld",
		 jint(t, "reconcile", "page_faults", "diff"));
	json_decref(t);

	/* Children of a parent that ignores SIGCHLD: their ~3000 faults were in
	 * BPF's count and never in rusage (4427 vs 116 for 20 of them). */
	t = trace_ok(corolab, "ignchld");
	/* Exactly the 10 children: under ASan, LeakSanitizer's helper process
	 * (a clone with no exit signal, so waited for, not autoreaped) is not. */
	T_ASSERT(jint(t, "outside_wait4", "processes", NULL) == 10, "ignchld: %lld processes outside wait4",
		 jint(t, "outside_wait4", "processes", NULL));
	T_ASSERT(jint(t, "outside_wait4", "page_faults", NULL) >= 3000, "ignchld: %lld faults outside",
		 jint(t, "outside_wait4", "page_faults", NULL));
	T_ASSERT(ok(t, "page_faults"), "ignchld: faults do not reconcile within 2%%");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "ignchld: switches do not reconcile");
	json_decref(t);

	/* Its faults after the exec were charged to a tid the thread no
	 * longer had, and lost: 142 vs 203 with a shell as the new image. */
	t = trace_ok(corolab, "dethread");
	T_ASSERT(jint(t, "totals", "page_faults", "user") + jint(t, "totals", "page_faults", "kernel") >= P_PAGES,
		 "dethread: fewer faults than pages touched");
	T_ASSERT(ok(t, "page_faults"), "dethread: faults do not reconcile within 2%%");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "dethread: switches do not reconcile");
	T_ASSERT(jint(t, "stints", "crossed", NULL) == 0, "dethread: %lld stints crossed",
		 jint(t, "stints", "crossed", NULL));
	json_decref(t);

	t = trace(corolab, "grandchild", &rc);
	show("grandchild", t);
	T_ASSERT(jint(t, "totals", "processes_created", NULL) >= 2, "grandchild not followed");
	{
		/* Three distinct tgids: the command, its child, the grandchild. */
		json_t *th = json_object_get(t, "threads"), *v;
		long long tg[8];
		size_t i, n = 0;

		json_array_foreach(th, i, v) {
			long long g = json_integer_value(json_object_get(v, "tgid"));
			size_t j;

			for (j = 0; j < n && tg[j] != g; j++)
				;
			if (j == n && n < 8)
				tg[n++] = g;
		}
		T_ASSERT(n >= 3, "only %zu processes in the per-thread table", n);
	}
	T_ASSERT(jint(t, "totals", "ctx_switches", "voluntary") >= 20, "grandchild's sleeps not seen");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "grandchild: switches do not reconcile");
	json_decref(t);

	/* A comm jansson would refuse must not cost the thread its record. */
	t = trace(corolab, "badcomm", &rc);
	{
		json_t *th = json_object_get(t, "threads"), *v;
		bool seen = false;
		size_t i;

		json_array_foreach(th, i, v) {
			const char *c = json_string_value(json_object_get(v, "comm"));

			printf("badcomm    thread %lld comm \"%s\"\n",
			       json_integer_value(json_object_get(v, "tid")), c ? c : "(null)");
			seen |= c && !strcmp(c, "bad??name\xe4\xb8\xad");
		}
		T_ASSERT(seen, "the thread with a non-UTF-8 name is missing or not shown as bad??name");
	}
	json_decref(t);

	t = trace(corolab, "exit3", &rc);
	T_ASSERT(rc == 3, "exit status %d, wanted 3", rc);
	T_ASSERT(jint(t, "exit_status", NULL, NULL) == 3, "JSON exit_status wrong");
	json_decref(t);

	t = trace(corolab, "runq", &rc);
	show("runq", t);
	T_ASSERT(jint(t, "reconcile", "runq_latency", "wakeups") >= 1000, "too few wake-ups for the runq rule");
	T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "runq: switches do not reconcile");
	T_ASSERT(ok(t, "runq_latency"), "runq: run-queue sum not within 5%% of run_delay");
	json_decref(t);

	/* Recycled tids: a new thread with an exited thread's tid merges into
	 * its record, and the kernel's side must add up the same way (it kept
	 * only the latest thread's run_delay: 194.7 vs 173.8 ms, a MISMATCH). */
	{
		long pid_max = 0;
		FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

		if (f && fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 0;
		if (f)
			fclose(f);
		if (pid_max <= 0 || pid_max > 65536) {
			printf("recycle    not run: pid_max %ld (tids come round only after that many threads)\n",
			       pid_max);
		} else {
			t = trace(corolab, "recycle", &rc);
			show("recycle", t);
			T_ASSERT(rc == 0, "recycle child: exit %d (2: no tid was reused)", rc);
			T_ASSERT(jint(t, "reconcile", "runq_latency", "wakeups") >= 1000, "recycle: too few waits");
			T_ASSERT(ok(t, "voluntary") && ok(t, "involuntary"), "recycle: switches do not reconcile");
			T_ASSERT(ok(t, "runq_latency"), "recycle: run-queue sum not within 5%% of run_delay");
			json_decref(t);
		}
	}
	return 0;
}
