/*
 * fields.c: the fields of smtpd-filters(7) lines, parsed without state
 * (see fields.h); proto.c owns the session and the stream.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fields.h"

/*
 * link-connect's src as a client address: "1.2.3.4:5678",
 * "[2001:db8::25]:41234" (smtpd 6.8 and 7.x), for good measure a bare
 * address, or the unix socket.
 */
void
src_read(const char *text, struct proto_src *src)
{
	char		 buf[PROTO_ADDR_LEN + 16], *e;
	struct in6_addr	 a6;
	struct in_addr	 a4;

	memset(src, 0, sizeof(*src));
	src->text = text;
	src->kind = PROTO_SRC_UNUSABLE;
	if (strncmp(text, "unix:", 5) == 0 || strcmp(text, "local") == 0) {
		src->kind = PROTO_SRC_LOCAL;
		return;
	}
	if (strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return;
	if (buf[0] == '[') {
		if ((e = strchr(buf, ']')) == NULL)
			return;
		*e = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else if (inet_pton(AF_INET6, buf, &a6) != 1 &&
	    (e = strrchr(buf, ':')) != NULL)
		*e = '\0';
	/* smtpd's own "local" class: its socket and loopback */
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (inet_ntop(AF_INET, &a4, src->ip, sizeof(src->ip)) == NULL)
			return;
		src->loopback = (ntohl(a4.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (inet_ntop(AF_INET6, &a6, src->ip, sizeof(src->ip)) ==
		    NULL)
			return;
		src->loopback = IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	} else
		return;
	src->kind = PROTO_SRC_ADDR;
}

/*
 * Cut s at the first n - 1 '|'; the last field keeps any further '|'
 * (smtpd-filters(7): only the last field may hold one).
 */
int
split(char *s, char **f, int n)
{
	int	 i;

	for (i = 0; i < n - 1; i++) {
		f[i] = s;
		if ((s = strchr(s, '|')) == NULL)
			return i + 1;
		*s++ = '\0';
	}
	f[i] = s;
	return n;
}

/* A session id or token: 1 to 16 hex digits. */
int
parse_id(const char *s, uint64_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 16 || !isxdigit((unsigned char)s[i]))
			return -1;
		x = x << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	if (i == 0)
		return -1;
	if (v != NULL)
		*v = x;
	return 0;
}

int
known_version(const char *v)
{
	return strcmp(v, "0.6") == 0 || strcmp(v, "0.7") == 0;
}
