#!/usr/bin/python3
# smtputf8.py [--proxy SRC] HOST PORT HELO SENDER RCPT SUBJECT: one
# message over SMTP
# with "MAIL FROM:<SENDER> SMTPUTF8" (RFC 6531), written line by line
# on a plain socket so nothing is rewritten on the way.  swaks (as of
# 20201014) writes "MAIL FROM:<address>" with only PRDR ever appended,
# so it cannot send the SMTPUTF8 parameter.  Prints every line sent
# (">> ") and received ("<< ") as UTF-8; exits 0 when the message was
# accepted, 2 if the server did not advertise SMTPUTF8, 3 if MAIL was
# refused (its reply is the last line printed), 1 for anything else.
# --proxy SRC starts with a PROXY protocol v2 header claiming the IPv4
# client SRC (for OpenSMTPD's "proxy-v2" listeners); --plain sends
# "MAIL FROM:<SENDER>" without the parameter, advertised or not (what a
# client does with a server that does not offer SMTPUTF8).
import socket
import struct
import sys


def proxy_v2(src, dst, dport):
    """A PROXY v2 header: PROXY command, TCP over IPv4."""
    addrs = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!HH", 40000, dport)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + \
        struct.pack("!H", len(addrs)) + addrs


def main():
    args = sys.argv[1:]
    proxy = None
    plain = False
    while args[:1] in (["--proxy"], ["--plain"]):
        if args[0] == "--plain":
            plain, args = True, args[1:]
        else:
            proxy, args = args[1], args[2:]
    host, port, helo, sender, rcpt, subject = args[:6]
    conn = socket.create_connection((host, int(port)), timeout=20)
    if proxy is not None:
        conn.sendall(proxy_v2(proxy, host, int(port)))
    rfile = conn.makefile("rb")

    def reply():
        lines = []
        while True:
            line = rfile.readline()
            if not line:
                raise SystemExit("connection closed")
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            print("<< " + text)
            lines.append(text)
            if len(text) < 4 or text[3] != "-":
                return int(text[:3]), lines

    def send(text):
        print(">> " + text)
        conn.sendall(text.encode("utf-8") + b"\r\n")
        return reply()

    code, _ = reply()
    code, lines = send("EHLO " + helo)
    if code != 250:
        return 1
    advertised = any(l[4:].upper().startswith("SMTPUTF8") for l in lines)
    if not advertised and not plain:
        send("QUIT")
        return 2
    code, _ = send("MAIL FROM:<%s>%s" % (sender, "" if plain else
                                        " SMTPUTF8"))
    if code != 250:
        send("QUIT")
        return 3
    code, _ = send("RCPT TO:<%s>" % rcpt)
    if code != 250:
        send("QUIT")
        return 1
    code, _ = send("DATA")
    if code != 354:
        return 1
    body = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n"
            "internationalized mail\r\n.\r\n" % (sender, rcpt, subject))
    print(">> (message %s)" % subject)
    conn.sendall(body.encode("utf-8"))
    code, _ = reply()
    send("QUIT")
    return 0 if code == 250 else 1


if __name__ == "__main__":
    sys.exit(main())
