/* trace.c: trace_write and trace_replot: snapshot, save, render all. */
#include "traces/trace.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/util.h"
#include "traces/trace_int.h"

void trace_opts_init(struct trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gnuplot = 1;
	o->graphviz = 1;
}

/* mkdir -p */
static int make_dir(const char *dir, struct diag *d)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0777);
			*s = '/';
		}
	free(p);
	if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
		struct stat sb;
		if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
			return 0;
	}
	diag_add(d, dir, 0, 0, "trace: cannot create directory: %s",
		 strerror(errno));
	return WS_EIO;
}

static int render_all(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d)
{
	int rc = trace_data_save(t, dir, o, d);
	if (!rc)
		rc = trace_chrome_write(t, dir, o, d);
	if (!rc)
		rc = trace_heat_write(t, dir, o, d);
	if (!rc)
		rc = trace_place_write(t, dir, o, d);
	if (!rc && o->graphviz)
		rc = trace_graph_write(t, dir, o, d);
	if (!rc)
		rc = trace_plot_write(t, dir, o, d);
	return rc;
}

int trace_write(const struct report_in *r, const char *dir,
		const struct trace_opts *o, struct diag *d)
{
	struct trace_opts def;
	if (!o) {
		trace_opts_init(&def);
		o = &def;
	}
	if (make_dir(dir, d))
		return WS_EIO;
	struct trace_data t;
	int rc = trace_data_build(r, &t);
	if (!rc)
		rc = render_all(&t, dir, o, d);
	trace_data_release(&t);
	return rc;
}

int trace_replot(const char *in_dir, const char *out_dir,
		 const struct trace_opts *o, struct diag *d)
{
	struct trace_opts def;
	if (!o) {
		trace_opts_init(&def);
		o = &def;
	}
	struct trace_data t;
	int rc = trace_data_load(in_dir, &t, d);
	if (rc)
		return rc;
	rc = make_dir(out_dir, d);
	if (!rc) {
		/* re-save only into another directory: link directions
		 * survive only if they were saved */
		struct trace_opts oo = *o;
		oo.link_dirs = o->link_dirs && t.link_dirs_saved;
		if (strcmp(in_dir, out_dir))
			rc = render_all(&t, out_dir, &oo, d);
		else {
			rc = trace_chrome_write(&t, out_dir, &oo, d);
			if (!rc)
				rc = trace_heat_write(&t, out_dir, &oo, d);
			if (!rc)
				rc = trace_place_write(&t, out_dir, &oo, d);
			if (!rc && oo.graphviz)
				rc = trace_graph_write(&t, out_dir, &oo, d);
			if (!rc)
				rc = trace_plot_write(&t, out_dir, &oo, d);
		}
	}
	trace_data_release(&t);
	return rc;
}

int trace_run_tool(const char *dir, const char *const *argv, const char *tmp)
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
	int status = -1;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0)
			;
	int ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (tmp) {
		/* tmp ends in ".tmp": rename it to its final name */
		char *from = trace_path(dir, tmp);
		char *to = xstrdup(from);
		size_t n = strlen(to);
		if (n > 4 && !strcmp(to + n - 4, ".tmp"))
			to[n - 4] = 0;
		if (ok)
			ok = rename(from, to) == 0;
		else
			unlink(from);
		free(from);
		free(to);
	}
	return ok ? 0 : 1;
}
