package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/ndjson"
)

// exportCmd writes a tenant's contacts as NDJSON, read from the database
// (--db, --tenant) or from a running server (--url, --token).
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("export", stderr, getenv)
	tenant := fs.String("tenant", "", "tenant name or id, to read the database (--db) directly")
	srvURL := fs.String("url", getenv("CONTACTD_URL"), "URL of a running server to export from instead; env CONTACTD_URL")
	token := fs.String("token", getenv("CONTACTD_TOKEN"), "a token with contacts:read, with --url; env CONTACTD_TOKEN")
	output := fs.StringP("output", "o", "-", "file to write (- for standard output)")
	format := fs.String("format", "ndjson", "file format: ndjson")
	filter := fs.String("filter", "", "a JSON filter, as the API's filter parameter")
	q := fs.String("q", "", "a full-text query")
	sort := fs.String("sort", "", "sort fields, as the API's sort parameter (default id)")
	fields := fs.String("fields", "", "comma-separated fields to write (default all)")
	deleted := fs.Bool("include-deleted", false, "include soft-deleted contacts")
	if err := parse(fs, args); err != nil {
		return err
	}
	const use = "usage: contactd export [--output FILE] [--filter JSON] [--q Q] [--sort S] [--fields F] [--include-deleted] (--tenant T [--db PATH] | --url URL --token TOKEN)"
	// --tenant reads the database even when CONTACTD_URL is set; the two
	// flags together are a mistake.
	if *tenant != "" && !fs.Changed("url") {
		*srvURL = ""
	}
	if fs.NArg() != 0 || (*tenant == "") == (*srvURL == "") {
		return usageError{use + "\n(give --tenant to read a database, or --url to ask a server)"}
	}
	if *format != "ndjson" {
		return usageError{fmt.Sprintf("--format %q: only ndjson is supported", *format)}
	}
	if *srvURL != "" && *token == "" {
		return usageError{"--url needs --token (or CONTACTD_TOKEN)"}
	}
	r := contactd.ContactListRequest{Q: *q, IncludeDeleted: *deleted,
		ListParams: contactd.ListParams{Filter: []byte(*filter), Sort: *sort, In: "query"}}
	if *filter == "" {
		r.Filter = nil
	}
	if *fields != "" {
		r.Fields = strings.Split(*fields, ",")
	}
	out, done, err := createOutput(*output, stdout)
	if err != nil {
		return err
	}
	start := time.Now()
	var n int
	if *srvURL != "" {
		n, err = exportRemote(ctx, *srvURL, *token, r, out)
	} else {
		n, err = exportLocal(ctx, *db, *tenant, r, out)
	}
	if err = done(err); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d contacts to %s in %s\n", n, *output, time.Since(start).Round(time.Millisecond))
	return nil
}

// createOutput opens where an export goes. A file is written under a
// temporary name beside it and renamed when the export is complete, so
// that a failed export never leaves a file that looks whole; done closes
// it, and removes it when err is not nil.
func createOutput(path string, stdout io.Writer) (w io.Writer, done func(error) error, err error) {
	if path == "-" {
		bw := bufio.NewWriterSize(stdout, 1<<16)
		return bw, func(err error) error {
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
			return err
		}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	return bw, func(err error) error {
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
		return err
	}, nil
}

func exportLocal(ctx context.Context, db, tenant string, r contactd.ContactListRequest, w io.Writer) (int, error) {
	store, err := openStore(ctx, db)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)
	t, err := svc.FindTenant(ctx, tenant)
	if err != nil {
		return 0, fmt.Errorf("tenant %q: %w", tenant, err)
	}
	p := contactd.Principal{TenantID: t.ID, Actor: "contactd export", Scopes: []contactd.Scope{contactd.ScopeRead}, Region: t.DefaultRegion}
	exp, err := svc.ExportContacts(ctx, p, r)
	if err != nil {
		return 0, err
	}
	return exp.WriteNDJSON(ctx, w)
}

// exportRemote streams GET /v1/contacts/export into w, counting the lines
// and checking that the last one is whole: the server cuts the connection
// when it fails after the first line.
func exportRemote(ctx context.Context, base, token string, r contactd.ContactListRequest, w io.Writer) (int, error) {
	v := url.Values{}
	for name, val := range map[string]string{"filter": string(r.Filter), "q": r.Q, "sort": r.Sort, "fields": strings.Join(r.Fields, ",")} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if r.IncludeDeleted {
		v.Set("includeDeleted", "true")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/v1/contacts/export?"+v.Encode(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var p struct{ Title, Detail string }
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		if json.Unmarshal(b, &p) == nil && p.Detail != "" {
			return 0, fmt.Errorf("the server answered %s: %s", res.Status, p.Detail)
		}
		return 0, fmt.Errorf("the server answered %s", res.Status)
	}
	var c ndjson.Counter
	if _, err := io.Copy(io.MultiWriter(w, &c), res.Body); err != nil {
		return c.Lines, fmt.Errorf("the export was cut after %d contacts: %w", c.Lines, err)
	}
	if !c.Whole() {
		return c.Lines, fmt.Errorf("the export was cut after %d contacts", c.Lines)
	}
	return c.Lines, nil
}
