// The names an image archive carries, so that `kind load image-archive` (containerd's
// importer) and `docker load` give the image its full reference. The module sets them with
// Dagger's withAnnotation; the lab writes them into the archives it makes.

/** containerd's importer names an image by this; without it Kind imports an anonymous `import-<date>` image. */
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";
const OCI_REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

export function archiveAnnotations(name: { reference: string; tag: string }): Record<string, string> {
  return { [CONTAINERD_NAME_ANNOTATION]: name.reference, [OCI_REF_NAME_ANNOTATION]: name.tag };
}
