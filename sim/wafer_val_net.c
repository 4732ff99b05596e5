/*
 * wafer_val_net.c: network rows of `wafersim validate wafer` (see
 * wafer_val.h): the training rate of a whole network on a named machine.
 * Not simulated yet: the row is listed with the reason (weight streaming
 * with micro-batches and several wafers, issue 12 item 5, comes first).
 */
#include <stdio.h>

#include "sim/wafer_val.h"

int wval_network_row(const char *path, const char *dir, char **fields,
		     int n_fields, const struct wval_opts *o,
		     struct wval_row *r, struct diag *d)
{
	(void)path;
	(void)dir;
	(void)o;
	(void)d;
	snprintf(r->label, sizeof(r->label), "%s", n_fields > 0 ? fields[0]
								: "?");
	snprintf(r->skipped, sizeof(r->skipped),
		 "network rows are not simulated yet");
	return 0;
}
