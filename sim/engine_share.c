/*
 * engine_share.c: a rectangle that runs several stages in turn (shared
 * weights time-shared, compiler/map_share.h).  See engine_int.h.
 *
 * What the engine does with them (engine.c):
 *   - a stage starts a task only when every stage on its rectangle is
 *     idle; when one finishes, the others are offered the rectangle
 *     first, so ready applications alternate;
 *   - a guest's last backward of a step stands for a gradient sync into
 *     its host (gsync_got, at no cost: the gradients are accumulated
 *     where the weights lie), so the host's update waits for it;
 *   - the host's update stands for the guests' weight sync (wsync_got):
 *     a guest's "update" (no work of its own) and so its next forward
 *     wait for it.
 */
#include "sim/engine_int.h"

#include <stdlib.h>

#include "compiler/map_share.h"
#include "ground/util.h"

static void push(int **a, int *n, int v)
{
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

void eng_share_setup(struct sim *s)
{
	const struct plan *p = s->p;
	for (int i = 0; i <= s->n; i++)
		s->sg[i].share_host = -1;
	for (int i = 0; i < s->n; i++) {
		int root = map_share_root(p, i);
		for (int j = 0; j < s->n; j++)
			if (j != i && map_share_root(p, j) == root)
				push(&s->sg[i].mates, &s->sg[i].n_mates, j);
		if (!map_share_guest(p, i) || !s->train)
			continue;
		struct stage_rt *host = &s->sg[root];
		s->sg[i].share_host = root;
		s->sg[i].wsync_need++;
		host->gsync_need++;
		push(&host->guests, &host->n_guests, i);
	}
}

void eng_share_release(struct sim *s)
{
	for (int i = 0; s->sg && i <= s->n; i++) {
		free(s->sg[i].mates);
		free(s->sg[i].guests);
	}
}
