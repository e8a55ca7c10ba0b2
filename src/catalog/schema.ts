// The catalog's single source of truth: zod schemas for frameworks/defaults.yaml and
// frameworks/<name>/framework.yaml. The TypeScript types are inferred from them.
import { z } from "zod";
import { parsePinnedImage, parseTaggedReference, repositoryProblem } from "./reference.js";

/** A strict object whose unknown-key error lists the fields that are valid there. */
function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const valid = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; valid fields: ${valid}`
        : undefined,
  });
}

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    error: "must be a path relative to the file's folder, without '..'",
  });

const absolutePath = z.string().regex(/^\/[^\0]*$/, { error: "must be an absolute path in the image, e.g. /opt/e2e/run.py" });

const pinnedImage = z.string().superRefine((ref, ctx) => {
  const parsed = parsePinnedImage(ref);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

/** Debian packages must carry an exact version: `name=version`. */
const systemPackage = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+.-]+=[A-Za-z0-9.+~:-]+$/, {
    error: (issue) => `"${String(issue.input)}" is not pinned: write name=version, e.g. "procps=2:4.0.2-3"`,
  });

const placedFile = strict({ source: relativePath, target: absolutePath });

const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https:// URL" });

/** Kubernetes quantities, as YAML may give them as numbers: CPU (500m, 1) and memory (768Mi, 1Gi). */
const quantity = (pattern: RegExp, example: string) =>
  z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(pattern, { error: `must be a Kubernetes quantity such as ${example}` }));
const cpuQuantity = quantity(/^[0-9]+(\.[0-9]+)?m?$/, "250m or 1");
const memoryQuantity = quantity(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, "512Mi or 1Gi");

const cpuMemory = strict({ cpu: cpuQuantity, memory: memoryQuantity });
const containerResources = strict({ requests: cpuMemory, limits: cpuMemory });
const jobTimeout = z.int().min(30).max(3600);

export const DefaultsSchema = strict({
  /** Base image for every framework, pinned by tag and digest. */
  baseImage: pinnedImage,
  /** Debian packages every image gets (name=version). */
  systemPackages: z.array(systemPackage).default([]),
  /** Shared test tools copied into every image, relative to frameworks/. */
  testTools: z.array(placedFile).default([]),
  /** Environment of every image. */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: "must be an environment variable name" }), z.string()).default({}),
  /** Working directory of every image. */
  workdir: absolutePath,
});

const taggedReference = z.string().superRefine((ref, ctx) => {
  const parsed = parseTaggedReference(ref);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

const operatorNeeds = strict({
  /** Flags appended to the operator's command line, e.g. --pytorch-init-container-image=... */
  flags: z.array(z.string().regex(/^--[a-z0-9][a-z0-9-]*=\S+$/, { error: "must be --flag=value" })).default([]),
  /**
   * Images the operator starts for these jobs (e.g. init containers): built from a pinned
   * base plus `files` (executables, relative to the framework's folder) and loaded into the
   * cluster as `reference`.
   */
  images: z
    .array(
      strict({
        reference: taggedReference,
        from: pinnedImage,
        files: z.array(placedFile).default([]),
        /** Where the run's own pinned kubectl (the node's minor, sha256-checked) goes, e.g. for MPIJob's kubectl-delivery. */
        kubectl: absolutePath.optional(),
        /** The image's default command, where the operator starts it without one (an init container). */
        command: z.array(z.string().min(1)).min(1).optional(),
      }),
    )
    .default([]),
});

export const FrameworkSpecSchema = strict({
  /** One line shown by `dagger call frameworks`. */
  summary: z.string().min(1).max(160),
  image: strict({
    /** Repository path without registry or tag; images are named docker.io/<repository>:<tag>. */
    repository: z.string().superRefine((repo, ctx) => {
      const problem = repositoryProblem(repo);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    /** Overrides the shared base image. */
    baseImage: pinnedImage.optional(),
    /** Debian packages on top of the shared ones (name=version). */
    systemPackages: z.array(systemPackage).default([]),
    /**
     * A user created in the image (with a home and a group of its name), for a runtime that
     * runs its containers as that uid: Trainer v2's MPI runtimes run sshd as uid 1000, which
     * needs a passwd entry for the login and a home for its config.
     */
    user: strict({
      name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Linux user name, e.g. mpiuser" }),
      uid: z.int().min(1000, { error: "must be a regular user's uid, 1000 to 60000" }).max(60000, { error: "must be a regular user's uid, 1000 to 60000" }),
    }).optional(),
    /** Shared helpers this payload imports besides defaults.yaml's testTools, relative to frameworks/ (e.g. _common/mpi_launch.py). */
    testTools: z.array(placedFile).default([]),
    /** Pinned Python requirements (name==version on every line), relative to the framework folder. */
    requirements: relativePath,
    /** Package index replacing PyPI, e.g. PyTorch's CPU wheel index. */
    pipIndexUrl: httpsUrl.optional(),
    /** Further package indexes. */
    pipExtraIndexUrls: z.array(httpsUrl).default([]),
    /** Payload files, relative to the framework folder, and where they go in the image. */
    payload: z.array(placedFile).min(1),
    /** The image's default command: what each job replica runs. */
    command: z.array(z.string().min(1)).min(1),
  }),
  /**
   * The job as Training Operator v1 runs it; its resources and timeoutSeconds apply to the
   * TrainJob (trainJob) too. Absent: the framework has no v1 test (a Trainer v2 runtime only).
   */
  job: strict({
    /** Kubeflow job kind, e.g. JAXJob. */
    kind: z.string().regex(/^[A-Z][A-Za-z]*Job$/, { error: "must be a Kubeflow job kind such as JAXJob, PyTorchJob or XGBoostJob" }),
    /** Job manifest template, relative to the framework folder. */
    template: relativePath,
    /** Name of the framework container in every replica, e.g. jax. */
    container: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "must be a Kubernetes container name (RFC 1123 label)" }),
    /** Requests and limits for each replica's framework container. */
    resources: containerResources,
    /** How long the job may take to reach Succeeded, in seconds. */
    timeoutSeconds: jobTimeout,
  }).optional(),
  /**
   * The job as Kubeflow Trainer v2 runs it (--operator v2): a TrainJob template on a built-in
   * runtime, relative to the framework folder. Absent: the framework has no v2 test.
   */
  trainJob: strict({
    template: relativePath,
    /** Each node's requests and limits, only for a framework without `job` (else job.resources). */
    resources: containerResources.optional(),
    /** How long the TrainJob may take, only for a framework without `job` (else job.timeoutSeconds). */
    timeoutSeconds: jobTimeout.optional(),
    /**
     * Run this image where the runtime names its own: the TrainJob's image reaches only the
     * trainer's container (an MPI runtime's launcher), not the nodes it starts. With true, the
     * run loads the image also under every image name the installed runtime gives its
     * containers (e.g. ghcr.io/kubeflow/trainer/mlx-runtime:v2.3.0), so the runtime runs as
     * installed, on this image.
     */
    asRuntimeImage: z.boolean().default(false),
  }).optional(),
  /** What the cluster's one Training Operator v1 needs for this framework's jobs (v2 needs none). */
  operator: operatorNeeds.default({ flags: [], images: [] }),
}).superRefine((spec, ctx) => {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (!spec.job && !spec.trainJob) issue([], "needs job (Training Operator v1), trainJob (Trainer v2) or both");
  for (const field of ["resources", "timeoutSeconds"] as const) {
    if (spec.job && spec.trainJob?.[field] !== undefined) issue(["trainJob", field], `the TrainJob shares job.${field}; remove it here`);
    if (!spec.job && spec.trainJob && spec.trainJob[field] === undefined) issue(["trainJob", field], "required without job: the TrainJob's own " + (field === "resources" ? "requests and limits" : "time limit in seconds"));
  }
});

export type CatalogDefaults = z.infer<typeof DefaultsSchema>;
export type FrameworkSpec = z.infer<typeof FrameworkSpecSchema>;
export type PlacedFileSpec = z.infer<typeof placedFile>;
export type OperatorNeeds = z.infer<typeof operatorNeeds>;
export type ContainerResources = z.infer<typeof containerResources>;
