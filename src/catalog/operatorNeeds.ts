// What the frameworks of one run ask of the cluster's single operator: flags on its
// command line and images it starts (e.g. init containers), merged across frameworks.
import { CatalogError } from "./errors.js";
import type { CatalogEntry, PlacedFile } from "./loader.js";
import { parsePinnedImage, parseTaggedReference, type PinnedImage } from "./reference.js";

export interface OperatorImage {
  /** Full reference the image is loaded as, e.g. docker.io/kubeflow-ci/pytorch-init:3.22.6. */
  reference: string;
  tag: string;
  from: PinnedImage;
  /** Files added to the base, executable (e.g. a command that must come first on PATH). */
  files: PlacedFile[];
  /** Where the run's pinned kubectl goes, if the image needs one. */
  kubectl?: string;
  /** The image's default command, if it needs one. */
  command?: string[];
}

export interface OperatorNeeds {
  flags: string[];
  images: OperatorImage[];
}

/** Merges the entries' operator needs; two frameworks setting one flag or image differently is an error naming both files. */
export function operatorNeeds(entries: CatalogEntry[]): OperatorNeeds {
  const flags = new Map<string, { value: string; file: string }>();
  const images = new Map<string, { image: OperatorImage; file: string }>();
  for (const entry of entries) {
    for (const flag of entry.spec.operator.flags) {
      const name = flag.split("=")[0]!;
      const seen = flags.get(name);
      if (seen && seen.value !== flag) {
        throw new CatalogError(entry.specFile, "operator.flags", `${flag} conflicts with ${seen.value} from ${seen.file}; the cluster has one operator`);
      }
      flags.set(name, { value: flag, file: entry.specFile });
    }
    for (const spec of entry.operatorImages) {
      const target = parseTaggedReference(spec.reference);
      const from = parsePinnedImage(spec.from);
      if (typeof target === "string" || typeof from === "string") continue; // the schema already refused these
      const image: OperatorImage = { reference: target.ref, tag: target.tag, from, files: spec.files, kubectl: spec.kubectl, command: spec.command };
      const seen = images.get(image.reference);
      if (seen && seen.image.from.ref !== from.ref) {
        throw new CatalogError(entry.specFile, "operator.images", `${image.reference} is built from ${from.ref} here but from ${seen.image.from.ref} in ${seen.file}`);
      }
      const contents = (i: OperatorImage) => [...i.files.map((f) => `${f.target}=${f.sha256}`).sort(), `kubectl=${i.kubectl ?? ""}`, `command=${JSON.stringify(i.command ?? [])}`].join(",");
      if (seen && contents(seen.image) !== contents(image)) {
        throw new CatalogError(entry.specFile, "operator.images", `${image.reference} gets other files, kubectl or command here than in ${seen.file}; the cluster holds one image under that name`);
      }
      images.set(image.reference, { image, file: entry.specFile });
    }
  }
  return { flags: [...flags.values()].map((f) => f.value), images: [...images.values()].map((i) => i.image) };
}
