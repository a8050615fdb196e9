#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (Debian's slurm-wlm and munge, started as root), for
# trying the job-array scripts and for tests/slurm.sh:
#   scripts/slurm/local-cluster.sh start DIR    writes DIR/slurm.conf, starts munged, slurmctld
#                                               and slurmd; prints `export SLURM_CONF=…`
#   scripts/slurm/local-cluster.sh stop DIR     stops the daemons it started
# The node is this host with all its CPUs; state, spool and logs stay in DIR.
set -euo pipefail
cmd="${1:?start|stop}" dir="$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)"
conf="$dir/slurm.conf"
host="$(hostname -s)"

stop() {
  local pids=()
  for pidfile in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    if [[ -f $pidfile ]]; then
      pids+=("$(cat "$pidfile")")
      kill "${pids[-1]}" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
  # Wait (up to 10 s) until they have exited, so that nothing is left running.
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
}

case "$cmd" in
  start)
    [[ $(id -u) == 0 ]] || { echo "local-cluster: Slurm's daemons start as root" >&2; exit 1; }
    command -v slurmctld >/dev/null && command -v munged >/dev/null || {
      echo "local-cluster: slurm-wlm and munge are missing (apt-get install slurm-wlm munge)" >&2
      exit 1
    }
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    [[ -f /etc/munge/munge.key ]] || /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key
    cat >"$conf" <<CONF
ClusterName=dml-lab-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
    # munge on its default socket (where Slurm's auth plugin looks), unless one runs already.
    if ! pgrep -x munged >/dev/null; then
      mkdir -p /run/munge /var/log/munge /var/lib/munge
      /usr/sbin/munged --force
      cp /run/munge/munged.pid "$dir/munged.pid"
    fi
    /usr/sbin/slurmctld -f "$conf"
    /usr/sbin/slurmd -f "$conf"
    export SLURM_CONF="$conf"
    for _ in $(seq 1 60); do
      sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
      sleep 0.5
    done
    if ! sinfo -h -o '%T' | grep -qE '^(idle|mixed|allocated)'; then
      echo "local-cluster: the node did not come up; logs in $dir" >&2
      sinfo >&2 || true
      tail -5 "$dir"/slurmctld.log "$dir"/slurmd.log >&2 || true
      stop
      exit 1
    fi
    echo "export SLURM_CONF=$conf"
    ;;
  stop) stop; exit 0 ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
