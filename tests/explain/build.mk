CHECKS +=	tests/explain/check.sh
