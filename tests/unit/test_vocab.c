/*
 * test_vocab.c: one vocabulary across commands (issue 15).  Every
 * command's --help is read as a user sees it; every option it lists must
 * map to a concept of the table in cli/opt.c, every concept must have one
 * spelling and one default across all commands, and the old spellings must
 * still work (same output) with a warning on stderr.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opt.h"
#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/plan.h"
#include "gpu/gpu.h"
#include "ground/util.h"
#include "test_util.h"

/* Every command and subcommand with a --help of options. */
static const char *const helps[] = {
	"run", "compile", "place", "gpu", "fabric", "plot", "validate gpu",
	"validate wafer",
	"machine", "sweep"};

enum { MAX_SEEN = 256 };

/* What the helps said so far: per concept, its spelling and default. */
struct seen {
	int n;
	char concept[MAX_SEEN][32], spelling[MAX_SEEN][40], def[MAX_SEEN][96];
	char where[MAX_SEEN][32];
};

static void note(char *msg, size_t n, const char *fmt, const char *a,
		 const char *b, const char *c)
{
	size_t k = strlen(msg);
	if (k < n)
		snprintf(msg + k, n - k, fmt, a, b, c);
}

/* One option line of a help (with its continuation lines joined): its long
 * name and its printed default ("" if none). */
static int option_at(const char *line, char *name, size_t nn, char *def,
		     size_t dn)
{
	regex_t re;
	regmatch_t m[3];
	regcomp(&re, "^  (-[a-z], )?--([a-z0-9-]+)", REG_EXTENDED);
	int ok = regexec(&re, line, 3, m, 0) == 0;
	regfree(&re);
	if (!ok)
		return 0;
	snprintf(name, nn, "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
		 line + m[2].rm_so);
	def[0] = 0;
	const char *d = strstr(line, "(default ");
	const char *d2 = strstr(line, "(default: ");
	if (d2 && (!d || d2 < d))
		d = d2 + 1;
	if (d) {
		d += strlen("(default ");
		size_t k = strcspn(d, ")");
		snprintf(def, dn, "%.*s", (int)k, d);
	}
	return 1;
}

/* Join an option's wrapped lines into one line, single-spaced. */
static char *joined_option(const char **p)
{
	size_t cap = 1024, k = 0;
	char *buf = xcalloc(cap, 1);
	const char *s = *p;
	for (int first = 1; *s; first = 0) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int cont = len > 3 && s[0] == ' ' && s[1] == ' ' && s[2] == ' ';
		if (!first && !cont)
			break;
		const char *t = s;
		if (!first)
			while (*t == ' ')
				t++;
		size_t tl = len - (size_t)(t - s);
		if (k + tl + 2 < cap) {
			if (!first)
				buf[k++] = ' ';
			memcpy(buf + k, t, tl);
			k += tl;
		}
		s = e ? e + 1 : s + len;
	}
	buf[k] = 0;
	*p = s;
	return buf;
}

/* One option of command `cmd`'s help against the table and what the other
 * helps said.  Problems appended to msg; returns their count. */
static int check_option(struct seen *sn, const char *cmd, const char *line,
			char *msg, size_t mn)
{
	char name[40], def[96];
	if (!option_at(line, name, sizeof name, def, sizeof def))
		return 0;
	const struct cli_opt *r = cli_opt_find(name);
	if (!r) {
		note(msg, mn, "%s: --%s maps to no concept of cli/opt.c%s\n",
		     cmd, name, "");
		return 1;
	}
	if (r->alias_of) {
		note(msg, mn, "%s: --%s is an old spelling of --%s\n", cmd,
		     name, r->alias_of);
		return 1;
	}
	/* a command's own default, declared in its table (struct
	 * cli_command.defaults) and said so in its help, is not the
	 * concept's: it neither sets nor breaks the one default */
	size_t dl = strlen(def), tl = strlen(" in this command");
	int own = dl > tl && !strcmp(def + dl - tl, " in this command");
	if (own)
		def[0] = 0;
	for (int i = 0; i < sn->n; i++) {
		if (strcmp(sn->concept[i], r->concept))
			continue;
		int bad = 0;
		if (strcmp(sn->spelling[i], name)) {
			note(msg, mn, "concept '%s' has two spellings: --%s and "
			     "--%s\n", r->concept, sn->spelling[i], name);
			bad++;
		}
		if (!own && strcmp(sn->def[i], def)) {
			note(msg, mn, "concept '%s' has two defaults: '%s' and "
			     "'%s'\n", r->concept, sn->def[i], def);
			bad++;
		}
		return bad;
	}
	if (!own && sn->n < MAX_SEEN) {
		snprintf(sn->concept[sn->n], 32, "%s", r->concept);
		snprintf(sn->spelling[sn->n], 40, "%s", name);
		snprintf(sn->def[sn->n], 96, "%s", def);
		snprintf(sn->where[sn->n], 32, "%s", cmd);
		sn->n++;
	}
	return 0;
}

/* The vocabulary check over help texts: the number of problems. */
static int vocab_check(const char *const *cmds, char *const *texts, int n,
		       char *msg, size_t mn)
{
	struct seen *sn = xcalloc(1, sizeof(*sn));
	int bad = 0;
	msg[0] = 0;
	for (int c = 0; c < n; c++) {
		const char *p = texts[c];
		while (*p && strncmp(p, "old spellings", 13)) {
			if (!strncmp(p, "  -", 3)) {
				char *line = joined_option(&p);
				bad += check_option(sn, cmds[c], line, msg, mn);
				free(line);
				continue;
			}
			const char *e = strchr(p, '\n');
			p = e ? e + 1 : p + strlen(p);
		}
	}
	free(sn);
	return bad;
}

static void test_every_help_speaks_the_vocabulary(void)
{
	enum { N = sizeof(helps) / sizeof(helps[0]) };
	char *texts[N];
	for (int i = 0; i < N; i++) {
		char *args = xasprintf("%s --help", helps[i]), *err;
		CU_ASSERT_EQUAL(tu_run(args, &texts[i], &err), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(texts[i], "--"));
		free(err);
		free(args);
	}
	char msg[4096];
	int bad = vocab_check(helps, texts, N, msg, sizeof msg);
	if (bad)
		fprintf(stderr, "\n%s", msg);
	CU_ASSERT_EQUAL(bad, 0);
	/* the shared concepts are where they should be, once each */
	CU_ASSERT_PTR_NOT_NULL(strstr(texts[0], "--strategy S"));
	CU_ASSERT_PTR_NOT_NULL(strstr(texts[0], "--precision P"));
	CU_ASSERT_PTR_NOT_NULL(strstr(texts[3], "--precision P"));
	CU_ASSERT_PTR_NULL(strstr(texts[0], "  --place"));
	CU_ASSERT_PTR_NULL(strstr(texts[3], "  --dtype"));
	/* the project's issue numbers mean nothing to a user */
	for (int i = 0; i < N; i++) {
		const char *at = strstr(texts[i], "issue");
		if (at)
			fprintf(stderr, "\n%s --help: '%.40s'\n", helps[i], at);
		CU_ASSERT_PTR_NULL(at);
	}
	for (int i = 0; i < N; i++)
		free(texts[i]);
}

/* The check itself fails on what it is there to catch. */
static void test_vocab_check_catches(void)
{
	const char *cmds[] = {"a", "b"};
	char *texts[] = {
		(char *)"options:\n  --machine M     a machine (default wse2)\n"
			"  --frobnicate    what\n",
		(char *)"options:\n  --machine M     a machine (default\n"
			"                  mini64)\n  --dtype P  precision\n"
			"  --strategies S  list\n"};
	char msg[2048];
	int bad = vocab_check(cmds, texts, 2, msg, sizeof msg);
	CU_ASSERT_EQUAL(bad, 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--frobnicate maps to no concept"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "two defaults: 'wse2' and 'mini64'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--dtype is an old spelling"));
	/* a concept with two defaults across commands */
	char *t2[] = {(char *)"  --seed N  x (default 1)\n",
		      (char *)"  --seed N  x (default 2)\n"};
	CU_ASSERT_EQUAL(vocab_check(cmds, t2, 2, msg, sizeof msg), 1);
	/* a command's declared own default, first or second, is no second
	 * default of the concept; two commands that differ without saying
	 * so still are */
	const char *c3[] = {"a", "b", "c"};
	char *t3[] = {(char *)"  --seed N  x (default 7 in this command)\n",
		      (char *)"  --seed N  x (default 1)\n",
		      (char *)"  --seed N  x (default 3)\n"};
	CU_ASSERT_EQUAL(vocab_check(c3, t3, 2, msg, sizeof msg), 0);
	CU_ASSERT_EQUAL(vocab_check(c3, t3, 3, msg, sizeof msg), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "two defaults: '1' and '3'"));
}

/* The table itself: rows well formed, one current row per concept, enum
 * names as the library spells them. */
static void test_table(void)
{
	size_t n;
	const struct cli_opt *t = cli_vocabulary(&n);
	CU_ASSERT(n > 40);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(t[i].concept);
		CU_ASSERT(t[i].alias_of || t[i].help);
		if (t[i].alias_of) {
			const struct cli_opt *to = cli_opt_find(t[i].alias_of);
			CU_ASSERT_PTR_NOT_NULL(to);
			if (to)
				CU_ASSERT_STRING_EQUAL(to->concept, t[i].concept);
		}
		CU_ASSERT(!(t[i].def && t[i].def_doc));
		for (size_t j = 0; j < i; j++) {
			CU_ASSERT(strcmp(t[i].name, t[j].name) != 0);
			if (!t[i].alias_of && !t[j].alias_of)
				CU_ASSERT(strcmp(t[i].concept, t[j].concept) != 0);
		}
	}
	for (int p = 0; p < PREC_COUNT; p++)
		CU_ASSERT_STRING_EQUAL(cli_enum_name("precision", p),
				       plan_prec_name(p));
	for (int m = MODE_AUTO; m <= MODE_STREAMING; m++)
		CU_ASSERT_STRING_EQUAL(cli_enum_name("mode", m),
				       plan_mode_name(m));
	for (int o = 0; o < OPT_COUNT; o++)
		CU_ASSERT_STRING_EQUAL(cli_enum_name("optimizer", o),
				       optimizer_name(o));
	CU_ASSERT_STRING_EQUAL(cli_enum_name("style", GPU_GRAPH),
			       gpu_style_name(GPU_GRAPH));
	/* the folder for network names is --nets DIR (issues 12, 13); the
	 * reserved spelling --net-dir stays as an old spelling of it */
	const struct cli_opt *nets = cli_opt_find("nets");
	const struct cli_opt *net_dir = cli_opt_find("net-dir");
	CU_ASSERT_PTR_NOT_NULL_FATAL(nets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net_dir);
	CU_ASSERT_PTR_NULL(nets->alias_of);
	CU_ASSERT_STRING_EQUAL(nets->arg, "DIR");
	CU_ASSERT_STRING_EQUAL(net_dir->alias_of, "nets");
	CU_ASSERT_EQUAL(nets->offset, net_dir->offset);
	/* defaults land in the fields */
	struct cli_opts o;
	cli_opts_init(&o);
	CU_ASSERT_STRING_EQUAL(o.machine, "wse2");
	CU_ASSERT_EQUAL(o.precision, PREC_MIXED);
	CU_ASSERT_EQUAL(o.steps, 2);
	CU_ASSERT_EQUAL(o.batch, 0); /* the network's */
	cli_opts_release(&o);
}

/* Old and new spellings: same stdout, and the old one warns. */
static void same_output(const char *old_args, const char *new_args,
			const char *warning)
{
	char *o1, *e1, *o2, *e2;
	CU_ASSERT_EQUAL(tu_run(old_args, &o1, &e1), 0);
	CU_ASSERT_EQUAL(tu_run(new_args, &o2, &e2), 0);
	CU_ASSERT(strlen(o1) > 0);
	/* wall-clock figures differ between any two runs: compare before */
	char *w1 = strstr(o1, "\"wall_s\""), *w2 = strstr(o2, "\"wall_s\"");
	if (w1 && w2)
		*w1 = *w2 = 0;
	CU_ASSERT_STRING_EQUAL(o1, o2);
	CU_ASSERT_PTR_NOT_NULL(strstr(e1, warning));
	CU_ASSERT_PTR_NULL(strstr(e2, "deprecated"));
	free(o1);
	free(e1);
	free(o2);
	free(e2);
}

static void test_old_spellings(void)
{
	same_output("gpu uno --dtype bf16 --json",
		    "gpu uno --precision mixed --json",
		    "'--dtype' is deprecated, use '--precision'");
	same_output("gpu uno --gpu h100x4 --json",
		    "gpu uno --gpu h100 --gpus 4 --json",
		    "'--gpu h100x4' is deprecated");
	/* a GPU file whose name has "x" and a digit is a file, not NAMExN */
	char *gdir = tu_temp_dir();
	char *cp = xasprintf("cp %s/models/gpus/h100.yaml %s/t9x8.yaml",
			     WAFERSIM_SRCDIR, gdir);
	CU_ASSERT_EQUAL(system(cp), 0);
	char *gargs = xasprintf("gpu uno --gpu %s/t9x8.yaml --json", gdir);
	char *go, *ge;
	CU_ASSERT_EQUAL(tu_run(gargs, &go, &ge), 0);
	CU_ASSERT_PTR_NULL(strstr(ge, "deprecated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(go, "\"gpus\": 1,"));
	free(go);
	free(ge);
	tu_rm_rf(gdir);
	free(gargs);
	free(cp);
	same_output("fabric --machine mini16 --engine fabsim --cycles 200 "
		    "--json",
		    "fabric --machine mini16 --engine native --cycles 200 "
		    "--json",
		    "'fabsim' is deprecated, use 'native'");
	same_output("run uno --machine mini128 --place strips --dtype fp32 "
		    "--json",
		    "run uno --machine mini128 --strategy strips --precision "
		    "fp32 --json",
		    "'--place' is deprecated, use '--strategy'");
	/* fabric's -o DIR is now --out-dir DIR */
	char *dir = tu_temp_dir(), *out, *err;
	char *args = xasprintf("fabric --machine mini16 --pattern neighbor "
			       "--sweep -o %s/", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "use '--out-dir'"));
	char *want = xasprintf("wrote %s/fabric_neighbor.csv", dir);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want)); /* no "//" */
	char *cmd = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	free(want);
	free(args);
	free(out);
	free(err);
	free(dir);
}

/* One default everywhere: ONNX batch in compile as in run and place. */
static void test_one_default(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("compile models/onnx/attn.onnx --json", &out,
			       &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"batch\": 32"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place models/onnx/attn.onnx --machine mini128 "
			       "--json", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"batch\": 32"));
	free(out);
	free(err);
	/* place needs no --machine: wse2, as run */
	CU_ASSERT_EQUAL(tu_run("place uno --json", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"machine\": \"wse2\""));
	free(out);
	free(err);
}

/* Every number option reads decimal only, finite, by the grammar of the
 * YAML files (cfg_parse_real): hex floats, inf, nan and what overflows
 * or underflows a double are refused, the message naming the option. */
static void test_real_options_decimal(void)
{
	static const char *const bad[] = {
		"0x0.8", "0x1p-1", "inf", "-inf", "infinity", "nan", "1e999",
		"1e-400", "", " 1", "1 ", "1_0", ".", "1e", "017"};
	size_t n;
	const struct cli_opt *t = cli_vocabulary(&n);
	int reals = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind != CLI_REAL || t[i].alias_of)
			continue;
		reals++;
		const char *opts[] = {t[i].name, NULL};
		struct cli_command c = {"t", "", "", opts, NULL, 0, 0, NULL};
		char flag[80], good[32];
		snprintf(flag, sizeof flag, "--%s", t[i].name);
		/* a value inside the row's range, written plainly */
		snprintf(good, sizeof good, "%.6f",
			 t[i].lo > 0 ? t[i].lo : t[i].hi < 1 ? t[i].hi : 1.0);
		for (size_t k = 0; k <= ARRAY_SIZE(bad); k++) {
			const char *v = k < ARRAY_SIZE(bad) ? bad[k] : good;
			char *argv[] = {(char *)"t", flag, (char *)v, NULL};
			struct cli_opts o;
			cli_opts_init(&o);
			o.quiet = 1;
			int r = cli_parse(&c, 3, argv, &o);
			if (r != (k < ARRAY_SIZE(bad) ? CLI_BAD : CLI_GO))
				fprintf(stderr, "\n--%s '%s': %d\n",
					t[i].name, v, r);
			CU_ASSERT_EQUAL(r, k < ARRAY_SIZE(bad) ? CLI_BAD
							       : CLI_GO);
			cli_opts_release(&o);
		}
	}
	CU_ASSERT(reals >= 4);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("fabric --machine mini16 --rate 0x0.8", &out,
			       &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "wafersim fabric: '--rate' must be "
					   "a decimal number in [-1e+18, 1e+18], "
					   "got '0x0.8' (decimal numbers only)"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("fabric --machine mini16 --rate 1e999", &out,
			       &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "got '1e999' (digits with an "
					   "optional fraction and exponent, "
					   "finite"));
	free(out);
	free(err);
}

int suite_vocab(void)
{
	static const struct tu_test tests[] = {
		{"the table", test_table},
		{"every --help speaks the vocabulary",
		 test_every_help_speaks_the_vocabulary},
		{"the vocabulary check catches what it should",
		 test_vocab_check_catches},
		{"old spellings: same output, a warning", test_old_spellings},
		{"one default per concept", test_one_default},
		{"number options: decimal, finite", test_real_options_decimal},
		{0},
	};
	return tu_add_suite("vocab", tests);
}
