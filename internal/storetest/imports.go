package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// testImports checks the import jobs: stored and read back whole, listed
// newest first, progress written only while a job has not ended (a job
// cancelled meanwhile refuses it), errors kept in order, tenants apart.
func testImports(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other := newTenant(t, s), newTenant(t, s)
	newJob := func(tenantID string) *contactd.Import {
		im := &contactd.Import{ID: contactd.NewID(contactd.PrefixImport), TenantID: tenantID, Status: contactd.ImportQueued,
			Format: "csv", Mode: "upsert", Columns: []string{"Name", "Phone"}, Warnings: []contactd.ImportWarning{},
			MatchedBy: map[string]int64{}, CreatedAt: now(), CreatedBy: "storetest", HeartbeatAt: now()}
		if err := s.CreateImport(ctx, im); err != nil {
			t.Fatalf("CreateImport: %v", err)
		}
		return im
	}
	var ids []string
	for range 3 {
		ids = append(ids, newJob(tn.ID).ID)
	}
	im := newJob(tn.ID)
	ids = append(ids, im.ID)
	started := now()
	im.Status, im.StartedAt, im.Processed, im.Created, im.Failed = contactd.ImportRunning, &started, 10, 8, 2
	im.MatchedBy["email"] = 3
	im.Warnings = append(im.Warnings, contactd.ImportWarning{Message: "w", Records: 4, FirstRecord: 2})
	errs := []contactd.ImportRowError{{Record: 3, Code: "invalid", Location: "emails[0].address", Message: "bad", Raw: []string{"a", "b"}},
		{Record: 7, Code: "conflict", Message: "taken", ConflictingID: "ct_x"}}
	if err := s.UpdateImport(ctx, im, errs); err != nil {
		t.Fatalf("UpdateImport: %v", err)
	}
	got, err := s.Import(ctx, tn.ID, im.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*got) != fmt.Sprint(*im) {
		t.Errorf("read back\n %+v\nwant\n %+v", *got, *im)
	}
	more := []contactd.ImportRowError{{Record: 9, Code: "invalid", Message: "again"}}
	if err := s.UpdateImport(ctx, im, more); err != nil {
		t.Fatal(err)
	}
	page, err := s.ImportErrors(ctx, contactd.ImportErrorsParams{TenantID: tn.ID, ImportID: im.ID, Limit: 10})
	if err != nil || len(page) != 3 || page[0].Record != 3 || page[2].Record != 9 || page[0].Seq >= page[1].Seq || fmt.Sprint(page[0].Raw) != "[a b]" {
		t.Errorf("ImportErrors: %+v, %v", page, err)
	}
	if page, _ := s.ImportErrors(ctx, contactd.ImportErrorsParams{TenantID: tn.ID, ImportID: im.ID, After: page[0].Seq, Limit: 1}); len(page) != 1 || page[0].Record != 7 {
		t.Errorf("ImportErrors after the first: %+v", page)
	}

	list, err := s.Imports(ctx, contactd.ImportsParams{TenantID: tn.ID, Limit: 10})
	if err != nil || len(list) != 4 || list[0].ID != ids[3] || list[3].ID != ids[0] {
		t.Errorf("Imports: %d, %v; want newest first", len(list), err)
	}
	if list, _ := s.Imports(ctx, contactd.ImportsParams{TenantID: tn.ID, After: ids[2], Limit: 10}); len(list) != 2 || list[0].ID != ids[1] {
		t.Errorf("Imports after the second newest: %+v", list)
	}

	// Cancelled, the job keeps its counts and refuses progress.
	at := now().Add(time.Second)
	c, err := s.CancelImport(ctx, tn.ID, im.ID, at)
	if err != nil || c.Status != contactd.ImportCancelled || c.Processed != 10 || c.FinishedAt == nil || !c.FinishedAt.Equal(at) {
		t.Fatalf("CancelImport: %+v, %v", c, err)
	}
	im.Processed = 20
	if err := s.UpdateImport(ctx, im, more); contactd.ErrorCodeOf(err) != contactd.EConflict {
		t.Errorf("progress of a cancelled job: %v, want EConflict", err)
	}
	if got, _ := s.Import(ctx, tn.ID, im.ID); got.Status != contactd.ImportCancelled || got.Processed != 10 {
		t.Errorf("after refused progress: %+v", got)
	}
	if c, err := s.CancelImport(ctx, tn.ID, im.ID, now()); err != nil || !c.FinishedAt.Equal(at) {
		t.Errorf("cancelling again: %+v, %v; want it as it ended", c, err)
	}

	// Tenants apart.
	if _, err := s.Import(ctx, other.ID, im.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("another tenant's import: %v", err)
	}
	if _, err := s.CancelImport(ctx, other.ID, ids[0], now()); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("cancelling another tenant's import: %v", err)
	}
	if list, _ := s.Imports(ctx, contactd.ImportsParams{TenantID: other.ID, Limit: 10}); len(list) != 0 {
		t.Errorf("another tenant lists %d imports", len(list))
	}
	if page, _ := s.ImportErrors(ctx, contactd.ImportErrorsParams{TenantID: other.ID, ImportID: im.ID, Limit: 10}); len(page) != 0 {
		t.Errorf("another tenant reads %d errors", len(page))
	}
}
