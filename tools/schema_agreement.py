#!/usr/bin/env python3
"""Measures how far docs/scenario.schema.json and the scenario reader agree: mutants of the
shipped scenarios (tools/fuzz.py's mutations) go through both `arsim validate` and the JSON
Schema (Python's jsonschema, draft 2020-12), and every disagreement is counted by kind.

  tools/schema_agreement.py --count 400 --seed 1

"schema rejects, reader accepts" is always a schema defect (too strict); "reader rejects, schema
accepts" is expected for rules a schema cannot state (names that must exist, profiles that must
be found) and a defect where it could (a range, a required key).
"""
import argparse, collections, importlib.util, json, os, random, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arsim", default=os.path.join(ROOT, ".build/release/arsim"))
    p.add_argument("--count", type=int, default=400)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    import jsonschema
    spec = importlib.util.spec_from_file_location("fuzz", os.path.join(ROOT, "tools/fuzz.py"))
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    validator = jsonschema.Draft202012Validator(json.load(open(os.path.join(ROOT, "docs/scenario.schema.json"))))
    rng = random.Random(args.seed)
    sources = fuzz.scenario_sources()
    agree, too_strict, too_loose = 0, [], collections.Counter()
    for n in range(args.count):
        src = rng.choice(sources)
        mutant = fuzz.mutate_json(json.load(open(src)), rng)
        path = os.path.join(os.path.dirname(src), f".schema-agreement-{os.getpid()}-{n}.json")
        with open(path, "w") as f:
            json.dump(mutant, f)
        try:
            reader = subprocess.run([args.arsim, "validate", path], capture_output=True, text=True).returncode == 0
        finally:
            os.remove(path)
        errors = list(validator.iter_errors(mutant))
        if reader == (not errors):
            agree += 1
        elif errors:
            e = errors[0]
            too_strict.append(f"{os.path.basename(src)}: {'/'.join(map(str, e.path))}: {e.message[:100]}")
        else:
            too_loose["reader only"] += 1
    print(f"{args.count} mutants: {agree} agree; schema rejects what the reader accepts: {len(too_strict)}; "
          f"reader rejects what the schema accepts: {too_loose['reader only']}")
    for line in too_strict:
        print("  too strict:", line)


if __name__ == "__main__":
    main()
