/*
 * cfg.c: schema-driven YAML loading, dumping and documentation.
 *
 * Loading uses libyaml's document API: the whole file becomes a node tree
 * first (so a syntax error is reported once, at the parser's mark), then the
 * tree is walked against the schema, collecting every error.
 */
#include "ground/cfg.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ground/util.h"

void cfg_src_init(struct cfg_src *s)
{
	memset(s, 0, sizeof(*s));
}

void cfg_src_release(struct cfg_src *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->locs[i].path);
		free(s->locs[i].origin);
	}
	free(s->locs);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

static void src_add(struct cfg_src *s, const char *path, int line, int col)
{
	if (!s)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->locs = xrealloc(s->locs, s->cap * sizeof(*s->locs));
	}
	s->locs[s->n].path = xstrdup(path);
	s->locs[s->n].line = line;
	s->locs[s->n].col = col;
	s->locs[s->n].origin = NULL;
	s->n++;
}

int cfg_src_find(const struct cfg_src *s, const char *path, int *line,
		 int *col)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->locs[i].path, path) == 0) {
			*line = s->locs[i].line;
			*col = s->locs[i].col;
			return 1;
		}
	}
	*line = s->root_line ? s->root_line : 1;
	*col = s->root_col ? s->root_col : 1;
	return 0;
}

const char *cfg_src_file(const struct cfg_src *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->locs[i].path, path) == 0 && s->locs[i].origin)
			return s->locs[i].origin;
	return s->file;
}

/* An override of `path` from `origin`: located there from now on. */
static void src_override(struct cfg_src *s, const char *path,
			 const char *origin)
{
	if (!s)
		return;
	size_t i = 0;
	while (i < s->n && strcmp(s->locs[i].path, path))
		i++;
	if (i == s->n)
		src_add(s, path, 0, 0);
	free(s->locs[i].origin);
	s->locs[i].origin = xstrdup(origin);
	s->locs[i].line = s->locs[i].col = 0;
}

/* ---- parsing scalars ---------------------------------------------------- */

/* Digits [0-9]+ from *p on; the count (*p moves past them). */
static int digits(const char **p)
{
	int n = 0;
	while (**p >= '0' && **p <= '9') {
		(*p)++;
		n++;
	}
	return n;
}

int cfg_parse_int(const char *s, int64_t *out)
{
	const char *p = s + (*s == '-' || *s == '+');
	const char *first = p;
	if (!digits(&p) || *p || (*first == '0' && first[1]))
		return -1;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno)
		return -1;
	*out = v;
	return 0;
}

int cfg_parse_real(const char *s, double *out)
{
	const char *p = s + (*s == '-' || *s == '+');
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -1; /* 017: see cfg_parse_int */
	int n = digits(&p);
	if (*p == '.') {
		p++;
		n += digits(&p);
	}
	if (!n)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '-' || *p == '+';
		if (!digits(&p))
			return -1;
	}
	if (*p)
		return -1;
	errno = 0;
	double v = strtod(s, NULL);
	if (errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

const char *cfg_number_hint(const char *s, int quoted)
{
	if (quoted)
		return " (quoted, or tagged !!str: a string where a number "
		       "is expected; write it unquoted)";
	const char *p = s + (*s == '-' || *s == '+');
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return " (a leading 0 is octal in YAML 1.1 and decimal in "
		       "YAML 1.2: write the number without it)";
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'X'))
		return " (decimal numbers only)";
	return "";
}

/* The core type a scalar node's explicit tag gives it ("int", "float",
 * "bool", "null", "map", "seq"), or NULL: untagged or !!str.  libyaml
 * tags an untagged scalar !!str, and cfg_yaml_load made a plain scalar
 * tagged !!str quoted, so !!str says nothing the style does not. */
static const char *node_tag(const yaml_node_t *n)
{
	const char *t = (const char *)n->tag, *pre = "tag:yaml.org,2002:";
	if (!t || strncmp(t, pre, strlen(pre)) ||
	    !strcmp(t + strlen(pre), "str"))
		return NULL;
	return t + strlen(pre);
}

/* What a key of a type wants, for messages. */
static const char *type_noun(enum cfg_type type)
{
	switch (type) {
	case CFG_INT: return "an integer";
	case CFG_REAL: return "a number";
	case CFG_BOOL: return "true or false";
	case CFG_STR: return "text";
	default: return "a name";
	}
}

/* Whether an explicit tag (node_tag; NULL: none) agrees with the type a
 * key wants: an integer takes !!int, a real !!int or !!float, a bool
 * !!bool; a string, a name or a list of names none.  Else the hint for
 * the end of the key's message, in hint. */
static int tag_agrees(enum cfg_type type, const char *tag, char *hint,
		      size_t n)
{
	static const char *const says[][2] = {
		{"int", "an integer"}, {"float", "a real number"},
		{"bool", "true or false"}, {"null", "nothing"},
		{"map", "a mapping"}, {"seq", "a list"}};
	if (!tag || (!strcmp(tag, "int") &&
		     (type == CFG_INT || type == CFG_REAL)) ||
	    (!strcmp(tag, "float") && type == CFG_REAL) ||
	    (!strcmp(tag, "bool") && type == CFG_BOOL))
		return 1;
	const char *what = "another type";
	for (size_t i = 0; i < ARRAY_SIZE(says); i++)
		if (!strcmp(tag, says[i][0]))
			what = says[i][1];
	snprintf(hint, n, " (tagged !!%s: %s, not %s)", tag, what,
		 type_noun(type));
	return 0;
}

/* `text` as the number a key of `type` (CFG_INT or CFG_REAL) wants: the
 * grammar of cfg_parse_int/real, not quoted, an explicit tag agreeing
 * (tag_agrees; !!int's text an integer).  The one reading of a YAML
 * number: schema keys, networks and plans.  0, or -1 with the hint in
 * hint. */
static int read_number(enum cfg_type type, const char *text, int quoted,
		       const char *tag, int64_t *iv, double *rv, char *hint,
		       size_t n)
{
	snprintf(hint, n, "%s", cfg_number_hint(text, quoted));
	if (quoted || !tag_agrees(type, tag, hint, n))
		return -1;
	if (type == CFG_INT || (tag && !strcmp(tag, "int"))) {
		int64_t v;
		if (cfg_parse_int(text, &v)) {
			if (type == CFG_REAL && !*hint)
				snprintf(hint, n, " (tagged !!int: an integer, "
					 "which it is not)");
			return -1;
		}
		if (iv)
			*iv = v;
		if (rv)
			*rv = (double)v;
		return 0;
	}
	return cfg_parse_real(text, rv);
}

static int yaml_number(const yaml_node_t *n, enum cfg_type type,
		       int64_t *iv, double *rv, char *hint, size_t len)
{
	*hint = 0;
	if (!n || n->type != YAML_SCALAR_NODE)
		return -1;
	return read_number(type, (const char *)n->data.scalar.value,
			   n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
			   node_tag(n), iv, rv, hint, len);
}

int cfg_yaml_int(const yaml_node_t *n, int64_t *out, char *hint, size_t len)
{
	return yaml_number(n, CFG_INT, out, NULL, hint, len);
}

int cfg_yaml_real(const yaml_node_t *n, double *out, char *hint, size_t len)
{
	return yaml_number(n, CFG_REAL, NULL, out, hint, len);
}

static int find_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void names_list(const char *const *names, char *buf, size_t n)
{
	buf[0] = '\0';
	for (int i = 0; names[i]; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "%s'%s'", i ? ", " : "", names[i]);
	}
}

static void fmt_range(const struct cfg_key *k, char *buf, size_t n)
{
	char a[32], b[32];
	if (k->type == CFG_INT) {
		snprintf(buf, n, "[%.0f, %.0f]", k->min, k->max);
	} else {
		snprintf(buf, n, "[%s, %s]", fmt_double_exact(a, k->min),
			 fmt_double_exact(b, k->max));
	}
}

/* A string key's value: at most CFG_STR_MAX - 1 characters, one line
 * (a line break would break what it is written into: tables, CSV rows,
 * plan files, 'machine show').  0 or -1. */
static int set_str(const char *what, const char *file, int line, int col,
		   const char *path, const char *text, char *p,
		   struct diag *d)
{
	long at = ctrl_char_offset(text);
	if (strlen(text) >= CFG_STR_MAX) {
		diag_add(d, file, line, col,
			 "%s: '%s' must be at most %d characters, got %zu",
			 what, path, CFG_STR_MAX - 1, strlen(text));
		return -1;
	}
	if (at >= 0) {
		diag_add(d, file, line, col,
			 "%s: '%s' must be one line of text, got the control "
			 "character 0x%02x at character %ld",
			 what, path, (unsigned char)text[at], at + 1);
		return -1;
	}
	snprintf(p, CFG_STR_MAX, "%s", text);
	return 0;
}

/* Set one scalar key from text.  Returns 0, or -1 with an error added. */
static int set_scalar(const struct cfg_key *k, const char *what,
		      const char *path, const char *text, int quoted,
		      const char *tag, void *obj, const char *file, int line,
		      int col, struct diag *d)
{
	char *p = (char *)obj + k->offset;
	char range[96], hint[CFG_HINT_MAX];
	const char *shown = *text ? text : "nothing";
	if (k->type != CFG_INT && k->type != CFG_REAL &&
	    !tag_agrees(k->type, tag, hint, sizeof(hint))) {
		diag_add(d, file, line, col, "%s: '%s' must be %s, got '%s'%s",
			 what, path, type_noun(k->type), shown, hint);
		return -1;
	}
	switch (k->type) {
	case CFG_INT: {
		int64_t v;
		if (read_number(CFG_INT, text, quoted, tag, &v, NULL, hint,
				sizeof(hint))) {
			diag_add(d, file, line, col,
				 "%s: '%s' must be an integer, got '%s'%s",
				 what, path, shown, hint);
			return -1;
		}
		if ((double)v < k->min || (double)v > k->max) {
			fmt_range(k, range, sizeof(range));
			diag_add(d, file, line, col,
				 "%s: '%s' must be in %s%s%s, got %s", what,
				 path, range, *k->unit ? " " : "", k->unit,
				 text);
			return -1;
		}
		*(int64_t *)p = v;
		return 0;
	}
	case CFG_REAL: {
		double v;
		if (read_number(CFG_REAL, text, quoted, tag, NULL, &v, hint,
				sizeof(hint))) {
			diag_add(d, file, line, col,
				 "%s: '%s' must be a number, got '%s'%s",
				 what, path, shown, hint);
			return -1;
		}
		if (v < k->min || v > k->max) {
			fmt_range(k, range, sizeof(range));
			diag_add(d, file, line, col,
				 "%s: '%s' must be in %s%s%s, got %s", what,
				 path, range, *k->unit ? " " : "", k->unit,
				 text);
			return -1;
		}
		*(double *)p = v;
		return 0;
	}
	case CFG_BOOL:
		if (!quoted && strcmp(text, "true") == 0) {
			*(int *)p = 1;
		} else if (!quoted && strcmp(text, "false") == 0) {
			*(int *)p = 0;
		} else {
			diag_add(d, file, line, col,
				 "%s: '%s' must be true or false, got '%s'",
				 what, path, shown);
			return -1;
		}
		return 0;
	case CFG_STR:
		return set_str(what, file, line, col, path, text, p, d);
	case CFG_ENUM: {
		int i = find_name(k->names, text);
		if (i < 0) {
			char list[512];
			names_list(k->names, list, sizeof(list));
			diag_add(d, file, line, col,
				 "%s: '%s' must be one of %s, got '%s'", what,
				 path, list, shown);
			return -1;
		}
		*(int *)p = i;
		return 0;
	}
	case CFG_FLAGS: {
		int i = find_name(k->names, text);
		if (i < 0) {
			char list[512];
			names_list(k->names, list, sizeof(list));
			diag_add(d, file, line, col,
				 "%s: '%s' items must be among %s, got '%s'",
				 what, path, list, shown);
			return -1;
		}
		*(unsigned *)p |= 1u << i;
		return 0;
	}
	default:
		return -1;
	}
}

void cfg_defaults(const struct cfg_key *schema, void *obj)
{
	for (const struct cfg_key *k = schema; k->name; k++) {
		char *p = (char *)obj + k->offset;
		if (k->type == CFG_SECTION) {
			cfg_defaults(k->sub, obj);
			continue;
		}
		switch (k->type) {
		case CFG_INT: *(int64_t *)p = 0; break;
		case CFG_REAL: *(double *)p = 0; break;
		case CFG_BOOL: *(int *)p = 0; break;
		case CFG_STR: p[0] = '\0'; break;
		case CFG_ENUM: *(int *)p = 0; break;
		case CFG_FLAGS: *(unsigned *)p = 0; break;
		default: break;
		}
		if (!k->def)
			continue;
		struct diag dd;
		diag_init(&dd);
		if (k->type == CFG_FLAGS) {
			/* default: comma-separated names */
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", k->def);
			/* strtok_r: strtok's hidden state would race when
			 * two threads load configurations (sweeps) */
			char *save = NULL;
			for (char *t = strtok_r(buf, ", ", &save); t;
			     t = strtok_r(NULL, ", ", &save))
				set_scalar(k, "default", k->name, t, 0, NULL,
					   obj, NULL, 0, 0, &dd);
		} else {
			set_scalar(k, "default", k->name, k->def, 0, NULL,
				   obj, NULL, 0, 0, &dd);
		}
		/* a schema whose default does not parse is a programming error */
		if (diag_count(&dd)) {
			diag_print(&dd, stderr);
			abort();
		}
		diag_release(&dd);
	}
}

/* ---- reading YAML within limits ----------------------------------------- */

static void yaml_syntax_error(const char *what, const char *file,
			      const yaml_parser_t *p, struct diag *d)
{
	diag_add(d, file, (int)p->problem_mark.line + 1,
		 (int)p->problem_mark.column + 1,
		 "%s: file must be valid YAML, got %s%s%s", what,
		 p->problem ? p->problem : "a syntax error",
		 p->context ? " " : "", p->context ? p->context : "");
}

/* A node's tag, if any, is one of YAML's core schema (a value is then
 * read by its text as usual); !!binary, !!set, local tags (!foo) are
 * not, and would be read as something they are not. */
static int tag_ok(const yaml_event_t *ev)
{
	static const char *const core[] = {"str", "int", "float", "bool",
					   "null", "map", "seq"};
	const yaml_char_t *tag =
		ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.tag
		: ev->type == YAML_SEQUENCE_START_EVENT
			? ev->data.sequence_start.tag
		: ev->type == YAML_MAPPING_START_EVENT
			? ev->data.mapping_start.tag
			: NULL;
	if (!tag)
		return 1;
	const char *s = (const char *)tag, *pre = "tag:yaml.org,2002:";
	if (strncmp(s, pre, strlen(pre)))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(core); i++)
		if (!strcmp(s + strlen(pre), core[i]))
			return 1;
	return 0;
}

/* An explicit core tag that says otherwise than a scalar's style: `!!str
 * 5` is text though plain, `!!int "5"` a number though quoted.  1 if the
 * node's style must flip so that "quoted" keeps meaning "text" for every
 * reader. */
static int tag_flips_style(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	if (ev->type != YAML_SCALAR_EVENT || !tag)
		return 0;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!strcmp(tag, YAML_STR_TAG))
		return plain;
	return !plain && (!strcmp(tag, YAML_INT_TAG) ||
			  !strcmp(tag, YAML_FLOAT_TAG));
}

/* Nodes whose style flips (tag_flips_style), by id, in event order: the
 * loader numbers nodes in that order (ids from 1; no aliases). */
struct flips {
	int *id;
	size_t n, cap;
};

/* First pass over the events, before any node is built: nesting depth,
 * node count, keys per mapping and aliases; the style flips.  0 or -1
 * (error added). */
static int yaml_prescan(const char *what, const char *file, const char *text,
			size_t len, struct flips *fl, struct diag *d)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int64_t keys[CFG_YAML_MAX_DEPTH + 1]; /* children of open mappings */
	int is_map[CFG_YAML_MAX_DEPTH + 1];
	int depth = 0, rc = -1, docs = 0;
	int64_t nodes = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_syntax_error(what, file, &p, d);
			break;
		}
		int line = (int)ev.start_mark.line + 1;
		int col = (int)ev.start_mark.column + 1;
		yaml_event_type_t t = ev.type;
		const char *bad = NULL;
		if (t == YAML_ALIAS_EVENT)
			bad = "aliases (*name) are not supported";
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			bad = "file must hold one YAML document, got a second "
			      "('---')";
		if (!bad && !tag_ok(&ev))
			bad = "tags other than YAML's own (!!str, !!int, ...) "
			      "are not supported";
		if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT) {
			if (++nodes > CFG_YAML_MAX_NODES)
				bad = "file must have at most 2000000 "
				      "values";
			if (!bad && tag_flips_style(&ev)) {
				if (fl->n == fl->cap) {
					fl->cap = fl->cap ? 2 * fl->cap : 8;
					fl->id = xrealloc(fl->id, fl->cap *
							  sizeof(int));
				}
				fl->id[fl->n++] = (int)nodes;
			}
			if (depth > 0 && is_map[depth] &&
			    ++keys[depth] > 2 * (int64_t)CFG_YAML_MAX_KEYS)
				bad = "a mapping must have at most 65536 keys";
		}
		if (!bad && (t == YAML_SEQUENCE_START_EVENT ||
			     t == YAML_MAPPING_START_EVENT)) {
			if (depth == CFG_YAML_MAX_DEPTH) {
				bad = "lists and mappings must nest at most "
				      "64 deep";
			} else {
				depth++;
				keys[depth] = 0;
				is_map[depth] = t == YAML_MAPPING_START_EVENT;
			}
		}
		if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
		if (bad) {
			diag_add(d, file, line, col, "%s: %s", what, bad);
			break;
		}
		if (t == YAML_STREAM_END_EVENT) {
			rc = 0;
			break;
		}
	}
	yaml_parser_delete(&p);
	return rc;
}

/* Where each node hangs: its parent and the key node (mappings) or the
 * index (lists) it hangs by; the tree has no aliases (prescan). */
struct yaml_tree {
	yaml_document_t *doc;
	int *parent, *edge; /* by node id - 1; edge < 0: -(index + 1) */
};

static const char *scalar_text(yaml_document_t *doc, int id)
{
	yaml_node_t *n = yaml_document_get_node(doc, id);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: "?";
}

static void key_path(const struct yaml_tree *t, int id, char *buf, size_t n)
{
	int chain[CFG_YAML_MAX_DEPTH + 2], k = 0;
	for (int v = id; v > 0 && k < CFG_YAML_MAX_DEPTH + 2;
	     v = t->parent[v - 1])
		if (t->parent[v - 1] > 0)
			chain[k++] = v;
	buf[0] = '\0';
	while (k-- > 0) {
		size_t l = strlen(buf);
		int e = t->edge[chain[k] - 1];
		if (e < 0)
			snprintf(buf + l, n - l, "[%d]", -e - 1);
		else
			snprintf(buf + l, n - l, "%s%s", l ? "." : "",
				 scalar_text(t->doc, e));
	}
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Duplicate keys, every mapping, with one open-addressing table reused
 * (only the slots a mapping filled are cleared): linear in the keys. */
static int yaml_dup_keys(const char *what, const char *file,
			 struct yaml_tree *t, struct diag *d)
{
	yaml_document_t *doc = t->doc;
	size_t cap = 16;
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
		if (n->type == YAML_MAPPING_NODE)
			while (cap < 2 * (size_t)(n->data.mapping.pairs.top -
						  n->data.mapping.pairs.start))
				cap *= 2;
	int *slot = xcalloc(cap, sizeof(int)), *used = xcalloc(cap, sizeof(int));
	int errors = 0;
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		int n_used = 0;
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);
			if (k->type != YAML_SCALAR_NODE)
				continue;
			const char *name = (const char *)k->data.scalar.value;
			size_t h = text_hash(name) & (cap - 1);
			while (slot[h] &&
			       strcmp(scalar_text(doc, slot[h]), name))
				h = (h + 1) & (cap - 1);
			if (!slot[h]) {
				slot[h] = pr->key;
				used[n_used++] = (int)h;
				continue;
			}
			char path[512];
			key_path(t, pr->value, path, sizeof(path));
			yaml_node_t *first = yaml_document_get_node(doc, slot[h]);
			diag_add(d, file, (int)k->start_mark.line + 1,
				 (int)k->start_mark.column + 1,
				 "%s: duplicate key '%s', first given at line "
				 "%d",
				 what, path, (int)first->start_mark.line + 1);
			errors++;
		}
		for (int i = 0; i < n_used; i++)
			slot[used[i]] = 0;
	}
	free(slot);
	free(used);
	return errors ? -1 : 0;
}

static void yaml_link(struct yaml_tree *t)
{
	yaml_document_t *doc = t->doc;
	int id = 1;
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++, id++) {
		if (n->type == YAML_SEQUENCE_NODE) {
			int i = 0;
			for (yaml_node_item_t *it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top; it++, i++) {
				t->parent[*it - 1] = id;
				t->edge[*it - 1] = -(i + 1);
			}
		} else if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
			     pr < n->data.mapping.pairs.top; pr++) {
				t->parent[pr->key - 1] = id;
				t->edge[pr->key - 1] = pr->key;
				t->parent[pr->value - 1] = id;
				t->edge[pr->value - 1] = pr->key;
			}
		}
	}
}

/* A scalar with a NUL character ("\0" in a quoted string) would be read
 * as its text up to it: refused, at the scalar.  0 or WS_EINPUT. */
static int yaml_nul_check(const char *what, const char *file,
			  yaml_document_t *doc, struct diag *d)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type != YAML_SCALAR_NODE)
			continue;
		size_t at = strlen((const char *)n->data.scalar.value);
		if (at == n->data.scalar.length)
			continue;
		diag_add(d, file, (int)n->start_mark.line + 1,
			 (int)n->start_mark.column + 1,
			 "%s: a value must not hold a NUL character (\\0), "
			 "got one at character %zu of '%s...'",
			 what, at + 1, (const char *)n->data.scalar.value);
		return WS_EINPUT;
	}
	return WS_OK;
}

int cfg_yaml_load(const char *what, const char *file, const char *text,
		  size_t len, yaml_document_t *doc, struct diag *d)
{
	if (len > (size_t)CFG_YAML_MAX_BYTES) {
		diag_add(d, file, 0, 0,
			 "%s: file must be at most %lld bytes for the YAML "
			 "reader, got %zu",
			 what, (long long)CFG_YAML_MAX_BYTES, len);
		return WS_EINPUT;
	}
	struct flips fl = {NULL, 0, 0};
	if (yaml_prescan(what, file, text, len, &fl, d)) {
		free(fl.id);
		return WS_EINPUT;
	}
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int ok = yaml_parser_load(&p, doc);
	if (!ok)
		yaml_syntax_error(what, file, &p, d);
	yaml_parser_delete(&p);
	for (size_t i = 0; ok && i < fl.n; i++) {
		yaml_node_t *n = yaml_document_get_node(doc, fl.id[i]);
		assert(n && n->type == YAML_SCALAR_NODE);
		n->data.scalar.style =
			n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
				? YAML_SINGLE_QUOTED_SCALAR_STYLE
				: YAML_PLAIN_SCALAR_STYLE;
	}
	free(fl.id);
	if (!ok)
		return WS_EINPUT;
	size_t nn = (size_t)(doc->nodes.top - doc->nodes.start);
	struct yaml_tree t = {doc, xcalloc(nn + 1, sizeof(int)),
			      xcalloc(nn + 1, sizeof(int))};
	yaml_link(&t);
	int rc = yaml_dup_keys(what, file, &t, d);
	if (!rc)
		rc = yaml_nul_check(what, file, doc, d);
	free(t.parent);
	free(t.edge);
	if (rc) {
		yaml_document_delete(doc);
		return WS_EINPUT;
	}
	return WS_OK;
}

/* ---- walking the document ----------------------------------------------- */

struct walk {
	yaml_document_t *doc;
	const char *what;
	const char *file;
	void *obj;
	struct cfg_src *src;
	struct diag *d;
	int errors;
};

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static int is_null_scalar(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

static void walk_mapping(struct walk *w, const struct cfg_key *keys,
			 yaml_node_t *map, const char *prefix);

/* "a, b, c": the names of a mapping's keys, for "expected one of". */
static void key_names(const struct cfg_key *keys, char *buf, size_t n)
{
	buf[0] = '\0';
	for (const struct cfg_key *e = keys; e->name; e++) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "%s%s", e == keys ? "" : ", ", e->name);
	}
}

static void walk_value(struct walk *w, const struct cfg_key *k,
		       yaml_node_t *v, const char *path)
{
	int line = (int)v->start_mark.line + 1, col = (int)v->start_mark.column + 1;
	if (k->type == CFG_SECTION) {
		if (v->type != YAML_MAPPING_NODE) {
			diag_add(w->d, w->file, line, col,
				 "%s: '%s' must be a mapping of keys, got %s",
				 w->what, path, node_kind(v));
			w->errors++;
			return;
		}
		walk_mapping(w, k->sub, v, path);
		return;
	}
	if (k->type == CFG_FLAGS) {
		*(unsigned *)((char *)w->obj + k->offset) = 0;
		if (v->type == YAML_SCALAR_NODE) {
			if (set_scalar(k, w->what, path,
				       (const char *)v->data.scalar.value, 0,
				       node_tag(v), w->obj, w->file, line, col,
				       w->d))
				w->errors++;
			return;
		}
		if (v->type != YAML_SEQUENCE_NODE) {
			diag_add(w->d, w->file, line, col,
				 "%s: '%s' must be a list of names, got %s",
				 w->what, path, node_kind(v));
			w->errors++;
			return;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(w->doc, *it);
			int l = (int)e->start_mark.line + 1;
			int c = (int)e->start_mark.column + 1;
			if (e->type != YAML_SCALAR_NODE) {
				diag_add(w->d, w->file, l, c,
					 "%s: '%s' items must be names, got %s",
					 w->what, path, node_kind(e));
				w->errors++;
				continue;
			}
			unsigned *flags =
				(unsigned *)((char *)w->obj + k->offset);
			unsigned before = *flags;
			if (set_scalar(k, w->what, path,
				       (const char *)e->data.scalar.value, 0,
				       node_tag(e), w->obj, w->file, l, c,
				       w->d)) {
				w->errors++;
			} else if (*flags == before) {
				diag_add(w->d, w->file, l, c,
					 "%s: '%s' must name each item once, "
					 "got '%s' again",
					 w->what, path,
					 (const char *)e->data.scalar.value);
				w->errors++;
			}
		}
		return;
	}
	if (v->type != YAML_SCALAR_NODE) {
		static const char *const expect[] = {
			[CFG_INT] = "an integer", [CFG_REAL] = "a number",
			[CFG_BOOL] = "true or false", [CFG_STR] = "a string",
			[CFG_ENUM] = "a name",
		};
		diag_add(w->d, w->file, line, col, "%s: '%s' must be %s, got %s",
			 w->what, path, expect[k->type], node_kind(v));
		w->errors++;
		return;
	}
	int quoted = v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	const char *text = is_null_scalar(v) ? "" : (const char *)v->data.scalar.value;
	if (k->type == CFG_STR)
		quoted = 0;
	if (set_scalar(k, w->what, path, text, quoted, node_tag(v), w->obj,
		       w->file, line,
		       col, w->d))
		w->errors++;
}

static void walk_mapping(struct walk *w, const struct cfg_key *keys,
			 yaml_node_t *map, const char *prefix)
{
	/* duplicate keys were refused by cfg_yaml_load */
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(w->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(w->doc, pr->value);
		int line = (int)kn->start_mark.line + 1;
		int col = (int)kn->start_mark.column + 1;
		if (kn->type != YAML_SCALAR_NODE) {
			diag_add(w->d, w->file, line, col,
				 "%s: keys must be names, got %s under '%s'",
				 w->what, node_kind(kn),
				 *prefix ? prefix : "(top level)");
			w->errors++;
			continue;
		}
		const char *name = (const char *)kn->data.scalar.value;
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 name);

		const struct cfg_key *k = keys;
		for (; k->name; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (!k->name) {
			char list[1024];
			key_names(keys, list, sizeof(list));
			diag_add(w->d, w->file, line, col,
				 "%s: unknown key '%s' (expected one of: %s)",
				 w->what, path, list);
			w->errors++;
			continue;
		}
		src_add(w->src, path, line, col);
		walk_value(w, k, vn, path);
	}
}

static void check_required(struct walk *w, const struct cfg_key *keys,
			   const char *prefix, int line, int col)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 k->name);
		int l, c;
		int given = w->src ? cfg_src_find(w->src, path, &l, &c) : 1;
		if (k->type == CFG_SECTION) {
			check_required(w, k->sub, path, line, col);
			continue;
		}
		if (!k->def && !given) {
			diag_add(w->d, w->file, line, col,
				 "%s: missing required key '%s' (%s)", w->what,
				 path, k->doc);
			w->errors++;
		}
	}
}

int cfg_load_string(const struct cfg_key *schema, const char *what,
		    const char *file, const char *text, size_t len, void *obj,
		    struct cfg_src *src, struct diag *d)
{
	struct cfg_src local;
	if (!src) {
		cfg_src_init(&local);
		src = &local;
	} else {
		cfg_src_release(src);
	}
	src->file = xstrdup(file);
	cfg_defaults(schema, obj);

	yaml_document_t doc;
	int rc = WS_OK;
	if (cfg_yaml_load(what, file, text, len, &doc, d)) {
		rc = WS_EINPUT;
		goto out;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || is_null_scalar(root)) {
		diag_add(d, file, 1, 1,
			 "%s: file is empty, expected a mapping of %s keys",
			 what, what);
		rc = WS_EINPUT;
	} else if (root->type != YAML_MAPPING_NODE) {
		diag_add(d, file, (int)root->start_mark.line + 1,
			 (int)root->start_mark.column + 1,
			 "%s: expected a mapping of %s keys at the top level, "
			 "got %s",
			 what, what, node_kind(root));
		rc = WS_EINPUT;
	} else {
		struct walk w = {&doc, what, file, obj, src, d, 0};
		src->root_line = (int)root->start_mark.line + 1;
		src->root_col = (int)root->start_mark.column + 1;
		walk_mapping(&w, schema, root, "");
		check_required(&w, schema, "", src->root_line, src->root_col);
		if (w.errors)
			rc = WS_EINPUT;
	}
	yaml_document_delete(&doc);
out:
	if (src == &local)
		cfg_src_release(&local);
	return rc;
}

int cfg_load_file(const struct cfg_key *schema, const char *what,
		  const char *path, void *obj, struct cfg_src *src,
		  struct diag *d)
{
	char *text;
	size_t len;
	if (read_file_max(path, CFG_YAML_MAX_BYTES, &text, &len, d) != 0)
		return WS_EIO;
	int rc = cfg_load_string(schema, what, path, text, len, obj, src, d);
	free(text);
	return rc;
}

/* Walk a dotted path down the sections: the key, or NULL with *level the
 * keys of the last section reached (for the list of expected names). */
static const struct cfg_key *resolve(const struct cfg_key *schema,
				     const char *path,
				     const struct cfg_key **level)
{
	const struct cfg_key *keys = schema;
	for (const char *p = path;;) {
		size_t n = strcspn(p, ".");
		*level = keys;
		const struct cfg_key *k = keys;
		while (k->name && (strlen(k->name) != n || strncmp(k->name, p, n)))
			k++;
		if (!k->name)
			return NULL;
		if (!p[n])
			return k;
		if (k->type != CFG_SECTION)
			return NULL;
		keys = k->sub;
		p += n + 1;
	}
}

const struct cfg_key *cfg_find_path(const struct cfg_key *schema,
				    const char *path)
{
	const struct cfg_key *level;
	return resolve(schema, path, &level);
}

/* Set one key from "KEY=VALUE" text; messages located at `origin`. */
static int set_path(const struct cfg_key *schema, const char *what,
		    const char *origin, const char *path, const char *text,
		    void *obj, struct diag *d)
{
	const struct cfg_key *level, *k = resolve(schema, path, &level);
	char list[1024];
	if (!k || k->type == CFG_SECTION) {
		key_names(k ? k->sub : level, list, sizeof(list));
		diag_add(d, origin, 0, 0,
			 k ? "%s: '%s' is a section: expected one of its keys "
			     "(%s)"
			   : "%s: unknown key '%s' (expected one of: %s)",
			 what, path, list);
		return -1;
	}
	if (k->type != CFG_FLAGS)
		return set_scalar(k, what, path, text, 0, NULL, obj, origin, 0,
				  0, d);
	/* names joined by '+' ("west+east"): a comma separates values */
	*(unsigned *)((char *)obj + k->offset) = 0;
	char *copy = xstrdup(text), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, "+", &save); t;
	     t = strtok_r(NULL, "+", &save))
		rc |= set_scalar(k, what, path, t, 0, NULL, obj, origin, 0, 0,
				 d);
	free(copy);
	return rc;
}

int cfg_set(const struct cfg_key *schema, const char *what, const char *opt,
	    const char *item, void *obj, struct cfg_src *src, struct diag *d)
{
	const char *eq = strchr(item, '=');
	char *origin = xasprintf("%s %s", opt, item);
	int rc = WS_OK;
	if (!eq || eq == item) {
		diag_add(d, NULL, 0, 0,
			 "%s: '%s' items must be KEY=VALUE (a key of the "
			 "schema), got '%s'",
			 what, opt, item);
		rc = WS_EINPUT;
	} else {
		char *path = xasprintf("%.*s", (int)(eq - item), item);
		if (set_path(schema, what, origin, path, eq + 1, obj, d))
			rc = WS_EINPUT;
		else
			src_override(src, path, origin);
		free(path);
	}
	free(origin);
	return rc;
}

/* cfg_load_string, the overrides, then `check` if all were fine. */
static int load_checked(const struct cfg_key *schema, const char *what,
			const char *file, const char *text,
			const struct cfg_sets *sets, void *obj,
			cfg_check_fn check, struct diag *d)
{
	struct cfg_src src;
	cfg_src_init(&src);
	int rc = cfg_load_string(schema, what, file, text, strlen(text), obj,
				 &src, d);
	for (int i = 0; rc == WS_OK && sets && i < sets->n; i++)
		if (cfg_set(schema, what, sets->opt, sets->item[i], obj, &src,
			    d))
			rc = WS_EINPUT;
	if (rc == WS_OK && check)
		rc = check(obj, &src, d);
	cfg_src_release(&src);
	return rc;
}

int cfg_load_checked(const struct cfg_key *schema, const char *what,
		     const char *file, const char *text, void *obj,
		     cfg_check_fn check, struct diag *d)
{
	return load_checked(schema, what, file, text, NULL, obj, check, d);
}

int cfg_load_preset_set(const struct cfg_key *schema, const char *what,
			const char *subdir, const char *name_or_path,
			const struct cfg_sets *sets, void *obj,
			cfg_check_fn check, struct diag *d)
{
	char *path = ws_find_model(name_or_path, subdir, ".yaml", what, d);
	if (!path)
		return WS_EIO;
	char *text;
	int rc = read_file_max(path, CFG_YAML_MAX_BYTES, &text, NULL, d);
	if (rc == WS_OK) {
		rc = load_checked(schema, what, path, text, sets, obj, check,
				  d);
		free(text);
	}
	free(path);
	return rc;
}

int cfg_load_preset(const struct cfg_key *schema, const char *what,
		    const char *subdir, const char *name_or_path, void *obj,
		    cfg_check_fn check, struct diag *d)
{
	return cfg_load_preset_set(schema, what, subdir, name_or_path, NULL,
				   obj, check, d);
}

/* ---- dumping ------------------------------------------------------------ */

static void dump_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void dump_keys(const struct cfg_key *keys, const void *obj, FILE *out,
		      int indent)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		const char *p = (const char *)obj + k->offset;
		fprintf(out, "%*s%s:", indent, "", k->name);
		if (k->type == CFG_SECTION) {
			fprintf(out, "  # %s\n", k->doc);
			dump_keys(k->sub, obj, out, indent + 2);
			continue;
		}
		char buf[32];
		fputc(' ', out);
		switch (k->type) {
		case CFG_INT: fprintf(out, "%lld", (long long)*(const int64_t *)p); break;
		case CFG_REAL: fputs(fmt_double_exact(buf, *(const double *)p), out); break;
		case CFG_BOOL: fputs(*(const int *)p ? "true" : "false", out); break;
		case CFG_STR: dump_str(out, p); break;
		case CFG_ENUM: fputs(k->names[*(const int *)p], out); break;
		case CFG_FLAGS: {
			unsigned f = *(const unsigned *)p;
			fputc('[', out);
			int first = 1;
			for (int i = 0; k->names[i]; i++) {
				if (f & (1u << i)) {
					fprintf(out, "%s%s", first ? "" : ", ",
						k->names[i]);
					first = 0;
				}
			}
			fputc(']', out);
			break;
		}
		default: break;
		}
		if (*k->unit)
			fprintf(out, "  # [%s] %s\n", k->unit, k->doc);
		else
			fprintf(out, "  # %s\n", k->doc);
	}
}

void cfg_dump(const struct cfg_key *schema, const void *obj, FILE *out)
{
	dump_keys(schema, obj, out, 0);
}

/* ---- documentation ------------------------------------------------------ */

static const char *type_name(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_INT: return "integer";
	case CFG_REAL: return "number";
	case CFG_BOOL: return "bool";
	case CFG_STR: return "string";
	case CFG_ENUM: return "name";
	case CFG_FLAGS: return "list";
	default: return "";
	}
}

static void schema_rows(const struct cfg_key *keys, const char *prefix,
			FILE *out)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 k->name);
		if (k->type == CFG_SECTION) {
			schema_rows(k->sub, path, out);
			continue;
		}
		char range[128] = "";
		if (k->type == CFG_INT || k->type == CFG_REAL)
			fmt_range(k, range, sizeof(range));
		else if (k->names)
			names_list(k->names, range, sizeof(range));
		fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", path,
			type_name(k), k->unit, range,
			k->def ? k->def : "(required)", k->doc);
	}
}

void cfg_print_schema(const struct cfg_key *schema, FILE *out)
{
	fprintf(out, "| key | type | unit | range | default | meaning |\n");
	fprintf(out, "|---|---|---|---|---|---|\n");
	schema_rows(schema, "", out);
}
