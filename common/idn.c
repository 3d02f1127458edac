/*
 * idn.c: internationalized mail, RFC 8616 section 4.
 *
 * The identity is split once (checker.c); here its names get the form
 * DNS needs.  U-labels become A-labels through libidn2 (IDNA2008,
 * RFC 5891), after the mapping RFC 5891 5.2 leaves to the caller: UTS 46
 * non-transitional, which lower-cases and normalizes to NFC but keeps
 * the letters IDNA2008 made valid (ß stays ß: xn--zca, never "ss" as
 * IDNA2003 had it).  What has no A-label form is not a domain (RFC 7208
 * 4.3).  A local-part is never converted: it has no DNS form at all,
 * so a term that would put a non-ASCII one in a question matches
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "spfint.h"

int
idn_alabels(const char *name, char *out, size_t outlen, char *why,
    size_t whylen)
{
	char	*a = NULL;
	int	 rc;

	if (utf8_ascii(name)) {
		if (strlcpy(out, name, outlen) >= outlen) {
			(void)snprintf(why, whylen, "too long");
			return -1;
		}
		return 0;
	}
	if (!utf8_valid(name)) {
		(void)snprintf(why, whylen, "not valid UTF-8");
		return -1;
	}
	rc = idn2_to_ascii_8z(name, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		(void)snprintf(why, whylen, "not a valid IDNA2008 name: %s",
		    idn2_strerror(rc));
		return -1;
	}
	if (strlcpy(out, a, outlen) >= outlen) {
		idn2_free(a);
		(void)snprintf(why, whylen, "too long");
		return -1;
	}
	idn2_free(a);
	return 0;
}

int
idn_query_names(struct spf_query *q, char *why, size_t whylen)
{
	char	 a[SPF_DOMAIN_LEN], err[128];
	char	*s;

	q->unusable = 0;
	if (!utf8_ascii(q->local))
		q->unusable |= MACRO_LETTER('s') | MACRO_LETTER('l');
	if (idn_alabels(q->helo, a, sizeof(a), err, sizeof(err)) == 0) {
		if ((q->helo_alabels = strdup(a)) == NULL)
			goto nomem;
	} else
		q->unusable |= MACRO_LETTER('h');
	if (utf8_ascii(q->sender_domain))
		return 0;
	if (idn_alabels(q->sender_domain, a, sizeof(a), err,
	    sizeof(err)) == -1) {
		(void)snprintf(why, whylen, "%s is %s (RFC 8616 4, RFC 7208 "
		    "4.3)", q->identity == SPF_ID_HELO ? "the HELO name" :
		    "the sender's domain", err);
		return -1;
	}
	if ((s = strdup(a)) == NULL)
		goto nomem;
	free(q->sender_domain);
	q->sender_domain = s;
	free(q->sender);
	if (asprintf(&q->sender, "%s@%s", q->local, q->sender_domain) == -1) {
		q->sender = NULL;
		goto nomem;
	}
	return 0;
nomem:
	(void)snprintf(why, whylen, "out of memory");
	return -1;
}

int
idn_term_skipped(struct spf_query *q, const struct frame *f,
    const struct spf_term *t)
{
	unsigned int	 used;

	if (q->unusable == 0 || t->spec_len == 0)
		return 0;
	used = macro_letters(f->rec.text + t->spec_off, t->spec_len, 0) &
	    q->unusable;
	if (used == 0)
		return 0;
	trace_add(q->trace, f->depth + 1, "%.*s: skipped, matches nothing "
	    "(RFC 8616 4): %s", (int)t->len, f->rec.text + t->off,
	    used & (MACRO_LETTER('s') | MACRO_LETTER('l')) ?
	    "the local-part is not ASCII" :
	    "the HELO name has no A-label form");
	return 1;
}
