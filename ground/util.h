/*
 * util.h: small helpers shared by every module: exact number formatting,
 * whole-file reads, atomic output files, finding the project's data.
 * (Allocation is in ground/mem.h, below diagnostics; this file sits above
 * both.)
 *
 * Output files are written atomically: to a temporary name beside the
 * target, renamed into place on commit, removed on abort; a failed run leaves
 * no half-written file.
 *
 * Layer 0, ground/ owns the helpers every layer uses: allocation (mem.h),
 * diagnostics (diag.h), files and atomic outputs (util.h), the
 * configuration schema (cfg.h), JSON through jansson (json_io.h), the event
 * queue (event.h).
 * It may include nothing of the project (only libc, libyaml and jansson);
 * never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_UTIL_H
#define WAFERSIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"
#include "ground/mem.h"

typedef uint64_t cycles_t;

/* Format a double so that strtod() gives back exactly the same value, in
 * the shortest of %.{6..17}g that does.  `buf` must hold 32 bytes. */
char *fmt_double_exact(char *buf, double v);

/* Read a whole file into a NUL-terminated heap buffer: 0, WS_EIO (cannot
 * open or read) or WS_EINPUT (more than the limit: a regular file by its
 * size, before reading; a FIFO or device such as /dev/zero after reading
 * one byte past it). read_file's limit is READ_FILE_MAX_BYTES. */
#define READ_FILE_MAX_BYTES (INT64_C(1) << 30) /* [U] 1 GiB: inputs are text
						  and ONNX graphs */
int read_file(const char *path, char **data, size_t *len, struct diag *d);
int read_file_max(const char *path, int64_t max_bytes, char **data,
		  size_t *len, struct diag *d);

/*
 * Output file that cannot harm.  A regular file (or a new name) is written
 * to a temporary name beside it, flushed, synced and renamed over it on
 * commit; anything else that exists (a device such as /dev/null, a FIFO)
 * is never replaced: the output is kept in memory and written into it on
 * commit.  Nothing reaches the path before commit, and abort leaves it as
 * it was.  Open it before the work (a directory, an unwritable folder or
 * device is reported then), commit after every step succeeded.
 */
struct outfile {
	FILE *f;
	char *path;	/* final name */
	char *tmp_path; /* regular: where it is written until commit */
	char *mem;	/* device, FIFO or held stdout: the buffered output */
	size_t mem_len;
	int held;	/* stdout, held in mem until commit */
};
/* All of buf into the open descriptor fd (EINTR retried, short writes
 * continued): 0, or -1 with errno set. */
int ws_write_all(int fd, const char *buf, size_t len);

/* Open for writing; path "-" means stdout (commit then only flushes). */
int outfile_open(struct outfile *o, const char *path, struct diag *d);
/* The same, but "-" too is held in memory and written to stdout at
 * commit, for a command whose later steps can fail after the output is
 * complete (run: the SystemC check, --vcd, --trace): a failure prints
 * nothing of it. */
int outfile_open_held(struct outfile *o, const char *path, struct diag *d);
/* Flush, close and rename into place. 0 or WS_EIO. */
int outfile_commit(struct outfile *o, struct diag *d);
/* Close and delete the temporary file. Safe to call after commit. */
void outfile_abort(struct outfile *o);
/* A finished file that another writer made (SystemC's waveform, beside
 * path) put at path by the same rules: renamed over a regular file or a
 * new name, copied into a device or FIFO (never replaced), refused on a
 * directory.  `file` is gone afterwards either way.  0 or WS_EIO. */
int outfile_commit_file(const char *file, const char *path, struct diag *d);

/*
 * Output folder that cannot be left half written (--trace).  open makes a
 * fresh folder beside `path` ("<path>.tmp.PID.N", parents created; a
 * file named `path` is refused), the work writes into tmp_path, commit
 * moves it into place: a new `path` (or an empty folder) by one rename,
 * an existing folder entry by entry (each file replaced by one rename,
 * subfolders merged, other files left alone).  A kill leaves no partial
 * file in `path`, and the temporary folder is removed too unless the
 * signal cannot be caught (SIGKILL: ground/tmpclean.h).  abort (and
 * commit, after moving) removes the temporary folder.
 */
struct outdir {
	char *path;	/* final folder (its real path if it exists) */
	char *tmp_path; /* where the work writes until commit */
};
int outdir_open(struct outdir *o, const char *path, struct diag *d);
int outdir_commit(struct outdir *o, struct diag *d);
void outdir_abort(struct outdir *o);

/* Directory holding the project's data (models/...), as a heap string.
 * Found, in order, from $WAFERSIM_HOME, next to the running executable
 * (its dir or its parent), then the source tree the binary was built from. */
char *ws_data_dir(void);

/* Resolve `name_or_path` for a kind of model: if it names an existing file
 * it is returned as is; otherwise "<data>/models/<subdir>/<name><ext>".
 * Returns a heap string, or NULL (and a diag) if nothing exists. */
char *ws_find_model(const char *name_or_path, const char *subdir,
		    const char *ext, const char *what, struct diag *d);

/* The presets of one kind: every "*.yaml" in <data>/models/<subdir>/, as
 * full paths sorted by name, in a NULL-terminated heap array (free it with
 * ws_free_list).  *n receives the count.  NULL (and a diag) if the folder
 * cannot be read. */
char **ws_list_models(const char *subdir, size_t *n, struct diag *d);
void ws_free_list(char **list);

/* mkdir -p: create `dir` and its missing parents.  0, or WS_EIO with a
 * message naming the directory. */
int ws_mkdir_p(const char *dir, struct diag *d);

/* Before the work: can `path` be created (its folder exists and is
 * writable)?  0, or WS_EIO with a message naming the option `what`. */
int ws_check_output(const char *path, const char *what, struct diag *d);
/* The same for an output folder that is made at the end (struct outdir:
 * its missing parents too): `path` is no file, and the nearest of its
 * ancestors that exists is a writable folder.  Nothing is created. */
int ws_check_output_dir(const char *path, const char *what, struct diag *d);
/* The same for an output file: also refused when `path` is a folder ("<what>
 * must name a file, got the folder 'x'"); a device or FIFO must be
 * writable; "-" (stdout) passes. */
int ws_check_output_file(const char *path, const char *what,
			 struct diag *d);

/* -1 if `s` is valid UTF-8 text (no overlong forms, surrogates or code
 * points past U+10FFFF), else the offset of the first bad byte. */
long utf8_bad_offset(const char *s);

/* Tools write the time into their files (gnuplot's and Graphviz's PDF
 * '/CreationDate (D:...', SystemC's VCD '$date'): in the file at `path`,
 * the strlen(fixed) bytes after the first `key` are overwritten by
 * `fixed` (the same length: the file's offsets hold), unless a line ends
 * within them, so a run gives the same bytes every time.  0 when fixed,
 * 1 when `key` is not there (or the file cannot be read or written). */
int ws_file_fix_stamp(const char *path, const char *key, const char *fixed);
/* The fixed stamps: PDF's CreationDate digits, and the VCD $date line as
 * SystemC 2.3 writes it ("     Dec 03, 2026       16:07:49"). */
#define WS_PDF_DATE_KEY "/CreationDate (D:"
#define WS_PDF_DATE	"20000101000000"
#define WS_VCD_DATE_KEY "$date\n"
#define WS_VCD_DATE	"     Jan 01, 2000       00:00:00"

/* -1 if `s` holds no control character (below 0x20, or 0x7f: a line
 * break, a tab, an escape), else the offset of the first.  A name with
 * one breaks the text tables, CSV rows, plan files and gnuplot scripts
 * it is written into. */
long ctrl_char_offset(const char *s);

/* Monotonic wall-clock seconds. */
double wall_seconds(void);
/* CPU seconds this process has used (all its threads): what a piece of
 * work costs, whatever else the machine runs. */
double cpu_seconds(void);

#endif
