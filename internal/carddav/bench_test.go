package carddav_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

func BenchmarkMultiget(b *testing.B) {
	e := newEnv(b, storetest.Backends()[0])
	p, _ := e.svc.Authenticate(context.Background(), e.tokens["A"]["all"])
	var ins []*contactd.ContactInput
	for i := range 5000 {
		ins = append(ins, &contactd.ContactInput{FirstName: fmt.Sprintf("F%d", i), LastName: "L", Emails: []contactd.Email{{Address: fmt.Sprintf("e%d@x.org", i)}},
			Phones: []contactd.Phone{{Number: fmt.Sprintf("+1415555%04d", i)}}, Tags: []string{"a"}, Company: "Acme"})
	}
	cs, err := e.svc.CreateContacts(context.Background(), p, "import", ins)
	if err != nil {
		b.Fatal(err)
	}
	var hrefs strings.Builder
	for _, c := range cs {
		hrefs.WriteString("<d:href>" + bookPath + c.ID + ".vcf</d:href>")
	}
	body := `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop>` + hrefs.String() + `</card:addressbook-multiget>`
	b.ResetTimer()
	for range b.N {
		r := e.dav("REPORT", bookPath, e.tokens["A"]["all"], body)
		if r.status != 207 {
			b.Fatal(r.status)
		}
	}
}
