package contactd_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// readContacts is how many contacts BenchmarkReads stores.
const readContacts = 20_000

// BenchmarkReads measures the hot read paths below HTTP, on every backend
// (PostgreSQL with CONTACTD_TEST_POSTGRES_URL), with parallel callers:
// authentication, caller-ID lookup from a national-format number, and a
// contact by id as stored JSON and decoded. For profiles:
//
//	go test -run '^$' -bench Reads -cpuprofile reads.prof .
func BenchmarkReads(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			svc := contactd.NewService(be.Open(b), nil)
			ctx := b.Context()
			p, secret := benchTenant(b, svc)
			var ids []string
			for done := 0; done < readContacts; done += contactd.MaxBulk {
				batch := make([]*contactd.ContactInput, min(contactd.MaxBulk, readContacts-done))
				for i := range batch {
					k := done + i
					batch[i] = &contactd.ContactInput{FirstName: fmt.Sprintf("Read%06d", k), LastName: "Bench",
						Emails: []contactd.Email{{Address: fmt.Sprintf("read%06d@example.com", k)}},
						Phones: []contactd.Phone{{Number: fmt.Sprintf("+1 415 55%d %04d", 5+k/10000, k%10000)}}}
				}
				cs, err := svc.CreateContacts(ctx, p, "import", batch)
				if err != nil {
					b.Fatalf("CreateContacts: %v", err)
				}
				for _, c := range cs {
					ids = append(ids, c.ID)
				}
			}
			var next atomic.Int64
			b.Run("authenticate", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := svc.Authenticate(ctx, secret); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("lookup", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						k := int(next.Add(1)) % readContacts
						r, err := svc.Lookup(ctx, p, contactd.LookupQuery{Phone: fmt.Sprintf("(415) 55%d-%04d", 5+k/10000, k%10000)})
						if err != nil || r.Match != "exact" {
							b.Fatalf("lookup %d: %v, %v", k, r, err)
						}
					}
				})
			})
			b.Run("get-json", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						id := ids[int(next.Add(1))%len(ids)]
						if _, err := svc.ContactJSON(ctx, p, id, contactd.GetOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
			b.Run("get-decoded", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						id := ids[int(next.Add(1))%len(ids)]
						if _, err := svc.Contact(ctx, p, contactd.Selector{ID: id}, contactd.GetOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		})
	}
}

// BenchmarkLookupSkewed measures caller-ID in a tenant where 29,000
// contacts share one number, after the statistics are refreshed (so that
// the planner knows of the skew): a lookup of another number, which finds
// nobody, and of the shared one. The plan must not start from the
// tenant's contacts (issue 13: 30-240 ms where 1.4 ms was usual).
//
//	go test -run '^$' -bench LookupSkewed -benchtime 2000x .
func BenchmarkLookupSkewed(b *testing.B) {
	const shared = 29_000
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			store := be.Open(b)
			svc := contactd.NewService(store, nil)
			ctx := b.Context()
			p, _ := benchTenant(b, svc)
			for done := 0; done < shared; done += contactd.MaxBulk {
				batch := make([]*contactd.ContactInput, min(contactd.MaxBulk, shared-done))
				for i := range batch {
					batch[i] = &contactd.ContactInput{FirstName: fmt.Sprintf("Skew%06d", done+i), Phones: []contactd.Phone{{Number: "+1 415 555 0100"}}}
				}
				if _, err := svc.CreateContacts(ctx, p, "import", batch); err != nil {
					b.Fatalf("CreateContacts: %v", err)
				}
			}
			if o, ok := store.(interface{ Optimize(context.Context) error }); ok {
				if err := o.Optimize(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("miss", func(b *testing.B) {
				for b.Loop() {
					if r, err := svc.Lookup(ctx, p, contactd.LookupQuery{Phone: "+1 415 555 0199"}); err != nil || r.Match != "none" {
						b.Fatalf("%v %v", r, err)
					}
				}
			})
			b.Run("shared", func(b *testing.B) {
				for b.Loop() {
					if r, err := svc.Lookup(ctx, p, contactd.LookupQuery{Phone: "+1 415 555 0100"}); err != nil || r.Match != "ambiguous" {
						b.Fatalf("%v %v", r, err)
					}
				}
			})
		})
	}
}
