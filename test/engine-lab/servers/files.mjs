// The engine lab's file server: the files under ROOT, read-only over HTTP, for the binaries a
// run downloads (kind, kubectl), which a mirror file names with their sha256.
//   ROOT=/srv/files PORT=8082 node files.mjs   ->   http://host:8082/<path>
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import { join, normalize } from "node:path";

const root = process.env.ROOT;
const port = Number(process.env.PORT ?? 8082);
if (!root) throw new Error("ROOT (the folder to serve) is not set");

http
  .createServer((req, res) => {
    let path = "";
    let file = "";
    let size;
    try {
      path = normalize(decodeURIComponent(new URL(req.url, "http://lab").pathname));
      file = join(root, path);
      const stat = statSync(file);
      if (!stat.isFile() || !file.startsWith(root)) throw new Error("not a file");
      size = stat.size;
    } catch {
      res.writeHead(404).end("not found\n");
      console.log(`${req.method} ${path} -> 404`);
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
    console.log(`${req.method} ${path} -> ${size} bytes`);
  })
  .listen(port, () => console.log(`lab file server on :${port}, serving ${root}`));
