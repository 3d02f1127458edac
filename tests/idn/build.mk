CHECKS += tests/idn/check.sh # internationalized mail (RFC 8616) through spfgate filter
