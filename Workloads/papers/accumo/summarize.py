#!/usr/bin/env python3
"""Overall accuracy of AccuMO and its baselines from an accumo sweep's sweep_points (CSV from
`arsim export --table sweep_points`): at VO weight w, overall = (depth + w * VO) / (1 + w), with
the error 1 - overall. Baselines do not depend on w; AccuMO's point at w is compared with the
best baseline, and without its fallback with the best baseline too.

  arsim export --db Results/accumo-wifi-sweep.sqlite --table sweep_points --csv points.csv
  python3 Workloads/papers/accumo/summarize.py points.csv
"""
import csv, sys, collections

rows = list(csv.DictReader(open(sys.argv[1])))
mean = collections.defaultdict(dict)
for r in rows:
    mean[r["label"]][r["metric"]] = float(r["mean"]) if r["mean"] not in ("", None) else None
baselines = [l for l in mean if l.startswith("rr-") or l == "parallel"]
print("policy               w    depth    vo       overall  error    vs best baseline (accuracy, error)")
for w in (1, 2.5, 5):
    def overall(label):
        m = mean[label]
        return (m["accuracy_mean@task=depth"] + w * m["accuracy_mean@task=vo"]) / (1 + w)
    best = max(baselines, key=overall)
    for label in ["accumo-w%s" % w, "accumo-nofallback-w%s" % w] + baselines:
        m, o = mean[label], overall(label)
        gain = "%+.2f %%, %+.2f %%" % (100 * (o / overall(best) - 1), 100 * ((1 - overall(best)) - (1 - o)) / (1 - overall(best)))
        note = gain if label.startswith("accumo") else ("best" if label == best else "")
        print("%-20s %-4s %.4f   %.4f   %.4f   %.4f   %s" % (label, w, m["accuracy_mean@task=depth"], m["accuracy_mean@task=vo"], o, 1 - o, note))
    print()
