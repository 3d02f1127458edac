"""tally.py: the check and the count every Python harness of the tests
shares, and the last line tests/run-all.sh sums:
"[NAME: ]N passed, M failed".

    sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
    from tally import Tally
    T = Tally("dnssec")
    T.check("what was asserted", ok, "why it failed")
    return T.summary()          # prints the line; 1 if anything failed
"""


class Tally:
    """Passes and failures of one harness run."""

    def __init__(self, name="", quiet=False):
        self.name = name
        self.quiet = quiet      # print failures only
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        """Count one assertion and say how it went; returns ok.  A
        detail of several lines is printed indented below."""
        self.count(ok)
        if ok:
            if not self.quiet:
                print("ok - %s" % what)
            return True
        lines = str(detail).splitlines()
        if len(lines) <= 1:
            print("FAIL - %s%s" % (what, ": " + lines[0] if lines else ""))
        else:
            print("FAIL - %s" % what)
            for line in lines:
                print("    %s" % line)
        return False

    def count(self, ok):
        """Count one result a harness has reported in its own words."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return bool(ok)

    def summary(self):
        """Print the counts; the exit status: 1 if anything failed."""
        print("%s%d passed, %d failed" % (self.name + ": " if self.name
                                          else "", self.passed, self.failed))
        return 1 if self.failed else 0
