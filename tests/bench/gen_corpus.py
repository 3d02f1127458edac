#!/usr/bin/python3
# gen_corpus.py: a synthetic SPF world for the benchmark, from a fixed seed.
#
#   /usr/bin/python3 tests/bench/gen_corpus.py OUTDIR [--domains N]
#       [--queries N] [--seed S]
#
# Writes into OUTDIR:
#   zones/*.zone     NSD master files: one zone per domain (delegated from
#                    its TLD zone to shared DNS hosts, as on the Internet),
#                    the TLD zones, in-addr.arpa and ip6.arpa
#   nsd-zones.conf   the zone: clauses for nsd.conf
#   stubs.txt        the zones unbound reaches through stub-zone: clauses
#   queries.tsv      the main query list, IP<TAB>SENDER<TAB>HELO
#   delay.tsv        one query per sender domain, none repeated, for the
#                    runs with delayed DNS answers
#   chain.tsv        one query: an include chain plus an mx term with five
#                    hosts, evaluated to the end (the single-eval latency)
#   meta.json        counts, and the kind of every query (for the report)
#
# The shapes follow what mail actually meets: most senders sit behind a
# few big providers' include chains (ip4/ip6 lists, nested includes,
# exists with macros), others are self-hosted (a, mx), hosted with a
# redirect, ESP bounce domains behind CNAMEs, a few use ptr; some
# records are broken (syntax errors, two records, too many lookups, void
# lookups, includes of names without SPF), some domains have no record,
# some do not exist, a few lead into a CNAME loop (SERVFAIL).  Names
# and addresses are made up; no real provider's data is copied.
import argparse
import ipaddress
import json
import os
import random
import sys

TTL = 86400
NEG_TTL = 3600
NS_ADDR = "127.0.0.1"           # NSD, the only authoritative server
TLDS = [("com", 55), ("net", 12), ("org", 10), ("io", 6), ("de", 11),
        ("eu", 6)]
REVERSE = ["in-addr.arpa", "ip6.arpa"]
# the broken records of the "permerror" kind, in the order built below
PERM = ["cidr-33", "include-no-domain", "mx-empty-domain", "unknown-mech",
        "bad-macro-letter", "bad-ip4", "two-redirects", "two-records",
        "too-many-lookups", "include-nxdomain", "redirect-nxdomain",
        "void-limit"]

SYL = ["ka", "lo", "mi", "ra", "ten", "vo", "sun", "bel", "dor", "fi", "gra",
       "hal", "in", "jo", "kel", "lum", "mar", "nor", "ost", "pra", "qui",
       "ros", "sta", "tur", "ul", "ven", "wil", "xan", "yor", "zel", "ber",
       "can", "del", "est", "fal", "gen", "hor", "ist", "jun", "kor"]
WORDS = ["tech", "media", "group", "labs", "shop", "bank", "travel", "law",
         "health", "energy", "systems", "consult", "foods", "motors",
         "design", "partners", "school", "club", "news", "cloud", "data",
         "home", "build", "green", "bio", "fin", "print", "sport"]


class World:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.zones = {}         # zone name -> list of record lines
        self.delegated = {}     # zone name -> ns host names
        self.used_nets = set()
        self.ptr4 = {}          # reverse name -> host
        self.ptr6 = {}
        self.names = set()

    # -- addresses ----------------------------------------------------
    def net16(self):
        """A fresh public-looking /16 for one operator."""
        bad = {0, 10, 100, 127, 169, 172, 192, 198, 203, 224}
        while True:
            a = self.r.randint(11, 223)
            b = self.r.randint(0, 255)
            if a in bad or (a, b) in self.used_nets:
                continue
            self.used_nets.add((a, b))
            return (a, b)

    def net6(self):
        while True:
            n = "2a%02x:%x" % (self.r.randint(0, 15), self.r.randint(0x100,
                                                                   0xffff))
            if n not in self.used_nets:
                self.used_nets.add(n)
                return n

    def v4_in(self, cidr):
        net = ipaddress.ip_network(cidr, strict=False)
        if net.num_addresses <= 2:
            return str(net.network_address)
        return str(net.network_address +
                   self.r.randint(1, net.num_addresses - 2))

    def v6_in(self, cidr):
        net = ipaddress.ip_network(cidr, strict=False)
        span = min(net.num_addresses - 1, 1 << 32)
        return str(net.network_address + self.r.randint(1, span))

    def random_bad_v4(self):
        """A client address in nobody's record (botnets, dial-up)."""
        bad = {0, 10, 100, 127, 169, 172, 192, 198, 203, 224}
        while True:
            a = self.r.randint(11, 223)
            if a in bad:
                continue
            b = self.r.randint(0, 255)
            if (a, b) in self.used_nets:
                continue
            return "%d.%d.%d.%d" % (a, b, self.r.randint(0, 255),
                                    self.r.randint(1, 254))

    def random_bad_v6(self):
        return "2c0f:%x:%x::%x" % (self.r.randint(0x100, 0xffff),
                                   self.r.randint(0, 0xffff),
                                   self.r.randint(1, 0xffff))

    # -- names ---------------------------------------------------------
    def tld(self):
        return self.r.choices([t for t, _ in TLDS],
                              [w for _, w in TLDS])[0]

    def new_domain(self):
        while True:
            k = self.r.random()
            if k < 0.45:
                base = "".join(self.r.choice(SYL)
                               for _ in range(self.r.randint(2, 3)))
            elif k < 0.8:
                base = self.r.choice(SYL) + self.r.choice(SYL) + "-" + \
                    self.r.choice(WORDS)
            else:
                base = self.r.choice(SYL) + self.r.choice(WORDS) + \
                    str(self.r.randint(1, 999))
            d = base + "." + self.tld()
            if d not in self.names:
                self.names.add(d)
                return d

    # -- zones -----------------------------------------------------------
    def zone(self, name, nshost):
        if name not in self.zones:
            self.zones[name] = []
            self.delegated[name] = nshost
        return self.zones[name]

    def add(self, zone, owner, rtype, data):
        """owner is absolute (no trailing dot) or '@'."""
        rel = "@" if owner in ("@", zone) else owner + "."
        self.zones[zone].append("%s\t%d\tIN\t%s\t%s" % (rel, TTL, rtype,
                                                        data))

    def txt(self, zone, owner, text):
        """A TXT record, split into 255-octet character-strings."""
        parts = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
        self.add(zone, owner, "TXT", " ".join(
            '"%s"' % p.replace("\\", "\\\\").replace('"', '\\"')
            for p in parts))

    def addr(self, zone, owner, ip):
        v6 = ":" in ip
        self.add(zone, owner, "AAAA" if v6 else "A", ip)

    def ptr(self, ip, host):
        rev = ipaddress.ip_address(ip).reverse_pointer
        (self.ptr6 if ":" in ip else self.ptr4)[rev] = host


def build(w, ndomains):
    r = w.r
    # DNS hosting: shared name servers, as most domains have
    dnshosts = []
    for i in range(12):
        d = "dns%s%d.net" % (r.choice(SYL), i)
        w.names.add(d)
        ns = ["ns1." + d, "ns2." + d]
        w.zone(d, ns)
        for n in ns:
            w.add(d, n, "A", NS_ADDR)
        dnshosts.append(ns)
    def nsfor():
        return r.choice(dnshosts)

    prov = {}

    def provider(key, zone):
        w.names.add(zone)
        w.zone(zone, nsfor())
        prov[key] = {"zone": zone, "v4": [], "v6": [], "mx": [],
                     "helo": []}
        return prov[key]

    def v4nets(p, n, lo=20, hi=28):
        a, b = w.net16()
        out = []
        for _ in range(n):
            plen = r.randint(lo, hi)
            c = r.randint(0, 255)
            net = ipaddress.ip_network("%d.%d.%d.0/%d" % (a, b, c, plen),
                                       strict=False)
            out.append(str(net))
        p["v4"] += out
        return out

    def v6nets(p, n):
        base = w.net6()
        out = ["%s:%x::/%d" % (base, r.randint(0, 0xffff), r.choice(
            [36, 40, 44, 48])) for _ in range(n)]
        out = [str(ipaddress.ip_network(x, strict=False)) for x in out]
        p["v6"] += out
        return out

    def mech(nets):
        return " ".join(("ip6:" if ":" in n else "ip4:") + n for n in nets)

    # Google-Workspace-like: a chain of three netblock records
    g = provider("gs", "gsuite-mail.com")
    z = g["zone"]
    nb1, nb2, nb3 = v4nets(g, 12), v6nets(g, 8), v4nets(g, 6)
    w.txt(z, "_spf." + z, "v=spf1 include:_netblocks.%s include:"
          "_netblocks2.%s include:_netblocks3.%s ~all" % (z, z, z))
    w.txt(z, "_netblocks." + z, "v=spf1 %s ~all" % mech(nb1))
    w.txt(z, "_netblocks2." + z, "v=spf1 %s ~all" % mech(nb2))
    w.txt(z, "_netblocks3." + z, "v=spf1 %s ~all" % mech(nb3))
    for i, h in enumerate(["aspmx.l", "alt1.aspmx.l", "alt2.aspmx.l",
                           "alt3.aspmx.l", "alt4.aspmx.l"]):
        host = h + "." + z
        w.add(z, host, "A", w.v4_in(nb1[i]))
        w.add(z, host, "AAAA", w.v6_in(nb2[i]))
        g["mx"].append(((i + 1) * 10 if i else 1, host))
    for i in range(40):
        ip = w.v4_in(r.choice(nb1 + nb3))
        host = "mail-%s-f%d.%s" % (r.choice(["ej", "sor", "wr", "pl"]),
                                   r.randint(10, 199), z)
        w.add(z, host, "A", ip)
        g["helo"].append((host, ip))
    # Microsoft-365-like: ip lists plus one nested include
    m = provider("ms", "o365mail.com")
    z = m["zone"]
    a4, a6, d4 = v4nets(m, 8), v6nets(m, 4), v4nets(m, 4)
    w.txt(z, "spf.protection." + z, "v=spf1 %s %s include:spfd.protection."
          "%s -all" % (mech(a4), mech(a6), z))
    w.txt(z, "spfd.protection." + z, "v=spf1 %s -all" % mech(d4))
    for i in range(40):
        ip = w.v4_in(r.choice(a4))
        host = "mail-%s%d.outbound.%s" % (r.choice(["am", "db", "he", "vi"]),
                                          r.randint(1, 99), z)
        w.add(z, host, "A", ip)
        w.txt(z, host, "v=spf1 a -all") if i % 4 == 0 else None
        m["helo"].append((host, ip))
    # ESPs: flat lists of various sizes and qualifiers
    sg = provider("sg", "sgmail.net")
    w.txt(sg["zone"], "sendgrid." + sg["zone"], "v=spf1 %s ~all" %
          mech(v4nets(sg, 6, 22, 26)))
    mc = provider("mc", "mcsv-mail.net")
    w.txt(mc["zone"], "servers." + mc["zone"], "v=spf1 %s ?all" %
          mech(v4nets(mc, 3, 18, 22)))
    ses = provider("ses", "awsmail.com")
    w.txt(ses["zone"], "amazonses." + ses["zone"], "v=spf1 %s -all" %
          mech(v4nets(ses, 14, 16, 22)))
    mg = provider("mg", "mgmail.org")
    w.txt(mg["zone"], "mailgun." + mg["zone"], "v=spf1 include:_spf.%s "
          "~all" % mg["zone"])
    w.txt(mg["zone"], "_spf." + mg["zone"], "v=spf1 %s ~all" %
          mech(v4nets(mg, 5, 20, 24)))
    zo = provider("zo", "zmail-host.eu")
    zn4, zn6 = v4nets(zo, 5), v6nets(zo, 2)
    w.txt(zo["zone"], "zoho." + zo["zone"], "v=spf1 %s %s include:"
          "transmail.%s ~all" % (mech(zn4), mech(zn6), zo["zone"]))
    w.txt(zo["zone"], "transmail." + zo["zone"], "v=spf1 %s ~all" %
          mech(v4nets(zo, 3)))
    # Salesforce-like: exists with the client address as a macro
    sf = provider("sf", "sfdc-mail.com")
    z = sf["zone"]
    sfb = v4nets(sf, 4, 22, 24)
    w.txt(z, "_spf." + z, "v=spf1 exists:%%{i}._spf.%s include:"
          "_spfblocks.%s ~all" % (z, z))
    w.txt(z, "_spfblocks." + z, "v=spf1 %s ~all" % mech(sfb))
    sf["exists"] = []
    for i in range(300):
        ip = w.random_bad_v4()
        w.add(z, "%s._spf.%s" % (ip, z), "A", "127.0.0.2")
        sf["exists"].append(ip)
    # Mimecast-like flat list
    mi = provider("mi", "mcast-mail.com")
    w.txt(mi["zone"], "_netblocks." + mi["zone"], "v=spf1 %s ~all" %
          mech(v4nets(mi, 8, 22, 25)))
    # web hosts, reached by redirect=
    hosts = []
    for i in range(20):
        z = "webhost%s%d.net" % (r.choice(SYL), i)
        p = provider("wh%d" % i, z)
        nets = v4nets(p, r.randint(2, 4), 22, 26)
        relay = w.v4_in(nets[0])
        w.add(z, "relay." + z, "A", relay)
        w.add(z, "mx." + z, "A", w.v4_in(nets[-1]))
        p["mx"].append((10, "mx." + z))
        p["relay"] = relay
        w.txt(z, "_spf." + z, "v=spf1 %s a:relay.%s %s" % (
            mech(nets), z, r.choice(["~all", "-all", "~all", "?all"])))
        p["helo"].append(("relay." + z, relay))
        hosts.append(p)
    incl = {"gs": "_spf.gsuite-mail.com",
            "ms": "spf.protection.o365mail.com",
            "sg": "sendgrid.sgmail.net", "mc": "servers.mcsv-mail.net",
            "ses": "amazonses.awsmail.com", "mg": "mailgun.mgmail.org",
            "zo": "zoho.zmail-host.eu", "sf": "_spf.sfdc-mail.com",
            "mi": "_netblocks.mcast-mail.com"}

    def legit_from(keys):
        """A way to pick an authorized (ip, helo) among providers."""
        ps = [prov[k] for k in keys]

        def pick(v6):
            p = r.choice(ps)
            if p is prov["sf"]:
                if r.random() < 0.6:
                    return r.choice(p["exists"]), "smtp.sfdc-mail.com"
            if v6 and p["v6"]:
                return w.v6_in(r.choice(p["v6"])), \
                    "mail-v6.%s" % p["zone"]
            if p["helo"] and r.random() < 0.7:
                h = r.choice(p["helo"])
                if any(ipaddress.ip_address(h[1]) in
                       ipaddress.ip_network(n) for n in p["v4"]):
                    return h[1], h[0]
            return w.v4_in(r.choice(p["v4"])), "out.%s" % p["zone"]
        pick.has_v6 = any(p["v6"] for p in ps)
        return pick

    domains = []
    kinds = [("gsuite", 27), ("o365", 17), ("self", 11), ("webhost", 8),
             ("esp", 7), ("exists", 2.5), ("ptr", 1.5), ("none_txt", 6),
             ("none_empty", 5), ("neutral", 2), ("permerror", 3),
             ("void", 1.5), ("lame", 0.5), ("long", 2), ("cname", 2),
             ("exp", 1.5), ("multi_sub", 2.5)]
    for _ in range(ndomains):
        d = w.new_domain()
        kind = r.choices([k for k, _ in kinds], [x for _, x in kinds])[0]
        info = {"d": d, "kind": kind, "legit": None, "v6ok": False,
                "sub": None}
        w.zone(d, nsfor())
        web = w.v4_in("%d.%d.0.0/16" % w.net16()) if r.random() < 0.7 \
            else None
        if web:
            w.add(d, d, "A", web)
            w.add(d, "www." + d, "A", web)
        own4 = own6 = None

        def own_mx():
            nonlocal own4, own6
            own4 = w.v4_in("%d.%d.%d.0/24" % (w.net16() + (r.randint(
                0, 255),)))
            w.add(d, "mail." + d, "A", own4)
            if r.random() < 0.3:
                own6 = w.v6_in("%s::/48" % w.net6())
                w.add(d, "mail." + d, "AAAA", own6)
            w.add(d, d, "MX", "10 mail.%s." % d)
            if r.random() < 0.2:
                w.add(d, d, "MX", "20 mail.%s." % d)

        def mx_of(p):
            for pref, h in p["mx"]:
                w.add(d, d, "MX", "%d %s." % (pref, h))

        own_pick = "own"        # bound to this domain's hosts below
        q = r.choice(["~all", "-all", "-all", "~all", "~all", "?all"]) \
            if kind not in ("neutral",) else "?all"
        rec = None
        extra_txt = []
        if r.random() < 0.35:
            extra_txt.append("google-site-verification=%016x" %
                             r.getrandbits(64))
        if r.random() < 0.2:
            extra_txt.append("MS=ms%08d" % r.randint(0, 99999999))
        if kind == "gsuite":
            mx_of(prov["gs"])
            v = r.random()
            if v < 0.6:
                rec = "v=spf1 include:%s %s" % (incl["gs"], q)
                info["legit"] = legit_from(["gs"])
            elif v < 0.75:
                rec = "v=spf1 mx include:%s %s" % (incl["gs"], q)
                info["legit"] = legit_from(["gs"])
            elif v < 0.9:
                k2 = r.choice(["sg", "mc", "ses", "mg", "mi"])
                rec = "v=spf1 include:%s include:%s %s" % (incl["gs"],
                                                           incl[k2], q)
                info["legit"] = legit_from(["gs", k2])
            else:
                ip = w.v4_in("%d.%d.%d.0/24" % (w.net16() + (r.randint(
                    0, 255),)))
                rec = "v=spf1 ip4:%s include:%s %s" % (ip, incl["gs"], q)
                lf = legit_from(["gs"])

                def pick(v6, ip=ip, lf=lf):
                    return (ip, "smtp." + d) if not v6 and \
                        r.random() < 0.4 else lf(v6)
                pick.has_v6 = True
                info["legit"] = pick
        elif kind == "o365":
            host = d.replace(".", "-") + ".mail.protection.o365mail.com"
            w.add("o365mail.com", host, "A", w.v4_in(r.choice(
                prov["ms"]["v4"])))
            w.add(d, d, "MX", "0 %s." % host)
            v = r.random()
            if v < 0.75:
                rec = "v=spf1 include:%s %s" % (incl["ms"], q)
            elif v < 0.9:
                rec = "v=spf1 a mx include:%s %s" % (incl["ms"], q)
            else:
                rec = "v=spf1 include:%s include:%s %s" % (
                    incl["ms"], incl["sg"], q)
            info["legit"] = legit_from(["ms"])
        elif kind == "self":
            own_mx()
            v = r.random()
            if v < 0.3:
                rec = "v=spf1 mx %s" % q
            elif v < 0.55:
                rec = "v=spf1 a mx %s" % q
            elif v < 0.75:
                rec = "v=spf1 ip4:%s/28 mx %s" % (own4, q)
            elif v < 0.9:
                rec = "v=spf1 mx a:mail.%s ip4:%s %s" % (d, w.v4_in(
                    "%d.%d.0.0/16" % w.net16()), q)
            else:
                if own6 is None:
                    own6 = w.v6_in("%s::/48" % w.net6())
                    w.add(d, "mail." + d, "AAAA", own6)
                rec = "v=spf1 mx ip6:%s/64 %s" % (own6, q)
            info["legit"] = own_pick
        elif kind == "webhost":
            p = r.choice(hosts)
            mx_of(p)
            rec = "v=spf1 redirect=_spf.%s" % p["zone"] if r.random() < \
                0.85 else "v=spf1 a mx redirect=_spf.%s" % p["zone"]

            def pick(v6, p=p):
                if r.random() < 0.5:
                    return p["relay"], "relay." + p["zone"]
                return w.v4_in(r.choice(p["v4"])), "web%d.%s" % (
                    r.randint(1, 300), p["zone"])
            pick.has_v6 = False
            info["legit"] = pick
        elif kind == "esp":
            ks = r.sample(["gs", "ms", "sg", "mc", "ses", "mg", "zo", "sf",
                           "mi"], r.randint(2, 4))
            if "gs" in ks:
                mx_of(prov["gs"])
            elif "ms" in ks:
                host = d.replace(".", "-") + ".mail.protection.o365mail.com"
                w.add("o365mail.com", host, "A", w.v4_in(r.choice(
                    prov["ms"]["v4"])))
                w.add(d, d, "MX", "0 %s." % host)
            rec = "v=spf1 %s %s" % (" ".join("include:" + incl[k] for k
                                             in ks), q)
            info["legit"] = legit_from(ks)
        elif kind == "exists":
            own_mx()
            allowed = [w.v4_in("%d.%d.%d.0/24" % (w.net16() + (r.randint(
                0, 255),))) for _ in range(4)]
            v = r.random()
            if v < 0.5:
                rec = "v=spf1 exists:%%{i}._spf.%s %s" % (d, q)
                for ip in allowed:
                    w.add(d, "%s._spf.%s" % (ip, d), "A", "127.0.0.2")
            elif v < 0.8:
                rec = "v=spf1 mx exists:%%{ir}.%%{v}._spf.%s %s" % (d, q)
                for ip in allowed:
                    rev = ".".join(reversed(ip.split(".")))
                    w.add(d, "%s.in-addr._spf.%s" % (rev, d), "A",
                          "127.0.0.2")
            else:
                rec = "v=spf1 include:%s %s" % (incl["sf"], q)
                info["legit"] = legit_from(["sf"])
            if info["legit"] is None:
                def pick(v6, allowed=allowed):
                    return r.choice(allowed), "mta%d.%s" % (
                        r.randint(1, 9), d)
                pick.has_v6 = False
                info["legit"] = pick
        elif kind == "ptr":
            own_mx()
            w.ptr(own4, "mail." + d)
            v = r.random()
            rec = "v=spf1 ptr %s" % q if v < 0.4 else \
                "v=spf1 ptr:%s %s" % (d, q) if v < 0.7 else \
                "v=spf1 a ptr mx %s" % q
            info["legit"] = own_pick
        elif kind == "none_txt":
            if not extra_txt:
                extra_txt.append("v=DMARC1; p=none")   # not SPF
            own_mx() if r.random() < 0.5 else mx_of(prov["gs"])
            info["legit"] = lambda v6: (w.random_bad_v4(), "mail." + d)
            info["legit"].has_v6 = False
            extra_txt.append("some-verification-token=%x" %
                             r.getrandbits(40))
        elif kind == "none_empty":
            extra_txt = []
            if r.random() < 0.5:
                own_mx()
            info["legit"] = lambda v6: (w.random_bad_v4(), "mail." + d)
            info["legit"].has_v6 = False
        elif kind == "neutral":
            mx_of(prov["gs"])
            rec = r.choice(["v=spf1 ?all", "v=spf1 include:%s ?all" %
                            incl["gs"], "v=spf1 mx ?all"])
            info["legit"] = legit_from(["gs"])
        elif kind == "lame":
            # a CNAME loop where the record's include points: the
            # resolver answers SERVFAIL at once (temperror)
            own_mx()
            rec = "v=spf1 include:_spf.%s mx %s" % (d, q)
            w.add(d, "_spf." + d, "CNAME", "_spf2.%s." % d)
            w.add(d, "_spf2." + d, "CNAME", "_spf.%s." % d)
            info["legit"] = own_pick
        elif kind == "permerror":
            own_mx()
            v = r.randint(0, 11)
            ip = own4
            rec = [
                "v=spf1 ip4:%s/33 -all" % ip,
                "v=spf1 include -all",
                "v=spf1 mx: -all",
                "v=spf1 ipv4:%s -all" % ip,
                "v=spf1 a:mail.%%{z}.%s -all" % d,
                "v=spf1 ip4:%d.1.2.3 mx -all" % r.randint(256, 999),
                "v=spf1 redirect=_spf.%s redirect=_spf2.%s" % (d, d),
                None,       # two records
                "v=spf1 include:%s include:%s include:%s include:%s "
                "include:%s include:%s a mx ptr -all" % (
                    incl["gs"], incl["ms"], incl["zo"], incl["mg"],
                    incl["sf"], incl["sg"]),
                "v=spf1 include:old-esp-%d.%s -all" % (r.randint(1, 99),
                                                       d),
                "v=spf1 redirect=_spf.gone-%s" % d,
                "v=spf1 a:x1.%s a:x2.%s a:x3.%s mx -all" % (d, d, d),
            ][v]
            if rec is None:
                rec = "v=spf1 mx -all"
                extra_txt.append("v=spf1 include:%s ~all" % incl["gs"])
            info["legit"] = own_pick
            info["perm"] = v
        elif kind == "void":
            mx_of(prov["gs"])
            rec = r.choice([
                "v=spf1 a:oldmail.%s include:%s %s" % (d, incl["gs"], q),
                "v=spf1 mx:legacy.%s a:oldmail.%s include:%s %s" % (
                    d, d, incl["gs"], q)])
            info["legit"] = legit_from(["gs"])
        elif kind == "long":
            own_mx()
            nets = ["%d.%d.%d.0/24" % (w.net16() + (r.randint(0, 255),))
                    for _ in range(r.randint(18, 30))]
            rec = "v=spf1 %s mx include:%s %s" % (mech(nets), incl["sg"],
                                                  q)

            def pick(v6, nets=nets):
                return w.v4_in(r.choice(nets)), "smtp%d.%s" % (
                    r.randint(1, 20), d)
            pick.has_v6 = False
            info["legit"] = pick
        elif kind == "cname":
            # an ESP bounce domain: em123.<d> CNAME to the ESP's name
            mx_of(prov["gs"])
            rec = "v=spf1 include:%s %s" % (incl["gs"], q)
            sub = "em%d.%s" % (r.randint(100, 9999), d)
            tgt = "u%d.wl%d.sgmail.net" % (r.randint(1000, 999999),
                                           r.randint(1, 250))
            w.add(d, sub, "CNAME", tgt + ".")
            w.txt("sgmail.net", tgt, "v=spf1 include:%s ~all" % incl["sg"])
            w.add("sgmail.net", tgt, "MX", "10 mx.sgmail.net.")
            info["sub"] = (sub, legit_from(["sg"]))
            info["legit"] = legit_from(["gs"])
        elif kind == "exp":
            own_mx()
            rec = "v=spf1 mx -all exp=explain._spf.%s" % d
            w.txt(d, "explain._spf." + d, "%{i} is not one of %{d}'s "
                  "designated mail servers, see https://%{d}/spf")
            info["legit"] = own_pick
        elif kind == "multi_sub":
            # a bounce subdomain with a record of its own
            own_mx()
            rec = "v=spf1 mx include:%s %s" % (incl["ms"], q)
            sub = "bounce." + d
            w.txt(d, sub, "v=spf1 include:%s -all" % incl["ses"])
            info["sub"] = (sub, legit_from(["ses"]))
            info["legit"] = own_pick
        if info["legit"] == "own":
            def pick(v6, o4=own4, o6=own6, d=d):
                if v6 and o6:
                    return o6, "mail." + d
                return o4, "mail." + d
            pick.has_v6 = own6 is not None and kind != "ptr"
            info["legit"] = pick
        for t in extra_txt:
            w.txt(d, d, t)
        if rec is not None:
            w.txt(d, d, rec)
        if info["legit"] is not None:
            info["v6ok"] = getattr(info["legit"], "has_v6", False)
        info["rec"] = rec
        domains.append(info)
    # the _spf.gsuite-mail.com HELO hosts and some own MTAs have records
    for h, ip in prov["gs"]["helo"][:10]:
        w.txt("gsuite-mail.com", h, "v=spf1 a -all")
    w.txt("gsuite-mail.com", "mail-v6.gsuite-mail.com", "v=spf1 -all")
    # the single-evaluation latency test: include chain + mx (5 hosts)
    cd = "chaintest-corp.com"
    w.names.add(cd)
    w.zone(cd, nsfor())
    mx_of_chain = prov["gs"]["mx"]
    for pref, h in mx_of_chain:
        w.add(cd, cd, "MX", "%d %s." % (pref, h))
    w.txt(cd, cd, "v=spf1 include:%s mx -all" % incl["gs"])
    return domains, prov, hosts


def zipf_pick(r, n, s=0.9):
    weights = [1.0 / (i + 1) ** s for i in range(n)]
    return weights


def make_queries(w, domains, prov, n, each_once=False):
    r = w.r
    live = [d for d in domains]
    if each_once:
        order = live[:]
        r.shuffle(order)
    else:
        weights = zipf_pick(r, len(live))
        order = r.choices(live, weights, k=n)
    mtas = prov["gs"]["helo"] + prov["ms"]["helo"]
    out = []
    kinds = []
    for i in range(n):
        x = r.random()
        local = r.choice(["info", "noreply", "john.smith", "billing",
                          "bounces+%d" % r.randint(1, 99999), "support",
                          "m.%s" % r.choice(SYL), "newsletter", "hr"])
        if x < 0.03:
            d = "nosuch%s%d.%s" % (r.choice(SYL), r.randint(1, 99999),
                                   w.tld())
            out.append((w.random_bad_v4(), "%s@%s" % (local, d),
                        "mail.%s" % d))
            kinds.append("nxdomain")
            continue
        if x < 0.09:
            # null sender: the HELO identity
            if r.random() < 0.6:
                h, ip = r.choice(mtas)
                if r.random() < 0.15:
                    ip = w.random_bad_v4()
            else:
                dd = order[i % len(order)]
                h, ip = "mail." + dd["d"], w.random_bad_v4()
            out.append((ip, "<>", h))
            kinds.append("null")
            continue
        dd = order[i % len(order)]
        d = dd["d"]
        legit = dd["legit"]
        if dd.get("sub") and r.random() < 0.5:
            d, legit = dd["sub"]
        y = r.random()
        if legit is not None and y < 0.76:
            v6 = getattr(legit, "has_v6", False) and r.random() < 0.22
            ip, helo = legit(v6)
            kind = "legit6" if ":" in ip else "legit"
        elif y < 0.95 or legit is None:
            if r.random() < 0.1:
                ip = w.random_bad_v6()
            else:
                ip = w.random_bad_v4()
            helo = r.choice(["host-%s.dyn.isp%d.net" % (ip.replace(
                ".", "-").replace(":", "-"), r.randint(1, 9)),
                "localhost", d, "[%s]" % ip, "WIN-%06X" % r.getrandbits(24)])
            kind = "spoof6" if ":" in ip else "spoof"
        else:
            # forwarded: a real MTA of another provider
            h, ip = r.choice(mtas)
            helo = h
            kind = "forwarded"
        out.append((ip, "%s@%s" % (local, d), helo))
        kinds.append(kind + ":" + dd["kind"] + ("/" + PERM[dd["perm"]] if
                                                "perm" in dd else ""))
    return out, kinds


def write(w, outdir, domains, prov, hosts, nq):
    r = w.r
    zdir = os.path.join(outdir, "zones")
    os.makedirs(zdir, exist_ok=True)
    # TLD zones: delegations (and glue for in-bailiwick name servers)
    tldz = {t: [] for t, _ in TLDS}
    for z, ns in sorted(w.delegated.items()):
        tld = z.rsplit(".", 1)[1]
        for n in ns:
            tldz[tld].append("%s.\t%d\tIN\tNS\t%s." % (z, TTL, n))
            if n.endswith("." + z):
                tldz[tld].append("%s.\t%d\tIN\tA\t%s" % (n, TTL, NS_ADDR))
    conf = []

    def emit(name, lines, ns=None):
        path = os.path.join(zdir, name + ".zone")
        with open(path, "w") as f:
            f.write("$ORIGIN %s.\n$TTL %d\n" % (name, TTL))
            f.write("@\tIN\tSOA\t%s. hostmaster.%s. 1 7200 3600 "
                    "1209600 %d\n" % (ns[0] if ns else "ns1." + name,
                                       name, NEG_TTL))
            if ns is None:
                f.write("@\tIN\tNS\tns1.%s.\n" % name)
                f.write("ns1\tIN\tA\t%s\n" % NS_ADDR)
            for line in lines:
                f.write(line + "\n")
        conf.append("zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n" % (
            name, path))
    for t, lines in tldz.items():
        emit(t, lines)
    for z, lines in sorted(w.zones.items()):
        # the zone's own NS set (the delegation's), plus its data
        ns = w.delegated[z]
        emit(z, ["@\t%d\tIN\tNS\t%s." % (TTL, n) for n in ns] + lines,
             ns)
    emit("in-addr.arpa", ["%s.\t%d\tIN\tPTR\t%s." % (k, TTL, v) for k, v
                          in sorted(w.ptr4.items())])
    emit("ip6.arpa", ["%s.\t%d\tIN\tPTR\t%s." % (k, TTL, v) for k, v in
                      sorted(w.ptr6.items())])
    with open(os.path.join(outdir, "nsd-zones.conf"), "w") as f:
        f.write("".join(conf))
    with open(os.path.join(outdir, "stubs.txt"), "w") as f:
        f.write("\n".join([t for t, _ in TLDS] + REVERSE) + "\n")

    def save(name, qs):
        with open(os.path.join(outdir, name), "w") as f:
            for q in qs:
                f.write("\t".join(q) + "\n")
    qs, kinds = make_queries(w, domains, prov, nq)
    save("queries.tsv", qs)
    dq, dkinds = make_queries(w, domains, prov, min(nq, len(domains)),
                              each_once=True)
    save("delay.tsv", dq)
    save("chain.tsv", [(w.random_bad_v4(), "ceo@chaintest-corp.com",
                        "mail.chaintest-corp.com")])
    counts = {}
    for d in domains:
        counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    meta = {"domains": len(domains), "zones": len(conf),
            "domain_kinds": counts, "queries": len(qs),
            "query_kinds": kinds, "delay_kinds": dkinds,
            "v6_queries": sum(1 for q in qs if ":" in q[0]),
            "null_senders": sum(1 for q in qs if q[1] == "<>")}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7208)
    a = ap.parse_args()
    w = World(a.seed)
    domains, prov, hosts = build(w, a.domains)
    meta = write(w, a.outdir, domains, prov, hosts, a.queries)
    print("corpus: %d domains in %d zones, %d queries (%d IPv6 clients, "
          "%d null senders)" % (meta["domains"], meta["zones"],
                                meta["queries"], meta["v6_queries"],
                                meta["null_senders"]))


if __name__ == "__main__":
    sys.exit(main())
