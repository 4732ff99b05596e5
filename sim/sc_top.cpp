/*
 * sc_top.cpp: the reference model's mesh top level, and the C API of
 * sim/sc_ref.h.  See both headers.
 */
#include "sim/sc_top.h"

#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" {
#include "fabric/timing.h"
#include "fabric/traffic.h"
#include "sim/stats.h"
#include "ground/tmpclean.h"
#include "ground/util.h"
}

/* ---- the mesh ---------------------------------------------------------- */

static int neighbour(const sc_mesh_cfg *m, int id, int port)
{
	int x = id % m->width, y = id / m->width;
	switch (port) {
	case SCR_N: return y > 0 ? id - m->width : -1;
	case SCR_S: return y < m->height - 1 ? id + m->width : -1;
	case SCR_E: return x < m->width - 1 ? id + 1 : -1;
	case SCR_W: return x > 0 ? id - 1 : -1;
	default: return -1;
	}
}

static int opposite(int port)
{
	static const int opp[] = {SCR_S, SCR_N, SCR_W, SCR_E, SCR_RAMP};
	return opp[port];
}

sc_top::sc_top(sc_core::sc_module_name name, const sc_mesh_cfg *mesh,
	       const sc_pe_cfg *pcfg, uint64_t seed)
    : sc_module(name), n_(mesh->width * mesh->height),
      clk_("clk", sc_core::sc_time(1, sc_core::SC_NS), 0.5,
	   sc_core::SC_ZERO_TIME, true),
      idle_link_("idle_link"), idle_credit_("idle_credit")
{
	char nm[64];
	for (int i = 0; i < n_; i++) {
		for (int p = 0; p < SCR_PORTS; p++) {
			snprintf(nm, sizeof nm, "link_%d_%d", i, p);
			link_.emplace_back(
				new sc_core::sc_signal<sc_wavelet>(nm));
			snprintf(nm, sizeof nm, "credit_%d_%d", i, p);
			credit_.emplace_back(
				new sc_core::sc_signal<uint64_t>(nm));
		}
		snprintf(nm, sizeof nm, "pe_tx_%d", i);
		pe_tx_.emplace_back(new sc_core::sc_signal<sc_wavelet>(nm));
		snprintf(nm, sizeof nm, "pe_credit_%d", i);
		pe_credit_.emplace_back(new sc_core::sc_signal<uint64_t>(nm));
	}
	for (int i = 0; i < n_; i++) {
		snprintf(nm, sizeof nm, "router_%d_%d", i % mesh->width,
			 i / mesh->width);
		routers_.emplace_back(new sc_router(nm, mesh, i));
		snprintf(nm, sizeof nm, "pe_%d_%d", i % mesh->width,
			 i / mesh->width);
		pes_.emplace_back(new sc_pe(nm, pcfg, i, seed));
	}
	for (int i = 0; i < n_; i++) {
		sc_router &r = *routers_[(size_t)i];
		r.clk(clk_);
		for (int p = 0; p < SCR_PORTS; p++) {
			r.out[p](*link_[(size_t)i * SCR_PORTS + (size_t)p]);
			r.credit_out[p](
				*credit_[(size_t)i * SCR_PORTS + (size_t)p]);
			if (p == SCR_RAMP) {
				r.in[p](*pe_tx_[(size_t)i]);
				r.credit_in[p](*pe_credit_[(size_t)i]);
				continue;
			}
			int nb = neighbour(mesh, i, p);
			if (nb < 0) {
				r.in[p](idle_link_);
				r.credit_in[p](idle_credit_);
			} else {
				size_t k = (size_t)nb * SCR_PORTS +
					   (size_t)opposite(p);
				r.in[p](*link_[k]);
				r.credit_in[p](*credit_[k]);
			}
		}
		sc_pe &e = *pes_[(size_t)i];
		e.clk(clk_);
		e.rx(*link_[(size_t)i * SCR_PORTS + SCR_RAMP]);
		e.tx(*pe_tx_[(size_t)i]);
		e.credit_in(*credit_[(size_t)i * SCR_PORTS + SCR_RAMP]);
		e.credit_out(*pe_credit_[(size_t)i]);
	}
}

sc_top::~sc_top() = default;

void sc_top::trace(sc_core::sc_trace_file *tf, int id)
{
	static const char *const port_names[] = {"N", "S", "E", "W", "ramp"};
	std::string base = routers_[(size_t)id]->name();
	for (int p = 0; p < SCR_PORTS; p++) {
		sc_trace(tf, link_[(size_t)id * SCR_PORTS + (size_t)p]->read(),
			 base + ".out_" + port_names[p]);
		sc_core::sc_trace(
			tf, credit_[(size_t)id * SCR_PORTS + (size_t)p]->read(),
			base + ".credit_" + port_names[p]);
	}
	sc_trace(tf, pe_tx_[(size_t)id]->read(),
		 std::string(pes_[(size_t)id]->name()) + ".tx");
	pes_[(size_t)id]->trace(tf);
}

/* The SystemC library's own main() calls sc_main; wafersim has its own
 * main, so this is never called, but the library needs the symbol. */
int sc_main(int, char *[])
{
	fprintf(stderr,
		"wafersim: the SystemC reference model is a library; "
		"run it through 'wafersim fabric|run --engine systemc'\n");
	return 1;
}

/* ---- running in a child process ---------------------------------------- */

namespace
{

/* What the child sends back through the pipe. */
struct child_result {
	int rc;
	char msg[256];
	sc_ref_traffic_stats traffic;
	sc_ref_program_stats program;
};

struct run_spec {
	const struct machine *m;
	const sc_ref_traffic *traffic;
	const sc_ref_program *program;
	const sc_ref_opts *opts;
	std::string vcd_base; /* "" or the temporary name without ".vcd" */
};

void mesh_from_machine(sc_mesh_cfg *mesh, const struct machine *m, int64_t w,
		       int64_t h)
{
	mesh->width = (int)w;
	mesh->height = (int)h;
	mesh->colors = (int)m->fabric.colors;
	mesh->depth = (int)m->fabric.buffer_depth_wavelets;
	mesh->hop_cycles = (int64_t)fabric_hop_cycles(&m->fabric);
	mesh->ramp_cycles = m->fabric.ramp_latency_cycles;
}

int64_t max_cycles_of(const sc_ref_opts *o)
{
	return o && o->max_cycles > 0 ? o->max_cycles : 10000000;
}

void run_chunk(int64_t cycles)
{
	sc_core::sc_start(sc_core::sc_time((double)cycles, sc_core::SC_NS));
}

/*
 * SystemC's VCD writer checks none of its writes: on a full disk it
 * leaves a truncated waveform that looks whole, and the command said it
 * was written.  So it writes into a FIFO, and a thread of the child
 * copies the FIFO into the temporary file (run_spec.vcd_base + ".vcd"),
 * checking every write; the FIFO is drained to its end whatever fails,
 * so the writer never blocks.
 */
struct vcd_copy {
	std::string fifo, file;
	pthread_t thread;
	bool running;
	int err; /* errno of the first failure, else 0 */
};

void *vcd_copy_main(void *arg)
{
	vcd_copy *c = (vcd_copy *)arg;
	int in = open(c->fifo.c_str(), O_RDONLY | O_CLOEXEC);
	int out = -1;
	if (in < 0)
		c->err = errno;
	else if ((out = open(c->file.c_str(),
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0666)) < 0)
		c->err = errno;
	static char buf[65536];
	while (in >= 0) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && !c->err)
				c->err = errno;
			break;
		}
		if (!c->err && ws_write_all(out, buf, (size_t)n) != 0)
			c->err = errno;
	}
	if (out >= 0 && !c->err && fsync(out) != 0)
		c->err = errno;
	if (out >= 0 && close(out) != 0 && !c->err)
		c->err = errno;
	if (in >= 0)
		close(in);
	return nullptr;
}

/* The FIFO and its copier, before SystemC opens its file; false (err
 * set) when they cannot be made. */
bool vcd_copy_start(vcd_copy &c, const std::string &base)
{
	c.fifo = base + ".fifo.vcd"; /* SystemC adds ".vcd" */
	c.file = base + ".vcd";
	c.running = false;
	c.err = 0;
	if (mkfifo(c.fifo.c_str(), 0600) != 0) {
		c.err = errno;
		return false;
	}
	if (pthread_create(&c.thread, nullptr, vcd_copy_main, &c) != 0) {
		c.err = EAGAIN;
		unlink(c.fifo.c_str());
		return false;
	}
	c.running = true;
	return true;
}

/* After SystemC closed its file: the copier finished, the FIFO gone;
 * a failure into res (the parent then removes the temporary file). */
void vcd_copy_finish(vcd_copy &c, const char *path, child_result *res)
{
	if (c.running) {
		/* a writer that opens and closes: the copier's open returns
		 * even if SystemC never opened the FIFO */
		int fd = open(c.fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		pthread_join(c.thread, nullptr);
		c.running = false;
	}
	unlink(c.fifo.c_str());
	if (c.err && !res->rc) {
		res->rc = WS_EIO;
		snprintf(res->msg, sizeof res->msg,
			 "reference model: cannot write the waveform '%.150s': "
			 "%s",
			 path, strerror(c.err));
	}
}

sc_core::sc_trace_file *open_trace(const run_spec &s, sc_top &top,
				   vcd_copy &copy)
{
	if (s.vcd_base.empty() || !vcd_copy_start(copy, s.vcd_base))
		return nullptr;
	sc_core::sc_trace_file *tf = sc_core::sc_create_vcd_trace_file(
		(s.vcd_base + ".fifo").c_str());
	tf->set_time_unit(1, sc_core::SC_PS); /* clock edges at 0 and 500 ps, PE steps on quarter cycles */
	for (int i = 0; i < s.opts->n_vcd_pes; i++)
		top.trace(tf, s.opts->vcd_pes[i]);
	return tf;
}

/* SystemC's file closed, then the copy finished. */
void close_trace(const run_spec &s, sc_core::sc_trace_file *tf,
		 vcd_copy &copy, child_result *res)
{
	if (tf)
		sc_core::sc_close_vcd_trace_file(tf);
	if (!s.vcd_base.empty())
		vcd_copy_finish(copy, s.opts->vcd_path, res);
}

void child_traffic(const run_spec &s, child_result *res)
{
	const sc_ref_traffic &t = *s.traffic;
	sc_mesh_cfg mesh;
	mesh_from_machine(&mesh, s.m, t.width, t.height);
	sc_pe_cfg pc;
	pc.mesh = &mesh;
	pc.pe = &s.m->pe;
	pc.traffic = &t;
	pc.hot_pe = (int)((t.height / 2) * t.width + t.width / 2);
	double w0 = wall_seconds();
	/* Never destroyed: the child exits right after, and tearing down
	 * thousands of SystemC objects costs seconds (name registry). */
	sc_top &top = *new sc_top("top", &mesh, &pc, t.seed);
	vcd_copy copy;
	sc_core::sc_trace_file *tf = open_trace(s, top, copy);
	const int64_t end_gen = t.warmup_cycles + t.measure_cycles;
	const int64_t limit = max_cycles_of(s.opts);
	int64_t now = 0;
	for (;;) {
		int64_t chunk = now < end_gen ? end_gen - now : 64;
		if (now + chunk > limit)
			chunk = limit - now;
		if (chunk <= 0)
			break;
		run_chunk(chunk);
		now += chunk;
		int64_t gen = 0, done = 0, left = 0;
		for (int i = 0; i < top.n(); i++) {
			const sc_pe_stats &p = top.pe(i).stats();
			gen += p.packets_measured_gen;
			done += p.packets_measured_done;
			left += p.queued + p.injected - p.ejected -
				top.router(i).stats().unroutable;
		}
		if (now >= end_gen && done == gen && (!t.drain || left == 0))
			break;
	}
	double wall = wall_seconds() - w0;
	close_trace(s, tf, copy, res);

	sc_ref_traffic_stats &o = res->traffic;
	memset(&o, 0, sizeof o);
	double lat = 0, net = 0, hops = 0;
	int64_t gen = 0, win = 0, genw = 0, queued = 0;
	for (int i = 0; i < top.n(); i++) {
		const sc_pe_stats &p = top.pe(i).stats();
		gen += p.packets_measured_gen;
		o.packets_measured += p.packets_measured_done;
		lat += p.lat_sum;
		net += p.net_lat_sum;
		hops += p.hops_sum;
		if (p.lat_max > o.max_packet_latency)
			o.max_packet_latency = p.lat_max;
		win += p.ejected_window;
		genw += p.generated_window;
		o.wavelets_injected += p.injected;
		o.wavelets_ejected += p.ejected;
		queued += p.queued;
		o.packets_refused += p.refused;
		o.unroutable += top.router(i).stats().unroutable;
	}
	o.cycles = now;
	o.packets_generated = gen;
	o.packets_lost = gen - o.packets_measured;
	if (o.packets_measured) {
		o.avg_packet_latency = lat / (double)o.packets_measured;
		o.avg_network_latency = net / (double)o.packets_measured;
		o.avg_hops = hops / (double)o.packets_measured;
	}
	double denom = (double)t.measure_cycles * (double)top.n();
	o.throughput = (double)win / denom;
	o.offered = (double)genw / denom;
	o.wavelets_in_flight =
		o.wavelets_injected - o.wavelets_ejected - o.unroutable;
	o.wavelets_queued = queued;
	o.wall_s = wall;
}

void child_program(const run_spec &s, child_result *res)
{
	const sc_ref_program &pg = *s.program;
	sc_mesh_cfg mesh;
	mesh_from_machine(&mesh, s.m, pg.width, pg.height);
	mesh.routes = pg.routes;
	sc_pe_cfg pc;
	pc.mesh = &mesh;
	pc.pe = &s.m->pe;
	pc.prec = pg.prec;
	pc.program = &pg;
	double w0 = wall_seconds();
	sc_top &top = *new sc_top("top", &mesh, &pc, 1); /* see above */
	vcd_copy copy;
	sc_core::sc_trace_file *tf = open_trace(s, top, copy);
	const int64_t limit = max_cycles_of(s.opts);
	int64_t now = 0;
	bool all_done = false;
	while (now < limit) {
		int64_t chunk = now < 64 ? 64 : now / 8; /* check often early */
		if (chunk > 4096)
			chunk = 4096;
		if (now + chunk > limit)
			chunk = limit - now;
		run_chunk(chunk);
		now += chunk;
		all_done = true;
		for (int i = 0; i < top.n() && all_done; i++)
			all_done = top.pe(i).stats().done;
		if (all_done)
			break;
	}
	double wall = wall_seconds() - w0;
	close_trace(s, tf, copy, res);

	sc_ref_program_stats &o = res->program;
	memset(&o, 0, sizeof o);
	int64_t last = 0;
	for (int i = 0; i < top.n(); i++) {
		const sc_pe_stats &p = top.pe(i).stats();
		o.wavelets_injected += p.injected;
		o.wavelets_ejected += p.ejected;
		o.unroutable += top.router(i).stats().unroutable;
		if (p.busy_cycles > o.busy_cycles_max)
			o.busy_cycles_max = p.busy_cycles;
		if (p.last_event > last) {
			last = p.last_event;
			o.last_pe = i;
		}
	}
	/* PEs first decide at cycle 1 (the first falling edge). */
	o.cycles = last > 1 ? last - 1 : 0;
	o.deadlock = !all_done;
	o.wall_s = wall;
}

/* The temporary waveform is removed if a signal ends the process
 * (ground/tmpclean.h) until it is committed or removed. */
struct live_guard {
	const char *path;
	~live_guard() { tmp_live_del(path); }
};

/* The finished waveform `tmp` put at `path`.  SystemC writes the time
 * into it: a fixed one, so a run gives the same bytes every time; a
 * device or FIFO is written into, never replaced.  0 or WS_EIO. */
static int vcd_commit(const std::string &tmp, const char *path,
		      struct diag *d)
{
	ws_file_fix_stamp(tmp.c_str(), WS_VCD_DATE_KEY, WS_VCD_DATE);
	if (outfile_commit_file(tmp.c_str(), path, d)) {
		diag_add(d, NULL, 0, 0,
			 "reference model: cannot write the waveform '%s'",
			 path);
		return WS_EIO;
	}
	return 0;
}

/* The waveform's temporary name, without ".vcd": beside a file; a
 * device or FIFO is copied into, and its folder (/dev) is no place for a
 * temporary file, so $TMPDIR (or /tmp) holds it. */
static std::string vcd_temp_base(const char *path)
{
	char buf[64];
	snprintf(buf, sizeof buf, ".tmp%ld", (long)getpid());
	struct stat st;
	const char *tmpdir = getenv("TMPDIR");
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") +
		       "/wafersim-vcd" + buf;
	return std::string(path) + buf;
}

/* Run `s` in a child; fill `res`.  0 or WS_EIO. */
int run_in_child(run_spec &s, child_result *res, struct diag *d)
{
	std::string vcd_tmp;
	if (s.opts && s.opts->vcd_path) {
		s.vcd_base = vcd_temp_base(s.opts->vcd_path);
		vcd_tmp = s.vcd_base + ".vcd";
	}
	/* the copier's FIFO too (vcd_copy): a child that died leaves it */
	std::string vcd_fifo = vcd_tmp.empty() ? "" : s.vcd_base + ".fifo.vcd";
	live_guard guard = {vcd_tmp.empty() ? NULL : vcd_tmp.c_str()};
	live_guard fifo_guard = {vcd_tmp.empty() ? NULL : vcd_fifo.c_str()};
	if (guard.path) {
		tmp_live_add(guard.path);
		tmp_live_add(fifo_guard.path);
	}
	int fds[2];
	if (pipe(fds) != 0) {
		diag_add(d, NULL, 0, 0,
			 "reference model: cannot create a pipe: %s",
			 strerror(errno));
		return WS_EIO;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		diag_add(d, NULL, 0, 0, "reference model: cannot fork: %s",
			 strerror(errno));
		return WS_EIO;
	}
	if (pid == 0) {
		close(fds[0]);
		/* SystemC's messages must not mix with the command's output. */
		dup2(2, 1);
		setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
		sc_core::sc_report_handler::set_actions(sc_core::SC_INFO,
							sc_core::SC_DO_NOTHING);
		child_result r;
		memset(&r, 0, sizeof r);
		if (s.traffic)
			child_traffic(s, &r);
		else
			child_program(s, &r);
		const char *p = (const char *)&r;
		size_t left = sizeof r;
		while (left) {
			ssize_t k = write(fds[1], p, left);
			if (k <= 0)
				_exit(3);
			p += k;
			left -= (size_t)k;
		}
		_exit(0);
	}
	close(fds[1]);
	char *p = (char *)res;
	size_t got = 0;
	while (got < sizeof *res) {
		ssize_t k = read(fds[0], p + got, sizeof *res - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bool ok = got == sizeof *res && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0;
	if (!ok) {
		if (!vcd_tmp.empty()) {
			unlink(vcd_tmp.c_str());
			unlink(vcd_fifo.c_str());
		}
		if (WIFSIGNALED(status))
			diag_add(d, NULL, 0, 0,
				 "reference model: the simulation died with "
				 "signal %d",
				 WTERMSIG(status));
		else
			diag_add(d, NULL, 0, 0,
				 "reference model: the simulation failed (exit "
				 "%d)",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return WS_EIO;
	}
	if (res->rc) {
		if (!vcd_tmp.empty())
			unlink(vcd_tmp.c_str());
		diag_add(d, NULL, 0, 0, "%s", res->msg);
		return res->rc;
	}
	return vcd_tmp.empty() ? 0 : vcd_commit(vcd_tmp, s.opts->vcd_path, d);
}

/* `border`: PEs a program may add around a rectangle as high as the mesh
 * (feeders on one side, drains on the other). */
int check_common(const struct machine *m, int64_t w, int64_t h,
		 const sc_ref_opts *o, int border, struct diag *d)
{
	int rc = sc_ref_check_mesh(w - border > 0 ? w - border : w,
				   h - border > 0 ? h - border : h, d);
	if (rc)
		return rc;
	if (w > m->width + border || h > m->height + border) {
		diag_add(d, NULL, 0, 0,
			 "reference model: mesh %lldx%lld must fit the machine "
			 "'%s', got more than %lldx%lld",
			 (long long)w, (long long)h, m->name,
			 (long long)m->width, (long long)m->height);
		rc = WS_EINPUT;
	}
	if (m->fabric.colors > 64 || m->fabric.buffer_depth_wavelets > 65535) {
		diag_add(d, NULL, 0, 0,
			 "reference model: 'fabric.colors' must be at most 64, "
			 "got %lld",
			 (long long)m->fabric.colors);
		rc = WS_EINPUT;
	}
	if (o) {
		if (o->n_vcd_pes < 0 || o->n_vcd_pes > SC_REF_MAX_VCD) {
			diag_add(d, NULL, 0, 0,
				 "reference model: traced PEs must be in [0, "
				 "%d], "
				 "got %d",
				 SC_REF_MAX_VCD, o->n_vcd_pes);
			rc = WS_EINPUT;
		} else {
			for (int i = 0; i < o->n_vcd_pes; i++)
				if (o->vcd_pes[i] < 0 ||
				    o->vcd_pes[i] >= w * h) {
					diag_add(d, NULL, 0, 0,
						 "reference model: 'vcd-pe' "
						 "must be a PE of the mesh, "
						 "in [0, %lld), got %d",
						 (long long)(w * h),
						 o->vcd_pes[i]);
					rc = WS_EINPUT;
				}
		}
	}
	return rc;
}

} /* namespace */

/* ---- the C API ---------------------------------------------------------- */

static const char *const pattern_names[SC_PAT_COUNT] = {
	"uniform", "transpose", "bitcomp", "tornado", "hotspot", "neighbor"};

int sc_ref_pattern_parse(const char *name)
{
	for (int i = 0; i < SC_PAT_COUNT; i++)
		if (!strcmp(name, pattern_names[i]))
			return i;
	return -1;
}

const char *sc_ref_pattern_name(int pattern)
{
	return pattern >= 0 && pattern < SC_PAT_COUNT ? pattern_names[pattern]
						      : "?";
}

void sc_ref_opts_init(struct sc_ref_opts *o)
{
	memset(o, 0, sizeof *o);
}

void sc_ref_traffic_init(struct sc_ref_traffic *t)
{
	memset(t, 0, sizeof *t);
	t->width = t->height = 8;
	t->pattern = SC_PAT_UNIFORM;
	t->rate = 0.1;
	t->packet_wavelets = 1;
	t->warmup_cycles = 1000;
	t->measure_cycles = 2000;
	t->hotspot_fraction = 0.1;
	t->colors_used = 1;
	t->seed = 1;
}

int sc_ref_check_mesh(int64_t width, int64_t height, struct diag *d)
{
	if (width < 1 || height < 1 || width > SC_REF_MAX_SIDE ||
	    height > SC_REF_MAX_SIDE) {
		diag_add(d, NULL, 0, 0,
			 "reference model: mesh must be at most %dx%d PEs (the "
			 "SystemC model moves every wavelet every cycle; use "
			 "the "
			 "default engine for larger meshes), got %lldx%lld",
			 SC_REF_MAX_SIDE, SC_REF_MAX_SIDE, (long long)width,
			 (long long)height);
		return WS_EINPUT;
	}
	return 0;
}

int sc_ref_run_traffic(const struct machine *m, const struct sc_ref_traffic *t,
		       const struct sc_ref_opts *o,
		       struct sc_ref_traffic_stats *out, struct diag *d)
{
	int rc = check_common(m, t->width, t->height, o, 0, d);
	if (t->pattern < 0 || t->pattern >= SC_PAT_COUNT) {
		diag_add(d, NULL, 0, 0,
			 "reference model: unknown traffic pattern %d",
			 t->pattern);
		rc = WS_EINPUT;
	}
	if (!(t->rate >= 0 && t->rate <= 1)) {
		diag_add(d, NULL, 0, 0,
			 "reference model: 'rate' must be in [0, 1], got %g",
			 t->rate);
		rc = WS_EINPUT;
	}
	if (t->packet_wavelets < 1 || t->measure_cycles < 1 ||
	    t->warmup_cycles < 0 || t->colors_used < 1 ||
	    t->colors_used > m->fabric.colors) {
		diag_add(d, NULL, 0, 0,
			 "reference model: packet length and measured cycles "
			 "must be >= 1 and colours used in [1, %lld]",
			 (long long)m->fabric.colors);
		rc = WS_EINPUT;
	}
	if (t->pattern == SC_PAT_TRANSPOSE && t->width != t->height) {
		diag_add(
			d, NULL, 0, 0,
			"reference model: 'transpose' needs a square mesh, got "
			"%lldx%lld",
			(long long)t->width, (long long)t->height);
		rc = WS_EINPUT;
	}
	if (rc)
		return rc;
	run_spec s{m, t, nullptr, o, ""};
	child_result r;
	rc = run_in_child(s, &r, d);
	if (rc)
		return rc;
	*out = r.traffic;
	return 0;
}

int sc_ref_run_program(const struct machine *m, const struct sc_ref_program *p,
		       const struct sc_ref_opts *o,
		       struct sc_ref_program_stats *out, struct diag *d)
{
	int rc = check_common(m, p->width, p->height, o, SC_REF_PROGRAM_BORDER,
			      d);
	for (int64_t i = 0; i < p->n_ops && !rc; i++) {
		const sc_ref_op &op = p->ops[i];
		bool bad_c = op.color < 0 || op.color >= m->fabric.colors ||
			     (op.kind == SC_OP_RELAY &&
			      (op.color_out < 0 ||
			       op.color_out >= m->fabric.colors));
		if (op.kind < 0 || op.kind >= SC_OP_COUNT || bad_c ||
		    op.n < 0 || op.dest >= p->width * p->height) {
			diag_add(
				d, NULL, 0, 0,
				"reference model: program op %lld is malformed "
				"(kind %d, colour %d, n %lld, dest %d)",
				(long long)i, op.kind, op.color,
				(long long)op.n, op.dest);
			rc = WS_EINPUT;
		}
	}
	if (rc)
		return rc;
	run_spec s{m, nullptr, p, o, ""};
	child_result r;
	rc = run_in_child(s, &r, d);
	if (rc)
		return rc;
	*out = r.program;
	return 0;
}

/* ---- programs ----------------------------------------------------------- */

void sc_ref_program_init(struct sc_ref_program *p, const struct machine *m,
			 int64_t width, int64_t height)
{
	memset(p, 0, sizeof *p);
	p->width = width;
	p->height = height;
	p->prec = PREC_MIXED;
	int64_t n = width * height;
	p->first = (int64_t *)xcalloc((size_t)n + 1, sizeof *p->first);
	p->routes = (uint8_t *)xcalloc((size_t)(n * m->fabric.colors), 1);
	for (int64_t i = 0; i <= n; i++)
		p->first[i] = -1;
}

void sc_ref_program_release(struct sc_ref_program *p)
{
	free(p->first);
	free(p->ops);
	free(p->routes);
	memset(p, 0, sizeof *p);
}

void sc_ref_program_add(struct sc_ref_program *p, int64_t pe,
			const struct sc_ref_op *op)
{
	int64_t n = p->width * p->height;
	assert(pe >= 0 && pe < n);
	/* PEs are filled in increasing order: close the ones before. */
	for (int64_t i = 0; i <= pe; i++)
		if (p->first[i] < 0)
			p->first[i] = p->n_ops;
	assert(p->first[pe + 1] < 0);
	if (p->n_ops == p->cap_ops) {
		p->cap_ops = p->cap_ops ? 2 * p->cap_ops : 64;
		p->ops = (struct sc_ref_op *)xrealloc(
			p->ops, (size_t)p->cap_ops * sizeof *p->ops);
	}
	p->ops[p->n_ops++] = *op;
}

void sc_ref_program_end(struct sc_ref_program *p)
{
	int64_t n = p->width * p->height;
	for (int64_t i = 0; i <= n; i++)
		if (p->first[i] < 0)
			p->first[i] = p->n_ops;
}

void sc_ref_route_line(struct sc_ref_program *p, int64_t colors, int color,
		       int64_t src, int64_t dst, int multicast)
{
	int64_t w = p->width;
	int64_t sx = src % w, sy = src / w, dx = dst % w, dy = dst / w;
	assert(sx == dx || sy == dy);
	int step, port;
	if (dx > sx) {
		step = 1;
		port = SC_PORT_E;
	} else if (dx < sx) {
		step = -1;
		port = SC_PORT_W;
	} else if (dy > sy) {
		step = (int)w;
		port = SC_PORT_S;
	} else {
		step = -(int)w;
		port = SC_PORT_N;
	}
	for (int64_t r = src;; r += step) {
		uint8_t m = 0;
		if (r != dst)
			m |= (uint8_t)(1u << port);
		if (r == dst || (multicast && r != src))
			m |= 1u << SC_PORT_RAMP;
		p->routes[r * colors + color] |= m;
		if (r == dst)
			break;
	}
}

int sc_ref_program_stage(struct sc_ref_program *p, const struct machine *m,
			 int64_t w, int64_t h, enum pe_prec prec,
			 const struct kernel_work *kw, int64_t *edge_adjust,
			 struct diag *d)
{
	const bool has_b = kw->bcast_wavelets > 0,
		   has_r = kw->reduce_wavelets > 0;
	const bool bx = kw->bcast_axis == AXIS_X,
		   rx = kw->reduce_axis == AXIS_X;
	/* feeders west of (bx) or north of the rectangle; drains east of
	 * (rx) or south of it */
	const int64_t ox = has_b && bx ? 1 : 0, oy = has_b && !bx ? 1 : 0;
	const int64_t mw = ox + w + (has_r && rx ? 1 : 0);
	const int64_t mh = oy + h + (has_r && !rx ? 1 : 0);
	if (w < 1 || h < 1 ||
	    sc_ref_check_mesh(
		    mw > SC_REF_PROGRAM_BORDER ? mw - SC_REF_PROGRAM_BORDER
					       : mw,
		    mh > SC_REF_PROGRAM_BORDER ? mh - SC_REF_PROGRAM_BORDER
					       : mh,
		    d))
		return WS_EINPUT;
	const int64_t colors = m->fabric.colors;
	const int c_b = 0, c_r = 1, c_h = 2 % (int)colors;
	sc_ref_program_init(p, m, mw, mh);
	p->prec = prec;
	const int64_t ramp = m->fabric.ramp_latency_cycles;
	const int64_t hop = (int64_t)fabric_hop_cycles(&m->fabric);
	*edge_adjust =
		(has_b ? -(ramp + hop) : ramp) + (has_r ? -(hop + ramp) : ramp);

	for (int64_t y = 0; y < mh; y++)
		for (int64_t x = 0; x < mw; x++) {
			const int64_t id = y * mw + x;
			const bool in_x = x >= ox && x < ox + w;
			const bool in_y = y >= oy && y < oy + h;
			if (in_x && in_y) {
				/* a PE of the rectangle: its halo goes to its
				 * east neighbour, its west neighbour's comes in
				 */
				bool east =
					kw->halo_wavelets > 0 && x + 1 < ox + w;
				bool west = kw->halo_wavelets > 0 && x > ox;
				sc_ref_op t = {SC_OP_TASK,
					       c_b,
					       c_h,
					       east ? (int32_t)(id + 1) : -1,
					       has_b ? kw->bcast_wavelets : 0,
					       kw->pe,
					       east ? kw->halo_wavelets : 0,
					       west ? kw->halo_wavelets : 0};
				sc_ref_program_add(p, id, &t);
				if (has_r) {
					int64_t next = rx ? id + 1 : id + mw;
					bool first = rx ? x == ox : y == oy;
					/* a partial sum arriving is added to
					 * the PE's own (cores/pe.h
					 * pe_relay_work, as the engine) */
					sc_ref_op o = {first ? SC_OP_SEND
							     : SC_OP_RELAY,
						       c_r,
						       c_r,
						       (int32_t)next,
						       kw->reduce_wavelets,
						       {0, 0, 0, 0, 0, 0},
						       0,
						       0};
					pe_relay_work(&o.work);
					sc_ref_program_add(p, id, &o);
				}
			} else if (has_b && ((bx && x == 0 && in_y) ||
					     (!bx && y == 0 && in_x))) {
				/* a feeder: multicast along its line */
				int64_t last = bx ? y * mw + ox + w - 1
						  : (oy + h - 1) * mw + x;
				sc_ref_route_line(p, colors, c_b, id, last, 1);
				sc_ref_op o = {SC_OP_SEND,
					       c_b,
					       0,
					       -1,
					       kw->bcast_wavelets,
					       {0, 0, 0, 0, 0, 0},
					       0,
					       0};
				sc_ref_program_add(p, id, &o);
			} else if (has_r && ((rx && x == ox + w && in_y) ||
					     (!rx && y == oy + h && in_x))) {
				sc_ref_op o = {SC_OP_RECV,
					       c_r,
					       0,
					       -1,
					       kw->reduce_wavelets,
					       {0, 0, 0, 0, 0, 0},
					       0,
					       0};
				sc_ref_program_add(p, id, &o);
			}
		}
	sc_ref_program_end(p);
	return 0;
}

int sc_ref_traffic_run(const struct machine *m, const struct traffic_config *c,
		       const struct sc_ref_opts *o, struct traffic_result *r,
		       struct diag *d)
{
	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = c->width;
	t.height = c->height;
	t.pattern = c->pattern; /* enum traffic_pattern has the same order */
	t.rate = c->rate;
	t.packet_wavelets = c->packet_wavelets;
	t.warmup_cycles = (int64_t)c->warmup_cycles;
	t.measure_cycles = (int64_t)c->measure_cycles;
	t.hotspot_fraction = c->hotspot_fraction;
	t.max_queue_wavelets = c->max_queue_wavelets;
	t.seed = c->seed;
	/* the machine's fabric, with the latencies and depth of the run */
	struct machine mm = *m;
	mm.fabric = c->params;
	struct sc_ref_opts oo;
	if (o)
		oo = *o;
	else
		sc_ref_opts_init(&oo);
	oo.max_cycles = (int64_t)(c->warmup_cycles + c->measure_cycles +
				  c->drain_cycles);
	struct sc_ref_traffic_stats st;
	double w0 = wall_seconds();
	int rc = sc_ref_run_traffic(&mm, &t, &oo, &st, d);
	double wall = wall_seconds() - w0;
	if (rc)
		return rc;
	memset(r, 0, sizeof *r);
	r->offered = st.offered;
	r->accepted = st.throughput;
	r->avg_packet_latency = st.avg_packet_latency;
	r->avg_network_latency = st.avg_network_latency;
	r->max_packet_latency = st.max_packet_latency;
	r->avg_hops = st.avg_hops;
	r->zero_load_latency =
		2.0 * (double)c->params.ramp_latency_cycles +
		st.avg_hops * (double)fabric_hop_cycles(&c->params) +
		(double)(c->packet_wavelets - 1);
	r->packets_measured = st.packets_generated;
	r->packets_done = st.packets_measured;
	r->packets_refused = (uint64_t)st.packets_refused;
	r->cycles = (cycles_t)st.cycles;
	r->wall_s = wall;
	double nodes = (double)c->width * (double)c->height;
	r->node_cycles_per_s = wall > 0 ? nodes * (double)st.cycles / wall : 0;
	r->routers_per_cycle = nodes; /* every router, every cycle */
	r->saturated = st.packets_lost > 0 || st.throughput < 0.95 * st.offered;
	r->counters.in = (uint64_t)st.wavelets_injected;
	r->counters.out = (uint64_t)st.wavelets_ejected;
	r->counters.dropped = (uint64_t)st.unroutable;
	r->counters.buffered = (uint64_t)st.wavelets_in_flight;
	r->counters.queued = (uint64_t)st.wavelets_queued;
	return 0;
}

namespace
{

/* A stage task already run: stages with the same rectangle and work (the
 * repeated layers of a network) are simulated once. */
struct task_memo {
	int64_t w, h;
	kernel_work kw;
	double ref, wall;
};

bool same_task(const task_memo &t, int64_t w, int64_t h, const kernel_work &kw)
{
	return t.w == w && t.h == h && !memcmp(&t.kw, &kw, sizeof kw);
}

} /* namespace */

static const char *const check_pass_names[PASS_COUNT] = {
	"fwd", "bwd-data", "bwd-weight", "update"};

/* Run one stage's task of pass ps in the reference model: 0 and *ref
 * (cycles), *wall (seconds); 0 and *skipped when it is too large (a line
 * says so); else an error code.  The traced task writes the waveform. */
static int ref_task(const struct plan *p, const struct machine *m,
		    const plan_stage &s, enum pass ps, bool traced,
		    const struct sc_ref_opts *o, FILE *out, double eng,
		    double *ref, double *wall, bool *skipped, struct diag *d)
{
	const char *name = s.name ? s.name : "?";
	const char *pn = check_pass_names[ps];
	const kernel_work &kw = s.work[ps];
	struct sc_ref_program prog;
	int64_t adj = 0;
	struct diag dd;
	diag_init(&dd);
	int bad = sc_ref_program_stage(&prog, m, s.r.w, s.r.h, p->prec, &kw,
				       &adj, &dd);
	diag_release(&dd);
	*skipped = bad != 0;
	if (bad) {
		char rect[32];
		snprintf(rect, sizeof rect, "%dx%d", (int)s.r.w, (int)s.r.h);
		fprintf(out,
			"%-24.24s %-9s %9s %12.0f %12s "
			" "
			"(skipped: with feeders and "
			"drains beyond %dx%d)\n",
			name, pn, rect, eng, "-",
			SC_REF_MAX_SIDE + SC_REF_PROGRAM_BORDER,
			SC_REF_MAX_SIDE + SC_REF_PROGRAM_BORDER);
		return 0;
	}
	struct sc_ref_opts oo;
	sc_ref_opts_init(&oo);
	if (traced) {
		oo = *o;
		int32_t n = (int32_t)(prog.width * prog.height);
		if (!oo.n_vcd_pes) {
			/* near both corners */
			oo.n_vcd_pes = 2;
			oo.vcd_pes[0] =
				(int32_t)(prog.width + 1 < n ? prog.width + 1
							     : 0);
			oo.vcd_pes[1] = n - 1;
		}
	}
	struct sc_ref_program_stats rs;
	double t0 = wall_seconds();
	int rc = sc_ref_run_program(m, &prog, &oo, &rs, d);
	*wall = wall_seconds() - t0;
	sc_ref_program_release(&prog);
	if (rc)
		return rc;
	if (rs.deadlock || rs.unroutable) {
		diag_add(d, NULL, 0, 0,
			 "reference model: stage '%s' "
			 "(%s) did not finish (%s)",
			 name, pn,
			 rs.deadlock ? "deadlock"
				     : "unroutable "
				       "wavelets");
		return WS_EIO;
	}
	*ref = (double)(rs.cycles + adj);
	return 0;
}

int sc_ref_check_plan(const struct plan *p, const struct machine *m,
		      const struct stats *st, int train,
		      const struct sc_ref_opts *o, FILE *out, double *worst_rel,
		      struct diag *d)
{
	const enum pass passes[2] = {PASS_FWD, PASS_BWD_DATA};
	std::vector<task_memo> memo;
	*worst_rel = 0;
	/* the slowest stage's forward task gets the waveform, if any */
	int slow = -1;
	for (int i = 0; i < p->n_stages && i < st->n_stages; i++)
		if (slow < 0 ||
		    st->stages[i].latency_cycles[PASS_FWD] >
			    st->stages[slow].latency_cycles[PASS_FWD])
			slow = i;
	fprintf(out,
		"\nreference model (SystemC, every PE and wavelet): one "
		"task of each stage, inputs at its edge to outputs leaving "
		"it\n");
	fprintf(out, "%-24s %-9s %9s %12s %12s %9s %8s %8s\n", "stage", "pass",
		"rect", "engine", "systemc", "diff", "rel", "wall s");
	for (int i = 0; i < p->n_stages && i < st->n_stages; i++) {
		const plan_stage &s = p->stages[i];
		const char *name = s.name ? s.name : "?";
		for (int k = 0; k < (train ? 2 : 1); k++) {
			const enum pass ps = passes[k];
			const kernel_work &kw = s.work[ps];
			const bool traced =
				o && o->vcd_path && i == slow && ps == PASS_FWD;
			char rect[32];
			snprintf(rect, sizeof rect, "%dx%d", (int)s.r.w,
				 (int)s.r.h);
			double eng = (double)st->stages[i].latency_cycles[ps];
			const task_memo *hit = nullptr;
			for (const task_memo &t : memo)
				if (!traced && same_task(t, s.r.w, s.r.h, kw))
					hit = &t;
			double ref = 0, wall = 0;
			if (hit) {
				ref = hit->ref;
			} else {
				bool skipped;
				int rc = ref_task(p, m, s, ps, traced, o, out,
						  eng, &ref, &wall, &skipped,
						  d);
				if (rc)
					return rc;
				if (skipped)
					continue;
				memo.push_back({s.r.w, s.r.h, kw, ref, wall});
			}
			double rel = ref > 0 ? (ref - eng) / ref : 0;
			if (std::fabs(rel) > *worst_rel)
				*worst_rel = std::fabs(rel);
			fprintf(out,
				"%-24.24s %-9s %9s %12.0f %12.0f %+9.0f "
				"%+7.2f%% %8.3f%s\n",
				name, check_pass_names[ps], rect, eng, ref,
				ref - eng, 100 * rel, wall,
				hit ? " (as an earlier stage)" : "");
		}
	}
	fprintf(out,
		"largest difference %.2f %% (docs/reference.md explains the "
		"engine's approximations)\n",
		100 * *worst_rel);
	if (o && o->vcd_path && slow >= 0)
		fprintf(out, "waveform of stage '%s' (forward) in %s\n",
			p->stages[slow].name ? p->stages[slow].name : "?",
			o->vcd_path);
	return 0;
}
