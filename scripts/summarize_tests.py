"""Adds up the JUnit XML reports of every suite into one closing line: 'kiln: N passed, N failed, N skipped'."""
import sys
import xml.etree.ElementTree as ET


def count(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    total = failed = skipped = 0
    for suite in suites:
        for case in suite.iter("testcase"):
            total += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
                skipped += 1
    return total, failed, skipped


def main(paths):
    total = failed = skipped = 0
    for path in paths:
        t, f, s = count(path)
        print(f"  {path.rsplit('/', 1)[-1]:12s} {t - f - s} passed, {f} failed, {s} skipped")
        total, failed, skipped = total + t, failed + f, skipped + s
    if total == 0:
        print("kiln: no test ran")
        return 1
    print(f"kiln: {total - failed - skipped} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
