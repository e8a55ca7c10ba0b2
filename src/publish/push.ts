// Pushes planned images with Dagger: the manifest annotations on the built container, the
// caller's credentials as a Secret (never in a layer, never printed), one push per tag.
// Frameworks go one after another and the first failure stops the rest, so a wrong password
// or an unknown registry fails on the first push, with nothing pushed.
import type { Container, Secret } from "@dagger.io/dagger";
import type { PublishPlan } from "./plan.js";

export interface RegistryAuth {
  username: string;
  password: Secret;
}

/** The registry host a repository is on, as withRegistryAuth wants it. */
export const registryHost = (repository: string) => repository.split("/")[0]!;

/** Pushes each plan's image under every tag; returns the references with their digests. */
export async function pushImages(images: { plan: PublishPlan; container: Container }[], auth?: RegistryAuth): Promise<{ framework: string; references: string[] }[]> {
  const pushed: { framework: string; references: string[] }[] = [];
  for (const { plan, container } of images) {
    let annotated = Object.entries(plan.annotations).reduce((c, [key, value]) => c.withAnnotation(key, value), container);
    if (auth) annotated = annotated.withRegistryAuth(registryHost(plan.repository), auth.username, auth.password);
    const references: string[] = [];
    for (const tag of plan.tags) {
      const target = `${plan.repository}:${tag}`;
      try {
        references.push(await annotated.publish(target));
      } catch (error) {
        const done = pushed.flatMap((p) => p.references).concat(references);
        throw new Error(`publish ${plan.framework} to ${target} failed: ${(error as Error).message}${done.length > 0 ? `; already pushed: ${done.join(", ")}` : "; nothing was pushed"}`);
      }
    }
    pushed.push({ framework: plan.framework, references });
  }
  return pushed;
}
