/* cmd_validate.c: `wafersim validate`.  Not built yet: this placeholder says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_validate(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: wafersim validate ...\n\n'validate' is not available in this "
		       "version yet.\n");
		return EXIT_OK;
	}
	fprintf(stderr, "wafersim validate: not available in this version yet\n");
	return EXIT_USAGE;
}
