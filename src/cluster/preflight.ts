// Preflight: does the engine have the memory and disk this run needs? Facts are read
// from /proc/meminfo, the cgroup limit and df inside a container; the decision is here.

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

/** Floor for a Kind cluster that runs training jobs. */
export const MIN_MEMORY_BYTES = 4 * GIB;
/** Kind control plane, operator and system pods, before any job. */
export const CLUSTER_BASE_MEMORY_BYTES = 2 * GIB;
/** Unpacked node image plus Kubernetes' own images and etcd. */
export const CLUSTER_BASE_DISK_BYTES = 4 * GIB;
/**
 * CPU the cluster's own pods request before any job: measured in the lab, the control plane
 * (API server 250m, controller manager 200m, scheduler 100m, etcd 100m) and CoreDNS
 * (2 x 100m) request 850m; kind's kindnetd adds 100m.
 */
export const CLUSTER_BASE_CPU_MILLIS = 1000;

export interface EngineFacts {
  memAvailableBytes: number;
  /** cgroup memory.max minus memory.current, when the container is limited. */
  cgroupAvailableBytes?: number;
  diskAvailableBytes: number;
  /** CPUs the node will offer (the engine's online CPUs), when the probe reported them. */
  cpus?: number;
}

export interface Needs {
  memoryBytes: number;
  diskBytes: number;
  /** The cluster's own requests plus the largest job's. */
  cpuMillis: number;
}

/** Parses the output of `cat /proc/meminfo; echo ---; cat memory.max memory.current; echo ---; df -Pk <dir>[; echo ---; nproc]`. */
export function parseEngineFacts(output: string): EngineFacts {
  const [meminfo = "", cgroup = "", df = "", nproc] = output.split(/^---$/m);
  const available = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(meminfo);
  if (!available) throw new Error(`preflight: no MemAvailable in /proc/meminfo output:\n${meminfo.trim().slice(0, 400)}`);
  const [max, current] = cgroup.trim().split(/\s+/);
  const cgroupAvailableBytes = max && /^\d+$/.test(max) && current && /^\d+$/.test(current) ? Number(max) - Number(current) : undefined;
  // df -Pk: header, then "Filesystem 1024-blocks Used Available Capacity Mounted-on".
  const row = df.trim().split("\n").slice(1).find((line) => line.trim() !== "");
  const fields = row?.trim().split(/\s+/);
  if (!fields || fields.length < 6 || !/^\d+$/.test(fields[3]!)) throw new Error(`preflight: cannot read free disk from df output:\n${df.trim()}`);
  const cpus = nproc !== undefined && /^\s*\d+\s*$/.test(nproc) ? Number(nproc) : undefined;
  return {
    memAvailableBytes: Number(available[1]) * 1024,
    cgroupAvailableBytes,
    diskAvailableBytes: Number(fields[3]) * 1024,
    ...(cpus === undefined ? {} : { cpus }),
  };
}

/** Memory usable by the cluster: the host's available memory, capped by a cgroup limit if any. */
export function usableMemory(facts: EngineFacts): number {
  return facts.cgroupAvailableBytes === undefined ? facts.memAvailableBytes : Math.min(facts.memAvailableBytes, facts.cgroupAvailableBytes);
}

/**
 * What a run needs. Memory: the cluster's base plus the largest job (jobs beyond what
 * fits run one after another, see jobConcurrency), never below the 4 GiB floor. Disk:
 * the node image plus each tarball twice (the archive and its unpacked layers).
 */
export function runNeeds(jobMemoryBytes: number[], tarballBytes: number[], jobCpuMillis: number[] = [], operatorCpuMillis = 0): Needs {
  const largestJob = jobMemoryBytes.length > 0 ? Math.max(...jobMemoryBytes) : 0;
  const images = tarballBytes.reduce((a, b) => a + b, 0);
  return {
    memoryBytes: Math.max(MIN_MEMORY_BYTES, CLUSTER_BASE_MEMORY_BYTES + largestJob),
    diskBytes: CLUSTER_BASE_DISK_BYTES + 2 * images,
    cpuMillis: CLUSTER_BASE_CPU_MILLIS + operatorCpuMillis + (jobCpuMillis.length > 0 ? Math.max(...jobCpuMillis) : 0),
  };
}

/** What a run's jobs and operator ask of the node: per job, memory limits and CPU requests times its pods. */
export interface RunDemands {
  memory: number[];
  cpu: number[];
  /** The operator's Deployments' CPU requests, in millicores. */
  operatorCpu: number;
}

export function runDemands(
  jobs: { entry: { resources: { limits: { memory: string }; requests: { cpu: string } } }; job: { pods: number } }[],
  operator: { cpuMillis: number }[],
): RunDemands {
  return {
    memory: jobs.map(({ entry, job }) => jobMemoryBytes(entry.resources.limits.memory, job.pods)),
    cpu: jobs.map(({ entry, job }) => jobCpuMillis(entry.resources.requests.cpu, job.pods)),
    operatorCpu: operator.reduce((sum, d) => sum + d.cpuMillis, 0),
  };
}

/** CPU a job requests: each pod's CPU request times its pods, in millicores. */
export function jobCpuMillis(cpuRequest: string, pods: number): number {
  return cpuMillis(cpuRequest) * pods;
}

/** Parses a Kubernetes CPU quantity (e.g. 250m, 1, 0.5) into millicores. */
export function cpuMillis(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(quantity);
  if (!match) throw new Error(`"${quantity}" is not a CPU quantity`);
  return Math.ceil(Number(match[1]) * (match[2] ? 1 : 1000));
}

/** Memory a job may use: each replica's memory limit times its replica count. */
export function jobMemoryBytes(memoryLimit: string, pods: number): number {
  return quantityBytes(memoryLimit) * pods;
}

const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;

/** Problems that stop the run, each saying what was found and what is needed; empty when it can go. */
export function preflightProblems(facts: EngineFacts, needs: Needs): string[] {
  const problems: string[] = [];
  const memory = usableMemory(facts);
  if (memory < needs.memoryBytes) {
    problems.push(
      `memory: the engine has ${gib(memory)} available, this run needs at least ${gib(needs.memoryBytes)} ` +
        `(Kind control plane and operator plus the largest job's memory limits); give the Docker VM or runner more memory or run fewer frameworks`,
    );
  }
  if (facts.cpus !== undefined && facts.cpus * 1000 < needs.cpuMillis) {
    problems.push(
      `cpu: the engine has ${facts.cpus} CPU(s), the largest job cannot be scheduled beside the cluster's own pods (needs ${(needs.cpuMillis / 1000).toFixed(2)} CPUs requested); ` +
        `give the Docker VM or runner more CPUs, or lower the job's CPU requests`,
    );
  }
  if (facts.diskAvailableBytes < needs.diskBytes) {
    problems.push(
      `disk: ${gib(facts.diskAvailableBytes)} free where the engine keeps the cluster, this run needs ${gib(needs.diskBytes)} ` +
        `(node image plus each image tarball, archived and unpacked); free space (e.g. \`docker system prune\` on the engine's host, or prune the engine cache)`,
    );
  }
  return problems;
}

/** Parses a Kubernetes memory quantity (e.g. 512Mi, 1Gi, 500M) into bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) throw new Error(`"${quantity}" is not a memory quantity`);
  const units: Record<string, number> = { Ki: 1024, Mi: MIB, Gi: GIB, Ti: 1024 * GIB, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.ceil(Number(match[1]) * (match[2] ? units[match[2]]! : 1));
}

/**
 * How many jobs may run at once: as many of the largest as fit beside the cluster's base,
 * in memory and, when the CPU count is known, in CPU requests (the scheduler refuses a pod
 * whose requests do not fit, and the run would take that for a failure). The operator's own
 * controllers' requests (Trainer v2's JobSet asks for 500m) come off the room first.
 */
export function jobConcurrency(usableMemoryBytes: number, jobMemoryBytes: number[], cpus?: number, jobCpu: number[] = [], operatorCpuMillis = 0): number {
  if (jobMemoryBytes.length === 0) return 1;
  const fit = (room: number, sizes: number[]) => (sizes.length === 0 ? Infinity : Math.floor(room / Math.max(...sizes)));
  const byMemory = fit(usableMemoryBytes - CLUSTER_BASE_MEMORY_BYTES, jobMemoryBytes);
  const byCpu = cpus === undefined ? Infinity : fit(cpus * 1000 - CLUSTER_BASE_CPU_MILLIS - operatorCpuMillis, jobCpu);
  return Math.max(1, Math.min(jobMemoryBytes.length, byMemory, byCpu));
}
