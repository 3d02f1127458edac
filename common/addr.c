/*
 * addr.c: the client address: parsing, CIDR matching, and the text
 * forms the macros and the reverse lookups need.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "spfint.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/*
 * Accepts dotted quads and every IPv6 text form inet_pton knows (Exim
 * hands over fully expanded ones, OpenSMTPD bracketed ones).  An
 * IPv4-mapped IPv6 address is an IPv4 client (RFC 7208 5).
 */
int
addr_parse(const char *s, struct spf_addr *addr)
{
	char	 buf[SPF_ADDR_LEN + 2];
	size_t	 len;

	memset(addr, 0, sizeof(*addr));
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		s = buf;
	}
	if (strncasecmp(s, "ipv6:", 5) == 0)
		s += 5;
	if (inet_pton(AF_INET, s, addr->a) == 1) {
		addr->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->a) == 1) {
		if (memcmp(addr->a, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(addr->a, addr->a + 12, 4);
			memset(addr->a + 4, 0, 12);
			addr->af = AF_INET;
		} else
			addr->af = AF_INET6;
		return 0;
	}
	return -1;
}

/* Does the client fall within net/prefix of its own family? */
int
addr_in_net(const struct spf_addr *addr, const unsigned char *net,
    int prefix)
{
	int	 bytes, bits;

	bytes = prefix / 8;
	bits = prefix % 8;
	if (memcmp(addr->a, net, bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((addr->a[bytes] ^ net[bytes]) & (0xff << (8 - bits))) == 0;
}

int
addr_equal(const struct spf_addr *addr, int af, const unsigned char *a)
{
	if (addr->af != af)
		return 0;
	return memcmp(addr->a, a, af == AF_INET ? 4 : 16) == 0;
}

/*
 * The readable form: %{c}, client-ip=.  Every result needs it: an IPv4
 * address is written here, not by inet_ntop's sprintf per octet.
 */
void
addr_text(const struct spf_addr *addr, char *buf, size_t len)
{
	unsigned int	 v;
	char		*p = buf;
	int		 i;

	if (addr->af == AF_INET && len >= INET_ADDRSTRLEN) {
		for (i = 0; i < 4; i++) {
			v = addr->a[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (inet_ntop(addr->af, addr->a, buf, len) == NULL && len > 0)
		buf[0] = '\0';
}

/*
 * %{i}: the dotted quad, or 32 dot-separated nibbles, upper case as in
 * the examples of RFC 7208 7.4.
 */
void
addr_dotted(const struct spf_addr *addr, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 i, o;

	if (addr->af == AF_INET) {
		addr_text(addr, buf, len);
		return;
	}
	if (len < 64)
		return;
	for (i = 0, o = 0; i < 16; i++) {
		buf[o++] = hex[addr->a[i] >> 4];
		buf[o++] = '.';
		buf[o++] = hex[addr->a[i] & 0xf];
		buf[o++] = '.';
	}
	buf[o - 1] = '\0';
}

/* The name a PTR question for the client is asked about. */
void
addr_reverse_name(const struct spf_addr *addr, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 o;
	int	 i;

	if (addr->af == AF_INET) {
		(void)snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa",
		    addr->a[3], addr->a[2], addr->a[1], addr->a[0]);
		return;
	}
	if (len < 73)
		return;
	for (i = 15, o = 0; i >= 0; i--) {
		buf[o++] = hex[addr->a[i] & 0xf];
		buf[o++] = '.';
		buf[o++] = hex[addr->a[i] >> 4];
		buf[o++] = '.';
	}
	memcpy(buf + o, "ip6.arpa", 9);
}
