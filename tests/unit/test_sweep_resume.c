/*
 * test_sweep_resume.c: resumable sweeps (cli/sweep_journal.c).  A real
 * sweep is killed with SIGKILL (threads, and two MPI ranks) or stopped with
 * SIGINT once some points are journaled; resuming from the journals runs
 * only the missing points and gives the same CSV bytes as an uninterrupted
 * run.  Points: uno on mini128, pack then anneal (a fast point, then a slow
 * one: the kill lands while anneal runs), batch 32 and 64.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/sweep.h"
#include "ground/util.h"
#include "test_util.h"

#define LISTS "--nets uno --machines mini128 --strategies pack,anneal " \
	      "--batch 32,64"
/* Longer (24 anneal points of batch 512, about 0.3 CPU s each): some
 * must still be left when the signal has stopped every rank or thread.
 * At batch 32 (60 ms a point once placement got faster) two ranks
 * finished all 24 before mpirun, sent SIGINT, had stopped them. */
#define SEEDS "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22," \
	      "23,24"
#define N_LONG 24
#define BATCH_LONG "512"
#define LISTS_LONG "--net uno --machine mini128 --strategy anneal " \
		   "--batch " BATCH_LONG " --seed " SEEDS

/* The sweep of one network on one machine with these lists (seeds NULL:
 * the default). */
static int prepare_with(struct sweep *sw, const char *net,
			const char *machine, const char *strategies,
			const char *batches, const char *seeds)
{
	struct sweep_spec spec;
	struct diag d;
	sweep_spec_init(&spec);
	diag_init(&d);
	sweep_spec_set(&spec, "--nets", net, &d);
	sweep_spec_set(&spec, "--machines", machine, &d);
	sweep_spec_set(&spec, "--strategies", strategies, &d);
	sweep_spec_set(&spec, "--batch", batches, &d);
	if (seeds)
		sweep_spec_set(&spec, "--seed", seeds, &d);
	int rc = sweep_prepare(&spec, sw, &d);
	sweep_spec_release(&spec);
	diag_release(&d);
	return rc;
}

/* The sweep of LISTS (long: LISTS_LONG). */
static int prepare_lists(struct sweep *sw, int long_lists)
{
	return prepare_with(sw, "uno", "mini128",
			    long_lists ? "anneal" : "pack,anneal",
			    long_lists ? BATCH_LONG : "32,64",
			    long_lists ? SEEDS : NULL);
}

static int prepare(struct sweep *sw)
{
	return prepare_lists(sw, 0);
}

static char *csv_of(const struct sweep *sw, const struct sweep_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sweep_write_csv(sw, res, f);
	fclose(f);
	return buf;
}

/* The CSV of an uninterrupted run, once per list. */
static const char *reference_of(int long_lists)
{
	static char *ref[2];
	if (ref[long_lists])
		return ref[long_lists];
	struct sweep sw;
	CU_ASSERT_EQUAL_FATAL(prepare_lists(&sw, long_lists), 0);
	struct sweep_result *res = xcalloc((size_t)sw.n_points, sizeof(*res));
	sweep_run(&sw, 2, res, NULL, NULL);
	ref[long_lists] = csv_of(&sw, res);
	free(res);
	sweep_release(&sw);
	return ref[long_lists];
}

static const char *reference(void)
{
	return reference_of(0);
}

/* Finished points in the journals of `csv` (lines). */
static int journal_lines(const char *csv)
{
	int n = 0;
	for (int r = 0; r < 4; r++) {
		char *p = xasprintf("%s.journal.%d", csv, r), *t;
		struct diag d;
		diag_init(&d);
		if (read_file(p, &t, NULL, &d) == 0) {
			for (char *c = t; *c; c++)
				n += *c == '\n';
			free(t);
		}
		diag_release(&d);
		free(p);
	}
	return n;
}

/* Send `sig` to the children of `parent` (mpirun's ranks run in process
 * groups of their own). */
static void signal_children(pid_t parent, int sig)
{
	DIR *dp = opendir("/proc");
	for (struct dirent *e; dp && (e = readdir(dp));) {
		char *p = xasprintf("/proc/%s/stat", e->d_name), *t = NULL;
		struct diag d;
		diag_init(&d);
		int pid, ppid;
		char state;
		/* pid (comm) state ppid: comm may hold spaces, so after ')' */
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    read_file(p, &t, NULL, &d) == 0 && strrchr(t, ')') &&
		    sscanf(t, "%d", &pid) == 1 &&
		    sscanf(strrchr(t, ')') + 1, " %c %d", &state, &ppid) == 2 &&
		    ppid == parent)
			kill(pid, sig);
		free(t);
		diag_release(&d);
		free(p);
	}
	if (dp)
		closedir(dp);
}

/* Start `cmd` in its own process group; once the journals of `csv` hold
 * `lines` points, send `sig` to `whom`: the group, the processes the
 * command started, not to it (MPI ranks, whose mpirun then exits with
 * their status, 128 + sig), or the command alone (mpirun, as Ctrl-C at a
 * terminal: it exits 1); return the exit status.  A
 * signalled mpirun itself aborts the job (Open MPI 4.1: exit 1, the ranks
 * killed a second after SIGTERM, whatever they were writing), so the ranks
 * get it, as a batch system's cancel signals every task.  Conditions, not
 * delays: the journal lines (any time up to 10 minutes, however loaded the
 * machine), then the command's exit. */
enum whom { TO_GROUP, TO_RANKS, TO_MPIRUN };

static int run_and_signal(const char *cmd, const char *csv, int lines,
			  int sig, enum whom whom, int *seen)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	int st = 0;
	double t0 = wall_seconds();
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st; /* finished (or failed) before the signal */
		if (journal_lines(csv) >= lines)
			break;
		if (wall_seconds() - t0 > 600) {
			kill(-pid, SIGKILL);
			signal_children(pid, SIGKILL);
			waitpid(pid, &st, 0);
			CU_FAIL("no point journaled in 10 minutes");
			return st;
		}
		usleep(10000);
	}
	*seen = journal_lines(csv);
	if (whom == TO_MPIRUN)
		kill(pid, sig);
	else
		signal_children(pid, sig);
	if (whom == TO_GROUP)
		kill(-pid, sig);
	waitpid(pid, &st, 0);
	return st;
}

/* Resume from the journals of `csv` in this process: the points read back,
 * and the CSV compared with the uninterrupted run's. */
static void resume_and_compare(const char *csv, int64_t *resumed)
{
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(prepare(&sw), 0);
	struct sweep_result *res = xcalloc((size_t)sw.n_points, sizeof(*res));
	struct sweep_journal j;
	CU_ASSERT_EQUAL_FATAL(sweep_journal_open(&j, &sw, csv, 0, 1, res, &d),
			      0);
	*resumed = j.n_resumed;
	CU_ASSERT_EQUAL(sweep_run_journaled(&sw, 0, 1, 2, res, &j, NULL, NULL,
					    NULL),
			0);
	sweep_journal_close(&j);
	char *got = csv_of(&sw, res);
	CU_ASSERT_STRING_EQUAL(got, reference());
	free(got);
	free(res);
	sweep_release(&sw);
	sweep_journal_remove(csv);
	diag_release(&d);
}

/* 1 (and a note) when mpirun is missing: the MPI tests are skipped. */
static int no_mpirun(void)
{
	if (system("command -v mpirun >/dev/null 2>&1") == 0)
		return 0;
	fprintf(stderr, "\n  sweep: mpirun not found, MPI test skipped\n");
	return 1;
}

/* "exec build/wafersim", or mpirun with two ranks of wafersim-mpi. */
static char *program(int mpi)
{
	if (!mpi)
		return xasprintf("exec %s", WAFERSIM_BIN);
	/* Open MPI's own leaks: see test_sweep.c */
	return xasprintf("ASAN_OPTIONS=detect_leaks=0 exec mpirun %s "
			 "--oversubscribe -np 2 %s-mpi",
			 geteuid() == 0 ? "--allow-run-as-root" : "",
			 WAFERSIM_BIN);
}

/* `sweep LISTS --resume -o csv` from the command line, on threads or two
 * MPI ranks: exit 0, says what it read back, the CSV has the bytes of an
 * uninterrupted run, and the journals are gone. */
static void resume_cli(const char *dir, const char *csv, int long_lists,
		       int mpi)
{
	char *prog = program(mpi), *errf = xasprintf("%s/resume.txt", dir);
	char *cmd = xasprintf("%s sweep %s --jobs 2 --resume -o %s >/dev/null "
			      "2>%s </dev/null",
			      prog, long_lists ? LISTS_LONG : LISTS, csv,
			      errf);
	CU_ASSERT_EQUAL(system(cmd), 0);
	char *err = tu_read(errf), *got = tu_read(csv);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "points read back from the "
						  "journal"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, reference_of(long_lists));
	CU_ASSERT_EQUAL(journal_lines(csv), 0);
	free(err);
	free(got);
	remove(errf);
	remove(csv);
	free(errf);
	free(cmd);
	free(prog);
}

/* Stop a LISTS_LONG sweep (threads or two MPI ranks) with `sig` once two
 * points are journaled: it exits 128 + sig saying where the points are
 * kept, writes no CSV, keeps every finished point; --resume (threads or
 * two MPI ranks) completes it to the bytes of an uninterrupted run.  With
 * `to_mpirun` the signal goes to mpirun itself: Open MPI 4.1 then exits 1
 * (docs/sweep.md), and the ranks, sent SIGTERM and killed a second later,
 * may not get to say anything; the rest holds. */
static void stop_and_resume_to(int sig, int mpi, int mpi_resume,
			       int to_mpirun)
{
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	char *prog = program(mpi), *errf = xasprintf("%s/err.txt", dir);
	char *cmd = xasprintf("%s sweep " LISTS_LONG " --jobs 1 -o %s "
			      ">/dev/null 2>%s </dev/null",
			      prog, csv, errf);
	int seen = 0;
	int st = run_and_signal(cmd, csv, 2, sig,
				to_mpirun ? TO_MPIRUN
					  : mpi ? TO_RANKS : TO_GROUP,
				&seen);
	/* 128 + the signal, from the threads or from mpirun for its ranks */
	CU_ASSERT_TRUE(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), to_mpirun ? 1 : 128 + sig);
	CU_ASSERT_NOT_EQUAL(access(csv, F_OK), 0);
	int kept = journal_lines(csv);
	CU_ASSERT_TRUE(kept >= seen && kept < N_LONG);
	char *err = tu_read(errf);
	CU_ASSERT_TRUE(to_mpirun ||
		       (err && strstr(err, "sweep: stopped by signal") &&
			strstr(err, "--resume continues")));
	free(err);
	remove(errf);
	resume_cli(dir, csv, 1, mpi_resume);
	rmdir(dir);
	free(errf);
	free(prog);
	free(cmd);
	free(csv);
	free(dir);
}

static void stop_and_resume(int sig, int mpi, int mpi_resume)
{
	stop_and_resume_to(sig, mpi, mpi_resume, 0);
}

static void test_sigterm_threads(void)
{
	stop_and_resume(SIGTERM, 0, 0);
}

static void test_sigint_mpi(void)
{
	if (no_mpirun())
		return;
	/* resumed on threads: journals of ranks serve any driver */
	stop_and_resume(SIGINT, 1, 0);
}

static void test_sigterm_mpi(void)
{
	if (no_mpirun())
		return;
	/* mpirun exits 143 for its ranks; resumed on two ranks */
	stop_and_resume(SIGTERM, 1, 1);
}

static void test_sigint_mpirun(void)
{
	if (no_mpirun())
		return;
	/* Ctrl-C at a terminal: mpirun exits 1; resumed on two ranks */
	stop_and_resume_to(SIGINT, 1, 1, 1);
}

static void test_kill9_threads(void)
{
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	char *cmd = xasprintf("exec %s sweep " LISTS " --jobs 1 -o %s "
			      ">/dev/null 2>&1",
			      WAFERSIM_BIN, csv);
	int seen = 0;
	int st = run_and_signal(cmd, csv, 1, SIGKILL, TO_GROUP, &seen);
	CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CU_ASSERT_TRUE(seen >= 1 && seen < 4);
	CU_ASSERT_NOT_EQUAL(access(csv, F_OK), 0); /* no CSV */
	int64_t resumed = 0;
	resume_and_compare(csv, &resumed);
	CU_ASSERT_TRUE(resumed >= 1 && resumed < 4);
	CU_ASSERT_EQUAL(journal_lines(csv), 0); /* removed */
	rmdir(dir);
	free(cmd);
	free(csv);
	free(dir);
}

/* SIGINT: no new point starts, the running one is kept, exit 130. */
static void test_sigint_keeps_points(void)
{
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	char *cmd = xasprintf("exec %s sweep " LISTS " --jobs 1 -o %s "
			      ">/dev/null 2>%s/err.txt",
			      WAFERSIM_BIN, csv, dir);
	int seen = 0;
	int st = run_and_signal(cmd, csv, 1, SIGINT, TO_GROUP, &seen);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 130);
	CU_ASSERT_NOT_EQUAL(access(csv, F_OK), 0);
	int kept = journal_lines(csv);
	CU_ASSERT_TRUE(kept >= seen && kept < 4); /* and the running one */
	char *ep = xasprintf("%s/err.txt", dir), *err = NULL;
	struct diag d;
	diag_init(&d);
	read_file(ep, &err, NULL, &d);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "sweep: stopped by signal 2"));
	free(err);
	remove(ep);
	free(ep);
	diag_release(&d);
	int64_t resumed = 0;
	resume_and_compare(csv, &resumed);
	CU_ASSERT_EQUAL(resumed, kept);
	rmdir(dir);
	free(cmd);
	free(csv);
	free(dir);
}

static void test_kill9_mpi(void)
{
	if (no_mpirun())
		return;
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	/* Open MPI's own leaks: see test_sweep.c */
	char *cmd = xasprintf("ASAN_OPTIONS=detect_leaks=0 exec mpirun %s "
			      "--oversubscribe -np 2 %s-mpi sweep " LISTS
			      " -o %s >/dev/null 2>&1 </dev/null",
			      geteuid() == 0 ? "--allow-run-as-root" : "",
			      WAFERSIM_BIN, csv);
	int seen = 0;
	/* both ranks' pack points journaled, both now in anneal */
	run_and_signal(cmd, csv, 2, SIGKILL, TO_GROUP, &seen);
	CU_ASSERT_TRUE(seen >= 2 && seen < 4);
	CU_ASSERT_NOT_EQUAL(access(csv, F_OK), 0);
	/* resumed by two ranks from the command line */
	resume_cli(dir, csv, 0, 1);
	rmdir(dir);
	free(cmd);
	free(csv);
	free(dir);
}

/* A journal of another sweep (other lists) is not read back. */
static void test_other_sweep_ignored(void)
{
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	char *args = xasprintf("sweep --nets p1b2 --machines mini64 "
			       "--strategies pack --batch 8 -o %s",
			       csv);
	CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
	/* a journal as a killed run of that sweep leaves it */
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(
		prepare_with(&sw, "p1b2", "mini64", "pack", "8", NULL), 0);
	struct sweep_result r;
	sweep_point(&sw, 0, &r);
	struct sweep_journal j;
	struct sweep_result res[1];
	CU_ASSERT_EQUAL(sweep_journal_open(&j, &sw, csv, 0, 0, res, &d), 0);
	sweep_journal_add(&j, &r);
	sweep_journal_close(&j);
	/* read back by the same sweep, not by another one */
	CU_ASSERT_EQUAL(sweep_journal_open(&j, &sw, csv, 1, 1, res, &d), 0);
	CU_ASSERT_EQUAL(j.n_resumed, 1);
	sweep_journal_close(&j);
	sweep_release(&sw);
	struct sweep other;
	CU_ASSERT_EQUAL_FATAL(prepare(&other), 0);
	struct sweep_result *ro = xcalloc((size_t)other.n_points, sizeof(*ro));
	CU_ASSERT_EQUAL(sweep_journal_open(&j, &other, csv, 0, 1, ro, &d), 0);
	CU_ASSERT_EQUAL(j.n_resumed, 0);
	sweep_journal_close(&j);
	free(ro);
	sweep_release(&other);
	sweep_journal_remove(csv);
	remove(csv);
	rmdir(dir);
	diag_release(&d);
	free(args);
	free(csv);
	free(dir);
}

/* A record of the sweep's key whose check holds but which this sweep
 * could not have written (coordinates not those of its index, a string
 * without its end: an edited journal, another build's record of the
 * same size) is not read back: an index of 1000 into the one network
 * crashed the CSV's writing. */
static void test_forged_record_ignored(void)
{
	char *dir = tu_temp_dir(), *csv = xasprintf("%s/s.csv", dir);
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(
		prepare_with(&sw, "p1b2", "mini64", "pack", "8,16", NULL),
		0);
	struct sweep_result good, bad[3], res[2];
	sweep_point(&sw, 0, &good);
	for (int i = 0; i < 3; i++) {
		bad[i] = good;
		bad[i].index = 1;
	}
	bad[0].net = 1000;
	memset(bad[1].bottleneck, 'A', sizeof(bad[1].bottleneck));
	bad[2].ok = -7;
	for (int i = 0; i < 3; i++) {
		struct sweep_journal j;
		CU_ASSERT_EQUAL(sweep_journal_open(&j, &sw, csv, 0, 0, res, &d),
				0);
		sweep_journal_add(&j, &good);
		sweep_journal_add(&j, &bad[i]);
		sweep_journal_close(&j);
		CU_ASSERT_EQUAL(sweep_journal_open(&j, &sw, csv, 1, 1, res, &d),
				0);
		CU_ASSERT_EQUAL(sweep_resumed_check(&sw, &j, res), 1);
		CU_ASSERT_EQUAL(j.n_resumed, 1); /* the good one */
		CU_ASSERT_FALSE(j.done[1]);
		sweep_journal_close(&j);
		sweep_journal_remove(csv);
	}
	sweep_release(&sw);
	diag_release(&d);
	rmdir(dir);
	free(csv);
	free(dir);
}

/* --resume needs the CSV the journal sits beside; -o is checked first. */
static void test_resume_needs_output(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini64 --strategy "
			       "pack --batch 8 --resume", &out, &err),
			2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'--resume' needs '-o FILE'"));
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	/* an output that cannot be written is found before any point runs
	 * (no journal is started) */
	char *dir = tu_temp_dir();
	const char *bad[] = {"", "/nosuch/s.csv"};
	const char *msg[] = {"'-o' must name a file, got the folder",
			     "folder '%s/nosuch' does not exist"};
	for (int i = 0; i < 2; i++) {
		char *o = xasprintf("%s%s", dir, bad[i]);
		char *args = xasprintf("sweep --net p1b2 --machine mini64 "
				       "--strategy anneal --batch 8 -o %s", o);
		char *want = xasprintf(msg[i], dir);
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		CU_ASSERT_EQUAL(journal_lines(o), 0);
		free(out);
		free(err);
		free(want);
		free(args);
		free(o);
	}
	rmdir(dir);
	free(dir);
}

int suite_sweep_resume(void)
{
	static const struct tu_test tests[] = {
		{"journal of another sweep ignored", test_other_sweep_ignored},
		{"forged record with a valid check ignored",
		 test_forged_record_ignored},
		{"--resume needs -o; -o checked before the work",
		 test_resume_needs_output},
		{"kill -9 on threads, resumed to identical bytes",
		 test_kill9_threads},
		{"SIGINT keeps every finished point", test_sigint_keeps_points},
		{"kill -9 on two MPI ranks, resumed to identical bytes",
		 test_kill9_mpi},
		{"SIGTERM on threads, --resume to identical bytes",
		 test_sigterm_threads},
		{"SIGINT to two MPI ranks: mpirun exits 130, --resume on "
		 "threads to identical bytes",
		 test_sigint_mpi},
		{"SIGTERM to two MPI ranks: mpirun exits 143, --resume on two "
		 "ranks to identical bytes",
		 test_sigterm_mpi},
		{"SIGINT to mpirun itself: it exits 1, --resume on two ranks "
		 "to identical bytes",
		 test_sigint_mpirun},
		{0},
	};
	return tu_add_suite("sweep_resume", tests);
}
