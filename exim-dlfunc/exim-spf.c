/*
 * exim-spf.c: SPF evaluation inside an Exim process, for the ${dlfunc}
 * entry points in exim-entry.c.
 *
 * Exim forks a process per SMTP connection and more for deliveries, and
 * runs us inside whichever of them expands the ACL.  So:
 *
 * - The checker (config, libevent base, libunbound context) is built
 *   lazily, in the process that first needs it.  A process that finds
 *   one built by the process it was forked from does not touch it: the
 *   epoll instance and the sockets are shared with that process, and
 *   freeing them here would unregister the parent's events.  It closes
 *   its copies of the descriptors and builds its own.  The abandoned
 *   memory is copy-on-write pages it never writes.
 * - Every descriptor the core opens (libunbound's sockets, libevent's
 *   epoll and signal pair) gets close-on-exec: we list /proc/self/fd
 *   before and after each call into the core.  Nothing else in the
 *   process runs meanwhile, so what is new is ours.  libunbound opens
 *   sockets without it, and Exim execs transports and itself.
 * - The last result is kept, keyed by ip, sender, helo and config, so
 *   the six functions called for one message cost one evaluation.
 * - No atexit handlers, no signal handlers, no exit: a process that
 *   cannot evaluate gets a temperror result with the reason, and the
 *   policy for temperror says what to do.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "spf.h"
#include "exim-spf.h"

#define DEFAULT_CONFIG	"/etc/spfgate.conf"
/*
 * A connection lives seconds and checks a handful of senders, and every
 * one of Exim's processes has its own cache: 256 KiB of rrsets (plus
 * half that of messages) instead of libunbound's 4 + 4 MiB.  Measured
 * in one -bh session with a new domain per transaction, the process
 * stops growing after about 1,000 of them (with 1 MiB, after about
 * 5,000).  A "cache-size" line in the config overrides it.
 */
#define CACHE_SIZE	(256 * 1024)
/*
 * Where a "cannot validate" verdict of the DNSSEC probe is shared by
 * Exim's processes (the "dnssec-state" keyword; see dnssecstate.c):
 * Debian's Exim spool, which the Exim user owns and nothing cleans up
 * behind it.  Elsewhere the write fails and the notice says so, once
 * per connection, until the config names a directory that works.
 */
#define DEFAULT_STATE	"/var/spool/exim4/spfgate-dnssec.state"
/* How long the last result answers for a repeat of the same message. */
#define REUSE_SECS	300
/* Without /proc, how many descriptor numbers to probe. */
#define FD_PROBE_MAX	1024

struct intlist {
	int		*v;
	size_t		 n;
	size_t		 cap;
};

struct ownfd {
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
};

struct ownlist {
	struct ownfd	*v;
	size_t		 n;
	size_t		 cap;
};

struct context {
	pid_t			 pid;		/* 0: nothing built */
	char			 path[SPF_PATH_LEN];
	struct spf_config	 cfg;
	struct event_base	*base;
	struct spf_checker	*checker;
	int			 fresh;		/* built by this call */
};

struct last {
	int			 valid;
	struct timespec		 when;
	char			 path[SPF_PATH_LEN];
	char			 ip[SPF_ADDR_LEN + 64];
	char			 sender[SPF_SENDER_LEN];
	char			 helo[SPF_DOMAIN_LEN * 2];
	struct spf_verdict	 verdict;
};

static int	 intlist_add(struct intlist *, int);
static int	 intlist_has(const struct intlist *, int);
static int	 intcmp(const void *, const void *);
static int	 ownlist_add(struct ownlist *, int, const struct stat *);
static int	 ownlist_has(const struct ownlist *, int);
static int	 fds_read(struct intlist *);
static int	 fds_probe(struct intlist *);
static void	 guard_begin(void);
static void	 guard_end(void);
static void	 disown_inherited(void);
static void	 ctx_close(void);
static int	 ctx_open(const char *, char *, size_t);
static int	 ctx_ready(const char *, char *, size_t);
static int	 policy_load(const char *, char *, size_t);
static const struct spf_verdict *evaluate(const char *, const char *,
		    const char *, const char *, char *, size_t);
static const char *arg(unsigned char *[], int, int);
static int	 fits(const char *, size_t);

static const char *const fnname[] = {
	[XSPF_RESULT] = "spf_result",
	[XSPF_ACTION] = "spf_action",
	[XSPF_RECEIVED] = "spf_received",
	[XSPF_AUTH_RESULTS] = "spf_auth_results",
	[XSPF_REASON] = "spf_reason",
	[XSPF_LOG_LINE] = "spf_logline"
};

static struct context	 ctx;
static struct last	 last;

/* Descriptor bookkeeping: before/after one call, and what is ours. */
static struct intlist	 fd_before;
static struct intlist	 fd_after;
static struct ownlist	 fd_own;
static struct ownlist	 fd_own_next;
static int		 guard_ok;

enum xspf_status
xspf_call(enum xspf_fn fn, int argc, unsigned char *argv[], char *out,
    size_t outlen, int *tainted, char *note, size_t notelen)
{
	const struct spf_verdict *v;
	const char *ip, *sender, *helo, *path, *rcpt, *value = "";
	char reply[SPF_REPLY_LEN], logline[SPF_LOG_LINE_LEN];
	enum spf_action action;

	*tainted = 0;
	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if (argc < 3 || argc > 5) {
		snprintf(out, outlen, "%s: needs 3 to 5 arguments "
		    "{ip}{sender}{helo}[{config file}[{recipient}]], got %d",
		    fnname[fn], argc);
		return XSPF_USAGE;
	}
	ip = arg(argv, argc, 0);
	sender = arg(argv, argc, 1);
	helo = arg(argv, argc, 2);
	path = arg(argv, argc, 3);
	rcpt = arg(argv, argc, 4);
	if (*path == '\0')
		path = DEFAULT_CONFIG;
	if (!fits(path, sizeof(ctx.path))) {
		snprintf(out, outlen, "%s: config file name too long",
		    fnname[fn]);
		return XSPF_USAGE;
	}

	v = evaluate(path, ip, sender, helo, note, notelen);
	/* at RCPT TO: the core's answer for this recipient */
	action = v->result.action;
	(void)strlcpy(reply, v->reply, sizeof(reply));
	if (*rcpt != '\0')
		action = spf_verdict_recipient(v, &ctx.cfg, rcpt, reply,
		    sizeof(reply));

	/* Text from the client (sender, HELO, explanation) is tainted. */
	*tainted = fn != XSPF_RESULT && fn != XSPF_ACTION;
	switch (fn) {
	case XSPF_RESULT:
		value = spf_code_str(v->result.code);
		break;
	case XSPF_ACTION:
		value = spf_action_str(action);
		break;
	case XSPF_RECEIVED:
		/*
		 * "" when the core says no headers: the ACL tests for it
		 * (add_header would make "X-ACL-Warn: " of an empty text).
		 */
		value = v->headers ? v->received_spf : "";
		break;
	case XSPF_AUTH_RESULTS:
		value = v->headers ? v->authres_method : "";
		break;
	case XSPF_REASON:
		value = reply;
		break;
	case XSPF_LOG_LINE:
		(void)spf_verdict_log_line(v, logline, sizeof(logline));
		value = logline;
		break;
	}
	if (strlcpy(out, value, outlen) >= outlen && note != NULL &&
	    note[0] == '\0')
		snprintf(note, notelen, "%s: value too long for %zu octets",
		    fnname[fn], outlen);
	return XSPF_OK;
}

/*
 * The verdict for this message: the last one if the arguments are the
 * same, else a new evaluation.  Never NULL: what cannot be evaluated is
 * a temperror with the reason in problem (and in note, for the log).
 */
static const struct spf_verdict *
evaluate(const char *path, const char *ip, const char *sender,
    const char *helo, char *note, size_t notelen)
{
	struct timespec now;
	char err[SPF_PROBLEM_LEN];
	int cacheable;

	clock_gettime(CLOCK_MONOTONIC, &now);
	cacheable = fits(ip, sizeof(last.ip)) &&
	    fits(sender, sizeof(last.sender)) &&
	    fits(helo, sizeof(last.helo));
	if (cacheable && last.valid &&
	    now.tv_sec - last.when.tv_sec < REUSE_SECS &&
	    strcmp(last.path, path) == 0 && strcmp(last.ip, ip) == 0 &&
	    strcmp(last.sender, sender) == 0 && strcmp(last.helo, helo) == 0)
		return &last.verdict;

	last.valid = 0;
	err[0] = '\0';
	guard_begin();
	ctx.fresh = 0;
	if (*ip == '\0') {
		/*
		 * No client address: a local submission, nothing to check,
		 * and nothing to build for it: only the policy, for the
		 * action of "none" and the headers.
		 */
		if (ctx.pid != 0 && ctx.pid != getpid())
			disown_inherited();
		if (ctx.checker == NULL || strcmp(ctx.path, path) != 0) {
			ctx_close();
			(void)policy_load(path, err, sizeof(err));
		}
		spf_verdict_local(&ctx.cfg, sender, helo, &last.verdict);
	} else if (ctx_ready(path, err, sizeof(err)) == -1) {
		spf_verdict_unchecked(&ctx.cfg, SPF_TEMPERROR, ip, sender,
		    helo, err, &last.verdict);
		snprintf(note, notelen, "cannot check SPF: %s", err);
	} else {
		if (ctx.fresh && spf_checker_notice(ctx.checker) != NULL)
			snprintf(note, notelen, "%s",
			    spf_checker_notice(ctx.checker));
		if (spf_check_sync(ctx.checker, ip, sender, helo,
		    &last.verdict) == -1)
			snprintf(note, notelen, "cannot check SPF for %s: %s",
			    ip, last.verdict.result.problem);
	}
	guard_end();

	if (cacheable) {
		strlcpy(last.path, path, sizeof(last.path));
		strlcpy(last.ip, ip, sizeof(last.ip));
		strlcpy(last.sender, sender, sizeof(last.sender));
		strlcpy(last.helo, helo, sizeof(last.helo));
		last.when = now;
		last.valid = 1;
	}
	return &last.verdict;
}

/*
 * A checker for this config in this process, built if need be.  On
 * failure ctx.cfg still holds a usable policy (the defaults if the file
 * could not be read) for the temperror result.
 */
static int
ctx_ready(const char *path, char *err, size_t errlen)
{
	if (ctx.pid != 0 && ctx.pid != getpid())
		disown_inherited();
	if (ctx.checker != NULL && strcmp(ctx.path, path) == 0)
		return 0;
	ctx_close();
	return ctx_open(path, err, errlen);
}

static int
ctx_open(const char *path, char *err, size_t errlen)
{
	struct event_config *ec;

	ctx.pid = getpid();
	strlcpy(ctx.path, path, sizeof(ctx.path));
	if (policy_load(path, err, errlen) == -1)
		return -1;

	/* Exim clears the environment, but do not let EVENT_* steer us. */
	if ((ec = event_config_new()) == NULL) {
		strlcpy(err, "out of memory", errlen);
		return -1;
	}
	event_config_set_flag(ec, EVENT_BASE_FLAG_IGNORE_ENV |
	    EVENT_BASE_FLAG_NOLOCK);
	ctx.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (ctx.base == NULL) {
		strlcpy(err, "cannot create an event base", errlen);
		return -1;
	}
	if ((ctx.checker = spf_checker_new(&ctx.cfg, ctx.base, err,
	    errlen)) == NULL) {
		event_base_free(ctx.base);
		ctx.base = NULL;
		return -1;
	}
	ctx.fresh = 1;
	return 0;
}

/* The config into ctx.cfg, or on failure the defaults. */
static int
policy_load(const char *path, char *err, size_t errlen)
{
	int must_exist;

	/* The default file is optional, a named one must be there. */
	must_exist = strcmp(path, DEFAULT_CONFIG) != 0;
	spf_config_init(&ctx.cfg);
	ctx.cfg.cache_size = CACHE_SIZE;
	/* one message at a time per process: size the resolver for that */
	ctx.cfg.max_inflight = 1;
	strlcpy(ctx.cfg.dnssec_state, DEFAULT_STATE,
	    sizeof(ctx.cfg.dnssec_state));
	if (spf_config_load(&ctx.cfg, path, must_exist, err, errlen) == -1) {
		/* Half a file is not a policy: fall back to the defaults. */
		spf_config_init(&ctx.cfg);
		return -1;
	}
	return 0;
}

/* Free what this process built itself. */
static void
ctx_close(void)
{
	if (ctx.checker != NULL)
		spf_checker_free(ctx.checker);
	if (ctx.base != NULL)
		event_base_free(ctx.base);
	ctx.checker = NULL;
	ctx.base = NULL;
	ctx.pid = 0;
	ctx.path[0] = '\0';
	last.valid = 0;
}

/*
 * We are a child of the process that built the checker.  Close our
 * copies of its descriptors, only those that are still the same open
 * files (Exim may have closed and reused a number since the fork), and
 * forget the checker without freeing it.  The last result stays: it is
 * still the answer for the message the parent was checking.
 */
static void
disown_inherited(void)
{
	struct stat sb;
	size_t i;

	for (i = 0; i < fd_own.n; i++) {
		if (fstat(fd_own.v[i].fd, &sb) == -1)
			continue;
		if (sb.st_dev == fd_own.v[i].dev &&
		    sb.st_ino == fd_own.v[i].ino)
			close(fd_own.v[i].fd);
	}
	fd_own.n = 0;
	ctx.checker = NULL;
	ctx.base = NULL;
	ctx.pid = 0;
}

static void
guard_begin(void)
{
	guard_ok = fds_read(&fd_before) == 0;
}

/*
 * Close-on-exec for every descriptor that appeared during the call, and
 * for every one that was ours before it (libunbound may have closed a
 * socket and got the same number back for a new one).
 */
static void
guard_end(void)
{
	struct ownlist tmp;
	struct stat sb;
	size_t i;
	int fd, fl;

	if (!guard_ok || fds_read(&fd_after) == -1)
		return;
	fd_own_next.n = 0;
	for (i = 0; i < fd_after.n; i++) {
		fd = fd_after.v[i];
		if (intlist_has(&fd_before, fd) && !ownlist_has(&fd_own, fd))
			continue;
		if ((fl = fcntl(fd, F_GETFD)) == -1)
			continue;
		if ((fl & FD_CLOEXEC) == 0)
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		if (fstat(fd, &sb) == 0)
			ownlist_add(&fd_own_next, fd, &sb);
	}
	tmp = fd_own;
	fd_own = fd_own_next;
	fd_own_next = tmp;
}

/* The open descriptors, sorted, not counting the one used to list them. */
static int
fds_read(struct intlist *l)
{
	struct dirent *de;
	const char *errstr;
	DIR *d;
	int fd, self;

	l->n = 0;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return fds_probe(l);
	self = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = strtonum(de->d_name, 0, INT_MAX, &errstr);
		if (errstr != NULL || fd == self)
			continue;
		if (intlist_add(l, fd) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	qsort(l->v, l->n, sizeof(l->v[0]), intcmp);
	return 0;
}

static int
fds_probe(struct intlist *l)
{
	struct rlimit rl;
	int fd, max;

	max = FD_PROBE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = 0; fd < max; fd++)
		if (fcntl(fd, F_GETFD) != -1 && intlist_add(l, fd) == -1)
			return -1;
	return 0;
}

static int
intlist_add(struct intlist *l, int v)
{
	int *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 64 : l->cap * 2;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = v;
	return 0;
}

static int
intlist_has(const struct intlist *l, int v)
{
	return l->n > 0 &&
	    bsearch(&v, l->v, l->n, sizeof(l->v[0]), intcmp) != NULL;
}

static int
intcmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int
ownlist_add(struct ownlist *l, int fd, const struct stat *sb)
{
	struct ownfd *nv;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n].fd = fd;
	l->v[l->n].dev = sb->st_dev;
	l->v[l->n].ino = sb->st_ino;
	l->n++;
	return 0;
}

static int
ownlist_has(const struct ownlist *l, int fd)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].fd == fd)
			return 1;
	return 0;
}

static const char *
arg(unsigned char *argv[], int argc, int i)
{
	if (i >= argc || argv == NULL || argv[i] == NULL)
		return "";
	return (const char *)argv[i];
}

static int
fits(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}
