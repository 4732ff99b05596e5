/* reserve.c: the link-reservation contention rule. See reserve.h. */
#include "fabric/reserve.h"

#include "fabric/timing.h"

cycles_t fabric_reserve(uint64_t *link_free, const int64_t *span_first,
			int n_spans, int64_t span_len, int64_t hops,
			cycles_t ready, int64_t wavelets,
			const struct fabric_params *f, cycles_t *start)
{
	cycles_t t = ready;
	for (int i = 0; i < n_spans; i++) {
		const uint64_t *lf = link_free + span_first[i];
		for (int64_t l = 0; l < span_len; l++)
			if (lf[l] > t)
				t = lf[l];
	}
	int64_t n = wavelets > 0 ? wavelets : 1;
	for (int i = 0; i < n_spans; i++) {
		uint64_t *lf = link_free + span_first[i];
		for (int64_t l = 0; l < span_len; l++)
			lf[l] = t + (cycles_t)n;
	}
	if (start)
		*start = t;
	return t + fabric_stream_cycles(f, hops, n);
}
