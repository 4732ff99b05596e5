/*
 * cmd_machine.c: `wafersim machine show|list|check|schema`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "machine/machine.h"
#include "ground/util.h"

static const char *const machine_options[] = {"output", NULL};

static const struct cli_command machine_cmd = {
	"machine", "show NAME|FILE [-o FILE]\n"
	"       wafersim machine check FILE...\n"
	"       wafersim machine list\n"
	"       wafersim machine schema",
	"  show    print the effective configuration (defaults filled in) as\n"
	"          YAML that loads back to the same machine\n"
	"  check   validate machine files; every error is reported\n"
	"  list    the presets in models/machines/\n"
	"  schema  every key with type, unit, range, default and meaning",
	machine_options, "example: wafersim machine show wse2\n", 1,
	CLI_MAX_ARGS, NULL};

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
	struct cli_opts o;
	cli_opts_init(&o);
	int pr = cli_parse(&machine_cmd, argc, argv, &o);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	const char *out_path = o.output ? o.output : "-";
	int k = 1;
	argc = o.n_args;
	argv = (char **)o.args;
	const char *sub = argv[0];
	if (!strcmp(sub, "list"))
		return machine_list();
	if (!strcmp(sub, "schema")) {
		cfg_print_schema(machine_schema, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "check")) {
		if (k >= argc)
			return cli_usage_error("machine", "'check' needs a file");
		int rc = EXIT_OK;
		for (; k < argc; k++) {
			struct machine m;
			struct diag d;
			diag_init(&d);
			if (machine_load(argv[k], &m, &d) != 0) {
				diag_print(&d, stderr);
				rc = EXIT_INPUT;
			} else {
				printf("%s: ok\n", argv[k]);
			}
			diag_release(&d);
		}
		return rc;
	}
	if (strcmp(sub, "show"))
		return cli_usage_error("machine", "unknown subcommand '%s'", sub);
	if (k != argc - 1)
		return cli_usage_error("machine", "'show' needs one NAME or FILE");

	struct machine m;
	struct diag d;
	diag_init(&d);
	int rc = machine_load(argv[k], &m, &d);
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
