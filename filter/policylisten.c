/*
 * policylisten.c: the listening socket of "spfgate policy --listen":
 * a unix socket for the smtpd processes of one host (under Postfix's
 * chroot, inside its queue directory), or TCP, on loopback unless an
 * address is given.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policyconn.h"

#define LISTEN_BACKLOG	256
#define DEFAULT_MODE	0660
#define DEFAULT_ADDR	"127.0.0.1"

static int	open_unix(const struct policy_listen *, const char *, char *,
		    size_t);
static int	open_inet(const char *, char *, size_t);
static int	stale(const char *, char *, size_t);
static int	nonblock(int, char *, size_t);

const char *
policy_listen_path(const char *spec)
{
	return strncmp(spec, "unix:", 5) == 0 ? spec + 5 : NULL;
}

int
policy_listen_open(const struct policy_listen *pl, char *err, size_t errlen)
{
	const char	*path;

	if ((path = policy_listen_path(pl->spec)) != NULL)
		return open_unix(pl, path, err, errlen);
	return open_inet(pl->spec, err, errlen);
}

static int
nonblock(int fd, char *err, size_t errlen)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		(void)snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Is what lies at path a socket left by a server that is gone?  1 if
 * so (it may be replaced), 0 if nothing is there, -1 with err if it is
 * live or no socket: never clobbered.
 */
static int
stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 s, live;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		(void)snprintf(err, errlen, "%s exists and is not a socket: "
		    "not replaced", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		(void)snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	live = connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	(void)close(s);
	if (live) {
		(void)snprintf(err, errlen, "%s: another server is listening "
		    "there", path);
		return -1;
	}
	return 1;
}

static int
open_unix(const struct policy_listen *pl, const char *path, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	int			 s, mode;

	err[0] = '\0';
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlcpy(sun.sun_path, path,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path)) {
		(void)snprintf(err, errlen, "unix:%s: not an absolute path of "
		    "at most %zu octets", path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	switch (stale(path, err, errlen)) {
	case -1:
		return -1;
	case 1:
		if (unlink(path) == -1) {
			(void)snprintf(err, errlen, "unlink %s: %s", path,
			    strerror(errno));
			return -1;
		}
		break;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		(void)snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)snprintf(err, errlen, "bind %s: %s", path,
		    strerror(errno));
		(void)close(s);
		return -1;
	}
	mode = pl->mode >= 0 ? pl->mode : DEFAULT_MODE;
	if (chmod(path, (mode_t)mode) == -1 || ((pl->owner != -1 ||
	    pl->group != -1) && chown(path, (uid_t)pl->owner,
	    (gid_t)pl->group) == -1)) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(path);
		(void)close(s);
		return -1;
	}
	if (listen(s, LISTEN_BACKLOG) == -1 ||
	    nonblock(s, err, errlen) == -1) {
		if (err[0] == '\0')
			(void)snprintf(err, errlen, "listen: %s",
			    strerror(errno));
		(void)unlink(path);
		(void)close(s);
		return -1;
	}
	return s;
}

/* "PORT", "ADDR:PORT", "[ADDR6]:PORT": numeric only, no DNS here. */
static int
open_inet(const char *spec, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai;
	char		 host[64];
	const char	*port, *colon;
	int		 s, on = 1, rc;

	err[0] = '\0';
	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL ||
		    (size_t)(colon - spec - 1) >= sizeof(host))
			goto bad;
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(colon - spec - 1), spec + 1);
		port = colon + 2;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if ((size_t)(colon - spec) >= sizeof(host) ||
		    memchr(spec, ':', (size_t)(colon - spec)) != NULL)
			goto bad;
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(colon - spec), spec);
		port = colon + 1;
	} else {
		(void)strlcpy(host, DEFAULT_ADDR, sizeof(host));
		port = spec;
	}
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port))
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		(void)snprintf(err, errlen, "--listen %s: %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	if ((s = socket(ai->ai_family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(s, LISTEN_BACKLOG) == -1) {
		(void)snprintf(err, errlen, "--listen %s: %s", spec,
		    strerror(errno));
		if (s != -1)
			(void)close(s);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (nonblock(s, err, errlen) == -1) {
		(void)close(s);
		return -1;
	}
	return s;
bad:
	(void)snprintf(err, errlen, "--listen %s: expected unix:PATH, PORT, "
	    "ADDR:PORT or [ADDR6]:PORT", spec);
	return -1;
}
