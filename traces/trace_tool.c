/*
 * trace_tool.c: running the external drawing tools (gnuplot, Graphviz) in
 * a trace folder and committing what they write.  Below trace.c: the
 * writers (trace_graph.c, trace_plot.c) and the driver call these.
 * Declared in trace_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ground/util.h"
#include "traces/trace_int.h"

long trace_tool_start(const char *dir, const char *const *argv)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(dir) == 0)
			execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid > 0 ? (long)pid : -1;
}

int trace_tool_wait(long job)
{
	if (job <= 0)
		return 1;
	int status = -1;
	while (waitpid((pid_t)job, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int trace_tmp_commit(const char *dir, const char *tmp, int ok)
{
	/* tmp ends in ".tmp": rename it to its final name */
	char *from = trace_path(dir, tmp);
	char *to = xstrdup(from);
	size_t n = strlen(to);
	if (n > 4 && !strcmp(to + n - 4, ".tmp"))
		to[n - 4] = 0;
	n = strlen(to);
	/* gnuplot's and Graphviz's PDFs carry their creation date: a fixed
	 * one, so a run gives the same bytes every time */
	if (ok && n > 4 && !strcmp(to + n - 4, ".pdf"))
		ws_file_fix_stamp(from, WS_PDF_DATE_KEY, WS_PDF_DATE);
	if (ok)
		ok = rename(from, to) == 0;
	else
		unlink(from);
	free(from);
	free(to);
	return ok ? 0 : 1;
}

int trace_run_tool(const char *dir, const char *const *argv, const char *tmp)
{
	int ok = trace_tool_wait(trace_tool_start(dir, argv)) == 0;
	if (tmp)
		return trace_tmp_commit(dir, tmp, ok);
	return ok ? 0 : 1;
}
