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
void
verdict_action(struct spf_result *r, const struct spf_config *cfg)
{
	r->action = cfg->actions[r->code];
	if (r->code == SPF_PASS && cfg->require_dnssec_pass &&
	    r->dnssec != SPF_DNSSEC_SECURE) {
		r->action = cfg->actions[SPF_NEUTRAL];
		if (r->problem[0] == '\0')
			(void)snprintf(r->problem, sizeof(r->problem),
			    "pass not DNSSEC-secure (%s): handled as neutral",
			    spf_dnssec_str(r->dnssec));
	}
}

void
spf_verdict(const struct spf_result *r, const struct spf_config *cfg,
    struct spf_verdict *v)
{
	v->result = *r;
	v->result.trace = NULL;
	r = &v->result;
	v->headers = spf_headers_wanted(r, cfg);
	/* Each fits its buffer whatever strangers wrote (header.c). */
	(void)spf_received_spf(r, cfg, v->received_spf,
	    sizeof(v->received_spf));
	(void)spf_authres_header(r, cfg, v->authres, sizeof(v->authres));
	(void)spf_authres_method(r, v->authres_method,
	    sizeof(v->authres_method));
	(void)spf_smtp_reply(r, v->reply, sizeof(v->reply));
	/* The MTA needs a 5xx or 4xx whatever happened to the text. */
	if (r->action == SPF_REJECT && v->reply[0] != '5')
		(void)strlcpy(v->reply, "550 5.7.23 SPF validation failed",
		    sizeof(v->reply));
	else if (r->action == SPF_DEFER && v->reply[0] != '4')
		(void)strlcpy(v->reply, "451 4.7.24 SPF temporary error",
		    sizeof(v->reply));
	/* Long senders and problems may not fit: the essentials do. */
	if (spf_log_line(r, v->log_line, sizeof(v->log_line)) < 0)
		(void)snprintf(v->log_line, sizeof(v->log_line), "client=%s "
		    "result=%s action=%s", r->client_ip,
		    spf_code_str(r->code), spf_action_str(r->action));
}

void
spf_verdict_unchecked(const struct spf_config *cfg, enum spf_code code,
    const char *ip, const char *sender, const char *helo,
    const char *problem, struct spf_verdict *v)
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
	spf_verdict(&r, cfg, v);
}

/* A local submission has no client to check: none, said so. */
void
spf_verdict_local(const struct spf_config *cfg, const char *sender,
    const char *helo, struct spf_verdict *v)
{
	spf_verdict_unchecked(cfg, SPF_NONE, "", sender, helo,
	    "no client IP address", v);
}
