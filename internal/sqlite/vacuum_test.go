package sqlite

import (
	"fmt"
	"testing"

	"github.com/contactd/contactd"
)

// TestVacuumKeepsPhoneDigits: the trigram index of phone digits is keyed
// by the phone rows' rowids, which VACUUM renumbers in a table without an
// INTEGER PRIMARY KEY. After numbers are replaced (leaving gaps in the
// rowids) and the database is vacuumed, a search by digits must still find
// the contact with those digits, and only it.
func TestVacuumKeepsPhoneDigits(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	svc := contactd.NewService(s, nil)
	ctx := t.Context()
	tn, err := svc.CreateTenant(ctx, "vacuum", "US")
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Name: "t", Scopes: contactd.AllScopes})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 20 {
		c, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: fmt.Sprintf("V%02d", i),
			Phones: []contactd.Phone{{Number: fmt.Sprintf("+1 415 555 %04d", 1000+i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// Every other contact gets a new number: its phone row is written anew.
	for i := 0; i < len(ids); i += 2 {
		patch := fmt.Sprintf(`{"phones": [{"number": "+1 415 555 %04d"}]}`, 2000+i)
		if _, err := svc.PatchContact(ctx, p, contactd.Selector{ID: ids[i]}, []byte(patch), contactd.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.write.ExecContext(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		digits := fmt.Sprintf("555%04d", 1000+i)
		if i%2 == 0 {
			digits = fmt.Sprintf("555%04d", 2000+i)
		}
		page, err := svc.ListContacts(ctx, p, contactd.ContactListRequest{Q: digits})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 1 || page.Data[0].ID != id {
			var got []string
			for _, c := range page.Data {
				got = append(got, c.FirstName)
			}
			t.Errorf("q=%s after VACUUM: %v, want V%02d", digits, got, i)
		}
	}
}
