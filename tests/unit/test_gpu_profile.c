/* test_gpu_profile.c: measured per-kernel profiles against the GPU model
 * (gpu/gpu_profile.c; tools/measure_gpu.py --profile writes them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "gpu/gpu_profile.h"
#include "ground/util.h"
#include "test_util.h"

/* Kernel names as PyTorch's profiler records them (from public profiles:
 * PyTorch issues #146817 and #57034, NVIDIA/cudnn-frontend#134, the
 * H100's cuBLAS 12 `nvjet` kernels), sorted by hand. */
static void test_kinds(void)
{
	static const struct {
		const char *name;
		enum gpu_pkind kind;
	} cases[] = {
		{"nvjet_hsh_128x256_64x4_1x2_h_bz_coopA_NTT", GPU_PK_GEMM},
		{"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_"
		 "warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas",
		 GPU_PK_GEMM},
		{"ampere_sgemm_128x64_tn", GPU_PK_GEMM},
		{"void cutlass::Kernel2<cutlass_80_wmma_tensorop_bf16_s161616gemm"
		 "_bf16_32x32_32x1_nn_align1>(Params)", GPU_PK_GEMM},
		{"void splitKreduce_kernel<32, 16, int, float, float, float, "
		 "float, true, false, false>(cublasSplitKParams<float>)",
		 GPU_PK_GEMM},
		{"void gemv2T_kernel_val<int, int, float, float, float, float, "
		 "128, 16, 4, 4, false, false>", GPU_PK_GEMM},
		{"fmha_cutlassF_f32_aligned_64x64_rf_sm80(PyTorchMemEffAttention"
		 "::AttentionKernel<float, cutlass::arch::Sm80>::Params)",
		 GPU_PK_ATTN},
		{"void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits>",
		 GPU_PK_ATTN},
		/* says "fprop" too: attention is sorted first */
		{"cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_"
		 "knob_3_64x64x128_4x1x1_kernel0_0", GPU_PK_ATTN},
		/* says "gemm" too: convolutions before GEMMs */
		{"sm80_xmma_fprop_implicit_gemm_tf32f32_tf32f32_f32_nchwkcrs_"
		 "nchw_tilesize128x128x16_stage4_warpsize2x2x1_g1_tensor16x8x8_"
		 "kernel", GPU_PK_CONV},
		{"sm90_xmma_wgrad_implicit_gemm_indexed_f32f32_tf32f32_f32_nhwckrsc"
		 "_nhwc", GPU_PK_CONV},
		{"void cudnn::detail::dgrad_engine<float, 128, 6, 7, 3, 3, 5, "
		 "false>", GPU_PK_CONV},
		{"void at::native::(anonymous namespace)::conv_depthwise2d_"
		 "backward_kernel<0, 1, float, int>", GPU_PK_CONV},
		{"void nchwToNhwcKernel<float, float, float, true, false, "
		 "(cudnnKernelDataType_t)0>", GPU_PK_MEM},
		{"void cudnn::bn_fw_tr_1C11_kernel_NCHW<float, float, int, 512, "
		 "true, 1>", GPU_PK_MEM},
		{"void at::native::vectorized_elementwise_kernel<4, "
		 "at::native::CUDAFunctor_add<float>>", GPU_PK_MEM},
		{"Memcpy DtoD (Device -> Device)", GPU_PK_MEM},
		{"", GPU_PK_MEM},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum gpu_pkind k = gpu_pkind_of(cases[i].name);
		if (k != cases[i].kind)
			fprintf(stderr, "\n    '%s': %s, expected %s\n",
				cases[i].name, gpu_pkind_name(k),
				gpu_pkind_name(cases[i].kind));
		CU_ASSERT_EQUAL(k, cases[i].kind);
	}
}

/* One good row (sums by kind worked by hand below), then rows that
 * cannot be compared, each located at its wrong field. */
static void test_rows(void)
{
	struct gpu_spec g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, &d), 0);
	char *f = tu_temp_file(".jsonl",
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"fp32\", "
		"\"phase\": \"infer\", \"kernels\": ["
		"{\"name\": \"ampere_sgemm_128x64_tn\", \"calls\": 10, "
		"\"device_us\": 250.5}, "
		"{\"name\": \"nvjet_sss_64x8_64x16_2x1_v_bz_TNT\", \"calls\": 2, "
		"\"device_us\": 19.5}, "
		"{\"name\": \"void at::native::vectorized_elementwise_kernel<4, "
		"at::native::(anonymous namespace)::launch_clamp_scalar>\", "
		"\"calls\": 9, \"device_us\": 30}, "
		"{\"name\": \"Memcpy DtoD (Device -> Device)\", \"calls\": 1.5, "
		"\"device_us\": 4}]}\n"
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"fp32\", "
		"\"phase\": \"both\", \"kernels\": []}\n"
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"fp32\", "
		"\"phase\": \"train\", \"kernels\": 3}\n"
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"fp32\", "
		"\"phase\": \"train\", \"kernels\": [{\"name\": \"k\", "
		"\"calls\": 1, \"device_us\": -1}]}\n"
		"{\"model\": \"no_such_net\", \"batch\": 8, \"precision\": "
		"\"fp32\", \"phase\": \"train\", \"kernels\": []}\n");
	struct gpu_prof p;
	CU_ASSERT_EQUAL_FATAL(gpu_profile_file(&g, f, NULL, 0, &p, &d), 0);
	CU_ASSERT_EQUAL(p.n, 5);
	CU_ASSERT_EQUAL(p.n_compared, 1);
	CU_ASSERT_EQUAL(p.n_skipped, 4);
	const struct gpu_prof_row *r = &p.rows[0];
	CU_ASSERT_PTR_NULL_FATAL(r->id.skipped);
	CU_ASSERT_EQUAL(r->train, 0);
	/* GEMMs: 10 + 2 calls, 250.5 + 19.5 us; memory: 9 + 1.5 calls,
	 * 30 + 4 us; no attention, no convolution */
	CU_ASSERT_DOUBLE_EQUAL(r->meas_n[GPU_PK_GEMM], 12, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(r->meas_s[GPU_PK_GEMM], 270e-6, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(r->meas_n[GPU_PK_MEM], 10.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(r->meas_s[GPU_PK_MEM], 34e-6, 1e-15);
	CU_ASSERT_EQUAL(r->meas_n[GPU_PK_ATTN], 0);
	CU_ASSERT_EQUAL(r->meas_n[GPU_PK_CONV], 0);
	/* the model's side adds up to what `wafersim gpu` says of the same
	 * inference batch: its kernels and its device busy time */
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = 32;
	o.dtype = DT_FP32;
	struct graph net;
	char *uno = tu_path("models/nets/uno.yaml");
	CU_ASSERT_EQUAL_FATAL(graph_load(uno, OPT_MOMENTUM, &net, &d), 0);
	free(uno);
	struct gpu_result res;
	CU_ASSERT_EQUAL_FATAL(gpu_estimate(&g, &net, &o, &res, &d), 0);
	double pn = 0, ps = 0;
	for (int k = 0; k < GPU_PK_COUNT; k++) {
		pn += r->pred_n[k];
		ps += r->pred_s[k];
	}
	CU_ASSERT_DOUBLE_EQUAL(pn, res.infer.kernels, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ps, res.infer.device_busy_s, 1e-12);
	CU_ASSERT(r->pred_n[GPU_PK_GEMM] > 0 && r->pred_n[GPU_PK_MEM] > 0);
	CU_ASSERT_EQUAL(r->pred_n[GPU_PK_CONV], 0); /* an MLP */
	gpu_result_release(&res);
	graph_release(&net);
	/* the rows not compared say why and where */
	CU_ASSERT(strstr(p.rows[1].id.skipped, "'phase'") != NULL);
	CU_ASSERT(strstr(p.rows[1].id.skipped, ":2:") != NULL);
	CU_ASSERT(strstr(p.rows[2].id.skipped, "'kernels' must be a list") !=
		  NULL);
	CU_ASSERT(strstr(p.rows[2].id.skipped, ":3:") != NULL);
	CU_ASSERT(strstr(p.rows[3].id.skipped, "entry 1") != NULL);
	CU_ASSERT(strstr(p.rows[4].id.skipped, "no_such_net") != NULL);
	gpu_prof_release(&p);
	remove(f);
	free(f);
	/* not JSON lines, or no row at all: the file is refused */
	f = tu_temp_file(".jsonl", "{\"model\": \"uno\"\n");
	CU_ASSERT_EQUAL(gpu_profile_file(&g, f, NULL, 0, &p, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, ":1:"));
	remove(f);
	free(f);
	f = tu_temp_file(".jsonl", "\n");
	CU_ASSERT_EQUAL(gpu_profile_file(&g, f, NULL, 0, &p, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "got none"));
	remove(f);
	free(f);
	diag_release(&d);
}

/* tools/measure_gpu.py's profile writer (with a stand-in for PyTorch's
 * profiler: tests/unit/measure_profile_check.py) writes rows that
 * `wafersim validate gpu --profile` reads, with the sums it was given. */
static void test_writer(void)
{
	if (system("python3 -c 'import sys' >/dev/null 2>&1") != 0)
		return; /* no Python here: nothing to check (the writer needs
			   neither PyYAML nor PyTorch, which it stands in for) */
	char *script = tu_path("tests/unit/measure_profile_check.py");
	char *cmd = xasprintf("python3 '%s' '%s' 2>&1", script, WAFERSIM_BIN);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	int rc = pclose(p);
	if (rc != 0)
		fprintf(stderr, "\n%s\n", buf);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(strstr(buf, "profile writer: ok") != NULL);
	free(cmd);
	free(script);
}

int suite_gpu_profile(void);
int suite_gpu_profile(void)
{
	static const struct tu_test tests[] = {
		{"kernel names by kind", test_kinds},
		{"rows: sums by kind, the model's side, errors", test_rows},
		{"measure_gpu.py --profile writes what validate reads",
		 test_writer},
		{0},
	};
	return tu_add_suite("gpu_profile", tests);
}
