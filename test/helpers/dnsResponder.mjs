// A DNS responder on 127.0.0.1:53 that answers like a cluster's CoreDNS for one Service:
// an A record for <name>.<zone>, no data for its other record types, NXDOMAIN for every
// other name (the search-domain expansions a pod tries). It runs only inside a network
// namespace the test creates, and exits after --lifetime-ms.
//   node dnsResponder.mjs --name N --zone Z --address A [--resolve-after-ms MS] [--lifetime-ms MS]
import { createSocket } from "node:dgram";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    zone: { type: "string" },
    address: { type: "string" },
    "resolve-after-ms": { type: "string", default: "0" },
    "lifetime-ms": { type: "string", default: "120000" },
  },
});
const fqdn = `${values.name}.${values.zone}`.toLowerCase();
const address = values.address.split(".").map(Number);
const resolvableAt = Date.now() + Number(values["resolve-after-ms"]);
const TYPE_A = 1;
const TYPE_SOA = 6;
const NXDOMAIN = 3;

function readName(msg, offset) {
  const labels = [];
  while (msg[offset] !== 0) {
    const length = msg[offset];
    labels.push(msg.subarray(offset + 1, offset + 1 + length).toString("ascii"));
    offset += length + 1;
  }
  return { name: labels.join(".").toLowerCase(), end: offset + 1 };
}

function encodeName(name) {
  const parts = name.split(".").filter((p) => p !== "");
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "ascii")])), Buffer.from([0])]);
}

function record(name, type, ttl, data) {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2); // IN
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(name), head, data]);
}

function soa(zone) {
  const numbers = Buffer.alloc(20);
  [1, 7200, 1800, 86400, 30].forEach((n, i) => numbers.writeUInt32BE(n, i * 4));
  return record(zone, TYPE_SOA, 30, Buffer.concat([encodeName(`ns.dns.${zone}`), encodeName(`hostmaster.${zone}`), numbers]));
}

function answer(query) {
  const { name, end } = readName(query, 12);
  const type = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const exists = name === fqdn && Date.now() >= resolvableAt;
  const answers = exists && type === TYPE_A ? [record(name, TYPE_A, 30, Buffer.from(address))] : [];
  const authority = answers.length === 0 ? [soa(values.zone)] : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (exists ? 0 : NXDOMAIN), 2); // QR AA RD RA rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authority.length, 8);
  header.writeUInt16BE(0, 10);
  return Buffer.concat([header, question, ...answers, ...authority]);
}

const socket = createSocket("udp4");
socket.on("message", (msg, peer) => {
  try {
    socket.send(answer(msg), peer.port, peer.address);
  } catch (error) {
    console.error(`dnsResponder: bad query: ${error.message}`);
  }
});
socket.bind(53, "127.0.0.1", () => console.log("dnsResponder: listening on 127.0.0.1:53"));
setTimeout(() => process.exit(0), Number(values["lifetime-ms"])).unref();
