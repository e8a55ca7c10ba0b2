// Pinned Python requirements: every line is `name==version` (extras and markers allowed),
// so the version tested locally is the version the image installs.

export interface Requirement {
  name: string;
  version: string;
  line: number;
}

const PINNED = /^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[A-Za-z0-9._,\s-]+\])?\s*==\s*(?<version>[A-Za-z0-9.+!_-]+)\s*(?:;.*)?$/;

/** Parses requirements text; returns pinned requirements or problems, each naming its line. */
export function parseRequirements(text: string): { requirements: Requirement[]; problems: string[] } {
  const requirements: Requirement[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/(^|\s)#.*$/, "").trim();
    if (content === "") return;
    if (content.startsWith("-")) {
      problems.push(`line ${line}: "${content}": pip options are not allowed here; set pipIndexUrl or pipExtraIndexUrls in framework.yaml`);
      return;
    }
    const match = PINNED.exec(content);
    if (!match?.groups || match.groups.version!.includes("*")) {
      const name = /^[A-Za-z0-9._-]+/.exec(content)?.[0] ?? "package";
      problems.push(`line ${line}: "${content}" is not pinned: use an exact version, e.g. "${name}==1.2.3"`);
      return;
    }
    requirements.push({ name: match.groups.name!.toLowerCase().replace(/[._-]+/g, "-"), version: match.groups.version!, line });
  });
  const seen = new Map<string, number>();
  for (const r of requirements) {
    const first = seen.get(r.name);
    if (first !== undefined) problems.push(`line ${r.line}: "${r.name}" is already pinned on line ${first}`);
    else seen.set(r.name, r.line);
  }
  if (requirements.length === 0 && problems.length === 0) problems.push("no requirements: pin at least the framework itself");
  return { requirements, problems };
}
