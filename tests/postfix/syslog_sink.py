#!/usr/bin/python3
# syslog_sink.py: a /dev/log for the test namespace.  Under spawn(8) the
# policy service's standard error is its socket to smtpd, so it logs to
# syslog; this takes the datagrams syslog(3) sends and appends each, as
# one line, to a file the test reads.
#
#   syslog_sink.py SOCKET LOGFILE PIDFILE
#
# The pidfile is written once the socket is bound; SIGTERM stops it.

import os
import signal
import socket
import sys


def main():
    path, logfile, pidfile = sys.argv[1:4]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    with open(logfile, "ab", buffering=0) as log:
        while True:
            data = sock.recv(65536)
            log.write(data.replace(b"\n", b" ").rstrip(b"\0") + b"\n")


if __name__ == "__main__":
    main()
