/* test_json.c: the JSON reader and the JSON-lines reader. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ground/json.h"
#include "test_util.h"

static int parse(const char *text, struct json_value *v, struct diag *d)
{
	return json_parse(text, strlen(text), "t.json", 1, v, d);
}

static void test_values(void)
{
	struct diag d;
	struct json_value v;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse(" {\"a\": [1, -2.5e3, true, false, null],"
			      " \"b\": {\"c\": \"x\"}, \"e\": {}, \"f\": []} ",
			      &v, &d), 0);
	CU_ASSERT_EQUAL(v.type, JSON_OBJECT);
	CU_ASSERT_EQUAL(v.len, 4);
	const struct json_value *a = json_get(&v, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->type, JSON_ARRAY);
	CU_ASSERT_EQUAL(a->len, 5);
	CU_ASSERT_DOUBLE_EQUAL(a->items[0].num, 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(a->items[1].num, -2500, 0);
	CU_ASSERT_EQUAL(a->items[2].type, JSON_BOOL);
	CU_ASSERT_EQUAL(a->items[2].boolean, 1);
	CU_ASSERT_EQUAL(a->items[3].boolean, 0);
	CU_ASSERT_EQUAL(a->items[4].type, JSON_NULL);
	CU_ASSERT_STRING_EQUAL(json_string_at(&v, "b.c"), "x");
	CU_ASSERT_PTR_NULL(json_string_at(&v, "b.d"));
	CU_ASSERT_PTR_NULL(json_path(&v, "a.x"));
	double x = 0;
	CU_ASSERT_FALSE(json_number_at(&v, "b.c", &x));
	CU_ASSERT_EQUAL(json_get(&v, "e")->type, JSON_OBJECT);
	CU_ASSERT_EQUAL(json_get(&v, "f")->len, 0);
	/* locations: 'a' value starts at column 8 */
	CU_ASSERT_EQUAL(a->line, 1);
	CU_ASSERT_EQUAL(a->col, 8);
	json_release(&v);
	CU_ASSERT_EQUAL(diag_count(&d), 0);
	diag_release(&d);
}

static void test_strings(void)
{
	struct diag d;
	struct json_value v;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse("\"a\\\"b\\\\c\\/\\n\\t\\u00e9\\u20ac"
			      "\\ud83d\\ude00\\u0000z\"", &v, &d), 0);
	CU_ASSERT_EQUAL(v.type, JSON_STRING);
	const char want[] = "a\"b\\c/\n\t\xc3\xa9\xe2\x82\xac"
			    "\xf0\x9f\x98\x80\0z";
	CU_ASSERT_EQUAL(v.len, sizeof(want) - 1);
	CU_ASSERT(memcmp(v.str, want, sizeof(want) - 1) == 0);
	json_release(&v);
	diag_release(&d);
}

static void test_numbers(void)
{
	struct diag d;
	struct json_value v;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse("[0, -0.0, 1e2, 1E-2, 123456789012, NaN, "
			      "Infinity, -Infinity, 0.1]", &v, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(v.items[2].num, 100, 0);
	CU_ASSERT_DOUBLE_EQUAL(v.items[3].num, 0.01, 1e-18);
	CU_ASSERT_DOUBLE_EQUAL(v.items[4].num, 123456789012.0, 0);
	CU_ASSERT(isnan(v.items[5].num));
	CU_ASSERT(isinf(v.items[6].num) && v.items[6].num > 0);
	CU_ASSERT(isinf(v.items[7].num) && v.items[7].num < 0);
	CU_ASSERT_EQUAL(v.items[8].num, 0.1);
	json_release(&v);
	diag_release(&d);
}

/* Each bad text must fail with a message naming the expected thing and
 * the location. */
static void test_errors(void)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{"", "expected a value, got end of input (t.json:1:1)"},
		{"{\"a\" 1}", "expected ':' after a member name, got '1' "
			      "(t.json:1:6)"},
		{"[1, 2", "expected ',' or ']'"},
		{"[1,]", "expected a value, got ']'"},
		{"{\"a\":1,}", "expected a member name"},
		{"{'a':1}", "expected a member name"},
		{"01", "expected end of input"},
		{"1.", "expected a digit after '.'"},
		{"1e+", "expected a digit in the exponent"},
		{"-", "expected a value"},
		{"tru", "expected a value"},
		{"\"abc", "unterminated string"},
		{"\"a\nb\"", "control character"},
		{"\"\\x\"", "bad escape"},
		{"\"\\u12g4\"", "4 hex digits"},
		{"\"\\ud800x\"", "high surrogate"},
		{"\"\\udc00\"", "lone low surrogate"},
		{"1 2", "expected end of input after the value, got '2'"},
		{"{\"a\":\n  [1, x]}", "(t.json:2:7)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag d;
		struct json_value v;
		diag_init(&d);
		int rc = parse(cases[i].text, &v, &d);
		CU_ASSERT_EQUAL(rc, WS_EINPUT);
		CU_ASSERT_EQUAL(diag_count(&d), 1);
		if (!diag_contains(&d, cases[i].needle))
			fprintf(stderr, "\ncase %zu: got '%s'\n", i,
				diag_text(&d, 0) ? diag_text(&d, 0) : "");
		CU_ASSERT(diag_contains(&d, cases[i].needle));
		CU_ASSERT_EQUAL(v.type, JSON_NULL);
		diag_release(&d);
	}
}

static void test_depth(void)
{
	size_t n = JSON_MAX_DEPTH + 10;
	char *s = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		s[i] = '[';
		s[n + i] = ']';
	}
	s[2 * n] = '\0';
	struct diag d;
	struct json_value v;
	diag_init(&d);
	CU_ASSERT_EQUAL(parse(s, &v, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "nesting deeper"));
	diag_release(&d);
	/* just inside the limit parses */
	s[JSON_MAX_DEPTH] = '\0';
	memset(s + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	s[2 * JSON_MAX_DEPTH] = '\0';
	diag_init(&d);
	CU_ASSERT_EQUAL(json_parse(s, 2 * JSON_MAX_DEPTH, "t", 1, &v, &d), 0);
	json_release(&v);
	diag_release(&d);
	free(s);
}

static void test_lines(void)
{
	struct diag d;
	struct json_lines jl;
	diag_init(&d);
	const char *ok = "{\"m\": \"uno\", \"t\": {\"ms\": 4.5}}\n\n"
			 "  \n{\"m\": \"p1b1\"}\r\n";
	CU_ASSERT_EQUAL(json_lines_parse("x.jsonl", ok, strlen(ok), &jl, &d), 0);
	CU_ASSERT_EQUAL(jl.n, 2);
	CU_ASSERT_EQUAL(jl.line_of[0], 1);
	CU_ASSERT_EQUAL(jl.line_of[1], 4);
	CU_ASSERT_STRING_EQUAL(json_string_at(&jl.rows[1], "m"), "p1b1");
	double ms = 0;
	CU_ASSERT(json_number_at(&jl.rows[0], "t.ms", &ms));
	CU_ASSERT_DOUBLE_EQUAL(ms, 4.5, 0);
	json_lines_release(&jl);

	/* every bad line is reported, with its own line number */
	const char *bad = "{\"a\": 1}\n{\"a\": }\n{}\n[1,\n";
	CU_ASSERT_EQUAL(json_lines_parse("x.jsonl", bad, strlen(bad), &jl, &d),
			WS_EINPUT);
	CU_ASSERT_EQUAL(diag_count(&d), 2);
	CU_ASSERT(diag_contains(&d, "(x.jsonl:2:7)"));
	CU_ASSERT(diag_contains(&d, "(x.jsonl:4:"));
	CU_ASSERT_EQUAL(jl.n, 0);
	json_lines_release(&jl);
	diag_release(&d);

	/* a missing file is an I/O error */
	diag_init(&d);
	CU_ASSERT_EQUAL(json_lines_read("/nonexistent/x.jsonl", &jl, &d),
			WS_EIO);
	CU_ASSERT(diag_count(&d) > 0);
	diag_release(&d);

	/* the project's measurement files parse */
	char *path = tu_path("models/measured/h100/train.jsonl");
	diag_init(&d);
	CU_ASSERT_EQUAL(json_lines_read(path, &jl, &d), 0);
	CU_ASSERT(jl.n >= 10);
	json_lines_release(&jl);
	diag_release(&d);
	free(path);
}

/* Mutated documents never crash the parser: each either parses or fails
 * with exactly one located message (fixed seed: deterministic). */
static void test_mutations(void)
{
	static const char base[] =
		"{\"model\": \"uno\", \"batch\": 32, \"x\": [1.5e3, -2, true, "
		"null, {\"a\": \"\\u00e9\\n\"}], \"t\": {\"ms\": 4.05}}";
	static const char alphabet[] = "{}[],:\"\\0123456789.eE+-tfnul aZ\x01\xff";
	uint32_t seed = 12345;
	char buf[sizeof(base) + 8];
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(buf, base, sizeof(base));
		size_t len = sizeof(base) - 1;
		int edits = 1 + iter % 4;
		for (int e = 0; e < edits; e++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			char c = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
			if ((seed >> 4) % 3 == 0 && len > 1) /* truncate */
				len = pos + 1;
			else
				buf[pos] = c;
		}
		struct diag d;
		struct json_value v;
		diag_init(&d);
		int rc = json_parse(buf, len, "m.json", 1, &v, &d);
		if (rc == 0) {
			CU_ASSERT_EQUAL(diag_count(&d), 0);
			json_release(&v);
		} else {
			CU_ASSERT_EQUAL(rc, WS_EINPUT);
			CU_ASSERT_EQUAL(diag_count(&d), 1);
			CU_ASSERT(diag_contains(&d, "(m.json:1:"));
		}
		diag_release(&d);
	}
}

int suite_json(void);
int suite_json(void)
{
	static const struct tu_test tests[] = {
		{"values", test_values},
		{"strings", test_strings},
		{"numbers", test_numbers},
		{"errors", test_errors},
		{"depth", test_depth},
		{"json lines", test_lines},
		{"mutations", test_mutations},
		{0},
	};
	return tu_add_suite("json", tests);
}
