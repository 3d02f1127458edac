/*
 * result.c: the names of results, actions, identities and DNSSEC
 * states, as they appear in headers, JSON, logs and the config file.
 */
#include <string.h>
#include <strings.h>

#include "spfint.h"

static const char *codes[SPF_NCODES] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"
};

static const char *actions[] = {
	"accept", "tag", "reject", "defer"
};

const char *
spf_code_str(enum spf_code code)
{
	return code >= 0 && code < SPF_NCODES ? codes[code] : "temperror";
}

const char *
spf_action_str(enum spf_action action)
{
	return action >= 0 && action <= SPF_DEFER ? actions[action] : "defer";
}

const char *
spf_identity_str(enum spf_identity id)
{
	return id == SPF_ID_HELO ? "helo" : "mailfrom";
}

const char *
spf_dnssec_str(enum spf_dnssec d)
{
	switch (d) {
	case SPF_DNSSEC_SECURE:
		return "secure";
	case SPF_DNSSEC_INSECURE:
		return "insecure";
	case SPF_DNSSEC_BOGUS:
		return "bogus";
	default:
		return "unvalidated";
	}
}

int
spf_code_parse(const char *s)
{
	int	 i;

	for (i = 0; i < SPF_NCODES; i++)
		if (strcasecmp(s, codes[i]) == 0)
			return i;
	return -1;
}

int
spf_action_parse(const char *s)
{
	int	 i;

	for (i = 0; i <= SPF_DEFER; i++)
		if (strcasecmp(s, actions[i]) == 0)
			return i;
	return -1;
}
