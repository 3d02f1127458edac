/*
 * unit.h: what every unit test of common/ includes: cmocka (which needs
 * these headers before its own) and the core's internal API.
 */
#ifndef UNIT_H
#define UNIT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spfint.h"

#endif /* UNIT_H */
