/*
 * dnssecstate.c: the DNSSEC probe's "cannot validate" verdict, shared
 * between the processes of one MTA through a small file.
 *
 * Exim runs the module in a new process for every connection, so a
 * verdict kept in memory is lost with the connection: on a path that
 * cannot validate, every connection would ask the anchor's DNSKEY
 * again (with libunbound's retries, five questions) and log the same
 * notice again.  A file is the one thing those processes share without
 * a daemon.  Only "cannot validate" is recorded: a path that validates
 * is probed by the resolver that then serves the evaluations, which
 * needs the anchor's DNSKEY for them anyway, so the probe costs
 * nothing extra there and a path that breaks is noticed at once.
 *
 * The file is one line,
 *
 *	spfgate-dnssec-state 1 KEY EXPIRES off WHY
 *
 * KEY a hash of what decides the answer (resolvers, zones, trust
 * anchors and their files' size and mtime), EXPIRES the Unix time it
 * lapses.  It is believed only if it is a regular file owned by this
 * process's uid, writable by nobody else, shorter than STATE_MAX, in
 * exactly this form, for this KEY, and not expired nor further in the
 * future than the lifetime (a clock set back).  Anything else is
 * ignored: the cost is one probe.  It is written to a temporary file
 * in the same directory and renamed over, so a reader sees the old
 * line or the new one, never half of one.  A writer killed between the
 * two leaves its temporary file behind; the next writer removes it
 * (sweep_tmp).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spfint.h"

#define STATE_MAGIC	"spfgate-dnssec-state 1 "
#define STATE_MAX	512	/* octets: a line longer is not ours */
/* the temporary file: the state file's name, this, mkostemp's six */
#define TMP_INFIX	".tmp."
#define TMP_RANDOM	6
/*
 * A temporary file untouched this long is a dead writer's: a live one
 * holds its own for microseconds, and one that is only slow is left
 * alone.
 */
#define TMP_STALE_SECS	300
/* directory entries a sweep looks at, at most */
#define SWEEP_MAX	4096

static uint64_t	fnv(uint64_t, const void *, size_t);
static uint64_t	state_key(const struct spf_config *);
static int	is_tmp_name(const char *, const char *);
static void	sweep_tmp(const char *);

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* What the verdict depends on: the path to the data and the anchors. */
static uint64_t
state_key(const struct spf_config *cfg)
{
	struct stat	 sb;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	int		 i;

	h = fnv(h, &cfg->recursive, sizeof(cfg->recursive));
	for (i = 0; i < cfg->nresolvers; i++)
		h = fnv(h, cfg->resolvers[i], strlen(cfg->resolvers[i]) + 1);
	for (i = 0; i < cfg->nzones; i++)
		h = fnv(h, cfg->zones[i], strlen(cfg->zones[i]) + 1);
	for (i = 0; i < cfg->nanchors; i++) {
		h = fnv(h, cfg->anchors[i], strlen(cfg->anchors[i]) + 1);
		/* a new key in the same file is a new question */
		if (stat(cfg->anchors[i], &sb) == 0) {
			h = fnv(h, &sb.st_size, sizeof(sb.st_size));
			h = fnv(h, &sb.st_mtime, sizeof(sb.st_mtime));
		}
	}
	return h;
}

/* name is base's temporary: base TMP_INFIX and six of [A-Za-z0-9] */
static int
is_tmp_name(const char *name, const char *base)
{
	size_t	 blen = strlen(base), ilen = strlen(TMP_INFIX), i;

	if (strncmp(name, base, blen) != 0 ||
	    strncmp(name + blen, TMP_INFIX, ilen) != 0)
		return 0;
	name += blen + ilen;
	for (i = 0; i < TMP_RANDOM; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return name[TMP_RANDOM] == '\0';
}

/*
 * Remove the temporary files that writers of path were killed before
 * renaming: regular files of this uid (never followed through a
 * symlink), untouched for TMP_STALE_SECS.  Best effort: what cannot be
 * looked at or removed stays.
 */
static void
sweep_tmp(const char *path)
{
	char		 dirpath[SPF_PATH_LEN];
	const char	*slash = strrchr(path, '/'), *base = path;
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	time_t		 now = time(NULL);
	int		 seen = 0;

	if (slash == NULL)
		(void)strlcpy(dirpath, ".", sizeof(dirpath));
	else if (slash == path)
		(void)strlcpy(dirpath, "/", sizeof(dirpath));
	else if ((size_t)(slash - path) < sizeof(dirpath))
		(void)strlcpy(dirpath, path, (size_t)(slash - path) + 1);
	else
		return;
	if (slash != NULL)
		base = slash + 1;
	if ((d = opendir(dirpath)) == NULL)
		return;
	while (seen++ < SWEEP_MAX && (de = readdir(d)) != NULL) {
		if (!is_tmp_name(de->d_name, base) ||
		    fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    sb.st_uid != geteuid() ||
		    now - sb.st_mtime < TMP_STALE_SECS)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	(void)closedir(d);
}

int
dnssec_state_read(const struct spf_config *cfg, char *why, size_t whylen,
    time_t *expires)
{
	struct stat	 sb;
	char		 buf[STATE_MAX + 1], *p, *end;
	unsigned long long key, exp;
	time_t		 now;
	ssize_t		 n;
	size_t		 i;
	int		 fd;

	if (cfg->dnssec_state[0] == '\0')
		return 0;
	fd = open(cfg->dnssec_state, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & (S_IWGRP | S_IWOTH)) ||
	    sb.st_size > STATE_MAX ||
	    (n = read(fd, buf, STATE_MAX + 1)) <= 0 || n > STATE_MAX) {
		close(fd);
		return 0;
	}
	close(fd);
	buf[n] = '\0';
	/* one line: magic, key, expiry, "off", the reason, a newline */
	if ((size_t)n != strlen(buf) || buf[n - 1] != '\n' ||
	    strncmp(buf, STATE_MAGIC, strlen(STATE_MAGIC)) != 0)
		return 0;
	buf[n - 1] = '\0';
	p = buf + strlen(STATE_MAGIC);
	if (strspn(p, "0123456789abcdef") != 16 || p[16] != ' ')
		return 0;
	errno = 0;
	key = strtoull(p, &end, 16);
	if (errno != 0 || end != p + 16 || key != state_key(cfg))
		return 0;
	p = end + 1;
	if (strspn(p, "0123456789") < 1 || strspn(p, "0123456789") > 19)
		return 0;
	errno = 0;
	exp = strtoull(p, &end, 10);
	if (errno != 0 || strncmp(end, " off ", 5) != 0)
		return 0;
	p = end + 5;
	for (i = 0; p[i] != '\0'; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	now = time(NULL);
	if (i == 0 || now < 0 || exp <= (unsigned long long)now ||
	    exp - (unsigned long long)now > (unsigned long long)
	    cfg->dnssec_state_secs)
		return 0;
	(void)strlcpy(why, p, whylen);
	*expires = (time_t)exp;
	return 1;
}

int
dnssec_state_write(const struct spf_config *cfg, const char *why,
    char *err, size_t errlen)
{
	char	 tmp[SPF_PATH_LEN], line[STATE_MAX + 1], clean[384];
	size_t	 i;
	int	 fd, n, ok, saved = 0;

	if (cfg->dnssec_state[0] == '\0')
		return 0;
	/* the reason comes from DNS: printable ASCII only, bounded */
	for (i = 0; why[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = why[i] >= 0x20 && why[i] <= 0x7e ? why[i] : '?';
	clean[i] = '\0';
	n = snprintf(line, sizeof(line), "%s%016llx %lld off %s\n",
	    STATE_MAGIC, (unsigned long long)state_key(cfg),
	    (long long)time(NULL) + cfg->dnssec_state_secs,
	    i > 0 ? clean : "unknown");
	if (n < 0 || n > STATE_MAX ||
	    snprintf(tmp, sizeof(tmp), "%s" TMP_INFIX "XXXXXX",
	    cfg->dnssec_state) >= (int)sizeof(tmp)) {
		(void)snprintf(err, errlen, "state line too long");
		return -1;
	}
	sweep_tmp(cfg->dnssec_state);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* Exim runs with umask 0: say the mode */
	errno = 0;
	ok = fchmod(fd, 0644) == 0 && write(fd, line, n) == n;
	if (!ok)
		saved = errno != 0 ? errno : EIO;	/* a short write */
	if (close(fd) == -1 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		(void)snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		(void)unlink(tmp);
		return -1;
	}
	if (rename(tmp, cfg->dnssec_state) == -1) {
		(void)snprintf(err, errlen, "%s: %s", cfg->dnssec_state,
		    strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}
