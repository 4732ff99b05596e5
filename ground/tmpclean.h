/*
 * tmpclean.h: the temporary outputs of a process (an output file's
 * "<path>.tmp.PID", an output folder's "<path>.tmp.PID.N", ground/util.h)
 * removed when a signal ends the process: a reader that left the pipe
 * (`wafersim ... | head`: SIGPIPE), Ctrl-C, kill or a closed terminal.
 * Without it such an end leaves the temporary beside the output.
 */
#ifndef WS_TMPCLEAN_H
#define WS_TMPCLEAN_H

/* Register `path` (a file or a folder, removed with what it holds) until
 * tmp_live_del(path) with the same pointer; it must stay allocated until
 * then.  Thread-safe; at most TMP_LIVE_MAX at once (more are not
 * registered, and would be left behind by a signal). */
#define TMP_LIVE_MAX 64
void tmp_live_add(const char *path);
void tmp_live_del(const char *path);

/* Remove every registered temporary on SIGPIPE, SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT, then end by the signal as before (its exit status).  A
 * signal the process ignores (nohup, a background job's SIGINT) stays
 * ignored; a command that installs its own handler later (sweep's
 * SIGINT and SIGTERM) replaces this one for that signal. */
void tmp_clean_on_signals(void);

#endif
