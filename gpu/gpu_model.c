/*
 * gpu_model.c: a step as a host/device pipeline, energy, data parallel.
 *
 * Eager: the host spends framework_op_us (+ autograd_op_us when training)
 * per Python-level op, internal_op_us per op issued from C++ (backward,
 * casts, optimizer), then the kernel is queued;
 * the device runs kernels in order, each starting when it has been issued
 * and the previous one is done:
 *
 *     host   |op0|op1|op2|op3|op4| ...
 *     device     [k0][k1----------][k2][k3]...      (compute-bound)
 *     device     [k0]  [k1]  [k2]  [k3]  ...        (overhead-bound)
 *
 * The wall-clock time each kernel adds (its end minus the previous end) is
 * split into overhead (time the device waited for the host, plus the fixed
 * per-kernel cost) and work (compute or memory, whichever bounds it), and
 * charged to its layer.  Graph-captured style: one replay launch, then the
 * device alone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"
#include "ground/util.h"

void gpu_run_opts_default(struct gpu_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dtype = DT_FP32;
	o->n_gpus = 1;
	o->style = GPU_EAGER;
	o->optimizer = OPT_MOMENTUM;
}

void gpu_result_release(struct gpu_result *r)
{
	free(r->layers);
	memset(r, 0, sizeof(*r));
}

struct timeline {
	double end_s;		  /* wall clock at the end */
	double *ready_s;	  /* per layer: end of its last backward kernel */
};

static enum gpu_bound argmax3(const double *v)
{
	int b = 0;
	for (int i = 1; i < GPU_BOUND_COUNT; i++)
		if (v[i] > v[b])
			b = i;
	return (enum gpu_bound)b;
}

/* cuBLAS's fallback for unaligned operands (7.8) computes small tiles
 * and loads their operands in narrow pieces, again for every tile: when
 * the operands do not fit in L2 those re-reads come from device memory,
 * which is then as busy as the kernel is close to the rate that path can
 * reach (unaligned_fraction_dram of the peak).  Operands that fit in L2
 * are re-read from there (no more device-memory traffic than their
 * bytes). */
static double fallback_memory(const struct gpu_spec *g,
			      const struct gpu_kern *x, double uc, double um)
{
	if (x->kind != GK_GEMM || x->aligned || x->math == GPU_MATH_FP32 ||
	    uc <= 0 || x->bytes <= g->l2_mbytes * 1e6)
		return um;
	double busy = uc / gpu_unaligned_fraction(g, x);
	if (busy > 1)
		busy = 1;
	return busy > um ? busy : um;
}

/* Share of the memory power (power_memory at the datasheet bandwidth) that
 * device memory itself draws: hbm_pj_per_bit x 8 x bandwidth over
 * power_memory x (max - idle), at most 1. */
double gpu_hbm_share(const struct gpu_spec *g)
{
	double mem_w = g->calib.power_memory * (g->max_w - g->idle_w);
	if (g->hbm_pj_per_bit <= 0 || mem_w <= 0)
		return 0;
	double share = g->hbm_pj_per_bit * 8e-12 *
		       g->mem_bandwidth_gbytes_s * 1e9 / mem_w;
	return share < 1 ? share : 1;
}

/* A memory-bound kernel whose inputs and outputs fit in L2 finds its
 * inputs there (the kernel before wrote them) and leaves its outputs
 * there for the next: its bytes move between the SMs and L2, and the
 * device-memory share of the memory power is not drawn (docs/gpu.md
 * section 4, "data in L2"). */
static double l2_memory(const struct gpu_spec *g, const struct gpu_kern *x,
			double um)
{
	if (x->kind != GK_MEM || g->l2_mbytes <= 0 ||
	    x->bytes > g->l2_mbytes * 1e6)
		return um;
	return um * (1 - gpu_hbm_share(g));
}

/*
 * Run kernels [from, to) through the pipeline starting with host and
 * device clocks *host and *dev.  Charges each kernel's added wall time to
 * its layer (train or infer) and to pr->by_bound_s.
 */
static void run(const struct gpu_spec *g, const struct gpu_run_opts *o,
		struct gpu_kern *k, int from, int to, double *host,
		double *dev, int train, struct gpu_result *r,
		struct gpu_pass_result *pr, double *ready_s, double *dyn_j)
{
	double host_s[3] = {0, 0, 0};
	if (o->style == GPU_EAGER) {
		host_s[HOST_PY] = (train ? g->framework_op_us +
					   g->autograd_op_us
					 : g->infer_op_us) * 1e-6;
		host_s[HOST_CPP] = g->internal_op_us * 1e-6;
	}
	double sdpa_s = o->style == GPU_EAGER ? g->cudnn_sdpa_us * 1e-6 : 0;
	double span = g->max_w - g->idle_w;
	for (int i = from; i < to; i++) {
		struct gpu_kern *x = &k[i];
		/* cuDNN's SDPA executes its cached graph on top of the op's
		 * own host cost (docs/gpu.md 7.11) */
		double hs = host_s[x->host] + (x->cudnn_sdpa ? sdpa_s : 0);
		*host += hs;
		pr->host_s += hs;
		double start = *host > *dev ? *host : *dev;
		double end = start + x->dev_s;
		double added = end - *dev;
		double ovh = (start - *dev) + (x->dev_s - x->work_s);
		double work = added - ovh;
		double part[GPU_BOUND_COUNT] = {0};
		part[GPU_BOUND_OVERHEAD] = ovh;
		part[x->mem_bound ? GPU_BOUND_MEMORY : GPU_BOUND_COMPUTE] =
			work;
		for (int b = 0; b < GPU_BOUND_COUNT; b++)
			pr->by_bound_s[b] += part[b];
		pr->device_busy_s += x->dev_s;
		pr->flops += x->flops;
		pr->kernels += x->kind != GK_HOST;
		/* energy above idle while the kernel runs */
		if (x->dev_s > 0) {
			double peak = x->kind == GK_MEM
					      ? 0
					      : g->peak_tflops[x->math] * 1e12;
			if (x->kind == GK_SIMT)
				peak = g->peak_tflops[GPU_MATH_FP32] * 1e12;
			double uc = peak > 0 ? x->flops / (x->dev_s * peak) : 0;
			double um = x->bytes / (x->dev_s * 1e9 *
						g->mem_bandwidth_gbytes_s);
			if (uc > 1)
				uc = 1;
			if (um > 1)
				um = 1;
			um = fallback_memory(g, x, uc, um);
			um = l2_memory(g, x, um);
			/* the board never draws more than its power limit */
			/* CUDA-core math draws its own share per unit of
			 * its own peak (section 4 of docs/gpu.md) */
			int simt = x->kind == GK_SIMT ||
				   x->math == GPU_MATH_FP32;
			double f = (simt ? g->calib.power_compute_simt
					 : g->calib.power_compute) * uc +
				   g->calib.power_memory * um;
			if (f > 1 - g->calib.power_awake)
				f = 1 - g->calib.power_awake;
			*dyn_j += span * x->dev_s * f;
		}
		if (x->layer >= 0) {
			struct gpu_layer_result *L = &r->layers[x->layer];
			if (train) {
				L->train_s[x->pass] += added;
				for (int b = 0; b < GPU_BOUND_COUNT; b++)
					L->by_bound_s[b] += part[b];
				L->kernels_train += x->kind != GK_HOST;
				L->flops_train += x->flops;
				if (ready_s && x->pass != PASS_FWD)
					ready_s[x->layer] = end;
			} else {
				L->infer_s += added;
				L->kernels_infer += x->kind != GK_HOST;
			}
		}
		*dev = end;
	}
}

static void finish_pass(const struct gpu_spec *g, struct gpu_pass_result *pr,
			double host, double dev, double dyn_j)
{
	pr->seconds = host > dev ? host : dev;
	if (host > dev)
		pr->by_bound_s[GPU_BOUND_OVERHEAD] += host - dev;
	pr->bound = argmax3(pr->by_bound_s);
	double span = g->max_w - g->idle_w;
	pr->energy_j = g->idle_w * pr->seconds +
		       span * g->calib.power_awake * pr->seconds + dyn_j;
	pr->avg_power_w = pr->seconds > 0 ? pr->energy_j / pr->seconds : 0;
}

/* One DDP bucket: its gradients' bytes, when backward has produced them
 * all, and its all-reduce. */
struct bucket {
	double bytes, ready_s, start_s, end_s, busbw;
};

/*
 * PyTorch DDP's bucket schedule over the single-GPU backward timeline
 * (ready_s: per layer, the end of its last backward kernel):
 *  - buckets in reverse layer order (DDP assigns parameters to buckets in
 *    reverse registration order, roughly the order backward produces
 *    their gradients); the first holds up to first_bucket_mbytes, the
 *    others up to bucket_mbytes; a bucket closes once it reaches its cap
 *    (so one large tensor can overfill it);
 *  - a bucket's all-reduce starts when its last gradient is ready and the
 *    previous bucket's all-reduce is done (one NCCL stream, in order);
 *  - the gradients still in an open bucket when backward ends are
 *    all-reduced then.
 * Fills *nb buckets (xmalloc'ed, caller frees) and returns the array.
 */
static struct bucket *ddp_schedule(const struct gpu_spec *g,
				   const struct graph *gr, int n_gpus,
				   const double *ready, double bwd_end_s,
				   int *nb, double *grad_bytes,
				   int *grad_tensors)
{
	const double mib = 1024.0 * 1024.0;
	int cap_n = 8;
	struct bucket *b = xcalloc((size_t)cap_n, sizeof(*b));
	double fill = 0, at = 0;
	*nb = 0;
	*grad_bytes = 0;
	*grad_tensors = 0;
	for (int l = gr->n_layers - 1; l >= -1; l--) {
		int last = l < 0;
		if (!last) {
			if (gr->layers[l].param_owner != l)
				continue;
			double pb = 4.0 * (double)gpu_layer_params(gr, l);
			if (pb <= 0)
				continue;
			fill += pb;
			*grad_bytes += pb;
			*grad_tensors += gpu_layer_param_tensors(gr, l);
			if (ready[l] > at)
				at = ready[l];
		}
		double cap = (*nb == 0 ? g->first_bucket_mbytes
				       : g->bucket_mbytes) * mib;
		if (fill <= 0 || (!last && fill < cap))
			continue;
		if (*nb == cap_n) {
			cap_n *= 2;
			b = xrealloc(b, (size_t)cap_n * sizeof(*b));
		}
		struct bucket *k = &b[(*nb)++];
		memset(k, 0, sizeof(*k));
		k->bytes = fill;
		k->ready_s = last ? bwd_end_s : at;
		double prev = *nb > 1 ? b[*nb - 2].end_s : 0;
		k->start_s = k->ready_s > prev ? k->ready_s : prev;
		k->end_s = k->start_s + gpu_allreduce_s(g, n_gpus, fill, &k->busbw);
		fill = 0;
	}
	return b;
}

/* Options with defaults filled in; WS_EINPUT for a dtype the model does
 * not run. */
static int normalize_opts(const struct graph *gr, struct gpu_run_opts *o,
			  struct diag *d)
{
	if (o->batch <= 0)
		o->batch = gr->default_batch > 0 ? gr->default_batch : 32;
	if (o->n_gpus < 1)
		o->n_gpus = 1;
	if (o->global_batch > 0)
		o->batch = (o->global_batch + o->n_gpus - 1) / o->n_gpus;
	if (o->dtype != DT_FP32 && o->dtype != DT_BF16 && o->dtype != DT_FP16) {
		diag_add(d, NULL, 0, 0,
			 "gpu: 'dtype' must be fp32, bf16 or fp16, got %s",
			 dtype_name(o->dtype));
		return WS_EINPUT;
	}
	return WS_OK;
}

/* DDP's default broadcast_buffers=True: before every forward, rank 0's
 * module buffers (each batch norm's running mean and variance, fp32, and
 * its int64 num_batches_tracked) are broadcast to all ranks
 * (DistributedDataParallel._sync_buffers -> c10d broadcast_coalesced):
 * per dtype, one flatten (cat) kernel and one NCCL broadcast, then one
 * copy back into every buffer tensor.  Nothing overlaps it: the forward
 * waits.  A ring broadcast is the all-gather half of a ring all-reduce. */
static double ddp_buffers_s(const struct gpu_spec *g, const struct graph *gr,
			    int n_gpus)
{
	double fbytes = 0, ibytes = 0;
	int ntens = 0;
	for (int l = 0; l < gr->n_layers; l++) {
		const struct layer *L = &gr->layers[l];
		if (L->op != OP_BATCHNORM || L->n_in < 1)
			continue;
		fbytes += 2.0 * 4 * (double)gr->tensors[L->in[0]].dims[0];
		ibytes += 8;
		ntens += 3;
	}
	if (!ntens)
		return 0;
	return (ntens + 2) * g->kernel_us * 1e-6 +
	       gpu_mem_seconds(g, 4 * (fbytes + ibytes)) +
	       gpu_allreduce_s(g, n_gpus, fbytes, NULL) / 2 +
	       gpu_allreduce_s(g, n_gpus, ibytes, NULL) / 2;
}

/* What data parallelism (PyTorch DDP over NCCL) adds to the step: fills
 * the data-parallel fields of `out` and returns the exposed time. */
static double data_parallel(const struct gpu_spec *g, const struct graph *gr,
			    int n_gpus, const double *ready, double bwd_end,
			    struct gpu_result *out)
{
	int nb = 0, ntens = 0;
	double gbytes = 0;
	struct bucket *bk = ddp_schedule(g, gr, n_gpus, ready, bwd_end, &nb,
					 &gbytes, &ntens);
	/* while an all-reduce overlaps backward its kernels hold
	 * collective_sms SMs (NCCL CTAs do not share an SM) and move
	 * collective_hbm_per_bus_byte bytes of device memory per bus
	 * byte; backward loses the larger of the two shares */
	double sm_share = (double)g->collective_sms / (double)g->sms;
	double mem_bw = g->calib.mem_fraction * g->mem_bandwidth_gbytes_s * 1e9;
	double alone = 0, contention = 0, comm_end = 0;
	for (int i = 0; i < nb; i++) {
		double end = bk[i].end_s;
		alone += end - bk[i].start_s;
		double ov = (end < bwd_end ? end : bwd_end) - bk[i].start_s;
		double share = g->collective_hbm_per_bus_byte * bk[i].busbw /
			       mem_bw;
		if (share < sm_share)
			share = sm_share;
		if (share > 1)
			share = 1;
		if (ov > 0)
			contention += share * ov;
		if (end > comm_end)
			comm_end = end;
	}
	/* DDP's default (gradient_as_bucket_view=False) copies each
	 * gradient into its bucket as autograd produces it (the 1/N
	 * scaling fused in) and back once the bucket is reduced: one
	 * kernel per tensor each way, read + write */
	double copy_one = ntens * g->kernel_us * 1e-6 +
			  gpu_mem_seconds(g, 2.0 * gbytes);
	/* the tail: all-reduce still running when backward has made
	 * its last gradient.  The copies and the contention stretch
	 * backward and delay the last buckets' readiness alike, so
	 * the tail is measured on the single-GPU timeline. */
	out->comm_tail_s = comm_end > bwd_end ? comm_end - bwd_end : 0;
	out->ddp_copy_s = 2 * copy_one;
	out->contention_s = contention;
	out->ddp_buffer_s = ddp_buffers_s(g, gr, n_gpus);
	out->allreduce_s = alone;
	out->buckets = nb;
	free(bk);
	return out->comm_tail_s + out->ddp_copy_s + out->contention_s +
	       out->ddp_buffer_s;
}

/* ZeRO / FSDP: the collectives overlap the forward and backward time
 * run() has charged to the layers so far. */
static double sharded_comm(const struct gpu_spec *g, const struct graph *gr,
			   const struct gpu_run_opts *o,
			   struct gpu_result *out)
{
	double fwd = 0, bwd = 0;
	for (int l = 0; l < out->n_layers; l++) {
		fwd += out->layers[l].train_s[PASS_FWD];
		bwd += out->layers[l].train_s[PASS_BWD_DATA] +
		       out->layers[l].train_s[PASS_BWD_WEIGHT];
	}
	return gpu_shard_comm(g, gr, o, fwd, bwd, out);
}

/* ZeRO-1..3: each GPU updates only its shard of the parameters (the
 * optimizer's kernels move 1/N of the bytes; as many launches). */
static void shard_optimizer(const struct gpu_spec *g,
			    const struct gpu_run_opts *o, struct gpu_klist *tk)
{
	if (o->n_gpus <= 1 || o->shard <= GPU_SHARD_DDP)
		return;
	for (int i = 0; i < tk->n; i++) {
		struct gpu_kern *k = &tk->k[i];
		if (k->pass != PASS_UPDATE || k->layer >= 0)
			continue;
		k->bytes /= o->n_gpus;
		k->flops /= o->n_gpus;
		gpu_kern_time(g, k);
	}
}

/* The training step: forward and backward, what data parallelism adds,
 * then the optimizer update. */
static void train_step(const struct gpu_spec *g, const struct graph *gr,
		       const struct gpu_run_opts *o, struct gpu_klist *tk,
		       struct gpu_result *out)
{
	/* everything up to the optimizer, then the update */
	int first_upd = tk->n;
	while (first_upd > 0 && tk->k[first_upd - 1].pass == PASS_UPDATE &&
	       tk->k[first_upd - 1].layer < 0)
		first_upd--;
	double *ready = xcalloc((size_t)(gr->n_layers > 0 ? gr->n_layers : 1),
				sizeof(double));
	double host = o->style == GPU_GRAPH ? g->graph_launch_us * 1e-6 : 0;
	double dev = 0, dyn = 0;
	run(g, o, tk->k, 0, first_upd, &host, &dev, 1, out, &out->train,
	    ready, &dyn);
	double t1_bwd_end = dev > host ? dev : host;
	double exposed = 0;
	if (o->n_gpus > 1 && o->shard > GPU_SHARD_DDP)
		exposed = sharded_comm(g, gr, o, out);
	else if (o->n_gpus > 1)
		exposed = data_parallel(g, gr, o->n_gpus, ready, t1_bwd_end,
					out);
	out->exposed_comm_s = exposed;
	/* the optimizer waits for the last gradients */
	host += exposed;
	dev += exposed;
	if (o->style == GPU_EAGER) /* the optimizer's Python, zero_grad */
		host += g->step_us * 1e-6;
	run(g, o, tk->k, first_upd, tk->n, &host, &dev, 1, out, &out->train,
	    NULL, &dyn);
	out->train.host_s += o->style == GPU_EAGER ? g->step_us * 1e-6 : 0;
	finish_pass(g, &out->train, host, dev, dyn);
	if (exposed > 0) /* communication shows as overhead of the step */
		out->train.by_bound_s[GPU_BOUND_OVERHEAD] += exposed;
	out->train.bound = argmax3(out->train.by_bound_s);
	free(ready);
}

/* The inference batch; under ZeRO-3 (FSDP) the sharded model gathers
 * its weights in forward as in training. */
static void infer_batch(const struct gpu_spec *g, const struct graph *gr,
			const struct gpu_run_opts *o, struct gpu_klist *ik,
			struct gpu_result *out)
{
	double host = o->style == GPU_GRAPH ? g->graph_launch_us * 1e-6 : 0;
	double dev = 0, dyn = 0;
	run(g, o, ik->k, 0, ik->n, &host, &dev, 0, out, &out->infer, NULL,
	    &dyn);
	double fwd = host > dev ? host : dev;
	double exposed = gpu_shard_infer_comm(g, gr, o, fwd);
	host += exposed;
	dev += exposed;
	finish_pass(g, &out->infer, host, dev, dyn);
	if (exposed > 0) /* communication shows as overhead */
		out->infer.by_bound_s[GPU_BOUND_OVERHEAD] += exposed;
	out->infer.bound = argmax3(out->infer.by_bound_s);
}

/* The step and the inference batch as `o` says (its batch, micro-batches
 * and checkpointing). */
static int estimate_plan(const struct gpu_spec *g, const struct graph *gr,
			 const struct gpu_run_opts *o, struct gpu_result *out,
			 struct diag *d)
{
	memset(out, 0, sizeof(*out));
	struct gpu_klist tk, ik;
	int64_t params = 0;
	if (gpu_kernels(g, gr, o, 1, &tk, &params, d))
		return WS_EINPUT;
	if (gpu_kernels(g, gr, o, 0, &ik, &params, d)) {
		gpu_klist_release(&tk);
		return WS_EINPUT;
	}
	shard_optimizer(g, o, &tk);
	out->batch = o->batch;
	out->params = params;
	out->train_memory_bytes = gpu_train_memory_bytes(gr, o);
	out->n_layers = gr->n_layers;
	out->layers = xcalloc((size_t)(gr->n_layers > 0 ? gr->n_layers : 1),
			      sizeof(*out->layers));
	for (int l = 0; l < gr->n_layers; l++)
		out->layers[l].layer = l;
	train_step(g, gr, o, &tk, out);
	infer_batch(g, gr, o, &ik, out);
	for (int l = 0; l < gr->n_layers; l++)
		out->layers[l].bound = argmax3(out->layers[l].by_bound_s);
	double exposed = out->exposed_comm_s;
	if (o->n_gpus > 1)
		out->scaling_efficiency =
			(out->train.seconds - exposed) / out->train.seconds;
	else
		out->scaling_efficiency = 1;
	int steps = o->micro_batches > 1 ? o->micro_batches : 1;
	out->samples_per_s = (double)o->batch * steps * o->n_gpus /
			     out->train.seconds;
	out->cluster_energy_j = out->train.energy_j * o->n_gpus;
	gpu_klist_release(&tk);
	gpu_klist_release(&ik);
	return WS_OK;
}

/* Inference of the whole batch at once (no gradients or optimizer state:
 * it fits where training did not), replacing the micro-batch figures. */
static int infer_full_batch(const struct gpu_spec *g, const struct graph *gr,
			    const struct gpu_run_opts *o,
			    struct gpu_result *out, struct diag *d)
{
	struct gpu_klist ik;
	int64_t params = 0;
	if (gpu_kernels(g, gr, o, 0, &ik, &params, d))
		return WS_EINPUT;
	memset(&out->infer, 0, sizeof(out->infer));
	for (int l = 0; l < out->n_layers; l++) {
		out->layers[l].infer_s = 0;
		out->layers[l].kernels_infer = 0;
	}
	infer_batch(g, gr, o, &ik, out);
	gpu_klist_release(&ik);
	return WS_OK;
}

/* Estimate o as planned and keep the faster of *best and it (*have: best
 * holds one). */
static int try_plan(const struct gpu_spec *g, const struct graph *gr,
		    const struct gpu_run_opts *o, enum gpu_fit fit,
		    struct gpu_result *best, int *have, struct diag *d)
{
	struct gpu_result r;
	if (estimate_plan(g, gr, o, &r, d))
		return WS_EINPUT;
	r.fit = fit;
	r.micro_batches = o->micro_batches > 1 ? o->micro_batches : 1;
	r.micro_batch = o->batch;
	if (*have && r.train.seconds >= best->train.seconds) {
		gpu_result_release(&r);
		return WS_OK;
	}
	if (*have)
		gpu_result_release(best);
	*best = r;
	*have = 1;
	return WS_OK;
}

/*
 * A batch that does not fit: what a user would do.  Gradient accumulation
 * over k micro-batches of ceil(batch / k), the fewest that fit; or
 * activation checkpointing (one more forward before backward, saved
 * activations down to 2 / sqrt(layers)) of the whole batch or, when that
 * does not fit either, of the fewest micro-batches that do; whichever
 * step is fastest.  Not even one sample fitting is an error (gpu_estimate
 * chooses a sharding and a GPU count where one does).
 */
static int estimate_fitted(const struct gpu_spec *g, const struct graph *gr,
			   const struct gpu_run_opts *o, double full,
			   struct gpu_result *out, struct diag *d)
{
	double cap = g->mem_gbytes * 1e9;
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	double state = gpu_shard_state_bytes(&m, o->shard, o->n_gpus);
	int have = 0;
	for (int ck = 0; ck < 2; ck++) {
		double acts = gpu_acts_per_sample(&m, ck);
		if (state + acts > cap)
			continue;
		int64_t fit = (int64_t)floor((cap - state) / acts);
		struct gpu_run_opts p = *o;
		enum gpu_fit f = ck ? GPU_FIT_CHECKPOINT : GPU_FIT_ACCUMULATE;
		p.checkpoint = ck;
		if (fit < o->batch) {
			p.micro_batches = (int)((o->batch + fit - 1) / fit);
			p.batch = (o->batch + p.micro_batches - 1) /
				  p.micro_batches;
			f = ck ? GPU_FIT_BOTH : f;
		}
		if (try_plan(g, gr, &p, f, out, &have, d)) {
			if (have)
				gpu_result_release(out);
			return WS_EINPUT;
		}
	}
	if (!have) {
		diag_add(d, NULL, 0, 0,
			 "gpu: '%s' does not fit on %s with %s over %d GPUs "
			 "even one sample at a time: weights, gradients and "
			 "optimizer state take %.2f GB of %.0f GB",
			 gr->name ? gr->name : "network", g->name,
			 gpu_shard_name(o->shard), o->n_gpus, state / 1e9,
			 g->mem_gbytes);
		return WS_EINPUT;
	}
	out->batch = o->batch;
	out->fits = 0;
	out->full_memory_bytes = full;
	return infer_full_batch(g, gr, o, out, d);
}

/* The step with the sharding o says: as asked, or fitted. */
static int estimate_stage(const struct gpu_spec *g, const struct graph *gr,
			  const struct gpu_run_opts *o, struct gpu_result *out,
			  struct diag *d)
{
	struct gpu_run_opts whole = *o, run_o = *o;
	whole.micro_batches = 0;
	whole.checkpoint = 0;
	double full = gpu_train_memory_bytes(gr, &whole);
	int acc = o->micro_batches > 1, rc;
	if (!acc && !o->checkpoint && full > g->mem_gbytes * 1e9) {
		rc = estimate_fitted(g, gr, o, full, out, d);
	} else {
		if (acc) /* the batch is split into micro-batches */
			run_o.batch = (o->batch + o->micro_batches - 1) /
				      o->micro_batches;
		if (estimate_plan(g, gr, &run_o, out, d))
			return WS_EINPUT;
		out->batch = o->batch;
		out->full_memory_bytes = full;
		out->fits = full <= g->mem_gbytes * 1e9;
		out->fit = acc && o->checkpoint ? GPU_FIT_BOTH
			   : acc		 ? GPU_FIT_ACCUMULATE
			   : o->checkpoint	 ? GPU_FIT_CHECKPOINT
						 : GPU_FIT_AS_IS;
		out->micro_batches = acc ? o->micro_batches : 1;
		out->micro_batch = run_o.batch;
		rc = acc ? infer_full_batch(g, gr, o, out, d) : WS_OK;
	}
	if (rc)
		return rc;
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	out->runs = 1;
	out->n_gpus = o->n_gpus;
	out->shard = o->shard;
	out->state_bytes = gpu_shard_state_bytes(&m, o->shard, o->n_gpus);
	return WS_OK;
}

/* No number of GPUs holds one sample: say why, no time. */
static void cannot_run(const struct gpu_spec *g, const struct graph *gr,
		       const struct gpu_run_opts *o, const struct gpu_mem *m,
		       struct gpu_result *out)
{
	double w = gpu_shard_state_bytes(m, GPU_SHARD_ZERO2, 1 << 30);
	double u = gpu_shard_state_bytes(m, GPU_SHARD_ZERO3, 1 << 30);
	out->runs = 0;
	out->n_gpus = o->n_gpus;
	out->batch = o->batch;
	out->shard = GPU_SHARD_ZERO3;
	snprintf(out->why, sizeof(out->why),
		 "'%s' cannot train on any number of %s: one sample's "
		 "activations, checkpointed, take %.2f GB and what no "
		 "sharding spreads (ZeRO-2: the weights, %.2f GB; ZeRO-3: two "
		 "gathered layers, %.2f GB) does not fit beside them in %.0f "
		 "GB", gr->name ? gr->name : "network", g->name,
		 gpu_acts_per_sample(m, 1) / 1e9, w / 1e9, u / 1e9,
		 g->mem_gbytes);
}

/*
 * What a user would do when the state does not fit: the fewest GPUs (at
 * least o->n_gpus) on which some sharding holds the state and one
 * checkpointed sample; on them the least sharding that does (DDP, ZeRO-1,
 * -2, -3), the batch fitted to what memory is left.
 */
static int estimate_auto(const struct gpu_spec *g, const struct graph *gr,
			 struct gpu_run_opts *o, struct gpu_result *out,
			 struct diag *d)
{
	struct gpu_mem m;
	gpu_train_memory_split(gr, o, &m);
	int n = gpu_shard_gpus(g, &m, o->n_gpus);
	if (!n) {
		cannot_run(g, gr, o, &m, out);
		return WS_OK;
	}
	if (n != o->n_gpus && o->global_batch > 0)
		o->batch = (o->global_batch + n - 1) / n;
	o->n_gpus = n;
	double room = g->mem_gbytes * 1e9 - gpu_acts_per_sample(&m, 1);
	int s = GPU_SHARD_DDP;
	while (n > 1 && s < GPU_SHARD_ZERO3 &&
	       gpu_shard_state_bytes(&m, (enum gpu_shard)s, n) > room)
		s++;
	o->shard = (enum gpu_shard)s;
	return estimate_stage(g, gr, o, out, d);
}

int gpu_estimate(const struct gpu_spec *g, const struct graph *gr,
		 const struct gpu_run_opts *opts, struct gpu_result *out,
		 struct diag *d)
{
	struct gpu_run_opts o = *opts;
	memset(out, 0, sizeof(*out));
	if (normalize_opts(gr, &o, d))
		return WS_EINPUT;
	int rc = o.shard == GPU_SHARD_AUTO ? estimate_auto(g, gr, &o, out, d)
					   : estimate_stage(g, gr, &o, out, d);
	out->asked_gpus = opts->n_gpus > 1 ? opts->n_gpus : 1;
	return rc;
}

const char *gpu_fit_name(enum gpu_fit f)
{
	static const char *const names[] = {
		"as-is", "gradient-accumulation", "activation-checkpointing",
		"checkpointing-and-accumulation"};
	return (unsigned)f < 4 ? names[f] : "?";
}
