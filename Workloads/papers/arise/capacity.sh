#!/bin/sh
# ARISE against its baselines: the most clients each serves with every client admitted and
# within its accuracy SLA (arsim capacity, 2 replications per probe), per scenario and SLA level.
#   Workloads/papers/arise/capacity.sh [arsim] > capacity.txt
# Baselines (docs/policies/arise.md): every = offload every frame (one in flight), FIFO;
# triton / clipper / nexus = each client picks its own interval (sla_interval, the same accuracy
# margin as ARISE's planner) with Triton dynamic batching, Clipper AIMD or Nexus batch sizing.
set -e
A=${1:-arsim}
D=$(dirname "$0")
for case in "detect-t4.json 0.77" "detect-v100.json 0.785 0.78 0.77" "segment-h200.json 0.71 0.70 0.68" "segment-h200-5g.json 0.70"; do
  set -- $case
  S=$D/$1; shift
  for SLA in "$@"; do
    SLO="sessions_rejected == 0 and accuracy_min_client >= $SLA"
    SI="{\"name\": \"sla_interval\", \"sla\": $SLA, \"motion_deg_s\": 15, \"margin\": 0.005}"
    probe() {
      label=$1; shift
      printf '%s sla %s %s: ' "$(basename "$S" .json)" "$SLA" "$label"
      "$A" capacity "$S" --vary 'clients[0].count' --slo "$SLO" --between 1 400 --replications 2 \
          --set "sites[0].admission.sla=$SLA" --db "Results/arise-capacity.sqlite" --quiet "$@" | grep '^capacity'
    }
    probe arise
    probe every --set 'sites[0].admission=admit_all' --set 'clients[0].policy=offload_every_frame' \
        --set 'clients[0].max_offloads_in_flight=1' --set 'servers[0].policy=fifo'
    probe triton --set 'sites[0].admission=admit_all' --set "clients[0].policy=$SI" \
        --set 'servers[0].policy={"name": "dynamic_batch", "max_batch": 8, "max_queue_delay_ms": 5}'
    probe clipper --set 'sites[0].admission=admit_all' --set "clients[0].policy=$SI" --set 'servers[0].policy=aimd_batch'
    probe nexus --set 'sites[0].admission=admit_all' --set "clients[0].policy=$SI" --set 'servers[0].policy=slo_batch'
  done
done
