package sqlq

import (
	"fmt"
	"strings"
	"testing"
)

// TestDecodeContacts: a page decodes in order, on every core when large,
// and a corrupt document fails the page.
func TestDecodeContacts(t *testing.T) {
	for _, n := range []int{0, 1, 50, 1000} {
		docs := make([]StoredContact, n)
		for i := range docs {
			docs[i] = StoredContact{Doc: fmt.Appendf(nil, `{"id":"ct_%04d","version":%d,"firstName":"F%d"}`, i, i+1, i), DisplayNameSet: i%2 == 0}
		}
		cs, err := DecodeContacts(docs)
		if err != nil || len(cs) != n {
			t.Fatalf("%d documents: %d contacts, %v", n, len(cs), err)
		}
		for i, c := range cs {
			if c.ID != fmt.Sprintf("ct_%04d", i) || c.Version != int64(i+1) || c.DisplayNameSet != (i%2 == 0) {
				t.Fatalf("%d documents: contact %d is %+v", n, i, c)
			}
		}
		if n == 0 {
			continue
		}
		docs[n-1].Doc = []byte(`{"id":`)
		if _, err := DecodeContacts(docs); err == nil || !strings.Contains(err.Error(), "corrupt contact document") {
			t.Errorf("%d documents, the last corrupt: %v", n, err)
		}
	}
}
