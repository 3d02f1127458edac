/*
 * log.c: one line to the mail log, where the configuration says: stderr
 * (which OpenSMTPD sends to its log) or syslog, facility mail.  No
 * openlog() unless a program of ours asks (spf_log_ident): inside
 * another program's process the ident and facility are that program's,
 * and a syslog line names us with "spfgate: ".
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "spf.h"

/* the syslog ident is ours: a line needs no "spfgate: " of its own */
static int	 ident_ours;

void
spf_log_ident(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	ident_ours = 1;
}

void
spf_log(const struct spf_config *cfg, const char *fmt, ...)
{
	char	 line[2048];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cfg != NULL && cfg->log == SPF_LOG_SYSLOG && ident_ours)
		syslog(LOG_MAIL | LOG_INFO, "%s", line);
	else if (cfg != NULL && cfg->log == SPF_LOG_SYSLOG)
		syslog(LOG_MAIL | LOG_INFO, "spfgate: %s", line);
	else {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
}
