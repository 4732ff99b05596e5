/*
 * gpu_shard.c: memory per GPU and the collectives of sharded data
 * parallelism (ZeRO / PyTorch FSDP), and the ring collectives they and
 * DDP share.
 *
 * Per GPU, with P parameters over N GPUs (Rajbhandari et al., "ZeRO:
 * Memory Optimizations Toward Training Trillion Parameter Models", SC'20,
 * figure 1 and section 5; PyTorch FSDP ShardingStrategy):
 *
 *              weights W        gradients G     optimizer state O
 *     DDP      W                G               O
 *     ZeRO-1   W                G               O / N
 *     ZeRO-2   W                G / N           O / N   (SHARD_GRAD_OP)
 *     ZeRO-3   W / N + unit     G / N + unit    O / N   (FULL_SHARD)
 *
 * W = 4P (fp32) + 2P (16-bit copies under autocast), G = 4P, O = 0, 4P or
 * 8P (SGD, momentum, Adam).  ZeRO-3 gathers one FSDP unit (here: one
 * layer's parameters) before it computes and frees it after; with
 * limit_all_gathers (FSDP's default) at most two units are gathered at
 * once (PyTorch FSDP docs: "only two consecutive FSDP instances"), each
 * with its weights and its unsharded gradient: unit = 2 x the largest
 * layer's (W + G) per parameter.
 *
 * Communication per step (ZeRO paper section 7: ZeRO-1/2 move the same
 * volume as DDP's all-reduce, ZeRO-3 1.5x):
 *     ZeRO-1/2  reduce-scatter of the gradients (overlapping backward) +
 *               all-gather of the updated weights after the optimizer;
 *     ZeRO-3    all-gather of the weights in forward, again in backward,
 *               and a reduce-scatter of the gradients in backward.
 * A ring reduce-scatter or all-gather is half a ring all-reduce.  With
 * micro-batches ZeRO-2 and ZeRO-3 reduce-scatter every micro-batch
 * (their gradients are sharded, so micro-batches cannot add into a full
 * local copy as DDP's no_sync does) and ZeRO-3 gathers again for each.
 */
#include <math.h>

#include "gpu/gpu_int.h"

/*
 * Ring all-reduce of `bytes` over n GPUs, as NCCL runs it for a DDP bucket:
 *
 *     t = 2(n-1) x step latency + 2(n-1)/n x bytes / busbw
 *
 * the latency-bandwidth form nccl-tests reports (busbw = 2(n-1)/n x
 * bytes / t).  Inside a node busbw = NVLink x link_efficiency (NCCL's
 * protocol overhead).  Across nodes NCCL runs one ring per NIC and every
 * ring enters and leaves each node through its own NIC, so the NICs of a
 * node together carry the rings: busbw = min(NVLink, GPUs per node x NIC
 * x internode_efficiency), and each ring step waits for its slowest hop.
 * On two nodes NCCL may pick a tree instead, which can beat the ring (up
 * to 2x the network on 2 nodes): the ring is the conservative choice.
 */
double gpu_allreduce_s(const struct gpu_spec *g, int n, double bytes,
		       double *busbw_out)
{
	if (busbw_out)
		*busbw_out = 0;
	if (n <= 1 || bytes <= 0)
		return 0;
	int nodes = (int)((n + g->gpus_per_node - 1) / g->gpus_per_node);
	double bw = g->nvlink_gbytes_s * 1e9 * g->link_efficiency;
	double step_lat = g->nvlink_latency_us * 1e-6;
	if (nodes > 1) {
		int per_node = n < g->gpus_per_node ? n : (int)g->gpus_per_node;
		double nic = per_node * g->internode_gbytes_s * 1e9 *
			     g->internode_efficiency;
		if (nic < bw)
			bw = nic;
		if (g->internode_latency_us > g->nvlink_latency_us)
			step_lat = g->internode_latency_us * 1e-6;
	}
	double f = 2.0 * (n - 1) / n;
	double t = 2.0 * (n - 1) * step_lat + f * bytes / bw;
	if (busbw_out)
		*busbw_out = f * bytes / t;
	return t;
}

/* FSDP holds at most two gathered units (limit_all_gathers), each with
 * its weights and its unsharded gradient. */
static double unit_bytes(const struct gpu_mem *m)
{
	if (m->params <= 0)
		return 0;
	return 2.0 * m->unit_params * (m->weights + m->grads) / m->params;
}

/* State per GPU as fixed + sharded / N. */
static void state_parts(const struct gpu_mem *m, enum gpu_shard s,
			double *fixed, double *sharded)
{
	double all = m->weights + m->grads + m->optim;
	switch (s) {
	case GPU_SHARD_ZERO1:
		*fixed = m->weights + m->grads;
		break;
	case GPU_SHARD_ZERO2:
		*fixed = m->weights;
		break;
	case GPU_SHARD_ZERO3:
		*fixed = unit_bytes(m);
		all += unit_bytes(m);
		break;
	default:
		*fixed = all;
		break;
	}
	*sharded = all - *fixed;
}

double gpu_shard_state_bytes(const struct gpu_mem *m, enum gpu_shard s,
			     int n)
{
	double fixed, sharded;
	state_parts(m, s, &fixed, &sharded);
	return fixed + sharded / (n > 1 ? n : 1);
}

/* Activation checkpointing in sqrt(n) segments keeps the segment inputs
 * and, during backward, one segment's activations. */
double gpu_acts_per_sample(const struct gpu_mem *m, int ck)
{
	if (ck && m->act_layers > 1)
		return m->acts_per_sample * 2.0 / sqrt((double)m->act_layers);
	return m->acts_per_sample;
}

double gpu_train_memory_bytes(const struct graph *gr,
			      const struct gpu_run_opts *o)
{
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	return gpu_shard_state_bytes(&m, o->shard, o->n_gpus) +
	       gpu_acts_per_sample(&m, o->checkpoint) * (double)o->batch;
}

int gpu_shard_gpus(const struct gpu_spec *g, const struct gpu_mem *m,
		   int n)
{
	double room = g->mem_gbytes * 1e9 - gpu_acts_per_sample(m, 1);
	if (n < 1)
		n = 1;
	if (gpu_shard_state_bytes(m, GPU_SHARD_DDP, n) <= room)
		return n;
	/* the fewest N at which some sharding's fixed + sharded / N fits */
	int best = 0;
	for (int s = GPU_SHARD_ZERO1; s <= GPU_SHARD_ZERO3; s++) {
		double fixed, sharded;
		state_parts(m, (enum gpu_shard)s, &fixed, &sharded);
		if (fixed >= room)
			continue;
		double k = ceil(sharded / (room - fixed));
		if (k > 1 << 20)
			continue;
		int ki = k > n ? (int)k : n;
		if (ki < 2)
			ki = 2;
		while (gpu_shard_state_bytes(m, (enum gpu_shard)s, ki) > room)
			ki++; /* rounding at the boundary */
		if (!best || ki < best)
			best = ki;
	}
	return best;
}

/* A pass whose collectives take comm_s: the first (forward gathers) or
 * the last (backward reduce-scatters) unit's share cannot overlap
 * compute; the rest overlaps the pass's compute_s and what does not fit
 * under it is exposed.  While overlapping, the collective kernels take
 * their share of the SMs or memory bandwidth from compute (as for DDP:
 * collective_sms, collective_hbm_per_bus_byte). */
static double overlap(const struct gpu_spec *g, double comm_s, double unit_s,
		      double compute_s, double busbw, double *contention)
{
	if (comm_s <= 0)
		return 0;
	if (unit_s > comm_s)
		unit_s = comm_s;
	double rest = comm_s - unit_s;
	double ov = rest < compute_s ? rest : compute_s;
	double sm_share = (double)g->collective_sms / (double)g->sms;
	double mem_bw = g->calib.mem_fraction * g->mem_bandwidth_gbytes_s * 1e9;
	double share = g->collective_hbm_per_bus_byte * busbw / mem_bw;
	if (share < sm_share)
		share = sm_share;
	if (share > 1)
		share = 1;
	*contention += share * ov;
	return unit_s + (rest - ov);
}

double gpu_shard_comm(const struct gpu_spec *g, const struct graph *gr,
		      const struct gpu_run_opts *o, double fwd_s,
		      double bwd_s, struct gpu_result *out)
{
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	int n = o->n_gpus, mb = o->micro_batches > 1 ? o->micro_batches : 1;
	int z3 = o->shard == GPU_SHARD_ZERO3;
	double bw = 0;
	/* gradients (fp32, as DDP reduces them) and fp32 weights: the same
	 * bytes; a unit is the largest layer's */
	double half = gpu_allreduce_s(g, n, m.grads, &bw) / 2;
	double unit = gpu_allreduce_s(g, n, 4.0 * m.unit_params, NULL) / 2;
	double ct = 0, exposed = 0, alone = 0;
	/* per micro-batch: ZeRO-3 gathers in forward; ZeRO-2/3 scatter the
	 * gradients of each, ZeRO-1 those of the last only */
	for (int k = 0; k < mb; k++) {
		int rs = o->shard != GPU_SHARD_ZERO1 || k == mb - 1;
		double f = z3 ? half : 0;
		double b = (z3 ? half : 0) + (rs ? half : 0);
		exposed += overlap(g, f, unit, fwd_s / mb, bw, &ct);
		exposed += overlap(g, b, unit, bwd_s / mb, bw, &ct);
		alone += f + b;
	}
	/* ZeRO-1/2: the updated weights are all-gathered after the
	 * optimizer, nothing left to overlap (DeepSpeed stage 1/2) */
	if (!z3) {
		exposed += half;
		alone += half;
	}
	out->shard_comm_s = alone;
	out->comm_tail_s = exposed;
	out->contention_s = ct;
	return exposed + ct;
}

double gpu_shard_infer_comm(const struct gpu_spec *g, const struct graph *gr,
			    const struct gpu_run_opts *o, double fwd_s)
{
	if (o->n_gpus <= 1 || o->shard != GPU_SHARD_ZERO3)
		return 0;
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	double bw = 0, ct = 0;
	double half = gpu_allreduce_s(g, o->n_gpus, m.grads, &bw) / 2;
	double unit = gpu_allreduce_s(g, o->n_gpus, 4.0 * m.unit_params,
				      NULL) / 2;
	double exposed = overlap(g, half, unit, fwd_s, bw, &ct);
	return exposed + ct;
}

const char *gpu_shard_name(enum gpu_shard s)
{
	static const char *const names[] = {"auto", "DDP", "ZeRO-1", "ZeRO-2",
					    "ZeRO-3"};
	return (unsigned)s < GPU_SHARD_COUNT ? names[s] : "?";
}

/* "ZeRO-3 (weights, gradients and optimizer state sharded over 2 GPUs)" */
static int shard_words(const struct gpu_result *r, char *buf, size_t n)
{
	static const char *const what[] = {
		"", "", "optimizer state", "gradients and optimizer state",
		"weights, gradients and optimizer state"};
	if (r->shard <= GPU_SHARD_DDP || r->shard >= GPU_SHARD_COUNT)
		return snprintf(buf, n, "DDP");
	return snprintf(buf, n, "%s (%s sharded over %d GPUs%s)",
			gpu_shard_name(r->shard), what[r->shard], r->n_gpus,
			r->shard == GPU_SHARD_ZERO3 ? ", FSDP full shard" : "");
}

/* "3 micro-batches of 342 per GPU, gradient accumulation" */
static int fit_words(const struct gpu_result *r, char *buf, size_t n)
{
	switch (r->fit) {
	case GPU_FIT_ACCUMULATE:
		return snprintf(buf, n, "%d micro-batches of %lld per GPU, "
				"gradient accumulation", r->micro_batches,
				(long long)r->micro_batch);
	case GPU_FIT_CHECKPOINT:
		return snprintf(buf, n, "activation checkpointing");
	case GPU_FIT_BOTH:
		return snprintf(buf, n, "%d micro-batches of %lld per GPU with "
				"activation checkpointing, gradient "
				"accumulation", r->micro_batches,
				(long long)r->micro_batch);
	default:
		return snprintf(buf, n, "the batch as is");
	}
}

void gpu_plan_words(const struct gpu_result *r, char *buf, size_t n)
{
	char sw[160], fw[160];
	if (!r->runs) {
		snprintf(buf, n, "%s", r->why);
		return;
	}
	shard_words(r, sw, sizeof(sw));
	fit_words(r, fw, sizeof(fw));
	int asked = r->asked_gpus > 0 ? r->asked_gpus : r->n_gpus;
	if (r->n_gpus > asked)
		snprintf(buf, n, "on %d GPU%s; runs on %d GPUs with %s, %s", asked, asked == 1 ? "" : "s",
			 r->n_gpus, sw, fw);
	else if (r->shard > GPU_SHARD_DDP)
		snprintf(buf, n, "with DDP; runs with %s, %s", sw, fw);
	else if (r->fit != GPU_FIT_AS_IS)
		snprintf(buf, n, "%s", fw);
	else
		snprintf(buf, n, "%s", "");
}
