/*
 * main.c: `wafersim <command> [options]`.  Finds the command and hands it
 * its arguments; every command parses its own options and calls the
 * library.  Exit codes: 0 ok, 1 bad input, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ground/tmpclean.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"run", cmd_run, "simulate training and inference of a network on a wafer"},
	{"compile", cmd_compile, "read a network, print its layers and costs"},
	{"place", cmd_place, "map and place a network onto a machine's mesh"},
	{"gpu", cmd_gpu, "GPU baseline: time and energy on one or more GPUs"},
	{"fabric", cmd_fabric, "characterise the mesh fabric with synthetic traffic"},
	{"plot", cmd_plot, "render trace plots from saved statistics"},
	{"validate", cmd_validate, "check models against measurements and theory"},
	{"machine", cmd_machine, "show, list and check machine descriptions"},
	{"sweep", cmd_sweep, "cross product of nets, machines, strategies, batches to CSV"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: wafersim <command> [options]\n"
		"       wafersim <command> --help\n"
		"       wafersim --version\n\n"
		"A simulator of wafer-scale AI accelerators.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nexit status: 0 ok, 1 bad input, 2 usage error\n");
}

int main(int argc, char **argv)
{
	/* a temporary output (-o, --trace) never outlives the process: not
	 * after `| head` closes the pipe, Ctrl-C or kill either */
	tmp_clean_on_signals();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("wafersim %s\n", WAFERSIM_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wafersim: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
