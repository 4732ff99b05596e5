/*
 * onnx_check.c: the limits an ONNX model is held to before the reader
 * looks at its graph (onnx_int.h), and its external-data references.
 *
 * Everything here reads the unpacked ModelProto only; the reader
 * (onnx.c) calls onnx_check_model once, right after unpacking, so no rule
 * ever sees a rank, a dimension or a count beyond the limits of onnx.h.
 * Errors are located as the issue asks: the file, then the value, the
 * initializer or the node (name, op type, index) and the field.
 *
 * External data (TensorProto.external_data, ONNX's "location", "offset",
 * "length" keys): weights are never read (only their dimensions are
 * used), but every location must stay inside the model's folder: a
 * relative POSIX path without "..".  Integer constants the reader folds
 * (shapes, axes) are read from it, at most ONNX_MAX_EXTERNAL_BYTES, from
 * a regular file whose resolved path lies inside the model's folder.
 */
#include "compiler/onnx_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ground/checked.h"
#include "ground/util.h"

struct ock {
	const char *file; /* the model, for messages */
	const char *dir;  /* its folder, or NULL (read from memory) */
	struct diag *d;
	int bad;
};

static void ock_err(struct ock *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ock_err(struct ock *k, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(k->d, k->file, 0, 0, "onnx: %s", msg);
	k->bad = 1;
}

/* A name as read, shortened for messages (a fuzzed name can be long). */
static const char *nm(const char *s)
{
	return s ? s : "";
}

/* Rank, dimensions and element count of a shape: `what` names it
 * ("graph input 'x'").  0 or -1. */
static int dims_check(struct ock *k, const char *what, size_t rank,
		      const int64_t *dims, const int *known)
{
	if (rank > ONNX_MAX_RANK) {
		ock_err(k, "%.300s must have rank at most %d, got %zu", what,
			ONNX_MAX_RANK, rank);
		return -1;
	}
	int64_t elems = 1;
	for (size_t i = 0; i < rank; i++) {
		if (known && !known[i])
			continue;
		if (dims[i] < 0 || dims[i] > CK_LIMIT) {
			ock_err(k,
				"%.300s: dimension %zu must be in [0, 2^53], "
				"got %lld",
				what, i, (long long)dims[i]);
			return -1;
		}
		if (!ck_mul_ok(elems, dims[i], &elems)) {
			ock_err(k,
				"%.300s must have at most 2^53 elements, got "
				"dimension %zu of %lld after %lld elements",
				what, i, (long long)dims[i],
				(long long)(elems == CK_LIMIT ? -1 : elems));
			return -1;
		}
	}
	return 0;
}

static void type_check(struct ock *k, const char *kind, const char *name,
		       const Onnx__TypeProto *tp)
{
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !tp->tensor_type || !tp->tensor_type->shape)
		return;
	const Onnx__TensorShapeProto *s = tp->tensor_type->shape;
	char what[400];
	snprintf(what, sizeof(what), "%s '%.200s'", kind, nm(name));
	if (s->n_dim > ONNX_MAX_RANK) {
		dims_check(k, what, s->n_dim, NULL, NULL);
		return;
	}
	int64_t dims[ONNX_MAX_RANK];
	int known[ONNX_MAX_RANK];
	for (size_t i = 0; i < s->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *dm = s->dim[i];
		known[i] = dm->value_case ==
			   ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		dims[i] = known[i] ? dm->dim_value : 0;
	}
	dims_check(k, what, s->n_dim, dims, known);
}

/* Bytes per element of the types whose values the reader folds, or 0. */
static int64_t elem_bytes(int32_t type)
{
	switch (type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return 8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return 4;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
	default: return 0;
	}
}

/* A decimal count from an external_data value: 0, or -1. */
static int parse_count(const char *s, int64_t *out)
{
	int64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > CK_LIMIT / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* A location that stays in the model's folder: relative, no "..", no
 * empty name.  0 or -1. */
static int location_ok(const char *loc)
{
	if (!*loc || loc[0] == '/' || strlen(loc) >= PATH_MAX)
		return -1;
	for (const char *p = loc; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		p += n + (e != NULL);
	}
	return 0;
}

struct ext_ref {
	const char *location;
	int64_t offset, length; /* length -1: to the end */
};

/* The external_data keys of t.  0 or -1 (reported). */
static int ext_parse(struct ock *k, const char *what,
		     const Onnx__TensorProto *t, struct ext_ref *r)
{
	r->location = NULL;
	r->offset = 0;
	r->length = -1;
	for (size_t i = 0; i < t->n_external_data; i++) {
		const Onnx__StringStringEntryProto *e = t->external_data[i];
		const char *key = nm(e->key), *val = nm(e->value);
		if (!strcmp(key, "location")) {
			r->location = val;
		} else if ((!strcmp(key, "offset") &&
			    parse_count(val, &r->offset)) ||
			   (!strcmp(key, "length") &&
			    parse_count(val, &r->length))) {
			ock_err(k,
				"%.300s: external_data '%s' must be a byte "
				"count, got '%.100s'",
				what, key, val);
			return -1;
		}
	}
	if (!r->location) {
		ock_err(k,
			"%.300s: external_data must have a 'location', got "
			"none",
			what);
		return -1;
	}
	if (location_ok(r->location)) {
		ock_err(k,
			"%.300s: external_data 'location' must be a relative "
			"path inside the model's folder (no '..'), got "
			"'%.200s'",
			what, r->location);
		return -1;
	}
	return 0;
}

/* Open `loc` under k->dir for reading, refusing anything whose resolved
 * path leaves the folder (a symbolic link out of it) and anything but a
 * regular file.  The descriptor, or -1 with *why set. */
static int ext_open(const struct ock *k, const char *loc, const char **why)
{
	char *dir_real = realpath(k->dir, NULL);
	char *joined = xasprintf("%s/%s", k->dir, loc);
	char *real = realpath(joined, NULL);
	int fd = -1;
	*why = "cannot be found";
	if (dir_real && real) {
		size_t n = strlen(dir_real);
		int inside = !strncmp(real, dir_real, n) &&
			     (real[n] == '/' || (n == 1 && dir_real[0] == '/'));
		*why = "leaves the model's folder";
		if (inside)
			fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
						O_NOCTTY);
		if (inside && fd < 0)
			*why = strerror(errno);
	}
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		*why = "is not a regular file";
	}
	free(dir_real);
	free(joined);
	free(real);
	return fd;
}

/* The values of a constant kept in an external file, read into raw_data
 * (the reader folds them like inline ones).  0 or -1 (reported). */
static int ext_read(struct ock *k, const char *what, Onnx__TensorProto *t,
		    const struct ext_ref *r, int64_t need)
{
	const char *why = "is not available (the model was read from memory)";
	int fd = k->dir ? ext_open(k, r->location, &why) : -1;
	struct stat st;
	if (fd >= 0 && !fstat(fd, &st) &&
	    (r->offset > (int64_t)st.st_size ||
	     need > (int64_t)st.st_size - r->offset)) {
		why = "is shorter than offset + length";
		close(fd);
		fd = -1;
	}
	uint8_t *buf = fd >= 0 ? xmalloc((size_t)need + 1) : NULL;
	if (fd >= 0 && pread(fd, buf, (size_t)need, (off_t)r->offset) != need)
		why = "cannot be read";
	else if (fd >= 0)
		why = NULL;
	if (fd >= 0)
		close(fd);
	if (why) {
		free(buf);
		ock_err(k,
			"%.300s: external data file '%.200s' %s (needed for "
			"its %lld bytes of values)",
			what, r->location, why, (long long)need);
		return -1;
	}
	free(t->raw_data.data);
	t->raw_data.data = buf;
	t->raw_data.len = (size_t)need;
	t->has_raw_data = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
	return 0;
}

/* A tensor (initializer or attribute): rank, dimensions, inline data
 * length, external reference; folded constants read in.  0 or -1. */
static int tensor_check(struct ock *k, const char *what,
			Onnx__TensorProto *t)
{
	if (dims_check(k, what, t->n_dims, t->dims, NULL))
		return -1;
	int64_t elems = 1;
	for (size_t i = 0; i < t->n_dims; i++)
		elems *= t->dims[i]; /* within CK_LIMIT: dims_check */
	int64_t eb = elem_bytes(t->data_type), need = elems * eb;
	if (t->raw_data.len && eb && (int64_t)t->raw_data.len != need) {
		ock_err(k,
			"%.300s: raw_data must hold %lld bytes (%lld elements), "
			"got %zu",
			what, (long long)need, (long long)elems,
			t->raw_data.len);
		return -1;
	}
	const struct {
		const char *field;
		size_t n;
	} typed[] = {{"float_data", t->n_float_data},
		     {"int32_data", t->n_int32_data},
		     {"int64_data", t->n_int64_data},
		     {"double_data", t->n_double_data},
		     {"uint64_data", t->n_uint64_data}};
	for (size_t i = 0; i < ARRAY_SIZE(typed); i++)
		if (typed[i].n && (int64_t)typed[i].n != elems) {
			ock_err(k, "%.300s: %s must hold %lld elements (its "
				"dims), got %zu",
				what, typed[i].field, (long long)elems,
				typed[i].n);
			return -1;
		}
	int external = (t->has_data_location &&
			t->data_location ==
				ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
		       t->n_external_data;
	if (!external)
		return 0;
	struct ext_ref r;
	if (ext_parse(k, what, t, &r))
		return -1;
	if (eb && r.length >= 0 && r.length != need) {
		ock_err(k,
			"%.300s: external_data 'length' must be %lld bytes "
			"(%lld elements), got %lld",
			what, (long long)need, (long long)elems,
			(long long)r.length);
		return -1;
	}
	/* weights: only dimensions are used; folded constants: values */
	int weight = t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
		     t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32 &&
		     t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__BOOL &&
		     t->n_dims >= 1;
	if (weight || !eb || need > ONNX_MAX_EXTERNAL_BYTES)
		return 0;
	return ext_read(k, what, t, &r, need);
}

/* Attributes whose type the reader relies on (ONNX's operator docs):
 * one given with another type (strides as floats, a kernel as a string)
 * is refused rather than read as absent. */
#define AT(t) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##t
static const struct {
	const char *name;
	int type;
} attr_types[] = {
	{"kernel_shape", AT(INTS)}, {"strides", AT(INTS)},
	{"dilations", AT(INTS)},    {"pads", AT(INTS)},
	{"output_padding", AT(INTS)}, {"output_shape", AT(INTS)},
	{"perm", AT(INTS)},	    {"split", AT(INTS)},
	{"group", AT(INT)},	    {"axis", AT(INT)},
	{"keepdims", AT(INT)},	    {"transA", AT(INT)},
	{"transB", AT(INT)},	    {"ceil_mode", AT(INT)},
	{"count_include_pad", AT(INT)}, {"auto_pad", AT(STRING)},
	{"mode", AT(STRING)},	    {"then_branch", AT(GRAPH)},
	{"else_branch", AT(GRAPH)}, {"body", AT(GRAPH)},
};

/* The type an attribute has: its 'type' field, else (files before IR 3
 * had none) the field that is set. */
static int attr_type_of(const Onnx__AttributeProto *at)
{
	if (at->has_type && at->type != AT(UNDEFINED))
		return (int)at->type;
	return at->n_ints ? AT(INTS) : at->n_floats ? AT(FLOATS)
	       : at->has_i ? AT(INT) : at->has_f ? AT(FLOAT)
	       : at->has_s ? AT(STRING) : at->g ? AT(GRAPH)
	       : at->t ? AT(TENSOR) : AT(UNDEFINED);
}

static const char *attr_type_name(int t)
{
	switch (t) {
	case AT(FLOAT): return "FLOAT";
	case AT(INT): return "INT";
	case AT(STRING): return "STRING";
	case AT(TENSOR): return "TENSOR";
	case AT(GRAPH): return "GRAPH";
	case AT(FLOATS): return "FLOATS";
	case AT(INTS): return "INTS";
	case AT(STRINGS): return "STRINGS";
	default: return "another type";
	}
}

/* One attribute's type and, where the reader relies on it, its values
 * (auto_pad's words); `what` names the node and the attribute. */
static int attr_check(struct ock *k, const char *what,
		      const Onnx__AttributeProto *at)
{
	int t = attr_type_of(at);
	for (size_t i = 0; i < ARRAY_SIZE(attr_types); i++) {
		if (!at->name || strcmp(at->name, attr_types[i].name))
			continue;
		if (t != attr_types[i].type) {
			ock_err(k, "%s must be %s, got %s", what,
				attr_type_name(attr_types[i].type),
				attr_type_name(t));
			return -1;
		}
	}
	static const char *const pads[] = {"NOTSET", "SAME_UPPER",
					   "SAME_LOWER", "VALID"};
	if (at->name && !strcmp(at->name, "auto_pad")) {
		for (size_t i = 0; i < ARRAY_SIZE(pads); i++)
			if (at->s.len == strlen(pads[i]) &&
			    !memcmp(at->s.data, pads[i], at->s.len))
				return 0;
		ock_err(k, "%s must be NOTSET, SAME_UPPER, SAME_LOWER or "
			"VALID, got '%.*s'",
			what, (int)(at->s.len > 60 ? 60 : at->s.len),
			at->s.data ? (const char *)at->s.data : "");
		return -1;
	}
	return 0;
}

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n,
				      const char *name)
{
	for (size_t a = 0; a < n->n_attribute; a++)
		if (n->attribute[a]->name &&
		    !strcmp(n->attribute[a]->name, name))
			return n->attribute[a];
	return NULL;
}

/* Convolutions and pools: one stride, dilation and output padding per
 * kernel axis, two pads per axis (ONNX's Conv); `head` names the node. */
static int window_check(struct ock *k, const char *head,
			const Onnx__NodeProto *n)
{
	static const char *const ops[] = {"Conv", "ConvTranspose", "MaxPool",
					  "AveragePool", "LpPool"};
	int is = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		is |= n->op_type && !strcmp(n->op_type, ops[i]);
	if (!is)
		return 0;
	const Onnx__AttributeProto *ks = onnx_attr(n, "kernel_shape");
	const Onnx__AttributeProto *pd = onnx_attr(n, "pads");
	long sp = ks ? (long)ks->n_ints : -1;
	static const char *const per_axis[] = {"strides", "dilations",
					       "output_padding"};
	for (size_t i = 0; i < ARRAY_SIZE(per_axis); i++) {
		const Onnx__AttributeProto *a = onnx_attr(n, per_axis[i]);
		if (!a)
			continue;
		if (sp < 0)
			sp = (long)a->n_ints;
		if ((long)a->n_ints != sp) {
			ock_err(k, "%s: attribute '%s' must have one value per "
				"spatial axis (%ld), got %zu",
				head, per_axis[i], sp, a->n_ints);
			return -1;
		}
	}
	if (pd && (pd->n_ints % 2 || (sp >= 0 && (long)pd->n_ints != 2 * sp))) {
		ock_err(k, "%s: attribute 'pads' must have a begin and an end "
			"per spatial axis (%s), got %zu values",
			head, sp >= 0 ? "2 per axis" : "an even count",
			pd->n_ints);
		return -1;
	}
	return 0;
}

static void node_check(struct ock *k, Onnx__NodeProto *n, size_t idx)
{
	char what[512], head[300];
	const char *name = n->name && *n->name ? n->name : "";
	snprintf(head, sizeof(head), "node '%.150s' (op type %.60s, node %zu)",
		 name, nm(n->op_type), idx);
	if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) {
		ock_err(k, "%s: domain must be ONNX's own (\"\" or "
			"\"ai.onnx\"), got '%.100s'",
			head, n->domain);
		return;
	}
	for (size_t a = 0; a < n->n_attribute; a++) {
		Onnx__AttributeProto *at = n->attribute[a];
		snprintf(what, sizeof(what), "%s: attribute '%.60s'", head,
			 nm(at->name));
		if (attr_check(k, what, at))
			return;
		if (at->g || at->n_graphs) {
			ock_err(k, "%s: control flow (a subgraph) is not "
				"supported; export the branch or loop taken "
				"(tracing unrolls it)",
				what);
			return;
		}
		if (at->t && tensor_check(k, what, at->t))
			return;
		for (size_t j = 0; j < at->n_tensors; j++)
			if (tensor_check(k, what, at->tensors[j]))
				return;
	}
	window_check(k, head, n);
}

/* The fields ONNX requires of a model and the reader relies on
 * (onnx.proto: ir_version "MUST be present", opset_import "MUST have at
 * least one entry"; a graph computes its outputs): all missing ones are
 * reported.  A file cut short after its graph loses opset_import, the
 * last field an exporter writes, and still parses; it is refused here.
 * The default operator set must be imported at a version ONNX has. */
static int required_check(struct ock *k, const Onnx__ModelProto *m)
{
	int bad = 0;
	if (!m->has_ir_version || m->ir_version < 1) {
		ock_err(k, "model must have 'ir_version' of at least 1 (ONNX "
			"requires it), got %s%lld",
			m->has_ir_version ? "" : "none, ",
			(long long)m->ir_version);
		bad = 1;
	}
	if (!m->graph->n_output) {
		ock_err(k, "graph must have at least one 'output' (the values "
			"it computes), got none");
		bad = 1;
	}
	if (!m->n_opset_import) {
		ock_err(k, "model must have 'opset_import' with ONNX's own "
			"opset (domain \"\"), got none (ONNX requires it; a "
			"file cut short after its graph loses it)");
		return -1;
	}
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		if (o->domain && *o->domain && strcmp(o->domain, "ai.onnx"))
			continue;
		if (o->version < 1 || o->version > ONNX_MAX_OPSET) {
			ock_err(k, "opset_import: the ONNX opset version must "
				"be in [1, %d], got %lld",
				ONNX_MAX_OPSET, (long long)o->version);
			return -1;
		}
		return bad ? -1 : 0;
	}
	ock_err(k, "opset_import must import ONNX's own opset (domain \"\"), "
		"got only other domains ('%.100s', ...)",
		nm(m->opset_import[0]->domain));
	return -1;
}

/* Every graph output is made by something: a node, an input or an
 * initializer. */
static int outputs_check(struct ock *k, const Onnx__GraphProto *gp)
{
	for (size_t o = 0; o < gp->n_output; o++) {
		const char *want = gp->output[o]->name;
		int found = 0;
		for (size_t i = 0; !found && want && i < gp->n_node; i++)
			for (size_t j = 0; j < gp->node[i]->n_output; j++)
				found |= gp->node[i]->output[j] &&
					 !strcmp(gp->node[i]->output[j], want);
		for (size_t i = 0; !found && want && i < gp->n_input; i++)
			found = gp->input[i]->name &&
				!strcmp(gp->input[i]->name, want);
		for (size_t i = 0; !found && want && i < gp->n_initializer; i++)
			found = gp->initializer[i]->name &&
				!strcmp(gp->initializer[i]->name, want);
		if (!found) {
			ock_err(k, "graph output '%.200s' must be made by a "
				"node, an input or an initializer, got none",
				nm(want));
			return -1;
		}
	}
	return 0;
}
#undef AT

/* A name that is not UTF-8 text (ONNX strings are) is refused: it could
 * not be quoted as read, nor written into JSON; nor one with a control
 * character, nor one longer than GRAPH_NAME_MAX.  `what` names its place,
 * "node 3 'output'".  0 or -1. */
static int utf8_check(struct ock *k, const char *what, const char *s)
{
	long at = s ? utf8_bad_offset(s) : -1;
	long ctrl = s ? ctrl_char_offset(s) : -1;
	/* a layer or tensor takes its name from it (compiler/graph.h) */
	if (s && strlen(s) > GRAPH_NAME_MAX) {
		ock_err(k, "%s must be at most %d bytes, got %zu ('%.40s...')",
			what, GRAPH_NAME_MAX, strlen(s), s);
		return -1;
	}
	if (at >= 0) {
		ock_err(k, "%s must be UTF-8 text, got the byte 0x%02x at "
			"byte %ld",
			what, (unsigned char)s[at], at);
		return -1;
	}
	/* a line break would break the tables, CSV rows and plan files
	 * the name is written into */
	if (ctrl >= 0) {
		ock_err(k, "%s must be one line of text, got the control "
			"character 0x%02x at byte %ld",
			what, (unsigned char)s[ctrl], ctrl);
		return -1;
	}
	return 0;
}

/* Every name of the graph and its nodes is UTF-8 text. */
static int names_check(struct ock *k, const Onnx__GraphProto *gp)
{
	char what[200];
	int bad = utf8_check(k, "graph 'name'", gp->name);
	const struct {
		const char *kind;
		size_t n;
		Onnx__ValueInfoProto **v;
	} vs[] = {{"graph input", gp->n_input, gp->input},
		  {"graph output", gp->n_output, gp->output},
		  {"value_info entry", gp->n_value_info, gp->value_info}};
	for (size_t j = 0; j < ARRAY_SIZE(vs); j++)
		for (size_t i = 0; i < vs[j].n && !bad; i++) {
			snprintf(what, sizeof(what), "%s %zu's name",
				 vs[j].kind, i);
			bad = utf8_check(k, what, vs[j].v[i]->name);
		}
	for (size_t i = 0; i < gp->n_initializer && !bad; i++) {
		snprintf(what, sizeof(what), "initializer %zu's name", i);
		bad = utf8_check(k, what, gp->initializer[i]->name);
	}
	for (size_t i = 0; i < gp->n_node && !bad; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		snprintf(what, sizeof(what), "node %zu's name", i);
		bad = utf8_check(k, what, n->name);
		snprintf(what, sizeof(what), "node %zu's op type", i);
		bad = bad || utf8_check(k, what, n->op_type);
		for (size_t j = 0; j < n->n_input && !bad; j++) {
			snprintf(what, sizeof(what), "node %zu's input %zu", i,
				 j);
			bad = utf8_check(k, what, n->input[j]);
		}
		for (size_t j = 0; j < n->n_output && !bad; j++) {
			snprintf(what, sizeof(what), "node %zu's output %zu", i,
				 j);
			bad = utf8_check(k, what, n->output[j]);
		}
	}
	return bad;
}

/* A node's layer name as the importer gives it (compiler/onnx.c
 * node_name): its name without a leading '/', else "<op type>_<index>",
 * into buf. */
static void layer_name_of(const Onnx__NodeProto *n, size_t idx, char *buf,
			  size_t len)
{
	if (n->name && *n->name)
		snprintf(buf, len, "%s", n->name + (n->name[0] == '/'));
	else
		snprintf(buf, len, "%s_%zu", n->op_type ? n->op_type : "node",
			 idx);
}

struct named {
	char *name;
	size_t idx;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Two nodes of one layer name (ONNX lets names repeat; they are only
 * for diagnostics there) would be two layers of one name here: a plan
 * written by 'place -o' names its stages by them and did not read back.
 * Refused at the second node. */
static int unique_check(struct ock *k, const Onnx__GraphProto *gp)
{
	struct named *v = xcalloc(gp->n_node + 1, sizeof(*v));
	for (size_t i = 0; i < gp->n_node; i++) {
		char buf[1024];
		layer_name_of(gp->node[i], i, buf, sizeof(buf));
		v[i].name = xstrdup(buf);
		v[i].idx = i;
	}
	qsort(v, gp->n_node, sizeof(*v), named_cmp);
	int bad = 0;
	for (size_t i = 1; i < gp->n_node && !bad; i++)
		if (!strcmp(v[i].name, v[i - 1].name)) {
			ock_err(k, "node %zu's name must differ from node %zu's "
				"(wafersim names its layers after the nodes), "
				"got '%.200s' for both",
				v[i].idx, v[i - 1].idx, v[i].name);
			bad = 1;
		}
	for (size_t i = 0; i < gp->n_node; i++)
		free(v[i].name);
	free(v);
	return bad ? -1 : 0;
}

/* Counts: nodes, initializers and declared values. */
static int counts_check(struct ock *k, const Onnx__GraphProto *gp)
{
	const struct {
		const char *what;
		size_t n;
	} c[] = {{"nodes", gp->n_node},
		 {"initializers", gp->n_initializer},
		 {"inputs", gp->n_input},
		 {"outputs", gp->n_output},
		 {"value_info entries", gp->n_value_info}};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		if (c[i].n > ONNX_MAX_NODES) {
			ock_err(k, "graph must have at most %d %s, got %zu",
				ONNX_MAX_NODES, c[i].what, c[i].n);
			return -1;
		}
	return 0;
}

int onnx_check_model(const char *file, const char *dir,
		     Onnx__ModelProto *m, struct diag *d)
{
	struct ock k = {file, dir, d, 0};
	Onnx__GraphProto *gp = m->graph;
	if (required_check(&k, m) || counts_check(&k, gp) ||
	    names_check(&k, gp) || unique_check(&k, gp) ||
	    outputs_check(&k, gp))
		return WS_EINPUT;
	for (size_t i = 0; i < gp->n_input; i++)
		type_check(&k, "graph input", gp->input[i]->name,
			   gp->input[i]->type);
	for (size_t i = 0; i < gp->n_output; i++)
		type_check(&k, "graph output", gp->output[i]->name,
			   gp->output[i]->type);
	for (size_t i = 0; i < gp->n_value_info; i++)
		type_check(&k, "value_info", gp->value_info[i]->name,
			   gp->value_info[i]->type);
	char what[300];
	for (size_t i = 0; i < gp->n_initializer; i++) {
		snprintf(what, sizeof(what), "initializer '%.200s'",
			 nm(gp->initializer[i]->name));
		tensor_check(&k, what, gp->initializer[i]);
	}
	for (size_t i = 0; i < gp->n_node; i++)
		node_check(&k, gp->node[i], i);
	return k.bad ? WS_EINPUT : WS_OK;
}
