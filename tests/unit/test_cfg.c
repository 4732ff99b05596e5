/*
 * test_cfg.c: the schema-driven YAML loader, through the machine schema:
 * every error kind with its message and location, all errors reported,
 * and dump -> load -> dump giving identical bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"
#include "ground/util.h"
#include "test_util.h"

static const char base_yaml[] = "name: t\n"
				"grid:\n"
				"  width: 8\n"
				"  height: 4\n";

/* Load `text` as file "t.yaml"; returns rc, leaves messages in *d. */
static int load(const char *text, struct machine *m, struct diag *d)
{
	diag_init(d);
	return machine_load_string("t.yaml", text, m, d);
}

static void expect_error(const char *text, const char *needle)
{
	struct machine m;
	struct diag d;
	int rc = load(text, &m, &d);
	CU_ASSERT_EQUAL(rc, WS_EINPUT);
	if (!diag_contains(&d, needle)) {
		fprintf(stderr, "\nexpected an error containing: %s\ngot:\n",
			needle);
		diag_print(&d, stderr);
	}
	CU_ASSERT_TRUE(diag_contains(&d, needle));
	diag_release(&d);
}

static void test_minimal_defaults(void)
{
	struct machine m;
	struct diag d;
	CU_ASSERT_EQUAL(load(base_yaml, &m, &d), 0);
	CU_ASSERT_EQUAL(diag_count(&d), 0);
	CU_ASSERT_STRING_EQUAL(m.name, "t");
	CU_ASSERT_EQUAL(m.width, 8);
	CU_ASSERT_EQUAL(m.height, 4);
	CU_ASSERT_EQUAL(m.pe.sram_bytes, 49152);	/* default */
	CU_ASSERT_EQUAL(m.fabric.colors, 24);
	CU_ASSERT_EQUAL(m.io.edges, EDGE_WEST | EDGE_EAST);
	CU_ASSERT_DOUBLE_EQUAL(m.clock_ghz, 0.85, 1e-12);
	diag_release(&d);
}

static void test_unknown_key(void)
{
	expect_error("name: t\ngrid:\n  width: 8\n  height: 4\n  depth: 3\n",
		     "machine: unknown key 'grid.depth' (expected one of: "
		     "width, height) (t.yaml:5:3)");
}

static void test_wrong_type(void)
{
	expect_error("name: t\ngrid:\n  width: eight\n  height: 4\n",
		     "machine: 'grid.width' must be an integer, got 'eight' "
		     "(t.yaml:3:10)");
	expect_error("name: t\ngrid:\n  width: 8\n  height: 4\nclock_ghz: "
		     "fast\n",
		     "'clock_ghz' must be a number, got 'fast' (t.yaml:5:12)");
	expect_error("name: t\ngrid: 5\n",
		     "'grid' must be a mapping of keys, got a scalar "
		     "(t.yaml:2:7)");
	expect_error("name: t\ngrid:\n  width: [1, 2]\n  height: 4\n",
		     "'grid.width' must be an integer, got a list (t.yaml:3:10)");
	expect_error("name: t\ngrid:\n  width: \"8\"\n  height: 4\n",
		     "'grid.width' must be an integer, got '8'");
	expect_error(
		"name: t\ngrid:\n  width: 8\n  height: 4\nio:\n  edges: [up]\n",
		"'io.edges' items must be among 'west', 'east', 'north', "
		"'south', got 'up' (t.yaml:6:11)");
}

static void test_out_of_range(void)
{
	expect_error("name: t\ngrid:\n  width: 0\n  height: 4\n",
		     "machine: 'grid.width' must be in [1, 4096] PE, got 0 "
		     "(t.yaml:3:10)");
	expect_error("name: t\ngrid:\n  width: 8\n  height: 4\nclock_ghz: "
		     "-1\n",
		     "'clock_ghz' must be in [0.001, 100.0] GHz, got -1 "
		     "(t.yaml:5:12)");
}

static void test_duplicate_key(void)
{
	expect_error("name: t\ngrid:\n  width: 8\n  height: 4\n  width: 9\n",
		     "machine: duplicate key 'grid.width', first given at line "
		     "3 (t.yaml:5:3)");
}

static void test_malformed(void)
{
	expect_error("name: t\ngrid:\n  width: 8\n   height: [4\n",
		     "machine: file must be valid YAML");
	struct machine m;
	struct diag d;
	load("name: t\ngrid: {width: 8, height: 4\n", &m, &d);
	/* located: the message carries file:line:col */
	CU_ASSERT_TRUE(diag_contains(&d, "(t.yaml:"));
	diag_release(&d);
}

static void test_empty_and_missing(void)
{
	expect_error("", "machine: file is empty, expected a mapping of machine "
			 "keys (t.yaml:1:1)");
	expect_error("# only a comment\n", "file is empty");
	expect_error("- a\n- b\n", "expected a mapping of machine keys at the "
				   "top level, got a list (t.yaml:1:1)");
	expect_error("grid:\n  width: 8\n  height: 4\n",
		     "missing required key 'name'");
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(machine_load("/nonexistent/dir/x.yaml", &m, &d),
			WS_EIO);
	CU_ASSERT_TRUE(diag_contains(&d, "/nonexistent/dir/x.yaml"));
	diag_release(&d);
	diag_init(&d);
	CU_ASSERT_EQUAL(machine_load("no_such_preset", &m, &d), WS_EIO);
	CU_ASSERT_TRUE(diag_contains(&d, "no preset named 'no_such_preset'"));
	diag_release(&d);
}

static void test_all_errors_reported(void)
{
	struct machine m;
	struct diag d;
	int rc = load("name: t\n"
		      "grid:\n"
		      "  width: 0\n"
		      "  height: x\n"
		      "colour: 3\n"
		      "fabric:\n"
		      "  colors: 99\n",
		      &m, &d);
	CU_ASSERT_EQUAL(rc, WS_EINPUT);
	CU_ASSERT_EQUAL(diag_count(&d), 4);
	CU_ASSERT_TRUE(diag_contains(&d, "'grid.width' must be in"));
	CU_ASSERT_TRUE(diag_contains(&d, "'grid.height' must be an integer"));
	CU_ASSERT_TRUE(diag_contains(&d, "unknown key 'colour'"));
	CU_ASSERT_TRUE(diag_contains(&d, "'fabric.colors' must be in [1, 64]"));
	diag_release(&d);
}

static void test_impossible_machine(void)
{
	expect_error("name: t\ngrid: {width: 8, height: 4}\n"
		     "pe:\n  sram_bytes: 4096\n  code_bytes: 8192\n",
		     "'pe.code_bytes' must leave room for data: expected less "
		     "than pe.sram_bytes = 4096, got 8192 (t.yaml:5:3)");
	expect_error("name: t\ngrid: {width: 8, height: 4}\n"
		     "pe:\n  sram_bytes: 49160\n",
		     "'pe.sram_bytes' must divide into 8 banks");
	expect_error("name: t\ngrid: {width: 8, height: 4}\nio:\n  edges: []\n",
		     "'io.edges' must name at least one edge");
}

static char *dump_to_string(const struct machine *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	machine_dump(m, f);
	fclose(f);
	return buf;
}

static void test_dump_roundtrip_presets(void)
{
	static const char *const presets[] = {"wse1", "wse2", "wse3", "mini16",
					      "mini64", "mini128"};
	for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
		struct machine a, b;
		struct diag d;
		diag_init(&d);
		int rc = machine_load(presets[i], &a, &d);
		if (rc)
			diag_print(&d, stderr);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		char *one = dump_to_string(&a);
		CU_ASSERT_EQUAL(machine_load_string("dump.yaml", one, &b, &d), 0);
		char *two = dump_to_string(&b);
		CU_ASSERT_STRING_EQUAL(one, two);
		CU_ASSERT_EQUAL(memcmp(&a.energy, &b.energy, sizeof(a.energy)),
				0);
		free(one);
		free(two);
		diag_release(&d);
	}
}

static void test_dump_exact_reals(void)
{
	struct machine a, b;
	struct diag d;
	CU_ASSERT_EQUAL_FATAL(load("name: \"odd \\\"name\\\"\"\n"
				   "grid: {width: 3, height: 5}\n"
				   "clock_ghz: 0.1234567890123\n"
				   "energy: {fma_fp16_pj: 1e-7}\n",
				   &a, &d),
			      0);
	char *one = dump_to_string(&a);
	CU_ASSERT_EQUAL(machine_load_string("dump.yaml", one, &b, &d), 0);
	CU_ASSERT_EQUAL(a.clock_ghz, b.clock_ghz);
	CU_ASSERT_EQUAL(a.energy.pe.fma_fp16_pj, b.energy.pe.fma_fp16_pj);
	CU_ASSERT_STRING_EQUAL(b.name, "odd \"name\"");
	free(one);
	diag_release(&d);
}

static void test_schema_doc(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cfg_print_schema(machine_schema, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "| `grid.width` | integer | PE | "
					   "[1, 4096] | (required) |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "| `fabric.colors` | integer |"));
	free(buf);
}

/* docs/machines.md carries the schema table: it must be the current one. */
static void test_docs_current(void)
{
	char *buf = NULL, *doc = NULL, *path = tu_path("docs/machines.md");
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cfg_print_schema(machine_schema, f);
	fclose(f);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(read_file(path, &doc, NULL, &d), 0);
	if (!strstr(doc, buf))
		fprintf(stderr, "\ndocs/machines.md is stale: regenerate it "
				"with 'wafersim machine schema'\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(doc, buf));
	free(buf);
	free(doc);
	free(path);
	diag_release(&d);
}

/* A text of `n` repetitions of `unit` between `head` and `tail` (heap). */
static char *repeat(const char *head, const char *unit, int n,
		    const char *tail)
{
	size_t lu = strlen(unit), lh = strlen(head);
	char *s = xmalloc(lh + lu * (size_t)n + strlen(tail) + 1);
	strcpy(s, head);
	for (int i = 0; i < n; i++)
		memcpy(s + lh + lu * (size_t)i, unit, lu);
	strcpy(s + lh + lu * (size_t)n, tail);
	return s;
}

static void test_deep_yaml(void)
{
	/* 100000 nested lists: refused at the 65th, located, no recursion */
	char *t = repeat("name: t\ngrid: ", "[", 100000, "\n");
	expect_error(t, "machine: lists and mappings must nest at most 64 "
			"deep (t.yaml:2:");
	free(t);
	t = repeat("name: t\ngrid: ", "{a: ", 64, "\n");
	expect_error(t, "nest at most 64 deep (t.yaml:2:");
	free(t);
}

/* `n` distinct keys under "extra" and k17 again: the duplicate is found
 * and located. */
static void dup_keys(int n)
{
	char *t = xmalloc((size_t)n * 16 + 64), *p = t;
	p += sprintf(p, "name: t\nextra:\n");
	for (int i = 0; i < n; i++)
		p += sprintf(p, "  k%d: 1\n", i);
	sprintf(p, "  k17: 2\n");
	char line[96];
	snprintf(line, sizeof(line),
		 "machine: duplicate key 'extra.k17', first given at line 20 "
		 "(t.yaml:%d:3)", n + 3);
	expect_error(t, line);
	free(t);
}

static void test_many_keys(void)
{
	/* found among many keys (that it takes linear time is make bench's:
	 * tests/bench/bench_yaml.sh) */
	dup_keys(6000);
	dup_keys(60000);
	/* more than 65536 keys in one mapping */
	char *t = xmalloc(70000 * 16 + 64), *p = t;
	p += sprintf(t, "name: t\nextra:\n");
	for (int i = 0; i < 70000; i++)
		p += sprintf(p, "  k%d: 1\n", i);
	expect_error(t, "machine: a mapping must have at most 65536 keys "
			"(t.yaml:65539:");
	free(t);
}

static void test_aliases_and_size(void)
{
	expect_error("name: &n t\ngrid:\n  width: *n\n",
		     "machine: aliases (*name) are not supported "
		     "(t.yaml:3:10)");
	/* a self-referencing alias (a cycle in libyaml's tree) */
	expect_error("grid: &a [*a]\n", "aliases (*name) are not supported");
	struct machine m;
	struct diag d;
	diag_init(&d);
	size_t big = (size_t)CFG_YAML_MAX_BYTES + 1;
	char *t = xmalloc(big + 1);
	memset(t, ' ', big);
	t[big] = 0;
	CU_ASSERT_EQUAL(cfg_load_string(machine_schema, "machine", "t.yaml", t,
					big, &m, NULL, &d),
			WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "machine: file must be at most "
					  "67108864 bytes for the YAML reader, "
					  "got 67108865 (t.yaml)"));
	free(t);
	diag_release(&d);
}

/* Issue 17 (inputs never seen): a NUL character in a quoted value ("\0")
 * is refused where it stands; the name was read as "" with exit 0. */
static void test_nul_in_value(void)
{
	expect_error("name: \"a\\0b\"\n",
		     "machine: a value must not hold a NUL character (\\0), "
		     "got one at character 2 of 'a...' (t.yaml:1:7)");
}

/* A line break in a string (a name, a description) would break the
 * tables, CSV rows, plan files and 'machine show' it is written into:
 * refused at the value, whether quoted or a block scalar. */
static void test_control_char_in_string(void)
{
	expect_error("name: \"a\\nb\"\ngrid: {width: 8, height: 4}\n",
		     "machine: 'name' must be one line of text, got the "
		     "control character 0x0a at character 2 (t.yaml:1:7)");
	expect_error("name: t\ndescription: |\n  one\n  two\n"
		     "grid: {width: 8, height: 4}\n",
		     "machine: 'description' must be one line of text, got "
		     "the control character 0x0a at character 4 (t.yaml:2:14)");
	expect_error("name: \"a\\tb\"\ngrid: {width: 8, height: 4}\n",
		     "control character 0x09 at character 2");
}

/* YAML 1.2 core-schema numbers, decimal only; the rest refused. */
static void test_number_text(void)
{
	int64_t i = -1;
	double r = -1;
	CU_ASSERT(cfg_parse_int("+5", &i) == 0 && i == 5);
	CU_ASSERT(cfg_parse_int("-0", &i) == 0 && i == 0);
	CU_ASSERT(cfg_parse_int("9223372036854775807", &i) == 0 &&
		  i == INT64_MAX);
	static const char *const bad_int[] = {
		"", "+", "017", "00", "0x10", "0o17", "1_000", "5.", "1e3",
		" 5", "5 ", "9223372036854775808", ".nan", "nan", "0b1"};
	for (size_t k = 0; k < sizeof(bad_int) / sizeof(*bad_int); k++)
		CU_ASSERT(cfg_parse_int(bad_int[k], &i) == -1);
	CU_ASSERT(cfg_parse_real("5.", &r) == 0 && r == 5.0);
	CU_ASSERT(cfg_parse_real(".5", &r) == 0 && r == 0.5);
	CU_ASSERT(cfg_parse_real("-2.5E+2", &r) == 0 && r == -250.0);
	CU_ASSERT(cfg_parse_real("0.25", &r) == 0 && r == 0.25);
	static const char *const bad_real[] = {
		"", ".", "-", "e5", "1e", "017", "0x10", "0x1p-1", "nan", "inf",
		"infinity", ".inf", "-.inf", ".nan", "1e400", "1e-400", "0_5",
		"1.5x"};
	for (size_t k = 0; k < sizeof(bad_real) / sizeof(*bad_real); k++)
		CU_ASSERT(cfg_parse_real(bad_real[k], &r) == -1);
	CU_ASSERT(r == 0.25); /* nothing stored on failure */
	/* quoted or !!str: text; !!int on a quoted scalar: a number */
	expect_error("name: t\ngrid: {width: '8', height: 4}\n",
		     "got '8' (quoted, or tagged !!str: a string where a "
		     "number is expected; write it unquoted) (t.yaml:2:15)");
	expect_error("name: t\ngrid: {width: !!str 8, height: 4}\n",
		     "got '8' (quoted, or tagged !!str");
	expect_error("name: t\ngrid: {width: 08, height: 4}\n",
		     "a leading 0 is octal in YAML 1.1");
	struct machine m;
	struct diag d;
	CU_ASSERT_EQUAL(load("name: t\ngrid: {width: !!int '8', height: 4}\n",
			     &m, &d), 0);
	CU_ASSERT_EQUAL(m.width, 8);
	diag_release(&d);
}

/* An explicit tag that contradicts the key's type is refused at the
 * value; one that agrees is read (!!int for an integer or a real key,
 * !!float for a real, !!bool for a bool, none but !!str for text). */
static void test_number_tags(void)
{
	expect_error("name: t\ngrid: {width: !!float 8, height: 4}\n",
		     "machine: 'grid.width' must be an integer, got '8' (tagged "
		     "!!float: a real number, not an integer) (t.yaml:2:15)");
	expect_error("name: t\ngrid: {width: !!bool 8, height: 4}\n",
		     "(tagged !!bool: true or false, not an integer)");
	expect_error("name: t\ngrid: {width: !!null 8, height: 4}\n",
		     "(tagged !!null: nothing, not an integer)");
	expect_error("name: t\ngrid: {width: 8, height: 4}\nclock_ghz: !!int "
		     "0.5\n",
		     "'clock_ghz' must be a number, got '0.5' (tagged !!int: an "
		     "integer, which it is not) (t.yaml:3:12)");
	expect_error("name: !!int 5\ngrid: {width: 8, height: 4}\n",
		     "'name' must be text, got '5' (tagged !!int: an integer, "
		     "not text) (t.yaml:1:7)");
	struct machine m;
	struct diag d;
	CU_ASSERT_EQUAL(load("name: t\ngrid: {width: !!int 8, height: 4}\n"
			     "clock_ghz: !!int 2\n",
			     &m, &d), 0);
	CU_ASSERT_EQUAL(m.width, 8);
	CU_ASSERT_EQUAL(m.clock_ghz, 2.0);
	diag_release(&d);
	CU_ASSERT_EQUAL(load("name: !!str 5\ngrid: {width: 8, height: 4}\n"
			     "clock_ghz: !!float 1.5\n",
			     &m, &d), 0);
	CU_ASSERT_EQUAL(m.clock_ghz, 1.5);
	CU_ASSERT_STRING_EQUAL(m.name, "5");
	diag_release(&d);
}

int suite_cfg(void)
{
	static const struct tu_test tests[] = {
		{"minimal file takes defaults", test_minimal_defaults},
		{"unknown key", test_unknown_key},
		{"wrong type", test_wrong_type},
		{"out of range", test_out_of_range},
		{"duplicate key", test_duplicate_key},
		{"malformed YAML", test_malformed},
		{"deep YAML", test_deep_yaml},
		{"many keys: duplicates located, at most 65536", test_many_keys},
		{"aliases and file size", test_aliases_and_size},
		{"empty and missing files", test_empty_and_missing},
		{"all errors reported", test_all_errors_reported},
		{"impossible machines", test_impossible_machine},
		{"dump/load/dump identical for presets", test_dump_roundtrip_presets},
		{"dump keeps reals and strings exact", test_dump_exact_reals},
		{"schema documentation", test_schema_doc},
		{"docs/machines.md is current", test_docs_current},
		{"NUL character in a value refused", test_nul_in_value},
		{"control character in a string refused",
		 test_control_char_in_string},
		{"numbers: YAML 1.2 core schema, decimal", test_number_text},
		{"explicit tags agree with the key's type", test_number_tags},
		{0},
	};
	return tu_add_suite("cfg", tests);
}
