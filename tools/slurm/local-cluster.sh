#!/bin/bash
# local-cluster.sh -- throwaway single-node Slurm cluster for tests.
#
#   local-cluster.sh start STATEDIR           start munged, slurmctld, slurmd
#   local-cluster.sh run   STATEDIR -- CMD..  run CMD with SLURM_CONF pointing here
#   local-cluster.sh wait  STATEDIR [-t SECS] JOBID...
#                                             poll until the jobs have left the
#                                             queue (default 120 s); exit 0 iff
#                                             every job (and array task) ended
#                                             COMPLETED, 1 otherwise/timeout
#   local-cluster.sh stop  STATEDIR           cancel jobs, stop daemons, keep logs
#   local-cluster.sh env   STATEDIR           print `export SLURM_CONF=...`
#
# Everything (config, munge key and socket, spool, state, logs) lives under
# STATEDIR, which must be on a local file system with no group/world-writable
# parent except sticky ones like /tmp (munged checks that). Nothing in /etc is
# read or changed; clients find the cluster only through SLURM_CONF.
# Needs root (slurmd runs jobs via setuid) and the Debian 12 packages
# slurmctld slurmd slurm-client munge. There is no accounting database, so
# sacct does not work; `wait` uses scontrol, which remembers finished jobs for
# MinJobAge (300 s).
# Ports: LOCAL_SLURM_CTLD_PORT / LOCAL_SLURM_SLURMD_PORT, else the first free
# pair from 16817/16818 upward. Daemons bind 0.0.0.0 but talk over 127.0.0.1.
set -eu

die() { echo "local-cluster: $*" >&2; exit 1; }
usage() { sed -n '2,12p' "$0" >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd=$1 state=$2
shift 2
case $state in /*) ;; *) state=$(pwd)/$state ;; esac
conf=$state/etc/slurm.conf
export SLURM_CONF=$conf

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# Was process $1 started by this cluster (see kill_strays)?
ours() {
    { tr '\0' '\n' < "/proc/$1/environ"; } 2>/dev/null | grep -qxF "LOCAL_SLURM_STATEDIR=$state"
}

alive() {
    local p
    for p in "$@"; do ours "$p" && return 0; done
    return 1
}

# Stop the daemons whose pids are in the given files: TERM all at once (each
# takes ~2 s to shut down, in parallel that is ~2 s in all), KILL after 5 s.
stop_pidfiles() {
    local f pids= i
    for f in "$@"; do
        # Skip stale pid files whose pid now belongs to someone else.
        [ -s "$f" ] && ours "$(cat "$f")" && pids="$pids $(cat "$f")"
    done
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null || true
        # `ours` rather than kill -0: a zombie (not yet reaped) counts as gone.
        for i in $(seq 50); do alive $pids || break; sleep 0.1; done
        for i in $pids; do ours "$i" && kill -KILL "$i" 2>/dev/null; done
    fi
    rm -f "$@"
}

# Last resort for processes that outlived their daemon: the daemons were
# started with LOCAL_SLURM_STATEDIR=$state in their environment, which
# slurmstepd inherits; job scripts get the submitter's environment instead,
# so kill the process group of each child of such a slurmstepd too.
kill_strays() {
    local p pid c
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        ours "$pid" || continue
        for c in $(ps -o pgid= --ppid "$pid" 2>/dev/null); do
            kill -KILL -- "-$c" 2>/dev/null || true
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
}

do_stop() {
    # Only if slurmctld is alive: clients retry a dead controller for ~10 s.
    if [ -s "$state/run/slurmctld.pid" ] && ours "$(cat "$state/run/slurmctld.pid")"; then
        # Cancel whatever still runs so slurmd's step daemons exit cleanly.
        timeout 10 scancel --full --quiet $(timeout 10 squeue -h -o %A 2>/dev/null) 2>/dev/null || true
        for _ in $(seq 30); do
            [ -z "$(timeout 5 squeue -h -o %A 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    stop_pidfiles "$state/run/slurmd.pid" "$state/run/slurmctld.pid" "$state/munge/munged.pid"
    kill_strays
}

do_start() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        || die "install the Debian packages slurmctld slurmd slurm-client munge"
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -s "$state/run/slurmctld.pid" ] && ours "$(cat "$state/run/slurmctld.pid")" \
        && die "already running in $state"

    # Any failure from here on tears down whatever was started.
    trap 'echo "local-cluster: start failed, logs in $state/log" >&2; do_stop' EXIT

    mkdir -p "$state/etc" "$state/munge" "$state/run" "$state/log" "$state/spool" "$state/ctld"
    # munged refuses key/socket dirs writable by others, and warns unless
    # everyone may reach the socket (the key itself is 0400).
    chmod 755 "$state" "$state/munge"

    local host cpus ctld_port slurmd_port sock
    host=$(hostname -s)
    cpus=$(nproc)
    ctld_port=${LOCAL_SLURM_CTLD_PORT:-16817}
    slurmd_port=${LOCAL_SLURM_SLURMD_PORT:-$((ctld_port + 1))}
    if [ -z "${LOCAL_SLURM_CTLD_PORT:-}" ]; then
        while ! port_free "$ctld_port" || ! port_free "$slurmd_port"; do
            ctld_port=$((ctld_port + 2)) slurmd_port=$((slurmd_port + 2))
        done
    fi
    sock=$state/munge/munge.socket

    # Every daemon is started with `env LOCAL_SLURM_STATEDIR=$state` to mark it
    # and its children as ours (see kill_strays); not exported, so this shell
    # and its pipelines do not carry it.
    # munge: private key, socket, pid, log and seed under STATEDIR.
    [ -s "$state/munge/munge.key" ] || dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$state/munge/munge.key"
    env "LOCAL_SLURM_STATEDIR=$state" munged --force --socket="$sock" --key-file="$state/munge/munge.key" \
        --pid-file="$state/munge/munged.pid" --log-file="$state/log/munged.log" \
        --seed-file="$state/munge/munged.seed" \
        || die "munged failed: $(tail -3 "$state/log/munged.log" 2>/dev/null)"

    cat > "$conf" <<CONF
# Generated by local-cluster.sh; single node, root-owned, no accounting.
ClusterName=arsimlocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
PlugStackConfig=$state/etc/plugstack.conf
# No cgroups in containers: track processes by process group.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Cancel jobs whose dependency can never be met (a failed shard).
SchedulerParameters=kill_invalid_depend,sched_interval=1,bf_interval=1
ReturnToService=2
MailProg=/bin/true
MinJobAge=300
KillWait=5
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    : > "$state/etc/plugstack.conf"

    # -c: cold start, no state from an earlier run in the same STATEDIR.
    env "LOCAL_SLURM_STATEDIR=$state" slurmctld -c -f "$conf" || die "slurmctld failed: $(tail -5 "$state/log/slurmctld.log")"
    env "LOCAL_SLURM_STATEDIR=$state" slurmd -f "$conf" || die "slurmd failed: $(tail -5 "$state/log/slurmd.log")"

    # Ready when the node is schedulable (idle); give up after 30 s or as soon
    # as a daemon died (e.g. port in use: see its log).
    local st= d deadline=$((SECONDS + 30))
    while :; do
        for d in slurmctld slurmd; do
            # Dead if it logged a fatal error or its pid is gone; the pid file
            # appears only after the forked daemon initialised: allow 5 s.
            if grep -q 'fatal:' "$state/log/$d.log" 2>/dev/null ||
               { [ -s "$state/run/$d.pid" ] && ! ours "$(cat "$state/run/$d.pid")"; } ||
               { [ ! -s "$state/run/$d.pid" ] && [ "$SECONDS" -ge $((deadline - 25)) ]; }; then
                die "$d died: $(grep -E 'error|fatal' "$state/log/$d.log" | grep -v pmix | tail -n 3)"
            fi
        done
        # Checked after the daemons: clients retry a dead controller for ~10 s.
        st=$(timeout 5 sinfo -h -n "$host" -o %t 2>/dev/null || true)
        case $st in idle*|mix*|alloc*) break ;; esac
        [ "$SECONDS" -lt "$deadline" ] || die "node $host not ready after 30 s (state '$st')"
        sleep 0.2
    done
    trap - EXIT
    echo "export SLURM_CONF=$conf"
}

# One line per job / array task (scontrol takes one id at a time).
show_jobs() {
    local j
    for j in "$@"; do scontrol --oneliner show job "$j" 2>&1 || true; done
}

do_wait() {
    local timeout=120
    if [ "${1:-}" = -t ]; then timeout=$2; shift 2; fi
    [ $# -ge 1 ] || usage
    local deadline=$((SECONDS + timeout)) states
    while :; do
        # An unknown id (typo, or forgotten after MinJobAge) reads as UNKNOWN.
        states=$(show_jobs "$@" | sed -n '/^[[:space:]]*$/d; /JobState=/!{s/.*/UNKNOWN/p;d;}; s/.*JobState=\([A-Z_]*\).*/\1/p')
        if ! echo "$states" | grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUE|RESIZING|SIGNALING|STAGE_OUT'; then
            break
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "local-cluster: timeout after ${timeout}s; states:" $states >&2
            show_jobs "$@" >&2
            return 1
        fi
        sleep 0.5
    done
    if [ -z "$states" ] || echo "$states" | grep -qv '^COMPLETED$'; then
        echo "local-cluster: jobs did not all complete:" $states >&2
        show_jobs "$@" >&2
        return 1
    fi
}

case $cmd in
    start) do_start ;;
    stop)  do_stop ;;
    env)   echo "export SLURM_CONF=$conf" ;;
    wait)  do_wait "$@" ;;
    run)   [ "${1:-}" = -- ] && shift; [ $# -ge 1 ] || usage; exec "$@" ;;
    *)     usage ;;
esac
