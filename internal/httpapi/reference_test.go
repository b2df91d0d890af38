package httpapi_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestReferenceTable: every contactd name that docs/REFERENCE.md maps a
// reference platform's field or operation to exists in the served OpenAPI
// document: operations (with the query parameters named), schema property
// paths, and contact filter fields. Each row says how it maps, and an
// equivalent or different row says why.
func TestReferenceTable(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("../../docs/REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		doc, _ := served(t, e)
		rows := referenceRows(t, string(text))
		if len(rows) < 100 {
			t.Fatalf("docs/REFERENCE.md has %d rows: it should map every field and operation of the five references", len(rows))
		}
		tick := regexp.MustCompile("`([^`]+)`")
		sections := 0
		for _, r := range rows {
			sections = max(sections, r.section)
			switch r.how {
			case "same":
			case "equivalent", "different":
				if strings.TrimSpace(r.notes) == "" {
					t.Errorf("line %d: %s rows say why in notes", r.line, r.how)
				}
			default:
				t.Errorf("line %d: how is %q, want same, equivalent or different", r.line, r.how)
			}
			names := tick.FindAllStringSubmatch(r.contactd, -1)
			if len(names) == 0 && r.how != "different" {
				t.Errorf("line %d: %s row without a contactd name", r.line, r.how)
			}
			for _, n := range names {
				if why := resolveName(doc, n[1]); why != "" {
					t.Errorf("line %d: %s: %s", r.line, n[1], why)
				}
			}
		}
		if sections != 5 {
			t.Errorf("%d sections with tables, want one for each of the five references", sections)
		}
	})
}

type referenceRow struct {
	line, section                   int
	reference, contactd, how, notes string
}

// referenceRows reads the rows of the document's tables (header and rule
// rows left out), numbering the tables' sections.
func referenceRows(t *testing.T, text string) []referenceRow {
	var rows []referenceRow
	section, inTable := 0, false
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			inTable = false
			continue
		}
		cells := splitRow(l)
		if !inTable {
			inTable = true
			section++
			if len(cells) != 4 || cells[0] != "reference" || cells[1] != "contactd" || cells[2] != "how" || cells[3] != "notes" {
				t.Errorf("line %d: a table's header is | reference | contactd | how | notes |, got %q", i+1, l)
			}
			continue
		}
		if strings.Trim(l, "|-: ") == "" {
			continue
		}
		if len(cells) != 4 {
			t.Errorf("line %d: %d cells, want 4", i+1, len(cells))
			continue
		}
		rows = append(rows, referenceRow{line: i + 1, section: section, reference: cells[0], contactd: cells[1], how: cells[2], notes: cells[3]})
	}
	return rows
}

// splitRow splits a table row into its cells (a \| is part of a cell).
func splitRow(l string) []string {
	l = strings.TrimSuffix(strings.TrimPrefix(l, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '\\' && i+1 < len(l) && l[i+1] == '|':
			cur.WriteByte('|')
			i++
		case l[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(l[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// resolveName says why a contactd name of the table is not in the
// document ("" when it is): "METHOD /path[?param&param]", "Schema.a.b",
// or "filter:field".
func resolveName(doc map[string]any, name string) string {
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	if f, ok := strings.CutPrefix(name, "filter:"); ok {
		op := obj(obj(obj(doc["paths"])["/v1/contacts"])["get"])
		for _, p := range op["parameters"].([]any) {
			if obj(p)["name"] == "filter" {
				desc, _ := obj(p)["description"].(string)
				if regexp.MustCompile(`[ :,]` + regexp.QuoteMeta(f) + `[ .,(]`).MatchString(desc) {
					return ""
				}
			}
		}
		return "not a filter field of GET /v1/contacts"
	}
	if method, rest, ok := strings.Cut(name, " "); ok && method == strings.ToUpper(method) {
		path, query, _ := strings.Cut(rest, "?")
		op := obj(obj(obj(doc["paths"])[path])[strings.ToLower(method)])
		if op == nil {
			return "no such operation"
		}
		for _, q := range strings.Split(query, "&") {
			if q == "" {
				continue
			}
			found := false
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				found = found || (obj(p)["name"] == q && obj(p)["in"] == "query")
			}
			if !found {
				return "the operation has no query parameter " + q
			}
		}
		return ""
	}
	parts := strings.Split(name, ".")
	schemas := obj(obj(doc["components"])["schemas"])
	s := obj(schemas[parts[0]])
	if s == nil {
		return "no schema " + parts[0]
	}
	for _, p := range parts[1:] {
		s = propertyOf(schemas, s, p)
		if s == nil {
			return "no property " + p
		}
	}
	return ""
}

// propertyOf returns the schema of a property of s, looking through
// $ref, allOf, anyOf and array items.
func propertyOf(schemas, s map[string]any, prop string) map[string]any {
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	for range 8 {
		switch {
		case s["$ref"] != nil:
			s = obj(schemas[strings.TrimPrefix(s["$ref"].(string), "#/components/schemas/")])
		case s["items"] != nil:
			s = obj(s["items"])
		case s["allOf"] != nil || s["anyOf"] != nil:
			list, _ := s["allOf"].([]any)
			if list == nil {
				list, _ = s["anyOf"].([]any)
			}
			for _, alt := range list {
				if p := propertyOf(schemas, obj(alt), prop); p != nil {
					return p
				}
			}
			return nil
		default:
			return obj(obj(s["properties"])[prop])
		}
	}
	return nil
}
