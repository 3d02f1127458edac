/*
 * dnsmsg.c: reading the answer section of a DNS message as libunbound
 * hands it over.  libunbound has checked the message's structure but not
 * every rdata (a TXT character-string can claim more octets than its
 * rdata holds), so every length read here is checked against its
 * container.  Only records of the asked type owned by the end of the
 * CNAME chain are returned: anything else in the section is ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "spfint.h"

#define MAX_POINTERS	64

static int	read_name(const unsigned char *, size_t, size_t *,
		    unsigned char *, size_t *);
static int	name_eq(const unsigned char *, size_t, const unsigned char *,
		    size_t);
static int	name_text(const unsigned char *, size_t, char *, size_t,
		    size_t *);
static int	skip_rr(const unsigned char *, size_t, size_t *, unsigned char *,
		    size_t *, int *, size_t *, size_t *);
static int	follow_chain(struct dns_iter *);

/*
 * Read the possibly compressed name at *off into wire (at most 255
 * octets), leaving *off after the name as it stands in the message.
 */
static int
read_name(const unsigned char *pkt, size_t len, size_t *off,
    unsigned char *wire, size_t *wirelen)
{
	size_t	 p = *off, w = 0;
	int	 jumps = 0, jumped = 0;
	unsigned int l;

	for (;;) {
		if (p >= len)
			return -1;
		l = pkt[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > MAX_POINTERS)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = 1;
			p = ((l & 0x3f) << 8) | pkt[p + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1;
		if (w + 1 + l > 255 || p + 1 + l > len)
			return -1;
		wire[w++] = (unsigned char)l;
		memcpy(wire + w, pkt + p + 1, l);
		w += l;
		p += 1 + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*off = p;
	*wirelen = w;
	return 0;
}

static int
name_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	size_t	 i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return 0;
	return 1;
}

/* Presentation form, without the final dot; "." for the root. */
static int
name_text(const unsigned char *wire, size_t wirelen, char *buf, size_t buflen,
    size_t *outlen)
{
	size_t	 w = 0, o = 0, i;
	unsigned int l;
	unsigned char c;

	if (buflen < 2)
		return -1;
	while (w < wirelen && (l = wire[w]) != 0) {
		if (o > 0)
			buf[o++] = '.';
		for (i = 0; i < l; i++) {
			if (o + 5 >= buflen)
				return -1;
			c = wire[w + 1 + i];
			if (c == '.' || c == '\\') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				(void)snprintf(buf + o, buflen - o, "\\%03u", c);
				o += 4;
			} else
				buf[o++] = (char)c;
		}
		w += 1 + l;
	}
	if (o == 0)
		buf[o++] = '.';
	buf[o] = '\0';
	*outlen = o;
	return 0;
}

/* Read one RR header at *off; leaves *off at the next RR. */
static int
skip_rr(const unsigned char *pkt, size_t len, size_t *off, unsigned char *owner,
    size_t *ownerlen, int *type, size_t *rdoff, size_t *rdlen)
{
	if (read_name(pkt, len, off, owner, ownerlen) == -1)
		return -1;
	if (*off + 10 > len)
		return -1;
	*type = (pkt[*off] << 8) | pkt[*off + 1];
	*rdlen = (pkt[*off + 8] << 8) | pkt[*off + 9];
	*rdoff = *off + 10;
	if (*rdoff + *rdlen > len)
		return -1;
	*off = *rdoff + *rdlen;
	return 0;
}

/*
 * Move it->owner along the CNAMEs of the answer section; -1 for a loop
 * or a chain of more than DNS_MAX_CHAIN links.
 */
static int
follow_chain(struct dns_iter *it)
{
	unsigned char	 owner[256], target[256];
	size_t		 off, ownerlen, targetlen, rdoff, rdlen, t;
	int		 i, n, type, found;

	if (it->qtype == DNS_T_CNAME)
		return 0;
	for (n = 0;; n++) {
		found = 0;
		off = it->answers;
		for (i = 0; i < it->ancount; i++) {
			if (skip_rr(it->pkt, it->len, &off, owner, &ownerlen,
			    &type, &rdoff, &rdlen) == -1)
				return -1;
			if (type != DNS_T_CNAME ||
			    !name_eq(owner, ownerlen, it->owner, it->ownerlen))
				continue;
			t = rdoff;
			if (read_name(it->pkt, it->len, &t, target,
			    &targetlen) == -1 || t != rdoff + rdlen)
				return -1;
			found = 1;
			break;
		}
		if (!found)
			return 0;
		/* a loop, or longer than any sane chain */
		if (n == DNS_MAX_CHAIN ||
		    name_eq(target, targetlen, it->owner, it->ownerlen))
			return -1;
		memcpy(it->owner, target, targetlen);
		it->ownerlen = targetlen;
	}
}

int
dns_iter_init(struct dns_iter *it, const unsigned char *pkt, size_t len,
    int qtype)
{
	size_t	 off = 12;
	int	 qdcount, i;

	memset(it, 0, sizeof(*it));
	it->pkt = pkt;
	it->len = len;
	it->qtype = qtype;
	if (pkt == NULL || len < 12)
		return -1;
	it->rcode = pkt[3] & 0x0f;
	qdcount = (pkt[4] << 8) | pkt[5];
	it->ancount = (pkt[6] << 8) | pkt[7];
	if (qdcount != 1)
		return -1;
	for (i = 0; i < qdcount; i++) {
		if (read_name(pkt, len, &off, it->owner, &it->ownerlen) == -1 ||
		    off + 4 > len)
			return -1;
		off += 4;
	}
	it->answers = it->off = off;
	return follow_chain(it);
}

int
dns_iter_next(struct dns_iter *it, char *buf, size_t buflen, size_t *outlen,
    int *pref)
{
	unsigned char	 owner[256], name[256];
	size_t		 ownerlen, namelen, rdoff, rdlen, p, end, o, l;
	int		 type;

	while (it->next < it->ancount) {
		it->next++;
		if (skip_rr(it->pkt, it->len, &it->off, owner, &ownerlen, &type,
		    &rdoff, &rdlen) == -1)
			return -1;
		if (type != it->qtype ||
		    !name_eq(owner, ownerlen, it->owner, it->ownerlen))
			continue;
		switch (type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			if (rdlen != (type == DNS_T_A ? 4U : 16U) ||
			    buflen < rdlen)
				return -1;
			memcpy(buf, it->pkt + rdoff, rdlen);
			*outlen = rdlen;
			return 1;
		case DNS_T_TXT:
			end = rdoff + rdlen;
			for (p = rdoff, o = 0; p < end; p += 1 + l) {
				l = it->pkt[p];
				if (p + 1 + l > end || o + l >= buflen)
					return -1;
				memcpy(buf + o, it->pkt + p + 1, l);
				o += l;
			}
			if (o >= buflen)
				return -1;
			buf[o] = '\0';
			*outlen = o;
			return 1;
		case DNS_T_MX:
		case DNS_T_PTR:
		case DNS_T_CNAME:
			p = rdoff;
			if (type == DNS_T_MX) {
				if (rdlen < 3)
					return -1;
				if (pref != NULL)
					*pref = (it->pkt[p] << 8) |
					    it->pkt[p + 1];
				p += 2;
			}
			if (read_name(it->pkt, it->len, &p, name,
			    &namelen) == -1 || p != rdoff + rdlen)
				return -1;
			if (name_text(name, namelen, buf, buflen, outlen) == -1)
				return -1;
			return 1;
		default:
			if (rdlen > buflen)
				return -1;
			memcpy(buf, it->pkt + rdoff, rdlen);
			*outlen = rdlen;
			return 1;
		}
	}
	return 0;
}

int
dns_iter_count(const struct dns_iter *start)
{
	struct dns_iter	 it = *start;
	unsigned char	 owner[256];
	size_t		 ownerlen, rdoff, rdlen;
	int		 type, n = 0;

	while (it.next < it.ancount) {
		it.next++;
		if (skip_rr(it.pkt, it.len, &it.off, owner, &ownerlen, &type,
		    &rdoff, &rdlen) == -1)
			return -1;
		if (type != it.qtype ||
		    !name_eq(owner, ownerlen, it.owner, it.ownerlen))
			continue;
		if ((type == DNS_T_A && rdlen != 4) ||
		    (type == DNS_T_AAAA && rdlen != 16))
			return -1;
		n++;
	}
	return n;
}

const char *
dns_type_str(int type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_DNSKEY:
		return "DNSKEY";
	}
	return "?";
}
