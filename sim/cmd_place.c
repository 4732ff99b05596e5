/* cmd_place.c: `wafersim place`.  Not built yet: this placeholder says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_place(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: wafersim place ...\n\n'place' is not available in this "
		       "version yet.\n");
		return EXIT_OK;
	}
	fprintf(stderr, "wafersim place: not available in this version yet\n");
	return EXIT_USAGE;
}
