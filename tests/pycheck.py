"""Shared by the Python tests (tests/<label>/test_*.py): check(cond, what)
counts a check and prints a failure to stderr; done() prints the tally and
exits 1 when any check failed, 0 otherwise. Import it with
sys.path.insert(0, <tests folder>)."""
import sys

failures = []
passed = 0


def check(cond, what):
    """Count one check; on failure, remember and print `what`."""
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print('FAIL:', what, file=sys.stderr)
    return bool(cond)


def done():
    """Print 'N passed, M failed' and exit with the test's status."""
    print('%d passed, %d failed' % (passed, len(failures)))
    sys.exit(1 if failures else 0)
