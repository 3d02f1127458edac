CHECKS += tests/rfc7208/check.sh # the RFC 7208 suite through spfgate filter
