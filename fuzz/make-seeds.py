#!/usr/bin/env python3
"""Regenerates fuzz/seeds/: one file per expression of the shared FEEL corpus
(tests/corpus/**/*.feel, the text after the `---` line) and of the bench inputs
(benches/inputs/expressions.json). The parse and eval targets take these files
as they are; run from anywhere: python3 fuzz/make-seeds.py"""

import json
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "seeds"
out.mkdir(exist_ok=True)
for old in out.glob("*.feel"):
    old.unlink()

seeds = {}
for path in sorted((root / "tests" / "corpus").glob("**/*.feel")):
    text = path.read_text(encoding="utf-8")
    _, sep, expression = text.partition("\n---\n")
    if not sep:
        expression = text
    area = path.parent.name
    seeds["%s-%s" % (area, path.stem)] = expression.strip("\n")

bench = json.loads((root / "benches" / "inputs" / "expressions.json").read_text(encoding="utf-8"))
for case in bench:
    seeds["bench-%s" % case["name"]] = case["expression"]

for name, expression in seeds.items():
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    (out / (safe + ".feel")).write_text(expression, encoding="utf-8")
print("wrote %d seeds to %s" % (len(seeds), out))
