/* cmd_compile.c: `wafersim compile`.  Not built yet: this placeholder says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_compile(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: wafersim compile ...\n\n'compile' is not available in this "
		       "version yet.\n");
		return EXIT_OK;
	}
	fprintf(stderr, "wafersim compile: not available in this version yet\n");
	return EXIT_USAGE;
}
