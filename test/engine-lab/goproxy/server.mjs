// The engine lab's Go module proxy: forwards every request to this machine's Go module proxy
// (UPSTREAM), which serves module versions by name but refuses version queries (`@v/list`,
// `@latest`). For the modules in LATEST it answers those queries itself, with the version the
// lab pins (dagger's Go SDK runs `go get <module>` without a version for them; a module without
// tags, such as github.com/dagger/querybuilder, has an empty list and a pseudo-version latest).
// Everything else, and every .info/.mod/.zip, comes from upstream unchanged, so go.sum and the
// checksum database still verify it.
import http from "node:http";

const upstream = process.env.UPSTREAM;
const latest = JSON.parse(process.env.LATEST ?? "{}");
const port = Number(process.env.PORT ?? 8080);
if (!upstream) throw new Error("UPSTREAM (the Go module proxy to forward to) is not set");

const decode = (escaped) => escaped.replace(/!([a-z])/g, (_, c) => c.toUpperCase());

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://lab");
    const query = /^\/(.+)\/(@v\/list|@latest)$/.exec(url.pathname);
    const pinned = query ? latest[decode(query[1])] : undefined;
    if (query && pinned) {
      const body = query[2] === "@latest" ? JSON.stringify({ Version: pinned.version, Time: pinned.time }) : "";
      res.writeHead(200, { "content-type": query[2] === "@latest" ? "application/json" : "text/plain" }).end(body);
      console.log(`${req.method} ${url.pathname} -> lab: ${body || "(no tags)"}`);
      return;
    }
    try {
      const answer = await fetch(`${upstream}${url.pathname}`, { method: req.method, redirect: "follow" });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" });
      res.end(Buffer.from(await answer.arrayBuffer()));
      if (answer.status >= 400) console.log(`${req.method} ${url.pathname} -> upstream ${answer.status}`);
    } catch (error) {
      res.writeHead(502).end(`lab go proxy: ${error.message}\n`);
      console.log(`${req.method} ${url.pathname} -> ${error.message}`);
    }
  })
  .listen(port, () => console.log(`lab go proxy on :${port}, forwarding to the machine's Go proxy`));
