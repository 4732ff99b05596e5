/*
 * test_measured.c: the readers of measurement files (`validate wafer`'s
 * CSV, sim/wafer_val.c; `validate gpu`'s JSON lines, gpu/gpu_validate.c)
 * on the bad inputs their fuzz harnesses (tests/fuzz/) found: each is a
 * located error, or a row listed with the place in the file that named
 * what could not be loaded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "gpu/gpu_validate.h"
#include "machine/machine.h"
#include "sim/wafer_val.h"
#include "test_util.h"

static const char kernel_head[] =
	"kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles\n";
static const char net_head[] =
	"network,machine,wafers,mode,dtype,batch,samples_per_s,source_id\n";

/* wval_text on head + rows (network rows checked only); the return code,
 * *v and *d as it leaves them (the caller releases). */
static int parse(const char *head, const char *rows, struct wval *v,
		 struct diag *d)
{
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(machine_load("wse3", &m, d), 0);
	char *text = xasprintf("%s%s", head, rows);
	struct wval_opts o = {.parse_only = 1};
	int rc = wval_text("m.csv", text, &o, &m, v, d);
	free(text);
	return rc;
}

/* One bad row: WS_EINPUT, a message holding `what` at `where`. */
static void bad_row(const char *head, const char *row, const char *what,
		    const char *where)
{
	struct wval v;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse(head, row, &v, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, what));
	CU_ASSERT_TRUE(diag_contains(&d, where));
	if (!diag_contains(&d, what) || !diag_contains(&d, where))
		diag_print(&d, stderr);
	wval_release(&v);
	diag_release(&d);
}

/* An empty P was taken as 0 and divided by (UBSan, fuzz_wafer_csv). */
static void test_kernel_p_empty(void)
{
	bad_row(kernel_head, "MeshGEMM,,8,8,8,,2,2,2,100\n", "'P' must be",
		"(m.csv:2:10)");
}

/* A tile times P beyond int64 wrapped to a dimension of 0; dimensions past
 * what a layer may have, and a kernel past 2^53 multiply-accumulates, are
 * refused where they are written. */
static void test_kernel_sizes(void)
{
	bad_row(kernel_head, "MeshGEMM,4,,,,,4611686018427387904,2,2,100\n",
		"'Mt' must be a whole number in [0, 2147483647]",
		"(m.csv:2:16)");
	bad_row(kernel_head, "MeshGEMM,4,,,,,1073741824,1,1,100\n",
		"'Mt' times P must be at most", "(m.csv:2:16)");
	bad_row(kernel_head,
		"MeshGEMM,1,2147483647,2147483647,2147483647,,,,,100\n",
		"'M x K x N' must be at most 2^53", "(m.csv:2:12)");
	bad_row(kernel_head, "MeshGEMM,70000,,,,,1,1,1,100\n",
		"'P' must be a whole number in [1, 65536]", "(m.csv:2:10)");
}

/* An infinite measurement was taken and made the median NAN. */
static void test_infinite_measurements(void)
{
	bad_row(kernel_head, "MeshGEMM,4,,,,,1,1,1,1e999\n",
		"'mean_cycles' must be a number > 0 and finite", "(m.csv:2:22)");
	bad_row(kernel_head, "MeshGEMM,4,,,,,1,1,1,inf\n",
		"'mean_cycles' must be a number > 0 and finite", "(m.csv:2:22)");
	bad_row(net_head, "p1b2,mini64,1,streaming,fp16,8,inf,a\n",
		"'samples_per_s' must be a number > 0 and finite",
		"(m.csv:2:32)");
}

/* A UTF-8 byte order mark before the header is not part of it. */
static void test_bom(void)
{
	char *head = xasprintf("\xef\xbb\xbf%s", kernel_head);
	struct wval v;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse(head, "MeshGEMM,4,,,,,1,1,1,100\n", &v, &d), 0);
	CU_ASSERT_EQUAL(v.n, 1);
	CU_ASSERT_EQUAL(v.n_predicted, 1);
	wval_release(&v);
	diag_release(&d);
	free(head);
}

/* A network row naming a file that is not there: listed, with the field
 * of the measurement file that named it (file:line:col), as is a machine
 * that does not load. */
static void test_network_row_located(void)
{
	char *dir = tu_temp_dir();
	char *csv = xasprintf("%s/m.csv", dir);
	FILE *f = fopen(csv, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%snosuch.yaml,mini64,1,streaming,fp16,8,1000,a\n"
		   "p1b2, nosuchmachine,1,streaming,fp16,8,1000,a\n"
		   "/dev/null,mini64,1,streaming,fp16,8,1000,a\n",
		net_head);
	fclose(f);
	struct wval_opts o = {.machine = "wse3"};
	struct wval v;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(wval_file(csv, &o, &v, &d), 0);
	CU_ASSERT_EQUAL(v.n_skipped, 3);
	char *at1 = xasprintf("(%s:2:1)", csv), *at2 = xasprintf("(%s:3:7)",
								 csv);
	if (v.n == 3) {
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[0].skipped, "nosuch"));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[0].skipped, at1));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[1].skipped, at2));
		/* a device is there, but is not a network file */
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[2].skipped,
					      "must be a regular file, got a "
					      "device"));
	}
	wval_release(&v);
	diag_release(&d);
	free(at1);
	free(at2);
	free(csv);
	tu_rm_rf(dir);
}

/* validate gpu: a "network_file" that is missing or not a network is a
 * row listed with the place of its "network_file" key. */
static void test_gpu_network_file_located(void)
{
	char *dir = tu_temp_dir();
	char *jl = xasprintf("%s/t.jsonl", dir);
	char *onnx = xasprintf("%s/bad.onnx", dir);
	FILE *f = fopen(onnx, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("garbage", f);
	fclose(f);
	f = fopen(jl, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("{\"model\": \"a\", \"network_file\": \"nosuch.onnx\", "
	      "\"batch\": 8, \"precision\": \"fp32\", \"train\": "
	      "{\"median_ms\": 1}}\n"
	      "{\"batch\": 8, \"model\": \"b\", \"network_file\": \"bad.onnx\", "
	      "\"precision\": \"fp32\", \"train\": {\"median_ms\": 1}}\n"
	      "{\"model\": \"p1b2\", \"network_file\": 5, \"batch\": 8, "
	      "\"precision\": \"fp32\", \"train\": {\"median_ms\": 1}}\n"
	      "{\"model\": \"c\", \"network_file\": \"p1b2\", \"batch\": 8, "
	      "\"precision\": \"fp32\", \"train\": {\"median_ms\": 1}}\n",
	      f);
	fclose(f);
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, &d), 0);
	struct gpu_val v;
	CU_ASSERT_EQUAL(gpu_validate_file_in(&g, jl, NULL, 0, &v, &d), 0);
	/* a wrong type is not ignored (the row's model, p1b2, is not used
	 * instead), nor is a file named like a zoo network looked up there */
	CU_ASSERT_EQUAL(v.n_skipped, 4);
	char *at1 = xasprintf("(%s:1:16)", jl), *at2 = xasprintf("(%s:2:28)",
								 jl);
	char *at3 = xasprintf("(%s:3:19)", jl), *at4 = xasprintf("(%s:4:16)",
								 jl);
	if (v.n == 4 && v.n_skipped == 4) {
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[0].skipped, at1));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[1].skipped, at2));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[1].skipped, "onnx"));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[2].skipped, at3));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[2].skipped, "a number"));
		CU_ASSERT_PTR_NOT_NULL(strstr(v.rows[3].skipped, at4));
	}
	free(at3);
	free(at4);
	gpu_val_release(&v);
	diag_release(&d);
	free(at1);
	free(at2);
	free(jl);
	free(onnx);
	tu_rm_rf(dir);
}

/* validate gpu: a row with a bad field is listed with the place of the
 * field (file:line:col), not the line alone. */
static void test_gpu_fields_located(void)
{
	char *jl = tu_temp_file(".jsonl",
		"{\"model\": \"p1b2\", \"batch\": -32, \"precision\": "
		"\"fp32\", \"train\": {\"median_ms\": 4.0}}\n"
		"{\"model\": \"p1b2\", \"batch\": 32, \"precision\": \"fp7\", "
		"\"train\": {\"median_ms\": 4.0}}\n"
		"{\"model\": \"p1b2\", \"batch\": 32, \"precision\": "
		"\"fp32\", \"train\": {\"median_ms\": \"nan\"}}\n");
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, &d), 0);
	struct gpu_val v;
	CU_ASSERT_EQUAL(gpu_validate_file_in(&g, jl, NULL, 0, &v, &d), 0);
	CU_ASSERT_EQUAL(v.n_skipped, 3);
	static const char *const at[3] = {":1:19)", ":2:32)", ":3:53)"};
	for (int i = 0; i < 3 && i < v.n; i++) {
		char *want = xasprintf("(%s%s", jl, at[i]);
		CU_ASSERT_TRUE(v.rows[i].skipped &&
			       strstr(v.rows[i].skipped, want));
		free(want);
	}
	gpu_val_release(&v);
	diag_release(&d);
	remove(jl);
	free(jl);
}

int suite_measured(void);
int suite_measured(void)
{
	static const struct tu_test tests[] = {
		{"wafer CSV: empty P", test_kernel_p_empty},
		{"wafer CSV: sizes past int64 and 2^53", test_kernel_sizes},
		{"wafer CSV: infinite measurements",
		 test_infinite_measurements},
		{"wafer CSV: byte order mark", test_bom},
		{"wafer CSV: network rows located", test_network_row_located},
		{"GPU JSON lines: network_file located",
		 test_gpu_network_file_located},
		{"GPU JSON lines: bad fields located", test_gpu_fields_located},
		{0},
	};
	return tu_add_suite("measured", tests);
}
