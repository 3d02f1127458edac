#!/usr/bin/python3
"""extract.py TOP OUTDIR: write every marked snippet of the README and
the man pages to OUTDIR/NAME, exactly as a reader copies it.

README: a line "# snippet: NAME" (a comment in every language the
snippets are in: shell, Exim's configuration, smtpd.conf) starts a
snippet; it holds the lines after it up to the first empty line or the
first line indented less than the marker, without the marker's
indentation and without the marker itself.

Man pages: a roff comment line '.\\" snippet: NAME' right before a
".Bd -literal" display; the snippet is the display's text, with the
escapes a reader sees resolved (\\e is a backslash, \\& nothing); any
other escape is an error.

A NAME may appear in several documents (the README and a man page):
all its copies must be the same, or the documents have drifted.
Prints "NAME SOURCE:LINE" per snippet; exits 1 on any error."""
import os
import re
import sys

MAN_ESC = [("\\e", "\\"), ("\\&", ""), ("\\-", "-"), ("\\(aq", "'"),
           ("\\(dq", '"')]


def readme(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^( *)# snippet: (\S+)\s*$", line)
        if not m:
            continue
        ind = len(m.group(1))
        body = []
        for l in lines[i + 1:]:
            if l.strip() == "" or len(l) - len(l.lstrip(" ")) < ind:
                break
            body.append(l[ind:])
        out.append((m.group(2), "%s:%d" % (path, i + 1), body))
    return out


def unroff(text, where):
    for a, b in MAN_ESC:
        text = text.replace(a, "\0" + str(MAN_ESC.index((a, b))) + "\0")
    if "\\" in text:
        raise ValueError("%s: a roff escape the extractor does not know: %r"
                         % (where, text))
    for n, (a, b) in enumerate(MAN_ESC):
        text = text.replace("\0%d\0" % n, b)
    return text


def man(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r'^\.\\" snippet: (\S+)\s*$', line)
        if not m:
            continue
        where = "%s:%d" % (path, i + 1)
        if i + 1 >= len(lines) or not lines[i + 1].startswith(".Bd -literal"):
            raise ValueError("%s: no .Bd -literal after the marker" % where)
        body = []
        for j in range(i + 2, len(lines)):
            if lines[j] == ".Ed":
                break
            if lines[j].startswith("."):
                raise ValueError("%s: a request inside the display: %s"
                                 % (where, lines[j]))
            body.append(unroff(lines[j], "%s:%d" % (path, j + 1)))
        else:
            raise ValueError("%s: no .Ed" % where)
        out.append((m.group(1), where, body))
    return out


def main():
    top, outdir = sys.argv[1], sys.argv[2]
    found = []
    try:
        found += readme(os.path.join(top, "README"))
        mandir = os.path.join(top, "man")
        for f in sorted(os.listdir(mandir)):
            if re.match(r".*\.[1-9]$", f):
                found += man(os.path.join(mandir, f))
    except ValueError as e:
        print("extract: %s" % e)
        return 1
    seen = {}
    status = 0
    for name, where, body in found:
        text = "\n".join(body) + "\n"
        if not body:
            print("extract: %s: snippet %s is empty" % (where, name))
            status = 1
        elif name in seen and seen[name][1] != text:
            print("extract: snippet %s differs between %s and %s"
                  % (name, seen[name][0], where))
            status = 1
        elif name not in seen:
            seen[name] = (where, text)
            with open(os.path.join(outdir, name), "w") as f:
                f.write(text)
        print("%s %s" % (name, os.path.relpath(where, top)))
    return status


sys.exit(main())
