/*
 * sweep_journal.c: resumable sweeps (sweep.h, "journal").
 *
 * Every process appends each point it finishes to its own journal,
 * "<csv>.journal.<rank>", as one line written by one write() and synced:
 *
 *     <key:16 hex> <index> <the struct sweep_result as hex> <check:16 hex>\n
 *
 * `key` names the sweep (its lists, point count and the record size), so a
 * journal left by another sweep is ignored; `check` (FNV-1a of the line
 * before it) rejects a line torn by a kill.  Resuming reads every
 * "<csv>.journal.*", whatever the number of ranks that wrote them: a
 * point's result depends only on the spec and its index (sweep.h), so any
 * valid record of the same key is the value an uninterrupted run computes,
 * and the final CSV is byte-identical.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/sweep.h"
#include "ground/util.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

#define FNV0 1469598103934665603ULL

/* The sweep's identity: every list and axis (--set keys and values,
 * modes, seeds, kernels, wafers, the GPU baseline's), the point count, the record size. */
static uint64_t spec_key(const struct sweep *sw)
{
	const struct sweep_spec *s = &sw->spec;
	uint64_t h = fnv(FNV0, "wafersim-sweep-journal-1", 24);
	char *const *lists[] = {s->nets, s->machines, s->strategies};
	const int counts[] = {s->n_nets, s->n_machines, s->n_strategies};
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < counts[l]; i++)
			h = fnv(h, lists[l][i], strlen(lists[l][i]) + 1);
	h = fnv(h, s->batches, sizeof(*s->batches) * (size_t)s->n_batches);
	h = fnv(h, s->dtypes, sizeof(*s->dtypes) * (size_t)s->n_dtypes);
	if (s->gpu)
		h = fnv(h, s->gpu, strlen(s->gpu) + 1);
	h = fnv(h, &s->steps, sizeof(s->steps));
	for (int k = 0; k < s->n_sets; k++) {
		h = fnv(h, s->sets[k].key, strlen(s->sets[k].key) + 1);
		for (int v = 0; v < s->sets[k].n_values; v++)
			h = fnv(h, s->sets[k].values[v],
				strlen(s->sets[k].values[v]) + 1);
	}
	h = fnv(h, s->modes, sizeof(*s->modes) * (size_t)s->n_modes);
	h = fnv(h, s->seeds, sizeof(*s->seeds) * (size_t)s->n_seeds);
	/* the kernel and wafers axes only when given: a journal of a sweep
	 * without them keeps its key */
	for (int k = 0; sw->show_kernel && k < s->n_kernels; k++)
		h = fnv(h, s->kernels[k], strlen(s->kernels[k]) + 1);
	if (sw->show_wafers)
		h = fnv(h, s->wafers, sizeof(*s->wafers) * (size_t)s->n_wafers);
	h = fnv(h, &s->gpus, sizeof(s->gpus));
	h = fnv(h, &s->gpu_batch, sizeof(s->gpu_batch));
	h = fnv(h, &sw->n_points, sizeof(sw->n_points));
	size_t rs = sizeof(struct sweep_result);
	return fnv(h, &rs, sizeof(rs));
}

/* The folder and the name prefix of the journals of `out_path`. */
static void journal_prefix(const char *out_path, char **dir, char **prefix)
{
	const char *slash = strrchr(out_path, '/');
	*dir = slash ? xasprintf("%.*s", (int)(slash - out_path + 1), out_path)
		     : xstrdup("./");
	*prefix = xasprintf("%s.journal.", slash ? slash + 1 : out_path);
}

/* Call fn(path, ctx) for every journal of `out_path` ("<csv>.journal.*"). */
static void each_journal(const char *out_path,
			 void (*fn)(const char *path, void *ctx), void *ctx)
{
	char *dir, *prefix;
	journal_prefix(out_path, &dir, &prefix);
	DIR *dp = opendir(dir);
	for (struct dirent *e; dp && (e = readdir(dp));) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		char *p = xasprintf("%s%s", dir, e->d_name);
		fn(p, ctx);
		free(p);
	}
	if (dp)
		closedir(dp);
	free(dir);
	free(prefix);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
				      : -1;
}

/* One line: 0 and the result if it is a valid record of `key`. */
static int parse_record(const char *line, size_t len, uint64_t key,
			int64_t n_points, struct sweep_result *r)
{
	size_t rs = sizeof(*r);
	unsigned long long k, check;
	long long idx;
	int at = 0;
	if (len < 40 || sscanf(line, "%16llx %lld %n", &k, &idx, &at) != 2 ||
	    k != key || idx < 0 || idx >= n_points)
		return -1;
	const char *hex = line + at;
	if ((size_t)at + 2 * rs + 17 != len || hex[2 * rs] != ' ' ||
	    sscanf(hex + 2 * rs + 1, "%16llx", &check) != 1 ||
	    check != fnv(FNV0, line, (size_t)at + 2 * rs))
		return -1;
	unsigned char *b = (unsigned char *)r;
	for (size_t i = 0; i < rs; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return r->index == idx ? 0 : -1;
}

struct loading {
	struct sweep_journal *j;
	const struct sweep *sw;
	struct sweep_result *res;
};

static void load_file(const char *path, void *ctx)
{
	struct loading *ld = ctx;
	struct sweep_journal *j = ld->j;
	const struct sweep *sw = ld->sw;
	struct sweep_result *res = ld->res;
	char *text;
	size_t len;
	struct diag d;
	diag_init(&d);
	if (read_file(path, &text, &len, &d) == 0) {
		struct sweep_result r;
		for (char *p = text, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text)));
		     p = nl + 1) {
			if (parse_record(p, (size_t)(nl - p), j->key,
					 sw->n_points, &r) == 0 &&
			    !j->done[r.index]) {
				res[r.index] = r;
				j->done[r.index] = 1;
				j->n_resumed++;
			}
		}
		free(text);
	}
	diag_release(&d);
}

int sweep_journal_open(struct sweep_journal *j, const struct sweep *sw,
		       const char *out_path, int rank, int resume,
		       struct sweep_result *res, struct diag *d)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->key = spec_key(sw);
	j->done = xcalloc((size_t)sw->n_points + 1, 1);
	struct stat st;
	if (!strcmp(out_path, "-") ||
	    (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode)))
		return WS_OK; /* no file to sit beside: standard output, a
				 device or a FIFO (its folder, /dev, is
				 no place for one) */
	if (resume) {
		struct loading ld = {j, sw, res};
		each_journal(out_path, load_file, &ld);
	}
	char *dir, *prefix;
	journal_prefix(out_path, &dir, &prefix);
	j->path = xasprintf("%s%s%d", dir, prefix, rank);
	free(dir);
	free(prefix);
	/* resuming appends to this rank's journal; a fresh sweep starts it
	 * empty (records of other sweeps carry another key anyway) */
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND |
				      (resume ? 0 : O_TRUNC) | O_CLOEXEC,
		     0666);
	if (j->fd < 0) {
		diag_add(d, NULL, 0, 0, "sweep: cannot write the journal '%s': %s",
			 j->path, strerror(errno));
		sweep_journal_close(j);
		return WS_EIO;
	}
	return WS_OK;
}

void sweep_journal_add(struct sweep_journal *j, const struct sweep_result *r)
{
	if (!j || j->fd < 0)
		return;
	size_t rs = sizeof(*r);
	char *line = xmalloc(2 * rs + 64);
	int at = snprintf(line, 64, "%016llx %lld ", (unsigned long long)j->key,
			  (long long)r->index);
	const unsigned char *b = (const unsigned char *)r;
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < rs; i++) {
		line[at + 2 * (int)i] = hx[b[i] >> 4];
		line[at + 2 * (int)i + 1] = hx[b[i] & 15];
	}
	size_t n = (size_t)at + 2 * rs;
	snprintf(line + n, 19, " %016llx\n",
		 (unsigned long long)fnv(FNV0, line, n));
	n += 18;
	/* one write: a kill leaves whole lines and at most one torn one */
	ssize_t w = write(j->fd, line, n);
	if (w == (ssize_t)n)
		fdatasync(j->fd);
	free(line);
}

void sweep_journal_close(struct sweep_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j->done);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

static void unlink_path(const char *path, void *ctx)
{
	(void)ctx;
	unlink(path);
}

void sweep_journal_remove(const char *out_path)
{
	if (strcmp(out_path, "-"))
		each_journal(out_path, unlink_path, NULL);
}
