/* util.c: number formatting, files, model look-up. See util.h. */
#include "ground/util.h"

#include "ground/tmpclean.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef WAFERSIM_SRCDIR
#define WAFERSIM_SRCDIR "."
#endif

char *fmt_double_exact(char *buf, double v)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* keep it recognisably a float in YAML/JSON-ish output */
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	return buf;
}

int read_file_max(const char *path, int64_t max_bytes, char **data,
		  size_t *len, struct diag *d)
{
	if (!*path) {
		diag_add(d, NULL, 0, 0, "input: a file name is needed, got ''");
		return WS_EIO;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		diag_add(d, path, 0, 0, "cannot open '%s': %s", path,
			 strerror(errno));
		return WS_EIO;
	}
	/* a regular file says its size; a FIFO or a device (/dev/zero) is
	 * read up to one byte past the limit */
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		diag_add(d, path, 0, 0, "'%s' must be a file, got a folder",
			 path);
		return WS_EINPUT;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (int64_t)st.st_size > max_bytes) {
		fclose(f);
		diag_add(d, path, 0, 0,
			 "file must be at most %lld bytes, got %lld",
			 (long long)max_bytes, (long long)st.st_size);
		return WS_EINPUT;
	}
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0 || (int64_t)n > max_bytes)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err || (int64_t)n > max_bytes) {
		free(buf);
		if (err)
			diag_add(d, path, 0, 0, "cannot read '%s'", path);
		else
			diag_add(d, path, 0, 0,
				 "file must be at most %lld bytes, got more",
				 (long long)max_bytes);
		return err ? WS_EIO : WS_EINPUT;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return WS_OK;
}

int read_file(const char *path, char **data, size_t *len, struct diag *d)
{
	return read_file_max(path, READ_FILE_MAX_BYTES, data, len, d);
}

/* The file the symbolic link `path` names, with its folder's real path
 * (the file itself may not exist yet: it is created, as cp does), or
 * NULL when that folder does not exist. */
static char *link_target(const char *path)
{
	char *real = realpath(path, NULL);
	if (real)
		return real;
	char to[4096];
	ssize_t n = readlink(path, to, sizeof(to) - 1);
	if (n <= 0)
		return NULL;
	to[n] = '\0';
	const char *slash = strrchr(path, '/');
	char *full = to[0] == '/' || !slash
			     ? xstrdup(to)
			     : xasprintf("%.*s/%s", (int)(slash - path), path,
					 to);
	char *cut = strrchr(full, '/'), *dir;
	const char *base = cut ? cut + 1 : full;
	if (!cut)
		dir = realpath(".", NULL);
	else if (cut == full)
		dir = realpath("/", NULL);
	else {
		*cut = '\0';
		dir = realpath(full, NULL);
	}
	char *out = dir ? xasprintf("%s/%s", dir, base) : NULL;
	free(dir);
	free(full);
	return out;
}

int outfile_open(struct outfile *o, const char *path, struct diag *d)
{
	memset(o, 0, sizeof(*o));
	if (!*path) {
		diag_add(d, NULL, 0, 0, "output: a file name is needed, got ''");
		return WS_EIO;
	}
	o->path = xstrdup(path);
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return WS_OK;
	}
	struct stat st;
	/* a symbolic link is written through: the file it names gets the
	 * output (the rename replaced the link by a regular file) */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = link_target(path);
		if (!real) {
			diag_add(d, NULL, 0, 0,
				 "cannot write '%s': a symbolic link to "
				 "nothing (%s)",
				 path, strerror(errno));
			free(o->path);
			memset(o, 0, sizeof(*o));
			return WS_EIO;
		}
		free(o->path);
		o->path = real;
		path = real;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0,
			 "cannot write '%s': it is a directory, expected a "
			 "file", path);
		free(o->path);
		memset(o, 0, sizeof(*o));
		return WS_EIO;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or a FIFO is never replaced: the output is kept
		 * in memory and written into it at commit; it must be
		 * writable now */
		if (access(path, W_OK) != 0) {
			diag_add(d, NULL, 0, 0, "cannot write '%s': %s", path,
				 strerror(errno));
			free(o->path);
			memset(o, 0, sizeof(*o));
			return WS_EIO;
		}
		o->f = open_memstream(&o->mem, &o->mem_len);
		return WS_OK;
	}
	o->tmp_path = xasprintf("%s.tmp.%ld", path, (long)getpid());
	o->f = fopen(o->tmp_path, "wb");
	if (!o->f) {
		diag_add(d, NULL, 0, 0, "cannot write '%s': %s", path,
			 strerror(errno));
		free(o->path);
		free(o->tmp_path);
		memset(o, 0, sizeof(*o));
		return WS_EIO;
	}
	tmp_live_add(o->tmp_path);
	return WS_OK;
}

int ws_write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/* The buffered output into the device or FIFO at o->path. */
static int commit_special(struct outfile *o, struct diag *d)
{
	int bad = fclose(o->f) != 0;
	int fd = bad ? -1 : open(o->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ws_write_all(fd, o->mem, o->mem_len) != 0) {
		diag_add(d, NULL, 0, 0, "cannot write '%s': %s", o->path,
			 strerror(errno));
		bad = 1;
	}
	if (fd >= 0)
		close(fd);
	free(o->mem);
	return bad ? WS_EIO : WS_OK;
}

/* Rename the finished temporary file tmp over path (removed on failure)
 * and sync the folder, so the new name survives a crash too. */
static int rename_into(const char *tmp, const char *path, struct diag *d)
{
	if (rename(tmp, path) != 0) {
		diag_add(d, NULL, 0, 0, "cannot create '%s': %s", path,
			 strerror(errno));
		remove(tmp);
		return WS_EIO;
	}
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	return WS_OK;
}

/* Flush and sync the temporary file, then rename it over o->path. */
static int commit_regular(struct outfile *o, struct diag *d)
{
	/* the reason of the first failure: an earlier write's (the stream's
	 * error flag; its errno is gone, the flush retries what is left),
	 * the flush's, the sync's or the close's (a full disk: ENOSPC) */
	int err = 0, earlier = ferror(o->f);
	if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
		err = errno;
	/* an earlier write's reason: one more byte at the end of the
	 * temporary file (removed below) fails as it did (EFBIG, ENOSPC) */
	if (earlier && !err &&
	    (lseek(fileno(o->f), 0, SEEK_END) < 0 ||
	     write(fileno(o->f), "", 1) != 1))
		err = errno;
	if (fclose(o->f) != 0 && !err)
		err = errno;
	if (err || earlier) {
		if (err)
			diag_add(d, NULL, 0, 0, "cannot write '%s': %s",
				 o->path, strerror(err));
		else
			diag_add(d, NULL, 0, 0, "cannot write '%s': a write "
				 "failed (a full disk?)", o->path);
		remove(o->tmp_path);
		return WS_EIO;
	}
	return rename_into(o->tmp_path, o->path, d);
}

/* The file `src` copied into the device or FIFO at path. */
static int copy_into(const char *src, const char *path, struct diag *d)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(path, O_WRONLY | O_CLOEXEC);
	int bad = out < 0;
	char buf[65536];
	while (!bad) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bad = n < 0;
			break;
		}
		bad = ws_write_all(out, buf, (size_t)n) != 0;
	}
	if (bad)
		diag_add(d, NULL, 0, 0, "cannot write '%s': %s", path,
			 strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return bad ? WS_EIO : WS_OK;
}

int outfile_commit_file(const char *file, const char *path, struct diag *d)
{
	struct stat st;
	int rc;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0,
			 "cannot write '%s': it is a directory, expected a "
			 "file", path);
		rc = WS_EIO;
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = copy_into(file, path, d);
	} else {
		return rename_into(file, path, d);
	}
	remove(file);
	return rc;
}

int outfile_open_held(struct outfile *o, const char *path, struct diag *d)
{
	int rc = outfile_open(o, path, d);
	if (rc || o->f != stdout)
		return rc;
	o->f = open_memstream(&o->mem, &o->mem_len);
	if (!o->f) {
		diag_add(d, NULL, 0, 0, "cannot hold the output: %s",
			 strerror(errno));
		outfile_abort(o);
		return WS_EIO;
	}
	o->held = 1;
	return WS_OK;
}

/* The held output onto standard output. */
static int commit_held(struct outfile *o, struct diag *d)
{
	int bad = fclose(o->f) != 0 || fflush(stdout) != 0 ||
		  ws_write_all(STDOUT_FILENO, o->mem, o->mem_len) != 0;
	if (bad)
		diag_add(d, NULL, 0, 0, "cannot write the standard output: %s",
			 strerror(errno));
	free(o->mem);
	return bad ? WS_EIO : WS_OK;
}

int outfile_commit(struct outfile *o, struct diag *d)
{
	int rc = WS_OK;
	if (!o->f)
		return WS_OK;
	if (o->held)
		rc = commit_held(o, d);
	else if (o->f == stdout)
		fflush(stdout);
	else if (!o->tmp_path)
		rc = commit_special(o, d);
	else
		rc = commit_regular(o, d);
	tmp_live_del(o->tmp_path);
	free(o->path);
	free(o->tmp_path);
	memset(o, 0, sizeof(*o));
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (o->f && o->f != stdout) {
		fclose(o->f);
		if (o->tmp_path)
			remove(o->tmp_path);
		else
			free(o->mem);
	}
	tmp_live_del(o->tmp_path);
	free(o->path);
	free(o->tmp_path);
	memset(o, 0, sizeof(*o));
}

static int has_models(const char *dir)
{
	char *p = xasprintf("%s/models/machines", dir);
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return ok;
}

char *ws_data_dir(void)
{
	const char *env = getenv("WAFERSIM_HOME");
	if (env && *env)
		return xstrdup(env);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 2; up++) {
			char *slash = strrchr(exe, '/');
			if (!slash)
				break;
			*slash = '\0';
			if (has_models(exe))
				return xstrdup(exe);
		}
	}
	return xstrdup(WAFERSIM_SRCDIR);
}

char *ws_find_model(const char *name_or_path, const char *subdir,
		    const char *ext, const char *what, struct diag *d)
{
	struct stat st;
	if (stat(name_or_path, &st) == 0 && S_ISREG(st.st_mode))
		return xstrdup(name_or_path);
	if (!strchr(name_or_path, '/')) {
		char *dir = ws_data_dir();
		char *p = xasprintf("%s/models/%s/%s%s", dir, subdir,
				    name_or_path, ext);
		free(dir);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
		if (stat(name_or_path, &st) == 0) /* a folder, no preset */
			diag_add(d, NULL, 0, 0,
				 "%s: '%s' must be a file or a preset of "
				 "models/%s/, got a %s",
				 what, name_or_path, subdir,
				 S_ISDIR(st.st_mode) ? "folder"
						     : "device, FIFO or socket");
		else
			diag_add(d, NULL, 0, 0,
				 "%s: no file '%s' and no preset named '%s' "
				 "in models/%s/",
				 what, name_or_path, name_or_path, subdir);
		return NULL;
	}
	if (stat(name_or_path, &st) == 0) /* there, but not a file */
		diag_add(d, NULL, 0, 0, "%s: '%s' must be a regular file, got "
			 "a %s", what, name_or_path,
			 S_ISDIR(st.st_mode) ? "folder" : "device, FIFO or "
							  "socket");
	else
		diag_add(d, NULL, 0, 0, "%s: cannot open '%s': no such file",
			 what, name_or_path);
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ws_list_models(const char *subdir, size_t *n, struct diag *d)
{
	char *home = ws_data_dir();
	char *dir = xasprintf("%s/models/%s", home, subdir);
	free(home);
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_add(d, NULL, 0, 0, "cannot open '%s': %s", dir,
			 strerror(errno));
		free(dir);
		return NULL;
	}
	char **list = xmalloc(sizeof(*list));
	size_t k = 0;
	for (struct dirent *e; (e = readdir(dp));) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".yaml")) {
			list = xrealloc(list, (k + 2) * sizeof(*list));
			list[k++] = xasprintf("%s/%s", dir, e->d_name);
		}
	}
	closedir(dp);
	free(dir);
	qsort(list, k, sizeof(*list), str_cmp);
	list[k] = NULL;
	*n = k;
	return list;
}

void ws_free_list(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

int ws_mkdir_p(const char *dir, struct diag *d)
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
			return WS_OK;
		if (stat(dir, &sb) == 0) {
			diag_add(d, NULL, 0, 0, "cannot create folder '%s': a "
				 "file of that name exists", dir);
			return WS_EIO;
		}
	}
	diag_add(d, NULL, 0, 0, "cannot create directory '%s': %s", dir,
		 strerror(errno));
	return WS_EIO;
}

/* An empty name (-o '', --trace ''): nothing to make.  0 or WS_EIO. */
static int check_named(const char *path, const char *what, struct diag *d)
{
	if (*path)
		return WS_OK;
	diag_add(d, NULL, 0, 0, "%s: a name is needed, got ''", what);
	return WS_EIO;
}

int ws_check_output_file(const char *path, const char *what,
			 struct diag *d)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		return WS_OK;
	if (check_named(path, what, d))
		return WS_EIO;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0, "%s must name a file, got the folder "
			 "'%s'", what, path);
		return WS_EIO;
	}
	int is_link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
	char *target = is_link ? link_target(path) : NULL;
	int dangling = is_link && !target;
	free(target);
	if (dangling) {
		diag_add(d, NULL, 0, 0, "%s: cannot write '%s': a symbolic "
			 "link to nothing", what, path);
		return WS_EIO;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (access(path, W_OK) == 0)
			return WS_OK; /* a device or FIFO: written into */
		diag_add(d, NULL, 0, 0, "%s: cannot write '%s': %s", what,
			 path, strerror(errno));
		return WS_EIO;
	}
	return ws_check_output(path, what, d);
}

/* Root passes access() on /proc or a read-only mount: a folder made in
 * `folder` and removed at once says whether the output `path` can be
 * made there.  0 or WS_EIO. */
static int probe_folder(const char *folder, const char *what,
			const char *path, struct diag *d)
{
	char *probe = xasprintf("%s/.wafersim.%ld", folder, (long)getpid());
	int rc = WS_OK;
	if (mkdir(probe, 0700) == 0) {
		rmdir(probe);
	} else if (errno != EEXIST) {
		diag_add(d, NULL, 0, 0,
			 "%s: cannot write '%s': nothing can be made in "
			 "folder '%s' (%s)",
			 what, path, folder, strerror(errno));
		rc = WS_EIO;
	}
	free(probe);
	return rc;
}

/* A copy of `path` without its trailing '/'s ("/" stays). */
static char *strip_slashes(const char *path)
{
	char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int ws_check_output(const char *path, const char *what, struct diag *d)
{
	if (check_named(path, what, d))
		return WS_EIO;
	char *dir = strip_slashes(path);
	char *slash = strrchr(dir, '/');
	const char *parent = slash ? (slash == dir ? "/" : dir) : ".";
	if (slash && slash != dir)
		*slash = '\0';
	struct stat st;
	int rc = WS_OK;
	if (stat(parent, &st) == 0 && !S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0,
			 "%s: cannot write '%s': '%s' is a file, not a folder",
			 what, path, parent);
		rc = WS_EIO;
	} else if (stat(parent, &st) != 0 ||
		   access(parent, W_OK | X_OK) != 0) {
		diag_add(d, NULL, 0, 0,
			 "%s: cannot write '%s': folder '%s' %s", what, path,
			 parent,
			 stat(parent, &st) != 0 ? "does not exist"
						: "is not writable");
		rc = WS_EIO;
	}
	if (rc == WS_OK)
		rc = probe_folder(parent, what, path, d);
	free(dir);
	return rc;
}

int ws_check_output_dir(const char *path, const char *what, struct diag *d)
{
	if (check_named(path, what, d))
		return WS_EIO;
	char *p = strip_slashes(path);
	struct stat st;
	int rc = WS_OK;
	if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0, "%s: cannot write folder '%s': a file "
			 "of that name exists", what, path);
		rc = WS_EIO;
	}
	/* its parent, else up to the nearest ancestor that exists (the
	 * folders between are made when the output is committed) */
	const char *at = NULL;
	while (!at) {
		char *slash = strrchr(p, '/');
		if (!slash) {
			at = ".";
		} else if (slash == p) {
			p[1] = '\0';
			at = p;
		} else {
			*slash = '\0';
			if (stat(p, &st) == 0)
				at = p;
		}
	}
	if (rc == WS_OK &&
	    (stat(at, &st) != 0 || !S_ISDIR(st.st_mode) ||
	     access(at, W_OK | X_OK) != 0)) {
		diag_add(d, NULL, 0, 0, "%s: cannot write '%s': '%s' %s", what,
			 path, at,
			 stat(at, &st) != 0 || S_ISDIR(st.st_mode)
				 ? "is not a writable folder"
				 : "is a file, not a folder");
		rc = WS_EIO;
	}
	if (rc == WS_OK)
		rc = probe_folder(at, what, path, d);
	free(p);
	return rc;
}

long utf8_bad_offset(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (long i = 0; p[i];) {
		unsigned c = p[i];
		int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1
				  : (c & 0xf0) == 0xe0   ? 2
				  : (c & 0xf8) == 0xf0   ? 3
							 : -1;
		if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
			return i;
		unsigned cp = n ? c & (0x3f >> n) : c;
		for (int k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += n + 1;
	}
	return -1;
}

int ws_file_fix_stamp(const char *path, const char *key, const char *fixed)
{
	char *text;
	size_t len, kl = strlen(key), fl = strlen(fixed);
	struct diag d;
	int rc = 1;
	diag_init(&d);
	if (read_file(path, &text, &len, &d) == 0) {
		char *p = NULL;
		for (size_t i = 0; !p && i + kl + fl <= len; i++)
			if (!memcmp(text + i, key, kl))
				p = text + i + kl;
		FILE *f = p && !memchr(p, '\n', fl) ? fopen(path, "r+b") : NULL;
		if (f) {
			memcpy(p, fixed, fl);
			rc = fseek(f, (long)(p - text), SEEK_SET) != 0 ||
			     fwrite(p, 1, fl, f) != fl;
			rc |= fclose(f) != 0;
		}
		free(text);
	}
	diag_release(&d);
	return rc;
}

long ctrl_char_offset(const char *s)
{
	for (long i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return i;
	return -1;
}

double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Remove `path` and everything under it (our own temporary folders:
 * symbolic links are removed, never followed). */
static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *dp = opendir(path);
		struct dirent *e;
		while (dp && (e = readdir(dp))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *sub = xasprintf("%s/%s", path, e->d_name);
			remove_tree(sub);
			free(sub);
		}
		if (dp)
			closedir(dp);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* Move every entry of folder `src` into folder `dst`: a file (or link)
 * by one rename over any file of the same name, a folder by one rename
 * when `dst` has none of that name, else merged into it.  0 or -1 (errno
 * set; what was moved stays moved). */
static int move_into(const char *src, const char *dst)
{
	DIR *dp = opendir(src);
	if (!dp)
		return -1;
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *s = xasprintf("%s/%s", src, e->d_name);
		char *t = xasprintf("%s/%s", dst, e->d_name);
		struct stat ss, ts;
		if (lstat(s, &ss) == 0 && S_ISDIR(ss.st_mode) &&
		    lstat(t, &ts) == 0 && S_ISDIR(ts.st_mode))
			rc = move_into(s, t);
		else
			rc = rename(s, t);
		free(s);
		free(t);
	}
	closedir(dp);
	return rc;
}

int outdir_open(struct outdir *o, const char *path, struct diag *d)
{
	memset(o, 0, sizeof(*o));
	if (check_named(path, "output folder", d))
		return WS_EIO;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	char *given = xasprintf("%.*s", (int)n, path);
	struct stat st;
	if (stat(given, &st) == 0 && !S_ISDIR(st.st_mode)) {
		diag_add(d, NULL, 0, 0,
			 "cannot write folder '%s': a file of that name exists",
			 given);
		free(given);
		return WS_EIO;
	}
	/* an existing folder by its real path ("." has no sibling) */
	char *real = realpath(given, NULL);
	o->path = real ? real : xstrdup(given);
	free(given);
	char *slash = strrchr(o->path, '/');
	if (slash && slash != o->path) { /* its parent first */
		*slash = 0;
		int rc = ws_mkdir_p(o->path, d);
		*slash = '/';
		if (rc) {
			outdir_abort(o);
			return rc;
		}
	}
	/* mkdir, not mkdtemp: the folder gets the umask's permissions as
	 * any other the user makes (mkdtemp's are 0700) */
	int made = -1;
	for (int i = 0; made != 0 && i < 1000; i++) {
		free(o->tmp_path);
		o->tmp_path = xasprintf("%s.tmp.%ld.%d", o->path,
					(long)getpid(), i);
		made = mkdir(o->tmp_path, 0777);
		if (made != 0 && errno != EEXIST)
			break;
	}
	if (made != 0) {
		diag_add(d, NULL, 0, 0, "cannot create a folder beside '%s': %s",
			 o->path, strerror(errno));
		free(o->tmp_path);
		o->tmp_path = NULL;
		outdir_abort(o);
		return WS_EIO;
	}
	tmp_live_add(o->tmp_path);
	return WS_OK;
}

int outdir_commit(struct outdir *o, struct diag *d)
{
	struct stat st;
	int rc = 0;
	if (stat(o->path, &st) != 0)
		rc = rename(o->tmp_path, o->path); /* the whole folder */
	else
		rc = move_into(o->tmp_path, o->path);
	if (rc)
		diag_add(d, NULL, 0, 0, "cannot move the output into '%s': %s",
			 o->path, strerror(errno));
	outdir_abort(o);
	return rc ? WS_EIO : WS_OK;
}

void outdir_abort(struct outdir *o)
{
	if (o->tmp_path)
		remove_tree(o->tmp_path);
	tmp_live_del(o->tmp_path);
	free(o->tmp_path);
	free(o->path);
	o->tmp_path = o->path = NULL;
}
