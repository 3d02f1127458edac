/*
 * exim-entry.c: the ${dlfunc} entry points of exim-spf.so.
 *
 *   ${dlfunc{/path/exim-spf.so}{spf_action}{$sender_host_address}\
 *	{$sender_address}{$sender_helo_name}{/etc/spfgate.conf}}
 *
 * These are the only symbols the shared object exports.  Each hands its
 * arguments to xspf_call() and turns the answer into what Exim wants:
 * the value in Exim's own store, marked tainted when it carries client
 * text, or ERROR with a message for a wrong argument count.  Nothing
 * here returns DEFER: an evaluation that cannot be done is a temperror
 * result, so the ACL decides, not the expansion engine.
 */
#ifdef HAVE_LOCAL_SCAN_H
#define DLFUNC_IMPL
#include <local_scan.h>
#else
/*
 * No exim4-dev on this machine: the few declarations we use, as
 * Exim 4.96's local_scan.h (ABI 6.0) has them.
 */
typedef unsigned char uschar;
typedef int exim_dlfunc_t(uschar **, int, uschar *[]);
#define OK		0
#define ERROR		3
#define LOG_MAIN	1
#define GET_UNTAINTED	(const void *)0
#define GET_TAINTED	(const void *)1
extern uschar	*string_copy_taint_function(const uschar *, const void *);
extern void	 log_write(unsigned int, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
#endif

#include <string.h>

#include "exim-spf.h"

#define EXPORT	__attribute__((visibility("default")))

/*
 * Exim exports these from its binary (4.94 and later for the taint
 * one).  Weak references keep the module loadable, and working with a
 * static buffer, in an Exim that lacks them instead of failing in the
 * middle of an SMTP session at the first call.
 */
#pragma weak string_copy_taint_function
#pragma weak log_write

EXPORT exim_dlfunc_t spf_result;
EXPORT exim_dlfunc_t spf_action;
EXPORT exim_dlfunc_t spf_received;
EXPORT exim_dlfunc_t spf_auth_results;
EXPORT exim_dlfunc_t spf_reason;
EXPORT exim_dlfunc_t spf_logline;
EXPORT exim_dlfunc_t spf_explain;

static int	 run(enum xspf_fn, uschar **, int, uschar *[]);
static uschar	*give(const char *, int);

/* Static: Exim is single threaded and copies what we hand it. */
static char	 out[XSPF_OUT_LEN];
static char	 note[XSPF_NOTE_LEN];
static char	 fallback[XSPF_OUT_LEN];

int
spf_result(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_RESULT, yield, argc, argv);
}

int
spf_action(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_ACTION, yield, argc, argv);
}

int
spf_received(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_RECEIVED, yield, argc, argv);
}

int
spf_auth_results(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_AUTH_RESULTS, yield, argc, argv);
}

int
spf_reason(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_REASON, yield, argc, argv);
}

int
spf_logline(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_LOG_LINE, yield, argc, argv);
}

/*
 * The old name of spf_logline, from before "explain" meant only the
 * exp= text and the --explain trace; deprecated, kept for configs that
 * use it.
 */
int
spf_explain(uschar **yield, int argc, uschar *argv[])
{
	return run(XSPF_LOG_LINE, yield, argc, argv);
}

static int
run(enum xspf_fn fn, uschar **yield, int argc, uschar *argv[])
{
	enum xspf_status st;
	int tainted = 0;

	out[0] = '\0';
	note[0] = '\0';
	st = xspf_call(fn, argc, argv, out, sizeof(out), &tainted, note,
	    sizeof(note));
	if (note[0] != '\0' && log_write != NULL)
		log_write(0, LOG_MAIN, "spfgate: %s", note);
	*yield = give(out, tainted);
	return st == XSPF_OK ? OK : ERROR;
}

/*
 * Exim's store is reset per message, so nothing here grows with the
 * session.  The fallback buffer is only for an Exim without
 * string_copy_taint_function; Exim copies the yield before the next
 * call can overwrite it.
 */
static uschar *
give(const char *s, int tainted)
{
	if (string_copy_taint_function != NULL)
		return string_copy_taint_function((const uschar *)s,
		    tainted ? GET_TAINTED : GET_UNTAINTED);
	strlcpy(fallback, s, sizeof(fallback));
	return (uschar *)fallback;
}
