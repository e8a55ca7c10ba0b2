// `test --images-from`: the frameworks' images as published, instead of built. Each is the
// image these sources build, by its version (the content tag), looked up in the registry once
// and then pulled by digest; a missing image, or one whose version label is not that version,
// fails while the run checks its inputs, before any build or cluster.
import { dag, type Container } from "@dagger.io/dagger";
import { ArgumentError } from "../catalog/errors.js";
import { contentTag } from "../catalog/tag.js";
import type { FrameworkImage } from "../images.js";
import { parseRegistry, publishedRepository, recordedDigest, type PublishedRecord } from "./plan.js";
import { registryHost, type RegistryAuth } from "./push.js";

const VERSION_LABEL = "org.opencontainers.image.version";

/** Where a framework's published image is, by version: `<registry>/<name>-e2e:<content tag>`. */
export function publishedReference(registry: string, image: Pick<FrameworkImage, "entry">): string {
  return `${publishedRepository(parseRegistry(registry, "images-from"), image.entry)}:${contentTag(image.entry)}`;
}

/**
 * The images, each replaced by its published one, pinned by the digest the registry gives for
 * its version. With `recorded` (publish's output), that digest must be the one publish pushed:
 * a registry whose version tag now names another image is a digest mismatch.
 */
export async function publishedImages(images: FrameworkImage[], registry: string, auth?: RegistryAuth, recorded?: PublishedRecord[]): Promise<FrameworkImage[]> {
  const withAuth = (ref: string): Container => {
    const base = dag.container();
    return (auth ? base.withRegistryAuth(registryHost(ref), auth.username, auth.password) : base).from(ref);
  };
  return Promise.all(
    images.map(async (image) => {
      if (image.plan.tag !== contentTag(image.entry)) {
        throw new ArgumentError("tag", `give no --tag with --images-from: the published images are found by their version, ${contentTag(image.entry)} for ${image.entry.name}`);
      }
      const wanted = publishedReference(registry, image);
      const looked = withAuth(wanted);
      let pinned: string;
      let version: string | null;
      try {
        pinned = await looked.imageRef();
        version = await looked.label(VERSION_LABEL);
      } catch (error) {
        const said = (error as Error).message.split("\n")[0]!;
        const missing = /not found|manifest unknown|name unknown|404/i.test((error as Error).message);
        const hint = missing ? `: publish these sources first (dagger call publish --registry ${registry} --framework ${image.entry.name})` : "";
        throw new ArgumentError("images-from", `${wanted} cannot be pulled (${said})${hint}`);
      }
      if (recorded) {
        const [repository, tag] = [wanted.slice(0, wanted.lastIndexOf(":")), contentTag(image.entry)];
        const digest = recordedDigest(recorded, image.entry.name, repository, tag);
        const now = pinned.slice(pinned.indexOf("@") + 1);
        if (now !== digest) throw new ArgumentError("images-from", `digest mismatch: ${wanted} now names ${now}, but publish pushed ${digest} (--published); the image was replaced after it was published`);
      }
      if (version !== contentTag(image.entry)) {
        throw new ArgumentError("images-from", `${pinned} is not the image these sources build: its ${VERSION_LABEL} label is ${JSON.stringify(version)}, not ${contentTag(image.entry)}`);
      }
      return { ...image, container: withAuth(pinned), pulledFrom: pinned };
    }),
  );
}
