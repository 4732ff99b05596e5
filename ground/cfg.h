/*
 * cfg.h: schema-driven YAML configuration (machines, GPUs).
 *
 * Each component declares its keys once, in a table of struct cfg_key: name,
 * type, unit, range, default and a one-line doc.  The same table drives
 * loading (with defaults filled in), validation, dumping back to YAML, and
 * the printed schema documentation.  Values land in a caller struct at the
 * key's offset:
 *
 *     CFG_INT   -> int64_t        CFG_BOOL  -> int (0/1)
 *     CFG_REAL  -> double         CFG_STR   -> char[CFG_STR_MAX]
 *     CFG_ENUM  -> int (index)    CFG_FLAGS -> unsigned (bit i = names[i])
 *     CFG_SECTION: a nested mapping; `sub` lists its keys.
 *
 * Offsets are from the start of the top-level struct, nested or not.
 * Loading reports every problem in the file, each with file:line:column, the
 * dotted key path, what was expected and what was found.
 */
#ifndef WAFERSIM_CFG_H
#define WAFERSIM_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"

#define CFG_STR_MAX 128

enum cfg_type { CFG_END = 0, CFG_INT, CFG_REAL, CFG_BOOL, CFG_STR, CFG_ENUM,
		CFG_FLAGS, CFG_SECTION };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *unit;	   /* printed in docs and dump comments; may be "" */
	double min, max;	   /* inclusive range, INT and REAL only */
	const char *def;	   /* default as YAML text; NULL = required */
	const char *doc;	   /* one line */
	size_t offset;		   /* into the top-level struct */
	const struct cfg_key *sub; /* SECTION: keys, ended by {0} */
	const char *const *names;  /* ENUM / FLAGS: NULL-terminated */
};

/* Where each key was found in the source file (for later validators). */
struct cfg_loc {
	char *path; /* dotted key path, e.g. "fabric.colors" */
	int line, col;
	char *origin; /* set by an override ("--set KEY=V"), else NULL */
};
struct cfg_src {
	char *file;
	struct cfg_loc *locs;
	size_t n, cap;
	int root_line, root_col;
};

void cfg_src_init(struct cfg_src *s);
void cfg_src_release(struct cfg_src *s);
/* Location of a key path; falls back to the document root.  Returns 1 if the
 * key itself was given in the file, 0 if it took its default. */
int cfg_src_find(const struct cfg_src *s, const char *path, int *line,
		 int *col);
/* Where a key's value came from, for messages: the override that set it
 * ("--set grid.width=600"), else the file. */
const char *cfg_src_file(const struct cfg_src *s, const char *path);

/*
 * Limits on every YAML file the project reads (machines, GPUs, networks,
 * plans) [U]: far above the largest file the project ships (16 KB, nesting
 * 6) and low enough that the node tree and the recursive walks over it stay
 * small.  Aliases (*name) are refused: nothing uses them, and an alias can
 * make a tree exponentially large or a cycle.
 */
#define CFG_YAML_MAX_BYTES (INT64_C(64) << 20) /* file size */
#define CFG_YAML_MAX_DEPTH 64		       /* nested lists/mappings */
#define CFG_YAML_MAX_NODES 2000000	       /* scalars, lists, mappings */
#define CFG_YAML_MAX_KEYS 65536		       /* keys in one mapping */

/*
 * Numbers as YAML's core schema writes them [YAML 1.2.2, section 10.3.2],
 * decimal only, from a plain scalar's text.  An integer is [-+]?[0-9]+
 * within int64; a real is [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
 * and a finite, normal double (no .nan, .inf, 1e400, 1e-400, nor the hex
 * floats and "nan" strtod takes).  Neither starts with a 0 followed by a
 * digit: YAML 1.1 reads 017 as octal 15, YAML 1.2 as 17; refused, not
 * guessed.  0, or -1 (nothing stored).
 */
int cfg_parse_int(const char *text, int64_t *out);
int cfg_parse_real(const char *text, double *out);
/* Why `text` (quoted: a quoted or !!str scalar) is not a number, for the
 * end of a "must be an integer, got '...'" message: "" or " (...)". */
const char *cfg_number_hint(const char *text, int quoted);
struct yaml_node_s;
/*
 * The number in a scalar node, by the grammar above, as every YAML reader
 * reads one (schema keys, networks, plans).  The scalar must be plain (a
 * quoted or !!str scalar is text) and an explicit tag must agree with the
 * type wanted: an integer takes none or !!int, a real none, !!int (whose
 * text must then be an integer) or !!float.  `!!float 5` is a real and no
 * integer; !!bool, !!null, !!map and !!seq are never numbers.  The same
 * holds for the other schema types: a bool takes !!bool, text none.
 * 0, or -1 (nothing stored; not a scalar, or refused) with `hint` holding
 * why, for the end of a "must be an integer, got '...'" message ("" or
 * " (...)").
 */
#define CFG_HINT_MAX 128
int cfg_yaml_int(const struct yaml_node_s *n, int64_t *out, char *hint,
		 size_t len);
int cfg_yaml_real(const struct yaml_node_s *n, double *out, char *hint,
		  size_t len);

struct yaml_document_s;
/*
 * Parse `text` into a libyaml document within the limits above, and check
 * that no mapping repeats a key (in linear time).  A scalar's style tells
 * text from numbers: a plain scalar explicitly tagged !!str becomes quoted,
 * a quoted one tagged !!int or !!float plain.  Every error is located
 * at file:line:col and starts with `what` ("machine: ", "network: ").
 * 0 (the caller deletes the document) or WS_EINPUT (nothing to delete).
 * A NULL or empty root is left to the caller.
 */
int cfg_yaml_load(const char *what, const char *file, const char *text,
		  size_t len, struct yaml_document_s *doc, struct diag *d);

/* Fill every key with its default (required keys are zeroed). */
void cfg_defaults(const struct cfg_key *schema, void *obj);

/*
 * Load YAML text into obj (defaults first, then the file).  `what` prefixes
 * messages ("machine", "gpu"); `file` names the source in locations.  `src`
 * may be NULL; if not, it receives the key locations.  Returns 0 or
 * WS_EINPUT with every error in `d`.
 */
int cfg_load_string(const struct cfg_key *schema, const char *what,
		    const char *file, const char *text, size_t len, void *obj,
		    struct cfg_src *src, struct diag *d);
int cfg_load_file(const struct cfg_key *schema, const char *what,
		  const char *path, void *obj, struct cfg_src *src,
		  struct diag *d);

/* Whole-object checks run after a clean load (keys that constrain each
 * other), located through `src`.  0 or WS_EINPUT. */
typedef int (*cfg_check_fn)(const void *obj, const struct cfg_src *src,
			    struct diag *d);

/* cfg_load_string, then `check` (may be NULL) if the keys were fine. */
int cfg_load_checked(const struct cfg_key *schema, const char *what,
		     const char *file, const char *text, void *obj,
		     cfg_check_fn check, struct diag *d);

/* Load a preset by name (<data>/models/<subdir>/<name>.yaml) or a path,
 * with cfg_load_checked.  0, WS_EIO or WS_EINPUT. */
int cfg_load_preset(const struct cfg_key *schema, const char *what,
		    const char *subdir, const char *name_or_path, void *obj,
		    cfg_check_fn check, struct diag *d);

/*
 * Overrides ("what-if" machines): `sets` are n_sets items "KEY=VALUE", KEY
 * a dotted path of the schema ("grid.width", "extmem.bandwidth_gbytes_s").
 * Each is checked as that key in a file would be (unknown key, type,
 * range, names; a FLAGS value is names joined by '+'), and its messages are
 * located at `opt` and the item ("(--set grid.width=0)").  Applied after
 * the file, in order, before `check`, whose messages about an overridden
 * key name the override too.
 */
struct cfg_sets {
	const char *opt;	 /* the option that gave them: "--set" */
	const char *const *item; /* "KEY=VALUE" */
	int n;
};
/* cfg_load_preset with overrides (`sets` may be NULL). */
int cfg_load_preset_set(const struct cfg_key *schema, const char *what,
			const char *subdir, const char *name_or_path,
			const struct cfg_sets *sets, void *obj,
			cfg_check_fn check, struct diag *d);
/* One override into obj (src may be NULL).  0 or WS_EINPUT. */
int cfg_set(const struct cfg_key *schema, const char *what, const char *opt,
	    const char *item, void *obj, struct cfg_src *src, struct diag *d);
/* The key at a dotted path ("grid.width"), sections included, or NULL. */
const struct cfg_key *cfg_find_path(const struct cfg_key *schema,
				    const char *path);

/* Write obj as YAML that loads back to the same values (every key, with its
 * unit and doc as a comment).  Same object, same bytes. */
void cfg_dump(const struct cfg_key *schema, const void *obj, FILE *out);

/* Print the schema as a Markdown table (key, type, unit, range, default,
 * doc), for docs/ and `wafersim machine schema`. */
void cfg_print_schema(const struct cfg_key *schema, FILE *out);

/* Shorthands for schema tables.  The including file defines CFG_OFF(f) as
 * offsetof(struct <its struct>, f) before using them. */
#define CFG_KI(n, u, lo, hi, def, doc, f) \
	{n, CFG_INT, u, lo, hi, def, doc, CFG_OFF(f), NULL, NULL}
#define CFG_KR(n, u, lo, hi, def, doc, f) \
	{n, CFG_REAL, u, lo, hi, def, doc, CFG_OFF(f), NULL, NULL}
#define CFG_KS(n, def, doc, f) \
	{n, CFG_STR, "", 0, 0, def, doc, CFG_OFF(f), NULL, NULL}
#define CFG_KSEC(n, doc, sub) \
	{n, CFG_SECTION, "", 0, 0, NULL, doc, 0, sub, NULL}

/* Field accessors by offset. */
#define CFG_I64(obj, off) (*(int64_t *)((char *)(obj) + (off)))
#define CFG_DBL(obj, off) (*(double *)((char *)(obj) + (off)))

#endif
