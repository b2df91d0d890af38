package contactd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimestampsHaveMilliseconds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 160_000_000, time.FixedZone("x", 3600))
	c := Contact{ID: "ct_1", CreatedAt: at, UpdatedAt: at.Add(40 * time.Millisecond), BlockedAt: &at}
	b, err := json.Marshal(LookupItem{Contact: &c, MatchedEntries: []string{"ph_1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"createdAt":"2026-01-02T02:04:05.160Z"`, `"updatedAt":"2026-01-02T02:04:05.200Z"`,
		`"blockedAt":"2026-01-02T02:04:05.160Z"`, `"matchedEntries":["ph_1"]`, `"id":"ct_1"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "deletedAt") {
		t.Errorf("JSON has deletedAt for a live contact:\n%s", b)
	}
	var back Contact
	if err := json.Unmarshal(b, &back); err != nil || !back.CreatedAt.Equal(at) {
		t.Errorf("round trip: %v, %v; want %v", back.CreatedAt, err, at)
	}
	ch, _ := json.Marshal(Change{Seq: 1, At: at})
	if !strings.Contains(string(ch), `"at":"2026-01-02T02:04:05.160Z"`) {
		t.Errorf("change JSON: %s", ch)
	}
}

// TestLookupResultJSON checks that AppendJSON writes what json.Marshal
// writes, whether an item holds a Contact or its stored document.
func TestLookupResultJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &Contact{ID: "ct_1", FirstName: "Zoë <&>", CreatedAt: at, UpdatedAt: at}
	doc, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*LookupResult{
		{Match: "none", Data: []LookupItem{}},
		{Match: "exact", Data: []LookupItem{{Contact: c, MatchedEntries: []string{"ph_1"}}}},
		{Match: "ambiguous", Data: []LookupItem{{Doc: doc, MatchedEntries: []string{"ph_1", "ph_2"}}, {Contact: c}}},
		{Match: "exact", Data: []LookupItem{{Doc: json.RawMessage(`{}`), MatchedEntries: []string{}}}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("AppendJSON:\n got %s (%v)\nwant %s", got, err, want)
		}
	}
	if _, err := (&LookupResult{Data: []LookupItem{{Doc: json.RawMessage(`[1]`)}}}).AppendJSON(nil); err == nil {
		t.Errorf("a document that is not an object is written")
	}
}
