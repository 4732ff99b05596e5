/*
 * json.c: recursive-descent JSON parser (see json.h).
 *
 * The parser keeps a cursor and the line/column of the cursor; recursion
 * depth is bounded by JSON_MAX_DEPTH.  On the first error it records one
 * message and unwinds, freeing what it built.
 */
#include "ground/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

struct parser {
	const char *s, *end;
	const char *file;
	int line, col;
	int failed;
	struct diag *d;
};

static void perr(struct parser *p, const char *fmt, const char *what)
{
	if (p->failed)
		return;
	p->failed = 1;
	char got[32];
	if (p->s >= p->end)
		snprintf(got, sizeof(got), "end of input");
	else if ((unsigned char)*p->s < 0x20 || (unsigned char)*p->s >= 0x7f)
		snprintf(got, sizeof(got), "byte 0x%02x",
			 (unsigned char)*p->s);
	else
		snprintf(got, sizeof(got), "'%c'", *p->s);
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, what);
	diag_add(p->d, p->file, p->line, p->col, "json: %s, got %s", msg, got);
}

static void adv(struct parser *p)
{
	if (*p->s == '\n') {
		p->line++;
		p->col = 1;
	} else {
		p->col++;
	}
	p->s++;
}

static void skip_ws(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
				 *p->s == '\n' || *p->s == '\r'))
		adv(p);
}

static int lit(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		adv(p);
	return 1;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Cursor on the opening quote.  Decoded text is never longer than the
 * source, so one buffer of the source length suffices. */
static char *parse_string(struct parser *p, size_t *len_out)
{
	adv(p); /* '"' */
	const char *start = p->s;
	size_t cap = 0;
	for (const char *q = start; q < p->end && *q != '"'; q++)
		cap += (*q == '\\') ? 2 : 1, q += (*q == '\\');
	char *buf = xmalloc(cap + 1), *o = buf;
	for (;;) {
		if (p->s >= p->end) {
			perr(p, "%s", "unterminated string");
			goto fail;
		}
		unsigned char c = (unsigned char)*p->s;
		if (c == '"')
			break;
		if (c < 0x20) {
			perr(p, "%s", "control character in a string must "
				      "be escaped");
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char)c;
			adv(p);
			continue;
		}
		adv(p);
		if (p->s >= p->end) {
			perr(p, "%s", "unterminated string");
			goto fail;
		}
		char e = *p->s;
		const char *map = strchr("\"\\/bfnrt", e);
		if (e && map) {
			static const char out_of[] = "\"\\/\b\f\n\r\t";
			*o++ = out_of[map - "\"\\/bfnrt"];
			adv(p);
			continue;
		}
		if (e != 'u') {
			perr(p, "%s", "bad escape in string: expected one of "
				      "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
			goto fail;
		}
		unsigned cp;
		if (p->end - p->s < 5 || hex4(p->s + 1, &cp)) {
			perr(p, "%s", "\\u must be followed by 4 hex digits");
			goto fail;
		}
		for (int i = 0; i < 5; i++)
			adv(p);
		if (cp >= 0xd800 && cp < 0xdc00) {
			unsigned lo;
			if (p->end - p->s < 6 || p->s[0] != '\\' ||
			    p->s[1] != 'u' || hex4(p->s + 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff) {
				perr(p, "%s", "high surrogate must be followed "
					      "by a \\u low surrogate");
				goto fail;
			}
			for (int i = 0; i < 6; i++)
				adv(p);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			perr(p, "%s", "lone low surrogate in string");
			goto fail;
		}
		o += put_utf8(o, cp);
	}
	adv(p); /* closing quote */
	*o = '\0';
	*len_out = (size_t)(o - buf);
	return buf;
fail:
	free(buf);
	return NULL;
}

static int parse_number(struct parser *p, double *out)
{
	const char *q = p->s;
	int neg = q < p->end && *q == '-';
	q += neg;
	if (q < p->end && *q == 'I') {
		if (lit(p, neg ? "-Infinity" : "Infinity")) {
			*out = neg ? -INFINITY : INFINITY;
			return 0;
		}
		perr(p, "%s", "expected a value");
		return -1;
	}
	if (q >= p->end || !(*q >= '0' && *q <= '9')) {
		perr(p, "%s", "expected a value");
		return -1;
	}
	if (*q == '0')
		q++;
	else
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	if (q < p->end && *q == '.') {
		q++;
		if (q >= p->end || !(*q >= '0' && *q <= '9')) {
			while (p->s < q)
				adv(p);
			perr(p, "%s", "expected a digit after '.'");
			return -1;
		}
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < p->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < p->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= p->end || !(*q >= '0' && *q <= '9')) {
			while (p->s < q)
				adv(p);
			perr(p, "%s", "expected a digit in the exponent");
			return -1;
		}
		while (q < p->end && *q >= '0' && *q <= '9')
			q++;
	}
	char tmp[64], *heap = NULL, *buf = tmp;
	size_t n = (size_t)(q - p->s);
	if (n >= sizeof(tmp))
		buf = heap = xmalloc(n + 1);
	memcpy(buf, p->s, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL); /* overflow gives +-HUGE_VAL: kept as inf */
	free(heap);
	while (p->s < q)
		adv(p);
	return 0;
}

static int parse_value(struct parser *p, struct json_value *v, int depth);

static void push(struct json_value **items, size_t *n, size_t *cap,
		 const struct json_value *v)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		*items = xrealloc(*items, *cap * sizeof(**items));
	}
	(*items)[(*n)++] = *v;
}

static int parse_array(struct parser *p, struct json_value *v, int depth)
{
	size_t cap = 0;
	v->type = JSON_ARRAY;
	adv(p);
	skip_ws(p);
	if (p->s < p->end && *p->s == ']') {
		adv(p);
		return 0;
	}
	for (;;) {
		struct json_value item;
		skip_ws(p);
		if (parse_value(p, &item, depth + 1))
			return -1;
		push(&v->items, &v->len, &cap, &item);
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			adv(p);
			continue;
		}
		if (p->s < p->end && *p->s == ']') {
			adv(p);
			return 0;
		}
		perr(p, "%s", "expected ',' or ']' after an array element");
		return -1;
	}
}

static int parse_object(struct parser *p, struct json_value *v, int depth)
{
	size_t cap = 0, kcap = 0;
	v->type = JSON_OBJECT;
	adv(p);
	skip_ws(p);
	if (p->s < p->end && *p->s == '}') {
		adv(p);
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (p->s >= p->end || *p->s != '"') {
			perr(p, "%s", "expected a member name in double quotes");
			return -1;
		}
		size_t klen;
		char *key = parse_string(p, &klen);
		if (!key)
			return -1;
		if (v->len == kcap) {
			kcap = kcap ? 2 * kcap : 4;
			v->keys = xrealloc(v->keys, kcap * sizeof(*v->keys));
		}
		skip_ws(p);
		if (p->s >= p->end || *p->s != ':') {
			free(key);
			perr(p, "%s", "expected ':' after a member name");
			return -1;
		}
		adv(p);
		skip_ws(p);
		struct json_value item;
		if (parse_value(p, &item, depth + 1)) {
			free(key);
			return -1;
		}
		v->keys[v->len] = key;
		push(&v->items, &v->len, &cap, &item);
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			adv(p);
			continue;
		}
		if (p->s < p->end && *p->s == '}') {
			adv(p);
			return 0;
		}
		perr(p, "%s", "expected ',' or '}' after an object member");
		return -1;
	}
}

static int parse_value(struct parser *p, struct json_value *v, int depth)
{
	memset(v, 0, sizeof(*v));
	v->line = p->line;
	v->col = p->col;
	if (depth > JSON_MAX_DEPTH) {
		perr(p, "nesting deeper than %s levels", "200");
		return -1;
	}
	if (p->s >= p->end) {
		perr(p, "%s", "expected a value");
		return -1;
	}
	int rc = 0;
	switch (*p->s) {
	case '{': rc = parse_object(p, v, depth); break;
	case '[': rc = parse_array(p, v, depth); break;
	case '"':
		v->type = JSON_STRING;
		v->str = parse_string(p, &v->len);
		rc = v->str ? 0 : -1;
		break;
	case 't':
	case 'f':
	case 'n':
		if (lit(p, "true")) {
			v->type = JSON_BOOL;
			v->boolean = 1;
		} else if (lit(p, "false")) {
			v->type = JSON_BOOL;
		} else if (!lit(p, "null")) {
			perr(p, "%s", "expected a value");
			rc = -1;
		}
		break;
	case 'N':
		if (lit(p, "NaN")) {
			v->type = JSON_NUMBER;
			v->num = NAN;
		} else {
			perr(p, "%s", "expected a value");
			rc = -1;
		}
		break;
	default:
		v->type = JSON_NUMBER;
		rc = parse_number(p, &v->num);
	}
	if (rc)
		json_release(v);
	return rc;
}

int json_parse(const char *text, size_t len, const char *file, int first_line,
	       struct json_value *out, struct diag *d)
{
	struct parser p = {text, text + len, file, first_line, 1, 0, d};
	memset(out, 0, sizeof(*out));
	skip_ws(&p);
	if (parse_value(&p, out, 0))
		return WS_EINPUT;
	skip_ws(&p);
	if (p.s < p.end) {
		perr(&p, "%s", "expected end of input after the value");
		json_release(out);
		return WS_EINPUT;
	}
	return WS_OK;
}

void json_release(struct json_value *v)
{
	if (!v)
		return;
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->len; i++) {
			json_release(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const struct json_value *json_get(const struct json_value *obj,
				  const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const struct json_value *json_path(const struct json_value *v,
				   const char *path)
{
	char part[128];
	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = json_get(v, part);
		path += n + (dot != NULL);
	}
	return v;
}

int json_number_at(const struct json_value *v, const char *path, double *out)
{
	const struct json_value *x = json_path(v, path);
	if (!x || x->type != JSON_NUMBER)
		return 0;
	*out = x->num;
	return 1;
}

const char *json_string_at(const struct json_value *v, const char *path)
{
	const struct json_value *x = json_path(v, path);
	return x && x->type == JSON_STRING ? x->str : NULL;
}

int json_lines_parse(const char *file, const char *text, size_t len,
		     struct json_lines *jl, struct diag *d)
{
	memset(jl, 0, sizeof(*jl));
	jl->file = xstrdup(file);
	size_t cap = 0;
	int errors = 0, line = 1;
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *q = s;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e) {
			struct json_value v;
			if (json_parse(s, (size_t)(e - s), file, line, &v, d)) {
				errors++;
			} else if (errors) {
				json_release(&v);
			} else {
				if (jl->n == cap) {
					cap = cap ? 2 * cap : 16;
					jl->rows = xrealloc(jl->rows,
						cap * sizeof(*jl->rows));
					jl->line_of = xrealloc(jl->line_of,
						cap * sizeof(*jl->line_of));
				}
				jl->rows[jl->n] = v;
				jl->line_of[jl->n++] = line;
			}
		}
		line++;
		s = nl ? nl + 1 : end;
	}
	if (errors) {
		json_lines_release(jl);
		return WS_EINPUT;
	}
	return WS_OK;
}

int json_lines_read(const char *path, struct json_lines *jl, struct diag *d)
{
	char *text;
	size_t len;
	memset(jl, 0, sizeof(*jl));
	int rc = read_file(path, &text, &len, d);
	if (rc)
		return rc;
	rc = json_lines_parse(path, text, len, jl, d);
	free(text);
	return rc;
}

void json_lines_release(struct json_lines *jl)
{
	for (size_t i = 0; i < jl->n; i++)
		json_release(&jl->rows[i]);
	free(jl->rows);
	free(jl->line_of);
	free(jl->file);
	memset(jl, 0, sizeof(*jl));
}

void json_write_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void json_write_num(FILE *out, double v)
{
	char buf[32];
	if (!isfinite(v))
		fputs("null", out);
	else
		fputs(fmt_double_exact(buf, v), out);
}
