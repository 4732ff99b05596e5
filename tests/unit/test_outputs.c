/*
 * test_outputs.c: outputs that cannot harm (ground/util.h, struct
 * outfile): a FIFO (like a device) is written into, never replaced; a
 * regular file is replaced only on commit; a failed step (--trace) or bad
 * input leaves no output; output paths are checked before the work.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ground/tmpclean.h"
#include "ground/util.h"
#include "test_util.h"

static int is_fifo(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Nothing but `keep` in `dir` (no temporary left behind). */
static int only_file(const char *dir, const char *keep)
{
	char *cmd = xasprintf("test \"$(ls -A %s)\" = \"%s\"", dir, keep);
	int ok = system(cmd) == 0;
	free(cmd);
	return ok;
}

/* Make the FIFO `fifo` and start a reader copying it into `got`. */
static pid_t fifo_reader(const char *fifo, const char *got)
{
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char *cmd = xasprintf("cat %s > %s", fifo, got);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_fifo_written_not_replaced(void)
{
	char *dir = tu_temp_dir();
	char *fifo = xasprintf("%s/pipe", dir), *got = xasprintf("%s/got", dir);
	pid_t pid = fifo_reader(fifo, got);
	char *args = xasprintf("run p1b2 --machine mini16 -o %s", fifo);
	CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
	int st;
	waitpid(pid, &st, 0);
	CU_ASSERT_TRUE(is_fifo(fifo)); /* still the FIFO */
	char *text = NULL;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(read_file(got, &text, NULL, &d), 0);
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "p1b2"));
	free(text);
	diag_release(&d);
	remove(fifo);
	remove(got);
	rmdir(dir);
	free(args);
	free(fifo);
	free(got);
	free(dir);
}

/* The library side: a FIFO opened, aborted, is untouched and nothing is
 * written into it; committed, the bytes arrive. */
static void test_outfile_special_abort(void)
{
	char *dir = tu_temp_dir(), *fifo = xasprintf("%s/p", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	struct outfile o;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(outfile_open(&o, fifo, &d), 0);
	fputs("never", o.f);
	outfile_abort(&o);
	CU_ASSERT_TRUE(is_fifo(fifo));
	/* a directory is refused at open */
	CU_ASSERT_EQUAL(outfile_open(&o, dir, &d), WS_EIO);
	CU_ASSERT_TRUE(diag_contains(&d, "it is a directory"));
	remove(fifo);
	rmdir(dir);
	free(fifo);
	free(dir);
	diag_release(&d);
}

/* --trace fails after the report was made: no -o file, no temporary. */
static void test_failed_trace_leaves_no_output(void)
{
	char *dir = tu_temp_dir();
	char *out = xasprintf("%s/report.txt", dir);
	char *blocker = xasprintf("%s/blocker", dir);
	FILE *f = fopen(blocker, "w");
	fputs("a file where the trace folder should go\n", f);
	fclose(f);
	char *args = xasprintf("run p1b2 --machine mini16 -o %s --trace %s",
			       out, blocker);
	char *err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "error: "));
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	CU_ASSERT_TRUE(only_file(dir, "blocker"));
	free(err);
	free(args);
	/* an unwritable place (a file on the way) is found before the
	 * work, and nothing is made */
	args = xasprintf("run p1b2 --machine mini16 -o %s --trace "
			 "%s/blocker/such/dir/t",
			 out, dir);
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "--trace: cannot write"));
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	CU_ASSERT_TRUE(only_file(dir, "blocker"));
	free(err);
	free(args);
	/* bad input: exit 1, a located error, nothing written */
	char *bad = xasprintf("%s/bad.yaml", dir);
	f = fopen(bad, "w");
	fputs("name: bad\ninputs:\n  x: [8]\nlayers:\n"
	      "  - {name: fc, op: dense, units: -3, in: x}\n", f);
	fclose(f);
	args = xasprintf("run %s --machine mini16 -o %s", bad, out);
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "bad.yaml:5:"));
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	remove(bad);
	CU_ASSERT_TRUE(only_file(dir, "blocker"));
	free(err);
	free(args);
	free(bad);
	remove(blocker);
	rmdir(dir);
	free(blocker);
	free(out);
	free(dir);
}

/* Issue 17: a saved stats file whose stage rectangle leaves the mesh is
 * refused with the stage named, before any picture is drawn. */
static void test_stats_rect_out_of_range(void)
{
	char *dir = tu_temp_dir();
	char *cmd = xasprintf(
		"cp %s/tests/fuzz/stats_grids/*.csv %s/ && sed "
		"'0,/\"x\": 0/s//\"x\": 100000/' "
		"%s/tests/fuzz/stats_grids/stats.json > %s/stats.json",
		WAFERSIM_SRCDIR, dir, WAFERSIM_SRCDIR, dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	char *args = xasprintf("plot %s -o %s/pics --no-gnuplot --no-graphviz",
			       dir, dir);
	char *err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "rectangle must lie inside "
						"the 16x16 mesh, got x "
						"100000"));
	char *pics = xasprintf("%s/pics", dir);
	CU_ASSERT_NOT_EQUAL(access(pics, F_OK), 0);
	free(err);
	free(args);
	free(cmd);
	cmd = xasprintf("rm -rf %s", dir);
	system(cmd);
	free(cmd);
	free(pics);
	free(dir);
}

/* Names in `dir` containing ".tmp." (0 if none or no folder). */
static int tmp_entries(const char *dir)
{
	char *cmd = xasprintf("ls -A %s 2>/dev/null | grep -q '\\.tmp\\.'",
			      dir);
	int found = system(cmd) == 0;
	free(cmd);
	return found;
}

/* Whether a folder "t.tmp.*" in `dir` has an entry yet (readdir, not a
 * shell: polled every few microseconds, it sees the folder however fast
 * the run is). */
static int tmp_folder_filled(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int filled = 0;
	struct dirent *e;
	while (!filled && (e = readdir(d))) {
		if (strncmp(e->d_name, "t.tmp.", 6))
			continue;
		char *sub = xasprintf("%s/%s", dir, e->d_name);
		DIR *in = opendir(sub);
		struct dirent *f;
		while (in && !filled && (f = readdir(in)))
			filled = strcmp(f->d_name, ".") && strcmp(f->d_name, "..");
		if (in)
			closedir(in);
		free(sub);
	}
	closedir(d);
	return filled;
}

/* Runs `--trace t` in `dir` and kills it (kill -9) once its temporary
 * folder has files; 1 if it was caught so, 0 if it finished first (a
 * loaded machine can let it; the caller tries again). */
static int trace_killed_midway(const char *dir, const char *t)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *cmd = xasprintf("exec %s run p1b2 --machine mini16 "
				      "--trace %s >/dev/null 2>&1",
				      WAFERSIM_BIN, t);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st, done = 0;
	while (!tmp_folder_filled(dir)) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			done = 1;
			break;
		}
		usleep(20);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	return !done && WIFSIGNALED(st);
}

/* Issue 17: --trace writes into a temporary folder beside DIR, moved into
 * place at the end.  Killed (kill -9) while drawing, nothing is in DIR;
 * into an existing folder, its other files stay and no temporary is
 * left. */
static void test_trace_folder_atomic(void)
{
	char *dir = tu_temp_dir();
	char *t = xasprintf("%s/t", dir);
	int caught = 0;
	for (int i = 0; i < 10 && !caught; i++) {
		char *rm = xasprintf("rm -rf %s/t %s/t.tmp.*", dir, dir);
		CU_ASSERT_EQUAL(system(rm), 0);
		free(rm);
		caught = trace_killed_midway(dir, t);
	}
	CU_ASSERT_TRUE(caught);
	/* killed before the end: no trace folder at all, so no partial one */
	if (caught)
		CU_ASSERT_NOT_EQUAL(access(t, F_OK), 0);
	CU_ASSERT_FALSE(tmp_entries(t));
	/* into an existing folder: other files kept, the trace added */
	char *cmd = xasprintf("rm -rf %s/t.tmp.* && mkdir -p %s && echo keep "
			      "> %s/mine.txt",
			      dir, t, t);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	char *args = xasprintf("run p1b2 --machine mini16 "
			       "--trace %s", t);
	CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
	char *keep = xasprintf("%s/mine.txt", t), *js = xasprintf("%s/stats.json",
								 t);
	CU_ASSERT_EQUAL(access(keep, F_OK), 0);
	CU_ASSERT_EQUAL(access(js, F_OK), 0);
	CU_ASSERT_FALSE(tmp_entries(t));
	CU_ASSERT_FALSE(tmp_entries(dir));
	free(args);
	free(keep);
	free(js);
	free(t);
	tu_rm_rf(dir);
}

/* --vcd: a folder is refused before the work; a waveform that cannot be
 * written after the work (/dev/full) leaves no -o file and the device as
 * it was; a FIFO receives the waveform and stays a FIFO (it was replaced
 * by a regular file). */
static void test_failed_vcd_leaves_no_output(void)
{
	char *dir = tu_temp_dir();
	char *out = xasprintf("%s/report.txt", dir);
	char *args = xasprintf("run p1b2 --machine mini16 --engine systemc "
			       "-o %s --vcd %s",
			       out, dir);
	char *err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "--vcd must name a file, "
						  "got the folder"));
	CU_ASSERT_PTR_NULL(err && strstr(err, "reference model"));
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	free(err);
	free(args);
	args = xasprintf("fabric --machine mini16 --engine systemc --cycles "
			 "50 --vcd %s",
			 dir);
	err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "--vcd must name a file"));
	free(err);
	free(args);
	struct stat st;
	if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
		args = xasprintf("run p1b2 --machine mini16 --engine systemc "
				 "-o %s --vcd /dev/full",
				 out);
		err = NULL;
		CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
		CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "cannot write the "
							  "waveform '/dev/full'"));
		CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
		CU_ASSERT_TRUE(stat("/dev/full", &st) == 0 &&
			       S_ISCHR(st.st_mode));
		free(err);
		free(args);
	}
	CU_ASSERT_TRUE(only_file(dir, ""));
	char *fifo = xasprintf("%s/wave", dir), *got = xasprintf("%s/got", dir);
	pid_t pid = fifo_reader(fifo, got);
	args = xasprintf("run p1b2 --machine mini16 --engine systemc -o %s "
			 "--vcd %s",
			 out, fifo);
	CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
	int ws;
	waitpid(pid, &ws, 0);
	CU_ASSERT_TRUE(is_fifo(fifo));
	char *text = tu_read(got);
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "$enddefinitions"));
	CU_ASSERT_EQUAL(access(out, F_OK), 0);
	free(text);
	free(args);
	free(fifo);
	free(got);
	free(out);
	tu_rm_rf(dir);
}

/* A process ended by a signal it can catch leaves no temporary output:
 * the -o file's and the --trace folder's are removed (ground/tmpclean.h)
 * and the process still ends by the signal.  SIGPIPE is what `wafersim
 * ... -o FILE | head` gets; it left "FILE.tmp.PID" before.  The folder
 * has the umask's permissions (mkdtemp's 0700 before). */
static void signal_child(const char *dir, int sig)
{
	struct diag d;
	diag_init(&d);
	struct outfile of;
	struct outdir od;
	char *file = xasprintf("%s/report.txt", dir);
	char *trace = xasprintf("%s/trace", dir);
	tmp_clean_on_signals();
	if (outfile_open(&of, file, &d) || outdir_open(&od, trace, &d))
		_exit(3);
	fputs("half a report", of.f);
	fflush(of.f);
	char *inner = xasprintf("%s/sub", od.tmp_path);
	char *f = xasprintf("%s/stats.json", inner);
	FILE *fp = (mkdir(inner, 0777) == 0) ? fopen(f, "w") : NULL;
	if (!fp)
		_exit(4);
	fputs("{}", fp);
	fclose(fp);
	struct stat st;
	mode_t mask = umask(022);
	umask(mask);
	if (stat(od.tmp_path, &st) != 0 ||
	    (st.st_mode & 0777) != (0777 & ~mask))
		_exit(5);
	if (sig == SIGPIPE) {
		int p[2];
		if (pipe(p) != 0)
			_exit(6);
		close(p[0]);
		if (write(p[1], "x", 1) < 0)
			_exit(7);
	}
	raise(sig);
	_exit(8);
}

static void test_signal_leaves_no_temporary(void)
{
	static const int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		char *dir = tu_temp_dir();
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0)
			signal_child(dir, sigs[i]);
		int st = 0;
		waitpid(pid, &st, 0);
		CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i]);
		if (!WIFSIGNALED(st))
			fprintf(stderr, "signal %d: child exited %d\n",
				sigs[i], WEXITSTATUS(st));
		CU_ASSERT_TRUE(only_file(dir, ""));
		tu_rm_rf(dir);
	}
}

/* A folder named where a file is expected says so: read_file (a plan, a
 * measurement file) and ws_find_model (a network, machine or GPU named
 * without a '/': it said "no file 'x' and no preset named 'x'"). */
static void test_folder_for_file(void)
{
	char *dir = tu_temp_dir();
	char *cwd = getcwd(NULL, 0);
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	CU_ASSERT_EQUAL(mkdir("adir", 0777), 0);
	struct diag d;
	diag_init(&d);
	char *text = NULL;
	CU_ASSERT_EQUAL(read_file("adir", &text, NULL, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "'adir' must be a file, got a "
					  "folder"));
	char *p = ws_find_model("adir", "nets", ".yaml", "network", &d);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_TRUE(diag_contains(&d, "network: 'adir' must be a file or "
					  "a preset of models/nets/, got a "
					  "folder"));
	p = ws_find_model("nosuch", "nets", ".yaml", "network", &d);
	CU_ASSERT_TRUE(diag_contains(&d, "no file 'nosuch' and no preset"));
	/* an empty name is refused before the work (-o '' failed at the
	 * commit, --trace '' after the report) */
	struct outfile of;
	struct outdir od;
	CU_ASSERT_EQUAL(outfile_open(&of, "", &d), WS_EIO);
	CU_ASSERT_EQUAL(outdir_open(&od, "", &d), WS_EIO);
	CU_ASSERT_EQUAL(ws_check_output_dir("", "--trace", &d), WS_EIO);
	CU_ASSERT_EQUAL(ws_check_output_file("", "--vcd", &d), WS_EIO);
	CU_ASSERT_EQUAL(read_file("", &text, NULL, &d), WS_EIO);
	CU_ASSERT_TRUE(diag_contains(&d, "--trace: a name is needed, got ''"));
	/* -o to a symbolic link writes the file it names (the link was
	 * replaced by a regular file); to a link to nothing is refused */
	CU_ASSERT_EQUAL(symlink("target.txt", "link.txt"), 0);
	CU_ASSERT_EQUAL(symlink("nowhere/x", "dangling.txt"), 0);
	CU_ASSERT_EQUAL_FATAL(outfile_open(&of, "link.txt", &d), 0);
	fputs("through", of.f);
	CU_ASSERT_EQUAL(outfile_commit(&of, &d), 0);
	struct stat st;
	CU_ASSERT_TRUE(lstat("link.txt", &st) == 0 && S_ISLNK(st.st_mode));
	char *got = tu_read("target.txt");
	CU_ASSERT_STRING_EQUAL(got ? got : "", "through");
	free(got);
	CU_ASSERT_EQUAL(outfile_open(&of, "dangling.txt", &d), WS_EIO);
	CU_ASSERT_EQUAL(ws_check_output_file("dangling.txt", "-o", &d),
			WS_EIO);
	CU_ASSERT_TRUE(diag_contains(&d, "a symbolic link to nothing"));
	diag_release(&d);
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	free(cwd);
	tu_rm_rf(dir);
}

/* Tools write the time into files: SystemC's VCD ('$date'), gnuplot's PDF
 * (fabric --sweep's chart).  Two runs a second apart give the same bytes
 * (they differed); ws_file_fix_stamp leaves a file without the key, or
 * with a shorter line after it, as it was. */
static int same_file(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	struct diag d;
	diag_init(&d);
	int same = read_file(a, &x, &nx, &d) == 0 &&
		   read_file(b, &y, &ny, &d) == 0 && nx == ny &&
		   !memcmp(x, y, nx);
	free(x);
	free(y);
	diag_release(&d);
	return same;
}

static void test_dated_outputs_repeat(void)
{
	char *dir = tu_temp_dir();
	for (int i = 0; i < 2; i++) {
		if (i)
			sleep(1);
		char *args = xasprintf("fabric --machine mini16 --engine systemc "
				       "--cycles 100 --vcd %s/w%d.vcd",
				       dir, i);
		CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
		free(args);
		args = xasprintf("fabric --machine mini16 --mesh 4x4 --cycles 100 "
				 "--sweep --out-dir %s/f%d",
				 dir, i);
		CU_ASSERT_EQUAL(tu_run(args, NULL, NULL), 0);
		free(args);
	}
	const char *pairs[][2] = {{"w0.vcd", "w1.vcd"},
				  {"f0/fabric_uniform.pdf",
				   "f1/fabric_uniform.pdf"}};
	for (int k = 0; k < 2; k++) {
		char *a = xasprintf("%s/%s", dir, pairs[k][0]);
		char *b = xasprintf("%s/%s", dir, pairs[k][1]);
		CU_ASSERT_TRUE(same_file(a, b));
		free(a);
		free(b);
	}
	char *f = xasprintf("%s/stamp.txt", dir);
	FILE *fp = fopen(f, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("a $date\n  short\n$end\n", fp);
	fclose(fp);
	CU_ASSERT_EQUAL(ws_file_fix_stamp(f, WS_VCD_DATE_KEY, WS_VCD_DATE), 1);
	CU_ASSERT_EQUAL(ws_file_fix_stamp(f, "nowhere", "x"), 1);
	CU_ASSERT_EQUAL(ws_file_fix_stamp(f, "a ", "$"), 0);
	char *t = tu_read(f);
	CU_ASSERT_STRING_EQUAL(t, "a $date\n  short\n$end\n");
	free(t);
	free(f);
	tu_rm_rf(dir);
}

/* Files capped at `limit` bytes (RLIMIT_FSIZE, SIGXFSZ ignored: a write
 * past it fails with EFBIG, as a full disk's with ENOSPC); restore with
 * the saved limit and handler. */
static void cap_files(rlim_t limit, struct rlimit *saved,
		      struct sigaction *old)
{
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &ign, old);
	getrlimit(RLIMIT_FSIZE, saved);
	struct rlimit r = *saved;
	r.rlim_cur = limit;
	setrlimit(RLIMIT_FSIZE, &r);
}

static void uncap_files(const struct rlimit *saved,
			const struct sigaction *old)
{
	setrlimit(RLIMIT_FSIZE, saved);
	sigaction(SIGXFSZ, old, NULL);
}

/* A full disk: the commit fails with the reason of the write that failed
 * long before (its errno gone: the flush has nothing left to retry; it
 * said "cannot write 'x'" alone), nothing is left; a held standard output
 * shows nothing until its commit. */
static void test_full_disk(void)
{
	char *dir = tu_temp_dir();
	char *path = xasprintf("%s/big.txt", dir);
	struct rlimit saved;
	struct sigaction old;
	struct diag d;
	diag_init(&d);
	struct outfile o;
	CU_ASSERT_EQUAL_FATAL(outfile_open(&o, path, &d), 0);
	cap_files(4096, &saved, &old);
	for (int i = 0; i < 1000; i++)
		fputs("0123456789abcdef\n", o.f); /* 17 kB: past the cap */
	CU_ASSERT_EQUAL(outfile_commit(&o, &d), WS_EIO);
	uncap_files(&saved, &old);
	const char *t = diag_text(&d, 0);
	CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "big.txt': File too large"));
	CU_ASSERT_TRUE(only_file(dir, ""));
	diag_release(&d);
	/* held: the bytes reach standard output (here a file) at commit */
	char *std = xasprintf("%s/stdout.txt", dir);
	fflush(stdout);
	int keep = dup(1), fd = open(std, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(keep >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	diag_init(&d);
	CU_ASSERT_EQUAL(outfile_open_held(&o, "-", &d), 0);
	CU_ASSERT_TRUE(o.f != stdout);
	fputs("report\n", o.f);
	struct stat st;
	CU_ASSERT_TRUE(stat(std, &st) == 0 && st.st_size == 0);
	CU_ASSERT_EQUAL(outfile_commit(&o, &d), 0);
	CU_ASSERT_TRUE(stat(std, &st) == 0 && st.st_size == 7);
	/* aborted: nothing */
	CU_ASSERT_EQUAL(outfile_open_held(&o, "-", &d), 0);
	fputs("half a report\n", o.f);
	outfile_abort(&o);
	fflush(stdout);
	dup2(keep, 1);
	close(keep);
	CU_ASSERT_TRUE(stat(std, &st) == 0 && st.st_size == 7);
	remove(std);
	free(std);
	diag_release(&d);
	/* SystemC's waveform on a full disk: its writer checks nothing (a
	 * truncated file and exit 0 before); now the copier's error, no
	 * report printed, no file */
	char *out = xasprintf("%s/out.txt", dir);
	char *cmd = xasprintf("sh -c 'trap \"\" XFSZ; ulimit -f 8; exec %s run "
			      "uno --machine mini16 --steps 1 --engine systemc "
			      "--vcd %s/v.vcd' >%s 2>/dev/null",
			      WAFERSIM_BIN, dir, out);
	int rc = system(cmd);
	CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
	CU_ASSERT_TRUE(stat(out, &st) == 0 && st.st_size == 0);
	remove(out);
	CU_ASSERT_TRUE(only_file(dir, ""));
	free(cmd);
	free(out);
	rmdir(dir);
	free(path);
	free(dir);
}

int suite_outputs(void)
{
	static const struct tu_test tests[] = {
		{"-o to a FIFO: written into, not replaced",
		 test_fifo_written_not_replaced},
		{"outfile on a FIFO: abort writes nothing; directory refused",
		 test_outfile_special_abort},
		{"failed --trace or bad input: no -o file",
		 test_failed_trace_leaves_no_output},
		{"failed --vcd: no -o file; a folder refused first; a FIFO "
		 "kept",
		 test_failed_vcd_leaves_no_output},
		{"stage rectangle out of range in saved stats",
		 test_stats_rect_out_of_range},
		{"--trace folder: killed leaves nothing, existing files kept",
		 test_trace_folder_atomic},
		{"a signal (| head, Ctrl-C, kill) removes the temporaries",
		 test_signal_leaves_no_temporary},
		{"a folder where a file is expected, no name, a symbolic "
		 "link: said so or written through",
		 test_folder_for_file},
		{"a full disk: the reason, nothing left, stdout held",
		 test_full_disk},
		{"dated outputs (VCD, fabric PDF): the same bytes twice",
		 test_dated_outputs_repeat},
		{0},
	};
	return tu_add_suite("outputs", tests);
}
