/*
 * verdict.c: what a result means for the message: the action, whether
 * the headers go on, the SMTP reply and the log line.  Every wrapper
 * takes these from here and only translates them for its MTA.
 */
#include <stdio.h>
#include <string.h>

#include "spfint.h"

/*
 * The action the site's policy gives a result.  A site that trusts
 * only an authenticated pass handles any other pass as neutral.
 */
static void	compose(struct spf_verdict *, const struct spf_config *);
static void	with_comment(char *, size_t, const char *, const char *);

/*
 * The action the site's policy gives a result: the domain's own
 * domain-policy line, else the map.  A site that trusts only an
 * authenticated pass handles any other pass as neutral.
 */
void
verdict_action(struct spf_result *r, const struct spf_config *cfg)
{
	r->action = policy_mailfrom_action(cfg, r->code, r->domain);
	if (r->code == SPF_PASS && cfg->require_dnssec_pass &&
	    r->dnssec != SPF_DNSSEC_SECURE) {
		r->action = policy_mailfrom_action(cfg, SPF_NEUTRAL,
		    r->domain);
		if (r->problem[0] == '\0')
			(void)snprintf(r->problem, sizeof(r->problem),
			    "pass not DNSSEC-secure (%s): handled as neutral",
			    spf_dnssec_str(r->dnssec));
	}
}

/* "spf=none smtp..." becomes "spf=none (comment) smtp...". */
static void
with_comment(char *m, size_t len, const char *prefix, const char *comment)
{
	char	 tmp[2 * SPF_HEADER_LEN];
	size_t	 at;

	at = strcspn(m, " ");
	(void)snprintf(tmp, sizeof(tmp), "%.*s (%s%s)%s", (int)at, m, prefix,
	    comment, m + at);
	if (strlen(tmp) < len)
		(void)strlcpy(m, tmp, len);
}

/*
 * The fields and the reply of a verdict whose parts are in, each built
 * once in its own buffer: no field formatted apart and copied in, and
 * each identity's method part made once.  The log line is made only
 * when asked (spf_verdict_log_line).
 */
static void
compose(struct spf_verdict *v, const struct spf_config *cfg)
{
	const struct spf_result	*r = &v->result;
	struct sbuf		 sb;
	char			 m[SPF_HEADER_LEN];
	char			 would[64];
	size_t			 start;
	int			 two, method;

	/* dry run: what would have been refused is tagged, and says so */
	if (cfg->dry_run && (r->action == SPF_REJECT ||
	    r->action == SPF_DEFER)) {
		v->would = 1;
		v->would_action = r->action;
		v->result.action = SPF_TAG;
	}
	v->headers = spf_headers_wanted(r, cfg);
	/* a refused message goes on only through an exempt recipient */
	if (spf_verdict_at_rcpt(cfg) && (r->action == SPF_REJECT ||
	    r->action == SPF_DEFER))
		v->headers = 1;
	/* a HELO that is no domain was not evaluated: no field for it */
	two = v->helo_checked && v->helo_evaluated && !v->helo_decided &&
	    r->identity == SPF_ID_MAILFROM;
	would[0] = '\0';
	if (v->would) {
		(void)strlcpy(would, "would=", sizeof(would));
		(void)strlcat(would, spf_action_str(v->would_action),
		    sizeof(would));
	}

	/*
	 * Each field fits SPF_HEADER_LEN whatever strangers wrote
	 * (header.c); two of them and a comment are cut to the buffer.
	 */
	sbuf_fixed(&sb, v->received_spf, sizeof(v->received_spf));
	if (two && header_received_spf(&sb, &v->helo_result, cfg,
	    SPF_HEADER_LEN) > 0)
		sbuf_put(&sb, "\n", 1);
	if (header_received_spf(&sb, r, cfg, SPF_HEADER_LEN) > 0 &&
	    v->would) {
		sbuf_put(&sb, " ", 1);
		sbuf_puts(&sb, would);
		sbuf_put(&sb, ";", 1);
	}
	(void)sbuf_finish_cut(&sb);

	sbuf_fixed(&sb, v->authres_method, sizeof(v->authres_method));
	if (two && header_authres_method(&sb, &v->helo_result,
	    SPF_HEADER_LEN) > 0)
		sbuf_put(&sb, "; ", 2);
	start = sb.len;
	method = header_authres_method(&sb, r, SPF_HEADER_LEN) > 0;
	if (method && (v->skipped[0] != '\0' || v->guessed || v->would)) {
		/* the comments go inside the method: redo it in m */
		sbuf_rewind(&sb, start);
		(void)spf_authres_method(r, m, sizeof(m));
		if (v->skipped[0] != '\0')
			with_comment(m, sizeof(m), "skip ", v->skipped);
		else if (v->guessed)
			with_comment(m, sizeof(m), "best guess ",
			    spf_code_str(v->guess));
		if (v->would)
			with_comment(m, sizeof(m), "dry run, ", would);
		sbuf_puts(&sb, m);
	}
	(void)sbuf_finish_cut(&sb);

	/* header.c's field name and authserv-id, then every method */
	v->authres[0] = '\0';
	if (method) {
		sbuf_fixed(&sb, v->authres, sizeof(v->authres));
		header_authres_prefix(&sb, cfg);
		sbuf_puts(&sb, v->authres_method);
		(void)sbuf_finish_cut(&sb);
	}
	if (cfg->header_fields == SPF_FIELDS_AUTHRES)
		v->received_spf[0] = '\0';
	else if (cfg->header_fields == SPF_FIELDS_RECEIVED_SPF)
		v->authres[0] = v->authres_method[0] = '\0';

	(void)spf_smtp_reply(r, v->reply, sizeof(v->reply));
	/* The MTA needs a 5xx or 4xx whatever happened to the text. */
	if (r->action == SPF_REJECT && v->reply[0] != '5')
		(void)strlcpy(v->reply, "550 5.7.23 SPF validation failed",
		    sizeof(v->reply));
	else if (r->action == SPF_DEFER && v->reply[0] != '4')
		(void)strlcpy(v->reply, "451 4.7.24 SPF temporary error",
		    sizeof(v->reply));
}

/*
 * Composed only when asked: a wrapper that logs asks once, and the
 * filter, which never prints it, does not pay for it (4,000
 * instructions of a warm evaluation in callgrind).
 */
int
spf_verdict_log_line(const struct spf_verdict *v, char *buf, size_t len)
{
	const struct spf_result	*r = &v->result;
	struct sbuf		 sb;
	int			 n;

	/* the same keys whether checked or skipped */
	sbuf_fixed(&sb, buf, len);
	header_log_line(&sb, r);
	sbuf_puts(&sb, " helo_result=");
	sbuf_puts(&sb, v->helo_checked ? spf_code_str(v->helo_result.code) :
	    "-");
	sbuf_puts(&sb, " skipped=");
	sbuf_puts(&sb, v->skipped[0] != '\0' ? v->skipped : "-");
	sbuf_puts(&sb, " guess=");
	sbuf_puts(&sb, v->guessed ? spf_code_str(v->guess) : "-");
	sbuf_puts(&sb, " would=");
	sbuf_puts(&sb, v->would ? spf_action_str(v->would_action) : "-");
	/* Long senders and problems may not fit: the essentials do. */
	if ((n = sbuf_finish(&sb)) == -1)
		n = snprintf(buf, len, "client=%s result=%s action=%s",
		    r->client_ip, spf_code_str(r->code),
		    spf_action_str(r->action));
	return n >= 0 && (size_t)n < len ? n : -1;
}

void
spf_verdict(const struct spf_result *r, const struct spf_config *cfg,
    struct spf_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->result = *r;
	v->result.trace = NULL;
	compose(v, cfg);
}

/* Put together by message.c: the parts are in v already. */
void
verdict_compose(struct spf_verdict *v, const struct spf_config *cfg)
{
	v->result.trace = NULL;
	v->helo_result.trace = NULL;
	compose(v, cfg);
}

int
spf_verdict_at_rcpt(const struct spf_config *cfg)
{
	return cfg->nexempt > 0;
}

enum spf_action
spf_verdict_recipient(const struct spf_verdict *v,
    const struct spf_config *cfg, const char *rcpt, char *reply, size_t len)
{
	enum spf_action	 a = v->result.action;

	if ((a == SPF_REJECT || a == SPF_DEFER) &&
	    spf_recipient_exempt(cfg, rcpt))
		a = SPF_ACCEPT;
	(void)strlcpy(reply, a == SPF_REJECT || a == SPF_DEFER ? v->reply :
	    "", len);
	return a;
}

void
verdict_result_unchecked(const struct spf_config *cfg, enum spf_code code,
    const char *ip, const char *sender, const char *helo,
    const char *problem, struct spf_result *out)
{
	struct spf_result	 r;
	struct sender_parts	 sp;
	struct spf_addr		 a;
	char			 alabels[SPF_DOMAIN_LEN], why[128];

	memset(&r, 0, sizeof(r));
	r.code = code;
	r.dnssec = SPF_DNSSEC_UNVALIDATED;
	r.lookup_limit = SPF_MAX_DNS_TERMS;
	r.void_limit = cfg->max_void_lookups;
	if (ip == NULL)
		ip = "";
	if (addr_parse(ip, &a) == 0)
		addr_text(&a, r.client_ip, sizeof(r.client_ip));
	else
		(void)strlcpy(r.client_ip, ip, sizeof(r.client_ip));
	if (helo != NULL)
		(void)strlcpy(r.helo, helo, sizeof(r.helo));
	/* the identity and domain exactly as an evaluation splits them */
	if (sender_parse(sender, r.helo, &sp) == 0) {
		r.identity = sp.identity;
		(void)snprintf(r.sender, sizeof(r.sender), "%.*s",
		    (int)sp.given_len, sp.given);
		(void)snprintf(r.domain, sizeof(r.domain), "%.*s",
		    (int)sp.domain_len, sp.domain);
		domain_strip_dot(r.domain);
		if (idn_alabels(r.domain, alabels, sizeof(alabels), why,
		    sizeof(why)) == 0)
			(void)strlcpy(r.domain, alabels, sizeof(r.domain));
	}
	(void)strlcpy(r.problem, problem, sizeof(r.problem));
	verdict_action(&r, cfg);
	*out = r;
}

void
spf_verdict_unchecked(const struct spf_config *cfg, enum spf_code code,
    const char *ip, const char *sender, const char *helo,
    const char *problem, struct spf_verdict *v)
{
	struct spf_result	 r;

	verdict_result_unchecked(cfg, code, ip, sender, helo, problem, &r);
	spf_verdict(&r, cfg, v);
}

void
spf_verdict_trusted(const struct spf_config *cfg, const char *ip,
    const char *sender, const char *helo, const char *why,
    struct spf_verdict *v)
{
	struct spf_result	 r;

	verdict_result_unchecked(cfg, SPF_NONE, ip, sender, helo, "", &r);
	r.action = SPF_ACCEPT;
	memset(v, 0, sizeof(*v));
	v->result = r;
	(void)strlcpy(v->skipped, why, sizeof(v->skipped));
	compose(v, cfg);
	/* the MTA vouches for it: the message is left as it came */
	v->headers = 0;
}

/* A local submission has no client to check: none, said so. */
void
spf_verdict_local(const struct spf_config *cfg, const char *sender,
    const char *helo, struct spf_verdict *v)
{
	spf_verdict_unchecked(cfg, SPF_NONE, "", sender, helo,
	    "no client IP address", v);
}

int
spf_verdict_field(const struct spf_verdict *v, int n, char *buf,
    size_t len)
{
	const char	*fields[3], *nl, *rs = v->received_spf;
	size_t		 lens[3], flen;
	int		 count = 0;

	if (len > 0)
		buf[0] = '\0';
	/* received_spf: the HELO's line first when there are two */
	nl = strchr(rs, '\n');
	if (nl != NULL) {
		fields[count] = nl + 1;
		lens[count++] = strlen(nl + 1);
	} else if (rs[0] != '\0') {
		fields[count] = rs;
		lens[count++] = strlen(rs);
	}
	if (v->authres[0] != '\0') {
		fields[count] = v->authres;
		lens[count++] = strlen(v->authres);
	}
	if (nl != NULL) {
		fields[count] = rs;
		lens[count++] = (size_t)(nl - rs);
	}
	if (n < 0 || n >= count || lens[n] == 0)
		return -1;
	flen = lens[n];
	if (flen >= len)
		return -1;
	memcpy(buf, fields[n], flen);
	buf[flen] = '\0';
	return (int)flen;
}
