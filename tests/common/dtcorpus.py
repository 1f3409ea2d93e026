"""The one resolver for ../shared/corpus in Python tests.

$DIAGTAP_CORPUS (set by tests/meson.build from -Dcorpus, default
../shared/corpus beside the source tree) names the directory. A test that
needs a file that is not there prints one line, "SKIP: corpus not found at
PATH", and exits 77, which meson counts as skipped. scripts/test.sh fails
the run when the corpus exists and a test still said that line.
"""
import os
import sys

SRCDIR = os.environ.get("DIAGTAP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.environ.get("DIAGTAP_CORPUS") or os.path.join(SRCDIR, "..", "shared", "corpus")


def path(*rel):
    return os.path.join(CORPUS, *rel)


def have(*rel):
    return os.path.exists(path(*rel))


def skip_line(*rel):
    print("SKIP: corpus not found at %s" % path(*rel), flush=True)


def require(*rel):
    """Exits 77 (skipped) unless the corpus holds rel."""
    if not have(*rel):
        skip_line(*rel)
        sys.exit(77)
    return path(*rel)
