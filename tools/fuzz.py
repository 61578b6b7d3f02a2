#!/usr/bin/env python3
"""Seeded fuzzing of every arsim input: mutants of the shipped scenarios, traces, profiles and
layer tables, and random command lines, each run through the arsim binary under a time and memory
limit. A finding is a trap or signal, a hang (a command past its time limit that Ctrl-C does not end
within 3 s; one that ends with 130 is only slow), an exit code other than 0, 1, 2 or 130, or an
exit 2 whose message is not one line.

  tools/fuzz.py --arsim .build/release/arsim --count 300 --seed 1      (what make test runs)
  tools/fuzz.py --arsim .build/release/arsim --count 20000 --seed 7    (make fuzz)

Prints one line per finding and a summary; exits 1 if there was any finding. Mutants that found
something are kept under --keep (default: a temporary folder, printed) to reproduce by hand.
"""

import argparse
import copy
import glob
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NUMBERS = [0, -1, -0.0, 1e-320, 1e-9, 1e-7, 0.5, 1, 2, 3.7, 1e6, 1e9, 1e15, 1e300, -1e300, 4294967296, 2**31,
           9.3e18, 2**63, 2**64, 1.7976931348623157e308]
STRINGS = ["", "x" * 300, "../../etc/passwd", "a\nb", "t4", "T4", "H100", "fifo", "edge", "resnet50", "nope", " ",
           "\u00e9\u00e8", "server:edge", "device", "cloud", "1"]


def limit_resources(memory_mb):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        os.setsid()
    return apply


class Runner:
    def __init__(self, arsim, timeout, memory_mb):
        self.arsim = os.path.abspath(arsim)
        self.timeout = timeout
        self.memory_mb = memory_mb

    def run(self, args, cwd):
        start = time.monotonic()
        p = subprocess.Popen([self.arsim] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=limit_resources(self.memory_mb))
        try:
            out, err = p.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            # A long run is legitimate (a mutant may ask for a million simulated seconds); one
            # that Ctrl-C does not end within seconds is a hang.
            os.kill(p.pid, 2)
            try:
                out, err = p.communicate(timeout=3)
                return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.communicate()
                return None, "", "", time.monotonic() - start
        return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start


# --------------------------------------------------------------------------------------------
# Mutations of JSON documents.

def nodes(doc, path=()):
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from nodes(v, path + (i,))


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def put(doc, path, value):
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def mutate_json(doc, rng):
    doc = copy.deepcopy(doc)
    all_nodes = list(nodes(doc))
    path, node = rng.choice(all_nodes)
    what = rng.random()
    if isinstance(node, bool) or node is None:
        value = rng.choice([not node if isinstance(node, bool) else 1, "true", 0, None])
    elif isinstance(node, (int, float)):
        value = rng.choice(NUMBERS) if what < 0.8 else rng.choice(STRINGS + [None, [], {}])
    elif isinstance(node, str):
        if what < 0.6:
            value = rng.choice(STRINGS)
        elif what < 0.8:
            value = node + rng.choice(["x", "/", "..", "\u0000"])
        else:
            value = rng.choice(NUMBERS)
    elif isinstance(node, list):
        if what < 0.3:
            value = []
        elif what < 0.6 and node:
            value = node * rng.choice([2, 50])
        elif node:
            value = node[:-1]
        else:
            value = [rng.choice(NUMBERS)]
    else:  # object
        keys = list(node)
        if what < 0.4 and keys:
            node.pop(rng.choice(keys))
            return doc
        if what < 0.6:
            node[rng.choice(["extra", "nmae", "$schema", "count", "cv", "copies"])] = rng.choice(NUMBERS + STRINGS)
            return doc
        value = rng.choice([[], "x", 0, None])
    return put(doc, path, value)


def mutate_text(text, rng):
    lines = text.split("\n")
    what = rng.random()
    if what < 0.15:
        return ""
    if what < 0.25:
        return text.replace("\n", "\r")
    if what < 0.35:
        return text[: rng.randrange(len(text) + 1)]
    if what < 0.45:
        return text + "\xff\xfe garbage \x00\n"
    i = rng.randrange(len(lines))
    fields = lines[i].replace(",", " ").split()
    if fields:
        j = rng.randrange(len(fields))
        fields[j] = str(rng.choice(NUMBERS + ["nan", "inf", "-inf", "1e400", "abc", ""]))
        sep = "," if "," in lines[i] else " "
        lines[i] = sep.join(fields)
    else:
        lines[i] = str(rng.choice(NUMBERS))
    if rng.random() < 0.2:
        lines = lines * rng.choice([2, 100])
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Targets: each makes one mutant in a work folder and says which commands to run on it.

def scenario_sources():
    files = sorted(glob.glob(os.path.join(ROOT, "Workloads/scenarios/*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "Workloads/regression/scenarios/*.json")))
    return [f for f in files if "lte-uplink" not in f]   # that one reads ../shared


def prepare_work(work):
    """A copy of the regression scenario folder (scenarios, traces), so relative paths resolve."""
    shutil.copytree(os.path.join(ROOT, "Workloads/regression/scenarios"), os.path.join(work, "scn"))
    for f in glob.glob(os.path.join(ROOT, "Workloads/scenarios/*.json")):
        shutil.copy(f, os.path.join(work, "scn"))


def scenario_mutant(rng, work, n):
    src = rng.choice(scenario_sources())
    doc = json.load(open(src))
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        doc = mutate_json(doc, rng)
    path = os.path.join(work, "scn", f"mutant-{n}.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path, [["validate", path], ["run", path, "--db", os.path.join(work, f"r{n}.sqlite"), "--quiet"]]


def trace_mutant(rng, work, n):
    traces = os.path.join(work, "scn", "traces")
    name = rng.choice(["campaign.csv", "uplink-steps.csv", "uplink.mahimahi"])
    original = open(os.path.join(ROOT, "Workloads/regression/scenarios/traces", name)).read()
    with open(os.path.join(traces, name), "w") as f:
        f.write(mutate_text(original, rng))
    path = os.path.join(work, "scn", "traces.json")
    return path, [["validate", path], ["run", path, "--db", os.path.join(work, f"r{n}.sqlite"), "--quiet"]]


def restore_traces(work):
    for name in ["campaign.csv", "uplink-steps.csv", "uplink.mahimahi"]:
        shutil.copy(os.path.join(ROOT, "Workloads/regression/scenarios/traces", name), os.path.join(work, "scn", "traces", name))


def profile_mutant(rng, work, n):
    files = sorted(glob.glob(os.path.join(ROOT, "Workloads/profiles/*/T4/*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "Workloads/profiles/measured/H200/resnet50*.json")))
    src = rng.choice(files)
    doc = json.load(open(src))
    for _ in range(rng.choice([1, 2])):
        doc = mutate_json(doc, rng)
    gpu = os.path.basename(os.path.dirname(src))
    folder = os.path.join(work, f"prof{n}", gpu)
    os.makedirs(folder)
    with open(os.path.join(folder, os.path.basename(src)), "w") as f:
        json.dump(doc, f)
    model, precision = os.path.basename(src).split(".")[:2]
    scenario = {"name": "p", "duration_s": 1, "profiles": [os.path.join(work, f"prof{n}")], "models": [{"name": model}],
                "servers": [{"name": "s", "gpu": gpu, "precision": precision, "policy": "dynamic_batch"}],
                "clients": [{"name": "c", "count": 3, "model": model, "fps": 30, "deadline_ms": 100,
                             "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
    path = os.path.join(work, f"prof{n}.json")
    with open(path, "w") as f:
        json.dump(scenario, f)
    return path, [["profiles", "show", gpu, model, "--precision", precision, "--dir", os.path.join(work, f"prof{n}"), "--layers"],
                  ["validate", path], ["run", path, "--db", os.path.join(work, f"r{n}.sqlite"), "--quiet"]]


def layer_table_mutant(rng, work, n):
    src = rng.choice(sorted(glob.glob(os.path.join(ROOT, "Workloads/models/*.layers.json"))))
    doc = json.load(open(src))
    for _ in range(rng.choice([1, 2])):
        doc = mutate_json(doc, rng)
    folder = os.path.join(work, f"layers{n}")
    os.makedirs(folder)
    with open(os.path.join(folder, os.path.basename(src)), "w") as f:
        json.dump(doc, f)
    model = os.path.basename(src).split(".")[0]
    return None, [["profiles", "derive", "--model", model, "--gpu", "T4", "--layers", folder, "--out", os.path.join(work, f"lo{n}"),
                   "--cost-model", os.path.join(ROOT, "Workloads/costmodel.json"), "--gpus", os.path.join(ROOT, "Workloads/gpus.json")]]


COMMANDS = ["run", "validate", "runs", "export", "sweep", "capacity", "merge", "check", "profiles", "bench", "show"]
ARGS = ["--db", "--csv", "--seed", "--set", "--label", "--jobs", "--between", "--only", "--clients", "--seconds", "-h",
        "duration_s=1e300", "seed=-1", "x", "", "0", "-1", "1e300", "../", "/", "Results", "servers[0].gpus=0", "--resume",
        "clients[0].fps=1e-300", "--update", "list", "show", "T4", "resnet50", "--precision", "fp64", "--mps", "0"]


def command_mutant(rng, work, n):
    scenario = os.path.join(work, "scn", rng.choice(["quickstart.json", "batching-fifo.json", "sessions.json"]))
    args = [rng.choice(COMMANDS)]
    for _ in range(rng.randrange(6)):
        a = rng.choice(ARGS + [scenario, os.path.join(work, "cmd.sqlite")])
        args.append(a)
    if args[0] in ("sweep", "capacity", "bench", "check"):
        args.append("--help")   # their real work is long; their argument parsing is what is fuzzed here
    return None, [args]


# --------------------------------------------------------------------------------------------

def classify(rc, out, err, elapsed):
    if rc is None:
        return f"hang (> {elapsed:.0f} s, and Ctrl-C did not end it within 3 s)"
    if rc < 0:
        return f"signal {-rc}: {last_line(err)}"
    if rc not in (0, 1, 2, 130):
        return f"exit {rc}: {last_line(err)}"
    if "Fatal error" in err or "Stack dump" in err or "backtrace" in err.lower():
        return f"trap message with exit {rc}: {last_line(err)}"
    if rc == 2:
        lines = [l for l in err.strip().split("\n") if l.strip()]
        # A usage error from swift-argument-parser prints the error, then a usage block.
        if not lines:
            return "exit 2 with no message"
        # A command line the parser rejects: the error, then help and usage lines.
        usage = lines[0].startswith("Error:") and all(l.startswith(("Help:", "Usage:", "  ")) for l in lines[1:])
        if len(lines) > 1 and not usage:
            return f"exit 2 with {len(lines)} lines: {lines[0][:120]} / {lines[1][:120]}"
    return None


def last_line(text):
    lines = [l for l in text.strip().split("\n") if l.strip()]
    for l in lines:
        if "Fatal error" in l:
            return l[:200]
    return (lines[-1] if lines else "")[:200]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arsim", default=os.path.join(ROOT, ".build/release/arsim"))
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20, help="seconds per command")
    p.add_argument("--memory-mb", type=int, default=4096, help="address-space limit per command")
    p.add_argument("--keep", help="folder to keep mutants that found something in")
    p.add_argument("--only", choices=["scenario", "trace", "profile", "layers", "command"])
    args = p.parse_args()

    rng = random.Random(args.seed)
    runner = Runner(args.arsim, args.timeout, args.memory_mb)
    work = tempfile.mkdtemp(prefix="arsim-fuzz-")
    keep = args.keep or tempfile.mkdtemp(prefix="arsim-fuzz-findings-")
    prepare_work(work)
    targets = {"scenario": (scenario_mutant, 5), "trace": (trace_mutant, 2), "profile": (profile_mutant, 2),
               "layers": (layer_table_mutant, 1), "command": (command_mutant, 2)}
    if args.only:
        targets = {args.only: targets[args.only]}
    weighted = [name for name, (_, w) in targets.items() for _ in range(w)]
    findings = []
    counts = {}
    start = time.monotonic()
    for n in range(args.count):
        kind = rng.choice(weighted)
        make = targets[kind][0]
        path, commands = make(rng, work, n)
        for cmd in commands:
            rc, out, err, elapsed = runner.run(cmd, cwd=ROOT)
            counts[rc] = counts.get(rc, 0) + 1
            problem = classify(rc, out, err, elapsed)
            if problem:
                saved = ""
                if path:
                    saved = os.path.join(keep, f"{kind}-{n}-" + os.path.basename(path))
                    shutil.copy(path, saved)
                with open(os.path.join(keep, f"{kind}-{n}.txt"), "w") as f:
                    f.write("arsim " + " ".join(cmd) + "\n\n" + err)
                findings.append(f"{kind} #{n}: arsim {' '.join(cmd[:1])}: {problem} {saved}")
                print(findings[-1], flush=True)
                break
            if rc != 0:
                break   # a later command of the same mutant would only repeat the rejection
        if kind == "trace":
            restore_traces(work)
    elapsed = time.monotonic() - start
    print(f"{args.count} mutants (seed {args.seed}) in {elapsed:.0f} s; exit codes "
          + ", ".join(f"{'timeout' if k is None else k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
          + f"; {len(findings)} findings" + (f" (mutants in {keep})" if findings else ""))
    if findings:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
