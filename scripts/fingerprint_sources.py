"""Write fingerprints of the documents casecoach's cases were planned from.

Usage: python scripts/fingerprint_sources.py SOURCE_DIR > tests/data/source_fingerprints.txt

The cases are written in our own words; the test `test_no_case_text_copies_a_source` checks it
by comparing 8-word shingles. Only hashes are kept, so the tests need neither the source
documents nor a copy of their text.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

SHINGLE = 8


def shingles(text: str, size: int = SHINGLE) -> Iterator[str]:
    """Lowercased word n-grams; punctuation and spacing do not matter."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    for i in range(len(words) - size + 1):
        yield " ".join(words[i : i + size])


def fingerprint(shingle: str) -> str:
    return hashlib.sha256(shingle.encode()).hexdigest()[:16]


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    prints: set[str] = set()
    for path in sorted(Path(sys.argv[1]).iterdir()):
        if path.is_file():
            prints.update(fingerprint(s) for s in shingles(path.read_text(encoding="utf-8")))
    print("\n".join(sorted(prints)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
