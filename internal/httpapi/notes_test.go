package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestNotes: a contact's free-text notes keep their lines, are limited to
// 10,000 characters (not bytes), follow merge-patch semantics, are
// recorded in the history and are found by q, below every other field.
func TestNotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		text := "Met at the trade fair.\n\n\tPrefers email — never before 10:00.\r\nKids: Ana, Luís"
		c := e.create("A", map[string]any{"firstName": "Grace", "lastName": "Hopper", "notes": "  " + text + "\n "})
		id := jStr(c["id"])
		if c["notes"] != text {
			t.Errorf("notes %q, want %q (inner lines kept, the ends trimmed)", c["notes"], text)
		}
		if got := e.do("GET", "/v1/contacts/"+id, tok, nil).json(t)["notes"]; got != text {
			t.Errorf("read back %q", got)
		}
		for _, q := range []string{"trade", "luis", "KIDS ana", "grace fair"} {
			if got := pageIDs(e.list(tok, "q", q)); !slices.Equal(got, []string{id}) {
				t.Errorf("q=%s: %v", q, got)
			}
		}

		// The limit counts characters: 10,000 of two bytes each pass.
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"notes": strings.Repeat("é", 10000)}), http.StatusOK)
		r := e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"notes": strings.Repeat("é", 10001)})
		requireProblem(t, r, http.StatusBadRequest, "body.notes")
		r = e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "X", "notes": 42})
		requireProblem(t, r, http.StatusBadRequest, "body.notes")

		// null clears; the history has each step.
		r = e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"notes": nil})
		wantStatus(t, r, http.StatusOK)
		if _, ok := r.json(t)["notes"]; ok {
			t.Errorf("notes not cleared: %s", r.body)
		}
		if got := pageIDs(e.list(tok, "q", "trade")); len(got) != 0 {
			t.Errorf("cleared notes still found: %v", got)
		}
		h := e.historyOf(tok, id)
		if len(h) != 3 {
			t.Fatalf("history has %d entries, want 3", len(h))
		}
		if f := jObj(jObj(h[0]["fields"])["notes"]); f["old"] != nil || f["new"] != text {
			t.Errorf("created notes %v", f)
		}
		if f := jObj(jObj(h[2]["fields"])["notes"]); f["old"] != strings.Repeat("é", 10000) || f["new"] != nil {
			t.Errorf("cleared notes: old %.20v… new %v", f["old"], f["new"])
		}

		// Another tenant's notes are not searched.
		if got := pageIDs(e.list(e.tokens["B"]["all"], "q", "grace")); len(got) != 0 {
			t.Errorf("B finds A's contact: %v", got)
		}
	})
}
