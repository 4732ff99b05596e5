/*
 * cmd_validate.c: `wafersim validate WHAT ...`: models against measurements
 * and theory.  Each subject is one entry of the table below; add yours
 * (fabric, ref, ...) as a function `static int validate_<what>(argc, argv)`
 * where argv[0] is the subject name, and a row in `subjects`.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "gpu/gpu.h"
#include "gpu/gpu_profile.h"
#include "gpu/gpu_validate.h"
#include "ground/util.h"
#include "sim/wafer_val.h"

static const char *const validate_gpu_options[] = {"gpu", "graphs", "nets",
						   "profile", "quiet", NULL};

static const struct cli_command validate_gpu_cmd = {
	"validate gpu", "[FILE.jsonl] [options]",
	"Predicts every row of a measurement file (the format of\n"
	"models/measured/h100/train.jsonl, written by tools/measure_gpu.py)\n"
	"and prints predicted against measured training time, inference time\n"
	"and training energy, each row's error, and the median and worst.\n"
	"A row's network is its \"network_file\" (relative to the measurement\n"
	"file), else NAME.yaml / NAME.onnx in --nets DIR, else the zoo's; rows\n"
	"naming networks found nowhere are listed, not hidden.\n"
	"Without FILE: the project's H100 file, models/measured/h100/\n"
	"train.jsonl, with its graphs.jsonl, checked against --gpu h100.\n"
	"With --profile (and no FILE): only the profile, each row's kernels\n"
	"and device time per step by kind (GEMM, attention, convolution,\n"
	"memory) against the model's (docs/gpu.md, \"Profiles\").",
	validate_gpu_options,
	"exit status 0 when every row could be compared, 1 otherwise.\n", 0,
	1, NULL};

static int validate_gpu(int argc, char **argv)
{
	struct cli_opts o;
	cli_opts_init(&o);
	int pr = cli_parse(&validate_gpu_cmd, argc, argv, &o);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	const char *gpu_name = o.gpu, *graphs = o.graphs;
	char *def_train = NULL, *def_graphs = NULL;
	int quiet = o.quiet_rows;
	const char *train = o.n_args ? o.args[0] : NULL;
	if (!train && !o.profile) {
		char *home = ws_data_dir();
		def_train = xasprintf("%s/models/measured/h100/train.jsonl", home);
		if (!graphs)
			def_graphs = xasprintf("%s/models/measured/h100/"
					       "graphs.jsonl", home);
		free(home);
		train = def_train;
		graphs = graphs ? graphs : def_graphs;
	}
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	int rc = gpu_load(gpu_name, &g, &d), skipped = 0;
	const char *files[2] = {train, graphs};
	for (int i = 0; rc == 0 && i < 2; i++) {
		if (!files[i])
			continue;
		struct gpu_val v;
		rc = gpu_validate_file_in(&g, files[i], &o.net_dir,
					  o.net_dir ? 1 : 0, &v, &d);
		if (rc)
			break;
		gpu_val_print(&v, stdout, !quiet);
		skipped += v.n_skipped;
		fputc('\n', stdout);
		gpu_val_release(&v);
	}
	if (rc == 0 && o.profile) {
		struct gpu_prof p;
		rc = gpu_profile_file(&g, o.profile, &o.net_dir,
				      o.net_dir ? 1 : 0, &p, &d);
		if (rc == 0) {
			gpu_prof_print(&p, stdout);
			skipped += p.n_skipped;
			gpu_prof_release(&p);
		}
	}
	free(def_train);
	free(def_graphs);
	int ex = rc ? cli_fail(&d, rc) : skipped ? EXIT_INPUT : EXIT_OK;
	diag_release(&d);
	return ex;
}

static const char *const validate_wafer_options[] = {
	"machine", "nets", "quiet", "net-dir", "max-memory", NULL};

/* Kernel rows default to the machine the kernels were measured on. */
static const char *const validate_wafer_defaults[] = {"machine=wse3", NULL};

static const struct cli_command validate_wafer_cmd = {
	"validate wafer", "[FILE.csv] [options]",
	"Predicts every row of a wafer measurement file and prints measured\n"
	"against predicted, each row's error, the median and the worst.\n"
	"The header line says what the rows are (sim/wafer_val.h):\n"
	"  kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles   kernels on P x P\n"
	"  network,machine,wafers,mode,dtype,batch,samples_per_s,source_id\n"
	"Rows that cannot be simulated are listed, not hidden.  Kernel rows\n"
	"run on --machine: by default wse3, the machine the MeshGEMM and\n"
	"MeshGEMV kernels of this format were measured on.  A\n"
	"network row names a zoo network, a YAML/ONNX path relative to FILE,\n"
	"or a file NAME.yaml/.onnx in --nets DIR; it runs on its row's\n"
	"machine, wafers, mode, precision (fp32, mixed or fp16) and global\n"
	"batch; a row whose run would need more memory than --max-memory is\n"
	"listed with the estimate and the limit.  Without FILE: the\n"
	"project's WSE-3 kernels, models/measured/wse3/kernels.csv.  The\n"
	"first line names the machine kernel rows ran on.",
	validate_wafer_options,
	"exit status 0 when every row could be compared, 1 otherwise.\n", 0,
	1, validate_wafer_defaults};

static int validate_wafer(int argc, char **argv)
{
	struct cli_opts co;
	cli_opts_init(&co);
	int pr = cli_parse(&validate_wafer_cmd, argc, argv, &co);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	struct wval_opts o = {.machine = co.machine, .nets_dir = co.net_dir};
	if (cli_parse_size("validate wafer", "--max-memory", co.max_memory,
			   &o.max_memory_bytes))
		return EXIT_USAGE;
	int quiet = co.quiet_rows;
	char *def = NULL;
	const char *file = co.n_args ? co.args[0] : NULL;
	if (!file) {
		char *home = ws_data_dir();
		def = xasprintf("%s/models/measured/wse3/kernels.csv", home);
		free(home);
		file = def;
	}
	struct diag d;
	diag_init(&d);
	struct wval v;
	int rc = wval_file(file, &o, &v, &d);
	if (!rc)
		wval_print(&v, stdout, !quiet);
	int ex = rc ? cli_fail(&d, rc) : v.n_skipped ? EXIT_INPUT : EXIT_OK;
	wval_release(&v);
	diag_release(&d);
	free(def);
	return ex;
}

/* Subjects of `wafersim validate`: add a row for yours. */
static const struct subject {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} subjects[] = {
	{"gpu", validate_gpu,
	 "GPU baseline against measured GPU time and energy"},
	{"wafer", validate_wafer,
	 "wafer model against measured wafer kernels and networks"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: wafersim validate SUBJECT [options]\n"
		     "       wafersim validate SUBJECT --help\n\nsubjects:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		fprintf(out, "  %-8s %s\n", subjects[i].name,
			subjects[i].summary);
}

int cmd_validate(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (!strcmp(argv[1], subjects[i].name))
			return subjects[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wafersim validate: unknown subject '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
