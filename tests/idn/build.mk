# tests/idn/build.mk: internationalized mail (RFC 8616 4), issue 15.
CHECKS +=	tests/idn/check.sh # the suite through spfgate filter
CHECKS +=	tests/idn/check-exim.sh # exim-spf.so in Exim, SMTPUTF8
CHECKS +=	tests/idn/check-opensmtpd.sh # smtpd 6.8: no SMTPUTF8, A-labels
