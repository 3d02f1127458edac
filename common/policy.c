/*
 * policy.c: the site's policy beyond one result-to-action map: the
 * HELO identity's own lines, per sender-domain rules, trusted
 * forwarders by name, recipient exemptions, header choice, dry run and
 * the best guess.  The keywords are read here, and the questions the
 * verdict asks of them are answered here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spfint.h"

static int	code_action(const char *, enum spf_code *, enum spf_action *);
static int	set_name(char *, size_t, const char *);

static const char *policy_keywords[] = {
	"helo-check", "helo", "mailfrom", "header-fields", "dry-run",
	"domain-policy", "best-guess", "exempt-recipient",
};

void
policy_config_init(struct spf_config *cfg)
{
	int	 i;

	cfg->helo_check = 1;
	/* RFC 7208 2.3: a HELO fail is as good as a verdict on the host */
	for (i = 0; i < SPF_NCODES; i++)
		cfg->helo_actions[i] = SPF_ACCEPT;
	cfg->helo_actions[SPF_FAIL] = SPF_REJECT;
	cfg->header_fields = SPF_FIELDS_BOTH;
}

/* "RESULT ACTION" */
static int
code_action(const char *v, enum spf_code *code, enum spf_action *action)
{
	char	 c[16], a[16];
	int	 n, m;

	if (sscanf(v, "%15s %15s", c, a) != 2)
		return -1;
	if ((n = spf_code_parse(c)) == -1 || (m = spf_action_parse(a)) == -1)
		return -1;
	*code = n;
	*action = m;
	return 0;
}

/* A domain name as written in a rule, lower case, no trailing dot. */
static int
set_name(char *dst, size_t len, const char *v)
{
	size_t	 i;

	if (strlcpy(dst, v, len) >= len || dst[0] == '\0')
		return -1;
	for (i = 0; dst[i] != '\0'; i++) {
		if ((unsigned char)dst[i] <= 0x20 ||
		    (unsigned char)dst[i] >= 0x7f)
			return -1;
		dst[i] = (char)tolower((unsigned char)dst[i]);
	}
	domain_strip_dot(dst);
	return dst[0] == '\0' || (dst[0] == '.' && dst[1] == '\0') ? -1 : 0;
}

int
policy_is_keyword(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(policy_keywords) / sizeof(policy_keywords[0]);
	    i++)
		if (strcmp(key, policy_keywords[i]) == 0)
			return 1;
	return 0;
}

int
policy_is_list(const char *key)
{
	return strcmp(key, "domain-policy") == 0 ||
	    strcmp(key, "exempt-recipient") == 0;
}

void
policy_clear_list(struct spf_config *cfg, const char *key)
{
	if (strcmp(key, "domain-policy") == 0)
		cfg->ndomain_policy = 0;
	else if (strcmp(key, "exempt-recipient") == 0)
		cfg->nexempt = 0;
}

int
policy_skip_name(struct spf_config *cfg, const char *v)
{
	struct spf_skip_name	*s;
	const char		*name;

	if (cfg->nskip_names >= SPF_MAX_SKIP_NAMES)
		return -1;
	s = &cfg->skip_names[cfg->nskip_names];
	if (strncasecmp(v, "ptr:", 4) == 0) {
		s->kind = SPF_SKIP_PTR;
		name = v + 4;
	} else if (strncasecmp(v, "helo:", 5) == 0) {
		s->kind = SPF_SKIP_HELO;
		name = v + 5;
	} else if (strncasecmp(v, "spf:", 4) == 0) {
		s->kind = SPF_SKIP_SPF;
		name = v + 4;
	} else
		return -1;
	if (set_name(s->name, sizeof(s->name), name) == -1 ||
	    !domain_valid_query(s->name))
		return -1;
	cfg->nskip_names++;
	return 0;
}

int
policy_config_set(struct spf_config *cfg, const char *key, const char *v)
{
	struct spf_domain_policy *d;
	enum spf_code		 code;
	enum spf_action		 action;
	char			 dom[SPF_DOMAIN_LEN];
	int			 n;

	if (strcmp(key, "helo-check") == 0) {
		if (strcasecmp(v, "yes") == 0)
			cfg->helo_check = 1;
		else if (strcasecmp(v, "no") == 0)
			cfg->helo_check = 0;
		else
			return -1;
	} else if (strcmp(key, "helo") == 0 || strcmp(key, "mailfrom") == 0) {
		if (code_action(v, &code, &action) == -1)
			return -1;
		if (key[0] == 'h')
			cfg->helo_actions[code] = action;
		else
			cfg->actions[code] = action;
	} else if (strcmp(key, "header-fields") == 0) {
		if (strcmp(v, "both") == 0)
			cfg->header_fields = SPF_FIELDS_BOTH;
		else if (strcmp(v, "received-spf") == 0)
			cfg->header_fields = SPF_FIELDS_RECEIVED_SPF;
		else if (strcmp(v, "authentication-results") == 0)
			cfg->header_fields = SPF_FIELDS_AUTHRES;
		else
			return -1;
	} else if (strcmp(key, "dry-run") == 0) {
		if (strcasecmp(v, "yes") == 0)
			cfg->dry_run = 1;
		else if (strcasecmp(v, "no") == 0)
			cfg->dry_run = 0;
		else
			return -1;
	} else if (strcmp(key, "domain-policy") == 0) {
		if (cfg->ndomain_policy >= SPF_MAX_DOMAIN_POLICY ||
		    sscanf(v, "%255s %n", dom, &n) != 1 ||
		    code_action(v + n, &code, &action) == -1)
			return -1;
		d = &cfg->domain_policy[cfg->ndomain_policy];
		if (set_name(d->domain, sizeof(d->domain), dom) == -1)
			return -1;
		d->code = code;
		d->action = action;
		cfg->ndomain_policy++;
	} else if (strcmp(key, "best-guess") == 0) {
		if (strcmp(v, "none") == 0)
			cfg->best_guess[0] = '\0';
		else if (!record_is_spf(v, strlen(v)) || strlcpy(cfg->best_guess,
		    v, sizeof(cfg->best_guess)) >= sizeof(cfg->best_guess))
			return -1;
	} else if (strcmp(key, "exempt-recipient") == 0) {
		/* postmaster@, @example.org or a whole address */
		if (cfg->nexempt >= SPF_MAX_EXEMPT || strchr(v, '@') == NULL ||
		    strcmp(v, "@") == 0 || strlcpy(cfg->exempt[cfg->nexempt], v,
		    sizeof(cfg->exempt[0])) >= sizeof(cfg->exempt[0]))
			return -1;
		cfg->nexempt++;
	} else
		return 0;
	return 1;
}

/*
 * The mail-from action: the most specific domain-policy line for the
 * checked domain and result, else the site's map.  An exact "DOMAIN"
 * beats ".DOMAIN" for the same name; a longer suffix beats a shorter.
 */
enum spf_action
policy_mailfrom_action(const struct spf_config *cfg, enum spf_code code,
    const char *domain)
{
	const struct spf_domain_policy	*d;
	size_t				 best = 0, len;
	int				 i;
	enum spf_action			 action = cfg->actions[code];

	for (i = 0; i < cfg->ndomain_policy; i++) {
		d = &cfg->domain_policy[i];
		if (d->code != code)
			continue;
		if (d->domain[0] == '.') {
			if (!domain_within(domain, d->domain + 1))
				continue;
			len = 2 * strlen(d->domain + 1);
		} else {
			if (strcasecmp(domain, d->domain) != 0)
				continue;
			len = 2 * strlen(d->domain) + 1;
		}
		if (len > best) {
			best = len;
			action = d->action;
		}
	}
	return action;
}

int
spf_recipient_exempt(const struct spf_config *cfg, const char *rcpt)
{
	const char	*at, *e, *eat;
	size_t		 len;
	int		 i;

	if (rcpt == NULL)
		return 0;
	len = strlen(rcpt);
	if (len >= 2 && rcpt[0] == '<' && rcpt[len - 1] == '>') {
		rcpt++;
		len -= 2;
	}
	if ((at = memrchr(rcpt, '@', len)) == NULL)
		return 0;
	for (i = 0; i < cfg->nexempt; i++) {
		e = cfg->exempt[i];
		eat = strrchr(e, '@');
		if (eat[1] == '\0') {		/* "postmaster@" */
			if ((size_t)(at - rcpt) == (size_t)(eat - e) &&
			    strncasecmp(rcpt, e, eat - e) == 0)
				return 1;
		} else if (eat == e) {		/* "@example.org" */
			if (strlen(e + 1) == len - (size_t)(at + 1 - rcpt) &&
			    strncasecmp(at + 1, e + 1, strlen(e + 1)) == 0)
				return 1;
		} else if (strlen(e) == len && strncasecmp(rcpt, e, len) == 0)
			return 1;
	}
	return 0;
}
