/*
 * sweep_spec.c: what a sweep covers (sweep.h): the lists, their checks,
 * and the inputs loaded once before any point runs (networks, machines
 * with every combination of the --set axes, the GPU).
 *
 * What must stay true: every problem of the lists is found here, before
 * anything runs, and reported at once; what sweep_prepare hands over is
 * read-only afterwards (threads share it).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/sweep.h"
#include "compiler/kern.h"
#include "compiler/place.h"
#include "ground/util.h"

/* A sweep of more points is refused (checked before any machine of the
 * --set combinations is loaded): a typo in a list should not ask for
 * years of simulation or gigabytes of machines. [U] */
#define SWEEP_MAX_POINTS 1000000
/* Machines loaded (presets x --set combinations), each a few hundred
 * bytes and a file read: far above any what-if study. [U] */
#define SWEEP_MAX_MACHINES 10000

void sweep_spec_init(struct sweep_spec *s)
{
	memset(s, 0, sizeof(*s));
}

static void free_names(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_axes(struct sweep_axis *a, int n)
{
	for (int i = 0; i < n; i++) {
		free(a[i].key);
		free_names(a[i].values, a[i].n_values);
	}
	free(a);
}

void sweep_spec_release(struct sweep_spec *s)
{
	free_names(s->nets, s->n_nets);
	free_names(s->machines, s->n_machines);
	free_names(s->strategies, s->n_strategies);
	free(s->batches);
	free(s->dtypes);
	free(s->gpu);
	free_axes(s->sets, s->n_sets);
	free(s->modes);
	free(s->seeds);
	free_names(s->kernels, s->n_kernels);
	free(s->wafers);
	sweep_spec_init(s);
}

/* Split "a,b,c" into heap items; an empty list or item, or an item
 * given twice: error. */
static int split_list(const char *opt, const char *val, char ***out, int *n,
		      struct diag *d)
{
	*out = NULL;
	*n = 0;
	if (!val || !*val) {
		diag_add(d, NULL, 0, 0,
			 "sweep: '%s' must be a non-empty comma-separated "
			 "list, got ''", opt);
		return WS_EINPUT;
	}
	char **v = NULL;
	int k = 0;
	const char *p = val;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' must not have an empty item, got "
				 "'%s'", opt, val);
			free_names(v, k);
			return WS_EINPUT;
		}
		for (int i = 0; i < k; i++)
			if (strlen(v[i]) == len && !memcmp(v[i], p, len)) {
				diag_add(d, NULL, 0, 0,
					 "sweep: '%s' must not repeat an item "
					 "(the same points twice), got '%s' "
					 "twice in '%s'", opt, v[i], val);
				free_names(v, k);
				return WS_EINPUT;
			}
		v = xrealloc(v, sizeof(*v) * (size_t)(k + 1));
		v[k] = xmalloc(len + 1);
		memcpy(v[k], p, len);
		v[k][len] = '\0';
		k++;
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	*n = k;
	return 0;
}

/* Integer items in [lo, hi]; NULL (with every bad item reported) if any
 * is not. */
static int64_t *int_items(const char *opt, char **v, int n, long long lo,
			  long long hi, struct diag *d)
{
	int64_t *b = xcalloc((size_t)n, sizeof(*b));
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char *end;
		long long x = strtoll(v[i], &end, 10);
		if (*end || end == v[i] || x < lo || x > hi) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' items must be integers in [%lld, "
				 "%lld], got '%s'", opt, lo, hi, v[i]);
			bad = 1;
		}
		b[i] = x;
	}
	if (bad) {
		free(b);
		return NULL;
	}
	return b;
}

/* Name items of a table (names[k] has value k); NULL if any is not one. */
static int *name_items(const char *opt, char **v, int n,
		       const char *const *names, int n_names,
		       const char *expected, struct diag *d)
{
	int *t = xcalloc((size_t)n, sizeof(*t));
	int bad = 0;
	for (int i = 0; i < n; i++) {
		int k = 0;
		while (k < n_names && (!names[k] || strcmp(names[k], v[i])))
			k++;
		if (k == n_names) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' items must be %s, got '%s'", opt,
				 expected, v[i]);
			bad = 1;
		}
		t[i] = k;
	}
	if (bad) {
		free(t);
		return NULL;
	}
	return t;
}

/* --set KEY=V1,V2: a new axis (a key given twice is an error). */
static int add_axis(struct sweep_spec *s, const char *val, struct diag *d)
{
	const char *eq = val ? strchr(val, '=') : NULL;
	if (!eq || eq == val) {
		diag_add(d, NULL, 0, 0,
			 "sweep: '--set' must be KEY=V1,V2,... (a key of the "
			 "machine schema), got '%s'", val ? val : "");
		return WS_EINPUT;
	}
	char *key = xasprintf("%.*s", (int)(eq - val), val);
	char *opt = xasprintf("--set %s", key);
	int rc = 0;
	for (int i = 0; i < s->n_sets; i++)
		if (!strcmp(s->sets[i].key, key)) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '--set %s' must be given once (one "
				 "list of values per key), got it twice", key);
			rc = WS_EINPUT;
		}
	if (!rc && s->n_sets == SWEEP_MAX_SETS) {
		diag_add(d, NULL, 0, 0, "sweep: at most %d '--set' keys, got "
			 "more", SWEEP_MAX_SETS);
		rc = WS_EINPUT;
	}
	char **v = NULL;
	int n = 0;
	if (!rc && split_list(opt, eq + 1, &v, &n, d))
		rc = WS_EINPUT;
	free(opt);
	if (rc) {
		free(key);
		return rc;
	}
	s->sets = xrealloc(s->sets, sizeof(*s->sets) * (size_t)(s->n_sets + 1));
	s->sets[s->n_sets++] = (struct sweep_axis){key, v, n};
	return 0;
}

/* Replace a list field with `t` (NULL: a bad list, keep the old one). */
#define TAKE(field, count, t, n)                                               \
	do {                                                                   \
		if (!(t))                                                      \
			return WS_EINPUT;                                      \
		free(s->field);                                                \
		s->field = (t), s->count = (n);                                \
	} while (0)

/* The lists of numbers and names (v, n already split). */
static int set_values(struct sweep_spec *s, const char *opt, char **v, int n,
		      struct diag *d)
{
	static const char *const prec[] = {[PREC_FP32] = "fp32",
					   [PREC_MIXED] = "mixed"};
	static const char *const modes[] = {[MODE_AUTO] = "auto",
					    [MODE_PIPELINED] = "pipelined",
					    [MODE_STREAMING] = "streaming"};
	if (!strcmp(opt, "--batch")) {
		int64_t *b = int_items(opt, v, n, 1, 1 << 20, d);
		TAKE(batches, n_batches, b, n);
	} else if (!strcmp(opt, "--wafers")) {
		int64_t *b = int_items(opt, v, n, 1, 1 << 20, d);
		TAKE(wafers, n_wafers, b, n);
	} else if (!strcmp(opt, "--seed")) {
		int64_t *b = int_items(opt, v, n, 0, 2147483647LL, d);
		TAKE(seeds, n_seeds, b, n);
	} else if (!strcmp(opt, "--dtype")) {
		int *t = name_items(opt, v, n, prec, (int)ARRAY_SIZE(prec),
				    "mixed or fp32", d);
		if (!t)
			return WS_EINPUT;
		enum pe_prec *p = xcalloc((size_t)n, sizeof(*p));
		for (int i = 0; i < n; i++)
			p[i] = (enum pe_prec)t[i];
		free(t);
		TAKE(dtypes, n_dtypes, p, n);
	} else if (!strcmp(opt, "--mode")) {
		int *t = name_items(opt, v, n, modes, (int)ARRAY_SIZE(modes),
				    "auto, pipelined or streaming", d);
		TAKE(modes, n_modes, t, n);
	} else {
		diag_add(d, NULL, 0, 0, "sweep: unknown list option '%s'", opt);
		return WS_EINPUT;
	}
	return 0;
}

#undef TAKE

int sweep_spec_set(struct sweep_spec *s, const char *opt, const char *val,
		   struct diag *d)
{
	if (!strcmp(opt, "--set"))
		return add_axis(s, val, d);
	char **v;
	int n;
	if (split_list(opt, val, &v, &n, d))
		return WS_EINPUT;
	char ***names = !strcmp(opt, "--nets")	       ? &s->nets
			: !strcmp(opt, "--machines")   ? &s->machines
			: !strcmp(opt, "--strategies") ? &s->strategies
			: !strcmp(opt, "--kernel")     ? &s->kernels
						       : NULL;
	int *count = !strcmp(opt, "--nets")	     ? &s->n_nets
		     : !strcmp(opt, "--machines")   ? &s->n_machines
		     : !strcmp(opt, "--strategies") ? &s->n_strategies
		     : !strcmp(opt, "--kernel")     ? &s->n_kernels
						    : NULL;
	if (names) {
		free_names(*names, *count);
		*names = v, *count = n;
		return 0;
	}
	int rc = set_values(s, opt, v, n, d);
	free_names(v, n);
	return rc;
}

static char **copy_names(char *const *v, int n)
{
	char **c = xcalloc((size_t)(n ? n : 1), sizeof(*c));
	for (int i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

/* A copy of n items of `size` bytes, or of the one default `def`. */
static void *copy_or_default(const void *v, int n, size_t size,
			     const void *def, int *n_out)
{
	*n_out = n ? n : 1;
	void *c = xcalloc((size_t)*n_out, size);
	memcpy(c, n ? v : def, size * (size_t)*n_out);
	return c;
}

/* The spec with its defaults (one dtype, mode and seed when not given). */
static void copy_spec(const struct sweep_spec *spec, struct sweep_spec *c)
{
	static const enum pe_prec mixed = PREC_MIXED;
	static const int auto_mode = MODE_AUTO;
	static const int64_t seed1 = 1, one_wafer = 1;
	static char auto_kernel[] = "auto";
	static char *const def_kernels[] = {auto_kernel};
	c->nets = copy_names(spec->nets, spec->n_nets);
	c->n_nets = spec->n_nets;
	c->machines = copy_names(spec->machines, spec->n_machines);
	c->n_machines = spec->n_machines;
	c->strategies = copy_names(spec->strategies, spec->n_strategies);
	c->n_strategies = spec->n_strategies;
	c->batches = copy_or_default(spec->batches, spec->n_batches,
				     sizeof(*c->batches), NULL,
				     &c->n_batches);
	c->dtypes = copy_or_default(spec->dtypes, spec->n_dtypes,
				    sizeof(*c->dtypes), &mixed, &c->n_dtypes);
	c->modes = copy_or_default(spec->modes, spec->n_modes,
				   sizeof(*c->modes), &auto_mode, &c->n_modes);
	c->seeds = copy_or_default(spec->seeds, spec->n_seeds,
				   sizeof(*c->seeds), &seed1, &c->n_seeds);
	c->kernels = copy_names(spec->n_kernels ? spec->kernels : def_kernels,
				spec->n_kernels ? spec->n_kernels : 1);
	c->n_kernels = spec->n_kernels ? spec->n_kernels : 1;
	c->wafers = copy_or_default(spec->wafers, spec->n_wafers,
				    sizeof(*c->wafers), &one_wafer,
				    &c->n_wafers);
	c->sets = xcalloc((size_t)spec->n_sets + 1, sizeof(*c->sets));
	for (int k = 0; k < spec->n_sets; k++) {
		const struct sweep_axis *a = &spec->sets[k];
		c->sets[k] = (struct sweep_axis){
			xstrdup(a->key), copy_names(a->values, a->n_values),
			a->n_values};
	}
	c->n_sets = spec->n_sets;
	c->gpu = spec->gpu ? xstrdup(spec->gpu) : NULL;
	c->steps = spec->steps;
	c->gpus = spec->gpus;
	c->gpu_batch = spec->gpu_batch;
	c->max_memory = spec->max_memory;
}

static void check_strategies(const struct sweep_spec *spec, struct diag *d)
{
	for (int i = 0; i < spec->n_strategies; i++) {
		if (!strcmp(spec->strategies[i], PLACE_AUTO) ||
		    place_find_strategy(spec->strategies[i]))
			continue;
		int n;
		const struct place_strategy *const *all = place_strategies(&n);
		char known[256] = "";
		for (int k = 0; k < n; k++)
			snprintf(known + strlen(known),
				 sizeof(known) - strlen(known), "%s%s",
				 k ? ", " : "", all[k]->name);
		diag_add(d, NULL, 0, 0,
			 "sweep: '--strategy' items must be one of " PLACE_AUTO
			 ", %s, got '%s'", known, spec->strategies[i]);
	}
}

static void check_kernels(const struct sweep_spec *spec, struct diag *d)
{
	for (int i = 0; i < spec->n_kernels; i++)
		if (strcmp(spec->kernels[i], "auto") &&
		    kern_from_name(spec->kernels[i]) < 0)
			diag_add(d, NULL, 0, 0,
				 "sweep: '--kernel' items must be auto, %s, "
				 "got '%s'", kern_names(), spec->kernels[i]);
}

/* Every list non-empty, the point count within SWEEP_MAX_POINTS; its
 * count of --set combinations into *combos.  Errors into d. */
static int64_t count_points(const struct sweep_spec *spec, int64_t *combos,
			    struct diag *d)
{
	static const char *const what[] = {"--nets", "--machines",
					   "--strategies", "--batch"};
	const int counts[] = {spec->n_nets, spec->n_machines,
			      spec->n_strategies, spec->n_batches};
	int64_t n = 1;
	int empty = 0;
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		if (counts[i] < 1) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' must list at least one item, "
				 "got none", what[i]);
			empty = 1;
		}
		n *= counts[i] > 0 ? counts[i] : 1;
		n = n > SWEEP_MAX_POINTS ? SWEEP_MAX_POINTS + 1 : n;
	}
	const int more[] = {spec->n_dtypes, spec->n_modes, spec->n_seeds,
			    spec->n_kernels, spec->n_wafers};
	for (size_t i = 0; i < ARRAY_SIZE(more); i++) {
		n *= more[i] > 0 ? more[i] : 1;
		n = n > SWEEP_MAX_POINTS ? SWEEP_MAX_POINTS + 1 : n;
	}
	*combos = 1;
	for (int k = 0; k < spec->n_sets; k++) {
		*combos *= spec->sets[k].n_values;
		*combos = *combos > SWEEP_MAX_POINTS ? SWEEP_MAX_POINTS + 1
						     : *combos;
	}
	n *= *combos;
	if (!empty && n > SWEEP_MAX_POINTS)
		diag_add(d, NULL, 0, 0,
			 "sweep: the lists must make at most %d points, got "
			 "more (the product of every list's length)",
			 SWEEP_MAX_POINTS);
	int64_t machines = *combos * (spec->n_machines > 0 ? spec->n_machines
							   : 1);
	if (!empty && n <= SWEEP_MAX_POINTS && machines > SWEEP_MAX_MACHINES)
		diag_add(d, NULL, 0, 0,
			 "sweep: '--machine' and the '--set' values must make "
			 "at most %d machines, got %lld",
			 SWEEP_MAX_MACHINES, (long long)machines);
	return empty || n > SWEEP_MAX_POINTS ||
		       machines > SWEEP_MAX_MACHINES
		       ? 0
		       : n;
}

/* Add the messages of `from` not already in `d` (the same bad value is
 * found for every machine and combination). */
static void add_new(struct diag *d, const struct diag *from)
{
	for (size_t i = 0; i < diag_count(from); i++) {
		const char *t = diag_text(from, i);
		size_t k = 0;
		while (k < diag_count(d) && strcmp(diag_text(d, k), t))
			k++;
		if (k == diag_count(d))
			diag_add(d, NULL, 0, 0, "%s", t);
	}
}

/* Machine `name` with the values of combination `c` of the axes. */
static int load_combo(const struct sweep_spec *spec, const char *name,
		      int64_t c, struct machine *m, struct diag *d)
{
	char *items[SWEEP_MAX_SETS];
	for (int k = spec->n_sets - 1; k >= 0; k--) {
		const struct sweep_axis *a = &spec->sets[k];
		items[k] = xasprintf("%s=%s", a->key,
				     a->values[c % a->n_values]);
		c /= a->n_values;
	}
	struct cfg_sets sets = {"--set", (const char *const *)items,
				spec->n_sets};
	struct diag mine;
	diag_init(&mine);
	int rc = machine_load_set(name, &sets, m, &mine);
	add_new(d, &mine);
	diag_release(&mine);
	for (int k = 0; k < spec->n_sets; k++)
		free(items[k]);
	return rc;
}

/* Every machine with every combination of the --set values.  A bad key is
 * reported once (by its first value), a bad value once per machine. */
static void load_machines(const struct sweep_spec *spec, struct sweep *sw,
			  struct diag *d)
{
	size_t before = diag_count(d);
	struct machine probe;
	for (int i = 0; i < spec->n_machines; i++) {
		if (machine_load(spec->machines[i], &probe, d) || !spec->n_sets)
			continue;
		/* each value alone first: clear messages, found once */
		for (int k = 0; k < spec->n_sets; k++) {
			const struct sweep_axis *a = &spec->sets[k];
			int known = cfg_find_path(machine_schema, a->key) &&
				    cfg_find_path(machine_schema, a->key)->type !=
					    CFG_SECTION;
			for (int v = 0; v < (known ? a->n_values : 1); v++) {
				char *it = xasprintf("%s=%s", a->key,
						     a->values[v]);
				const char *items[1] = {it};
				struct cfg_sets one = {"--set", items, 1};
				struct diag mine;
				diag_init(&mine);
				machine_load_set(spec->machines[i], &one,
						 &probe, &mine);
				add_new(d, &mine);
				diag_release(&mine);
				free(it);
			}
		}
	}
	if (diag_count(d) > before)
		return;
	for (int i = 0; i < spec->n_machines; i++)
		for (int64_t c = 0; c < sw->n_combos; c++)
			load_combo(spec, spec->machines[i], c,
				   &sw->machines[i * sw->n_combos + c], d);
}

int sweep_prepare(const struct sweep_spec *spec, struct sweep *sw,
		  struct diag *d)
{
	memset(sw, 0, sizeof(*sw));
	size_t before = diag_count(d);
	int64_t combos;
	int64_t n_points = count_points(spec, &combos, d);
	check_strategies(spec, d);
	check_kernels(spec, d);
	if (spec->gpu_batch && !spec->gpu)
		diag_add(d, NULL, 0, 0, "sweep: '--gpu-batch' needs a GPU to "
			 "compare with: give '--gpu G'");
	if (!n_points) /* a list missing or too long: nothing to load */
		return WS_EINPUT;
	/* load every input once; the threads share them read-only */
	sw->n_combos = combos;
	sw->graphs = xcalloc((size_t)spec->n_nets, sizeof(*sw->graphs));
	sw->machines = xcalloc((size_t)(spec->n_machines * combos),
			       sizeof(*sw->machines));
	char *loaded_g = xcalloc((size_t)spec->n_nets + 1, 1);
	for (int i = 0; i < spec->n_nets; i++)
		loaded_g[i] = graph_load(spec->nets[i], OPT_MOMENTUM,
					 &sw->graphs[i], d) == 0;
	load_machines(spec, sw, d);
	if (spec->gpu)
		gpu_load(spec->gpu, &sw->gpu, d);
	if (diag_count(d) > before) {
		for (int i = 0; i < spec->n_nets; i++)
			if (loaded_g[i])
				graph_release(&sw->graphs[i]);
		free(loaded_g);
		free(sw->graphs);
		free(sw->machines);
		memset(sw, 0, sizeof(*sw));
		return WS_EINPUT;
	}
	free(loaded_g);
	copy_spec(spec, &sw->spec);
	sw->n_points = n_points;
	sw->show_mode = spec->n_modes > 0;
	sw->show_seed = spec->n_seeds > 0;
	sw->show_kernel = spec->n_kernels > 0;
	sw->show_wafers = spec->n_wafers > 0;
	sw->show_gpus = spec->gpus > 0 || spec->gpu_batch > 0;
	return 0;
}

void sweep_release(struct sweep *sw)
{
	for (int i = 0; i < sw->spec.n_nets; i++)
		graph_release(&sw->graphs[i]);
	free(sw->graphs);
	free(sw->machines);
	sweep_spec_release(&sw->spec);
	memset(sw, 0, sizeof(*sw));
}
