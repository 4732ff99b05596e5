/* tmpclean.c: temporary outputs removed by a fatal signal. See tmpclean.h.
 *
 * The one mutable global of ground/: a signal handler has no object to
 * reach but a static one.  The handler only calls async-signal-safe
 * functions (unlinkat, openat, getdents64, close): it may interrupt
 * malloc, so it allocates nothing. */
#include "ground/tmpclean.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *volatile live[TMP_LIVE_MAX];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

void tmp_live_add(const char *path)
{
	pthread_mutex_lock(&live_lock);
	for (int i = 0; i < TMP_LIVE_MAX; i++)
		if (!live[i]) {
			live[i] = path;
			break;
		}
	pthread_mutex_unlock(&live_lock);
}

void tmp_live_del(const char *path)
{
	pthread_mutex_lock(&live_lock);
	for (int i = 0; i < TMP_LIVE_MAX; i++)
		if (live[i] == path)
			live[i] = NULL;
	pthread_mutex_unlock(&live_lock);
}

/* The kernel's directory entry (getdents64(2)); glibc 2.36 has no
 * wrapper of its own. */
struct dirent64_raw {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* Remove `name` under the folder `dirfd`: a file or link at once, a
 * folder with what it holds (our temporaries are at most a few levels
 * deep; deeper ones are left). */
static void remove_at(int dirfd, const char *name, int depth)
{
	if (unlinkat(dirfd, name, 0) == 0 || depth > 8)
		return;
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* entries removed while read: read from the start until none is
	 * left but '.' and '..' */
	for (int pass = 0; pass < 16; pass++) {
		char buf[2048];
		int removed = 0;
		long n;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			for (long at = 0; at < n;) {
				struct dirent64_raw *e =
					(struct dirent64_raw *)(buf + at);
				at += e->reclen;
				if (!strcmp(e->name, ".") ||
				    !strcmp(e->name, ".."))
					continue;
				remove_at(fd, e->name, depth + 1);
				removed = 1;
			}
		if (!removed)
			break;
	}
	close(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

static void on_signal(int sig)
{
	for (int i = 0; i < TMP_LIVE_MAX; i++) {
		const char *p = live[i];
		if (p)
			remove_at(AT_FDCWD, p, 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void tmp_clean_on_signals(void)
{
	static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old, sa;
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}
