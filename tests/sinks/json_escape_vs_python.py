"""The JSON string writer against an independent oracle: for any bytes, the
string json.loads() reads back must equal bytes.decode('utf-8', 'replace')
(one U+FFFD per maximal invalid subpart, as Unicode recommends), and the
JSON text must contain no raw control characters."""
import json
import random
import subprocess
import sys

tool = sys.argv[1]


def check(data, what):
    out = subprocess.run([tool], input=data, stdout=subprocess.PIPE, check=True).stdout
    assert out.endswith(b"\n"), what
    text = out[:-1]
    assert all(c >= 0x20 and c != 0x7F for c in text), what + ": raw control character in JSON text"
    got = json.loads(text.decode("utf-8"))  # the JSON text itself must be valid UTF-8
    want = data.decode("utf-8", "replace")
    if got != want:
        for i, (a, b) in enumerate(zip(got, want)):
            if a != b:
                sys.exit(f"{what}: differs at char {i}: got {got[i-5:i+5]!r} want {want[i-5:i+5]!r}")
        sys.exit(f"{what}: lengths differ: {len(got)} vs {len(want)}")
    print(f"ok {what}: {len(data)} bytes")


rng = random.Random(20261121)

# Every byte pair, each case fenced by ASCII so that cases do not interact.
check(b"".join(b"|" + bytes([a, b]) for a in range(256) for b in range(256)), "all byte pairs")

# Lead bytes of multi-byte sequences with every second byte and random tails.
cases = []
for lead in range(0xC0, 0x100):
    for second in range(0x70, 0xD0):
        cases.append(b"|" + bytes([lead, second]) + bytes(rng.choice([0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0x41])
                                                       for _ in range(rng.randrange(3))))
check(b"".join(cases), "lead and continuation bytes")

# Random blobs, biased towards bytes that make UTF-8 interesting.
alphabet = list(range(256)) + [0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xF0, 0xF4] * 20
for i in range(5):
    n = rng.randrange(1, 200000)
    check(bytes(rng.choice(alphabet) for _ in range(n)), f"random blob {i}")

# Valid text with every class of code point comes back unchanged.
text = "".join(chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0x80, 0x800),
                                rng.randrange(0x800, 0xD800), rng.randrange(0xE000, 0x10000),
                                rng.randrange(0x10000, 0x110000), rng.randrange(0, 0x20)]))
               for _ in range(50000))
check(text.encode("utf-8"), "valid UTF-8")
