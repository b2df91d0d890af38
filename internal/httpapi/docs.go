package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strings"
)

// The reference page is rendered from the served OpenAPI document, so it
// says exactly what the document says and needs no script or network.

type docsPage struct {
	Title, Version string
	Style          template.CSS
	Description    template.HTML
	Tags           []docsTag
	Schemas        []docsSchema
}

type docsTag struct {
	Name        string
	Description template.HTML
	Ops         []docsOp
}

type docsOp struct {
	Method, Path, ID, Summary, Body string
	Description                     template.HTML
	Params                          []docsParam
	Responses                       []docsParam
}

type docsParam struct {
	Name, In, Type string
	Doc            template.HTML
}

type docsSchema struct {
	Name  string
	Props []docsParam
}

func refName(s map[string]any) string {
	if r, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(r, "#/components/schemas/")
	}
	if alt, ok := s["anyOf"].([]any); ok && len(alt) == 2 {
		if m, ok := alt[0].(map[string]any); ok {
			return refName(m) + " or null"
		}
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		if m, ok := all[0].(map[string]any); ok {
			return refName(m)
		}
	}
	if t, ok := s["type"].(string); ok {
		if t == "array" {
			if items, ok := s["items"].(map[string]any); ok {
				return refName(items) + "[]"
			}
		}
		return t
	}
	return ""
}

func renderDocs(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	info := d["info"].(map[string]any)
	page := docsPage{Style: template.CSS(docsStyle), Title: info["title"].(string), Version: info["version"].(string), Description: md(info["description"].(string))}
	byTag := map[string]*docsTag{}
	for _, t := range d["tags"].([]any) {
		tm := t.(map[string]any)
		byTag[tm["name"].(string)] = &docsTag{Name: tm["name"].(string), Description: md(str(tm["description"]))}
	}
	paths := d["paths"].(map[string]any)
	var pathNames []string
	for p := range paths {
		pathNames = append(pathNames, p)
	}
	sort.Strings(pathNames)
	for _, p := range pathNames {
		item := paths[p].(map[string]any)
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			o, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			op := docsOp{Method: strings.ToUpper(m), Path: p, ID: str(o["operationId"]), Summary: str(o["summary"]), Description: md(str(o["description"]))}
			if ps, ok := o["parameters"].([]any); ok {
				for _, x := range ps {
					pm := x.(map[string]any)
					op.Params = append(op.Params, docsParam{Name: str(pm["name"]), In: str(pm["in"]),
						Type: refName(pm["schema"].(map[string]any)), Doc: md(str(pm["description"]))})
				}
			}
			if rb, ok := o["requestBody"].(map[string]any); ok {
				for mt, c := range rb["content"].(map[string]any) {
					if mt == "application/json" {
						op.Body = refName(c.(map[string]any)["schema"].(map[string]any))
					}
				}
			}
			resps := o["responses"].(map[string]any)
			var codes []string
			for c := range resps {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			for _, c := range codes {
				r := resps[c].(map[string]any)
				typ := ""
				if content, ok := r["content"].(map[string]any); ok {
					for _, v := range content {
						typ = refName(v.(map[string]any)["schema"].(map[string]any))
					}
				}
				op.Responses = append(op.Responses, docsParam{Name: c, Type: typ, Doc: md(str(r["description"]))})
			}
			tag := o["tags"].([]any)[0].(string)
			byTag[tag].Ops = append(byTag[tag].Ops, op)
		}
	}
	for _, t := range d["tags"].([]any) {
		page.Tags = append(page.Tags, *byTag[t.(map[string]any)["name"].(string)])
	}
	schemas := d["components"].(map[string]any)["schemas"].(map[string]any)
	var names []string
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := docsSchema{Name: n}
		props, _ := schemas[n].(map[string]any)["properties"].(map[string]any)
		var keys []string
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pm := props[k].(map[string]any)
			doc := str(pm["description"])
			if e, ok := pm["enum"].([]any); ok {
				var vs []string
				for _, v := range e {
					vs = append(vs, v.(string))
				}
				doc = strings.TrimSpace(doc + " One of: " + strings.Join(vs, ", ") + ".")
			}
			if ro, _ := pm["readOnly"].(bool); ro {
				doc = strings.TrimSpace("Read-only. " + doc)
			}
			s.Props = append(s.Props, docsParam{Name: k, Type: refName(pm), Doc: md(doc)})
		}
		page.Schemas = append(page.Schemas, s)
	}
	var buf bytes.Buffer
	err := docsTemplate.Execute(&buf, page)
	return buf.Bytes(), err
}

// md renders the inline Markdown the document's descriptions use: the
// text escaped, `code` spans as <code> and **strong** as <strong>. That is
// all the descriptions hold; block Markdown would need a real renderer.
func md(s string) template.HTML {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		esc := template.HTMLEscapeString(part)
		if i%2 == 1 && i < strings.Count(s, "`") {
			b.WriteString("<code>" + esc + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`") // an unpaired backtick stays as written
		}
		strong := strings.Split(esc, "**")
		for j, t := range strong {
			switch {
			case j%2 == 0:
				b.WriteString(t)
			case j < len(strong)-1:
				b.WriteString("<strong>" + t + "</strong>")
			default:
				b.WriteString("**" + t)
			}
		}
	}
	return template.HTML(b.String())
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func (s *Server) docs(c *call) (*reply, error) {
	html, err := renderDocs(s.doc)
	if err != nil {
		return nil, err
	}
	h := c.w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Frame-Options", "DENY")
	return &reply{status: http.StatusOK, raw: html, contentType: "text/html; charset=utf-8"}, nil
}

// docsCSP lets the reference page use its own inline style and nothing
// else: no script, no frame, no form, nothing from elsewhere.
var docsCSP = func() string {
	sum := sha256.Sum256([]byte(docsStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} API reference</title>
<style>{{.Style}}</style></head><body>
<h1>{{.Title}} API reference</h1><p>Version {{.Version}}. {{.Description}} The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
<nav>{{range .Tags}}<a href="#{{.Name}}">{{.Name}}</a>{{end}}<a href="#schemas">Schemas</a></nav>
{{range .Tags}}<h2 id="{{.Name}}">{{.Name}}</h2><p>{{.Description}}</p>
{{range .Ops}}<div class="op" id="{{.ID}}"><h3><span class="m {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></h3>
<div><strong>{{.Summary}}</strong></div>{{if .Description}}<p class="d">{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<div>Body: <a href="#schema-{{.Body}}">{{.Body}}</a></div>{{end}}
<table><tr><th>Status</th><th>Body</th><th>Meaning</th></tr>
{{range .Responses}}<tr><td>{{.Name}}</td><td>{{if .Type}}<a href="#schema-{{.Type}}">{{.Type}}</a>{{end}}</td><td>{{.Doc}}</td></tr>{{end}}</table></div>
{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3><table><tr><th>Field</th><th>Type</th><th>Description</th></tr>
{{range .Props}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))

// docsStyle is the page's one style sheet, inline (its hash is in docsCSP).
const docsStyle = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-top:1rem}h3{margin-bottom:.2rem}
code,.path{font-family:ui-monospace,monospace}.m{display:inline-block;min-width:4.5em;font-weight:bold}
.GET{color:#07a}.POST{color:#080}.PUT{color:#a60}.PATCH{color:#860}.DELETE{color:#b00}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border:1px solid #e3e3e3;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}nav a{margin-right:1rem}.op{margin-bottom:1.6rem}p.d{white-space:pre-line;margin:.3rem 0}
`
