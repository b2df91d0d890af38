package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// served fetches /openapi.json without a token and parses it.
func served(t *testing.T, e *env) (map[string]any, []byte) {
	t.Helper()
	m := mx{e: e, t: t}
	r := m.do("GET /openapi.json", true, "GET", "/openapi.json", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /openapi.json: Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("/openapi.json does not parse: %v", err)
	}
	return doc, r.body
}

// docOp is one operation of the document.
type docOp struct {
	method, path string
	op           map[string]any
}

func operations(t *testing.T, doc map[string]any) []docOp {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("the document has no paths")
	}
	var out []docOp
	for p, item := range paths {
		im, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path item %s is not an object", p)
		}
		for k, v := range im {
			if !slices.Contains(openAPIMethods, k) {
				continue
			}
			op, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s %s is not an object", k, p)
			}
			out = append(out, docOp{method: strings.ToUpper(k), path: p, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// chiParam matches a chi path parameter, with an optional regexp.
var chiParam = regexp.MustCompile(`\{([^{}:]+)(:[^{}]*)?\}`)

// openAPIPath turns a chi route pattern into an OpenAPI path template.
func openAPIPath(pattern string) string {
	return chiParam.ReplaceAllString(pattern, "{$1}")
}

func setDiff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

var templateParam = regexp.MustCompile(`\{([^{}]+)\}`)

func TestOpenAPIDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		doc, _ := served(t, e)
		if v := doc["openapi"]; v != "3.1.0" {
			t.Errorf("openapi is %v, want 3.1.0", v)
		}
		info, _ := doc["info"].(map[string]any)
		if info["title"] == "" || info["title"] == nil || info["version"] != "test" {
			t.Errorf("info %v: want a title and the configured version \"test\"", info)
		}
		ops := operations(t, doc)
		// The outgoing webhook is described, its body a schema with the
		// payload's members.
		hook, _ := doc["webhooks"].(map[string]any)["contactChange"].(map[string]any)["post"].(map[string]any)
		ref, _ := hook["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
		schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
		payload, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		props, _ := payload["properties"].(map[string]any)
		for _, k := range []string{"type", "id", "timestamp", "tenantId", "data"} {
			if props[k] == nil {
				t.Errorf("the webhook payload schema %q lacks %s: %v", ref, k, payload)
			}
		}
		tagList, _ := doc["tags"].([]any)
		if len(tagList) == 0 {
			t.Error("the document lists no tags")
		}
		for _, tg := range tagList {
			m, _ := tg.(map[string]any)
			if d, _ := m["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("tag %v has no description", m["name"])
			}
		}

		// The documented operations are exactly the routes the router
		// serves, and exactly the route table.
		inDoc, inRouter, inTable := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, o := range ops {
			inDoc[o.method+" "+o.path] = true
		}
		err := e.api.WalkRouter(func(method, pattern string) {
			if strings.Contains(pattern, "*") {
				t.Errorf("the router has a wildcard route %s %s that no OpenAPI path describes", method, pattern)
			}
			inRouter[method+" "+openAPIPath(pattern)] = true
		})
		if err != nil {
			t.Fatal(err)
		}
		routes := e.api.RouteList()
		for _, rt := range routes {
			inTable[routeKey(rt)] = true
		}
		if d := setDiff(inRouter, inDoc); d != nil {
			t.Errorf("routes served but not documented: %v", d)
		}
		if d := setDiff(inDoc, inRouter); d != nil {
			t.Errorf("operations documented but not served: %v", d)
		}
		if d := setDiff(inTable, inRouter); d != nil {
			t.Errorf("routes in the table but not in the router: %v", d)
		}
		if len(inRouter) != len(routes) {
			t.Errorf("the router has %d routes, the table %d", len(inRouter), len(routes))
		}

		byKey := map[string]httpapi.RouteInfo{}
		for _, rt := range routes {
			byKey[routeKey(rt)] = rt
		}
		ids := map[string]string{}
		for _, o := range ops {
			key := o.method + " " + o.path
			rt := byKey[key]
			id, _ := o.op["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s has no operationId", key)
			case ids[id] != "":
				t.Errorf("operationId %s is used by %s and %s", id, ids[id], key)
			default:
				ids[id] = key
			}
			if id != rt.ID {
				t.Errorf("%s: operationId %q, want the route table's %q", key, id, rt.ID)
			}
			if s, _ := o.op["summary"].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s has no summary", key)
			}
			if tags, _ := o.op["tags"].([]any); len(tags) == 0 {
				t.Errorf("%s has no tag", key)
			}
			resps, _ := o.op["responses"].(map[string]any)
			has := func(code int) bool { _, ok := resps[strconv.Itoa(code)]; return ok }
			success := 0
			for code, r := range resps {
				if strings.HasPrefix(code, "2") {
					success++
				}
				rm, _ := r.(map[string]any)
				if d, _ := rm["description"].(string); d == "" {
					t.Errorf("%s: response %s has no description", key, code)
				}
				if n, err := strconv.Atoi(code); err == nil && n >= 400 {
					content, _ := rm["content"].(map[string]any)
					if _, ok := content["application/problem+json"]; !ok || len(content) != 1 {
						t.Errorf("%s: error response %s is not documented as application/problem+json", key, code)
					}
				}
			}
			if success == 0 {
				t.Errorf("%s documents no success response", key)
			}
			if rc, ok := matrixCases()[key]; ok && !has(rc.ok) {
				t.Errorf("%s does not document its success status %d", key, rc.ok)
			}

			// Security matches the route's scope; unauthenticated
			// operations override the document's default with [].
			sec, hasSec := o.op["security"].([]any)
			if !hasSec {
				t.Errorf("%s has no security (it would inherit the document's default)", key)
			}
			if rt.Scope == "" {
				if len(sec) != 0 {
					t.Errorf("%s needs no token but documents security %v", key, sec)
				}
			} else {
				want := fmt.Sprintf("[map[bearer:[%s]]]", rt.Scope)
				if rt.BasicAuth {
					want = fmt.Sprintf("[map[bearer:[%s]] map[basic:[]]]", rt.Scope)
				}
				if got := fmt.Sprint(sec); got != want {
					t.Errorf("%s: security %s, want %s", key, got, want)
				}
				for _, code := range []int{400, 401, 403, 500} {
					if !has(code) {
						t.Errorf("%s needs a token but does not document %d", key, code)
					}
				}
				if strings.Contains(o.path, "{") && key != upsertKey && !has(404) {
					t.Errorf("%s addresses an object but does not document 404", key)
				}
				if rt.HasBody {
					for _, code := range []int{413, 415} {
						if !has(code) {
							t.Errorf("%s takes a body but does not document %d", key, code)
						}
					}
				}
			}

			// Path parameters: each template variable is declared,
			// required, and nothing else is declared in the path.
			declared := map[string]bool{}
			params, _ := o.op["parameters"].([]any)
			for _, p := range params {
				pm, _ := p.(map[string]any)
				if pm["in"] == "path" {
					name, _ := pm["name"].(string)
					declared[name] = true
					if pm["required"] != true {
						t.Errorf("%s: path parameter %s is not required", key, name)
					}
				}
			}
			inTemplate := map[string]bool{}
			for _, m := range templateParam.FindAllStringSubmatch(o.path, -1) {
				inTemplate[m[1]] = true
			}
			if d := setDiff(inTemplate, declared); d != nil {
				t.Errorf("%s: path parameters not declared: %v", key, d)
			}
			if d := setDiff(declared, inTemplate); d != nil {
				t.Errorf("%s: declared path parameters not in the path: %v", key, d)
			}
		}
		if len(ids) != len(routes) {
			t.Errorf("%d distinct operationIds for %d routes", len(ids), len(routes))
		}
	})
}

// jsonPointer resolves a JSON pointer ("/components/schemas/Contact") in v.
func jsonPointer(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func TestOpenAPIRefsResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		doc, _ := served(t, e)
		schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
		if len(schemas) == 0 {
			t.Fatal("the document has no component schemas")
		}
		used := map[string]bool{}
		n := 0
		var walk func(v any, at string)
		walk = func(v any, at string) {
			switch c := v.(type) {
			case map[string]any:
				if r, ok := c["$ref"]; ok {
					n++
					ref, _ := r.(string)
					const prefix = "#/components/"
					if !strings.HasPrefix(ref, prefix) {
						t.Errorf("%s: $ref %v does not point into the document's components", at, r)
					} else if target, ok := jsonPointer(doc, ref[1:]); !ok {
						t.Errorf("%s: $ref %s does not resolve", at, ref)
					} else if _, ok := target.(map[string]any); !ok {
						t.Errorf("%s: $ref %s resolves to %T, not a schema object", at, ref, target)
					}
					used[strings.TrimPrefix(ref, "#/components/schemas/")] = true
				}
				for k, x := range c {
					walk(x, at+"/"+k)
				}
			case []any:
				for i, x := range c {
					walk(x, at+"/"+strconv.Itoa(i))
				}
			}
		}
		walk(doc, "#")
		if n == 0 {
			t.Fatal("the document has no $ref at all")
		}
		for name := range schemas {
			if !used[name] {
				t.Errorf("component schema %s is never referenced", name)
			}
		}
	})
}

func TestDocsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		doc, _ := served(t, e)
		m := mx{e: e, t: t}
		r := m.do("GET /docs", true, "GET", "/docs", "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /docs: status %d: %s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET /docs: Content-Type %q, want text/html", ct)
		}
		page := string(r.body)
		if !strings.Contains(page, "<html") || !strings.Contains(page, "</html>") {
			t.Error("/docs is not an HTML document")
		}
		ops := operations(t, doc)
		for _, o := range ops {
			id, _ := o.op["operationId"].(string)
			// Each operation has its own section naming its method,
			// path and summary.
			start := strings.Index(page, `id="`+html.EscapeString(id)+`"`)
			if start < 0 {
				t.Errorf("/docs has no section for %s (%s %s)", id, o.method, o.path)
				continue
			}
			section := page[start:]
			if end := strings.Index(section[1:], `class="op"`); end >= 0 {
				section = section[:end+1]
			}
			for _, want := range []string{html.EscapeString(o.path), o.method, html.EscapeString(o.op["summary"].(string))} {
				if !strings.Contains(section, want) {
					t.Errorf("/docs section of %s does not mention %q", id, want)
				}
			}
		}
		if len(ops) == 0 {
			t.Fatal("no operations")
		}
		// It says how to authenticate, renders the descriptions' code
		// spans, and runs nothing but its own style.
		if !strings.Contains(page, "<code>Authorization: Bearer cdt_…</code>") {
			t.Error("/docs does not say how to authenticate")
		}
		text := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page[strings.Index(page, "<body>"):], "")
		if strings.Contains(text, "`") {
			i := strings.Index(text, "`")
			t.Errorf("/docs shows a literal backtick: …%s…", text[max(0, i-60):min(len(text), i+60)])
		}
		style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
		sum := sha256.Sum256([]byte(style[1]))
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
			t.Errorf("/docs CSP %q does not allow exactly its style", csp)
		}
		if strings.Contains(page, "<script") {
			t.Error("/docs has a script")
		}
		// Every answer carries the security headers.
		api := e.do("GET", "/v1/contacts", e.tokens["A"]["all"], nil)
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"Cache-Control": "private, no-cache", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"} {
			if got := api.header.Get(k); got != v {
				t.Errorf("GET /v1/contacts: %s %q, want %q", k, got, v)
			}
		}
	})
}

// TestOpenAPIDescribesEveryResponse runs every matrix and checks each
// response it observed against the served document: its status is
// documented for the operation, and (with kin-openapi) the request and
// the response validate against the document.
func TestOpenAPIDescribesEveryResponse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		obs := &observer{}
		t.Run("exercise", func(t *testing.T) {
			for name, run := range map[string]func(*testing.T, *env, *observer){
				"scope": runScopeMatrix, "auth": runAuthMatrix, "permanent": runPermanentDeleteMatrix, "isolation": runIsolationMatrix,
			} {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					run(t, e, obs)
				})
			}
		})
		if t.Failed() {
			t.FailNow()
		}
		doc, raw := served(t, e)
		exs := obs.exchanges()
		paths := doc["paths"].(map[string]any)
		seen := map[string]bool{}
		okRoutes := map[string]bool{}
		for _, x := range exs {
			method, path, _ := strings.Cut(x.key, " ")
			code := strconv.Itoa(x.resp.status)
			if x.resp.status < 300 {
				okRoutes[x.key] = true
			}
			if seen[x.key+" "+code] {
				continue
			}
			seen[x.key+" "+code] = true
			item, _ := paths[path].(map[string]any)
			op, _ := item[strings.ToLower(method)].(map[string]any)
			if op == nil {
				t.Errorf("observed %s, which the document lacks", x.key)
				continue
			}
			resps, _ := op["responses"].(map[string]any)
			if _, ok := resps[code]; !ok {
				t.Errorf("%s answered %s (to %s %s), which the document does not list", x.key, code, x.method, x.url)
			}
		}
		for _, rt := range e.api.RouteList() {
			if !okRoutes[routeKey(rt)] {
				t.Errorf("the matrices observed no success response of %s", routeKey(rt))
			}
		}
		validateExchanges(t, raw, exs)
	})
}
