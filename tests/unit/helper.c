/*
 * helper.c: what several unit tests share: a DNS message builder (for
 * test_dnsmsg*, and for the scripted resolver's answers), the
 * configuration fixtures (of test_config and test_cfgargs), and the
 * policies test_eval and test_lint both judge against the limits.
 */
#include <unistd.h>

#include "unit.h"

void
put8(struct msg *m, unsigned int v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (unsigned char)v;
}

void
put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

/* Uncompressed wire form of a dotted name ("" or "." is the root). */
void
putname(struct msg *m, const char *name)
{
	const char	*dot;
	size_t		 l;

	while (*name != '\0' && strcmp(name, ".") != 0) {
		dot = strchr(name, '.');
		l = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(m, (unsigned int)l);
		assert_true(m->n + l <= sizeof(m->b));
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	put8(m, 0);
}

void
putptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned int)off);
}

/* rcode, qdcount, ancount; the counts can be set again later */
void
header(struct msg *m, int rcode, int qd, int an)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, 0x8180 | (unsigned int)rcode);
	put16(m, (unsigned int)qd);
	put16(m, (unsigned int)an);
	put16(m, 0);
	put16(m, 0);
	m->ancount = an;
}

void
question(struct msg *m, const char *name, int type)
{
	putname(m, name);
	put16(m, (unsigned int)type);
	put16(m, 1);
}

void
rr_head(struct msg *m, int type)
{
	put16(m, (unsigned int)type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	m->rdlen_at = m->n;
	put16(m, 0);
}

void
rr(struct msg *m, const char *owner, int type)
{
	putname(m, owner);
	rr_head(m, type);
}

void
rr_ptr(struct msg *m, size_t owner, int type)
{
	putptr(m, owner);
	rr_head(m, type);
}

void
rr_end(struct msg *m)
{
	size_t	 len = m->n - m->rdlen_at - 2;

	m->b[m->rdlen_at] = (unsigned char)(len >> 8);
	m->b[m->rdlen_at + 1] = (unsigned char)(len & 0xff);
}

void
rr_a(struct msg *m, const char *owner, const char *addr)
{
	unsigned char	 a[16];
	int		 v6 = strchr(addr, ':') != NULL;

	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, addr, a), 1);
	rr(m, owner, v6 ? DNS_T_AAAA : DNS_T_A);
	memcpy(m->b + m->n, a, v6 ? 16 : 4);
	m->n += v6 ? 16 : 4;
	rr_end(m);
}

void
rr_cname(struct msg *m, const char *owner, const char *target)
{
	rr(m, owner, DNS_T_CNAME);
	putname(m, target);
	rr_end(m);
}

/* A TXT RR of n character-strings. */
void
rr_txt(struct msg *m, const char *owner, int n, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 l;

	rr(m, owner, DNS_T_TXT);
	va_start(ap, n);
	while (n-- > 0) {
		s = va_arg(ap, const char *);
		l = strlen(s);
		assert_true(l < 256);
		put8(m, (unsigned int)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
	}
	va_end(ap);
	rr_end(m);
}

/* An MX RR: preference and an uncompressed exchange name. */
void
rr_mx(struct msg *m, const char *owner, int pref, const char *exchange)
{
	rr(m, owner, DNS_T_MX);
	put16(m, (unsigned int)pref);
	putname(m, exchange);
	rr_end(m);
}

/* A PTR RR. */
void
rr_name(struct msg *m, const char *owner, int type, const char *target)
{
	rr(m, owner, type);
	putname(m, target);
	rr_end(m);
}

/* The first len octets of the message in a buffer of just that size. */
unsigned char *
msg_copy(const struct msg *m, size_t len)
{
	unsigned char	*p;

	p = malloc(len > 0 ? len : 1);
	assert_non_null(p);
	memcpy(p, m->b, len);
	return p;
}

int
msg_iter(struct dns_iter *it, const struct msg *m, int qtype,
    unsigned char **pkt)
{
	*pkt = msg_copy(m, m->n);
	return dns_iter_init(it, *pkt, m->n, qtype);
}

static char	 paths[8][64];
static int	 npaths;

/* A config file holding text; removed by the test's teardown. */
const char *
conf_file(const char *text)
{
	char	*path;
	int	 fd;
	size_t	 len = strlen(text);

	assert_true(npaths < 8);
	path = paths[npaths++];
	(void)snprintf(path, sizeof(paths[0]), "%s/spfgate-unit.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

int
conf_cleanup(void **state)
{
	(void)state;
	while (npaths > 0)
		(void)unlink(paths[--npaths]);
	return 0;
}

void
set_ok(struct spf_config *cfg, const char *key, const char *v)
{
	char	 err[512];

	err[0] = '\0';
	if (spf_config_set(cfg, key, v, err, sizeof(err)) != 0)
		fail_msg("%s '%s' refused: %s", key, v, err);
}

void
set_bad(struct spf_config *cfg, const char *key, const char *v,
    const char *why)
{
	char	 err[512];

	err[0] = '\0';
	if (spf_config_set(cfg, key, v, err, sizeof(err)) != -1)
		fail_msg("%s '%s' accepted", key, v);
	if (why != NULL && strcmp(err, why) != 0)
		fail_msg("%s '%s': error '%s', not '%s'", key, v, err, why);
	if (err[0] == '\0')
		fail_msg("%s '%s': no error text", key, v);
}

/*
 * At the limits of RFC 7208 4.6.4: ten lookups, eleven through an
 * include, two and three void lookups (for IPv4 clients), and a tree
 * with void lookups that differ by client family.
 */
const struct script_line limits_zone[] = {
	{ "ten.example", "TXT", "v=spf1 a a a a a a a a a a -all" },
	{ "ten.example", "A", "198.51.100.1" },
	{ "ten.example", "AAAA", "2001:db8::1" },
	{ "eleven.example", "TXT", "v=spf1 a a a a a include:five.example "
	    "a ip4:192.0.2.1 -all" },
	{ "eleven.example", "A", "198.51.100.1" },
	{ "eleven.example", "AAAA", "2001:db8::1" },
	{ "five.example", "TXT", "v=spf1 a a a a -all" },
	{ "five.example", "A", "198.51.100.1" },
	{ "five.example", "AAAA", "2001:db8::1" },
	{ "voids.example", "TXT", "v=spf1 a:n1.example a:n2.example "
	    "a:n4.example -all" },
	{ "n4.example", "A", "NODATA" },
	{ "twovoids.example", "TXT", "v=spf1 a:n1.example mx:n2.example "
	    "-all" },
	{ "voidtree.example", "TXT", "v=spf1 a:n1.example mx:n2.example "
	    "a:n3.example redirect=ten.example" },
	{ "n3.example", "A", "198.51.100.3" },
	{ NULL, NULL, NULL }
};
