/*
 * fuzz_dnsmsg.c: libFuzzer target for the DNS answer decoder
 * (dns_iter_init, dns_iter_next) over arbitrary octets.
 *
 * libunbound checks a message's structure but hands rdata over as it
 * came (a TXT character-string may claim more octets than its rdata
 * holds), and a hostile server chooses every octet of it, so the input
 * is a whole DNS message.  It is read the way each caller reads it:
 * answer_cb's first look (qtype 0), then as an answer to each type the
 * evaluator asks (A, AAAA, MX, PTR, TXT, CNAME), into heap buffers of
 * exactly the sizes the callers use, and again into small ones, so a
 * write or read past any of them is an ASan report.  What comes out
 * must be what the API promises: TXT text NUL-terminated, names in
 * presentation form of at most 1,020 characters, addresses of 4 or 16
 * octets, and never more records than the answer section holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	read_all(const uint8_t *, size_t, int, size_t);

/* NS: a type nobody asks for, read by the decoder's default branch */
#define T_OTHER		2


static void
read_all(const uint8_t *pkt, size_t len, int qtype, size_t buflen)
{
	struct dns_iter	 it;
	char		*buf;
	size_t		 outlen;
	int		 r, pref = 0, n = 0;

	if (dns_iter_init(&it, pkt, len, qtype) == -1)
		return;
	CHECK(it.answers >= 12 && it.answers <= len);
	CHECK(it.ownerlen >= 1 && it.ownerlen <= 255);
	if ((buf = malloc(buflen)) == NULL)
		return;
	while ((r = dns_iter_next(&it, buf, buflen, &outlen, &pref)) == 1) {
		CHECK(++n <= it.ancount);
		CHECK(outlen <= buflen);
		switch (qtype) {
		case DNS_T_A:
			CHECK(outlen == 4);
			break;
		case DNS_T_AAAA:
			CHECK(outlen == 16);
			break;
		case DNS_T_TXT:
			CHECK(outlen < buflen && buf[outlen] == '\0');
			break;
		case DNS_T_MX:
			CHECK(pref >= 0 && pref <= 65535);
			/* FALLTHROUGH */
		case DNS_T_PTR:
		case DNS_T_CNAME:
			CHECK(outlen > 0 && outlen < buflen &&
			    outlen < DNS_NAME_TEXT);
			CHECK(strlen(buf) == outlen);
			break;
		}
	}
	CHECK(r == 0 || r == -1);
	CHECK(it.next <= it.ancount);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_iter	 it;

	/* answer_cb: is it a message at all? */
	(void)dns_iter_init(&it, data, size, 0);
	(void)dns_iter_init(&it, NULL, 0, DNS_T_TXT);

	/* the sizes the evaluator's handlers use */
	read_all(data, size, DNS_T_A, 16);
	read_all(data, size, DNS_T_AAAA, 16);
	read_all(data, size, DNS_T_MX, DNS_NAME_TEXT);
	read_all(data, size, DNS_T_PTR, DNS_NAME_TEXT);
	read_all(data, size, DNS_T_TXT, SPF_RECORD_MAX + 1);
	read_all(data, size, DNS_T_CNAME, DNS_NAME_TEXT);

	/* and small ones, where every limit is near */
	read_all(data, size, DNS_T_A, 4);
	read_all(data, size, DNS_T_TXT, 1);
	read_all(data, size, DNS_T_TXT, 12);
	read_all(data, size, DNS_T_MX, 2);
	read_all(data, size, DNS_T_PTR, 16);
	read_all(data, size, T_OTHER, 64);
	return 0;
}
