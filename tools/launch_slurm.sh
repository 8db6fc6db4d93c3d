#!/usr/bin/env bash
# Runs one experiment on a SLURM GPU cluster: one process per node, each driving all of its node's GPUs.
#
#   sbatch [--nodes=4 --gpus-per-node=8 ...] tools/launch_slurm.sh CONFIG WORKDIR [extra main.py flags...]
#
# Submit from the repository root (the job runs there). Process 0 runs on the first node of the allocation and
# is the coordinator; every task passes --config.distributed.{coordinator_address,num_processes,process_id}.
#
# Environment knobs (defaults in brackets):
#   DRY_RUN=1        print the srun command instead of running it; works outside an allocation too [0]
#   COORD_PORT       coordinator port on the first node [8476]
#   VENV             virtualenv to activate before running [none]
#   PYTHON           interpreter [python]
#
# WORKDIR must be on a filesystem every node sees (NFS, Lustre, ...): each process writes its own shards of every
# checkpoint there. On SIGTERM (preemption, scancel, time limit with --signal) the run saves a checkpoint and exits
# with code 143; resubmit the same command to resume.
#
#SBATCH --job-name=midalign
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=8
#SBATCH --cpus-per-task=32
#SBATCH --time=24:00:00
#SBATCH --signal=TERM@300
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
CONFIG=$1 WORKDIR=$2
shift 2
EXTRA=("$@")

DRY_RUN=${DRY_RUN:-0}
COORD_PORT=${COORD_PORT:-8476}
PYTHON=${PYTHON:-python}

if [[ "$WORKDIR" == *://* ]]; then
  echo "error: WORKDIR=$WORKDIR is a URL; give a directory on a filesystem shared by all nodes" >&2
  exit 2
fi
if [[ ! -f "${CONFIG%%:*}" ]]; then
  echo "error: config file ${CONFIG%%:*} not found in $(pwd) (submit from the repository root)" >&2
  exit 2
fi

if [[ -n "${SLURM_JOB_NODELIST:-}" ]]; then
  HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
  NUM_PROCESSES=${SLURM_NTASKS:?SLURM_NTASKS is not set: run under sbatch with one task per node}
elif [[ "$DRY_RUN" == 1 ]]; then
  HEAD_NODE='<first node>' NUM_PROCESSES='<number of tasks>'   # outside an allocation: show the shape only
else
  echo "error: not inside a SLURM allocation; submit with: sbatch tools/launch_slurm.sh $CONFIG $WORKDIR ..." >&2
  exit 2
fi

if [[ -n "${VENV:-}" ]]; then
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
fi

# SLURM_PROCID differs per task, so it is expanded inside each task, not here.
printf -v EXTRA_Q ' %q' "${EXTRA[@]}"
[[ ${#EXTRA[@]} -gt 0 ]] || EXTRA_Q=''
TASK_CMD="exec $(printf '%q' "$PYTHON") main.py --config=$(printf '%q' "$CONFIG") --workdir=$(printf '%q' "$WORKDIR") --host_malloc=system"
TASK_CMD+=" --config.distributed.initialize=yes"
TASK_CMD+=" --config.distributed.coordinator_address=$HEAD_NODE:$COORD_PORT"
TASK_CMD+=" --config.distributed.num_processes=$NUM_PROCESSES"
TASK_CMD+=' --config.distributed.process_id=$SLURM_PROCID'
TASK_CMD+="$EXTRA_Q"

# --kill-on-bad-exit: one failed process ends the job instead of leaving the others waiting in a collective.
SRUN=(srun --ntasks-per-node=1 --kill-on-bad-exit=1 bash -c "$TASK_CMD")
if [[ "$DRY_RUN" == 1 ]]; then
  printf 'srun --ntasks-per-node=1 --kill-on-bad-exit=1 bash -c %s\n' "'${TASK_CMD//\'/\'\\\'\'}'"
else
  echo "coordinator $HEAD_NODE:$COORD_PORT, $NUM_PROCESSES processes" >&2
  "${SRUN[@]}"
fi
