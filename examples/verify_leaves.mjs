// Recompute the RFC 6962 leaf hash of every event a Pledger server serves, in plain JavaScript,
// and compare it with the `leaf_hash` the server sent (docs/ledger.md, "Leaves").
//
//   node examples/verify_leaves.mjs http://127.0.0.1:8080
//
// Node 20, no packages. Prints "N of N leaves recomputed" and exits 0 only when all match.
import { createHash } from "node:crypto";

// RFC 8785 (JCS): keys sorted by UTF-16 code units (what Array.prototype.sort compares), no
// white space, and JSON.stringify's numbers and strings, which are ECMAScript's, as JCS wants.
export function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

export function leafHash(event) {
  const doc = { ...event };
  delete doc.leaf_hash; // the one key the API adds to the canonical document
  const bytes = Buffer.from(canonical(doc), "utf8");
  return createHash("sha256").update(Buffer.from([0])).update(bytes).digest("hex");
}

async function main(base) {
  const headers = process.env.PLEDGER_TOKEN
    ? { Authorization: `Bearer ${process.env.PLEDGER_TOKEN}` }
    : {};
  let after = 0;
  let checked = 0;
  const mismatches = [];
  for (;;) {
    const response = await fetch(`${base}/v1/events?after=${after}&limit=1000`, { headers });
    if (!response.ok) throw new Error(`GET /v1/events: ${response.status} ${await response.text()}`);
    const { events } = await response.json();
    if (events.length === 0) break;
    for (const event of events) {
      checked += 1;
      const mine = leafHash(event);
      if (mine !== event.leaf_hash) {
        mismatches.push(`position ${event.position} (${event.stream_id} v${event.version}):` +
          ` server ${event.leaf_hash}, recomputed ${mine}`);
      }
    }
    after = events[events.length - 1].position;
  }
  for (const line of mismatches) console.error(line);
  console.log(`${checked - mismatches.length} of ${checked} leaves recomputed`);
  return checked > 0 && mismatches.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = (process.argv[2] ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  main(base).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`verify_leaves: ${error.message}`);
      process.exit(2);
    },
  );
}
