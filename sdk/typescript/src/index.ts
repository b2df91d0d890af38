// A TypeScript client of the contactd API.
//
// Its types are generated from the server's OpenAPI document
// (src/schema.d.ts, by openapi-typescript); the client is a thin layer on
// fetch: async iterators over pages, a typed problem error, retries of 429
// and 503 after Retry-After, an Idempotency-Key on every POST, and webhook
// signature verification. It has no runtime dependency.

import type { components, paths } from "./schema.js";

export type { components, paths };
type Schemas = components["schemas"];
export type Contact = Schemas["Contact"];
export type ContactWrite = Schemas["ContactWrite"];
export type ContactPatch = Schemas["ContactPatch"];
export type Phone = Schemas["Phone"];
export type Email = Schemas["Email"];
export type Address = Schemas["Address"];
export type Account = Schemas["Account"];
export type Tag = Schemas["Tag"];
export type Segment = Schemas["Segment"];
export type Change = Schemas["Change"];
export type LookupResult = Schemas["LookupResult"];
export type BatchOperation = Schemas["BatchOperation"];
export type BatchResult = Schemas["BatchResult"];
export type Import = Schemas["Import"];
export type Webhook = Schemas["Webhook"];
export type WebhookPayload = Schemas["WebhookPayload"];
export type Tenant = Schemas["Tenant"];
export type DuplicateGroup = Schemas["DuplicateGroup"];
export type MergeResult = Schemas["MergeResult"];
export type FieldError = Schemas["FieldError"];

/** A page of a list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  limit: number;
  total?: number;
  totalIsLowerBound?: boolean;
}

/** An error the server answered: its RFC 9457 problem document. */
export class ContactdError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly conflictingId?: string;
  readonly conflictingField?: string;
  /** The wait the server asked for (429, 503), in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(status: number, problem: Partial<Schemas["Problem"]>, retryAfterMs?: number) {
    const detail = problem.detail ?? problem.title ?? `HTTP ${status}`;
    const fields = (problem.errors ?? []).map((e) => `${e.location}: ${e.message}`).join("; ");
    super(`contactd: ${status}: ${detail}${fields && !detail.includes(fields) ? ` (${fields})` : ""}`);
    this.name = "ContactdError";
    this.status = status;
    this.type = problem.type ?? "about:blank";
    this.title = problem.title ?? "";
    this.detail = problem.detail ?? "";
    this.errors = problem.errors ?? [];
    this.conflictingId = problem.conflictingId;
    this.conflictingField = problem.conflictingField;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ClientOptions {
  /** The server, such as http://127.0.0.1:8080. */
  baseUrl: string;
  /** A token of the tenant (cdt_…). */
  token: string;
  /** The fetch to use (the global one by default). */
  fetch?: typeof fetch;
  /** How many times a request is retried (default 3). */
  maxRetries?: number;
  /** The longest wait before a retry, in milliseconds (default 30,000). */
  maxRetryWaitMs?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Makes a write conditional on the ETag (a contact's version); also makes it safe to retry. */
  ifMatch?: string | number;
  /** The Idempotency-Key of a POST (generated otherwise). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** What selects and orders a list. */
export interface ListOptions {
  /** A filter document, as an object or JSON text. */
  filter?: Record<string, unknown> | string;
  q?: string;
  sort?: string;
  limit?: number;
  cursor?: string;
  fields?: string[];
  expand?: string[];
  includeDeleted?: boolean;
  count?: boolean;
  signal?: AbortSignal;
}

type Query = Record<string, string | number | boolean | undefined>;

interface Call {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  raw?: { data: BodyInit; contentType: string };
  options?: RequestOptions;
  accept?: string;
}

/** A client of one server with one token. */
export class Client {
  readonly contacts: Contacts;
  readonly tags: Resource<Tag>;
  readonly accounts: Accounts;
  readonly segments: Segments;
  readonly changes: Changes;
  readonly webhooks: Webhooks;
  readonly imports: Imports;
  readonly tenant: TenantResource;
  readonly duplicates: Duplicates;
  readonly directory: Directory;
  private readonly base: string;
  private readonly opts: Required<Omit<ClientOptions, "baseUrl" | "token">> & { token: string };

  constructor(options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.opts = {
      token: options.token,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      maxRetries: options.maxRetries ?? 3,
      maxRetryWaitMs: options.maxRetryWaitMs ?? 30_000,
    };
    this.contacts = new Contacts(this);
    this.tags = new Resource<Tag>(this, "/v1/tags");
    this.accounts = new Accounts(this, "/v1/accounts");
    this.segments = new Segments(this, "/v1/segments");
    this.changes = new Changes(this);
    this.webhooks = new Webhooks(this, "/v1/webhooks");
    this.imports = new Imports(this);
    this.tenant = new TenantResource(this);
    this.duplicates = new Duplicates(this);
    this.directory = new Directory(this);
  }

  /** Sends a request and decodes its JSON answer (undefined for 204). */
  async request<T>(call: Call): Promise<T> {
    const res = await this.send(call);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request, retrying as documented, and answers a 2xx Response. */
  async send(call: Call): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.opts.token}`,
      Accept: call.accept ?? "application/json",
    };
    let body: BodyInit | undefined;
    if (call.raw) {
      body = call.raw.data;
      headers["Content-Type"] = call.raw.contentType;
    } else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["Content-Type"] = "application/json";
    }
    const o = call.options ?? {};
    if (o.ifMatch !== undefined) {
      headers["If-Match"] = typeof o.ifMatch === "number" || !o.ifMatch.startsWith('"') ? `"${o.ifMatch}"` : o.ifMatch;
    }
    if (call.method === "POST") headers["Idempotency-Key"] = o.idempotencyKey ?? newKey();
    const repeatable =
      ["GET", "HEAD", "PUT", "DELETE", "POST"].includes(call.method) || headers["If-Match"] !== undefined;
    const url = this.base + call.path + queryString(call.query);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.opts.fetch(url, { method: call.method, headers, body, signal: o.signal });
      } catch (err) {
        if (o.signal?.aborted || attempt >= this.opts.maxRetries || !repeatable) throw err;
        await sleep(backoff(attempt), o.signal);
        continue;
      }
      if (res.ok) return res;
      const retryAfterMs = parseRetryAfter(res.headers.get("Retry-After"));
      const retry = res.status === 429 || (res.status === 503 && repeatable);
      if (!retry || attempt >= this.opts.maxRetries) {
        let problem: Partial<Schemas["Problem"]> = {};
        try {
          problem = (await res.json()) as Partial<Schemas["Problem"]>;
        } catch {
          problem = { title: res.statusText };
        }
        throw new ContactdError(res.status, problem, retryAfterMs);
      }
      await res.body?.cancel();
      await sleep(Math.min(retryAfterMs ?? backoff(attempt), this.opts.maxRetryWaitMs), o.signal);
    }
  }

  /** Iterates over every item of a list, page after page. */
  async *pages<T>(path: string, options: ListOptions = {}, extra: Query = {}): AsyncGenerator<T, void, undefined> {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.request<Page<T>>({ method: "GET", path, query: { ...listQuery({ ...options, cursor }), ...extra }, options: { signal: options.signal } });
      for (const item of page.data) yield item;
      if (!page.nextCursor || page.data.length === 0) return;
      cursor = page.nextCursor;
    }
  }
}

/** A resource with the usual list, create, get, update and delete. */
class Resource<T, Created = T> {
  constructor(protected readonly c: Client, protected readonly path: string) {}
  list(options: ListOptions = {}): Promise<Page<T>> {
    return this.c.request({ method: "GET", path: this.path, query: listQuery(options) });
  }
  all(options: ListOptions = {}): AsyncGenerator<T> {
    return this.c.pages<T>(this.path, options);
  }
  create(body: Partial<T> | Record<string, unknown>, options?: RequestOptions): Promise<Created> {
    return this.c.request({ method: "POST", path: this.path, body, options });
  }
  get(id: string): Promise<T> {
    return this.c.request({ method: "GET", path: `${this.path}/${enc(id)}` });
  }
  update(id: string, patch: Record<string, unknown>, options?: RequestOptions): Promise<T> {
    return this.c.request({ method: "PATCH", path: `${this.path}/${enc(id)}`, body: patch, options });
  }
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.c.request({ method: "DELETE", path: `${this.path}/${enc(id)}`, options });
  }
}

/** Who is calling: one of phone, email, externalId and extension. */
export interface LookupQuery {
  phone?: string;
  email?: string;
  externalId?: string;
  extension?: string;
  pbx?: string;
  region?: string;
}

class Contacts extends Resource<Contact> {
  constructor(c: Client) {
    super(c, "/v1/contacts");
  }
  override create(body: ContactWrite, options?: RequestOptions): Promise<Contact> {
    return super.create(body as Record<string, unknown>, options);
  }
  override update(id: string, patch: ContactPatch, options?: RequestOptions): Promise<Contact> {
    return super.update(id, patch as Record<string, unknown>, options);
  }
  getByEmail(email: string): Promise<Contact> {
    return this.c.request({ method: "GET", path: `/v1/contacts/by-email/${enc(email)}` });
  }
  getByExternalId(externalId: string): Promise<Contact> {
    return this.c.request({ method: "GET", path: `/v1/contacts/by-external-id/${enc(externalId)}` });
  }
  /** Creates or replaces the contact with an external id; created says which. */
  async upsert(externalId: string, body: ContactWrite, options?: RequestOptions): Promise<{ contact: Contact; created: boolean }> {
    const res = await this.c.send({ method: "PUT", path: `/v1/contacts/by-external-id/${enc(externalId)}`, body, options });
    return { contact: (await res.json()) as Contact, created: res.status === 201 };
  }
  /** Erases a contact and its history (contacts:admin). */
  erase(id: string, options?: RequestOptions): Promise<void> {
    return this.c.request({ method: "DELETE", path: `/v1/contacts/${enc(id)}`, query: { permanent: true }, options });
  }
  restore(id: string, options?: RequestOptions): Promise<Contact> {
    return this.c.request({ method: "POST", path: `/v1/contacts/${enc(id)}/restore`, options });
  }
  lookup(q: LookupQuery): Promise<LookupResult> {
    return this.c.request({ method: "GET", path: "/v1/contacts/lookup", query: { ...q } });
  }
  history(id: string, options: ListOptions = {}): AsyncGenerator<Change> {
    return this.c.pages<Change>(`/v1/contacts/${enc(id)}/history`, options);
  }
  block(id: string, reason?: string, options?: RequestOptions): Promise<Contact> {
    return this.c.request({ method: "POST", path: `/v1/contacts/${enc(id)}/block`, body: reason ? { reason } : undefined, options });
  }
  unblock(id: string, options?: RequestOptions): Promise<Contact> {
    return this.c.request({ method: "DELETE", path: `/v1/contacts/${enc(id)}/block`, options });
  }
  async batch(operations: BatchOperation[], atomic = false, options?: RequestOptions): Promise<BatchResult[]> {
    const out = await this.c.request<{ results: BatchResult[] }>({
      method: "POST", path: "/v1/contacts/batch", query: { atomic: atomic || undefined }, body: { operations }, options,
    });
    return out.results;
  }
  /** Streams an export (ndjson, csv or vcard) of the contacts the options select. */
  async export(options: ListOptions & { format?: "ndjson" | "csv" | "vcard" } = {}): Promise<ReadableStream<Uint8Array>> {
    const { format, ...list } = options;
    const res = await this.c.send({ method: "GET", path: "/v1/contacts/export", query: { ...listQuery(list), format }, accept: "*/*" });
    if (!res.body) throw new Error("contactd: the export has no body");
    return res.body;
  }
}

class Accounts extends Resource<Account> {
  contacts(id: string, options: ListOptions = {}): AsyncGenerator<Contact> {
    return this.c.pages<Contact>(`/v1/accounts/${enc(id)}/contacts`, options);
  }
}

class Segments extends Resource<Segment> {
  contacts(id: string, options: ListOptions = {}): AsyncGenerator<Contact> {
    return this.c.pages<Contact>(`/v1/segments/${enc(id)}/contacts`, options);
  }
  addMembers(id: string, contactIds: string[], options?: RequestOptions): Promise<Segment> {
    return this.c.request({ method: "POST", path: `/v1/segments/${enc(id)}/members`, body: { contactIds }, options });
  }
  removeMembers(id: string, contactIds: string[], options?: RequestOptions): Promise<Segment> {
    return this.c.request({ method: "DELETE", path: `/v1/segments/${enc(id)}/members`, body: { contactIds }, options });
  }
}

/** Webhooks: create answers the subscription and its signing secret, shown once. */
class Webhooks extends Resource<Webhook, { webhook: Webhook; secret: string }> {
  test(id: string): Promise<Schemas["WebhookDelivery"]> {
    return this.c.request({ method: "POST", path: `${this.path}/${enc(id)}/test` });
  }
  deliveries(id: string, options: ListOptions = {}): AsyncGenerator<Schemas["WebhookDelivery"]> {
    return this.c.pages(`${this.path}/${enc(id)}/deliveries`, options);
  }
}

class Changes {
  constructor(private readonly c: Client) {}
  /** One page of the feed; its nextCursor is never null: poll with it. */
  list(options: { cursor?: string; from?: "start" | "now"; limit?: number; waitSeconds?: number; signal?: AbortSignal } = {}): Promise<Page<Change>> {
    return this.c.request({
      method: "GET", path: "/v1/changes",
      query: { cursor: options.cursor, from: options.cursor ? undefined : options.from, limit: options.limit, wait: options.waitSeconds },
      options: { signal: options.signal },
    });
  }
  /** Follows the feed forever, long-polling, until the signal aborts. */
  async *follow(options: { cursor?: string; from?: "start" | "now"; waitSeconds?: number; signal?: AbortSignal } = {}): AsyncGenerator<Change> {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.list({ ...options, cursor, waitSeconds: options.waitSeconds ?? 30 });
      for (const ch of page.data) yield ch;
      cursor = page.nextCursor ?? cursor;
    }
  }
}

class Imports {
  constructor(private readonly c: Client) {}
  /** Uploads a file to import; answers the queued job. */
  upload(
    data: BodyInit,
    options: { format?: "csv" | "vcard" | "ndjson"; mode?: "create" | "upsert"; dryRun?: boolean; charset?: string; mapping?: Record<string, string>; contentType?: string } = {},
  ): Promise<Import> {
    return this.c.request({
      method: "POST", path: "/v1/imports",
      query: { format: options.format, mode: options.mode, dryRun: options.dryRun || undefined, charset: options.charset, mapping: options.mapping && JSON.stringify(options.mapping) },
      raw: { data, contentType: options.contentType ?? "application/octet-stream" },
    });
  }
  get(id: string): Promise<Import> {
    return this.c.request({ method: "GET", path: `/v1/imports/${enc(id)}` });
  }
  /** Polls a job until it ends. */
  async wait(id: string, everyMs = 1000, signal?: AbortSignal): Promise<Import> {
    for (;;) {
      const job = await this.get(id);
      if (job.status === "succeeded" || job.status === "failed" || job.status === "cancelled") return job;
      await sleep(everyMs, signal);
    }
  }
  errors(id: string, options: ListOptions = {}): AsyncGenerator<Schemas["ImportRowError"]> {
    return this.c.pages(`/v1/imports/${enc(id)}/errors`, options);
  }
}

class TenantResource {
  constructor(private readonly c: Client) {}
  get(): Promise<Tenant> {
    return this.c.request({ method: "GET", path: "/v1/tenant" });
  }
  update(patch: Record<string, unknown>): Promise<Tenant> {
    return this.c.request({ method: "PATCH", path: "/v1/tenant", body: patch });
  }
}

class Duplicates {
  constructor(private readonly c: Client) {}
  of(id: string, options: { minScore?: number; reason?: string[] } = {}): Promise<{ data: Schemas["Candidate"][] }> {
    return this.c.request({ method: "GET", path: `/v1/contacts/${enc(id)}/duplicates`, query: { minScore: options.minScore, reason: options.reason?.join(",") } });
  }
  groups(options: { minScore?: number; reason?: string[]; limit?: number } = {}): AsyncGenerator<DuplicateGroup> {
    return this.c.pages<DuplicateGroup>("/v1/contacts/duplicates", { limit: options.limit }, { minScore: options.minScore, reason: options.reason?.join(",") });
  }
  merge(body: Schemas["MergeBody"], options?: RequestOptions): Promise<MergeResult> {
    return this.c.request({ method: "POST", path: "/v1/contacts/merge", body, options });
  }
  unmerge(id: string, force = false): Promise<Contact> {
    return this.c.request({ method: "POST", path: `/v1/contacts/${enc(id)}/unmerge`, query: { force: force || undefined } });
  }
}

class Directory {
  constructor(private readonly c: Client) {}
  all(options: ListOptions & { for?: "phones" | "auto-attendant" } = {}): AsyncGenerator<Contact> {
    const { for: audience, ...list } = options;
    return this.c.pages<Contact>("/v1/directory", list, { for: audience });
  }
}

/**
 * Verifies a webhook contactd sent (Standard Webhooks: webhook-id,
 * webhook-timestamp and webhook-signature, an HMAC-SHA256 of
 * "id.timestamp.body") with the subscription's secret, and that its
 * timestamp is within toleranceSeconds of now. body is the raw body.
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: string | Uint8Array,
  toleranceSeconds = 300,
): Promise<boolean> {
  const get = (name: string): string => {
    if (headers instanceof Headers) return headers.get(name) ?? "";
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(" ") : v ?? "";
  };
  const id = get("webhook-id");
  const ts = get("webhook-timestamp");
  if (!id || !/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > toleranceSeconds) return false;
  const key = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const subtle = globalThis.crypto.subtle;
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const prefix = new TextEncoder().encode(`${id}.${ts}.`);
  const signed = new Uint8Array(prefix.length + bytes.length);
  signed.set(prefix);
  signed.set(bytes, prefix.length);
  const mac = new Uint8Array(await subtle.sign("HMAC", k, signed));
  const want = "v1," + btoa(String.fromCharCode(...mac));
  return get("webhook-signature").split(/\s+/).some((sig) => timingSafeEqual(sig, want));
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function listQuery(o: ListOptions): Query {
  return {
    filter: typeof o.filter === "string" ? o.filter : o.filter && JSON.stringify(o.filter),
    q: o.q, sort: o.sort, limit: o.limit, cursor: o.cursor,
    fields: o.fields?.join(","), expand: o.expand?.join(","),
    includeDeleted: o.includeDeleted || undefined,
    count: o.count === false ? false : undefined,
  };
}

function queryString(q?: Query): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== "") p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

function backoff(attempt: number): number {
  return 500 * 2 ** attempt * (1 + Math.random() / 4);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

function newKey(): string {
  return "cl_" + globalThis.crypto.randomUUID().replaceAll("-", "");
}
