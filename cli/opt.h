/*
 * opt.h: the command-line vocabulary.  Every option of every command is one
 * row of one table (cli/opt.c, cli_vocabulary): long name, short name, kind,
 * field of struct cli_opts, range, value names, default, placeholder,
 * concept and help.  A command lists the rows it accepts (struct
 * cli_command); cli_parse() fills a struct cli_opts from argv and prints
 * --help from the same rows, so a concept has one spelling, one meaning and
 * one default in every command (issue 15, "One vocabulary across commands";
 * the rules for adding an option are at the top of the table in opt.c).
 *
 * Layer 5 (cli/), after git's parse-options (struct option arrays, usage
 * printed from them) and Redis's config table (name <-> enum rows).
 */
#ifndef WAFERSIM_CLI_OPT_H
#define WAFERSIM_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What an option takes, and the type of its field in struct cli_opts. */
enum cli_kind {
	CLI_FLAG,	/* no value; int set to 1 */
	CLI_INT,	/* long within [lo, hi] */
	CLI_REAL,	/* double within [lo, hi] */
	CLI_STR,	/* const char * (points into argv) */
	CLI_ENUM,	/* int, a value of the row's name table */
	CLI_STRS,	/* struct cli_strs: repeatable, every value kept */
};

/* A name <-> value row of an enum option.  `use` non-NULL: an old spelling,
 * accepted with a warning that names the one to use. */
struct cli_name {
	const char *name;
	int value;
	const char *use;
};

enum { CLI_MAX_REPEAT = 16, CLI_MAX_ARGS = 16, CLI_MAX_LISTS = 8,
       CLI_MAX_ROWS = 128 };

struct cli_strs {
	int n;
	const char *v[CLI_MAX_REPEAT];
};

/* Engines: the project's own C models, or the SystemC reference. */
enum cli_engine { CLI_ENGINE_NATIVE = 0, CLI_ENGINE_SYSTEMC };
/* run --job */
enum cli_job { CLI_JOB_BOTH = 0, CLI_JOB_TRAIN, CLI_JOB_INFER };

/* Every option's field.  A command reads only the fields of the rows it
 * accepts; the others keep their table default. */
struct cli_opts {
	const char *args[CLI_MAX_ARGS]; /* positional arguments, in order */
	int n_args;
	int quiet;		/* set before cli_parse: no messages (MPI ranks) */
	char gpu_buf[64];	/* --gpu NAMExN: the NAME */
	/* shared by several commands */
	const char *machine, *strategy, *gpu, *output, *out_dir, *vcd;
	long batch, gpus, seed, steps;
	int precision, mode, optimizer, engine, json, verbose;
	/* run */
	const char *plan, *region, *trace;
	long infer_samples, epochs, samples, runs;
	double predictions;
	int job, full, trace_detail;
	/* place */
	double time_budget;
	int compare, list_strategies;
	const char *check;
	int sharing, simulate; /* shared layers (place.h); --compare --simulate */
	/* compile */
	const char *dot;
	int list;
	/* gpu */
	int style;
	/* fabric */
	const char *mesh, *pattern;
	double rate, hotspot_fraction;
	long packet_wavelets, cycles, warmup, drain;
	int sweep, saturation;
	struct cli_strs vcd_pe;
	/* plot */
	long heat_bin, pe_tracks;
	int link_dirs, no_gnuplot, no_graphviz;
	/* validate */
	const char *graphs;
	const char *profile;
	int quiet_rows;
	/* sweep */
	const char *net;
	long jobs;
	/* reserved by other issues (rows exist, no command accepts them yet) */
	long wafers, groups, gpu_batch;
	const char *kernel, *max_memory, *net_dir;
	struct cli_strs set;
	int resume;
	/* comma lists (a command's "name," entries), canonical spelling */
	int n_lists;
	const struct cli_opt *list_opt[CLI_MAX_LISTS];
	char *list_val[CLI_MAX_LISTS];
	unsigned char given[CLI_MAX_ROWS]; /* by row index */
};

/* One row of the vocabulary. */
struct cli_opt {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 'o' for -o, or 0 */
	enum cli_kind kind;
	size_t offset;		/* of the field in struct cli_opts */
	double lo, hi;		/* CLI_INT, CLI_REAL */
	const struct cli_name *names; /* CLI_ENUM, ended by {NULL} */
	const char *def;	/* default, parsed into the field; NULL: none */
	const char *def_doc;	/* default in words, when it depends */
	const char *arg;	/* placeholder in --help ("M", "FILE") */
	const char *concept;	/* what it means; one spelling per concept */
	const char *help;	/* one phrase, no default (printed from def) */
	const char *alias_of;	/* an old spelling of this row: warns */
	/* value check beyond kind and range, or NULL; 0 ok, -1 bad (it
	 * prints).  May fill other fields (--gpu h100x8 sets --gpus). */
	int (*hook)(const char *cmd, const struct cli_opt *row,
		    const char *val, struct cli_opts *o);
};

/* A command: its usage lines, what it does, and the rows it accepts, by
 * name, in --help order.  An entry "name," takes a comma list (each item
 * checked like a single value; read it with cli_list); "old>new" accepts
 * --old (and its short name) as a deprecated spelling of --new here. */
struct cli_command {
	const char *name;	/* "run", "validate gpu" */
	const char *usage;	/* after "usage: wafersim NAME " */
	const char *about;
	const char *const *options; /* ended by NULL */
	const char *footer;	/* notes and an example, or NULL */
	int min_args, max_args; /* positional arguments */
	/* "name=value" rows ended by NULL, or NULL: defaults of this command
	 * alone, only where an issue names one (`validate wafer`'s kernel
	 * rows run on wse3, where they were measured); --help prints them
	 * as "(default V in this command)" and tests/unit/test_vocab.c
	 * accepts no other exception to one default per concept. */
	const char *const *defaults;
};

/* The table, and a row by long name (NULL if none). */
const struct cli_opt *cli_vocabulary(size_t *n);
const struct cli_opt *cli_opt_find(const char *name);

/* Table defaults into every field. */
void cli_opts_init(struct cli_opts *o);
void cli_opts_release(struct cli_opts *o);

/* cli_parse's answers: go on, stop with EXIT_OK (--help printed), stop
 * with EXIT_USAGE (the message is printed). */
enum { CLI_GO = 0, CLI_DONE = 1, CLI_BAD = -1 };
int cli_parse(const struct cli_command *c, int argc, char **argv,
	      struct cli_opts *o);
/* EXIT_OK for CLI_DONE, EXIT_USAGE for CLI_BAD. */
int cli_parse_exit(int r);

/* 1 if `name` was given on the command line. */
int cli_given(const struct cli_opts *o, const char *name);
/* The comma list given for `name` (canonical names), else its default. */
const char *cli_list(const struct cli_opts *o, const char *name);

void cli_help(const struct cli_command *c, FILE *f);

/* The compiler's plan options from the vocabulary's (strategy, mode,
 * batch, precision, optimizer, seed, time budget; kernel and groups when
 * given). */
struct plan_opts;
void cli_plan_opts(const struct cli_opts *o, struct plan_opts *po);
/* --wafers into po: the wafer count, and the global batch (--batch, else
 * net_batch, else 32) split evenly over the wafers, rounded up, as each
 * wafer's batch. */
void cli_plan_wafers(const struct cli_opts *o, int64_t net_batch,
		     struct plan_opts *po);
/* --groups with a --kernel other than gemv_grouped: EXIT_USAGE (message
 * printed); else 0. */
int cli_kernel_usage(const char *cmd, const struct cli_opts *o);
/* The machine of --machine with every --set KEY=VALUE over it, each
 * checked by the machine schema and named in messages (ground/cfg.h). */
struct machine;
struct diag;
int cli_load_machine(const struct cli_opts *o, struct machine *m,
		     struct diag *d);
/* The enum row's name for `value` (canonical), or "?". */
const char *cli_enum_name(const char *option, int value);

#endif
