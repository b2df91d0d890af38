package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"
)

// parsePages parses each page of templates/ with the layout and the
// shared parts.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t any) string {
			switch t := t.(type) {
			case time.Time:
				if t.IsZero() {
					return ""
				}
				return t.UTC().Format("2 Jan 2006 15:04 UTC")
			case *time.Time:
				if t == nil {
					return ""
				}
				return t.UTC().Format("2 Jan 2006 15:04 UTC")
			}
			return fmt.Sprint(t)
		},
		"join": strings.Join,
		"json": func(v any) string {
			b, _ := json.Marshal(v)
			return string(b)
		},
		"raw": func(m json.RawMessage) string { return string(m) },
		// at returns a form's value, error or flag by name.
		"val": func(m map[string]string, k string) string { return m[k] },
		"row": func(list string, i int, field string) string { return fmt.Sprintf("%s[%d].%s", list, i, field) },
		"add": func(a, b int) int { return a + b },
		"ptr": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"rowctx": func(list string, r entryRow, errs map[string]string) rowCtx {
			return rowCtx{List: list, Row: r, Errs: errs, Layout: entryLayouts[list], Types: entryTypes[list]}
		},
		// markedErrors reports whether errors are shown at their fields.
		"markedErrors": func(errs map[string]string) bool {
			for k := range errs {
				if k != "" {
					return true
				}
			}
			return false
		},
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
	}
	layout := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts.html"))
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		pages[base] = template.Must(template.Must(layout.Clone()).ParseFS(assets, n))
	}
	return pages
}

type rowCtx struct {
	List   string
	Row    entryRow
	Errs   map[string]string
	Layout []entryInputSpec
	Types  []string
}

// entryInputSpec is one input of an entry's row: the entry's field, its
// label as people write it, and the input's type ("select": the type).
type entryInputSpec struct{ Name, Label, Kind string }

// entryLayouts are the inputs of each list's rows, in order.
var entryLayouts = map[string][]entryInputSpec{
	"phones":    {{"number", "Phone", "tel"}, {"type", "Phone type", "select"}},
	"emails":    {{"address", "Email", "email"}, {"type", "Email type", "select"}},
	"addresses": {{"street", "Street", "text"}, {"city", "City", "text"}, {"state", "State or region", "text"}, {"postalCode", "Postal code", "text"}, {"country", "Country", "text"}, {"type", "Address type", "select"}},
}
