# shellcheck shell=bash
# CPU time, in whole seconds, for the figures of a run on few cores, where the wall time says
# only how long a step took, not what it cost or how long it waited for the CPU.

# children_cpu_seconds [PID]: the user and system time of the children of this shell (or of
# shell PID: a command substitution runs in a child) that ended, and of theirs they waited for.
children_cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print int(($16 + $17) / hz)}' "/proc/${1:-$BASHPID}/stat"; }

# machine_busy_seconds: the machine's busy time so far, over all cores (/proc/stat).
machine_busy_seconds() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {print int(($2 + $3 + $4 + $7 + $8 + $9) / hz)}' /proc/stat; }
