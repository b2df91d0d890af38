// The TypeScript client against a live contactd (CONTACTD_URL and
// CONTACTD_TOKEN, an all-scope token of an empty tenant: .ci/run starts
// one), and its retries against a scripted server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac, randomBytes } from "node:crypto";
import { Client, ContactdError, verifyWebhook } from "../dist/index.js";

const url = process.env.CONTACTD_URL;
const token = process.env.CONTACTD_TOKEN;
const live = { skip: !url || !token ? "CONTACTD_URL and CONTACTD_TOKEN name no server" : false };
const run = Date.now().toString(36);

test("contacts: create, read, patch, look up, list, delete", live, async () => {
  const cl = new Client({ baseUrl: url, token });
  const ada = await cl.contacts.create({ firstName: "Ada", lastName: `Lovelace${run}`, email: `ada.${run}@example.com`, phone: "+1 415 555 0100", tags: ["vip"] });
  assert.equal(ada.version, 1);
  assert.equal(ada.phones[0].e164, "+14155550100");
  assert.equal((await cl.contacts.get(ada.id)).id, ada.id);
  assert.equal((await cl.contacts.getByEmail(`ADA.${run}@example.com`)).id, ada.id);

  const changed = await cl.contacts.update(ada.id, { jobTitle: "Analyst" }, { ifMatch: ada.version });
  assert.equal(changed.jobTitle, "Analyst");
  await assert.rejects(cl.contacts.update(ada.id, { jobTitle: "x" }, { ifMatch: 1 }), (e) => e instanceof ContactdError && e.status === 412);

  const res = await cl.contacts.lookup({ phone: "(415) 555-0100" });
  assert.ok(res.data.some((c) => c.id === ada.id));

  const { contact: grace, created } = await cl.contacts.upsert(`crm-${run}`, { firstName: "Grace", lastName: `Hopper${run}` });
  assert.ok(created);
  const again = await cl.contacts.upsert(`crm-${run}`, { firstName: "Grace", lastName: `Hopper${run}`, company: "Navy" });
  assert.equal(again.created, false);
  assert.equal(again.contact.id, grace.id);

  const seen = [];
  for await (const c of cl.contacts.all({ filter: { lastName: { $in: [`Lovelace${run}`, `Hopper${run}`] } }, sort: "lastName", limit: 1 })) {
    seen.push(c.lastName);
  }
  assert.deepEqual(seen, [`Hopper${run}`, `Lovelace${run}`]);

  const history = [];
  for await (const ch of cl.contacts.history(ada.id)) history.push(ch.type);
  assert.deepEqual(history, ["created", "updated"]);

  const results = await cl.contacts.batch([{ op: "create", contact: { firstName: `Batched${run}` } }, { op: "delete", id: "ct_01nosuchcontact000000000000" }]);
  assert.equal(results[0].status, "created");
  assert.equal(results[1].status, "error");

  await cl.contacts.delete(grace.id);
  await assert.rejects(cl.contacts.get(grace.id), (e) => e instanceof ContactdError && e.status === 404);
});

test("problems name the field and the conflicting contact", live, async () => {
  const cl = new Client({ baseUrl: url, token });
  const a = await cl.contacts.create({ firstName: "Taken", email: `taken.${run}@example.com` });
  await assert.rejects(cl.contacts.create({ firstName: "Other", email: `taken.${run}@example.com` }), (e) => {
    assert.ok(e instanceof ContactdError);
    assert.equal(e.status, 409);
    assert.equal(e.conflictingId, a.id);
    assert.equal(e.conflictingField, "email");
    return true;
  });
  await assert.rejects(cl.contacts.create({ firstName: "Bad", emails: [{ address: "nope" }] }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.errors[0].location, "body.emails[0].address");
    return true;
  });
});

test("tags, segments, the change feed, imports", live, async () => {
  const cl = new Client({ baseUrl: url, token });
  const tag = await cl.tags.create({ name: `gold-${run}` });
  assert.equal((await cl.tags.get(tag.id)).name, `gold-${run}`);
  const c = await cl.contacts.create({ firstName: `Member${run}`, tags: [`gold-${run}`] });
  const seg = await cl.segments.create({ name: `Gold ${run}`, filter: { tags: `gold-${run}` } });
  const members = [];
  for await (const m of cl.segments.contacts(seg.id)) members.push(m.id);
  assert.deepEqual(members, [c.id]);

  const first = await cl.changes.list({ limit: 1 });
  assert.equal(first.data.length, 1);
  assert.ok(first.nextCursor);
  const ctl = new AbortController();
  let n = 0;
  for await (const ch of cl.changes.follow({ cursor: first.nextCursor, waitSeconds: 1, signal: ctl.signal })) {
    assert.ok(ch.seq > first.data[0].seq);
    if (++n === 2) break;
  }

  const job = await cl.imports.upload(`First Name,Last Name\nImported,${run}\n`, { format: "csv" });
  const done = await cl.imports.wait(job.id, 50);
  assert.equal(done.status, "succeeded");
  assert.equal(done.created, 1);
});

test("webhooks: the signature of a real delivery verifies", live, async () => {
  const cl = new Client({ baseUrl: url, token });
  let resolveGot;
  const got = new Promise((r) => (resolveGot = r));
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => {
      res.end();
      resolveGot({ headers: req.headers, body: Buffer.concat(chunks) });
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  try {
    const { webhook, secret } = await cl.webhooks.create({ url: `http://127.0.0.1:${receiver.address().port}/hook`, events: ["contact.created"] });
    await cl.webhooks.test(webhook.id);
    const { headers, body } = await got;
    assert.ok(await verifyWebhook(secret, headers, body));
    assert.equal(await verifyWebhook(secret, headers, Buffer.concat([body, Buffer.from(" ")])), false);
    assert.equal(JSON.parse(body.toString()).type, "webhook.ping");
    await cl.webhooks.delete(webhook.id);
  } finally {
    receiver.close();
  }
});

// A server that answers each request with the next of its answers.
async function scripted(answers) {
  const requests = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => {
      requests.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const [status, headers, body] = answers[Math.min(requests.length - 1, answers.length - 1)];
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(body);
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}`, requests, close: () => srv.close() };
}

const problem = (status) => JSON.stringify({ type: "https://contactd.dev/problems/x", title: "x", status, detail: "try later" });

test("429 and 503 are retried after Retry-After, with one idempotency key", async () => {
  const s = await scripted([[429, { "Retry-After": "0" }, problem(429)], [503, { "Retry-After": "0" }, problem(503)], [201, {}, '{"id":"ct_1","version":1}']]);
  try {
    const cl = new Client({ baseUrl: s.url, token: "t", maxRetryWaitMs: 20 });
    const c = await cl.contacts.create({ firstName: "Ada" });
    assert.equal(c.id, "ct_1");
    assert.equal(s.requests.length, 3);
    const keys = new Set(s.requests.map((r) => r.headers["idempotency-key"]));
    assert.equal(keys.size, 1);
    assert.ok([...keys][0]);
  } finally {
    s.close();
  }
});

test("an unconditional PATCH is not retried on 503; past maxRetries the problem is thrown", async () => {
  const s = await scripted([[503, { "Retry-After": "0" }, problem(503)]]);
  try {
    const cl = new Client({ baseUrl: s.url, token: "t", maxRetries: 2, maxRetryWaitMs: 5 });
    await assert.rejects(cl.contacts.update("ct_1", { jobTitle: "x" }), (e) => e.status === 503 && e.detail === "try later");
    assert.equal(s.requests.length, 1);
    await assert.rejects(cl.contacts.get("ct_1"), (e) => e.status === 503);
    assert.equal(s.requests.length, 1 + 3);
    await assert.rejects(cl.contacts.update("ct_1", { jobTitle: "x" }, { ifMatch: 2 }), (e) => e.status === 503);
    assert.equal(s.requests.length, 4 + 3);
    assert.equal(s.requests.at(-1).headers["if-match"], '"2"');
  } finally {
    s.close();
  }
});

test("verifyWebhook refuses another secret, an old timestamp, a changed body", async () => {
  const secret = "whsec_" + randomBytes(32).toString("base64");
  const body = '{"type":"contact.created"}';
  const sign = (secret, ts, body) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    const sig = createHmac("sha256", key).update(`msg_1.${ts}.${body}`).digest("base64");
    return { "webhook-id": "msg_1", "webhook-timestamp": String(ts), "webhook-signature": `v1,${sig}` };
  };
  const now = Math.floor(Date.now() / 1000);
  assert.ok(await verifyWebhook(secret, sign(secret, now, body), body));
  assert.ok(await verifyWebhook(secret, new Headers(sign(secret, now, body)), new TextEncoder().encode(body)));
  assert.equal(await verifyWebhook(secret, sign("whsec_" + randomBytes(32).toString("base64"), now, body), body), false);
  assert.equal(await verifyWebhook(secret, sign(secret, now - 3600, body), body), false);
  assert.equal(await verifyWebhook(secret, sign(secret, now, body), body + " "), false);
  assert.equal(await verifyWebhook(secret, {}, body), false);
});
