#!/usr/bin/env bash
# Runs the bundled workflow on a real single-node Slurm cluster started on this machine, through the
# site profile profiles/slurm/ and snakemake-executor-plugin-slurm, then checks with `her2rwe verify`
# that the cluster's results agree with a local run's frozen results.
#
#   bash tests/slurm/run_slurm.sh [EXPECTED_DIR]
#
# EXPECTED_DIR is a `her2rwe freeze` folder of a local run (default tests/expected_results, the
# committed freeze of the bundled run). Needs root: it installs Debian's slurm-wlm and munge when they
# are missing, writes /etc/slurm/slurm.conf and starts munged, slurmctld and slurmd in the background;
# it stops them by their PIDs on exit. The settings for this throwaway cluster (no accounting, the
# squeue status check, a short status interval, partition and account names) live here, not in the
# site profile. Exits non-zero when the run or the check fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
expected=$(realpath "${1:-tests/expected_results}")
step() { printf '\n==> slurm: %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "run as root (it installs packages and starts the Slurm daemons)"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  step "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null || exit 1
fi
if ! .venv/bin/python -c 'import snakemake_executor_plugin_slurm' 2>/dev/null; then
  step "installing the [slurm] extra"
  .venv/bin/pip install -q -c requirements.lock -e ".[slurm]" || exit 1
fi

work=$(mktemp -d /tmp/her2rwe-slurm.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  # the munge key stays; slurm.conf and the spool folders (in $work) are this run's
  rm -f /etc/slurm/slurm.conf
  rm -rf "$work"
}
trap cleanup EXIT

if [ -e /etc/slurm/slurm.conf ] && ! grep -q '^ClusterName=her2rwe-ci$' /etc/slurm/slurm.conf; then
  echo "/etc/slurm/slurm.conf exists and is not this test's: refusing to replace a real cluster's configuration"
  exit 1
fi
step "configuring a one-node cluster ($(hostname), $(nproc) CPUs)"
node=$(slurmd -C | head -1)     # NodeName=<host> CPUs=... RealMemory=...
mkdir -p /etc/slurm "$work/slurmctld" "$work/slurmd" /run/munge
# The plugin's job step drops SLURM_CONF, so the file must sit where Slurm looks by default.
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=her2rwe-ci
SlurmctldHost=$(hostname)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$work/slurmctld
SlurmdSpoolDir=$work/slurmd
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
$node State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

step "starting munged, slurmctld, slurmd"
[ -s /etc/munge/munge.key ] || mungekey --create >/dev/null || exit 1
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null
runuser -u munge -- /usr/sbin/munged -F >"$work/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.2; done
munge -n | unmunge >/dev/null || { echo "munged did not start"; exit 1; }
slurmctld -D -i >"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$work/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do sinfo -h -o %t 2>/dev/null | grep -qx idle && break; sleep 0.3; done
sinfo -h -o %t | grep -qx idle || { sinfo; tail -n 20 "$work"/*.log "$work"/*.out; echo "the node did not come up"; exit 1; }
sinfo

step "running the bundled workflow through profiles/slurm"
project=$work/project
mkdir -p "$project/data"
cp config.yaml "$project/"
cp -r data/raw "$project/data/raw"
start=$(date +%s)
(
  cd "$project" &&
  "$REPO/.venv/bin/snakemake" -s "$REPO/Snakefile" --profile "$REPO/profiles/slurm" \
    --default-resources slurm_partition=ci slurm_account=ci runtime=10 mem_mb=1000 cpus_per_task=1 \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 2 -q
)
rc=$?
echo "the Slurm run took $(( $(date +%s) - start )) s"
if [ "$rc" -ne 0 ]; then
  echo "the Slurm run failed; the logs of failed jobs:"
  find "$project/.snakemake/slurm_logs" -name '*.log' -exec tail -n 30 {} + 2>/dev/null
  exit 1
fi
echo "jobs (id, rule, state, run time):"
squeue -h -t all -o '%i %.40k %T %M' | head -40

step "verify: Slurm results against the local run's frozen results ($expected)"
"$REPO/.venv/bin/her2rwe" verify --expected "$expected" --results "$project/results"
