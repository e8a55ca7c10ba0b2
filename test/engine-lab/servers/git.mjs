// The engine lab's git server: the bare repositories under ROOT served over git's smart HTTP
// protocol by git's own `git http-backend` (CGI), read-only, so `dag.git(...)` fetches them
// with tags exactly as the repositories hold them (annotated tags included).
//   ROOT=/srv/git PORT=8081 node git.mjs   ->   http://host:8081/<owner>/<name>.git
import { spawn } from "node:child_process";
import http from "node:http";

const root = process.env.ROOT;
const port = Number(process.env.PORT ?? 8081);
if (!root) throw new Error("ROOT (the folder of bare repositories) is not set");

http
  .createServer((req, res) => {
    const url = new URL(req.url, "http://lab");
    // Fetching only: upload-pack (clone, fetch, ls-remote), never receive-pack (push).
    if (url.pathname.endsWith("/git-receive-pack") || url.searchParams.get("service") === "git-receive-pack") {
      res.writeHead(403).end("read-only\n");
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        CONTENT_LENGTH: req.headers["content-length"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        REMOTE_ADDR: req.socket.remoteAddress ?? "",
        PATH: process.env.PATH ?? "/usr/bin:/bin",
      },
    });
    // A client that hangs up, or git missing, ends this request only, never the server.
    cgi.on("error", (error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(`git http-backend: ${error.message}\n`);
    });
    cgi.stdin.on("error", () => {});
    req.pipe(cgi.stdin);
    // CGI output: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let sent = false;
    cgi.stdout.on("data", (chunk) => {
      if (sent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const headers = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const colon = line.indexOf(":");
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
      sent = true;
    });
    cgi.stderr.on("data", (d) => process.stderr.write(d));
    cgi.on("close", (code) => {
      if (!sent) res.writeHead(500).end(`git http-backend exited ${code}\n`);
      else res.end();
      console.log(`${req.method} ${url.pathname}${url.search} -> ${sent ? "served" : `failed (${code})`}`);
    });
  })
  .listen(port, () => console.log(`lab git server on :${port}, serving ${root}`));
