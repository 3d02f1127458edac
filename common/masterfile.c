/*
 * masterfile.c: the two questions spfgate asks of a master-format file
 * before libunbound reads it (RFC 1035 5): a zone file's origin, and
 * the owner of a trust anchor file's first record; and the owner name
 * rule they and resolver.c's check of a zone's owners share.  Text
 * only; every line bounded by its buffer.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

int
zone_origin(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	FILE	*f;
	char	 line[4096], origin[SPF_DOMAIN_LEN] = "", owner[SPF_DOMAIN_LEN];
	char	*p, *tok, *save;
	int	 found = 0, lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		(void)snprintf(err, errlen, "zone %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, ';')) != NULL)
			*p = '\0';
		if (strncasecmp(line, "$ORIGIN", 7) == 0) {
			tok = strtok_r(line + 7, " \t\r\n", &save);
			if (tok != NULL)
				(void)strlcpy(origin, tok, sizeof(origin));
			continue;
		}
		owner[0] = '\0';
		if (!isspace((unsigned char)line[0])) {
			tok = strtok_r(line, " \t\r\n", &save);
			if (tok == NULL)
				continue;
			(void)strlcpy(owner, tok, sizeof(owner));
		} else
			save = NULL;
		for (tok = strtok_r(save == NULL ? line : NULL, " \t\r\n",
		    &save); tok != NULL; tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (strcasecmp(tok, "SOA") == 0) {
				found = 1;
				break;
			}
		}
	}
	fclose(f);
	if (!found || (owner[0] == '\0' && origin[0] == '\0')) {
		(void)snprintf(err, errlen, "zone %s: no SOA record with an "
		    "owner name found", path);
		return -1;
	}
	if (owner[0] == '\0' || strcmp(owner, "@") == 0)
		(void)strlcpy(out, origin, outlen);
	else if (owner[strlen(owner) - 1] == '.' || origin[0] == '\0')
		(void)strlcpy(out, owner, outlen);
	else if (snprintf(out, outlen, "%s.%s", owner, origin) >= (int)outlen)
		out[0] = '\0';
	if (out[0] == '\0') {
		(void)snprintf(err, errlen, "zone %s: cannot tell its origin",
		    path);
		return -1;
	}
	return 0;
}

int
anchor_zone(const char *path, char *out, size_t outlen)
{
	FILE	*f;
	char	 line[1024], origin[SPF_DOMAIN_LEN] = ".", *tok, *save;
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == ';' || line[0] == '#' || isspace((unsigned char)
		    line[0]))
			continue;
		if ((tok = strtok_r(line, " \t\r\n", &save)) == NULL)
			continue;
		found = master_field(tok, &save, origin, sizeof(origin), out,
		    outlen);
	}
	fclose(f);
	return found ? 0 : -1;
}

int
master_field(const char *tok, char **save, char *origin, size_t originlen,
    char *out, size_t outlen)
{
	const char	*arg;

	if (strcasecmp(tok, "$ORIGIN") == 0) {
		if ((arg = strtok_r(NULL, " \t\r\n", save)) != NULL)
			(void)strlcpy(origin, arg, originlen);
		return 0;
	}
	if (tok[0] == '$')
		return 0;
	if (strcmp(tok, "@") == 0)
		(void)strlcpy(out, origin, outlen);
	else if (tok[strlen(tok) - 1] == '.')
		(void)strlcpy(out, tok, outlen);
	else
		(void)snprintf(out, outlen, "%s.%s", tok,
		    strcmp(origin, ".") == 0 ? "" : origin);
	return 1;
}
