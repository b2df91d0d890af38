package contactd_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// TestRankLevels: a ranked search of one token is answered level by level
// from the rank index, stopping at the page (see sqlq's rankLevels); one of
// several tokens finds its matches through all of them or through one that
// drives (sqlq's driver). Their pages and totals must be the ranking the
// search promises, worked out here from each contact's search terms: per
// token the best of weight×2 + 1 for an exact term, summed, then display
// name, then id. The names and notes make every level occur, with ties, several
// matching terms per contact and level, contacts deleted, renamed and
// restored.
func TestRankLevels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		firsts := []string{"Mar", "Maria", "Marco", "Mario", "Ana", "Marek", "Zoë", "Mar"}
		lasts := []string{"Marsh", "Smith", "Mar", "Martínez", "Lee", "Mara"}
		companies := []string{"", "Marvel", "Mars Inc", "Acme", "Mar"}
		emails := []string{"", "mar@example.com", "marco.l@mars.example", "x@y.example", "ann@marina.example", "bo@marinas.example"}
		notes := []string{"", "Met at the Marina in Mar; marine biologist", "", "call after 5, ask for Mara", "", "", "notes only: zebra"}
		var ids []string
		for i := range 60 {
			in := &contactd.ContactInput{FirstName: firsts[i%len(firsts)], LastName: lasts[i%len(lasts)], Company: companies[i%len(companies)]}
			if i%9 == 0 {
				in.FirstName, in.LastName = "", ""
				in.Name = fmt.Sprintf("Marvin %d", i%3)
			}
			if n := notes[i%len(notes)]; n != "" {
				in.Notes = n
			}
			if m := emails[i%len(emails)]; m != "" {
				in.Emails = []contactd.Email{{Address: strings.Replace(m, "@", fmt.Sprintf("+%d@", i), 1)}}
			}
			c, err := e.svc.CreateContact(ctx, e.p, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		check := func(stage string) {
			t.Helper()
			all := e.allContacts(t)
			for _, q := range []string{"mar", "MAR", "ma", "maria", "marc", "mars", "marvel", "mara", "zo", "an", "ex", "example", "mar+1@", "zz", "m",
				"mar marsh", "m marsh", "marsh m", "maria mar+1@", "mar+1@ maria", "ma marvel", "example mar", "mar example", "zo lee", "aaron mar",
				"mar ma marv", "bo marina", "marvin mar", "marina", "marin",
				"marine", "biolog", "zebra", "ze", "ask mara", "notes", "zebra mar", "after call"} {
				want := rankOracle(all, q)
				for _, exact := range []bool{true, false} {
					got, total := e.searchWalk(t, q, exact)
					if !slices.Equal(got, want) || total != len(want) {
						t.Errorf("%s: q=%q (exact count %v):\n got %v (total %d)\nwant %v (total %d)", stage, q, exact, got, total, want, len(want))
					}
				}
			}
		}
		check("created")

		for i, id := range ids {
			var err error
			switch i % 7 {
			case 1:
				_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: id}, []byte(`{"displayName":"Aaron Mar"}`), contactd.Precondition{})
			case 2:
				err = e.svc.DeleteContact(ctx, e.p, contactd.Selector{ID: id}, contactd.Precondition{}, false)
			case 3:
				_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: id}, []byte(`{"company":"Marina","firstName":"Bo"}`), contactd.Precondition{})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		check("updated and deleted")

		if _, err := e.svc.RestoreContact(ctx, e.p, ids[2]); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteContact(ctx, e.p, contactd.Selector{ID: ids[9]}, contactd.Precondition{}, true); err != nil {
			t.Fatal(err)
		}
		check("restored and erased")
	})
}

// rankOracle ranks the live contacts matching every token of the search
// q (none of digits): per contact and token, the best of its matching
// terms' weight×2 (+1 when exact); summed over the tokens; then display
// name, then id.
func rankOracle(all []*contactd.Contact, q string) []string {
	type ranked struct {
		id, dn string
		score  int
	}
	var rs []ranked
	for _, c := range all {
		if c.DeletedAt != nil {
			continue
		}
		score, matched := 0, true
		for _, tok := range contactd.SearchTokens(q) {
			best := -1 // a prefix of a word of the notes scores 0
			for _, term := range contactd.SearchTerms(c) {
				if strings.HasPrefix(term.Term, tok) {
					s := term.Weight * 2
					if term.Term == tok {
						s++
					}
					best = max(best, s)
				}
			}
			if best < 0 {
				matched = false
				break
			}
			score += best
		}
		if matched {
			rs = append(rs, ranked{c.ID, c.DisplayName, score})
		}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.score, a.score), strings.Compare(a.dn, b.dn), strings.Compare(a.id, b.id))
	})
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.id)
	}
	return ids
}

// searchWalk pages through a ranked search, four contacts a page, and
// returns the ids in order and the first page's total.
func (e *raceEnv) searchWalk(t *testing.T, q string, exactCount bool) ([]string, int) {
	t.Helper()
	return e.walkList(t, contactd.ContactListRequest{Q: q, ListParams: contactd.ListParams{Limit: 4, ExactCount: exactCount}})
}
