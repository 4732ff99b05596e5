/*
 * mpi_sweep.c: build/wafersim-mpi, `wafersim sweep` across the ranks of an
 * MPI job (docs/sweep.md).  The only file that uses MPI; the Makefile keeps
 * it out of the library and links it with mpicc against the same
 * libwafersim.a and cli/cmd_sweep.o.
 *
 *     mpirun -np 4 build/wafersim-mpi sweep --nets uno,combo ...
 *
 * Every rank parses and checks the same lists (so a bad list fails on all
 * of them before anything runs), then runs its static round-robin share
 * (points i with i % size == rank, on --jobs threads).  Rank 0 receives the
 * other ranks' results (plain values, sent as bytes: the ranks run the same
 * binary on the same architecture) and writes the CSV, which is therefore
 * byte-identical to `wafersim sweep` with the same arguments.
 */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sweep.h"
#include "ground/util.h"

enum { TAG_ROWS = 7 };

static int gather(const struct sweep *sw, struct sweep_result *res, void *ctx)
{
	const struct sweep_exec *x = ctx;
	int rc = 0;
	if (x->rank != 0) {
		int64_t n = sweep_share_points(sw, x->rank, x->size);
		struct sweep_result *buf = xcalloc((size_t)(n ? n : 1),
						   sizeof(*buf));
		for (int64_t k = 0; k < n; k++)
			buf[k] = res[x->rank + k * x->size];
		if (MPI_Send(buf, (int)(n * (int64_t)sizeof(*buf)), MPI_BYTE, 0,
			     TAG_ROWS, MPI_COMM_WORLD) != MPI_SUCCESS)
			rc = -1;
		free(buf);
	} else {
		for (int r = 1; r < x->size; r++) {
			int64_t n = sweep_share_points(sw, r, x->size);
			struct sweep_result *buf = xcalloc((size_t)(n ? n : 1),
							   sizeof(*buf));
			if (MPI_Recv(buf, (int)(n * (int64_t)sizeof(*buf)),
				     MPI_BYTE, r, TAG_ROWS, MPI_COMM_WORLD,
				     MPI_STATUS_IGNORE) != MPI_SUCCESS)
				rc = -1;
			for (int64_t k = 0; k < n && !rc; k++) {
				int64_t i = r + k * x->size;
				if (buf[k].index != i)
					rc = -1; /* not the row we expect */
				else
					res[i] = buf[k];
			}
			free(buf);
		}
	}
	/* every rank agrees on the outcome */
	int any = rc != 0, all = 0;
	MPI_Allreduce(&any, &all, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
	return all;
}

/* A rank stopped by SIGINT or SIGTERM (or unable to journal) stops them
 * all, before anyone waits in the gather for rows that will not come. */
static int agree(int rc, void *ctx)
{
	(void)ctx;
	int all = rc;
	MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	return all;
}

int main(int argc, char **argv)
{
	/* --jobs threads run points, only this thread calls MPI */
	int provided;
	MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
	struct sweep_exec x = {0, 1, gather, agree, NULL};
	MPI_Comm_rank(MPI_COMM_WORLD, &x.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &x.size);
	x.ctx = &x;
	int rc;
	if (argc < 2 || strcmp(argv[1], "sweep")) {
		if (x.rank == 0)
			fprintf(stderr,
				"usage: wafersim-mpi sweep [wafersim sweep "
				"options]\n");
		rc = 2;
	} else {
		rc = sweep_command(argc - 1, argv + 1, &x);
	}
	/* the exit code of rank 0 stands for the job */
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	MPI_Finalize();
	return rc;
}
