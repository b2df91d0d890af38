package contactd_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// tagged100k is how many contacts BenchmarkTagRenameDelete tags.
const tagged100k = 100_000

// createTagged creates n contacts carrying the tags through the bulk path
// (Service.CreateContacts), in a new tenant, and returns its principal.
func createTagged(tb testing.TB, svc *contactd.Service, n int, tags ...string) contactd.Principal {
	tb.Helper()
	ctx := tb.Context()
	p, _ := benchTenant(tb, svc)
	for done := 0; done < n; done += contactd.MaxBulk {
		batch := make([]*contactd.ContactInput, min(contactd.MaxBulk, n-done))
		for i := range batch {
			batch[i] = &contactd.ContactInput{FirstName: fmt.Sprintf("Bulk%06d", done+i), LastName: "Tagged", Tags: tags}
		}
		if _, err := svc.CreateContacts(ctx, p, "import", batch); err != nil {
			tb.Fatalf("CreateContacts: %v", err)
		}
	}
	return p
}

// benchTenant creates a tenant (default region US) with an all-scope
// token, and returns the token's principal and secret.
func benchTenant(tb testing.TB, svc *contactd.Service) (contactd.Principal, string) {
	tb.Helper()
	ctx := tb.Context()
	tn, err := svc.CreateTenant(ctx, fmt.Sprintf("bench-%d", time.Now().UnixNano()), "US")
	if err != nil {
		tb.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Name: "bench", Scopes: contactd.AllScopes})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil {
		tb.Fatal(err)
	}
	return p, secret
}

// BenchmarkTagRenameDelete measures renaming and then deleting a tag that
// 100,000 contacts carry, on every backend (PostgreSQL with
// CONTACTD_TEST_POSTGRES_URL). Each iteration first creates the contacts
// in a new tenant, untimed; run it once per backend with
//
//	go test -run '^$' -bench TagRenameDelete -benchtime 1x .
func BenchmarkTagRenameDelete(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			svc := contactd.NewService(st, nil)
			ctx := b.Context()
			var rename, del time.Duration
			b.StopTimer()
			for range b.N {
				setup := time.Now()
				p := createTagged(b, svc, tagged100k, "Big", "Other")
				page, err := svc.Tags(ctx, p, contactd.TagListRequest{Prefix: "big"})
				if err != nil || len(page.Data) != 1 {
					b.Fatalf("the tag: %v, %v", page, err)
				}
				id := page.Data[0].ID
				b.Logf("%s: created %d tagged contacts in %v", be.Name, tagged100k, time.Since(setup).Round(time.Millisecond))

				name := "Bigger"
				b.StartTimer()
				start := time.Now()
				_, err = svc.UpdateTag(ctx, p, id, &contactd.TagInput{Name: &name})
				rename += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start = time.Now()
				err = svc.DeleteTag(ctx, p, id)
				del += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				check, err := svc.ListContacts(ctx, p, contactd.ContactListRequest{ListParams: contactd.ListParams{Filter: []byte(`{"tags":{"$in":["big","bigger"]}}`), Limit: 1}})
				if err != nil || *check.Total != 0 {
					b.Fatalf("contacts still tagged after the delete: %v, %v", check.Total, err)
				}
				changes, err := st.Changes(ctx, contactd.ChangesParams{TenantID: p.TenantID, After: 3*tagged100k - 1, Limit: 10})
				if err != nil || len(changes) != 1 || changes[0].Fields["tags"].New == nil {
					b.Fatalf("the change log does not end with the delete's changes: %v, %v", changes, err)
				}
			}
			b.ReportMetric(rename.Seconds()/float64(b.N), "rename-s/op")
			b.ReportMetric(del.Seconds()/float64(b.N), "delete-s/op")
			b.Logf("%s: %d contacts: rename %v, delete %v", be.Name, tagged100k,
				(rename / time.Duration(b.N)).Round(time.Millisecond), (del / time.Duration(b.N)).Round(time.Millisecond))
		})
	}
}
