package contactd_test

import (
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
