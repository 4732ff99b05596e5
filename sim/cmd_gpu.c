/* cmd_gpu.c: `wafersim gpu`.  Not built yet: this placeholder says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_gpu(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: wafersim gpu ...\n\n'gpu' is not available in this "
		       "version yet.\n");
		return EXIT_OK;
	}
	fprintf(stderr, "wafersim gpu: not available in this version yet\n");
	return EXIT_USAGE;
}
