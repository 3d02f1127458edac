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
static int	rrs_next(struct dns_iter *, char *, size_t, size_t *, int *);

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

	if (it->rrs != NULL)
		return rrs_next(it, buf, buflen, outlen, pref);
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

void
dns_iter_rrs(struct dns_iter *it, const struct dns_rr *rrs, int n, int qtype)
{
	/* every field but owner, which only a packet's iterator reads */
	it->pkt = NULL;
	it->len = it->answers = it->off = it->ownerlen = 0;
	it->rcode = it->ancount = it->next = 0;
	it->rrs = rrs;
	it->nrrs = n;
	it->qtype = qtype;
}

/* A decoded answer's next record, as dns_iter_next gives it. */
static int
rrs_next(struct dns_iter *it, char *buf, size_t buflen, size_t *outlen,
    int *pref)
{
	const struct dns_rr	*rr;
	int			 text;

	if (it->next >= it->nrrs)
		return 0;
	rr = &it->rrs[it->next++];
	text = it->qtype != DNS_T_A && it->qtype != DNS_T_AAAA;
	if (rr->len + (text ? 1 : 0) > buflen)
		return -1;
	memcpy(buf, rr->data, rr->len + (text ? 1 : 0));
	*outlen = rr->len;
	if (pref != NULL)
		*pref = rr->pref;
	return 1;
}

int
dns_iter_count(const struct dns_iter *start)
{
	struct dns_iter	 it = *start;
	unsigned char	 owner[256];
	size_t		 ownerlen, rdoff, rdlen;
	int		 type, n = 0;

	if (it.rrs != NULL)
		return it.nrrs - it.next;
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

/*
 * How long an answer may be kept (RFC 2308, RFC 2181 8): the least TTL
 * of the answer section (the CNAME chain and the RRset used); for a
 * negative answer also the least of the SOA's own TTL and its MINIMUM
 * field, and without an SOA in the authority section it is not to be
 * kept at all.  A TTL with the top bit set counts as 0.  The walk ends
 * within the message's counts (DNS_MAX_RRS each).  0 with *ttl
 * set, or -1: keep nothing.
 */
int
dns_msg_ttl(const unsigned char *pkt, size_t len, int negative,
    uint32_t *ttl)
{
	unsigned char	 owner[256];
	size_t		 off = 12, ownerlen, rdoff, rdlen, p;
	uint32_t	 least = UINT32_MAX, t, minimum;
	int		 ancount, nscount, i, type, soa = 0;

	if (pkt == NULL || len < 12 || ((pkt[4] << 8) | pkt[5]) != 1)
		return -1;
	ancount = (pkt[6] << 8) | pkt[7];
	nscount = (pkt[8] << 8) | pkt[9];
	if (read_name(pkt, len, &off, owner, &ownerlen) == -1 ||
	    off + 4 > len)
		return -1;
	off += 4;
	for (i = 0; i < ancount + (negative ? nscount : 0) &&
	    i < 2 * DNS_MAX_RRS; i++) {
		if (skip_rr(pkt, len, &off, owner, &ownerlen, &type, &rdoff,
		    &rdlen) == -1)
			return -1;
		p = rdoff - 6;
		t = ((uint32_t)pkt[p] << 24) | ((uint32_t)pkt[p + 1] << 16) |
		    ((uint32_t)pkt[p + 2] << 8) | pkt[p + 3];
		if (t & 0x80000000U)
			t = 0;
		if (i >= ancount) {
			if (type != DNS_T_SOA)
				continue;
			/* the MINIMUM field ends the SOA's rdata */
			if (rdlen < 22)
				return -1;
			p = rdoff + rdlen - 4;
			minimum = ((uint32_t)pkt[p] << 24) |
			    ((uint32_t)pkt[p + 1] << 16) |
			    ((uint32_t)pkt[p + 2] << 8) | pkt[p + 3];
			if (minimum & 0x80000000U)
				minimum = 0;
			if (minimum < t)
				t = minimum;
			soa = 1;
		}
		if (t < least)
			least = t;
	}
	if (negative && !soa)
		return -1;
	if (least == UINT32_MAX)
		return -1;
	*ttl = least;
	return 0;
}
