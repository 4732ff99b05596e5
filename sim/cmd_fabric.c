/* cmd_fabric.c: `wafersim fabric`.  Not built yet: this placeholder says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_fabric(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: wafersim fabric ...\n\n'fabric' is not available in this "
		       "version yet.\n");
		return EXIT_OK;
	}
	fprintf(stderr, "wafersim fabric: not available in this version yet\n");
	return EXIT_USAGE;
}
