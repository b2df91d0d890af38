// tsdav (the CardDAV/CalDAV client of many JavaScript apps) against a
// contactd: discovery, listing, create, update and delete of cards, and a
// sync by sync-collection that sees the changes made through the REST API.
// Run with node from a directory where tsdav is installed:
//   node tsdav.mjs http://127.0.0.1:8080 cdt_…
import assert from "node:assert/strict";
import { createDAVClient } from "tsdav";

const [base, token] = process.argv.slice(2);
const api = async (method, path, body) => {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

const client = await createDAVClient({
  serverUrl: base,
  credentials: { username: "tsdav", password: token },
  authMethod: "Basic",
  defaultAccountType: "carddav",
});

const books = await client.fetchAddressBooks();
assert.equal(books.length, 1, "one address book");
const book = books[0];
assert.match(book.url, /\/dav\/addressbooks\/contacts\/$/);
assert.ok(book.syncToken, "the book has a sync token");

const ada = await api("POST", "/v1/contacts", { firstName: "Ada", lastName: "Tsdav", emails: [{ address: "ada.tsdav@example.com" }] });
let cards = await client.fetchVCards({ addressBook: book });
assert.ok(cards.some((c) => c.data.includes("FN:Ada Tsdav")), "the API's contact is a card");

// A card tsdav writes, read back through the API.
const res = await client.createVCard({
  addressBook: book,
  filename: "tsdav-1.vcf",
  vCardString: "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:tsdav-1\r\nFN:Bea Tsdav\r\nN:Tsdav;Bea;;;\r\nEMAIL:bea.tsdav@example.com\r\nX-TSDAV:kept\r\nEND:VCARD\r\n",
});
assert.equal(res.status, 201, "create");
const found = await api("GET", "/v1/contacts/by-email/bea.tsdav%40example.com");
assert.equal(found.source, "carddav");

// Sync from the book's token: a change through the API, a deletion, and
// tsdav's own update are all reported.
// (tsdav fetches what a sync reports changed with the collection's multiget.)
const multiGet = (params) => client.addressBookMultiGet(params);
const before = { ...book, objectMultiGet: multiGet, objects: await client.fetchVCards({ addressBook: book }) };
await api("PATCH", `/v1/contacts/${ada.id}`, { jobTitle: "Countess" });
cards = await client.fetchVCards({ addressBook: book });
const bea = cards.find((c) => c.url.endsWith("/tsdav-1.vcf"));
assert.ok(bea.data.includes("X-TSDAV:kept"), "the card's own property came back");
const upd = await client.updateVCard({ vCard: { ...bea, data: bea.data.replace("FN:Bea Tsdav", "FN:Bea Tsdav\r\nTITLE:Engineer") } });
assert.equal(upd.status, 204, "update with If-Match");
const stale = await client.updateVCard({ vCard: bea });
assert.equal(stale.status, 412, "an update with the old ETag");

const synced = await client.smartCollectionSync({ collection: before, method: "webdav", detailedResult: true });
const urls = (list) => list.map((o) => o.url.replace(/^.*\//, ""));
assert.ok(urls(synced.objects.updated).includes(`${ada.id}.vcf`), `the API's edit is reported: ${JSON.stringify(urls(synced.objects.updated))}`);
assert.ok(urls(synced.objects.updated).includes("tsdav-1.vcf"), "tsdav's own update is reported");
assert.notEqual(synced.syncToken, book.syncToken, "the token moved");

const known = await client.fetchVCards({ addressBook: book });
const del = await client.deleteVCard({ vCard: known.find((c) => c.url.endsWith("/tsdav-1.vcf")) });
assert.equal(del.status, 204, "delete");
const after = await client.smartCollectionSync({
  collection: { ...book, syncToken: synced.syncToken, objectMultiGet: multiGet, objects: known },
  method: "webdav",
  detailedResult: true,
});
assert.ok(urls(after.objects.deleted).includes("tsdav-1.vcf"), `the deletion is reported: ${JSON.stringify(after.objects)}`);

// A token contactd does not know is refused, so a client starts afresh.
let refused = false;
try {
  const r = await client.syncCollection({ url: book.url, props: { "d:getetag": {} }, syncLevel: 1, syncToken: "urn:contactd:sync:unknown:1" });
  refused = r.length === 0 || r.some((x) => x.status === 403);
} catch {
  refused = true;
}
assert.ok(refused, "an unknown sync token is refused");
console.log("tsdav: discovery, cards, conditional writes and sync-collection passed");
