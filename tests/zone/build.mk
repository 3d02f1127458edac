# tests/zone/build.mk: zone mode ("zone FILE") through spfgate, lint,
# filter and the Exim module.  Included by the top Makefile.
CHECKS +=	tests/zone/check.sh
