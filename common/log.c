/*
 * log.c: one line to the mail log, where the configuration says: stderr
 * (which OpenSMTPD sends to its log) or syslog, facility mail.  No
 * openlog(): inside Exim's process the ident and facility are Exim's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "spf.h"

void
spf_log(const struct spf_config *cfg, const char *fmt, ...)
{
	char	 line[2048];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cfg != NULL && cfg->log == SPF_LOG_SYSLOG)
		syslog(LOG_MAIL | LOG_INFO, "spfgate: %s", line);
	else {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
}
