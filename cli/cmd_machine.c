/*
 * cmd_machine.c: `wafersim machine show|list|check|schema`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "machine/machine.h"
#include "ground/util.h"

static const char machine_help[] =
	"usage: wafersim machine show NAME|FILE [-o FILE]\n"
	"       wafersim machine check FILE...\n"
	"       wafersim machine list\n"
	"       wafersim machine schema\n\n"
	"  show    print the effective configuration (defaults filled in) as\n"
	"          YAML that loads back to the same machine\n"
	"  check   validate machine files; every error is reported\n"
	"  list    the presets in models/machines/\n"
	"  schema  every key with type, unit, range, default and meaning\n\n"
	"  -o, --output FILE   write to FILE instead of stdout\n"
	"\nexample: wafersim machine show wse2\n";

static int machine_list(void)
{
	size_t n;
	char **paths = cli_list_models("machines", &n);
	if (!paths)
		return EXIT_INPUT;
	int rc = EXIT_OK;
	printf("%-10s %11s %9s %8s  %s\n", "name", "grid", "PEs", "clock",
	       "description");
	for (size_t i = 0; i < n; i++) {
		const char *path = paths[i];
		struct machine m;
		struct diag d;
		diag_init(&d);
		if (machine_load(path, &m, &d) == 0) {
			char grid[32];
			snprintf(grid, sizeof(grid), "%lldx%lld",
				 (long long)m.width, (long long)m.height);
			printf("%-10s %11s %9lld %5.2fGHz  %s\n", m.name, grid,
			       (long long)machine_pes(&m), m.clock_ghz,
			       m.description);
		} else {
			diag_print(&d, stderr);
			rc = EXIT_INPUT;
		}
		diag_release(&d);
	}
	ws_free_list(paths);
	return rc;
}

int cmd_machine(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out_path = "-";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'h': fputs(machine_help, stdout); return EXIT_OK;
		default: return cli_usage_error("machine", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("machine",
				       "expected 'show', 'check', 'list' or 'schema'");
	const char *sub = argv[optind++];
	if (!strcmp(sub, "list"))
		return machine_list();
	if (!strcmp(sub, "schema")) {
		cfg_print_schema(machine_schema, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "check")) {
		if (optind >= argc)
			return cli_usage_error("machine", "'check' needs a file");
		int rc = EXIT_OK;
		for (; optind < argc; optind++) {
			struct machine m;
			struct diag d;
			diag_init(&d);
			if (machine_load(argv[optind], &m, &d) != 0) {
				diag_print(&d, stderr);
				rc = EXIT_INPUT;
			} else {
				printf("%s: ok\n", argv[optind]);
			}
			diag_release(&d);
		}
		return rc;
	}
	if (strcmp(sub, "show"))
		return cli_usage_error("machine", "unknown subcommand '%s'", sub);
	if (optind != argc - 1)
		return cli_usage_error("machine", "'show' needs one NAME or FILE");

	struct machine m;
	struct diag d;
	diag_init(&d);
	int rc = machine_load(argv[optind], &m, &d);
	struct outfile of;
	if (rc == 0)
		rc = outfile_open(&of, out_path, &d);
	if (rc == 0) {
		machine_dump(&m, of.f);
		rc = outfile_commit(&of, &d);
	}
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	diag_release(&d);
	return ex;
}
